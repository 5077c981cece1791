//! `sync-server migrate --from DIR --to postgres://…`: an embedded
//! installation's database moves into PostgreSQL whole, and a server on the
//! new database answers as the old one did.

use std::process::Command;
use sync_server::store::{IssueQuery, Store};
use tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");

fn run(args: &[&str], env: &[(String, String)]) -> std::process::Output {
    Command::new(SERVER)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run sync-server")
}

/// What a store holds, as compared before and after a move: every site's
/// issues, ledger and patrols, every document with its number.
fn contents(store: &dyn Store) -> serde_json::Value {
    let mut txn = store.read().unwrap();
    let sites = txn.sites().unwrap();
    let mut out = Vec::new();
    for site in &sites {
        let issues = txn
            .list_issues(&IssueQuery {
                sites: vec![site.id],
                ..Default::default()
            })
            .unwrap();
        let ledger = txn.ledger_page(site.id, 0, 100_000).unwrap();
        let patrols = txn
            .list_patrols(site.id, chrono::DateTime::UNIX_EPOCH, 100_000)
            .unwrap();
        let users = txn.users_of_site(site.id).unwrap();
        let docs = txn.changed_since(&[site.id], 0, 100_000).unwrap();
        out.push(serde_json::json!({
            "site": site,
            "issues": comparable(&issues),
            "ledger": ledger.iter().map(|e| (&e.hash, e.n)).collect::<Vec<_>>(),
            "patrols": patrols,
            "users": users.iter().map(|u| (&u.name, &u.password_hash, u.role.code())).collect::<Vec<_>>(),
            "docs": docs.iter().map(|(d, k, s)| (d.to_string(), k.code(), s)).collect::<Vec<_>>(),
            "equipment": txn.equipment_of(site.id).unwrap(),
            "root_causes": txn.root_causes(site.id).unwrap(),
        }));
    }
    serde_json::json!({ "sites": out, "max_seq": txn.max_seq().unwrap(), "issues": txn.count_issues().unwrap() })
}

fn raise(d: &mut device::Device, title: &str) -> shared::IssueId {
    let input = finding(
        "CP-R01",
        shared::Category::HygieneDefect,
        shared::Grade::Deadline,
        title,
    );
    d.raise_issue(input, chrono::Utc::now()).unwrap()
}

#[test]
fn an_embedded_database_moves_into_postgresql_whole_and_is_served_from_there() {
    let data = tempfile::tempdir().unwrap();
    let seed = seed_with(SERVER, data.path());
    // A finding synced by a device before the move, so the move carries a
    // device's sync state and receipts as well as the demo's history.
    {
        let server = ProcessServer::start(SERVER, data.path(), "127.0.0.1:0");
        let dir = device_dir();
        let mut d = device(
            dir.path(),
            &server.url,
            "inspector1",
            &seed_password(&seed, "inspector1"),
        );
        raise(&mut d, "迁移前的发现");
        d.sync(&opts()).unwrap();
    }
    let before = contents(&sync_server::sqlite::SqliteStore::open(data.path()).unwrap());

    let cluster = tests::pg::PgCluster::start();
    let db = cluster.database();
    let from = data.path().to_str().unwrap();
    let out = run(&["migrate", "--from", from, "--to", &db], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("counted and checked"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let after = contents(&sync_server::pg::PgStore::open(&db).unwrap());
    assert_eq!(after, before, "the same contents on PostgreSQL");

    // Again into the same database: refused, nothing doubled.
    let again = run(&["migrate", "--from", from, "--to", &db], &[]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds data"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        contents(&sync_server::pg::PgStore::open(&db).unwrap()),
        before
    );

    // A server on the new database: the ledger verifies, old passwords log
    // in, and the tracker lists what it listed before; work goes on.
    let env = vec![("SYNC_SERVER_DATABASE_URL".to_string(), db.clone())];
    let verify = run(
        &["ledger", "verify", "--site", "DEMO", "--data-dir", from],
        &env,
    );
    assert!(
        verify.status.success() && String::from_utf8_lossy(&verify.stdout).contains("whole"),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let server = ProcessServer::start_env(SERVER, data.path(), "127.0.0.1:0", &[], &env, None);
    let token = login_token(&server.url, "manager1", &seed_password(&seed, "manager1"));
    let listed = server_issues(&server.url, &token);
    let demo = before["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["site"]["code"] == "DEMO")
        .unwrap();
    let mut served: Vec<String> = listed.iter().map(|s| s.id.to_string()).collect();
    let mut stored: Vec<String> = demo["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    served.sort();
    stored.sort();
    assert!(
        served == stored,
        "the tracker lists DEMO's issues as before"
    );
    let dir = device_dir();
    let mut d = device(
        dir.path(),
        &server.url,
        "inspector2",
        &seed_password(&seed, "inspector2"),
    );
    let id = raise(&mut d, "迁移后的发现");
    d.sync(&opts()).unwrap();
    assert!(
        server_issues(&server.url, &token)
            .iter()
            .any(|s| s.id == id)
    );
}

#[test]
fn a_missing_source_or_target_is_told_and_nothing_is_made() {
    let empty = tempfile::tempdir().unwrap();
    let cluster = tests::pg::PgCluster::start();
    let db = cluster.database();
    let out = run(
        &[
            "migrate",
            "--from",
            empty.path().to_str().unwrap(),
            "--to",
            &db,
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("there is no database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["migrate", "--from", empty.path().to_str().unwrap()], &[]);
    assert!(!out.status.success(), "a target is required");
    let wrong = cluster.url("no_such_database");
    let data = tempfile::tempdir().unwrap();
    seed_with(SERVER, data.path());
    let out = run(
        &[
            "migrate",
            "--from",
            data.path().to_str().unwrap(),
            "--to",
            &wrong,
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no_such_database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `sync-server backup` on PostgreSQL writes a `pg_dump` archive that
/// `pg_restore` reads back into an empty database with the same contents.
#[test]
fn a_postgresql_backup_restores_into_an_empty_database() {
    let cluster = tests::pg::PgCluster::start();
    let db = cluster.database();
    let env = vec![("SYNC_SERVER_DATABASE_URL".to_string(), db.clone())];
    let data = tempfile::tempdir().unwrap();
    seed_env(SERVER, data.path(), &env);
    let before = contents(&sync_server::pg::PgStore::open(&db).unwrap());
    let file = data.path().join("backup.dump");
    let dir = data.path().to_str().unwrap();
    let out = run(
        &["backup", "--data-dir", dir, "--to", file.to_str().unwrap()],
        &env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = run(
        &["backup", "--data-dir", dir, "--to", file.to_str().unwrap()],
        &env,
    );
    assert!(
        !again.status.success(),
        "an existing file is not overwritten"
    );
    let restored = cluster.database();
    let out = Command::new(cluster.bin("pg_restore"))
        .args(["--no-owner", "--dbname", &restored])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        contents(&sync_server::pg::PgStore::open(&restored).unwrap()),
        before
    );
}
