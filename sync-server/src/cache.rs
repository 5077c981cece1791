//! A bounded cache of loaded documents, so a document taking part in several
//! rounds is not parsed again each time.
//!
//! Entries are keyed by document id *and* the change number the store gave
//! that version, so a document changed by anyone else (another process, the
//! admin CLI) is simply a miss. Callers clear the cache when a transaction
//! fails, so a version that was never committed cannot be served later.

use automerge::AutoCommit;
use shared::ids::DocId;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

pub struct DocCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

#[derive(Default)]
struct Inner {
    docs: HashMap<DocId, (u64, AutoCommit)>,
    order: VecDeque<DocId>,
}

impl DocCache {
    pub fn new(capacity: usize) -> DocCache {
        DocCache {
            inner: Mutex::new(Inner::default()),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the document out if the cached version is `seq`.
    pub fn take(&self, id: DocId, seq: u64) -> Option<AutoCommit> {
        let mut inner = self.lock();
        match inner.docs.remove(&id) {
            Some((s, d)) if s == seq => Some(d),
            _ => None,
        }
    }

    /// Keeps a document as version `seq`, evicting the oldest entries beyond capacity.
    pub fn put(&self, id: DocId, seq: u64, doc: AutoCommit) {
        if self.capacity == 0 {
            return;
        }
        let mut inner = self.lock();
        if inner.docs.insert(id, (seq, doc)).is_none() {
            inner.order.push_back(id);
        }
        while inner.docs.len() > self.capacity {
            match inner.order.pop_front() {
                Some(old) => {
                    inner.docs.remove(&old);
                }
                None => break,
            }
        }
        if inner.order.len() > 2 * self.capacity {
            let Inner { docs, order } = &mut *inner;
            order.retain(|id| docs.contains_key(id));
        }
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.docs.clear();
        inner.order.clear();
    }

    pub fn len(&self) -> usize {
        self.lock().docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_version_is_served_and_capacity_holds() {
        let cache = DocCache::new(2);
        let (a, b, c) = (DocId::new(), DocId::new(), DocId::new());
        cache.put(a, 1, AutoCommit::new());
        assert!(cache.take(a, 2).is_none(), "another version is a miss");
        assert!(cache.take(a, 1).is_none(), "a miss drops the stale entry");
        cache.put(a, 1, AutoCommit::new());
        cache.put(b, 1, AutoCommit::new());
        cache.put(c, 1, AutoCommit::new());
        assert_eq!(cache.len(), 2);
        assert!(cache.take(a, 1).is_none(), "the oldest was evicted");
        assert!(cache.take(c, 1).is_some());
    }
}
