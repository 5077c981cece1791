//! Measures the changes of an incoming sync message before Automerge parses
//! or applies them.
//!
//! Automerge inflates a compressed change with no bound and walks every
//! operation of a change while parsing it, and a run-length-encoded column can
//! declare billions of operations in a few bytes. So each change chunk is read
//! here first, from its raw bytes: its type (documents are only ever sent by
//! the server, never accepted from a device), its size after inflating (read
//! through a bounded reader), and the number of rows each operation column
//! holds (summed from the run lengths, nothing expanded). Anything over
//! [`shared::limits`] is refused before Automerge sees it. A change within the
//! limits is then parsed (not applied) to refuse counters, which no schema has.

use shared::limits;
use std::io::Read;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_DOCUMENT: u8 = 0;
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;

/// What one request may still bring.
#[derive(Debug, Clone)]
pub struct Budget {
    pub ops: usize,
    pub bytes: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            ops: limits::OPS_PER_REQUEST,
            bytes: limits::CHANGE_BYTES_PER_REQUEST,
        }
    }
}

/// Why a change was refused, in a sentence for the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkError {
    Malformed(String),
    TooLarge(String),
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn eof(&self) -> bool {
        self.at >= self.b.len()
    }
    fn bad(&self, what: &str) -> ChunkError {
        ChunkError::Malformed(format!("a change is cut short or malformed ({what})"))
    }
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ChunkError> {
        let end = self.at.checked_add(n).ok_or_else(|| self.bad(what))?;
        let s = self.b.get(self.at..end).ok_or_else(|| self.bad(what))?;
        self.at = end;
        Ok(s)
    }
    fn uleb(&mut self, what: &str) -> Result<u64, ChunkError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.take(1, what)?.first().expect("one byte");
            v |= u64::from(byte & 0x7f)
                .checked_shl(shift)
                .ok_or_else(|| self.bad(what))?;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.bad(what))
    }
    fn sleb(&mut self, what: &str) -> Result<i64, ChunkError> {
        let mut v: i64 = 0;
        let mut shift = 0;
        loop {
            let byte = *self.take(1, what)?.first().expect("one byte");
            if shift >= 64 {
                return Err(self.bad(what));
            }
            v |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    v |= -1i64 << shift;
                }
                return Ok(v);
            }
        }
    }
    fn len_prefixed(&mut self, what: &str) -> Result<&'a [u8], ChunkError> {
        let n = self.uleb(what)?;
        self.take(usize::try_from(n).map_err(|_| self.bad(what))?, what)
    }
}

/// Checks every change of a message against the limits and the request's
/// remaining budget; returns them decoded.
pub fn inspect<'a>(
    changes: impl ExactSizeIterator<Item = &'a [u8]>,
    budget: &mut Budget,
) -> Result<Vec<automerge::ExpandedChange>, ChunkError> {
    let n = changes.len();
    if n > limits::CHANGES_PER_DOC {
        return Err(ChunkError::TooLarge(format!(
            "a document may bring at most {} changes per request ({n} sent); sync again for the rest",
            limits::CHANGES_PER_DOC
        )));
    }
    let mut decoded = Vec::with_capacity(n);
    for raw in changes {
        let change = plain_change(raw)?;
        if change.len() > budget.bytes {
            return Err(ChunkError::TooLarge(
                "the request's changes are larger than one request may carry".into(),
            ));
        }
        budget.bytes -= change.len();
        let ops = op_rows(&change)?;
        if ops > budget.ops {
            return Err(ChunkError::TooLarge(
                "the request carries more operations than one request may".into(),
            ));
        }
        budget.ops -= ops;
        decoded.push(no_counters(raw)?);
    }
    Ok(decoded)
}

/// Refuses a change that makes or increments a counter. No document's schema
/// has counters, and Automerge overflows (a panic where overflow is checked,
/// a wrapped value elsewhere) applying or reading a counter pushed past
/// `i64::MAX`. The change is within the limits by now, so Automerge may parse
/// it (without applying it) to list its operations; it returns them.
fn no_counters(raw: &[u8]) -> Result<automerge::ExpandedChange, ChunkError> {
    use automerge::ScalarValue;
    use automerge::legacy::OpType;
    // Automerge checks a change's columns when it reads one, but some values
    // it trusts: an operation naming an actor the change does not list, or an
    // actor index past u32, panics inside the engine while reading or
    // decoding. Such a change is malformed, and refused like one.
    let decoded =
        std::panic::catch_unwind(|| automerge::Change::try_from(raw).map(|change| change.decode()))
            .map_err(|_| {
                ChunkError::Malformed(
                    "a change names an actor it does not list, or an impossible one".into(),
                )
            })?
            .map_err(|e| ChunkError::Malformed(format!("a change cannot be read: {e}")))?;
    let counter = decoded.operations.iter().any(|op| {
        matches!(
            op.action,
            OpType::Increment(_) | OpType::Put(ScalarValue::Counter(_))
        )
    });
    if counter {
        return Err(ChunkError::Malformed(
            "counters are not part of any document: the change is refused".into(),
        ));
    }
    // No text of any document holds a NUL character (nor can PostgreSQL's
    // text columns): a change writing one, as a value or a key, is refused.
    let nul = decoded.operations.iter().any(|op| {
        matches!(&op.action, OpType::Put(ScalarValue::Str(s)) if s.contains('\0'))
            || matches!(&op.key, automerge::legacy::Key::Map(k) if k.contains('\0'))
    });
    if nul {
        return Err(ChunkError::Malformed(
            "a change writes a NUL character, which no text may hold: the change is refused".into(),
        ));
    }
    Ok(decoded)
}

/// The change's uncompressed bytes after the chunk header (inflated through a bounded reader).
fn plain_change(raw: &[u8]) -> Result<Vec<u8>, ChunkError> {
    let mut r = Reader { b: raw, at: 0 };
    if r.take(4, "magic")? != MAGIC {
        return Err(ChunkError::Malformed(
            "a change does not start with Automerge's magic bytes".into(),
        ));
    }
    r.take(4, "checksum")?;
    let kind = r.take(1, "chunk type")?[0];
    let len = r.uleb("chunk length")?;
    let data = r.take(
        usize::try_from(len).map_err(|_| r.bad("chunk length"))?,
        "chunk data",
    )?;
    if !r.eof() {
        return Err(ChunkError::Malformed(
            "a change has bytes after its end".into(),
        ));
    }
    let too_large = || {
        ChunkError::TooLarge(format!(
            "a change may be at most {} bytes uncompressed",
            limits::CHANGE_BYTES
        ))
    };
    match kind {
        CHUNK_CHANGE => {
            if data.len() > limits::CHANGE_BYTES {
                return Err(too_large());
            }
            Ok(data.to_vec())
        }
        CHUNK_COMPRESSED => {
            let mut out = Vec::new();
            flate2::read::DeflateDecoder::new(data)
                .take(limits::CHANGE_BYTES as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|_| {
                    ChunkError::Malformed("a compressed change does not inflate".into())
                })?;
            if out.len() > limits::CHANGE_BYTES {
                return Err(too_large());
            }
            Ok(out)
        }
        CHUNK_DOCUMENT => Err(ChunkError::Malformed(
            "a whole document was sent where changes were expected; update the app".into(),
        )),
        other => Err(ChunkError::Malformed(format!(
            "unknown Automerge chunk type {other}"
        ))),
    }
}

/// The most rows any operation column of a change declares, counted from its
/// run lengths without expanding them.
fn op_rows(change: &[u8]) -> Result<usize, ChunkError> {
    let mut r = Reader { b: change, at: 0 };
    let deps = r.uleb("dependencies")?;
    r.take(
        usize::try_from(deps)
            .ok()
            .and_then(|d| d.checked_mul(32))
            .ok_or_else(|| r.bad("dependencies"))?,
        "dependencies",
    )?;
    r.len_prefixed("actor")?;
    r.uleb("seq")?;
    r.uleb("start op")?;
    r.sleb("time")?;
    r.len_prefixed("message")?;
    let others = r.uleb("other actors")?;
    if others > 10_000 {
        return Err(ChunkError::TooLarge(
            "a change names too many actors".into(),
        ));
    }
    for _ in 0..others {
        r.len_prefixed("other actor")?;
    }
    let columns = r.uleb("columns")?;
    if columns > 64 {
        return Err(ChunkError::Malformed(
            "a change has too many columns".into(),
        ));
    }
    let mut specs = Vec::with_capacity(columns as usize);
    for _ in 0..columns {
        let spec = r.uleb("column spec")?;
        let len = r.uleb("column length")?;
        specs.push((
            spec,
            usize::try_from(len).map_err(|_| r.bad("column length"))?,
        ));
    }
    let mut most = 0usize;
    for (spec, len) in specs {
        let data = r.take(len, "column data")?;
        let rows = column_rows(spec as u8 & 0b111, data)?;
        if rows > limits::OPS_PER_CHANGE {
            return Err(ChunkError::TooLarge(format!(
                "a change may hold at most {} operations",
                limits::OPS_PER_CHANGE
            )));
        }
        most = most.max(rows);
    }
    Ok(most)
}

/// Rows of one column by its type: run-length (group, actor, integer, value
/// metadata: unsigned; delta: signed; string), boolean (alternating run
/// lengths), or raw value bytes (no rows of their own).
fn column_rows(kind: u8, data: &[u8]) -> Result<usize, ChunkError> {
    let mut r = Reader { b: data, at: 0 };
    let over = || {
        ChunkError::TooLarge(format!(
            "a change may hold at most {} operations",
            limits::OPS_PER_CHANGE
        ))
    };
    let mut rows: u64 = 0;
    let mut add = |n: u64| -> Result<(), ChunkError> {
        rows = rows.saturating_add(n);
        if rows > limits::OPS_PER_CHANGE as u64 {
            return Err(over());
        }
        Ok(())
    };
    match kind {
        7 => return Ok(0),
        4 => {
            while !r.eof() {
                add(r.uleb("boolean run")?)?;
            }
        }
        _ => {
            let value = |r: &mut Reader<'_>| -> Result<(), ChunkError> {
                match kind {
                    3 => r.sleb("value").map(|_| ()),
                    5 => r.len_prefixed("string").map(|_| ()),
                    _ => r.uleb("value").map(|_| ()),
                }
            };
            while !r.eof() {
                let count = r.sleb("run length")?;
                match count {
                    0 => add(r.uleb("null run")?)?,
                    c if c > 0 => {
                        add(c as u64)?;
                        value(&mut r)?;
                    }
                    c => {
                        let n = c.unsigned_abs();
                        add(n)?;
                        for _ in 0..n {
                            value(&mut r)?;
                        }
                    }
                }
            }
        }
    }
    Ok(rows as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    fn change_bytes(ops: usize) -> Vec<u8> {
        let mut d = AutoCommit::new();
        let list = d.put_object(ROOT, "l", automerge::ObjType::List).unwrap();
        for i in 0..ops {
            d.insert(&list, i, i as i64).unwrap();
        }
        d.commit();
        let mut changes = d.get_changes(&[]);
        changes[0].bytes().into_owned()
    }

    /// Found by fuzzing: a change whose operation names an actor index the
    /// change does not list passes Automerge's own reading, then panics when
    /// decoded; one naming an index past u32 panics while being read. Both
    /// requests are the fuzzer's inputs, kept in the corpus.
    #[test]
    fn a_change_naming_an_impossible_actor_is_refused_not_panicked() {
        for body in [
            &include_bytes!("../../tests/fuzz/corpus/sync_request/op-names-unlisted-actor")[..],
            &include_bytes!("../../tests/fuzz/corpus/sync_request/actor-index-past-u32")[..],
        ] {
            let req: shared::wire::SyncRequest = postcard::from_bytes(body).unwrap();
            let refused: Vec<ChunkError> = req
                .docs
                .iter()
                .filter_map(|m| automerge::sync::Message::decode(&m.msg).ok())
                .filter_map(|msg| inspect(msg.changes.iter(), &mut Budget::default()).err())
                .collect();
            assert!(
                refused
                    .iter()
                    .any(|e| matches!(e, ChunkError::Malformed(m) if m.contains("actor"))),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn honest_changes_are_measured_by_their_operations() {
        for ops in [1, 50, 3000] {
            let bytes = change_bytes(ops);
            let mut budget = Budget::default();
            assert_eq!(
                inspect([bytes.as_slice()].into_iter(), &mut budget).map(|c| c.len()),
                Ok(1)
            );
            let used = limits::OPS_PER_REQUEST - budget.ops;
            assert!(
                (ops..=ops + 2).contains(&used),
                "{ops} inserts + the list counted as {used}"
            );
        }
    }

    #[test]
    fn a_run_length_bomb_is_refused_without_expanding_it() {
        // One change whose action column claims 2^40 rows in a handful of bytes.
        let mut data = Vec::new();
        data.push(0); // no dependencies
        data.extend([1, 0xaa]); // actor
        data.extend([1, 1, 0, 0]); // seq, start op, time, message
        data.push(0); // no other actors
        data.push(1); // one column
        data.push(0x42); // action: integer column
        let mut col = Vec::new();
        leb(&mut col, 1u64 << 40);
        col.push(1);
        data.push(col.len() as u8);
        data.extend(&col);
        assert!(matches!(op_rows(&data), Err(ChunkError::TooLarge(_))));
    }

    fn leb(out: &mut Vec<u8>, mut v: u64) {
        // a positive signed LEB128 (the run length)
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 && byte & 0x40 == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    #[test]
    fn a_deflate_bomb_is_cut_at_the_limit() {
        use std::io::Write;
        let zeros = vec![0u8; limits::CHANGE_BYTES * 2];
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&zeros).unwrap();
        let deflated = enc.finish().unwrap();
        let mut raw = MAGIC.to_vec();
        raw.extend([0, 0, 0, 0, CHUNK_COMPRESSED]);
        let mut len = Vec::new();
        let mut n = deflated.len() as u64;
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                len.push(b);
                break;
            }
            len.push(b | 0x80);
        }
        raw.extend(len);
        raw.extend(&deflated);
        assert!(matches!(
            inspect([raw.as_slice()].into_iter(), &mut Budget::default()),
            Err(ChunkError::TooLarge(_))
        ));
        let mut doc_chunk = MAGIC.to_vec();
        doc_chunk.extend([0, 0, 0, 0, CHUNK_DOCUMENT, 0]);
        assert!(matches!(
            inspect([doc_chunk.as_slice()].into_iter(), &mut Budget::default()),
            Err(ChunkError::Malformed(_))
        ));
        assert!(matches!(
            inspect([&b"garbage"[..]].into_iter(), &mut Budget::default()),
            Err(ChunkError::Malformed(_))
        ));
    }
}
