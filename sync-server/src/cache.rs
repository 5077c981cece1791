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
    max_weight: usize,
}

#[derive(Default)]
struct Inner {
    docs: HashMap<DocId, (u64, AutoCommit, usize)>,
    order: VecDeque<DocId>,
    weight: usize,
}

/// Estimated memory of a parsed document from its saved (uncompressed) size:
/// measured here at about 6–8× for issue documents, plus a fixed overhead.
pub fn weight_of(saved_bytes: usize) -> usize {
    saved_bytes.saturating_mul(8).saturating_add(4096)
}

impl DocCache {
    /// At most `capacity` documents and [`shared::limits::CACHE_BYTES`] of estimated memory.
    pub fn new(capacity: usize) -> DocCache {
        DocCache::with_weight(capacity, shared::limits::CACHE_BYTES)
    }

    pub fn with_weight(capacity: usize, max_weight: usize) -> DocCache {
        DocCache {
            inner: Mutex::new(Inner::default()),
            capacity,
            max_weight,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the document out if the cached version is `seq`.
    pub fn take(&self, id: DocId, seq: u64) -> Option<AutoCommit> {
        let mut inner = self.lock();
        match inner.docs.remove(&id) {
            Some((s, d, w)) => {
                inner.weight -= w;
                (s == seq).then_some(d)
            }
            None => None,
        }
    }

    /// Keeps a document as version `seq`, evicting the oldest entries beyond capacity.
    /// `weight`: see [`weight_of`]; a document heavier than the whole cache is not kept.
    pub fn put(&self, id: DocId, seq: u64, doc: AutoCommit, weight: usize) {
        if self.capacity == 0 || weight > self.max_weight {
            return;
        }
        let mut inner = self.lock();
        match inner.docs.insert(id, (seq, doc, weight)) {
            None => inner.order.push_back(id),
            Some((_, _, w)) => inner.weight -= w,
        }
        inner.weight += weight;
        while inner.docs.len() > self.capacity || inner.weight > self.max_weight {
            match inner.order.pop_front() {
                Some(old) => {
                    if let Some((_, _, w)) = inner.docs.remove(&old) {
                        inner.weight -= w;
                    }
                }
                None => break,
            }
        }
        if inner.order.len() > 2 * self.capacity {
            let Inner { docs, order, .. } = &mut *inner;
            order.retain(|id| docs.contains_key(id));
        }
    }

    /// Estimated memory held, in bytes.
    pub fn weight(&self) -> usize {
        self.lock().weight
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.docs.clear();
        inner.order.clear();
        inner.weight = 0;
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
        cache.put(a, 1, AutoCommit::new(), 1);
        assert!(cache.take(a, 2).is_none(), "another version is a miss");
        assert!(cache.take(a, 1).is_none(), "a miss drops the stale entry");
        cache.put(a, 1, AutoCommit::new(), 1);
        cache.put(b, 1, AutoCommit::new(), 1);
        cache.put(c, 1, AutoCommit::new(), 1);
        assert_eq!(cache.len(), 2);
        assert!(cache.take(a, 1).is_none(), "the oldest was evicted");
        assert!(cache.take(c, 1).is_some());
    }

    #[test]
    fn memory_is_bounded_by_weight_not_only_by_count() {
        let cache = DocCache::with_weight(1000, 100);
        let ids: Vec<DocId> = (0..5).map(|_| DocId::new()).collect();
        for id in &ids {
            cache.put(*id, 1, AutoCommit::new(), 40);
        }
        assert_eq!(cache.len(), 2, "two of 40 fit in 100");
        assert!(cache.weight() <= 100);
        cache.put(DocId::new(), 1, AutoCommit::new(), 101);
        assert_eq!(
            cache.len(),
            2,
            "a document heavier than the cache is not kept"
        );
        cache.clear();
        assert_eq!(cache.weight(), 0);
    }
}
