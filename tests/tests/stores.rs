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
use sync_server::sqlite::SqliteStore;
use sync_server::store::Store;

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
