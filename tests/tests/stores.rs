//! The server store's contracts, checked on the backend with several handles
//! on one database, as several server replicas hold it.
//!
//! The device cursor: a reader that has seen every change numbered up to N
//! and asks for what changed after N sees every change committed since, each
//! once, and never a change that was rolled back.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use shared::ids::{DocId, SiteId};
use shared::wire::DocKind;
use sync_server::pg::PgStore;
use sync_server::sqlite::SqliteStore;
use sync_server::store::Store;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");

/// `n` handles on one fresh SQLite database (each its own connections).
fn sqlite_handles(dir: &std::path::Path, n: usize) -> Vec<Arc<dyn Store>> {
    (0..n)
        .map(|_| Arc::new(SqliteStore::open(dir).unwrap()) as Arc<dyn Store>)
        .collect()
}

fn cursor_never_skips_nor_repeats(handles: Vec<Arc<dyn Store>>) {
    let site = SiteId::from_uuid(uuid::Uuid::now_v7());
    let docs: Vec<DocId> = (0..40)
        .map(|_| DocId::from_uuid(uuid::Uuid::now_v7()))
        .collect();
    let (writers, readers) = handles.split_at(handles.len() - 2);
    let writing = AtomicBool::new(true);
    let (committed, seen) = std::thread::scope(|scope| {
        let writes: Vec<_> = writers
            .iter()
            .enumerate()
            .map(|(w, store)| {
                let docs = &docs;
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for i in 0..150usize {
                        let mut txn = store.begin().unwrap();
                        let mut puts = Vec::new();
                        for k in 0..1 + (i + w) % 3 {
                            let doc = docs[(i * 7 + w * 13 + k * 5) % docs.len()];
                            let body = format!("{w}-{i}-{k}");
                            let seq = txn
                                .put_doc(doc, DocKind::Issue, site, body.as_bytes(), &[])
                                .unwrap();
                            puts.push((doc, seq));
                        }
                        // Every fifth transaction is rolled back.
                        if i % 5 == 4 {
                            drop(txn);
                        } else {
                            txn.commit().unwrap();
                            mine.extend(puts);
                        }
                    }
                    mine
                })
            })
            .collect();
        let reads: Vec<_> = readers
            .iter()
            .map(|store| {
                let writing = &writing;
                scope.spawn(move || {
                    let mut cursor = 0;
                    let mut seen = Vec::new();
                    loop {
                        // Read once more after the writers stopped: then it is complete.
                        let last = !writing.load(Ordering::SeqCst);
                        loop {
                            let page = store
                                .read()
                                .unwrap()
                                .changed_since(&[site], cursor, 7)
                                .unwrap();
                            let Some(&(_, _, top)) = page.last() else {
                                break;
                            };
                            seen.extend(page.into_iter().map(|(d, _, s)| (d, s)));
                            cursor = top;
                        }
                        if last {
                            return seen;
                        }
                        std::thread::yield_now();
                    }
                })
            })
            .collect();
        let committed: Vec<(DocId, u64)> =
            writes.into_iter().flat_map(|h| h.join().unwrap()).collect();
        writing.store(false, Ordering::SeqCst);
        let seen: Vec<Vec<(DocId, u64)>> = reads.into_iter().map(|h| h.join().unwrap()).collect();
        (committed, seen)
    });
    let committed_set: HashSet<(DocId, u64)> = committed.iter().copied().collect();
    assert!(committed.len() > 300, "{} committed", committed.len());
    for (r, seen) in seen.iter().enumerate() {
        assert!(
            seen.windows(2).all(|w| w[0].1 < w[1].1),
            "reader {r}: every change once, in order"
        );
        for s in seen {
            assert!(
                committed_set.contains(s),
                "reader {r} saw {s:?}, never committed"
            );
        }
        let mut latest: HashMap<DocId, u64> = HashMap::new();
        for (d, s) in seen {
            latest.insert(*d, *s);
        }
        for (d, s) in &committed {
            assert!(
                latest.get(d).is_some_and(|l| l >= s),
                "reader {r} skipped {d} at {s}"
            );
        }
    }
}

#[test]
fn a_cursor_never_skips_nor_repeats_a_change_under_concurrent_writers_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    cursor_never_skips_nor_repeats(sqlite_handles(dir.path(), 6));
}

/// `n` handles on one fresh PostgreSQL database, as `n` replicas hold it.
fn pg_handles(cluster: &tests::pg::PgCluster, n: usize) -> Vec<Arc<dyn Store>> {
    let url = cluster.database();
    (0..n)
        .map(|_| Arc::new(PgStore::open(&url).unwrap()) as Arc<dyn Store>)
        .collect()
}

#[test]
fn a_cursor_never_skips_nor_repeats_a_change_under_concurrent_writers_on_postgres() {
    let cluster = tests::pg::PgCluster::start();
    cursor_never_skips_nor_repeats(pg_handles(&cluster, 6));
}

/// Connections the store holds open to its database right now (its pool's,
/// idle or busy), counted by the database.
fn backends(url: &str) -> i64 {
    let mut admin = postgres::Client::connect(url, postgres::NoTls).unwrap();
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()
                AND backend_type = 'client backend'",
            &[],
        )
        .unwrap()
        .get(0)
}

/// A replica keeps no more connections than it is given
/// (`--database-connections`): eight threads share two, and with room for
/// eight, eight holding a transaction at once each have their own.
#[test]
fn a_store_keeps_no_more_connections_than_it_is_given_on_postgres() {
    let cluster = tests::pg::PgCluster::start();
    let url = cluster.database();
    let store = PgStore::open_with(&url, 2).unwrap();
    std::thread::scope(|s| {
        for t in 0..8 {
            let store = &store;
            s.spawn(move || {
                for i in 0..25 {
                    let mut txn = store.begin().unwrap();
                    txn.put_meta(&format!("k{t}"), &[i]).unwrap();
                    txn.commit().unwrap();
                    assert_eq!(
                        store.read().unwrap().meta(&format!("k{t}")).unwrap(),
                        Some(vec![i])
                    );
                }
            });
        }
    });
    let open = backends(&url);
    assert!((1..=2).contains(&open), "{open} connections open");
    drop(store);

    // A database of its own: the connections just closed may still be listed.
    let url = cluster.database();
    let store = PgStore::open_with(&url, 8).unwrap();
    let all_in = std::sync::Barrier::new(9);
    let done = std::sync::Barrier::new(9);
    std::thread::scope(|s| {
        for _ in 0..8 {
            let (store, all_in, done) = (&store, &all_in, &done);
            s.spawn(move || {
                let mut txn = store.read().unwrap();
                txn.meta("k0").unwrap();
                all_in.wait();
                done.wait();
            });
        }
        all_in.wait();
        assert_eq!(
            backends(&url),
            8,
            "eight transactions at once, eight connections"
        );
        done.wait();
    });
}

/// Holders on their own handles (replicas) racing for a free lease: exactly
/// one gets it each time; the holder renews; another takes it once it ran out.
fn one_lease_holder(stores: Vec<Arc<dyn Store>>) {
    let t0 = chrono::Utc::now();
    for round in 0..20i64 {
        let at = t0 + chrono::Duration::minutes(round);
        let won: Vec<usize> = std::thread::scope(|scope| {
            let handles: Vec<_> = stores
                .iter()
                .enumerate()
                .map(|(i, store)| {
                    scope.spawn(move || {
                        let mut txn = store.begin().unwrap();
                        let got = txn
                            .take_lease(
                                "reminders",
                                &format!("replica-{i}"),
                                at,
                                at + chrono::Duration::seconds(30),
                            )
                            .unwrap();
                        txn.commit().unwrap();
                        got.then_some(i)
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().unwrap())
                .collect()
        });
        assert_eq!(won.len(), 1, "round {round}: {won:?}");
        let holder = format!("replica-{}", won[0]);
        let other = format!("replica-{}", (won[0] + 1) % stores.len());
        let mut txn = stores[0].begin().unwrap();
        let later = at + chrono::Duration::seconds(10);
        assert!(
            !txn.take_lease(
                "reminders",
                &other,
                later,
                later + chrono::Duration::seconds(30)
            )
            .unwrap()
        );
        assert!(
            txn.take_lease(
                "reminders",
                &holder,
                later,
                later + chrono::Duration::seconds(30)
            )
            .unwrap()
        );
        txn.commit().unwrap();
    }
}

#[test]
fn one_replica_holds_a_lease_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    one_lease_holder(sqlite_handles(dir.path(), 4));
}

#[test]
fn one_replica_holds_a_lease_on_postgres() {
    let cluster = tests::pg::PgCluster::start();
    one_lease_holder(pg_handles(&cluster, 4));
}

/// A read transaction cannot write; a write transaction's changes are seen
/// by the next only once committed; one dropped is rolled back.
fn reads_and_rollbacks(store: Arc<dyn Store>) {
    let site = SiteId::from_uuid(uuid::Uuid::now_v7());
    let doc = DocId::from_uuid(uuid::Uuid::now_v7());
    {
        let mut read = store.read().unwrap();
        assert!(
            read.put_doc(doc, DocKind::Issue, site, b"x", &[]).is_err(),
            "a read transaction refuses a write"
        );
    }
    let mut txn = store.begin().unwrap();
    txn.put_doc(doc, DocKind::Issue, site, b"first", &[])
        .unwrap();
    drop(txn);
    assert!(
        store.read().unwrap().doc(doc).unwrap().is_none(),
        "rolled back"
    );
    let mut txn = store.begin().unwrap();
    let seq = txn
        .put_doc(doc, DocKind::Issue, site, b"second", &[1; 32])
        .unwrap();
    txn.put_meta("k", b"v").unwrap();
    txn.commit().unwrap();
    let mut read = store.read().unwrap();
    let got = read.doc(doc).unwrap().unwrap();
    assert_eq!(
        (got.bytes.as_slice(), got.seq, got.site),
        (&b"second"[..], seq, site)
    );
    assert_eq!(read.meta("k").unwrap().as_deref(), Some(&b"v"[..]));
    assert_eq!(read.max_seq().unwrap(), seq);
}

#[test]
fn reads_and_rollbacks_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    reads_and_rollbacks(sqlite_handles(dir.path(), 1).remove(0));
}

#[test]
fn reads_and_rollbacks_on_postgres() {
    let cluster = tests::pg::PgCluster::start();
    reads_and_rollbacks(pg_handles(&cluster, 1).remove(0));
}

/// The batched reads and writes a sync round makes: documents, a device's
/// sync states and receipts of several documents at once, each found once,
/// the unknown left out, a second write replacing the first.
fn batches(store: Arc<dyn Store>) {
    let site = SiteId::from_uuid(uuid::Uuid::now_v7());
    let device = shared::ids::DeviceId::from_uuid(uuid::Uuid::now_v7());
    let other = shared::ids::DeviceId::from_uuid(uuid::Uuid::now_v7());
    let [a, b, unknown] = [(); 3].map(|_| DocId::from_uuid(uuid::Uuid::now_v7()));
    let state = |byte: u8, pending: bool| sync_server::store::StoredState {
        state: vec![byte; 3],
        pending,
    };
    let (ea, eb1, eb2) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    let mut txn = store.begin().unwrap();
    let seq_a = txn
        .put_doc(a, DocKind::Issue, site, b"a", &[1; 32])
        .unwrap();
    let seq_b = txn
        .put_doc(b, DocKind::Patrol, site, b"b", &[2; 32])
        .unwrap();
    txn.put_sync_states(device, &[(a, state(1, true)), (b, state(2, false))])
        .unwrap();
    txn.put_sync_states(other, &[(a, state(9, false))]).unwrap();
    txn.put_sync_states(device, &[]).unwrap();
    let now = chrono::Utc::now();
    for (e, d) in [(ea, a), (eb1, b), (eb2, b)] {
        assert!(txn.put_receipt(e, d, now).unwrap());
    }
    txn.commit().unwrap();

    let mut read = store.read().unwrap();
    let docs = read.docs(&[a, unknown, b]).unwrap();
    assert_eq!(docs.len(), 2, "the unknown document is left out");
    assert_eq!(
        (&docs[&a].bytes[..], docs[&a].seq, docs[&a].kind),
        (&b"a"[..], seq_a, DocKind::Issue)
    );
    assert_eq!(
        (&docs[&b].bytes[..], docs[&b].seq, &docs[&b].heads[..]),
        (&b"b"[..], seq_b, &[2u8; 32][..])
    );
    assert!(read.docs(&[]).unwrap().is_empty());
    let heads = read.doc_heads(&[a, unknown, b]).unwrap();
    assert_eq!(heads.len(), 2, "the unknown document is left out");
    assert_eq!(
        (
            &heads[&a].heads[..],
            heads[&a].seq,
            heads[&a].size,
            heads[&a].site
        ),
        (&[1u8; 32][..], seq_a, 1, site)
    );
    assert_eq!(
        (heads[&b].kind, heads[&b].seq, heads[&b].size),
        (DocKind::Patrol, seq_b, 1)
    );
    assert!(read.doc_heads(&[]).unwrap().is_empty());
    let states = read.sync_states(device, &[a, b, unknown]).unwrap();
    assert_eq!(states.len(), 2);
    assert_eq!(
        (&states[&a].state[..], states[&a].pending),
        (&[1u8; 3][..], true)
    );
    assert_eq!(
        (&states[&b].state[..], states[&b].pending),
        (&[2u8; 3][..], false)
    );
    let theirs = read.sync_states(other, &[a, b]).unwrap();
    assert_eq!(theirs.len(), 1, "another device's states are its own");
    assert_eq!(&theirs[&a].state[..], &[9u8; 3][..]);
    let mut receipts: Vec<uuid::Uuid> = read
        .receipts_of(&[a, b, unknown])
        .unwrap()
        .into_iter()
        .map(|r| r.entry)
        .collect();
    receipts.sort();
    let mut want = vec![ea, eb1, eb2];
    want.sort();
    assert_eq!(receipts, want);
    assert!(read.receipts_of(&[]).unwrap().is_empty());
    drop(read);

    let mut txn = store.begin().unwrap();
    txn.put_sync_states(device, &[(b, state(3, true)), (unknown, state(4, false))])
        .unwrap();
    txn.commit().unwrap();
    let states = store
        .read()
        .unwrap()
        .sync_states(device, &[a, b, unknown])
        .unwrap();
    assert_eq!(states.len(), 3);
    assert_eq!(
        (&states[&b].state[..], states[&b].pending),
        (&[3u8; 3][..], true)
    );
    assert_eq!(&states[&a].state[..], &[1u8; 3][..], "untouched");
}

#[test]
fn batches_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    batches(sqlite_handles(dir.path(), 1).remove(0));
}

#[test]
fn batches_on_postgres() {
    let cluster = tests::pg::PgCluster::start();
    batches(pg_handles(&cluster, 1).remove(0));
}

/// A request's authentication reads the login, its user and the site it
/// works at in one call; a revoked or unknown token finds nobody.
fn logins(store: Arc<dyn Store>) {
    use sync_server::accounts;
    let now = chrono::Utc::now();
    let mut txn = store.begin().unwrap();
    let home = accounts::add_site(&mut *txn, "HOME", "本项目", now).unwrap();
    let away = accounts::add_site(&mut *txn, "AWAY", "外项目", now).unwrap();
    let user = accounts::add_user(
        &mut *txn,
        accounts::NewUser {
            name: "login1",
            display_name: None,
            role: shared::Role::Inspector,
            site: "HOME",
            password: "a-long-password",
            department: None,
        },
        now,
    )
    .unwrap();
    let (token, device, _) = accounts::issue_token(&mut *txn, &user, [7; 16], "平板", now)
        .unwrap()
        .unwrap();
    txn.commit().unwrap();

    let hash = accounts::token_hash(&token);
    let login = || {
        store
            .read()
            .unwrap()
            .login_by_token(&hash)
            .unwrap()
            .unwrap()
    };
    let (d, u, site) = login();
    assert_eq!(
        (d.id, d.user, d.actor, d.revoked),
        (device.id, user.id, [7; 16], false)
    );
    assert_eq!(
        (u.id, u.name.as_str(), u.site, site),
        (user.id, "login1", home.id, None)
    );
    assert!(
        store
            .read()
            .unwrap()
            .login_by_token(&[0; 32])
            .unwrap()
            .is_none()
    );
    let (_, at) = accounts::authenticate(&mut *store.read().unwrap(), &token, now)
        .unwrap()
        .unwrap();
    assert_eq!(at.site, home.id);

    let mut txn = store.begin().unwrap();
    txn.set_device_site(device.id, Some(away.id)).unwrap();
    txn.commit().unwrap();
    let (_, _, site) = login();
    assert_eq!(site, Some(away.id));
    assert!(
        accounts::authenticate(&mut *store.read().unwrap(), &token, now)
            .unwrap()
            .is_none(),
        "no role at the other site: the login does not hold there"
    );

    let mut txn = store.begin().unwrap();
    txn.set_device_site(device.id, None).unwrap();
    assert!(txn.revoke_device(device.id).unwrap());
    txn.commit().unwrap();
    let (d, _, _) = login();
    assert!(d.revoked);
    assert!(
        accounts::authenticate(&mut *store.read().unwrap(), &token, now)
            .unwrap()
            .is_none()
    );
}

#[test]
fn logins_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    logins(sqlite_handles(dir.path(), 1).remove(0));
}

#[test]
fn logins_on_postgres() {
    let cluster = tests::pg::PgCluster::start();
    logins(pg_handles(&cluster, 1).remove(0));
}

/// PostgreSQL aborts a transaction at its first failed statement, and a
/// `COMMIT` after it would quietly roll back: the store says so instead, and
/// nothing of the transaction is kept.
#[test]
fn a_transaction_with_a_failed_statement_does_not_claim_to_commit_on_postgres() {
    let cluster = tests::pg::PgCluster::start();
    let store = pg_handles(&cluster, 1).remove(0);
    let mut txn = store.begin().unwrap();
    sync_server::accounts::add_site(&mut *txn, "PG1", "一号项目", chrono::Utc::now()).unwrap();
    let site = txn.site_by_code("PG1").unwrap().unwrap();
    txn.commit().unwrap();
    let mut txn = store.begin().unwrap();
    txn.put_meta("before", b"1").unwrap();
    let e = txn.insert_site(&site).unwrap_err();
    assert!(
        e.to_string().contains("duplicate key"),
        "the database's own sentence is kept for the log: {e}"
    );
    assert!(txn.commit().is_err());
    assert!(store.read().unwrap().meta("before").unwrap().is_none());
    // The connection went back to the pool and works.
    let mut txn = store.begin().unwrap();
    txn.put_meta("after", b"2").unwrap();
    txn.commit().unwrap();
    assert!(store.read().unwrap().meta("after").unwrap().is_some());
}

/// The database restarted under a store with a pool of open connections:
/// the next transactions go through on new connections, none fails, and
/// what was committed before is there.
#[test]
fn a_restarted_database_costs_no_failed_transaction_on_postgres() {
    let cluster = tests::pg::PgCluster::start();
    let store = pg_handles(&cluster, 1).remove(0);
    // Several connections in the pool, all idle.
    let txns: Vec<_> = (0..4).map(|_| store.read().unwrap()).collect();
    drop(txns);
    let mut txn = store.begin().unwrap();
    txn.put_meta("before", b"1").unwrap();
    txn.commit().unwrap();
    cluster.restart();
    for i in 0..6 {
        let mut txn = store.begin().unwrap();
        txn.put_meta(&format!("after{i}"), b"2").unwrap();
        txn.commit().unwrap();
        assert!(store.read().unwrap().meta("before").unwrap().is_some());
    }
    store.ping().unwrap();
}

/// `PgStore::open`'s error as text (the store itself has no `Debug`).
fn refusal(url: &str) -> String {
    match PgStore::open(url) {
        Ok(_) => panic!("{url} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn postgres_over_tls_verifies_the_certificate_and_the_name() {
    let cluster = tests::pg::PgCluster::start();
    let db = cluster.database();
    let front = cluster.tls_front(&["127.0.0.1"]);
    let ca = front.ca.display().to_string();
    let verified = front.url(
        &db,
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let store = PgStore::open(&verified).expect("open over TLS");
    store.ping().expect("ping over TLS");
    let mut txn = store.begin().unwrap();
    txn.put_meta("over", b"tls").unwrap();
    txn.commit().unwrap();
    assert_eq!(
        store.read().unwrap().meta("over").unwrap().as_deref(),
        Some(&b"tls"[..])
    );
    // The pool's connection and the ping's each went through the front.
    let through = front.handshakes();
    assert!(through >= 2, "{through} handshakes");
    drop(store);

    // The system's roots do not know the test CA.
    let err = refusal(&front.url(&db, "127.0.0.1", "sslmode=require"));
    assert!(err.contains("UnknownIssuer"), "{err}");
    // Another CA's certificate is no proof either.
    let other = cluster.tls_front(&["127.0.0.1"]);
    let err = refusal(&front.url(
        &db,
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={}", other.ca.display()),
    ));
    assert!(err.contains("UnknownIssuer"), "{err}");
    // A good chain for another name: the connection's host is checked.
    let named = cluster.tls_front(&["db.example"]);
    let err = refusal(&named.url(
        &db,
        "127.0.0.1",
        &format!("sslmode=require&sslrootcert={}", named.ca.display()),
    ));
    assert!(err.contains("not valid for name \"127.0.0.1\""), "{err}");
    assert_eq!(named.handshakes(), 0, "no refused handshake completed");
    // Unusable settings are refused before any connection.
    let err = refusal(&front.url(&db, "127.0.0.1", "sslmode=sometimes"));
    assert!(err.contains("sslmode=sometimes"), "{err}");
    let err = refusal(&front.url(
        &db,
        "127.0.0.1",
        "sslmode=require&sslrootcert=/nonexistent/ca.pem",
    ));
    assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    assert_eq!(
        front.handshakes(),
        through,
        "no refused handshake completed"
    );

    // The server process takes the same URL: ready means its store answers over TLS.
    let data = tempfile::tempdir().unwrap();
    let env = [("SYNC_SERVER_DATABASE_URL".to_string(), verified)];
    let server =
        tests::ProcessServer::start_env(SERVER, data.path(), "127.0.0.1:0", &[], &env, None);
    let ready = reqwest::blocking::get(format!("{}/readyz", server.url)).unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    assert!(front.handshakes() > through);
}
