//! The server's half of the sync protocol as plain functions.
//!
//! Everything here works on documents and sync states the driver has loaded:
//! whether a message is a bare acknowledgement, what it does to a document
//! (applied to a copy, so a refused message leaves the stored one as it was),
//! and what to answer. The driver decides who may send what (policy), keeps
//! the cache, and stores the results in its transaction.

use crate::doc;
use crate::limits;
use automerge::sync::{Capability, Message, State, SyncDoc};
use automerge::{AutoCommit, ChangeHash};

/// Documents up to this size go to a device that holds nothing of them as
/// stored (uncompressed: Automerge compresses only columns of 256 bytes or
/// more, which an issue of a few events barely has); larger ones — the plan,
/// long patrol runs — are worth Automerge's compressed form on the wire.
pub const AS_STORED_BYTES: usize = 4096;

/// Why a message is refused for its document: by the protocol core (it
/// cannot be applied, or makes the document too large) or by the server's
/// policy checks, which share this type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub message: String,
    pub status: u16,
}

impl Refused {
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Refused {
        Refused {
            code,
            message: message.into(),
            status: 403,
        }
    }
    pub fn too_large(message: impl Into<String>) -> Refused {
        Refused {
            code: "too_large",
            message: message.into(),
            status: 413,
        }
    }
    pub fn malformed(message: impl Into<String>) -> Refused {
        Refused {
            code: "malformed",
            message: message.into(),
            status: 400,
        }
    }
}

impl From<doc::DocError> for Refused {
    fn from(e: doc::DocError) -> Self {
        match e {
            doc::DocError::Replaced(_) => Refused::forbidden("history_rewritten", e.to_string()),
            _ => Refused::malformed(format!("the document does not follow the schema: {e}")),
        }
    }
}

/// Change hashes from their stored form (concatenated 32-byte hashes).
pub fn heads_of(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .map(|c| ChangeHash(c.try_into().expect("32 bytes")))
        .collect()
}

/// A device's stored sync state made ready for a request (`fresh` when there
/// is none or it does not decode). Strict request/response: nothing of ours
/// is in flight when the device speaks, and a lost response must be sent
/// again rather than assumed delivered.
pub fn restore(stored: Option<&[u8]>, fresh: fn() -> State) -> State {
    let mut state = stored.and_then(doc::decode_state).unwrap_or_else(fresh);
    state.in_flight = false;
    state.sent_hashes.clear();
    state
}

/// Whether `msg` only acknowledges exactly what the server holds (`heads`,
/// stored form), so it can be recorded without loading the document.
pub fn is_acknowledgement(msg: &Message, heads: &[u8], state: &State) -> bool {
    msg.changes.is_empty()
        && msg.need.is_empty()
        && state.have_responded
        && doc::heads_bytes(&msg.heads) == heads
}

/// Records an acknowledgement ([`is_acknowledgement`]).
pub fn acknowledge(state: &mut State, msg: Message) {
    doc::acknowledge(state, msg.heads, msg.have);
}

/// Whether the device already holds exactly `heads` (stored form) and has
/// been answered: nothing to send, no need to load the document.
pub fn in_step(state: &State, heads: &[u8]) -> bool {
    state.have_responded && state.their_heads.as_deref() == Some(heads_of(heads).as_slice())
}

/// What a device's message did to a document.
pub struct Applied {
    /// The document with the message applied.
    pub doc: AutoCommit,
    pub state: State,
    /// When the message carried changes and the copy was asked for, they
    /// were applied to a copy: this is the document as it was. `None`: the
    /// message carried none (heads, needs, a Bloom filter) and `doc` is the
    /// document as it was, or no copy was asked for.
    pub before: Option<AutoCommit>,
    /// The document's heads before the message.
    pub heads_before: Vec<ChangeHash>,
    /// The hash of each change new to the server (empty: it had them all).
    pub new: Vec<ChangeHash>,
    /// `doc`, saved uncompressed, when there were new changes.
    pub saved: Option<Vec<u8>>,
}

/// Applies a device's message to `doc` (a fresh document when the server
/// has none). A message Automerge cannot apply — or that makes it panic, as a
/// counter pushed past `i64::MAX` does in builds with overflow checks — and
/// changes that would make the document larger than
/// [`limits::DOC_BYTES`] are refused.
///
/// `keep_before`: apply the changes to a copy and return the document as it
/// was in [`Applied::before`], for checks that compare the two. Without it
/// the changes are applied in place (no copy to make), and a refused message
/// leaves `doc` half-applied: the caller must then drop it and keep the
/// stored version.
pub fn apply(
    mut doc: AutoCommit,
    mut state: State,
    msg: Message,
    keep_before: bool,
) -> Result<Applied, Refused> {
    let heads_before = doc.get_heads();
    if msg.changes.is_empty() {
        doc.sync()
            .receive_sync_message(&mut state, msg)
            .map_err(|e| Refused::malformed(format!("the sync message cannot be applied: {e}")))?;
        return Ok(Applied {
            doc,
            state,
            before: None,
            heads_before,
            new: Vec::new(),
            saved: None,
        });
    }
    let (mut after, before) = if keep_before {
        (doc.fork(), Some(doc))
    } else {
        (doc, None)
    };
    let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        after.sync().receive_sync_message(&mut state, msg)
    }));
    match applied {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            return Err(Refused::malformed(format!(
                "the changes cannot be applied: {e}"
            )));
        }
        Err(_) => {
            return Err(Refused::malformed(
                "the changes cannot be applied: the document engine could not apply them",
            ));
        }
    }
    // Only the new changes' hashes are needed: metadata, not re-encoded changes.
    let new: Vec<ChangeHash> = after
        .get_changes_meta(&heads_before)
        .into_iter()
        .map(|m| m.hash)
        .collect();
    let saved = if new.is_empty() {
        None
    } else {
        let saved = after.save_nocompress();
        if saved.len() > limits::DOC_BYTES {
            return Err(Refused::too_large(format!(
                "a document may be at most {} bytes; this change would make it {}",
                limits::DOC_BYTES,
                saved.len()
            )));
        }
        Some(saved)
    };
    Ok(Applied {
        doc: after,
        state,
        before,
        heads_before,
        new,
        saved,
    })
}

/// The message for a device that holds nothing of a small document, made
/// from its stored bytes and heads without loading it; `None` when the
/// document is larger than [`AS_STORED_BYTES`] or the device holds some of it.
pub fn answer_as_stored(state: &mut State, heads: &[u8], bytes: &[u8]) -> Option<Message> {
    if bytes.len() > AS_STORED_BYTES || !doc::peer_is_empty(state) {
        return None;
    }
    Some(doc::whole_document(state, heads_of(heads), bytes.to_vec()))
}

/// The next message for a device in `state`. A device that already holds the
/// document gets the missing changes one by one (message format v1) rather
/// than a recompressed copy of the whole document. What a device claims to
/// have (its Bloom filter) comes from the device: one whose parameters make
/// the engine panic (a division by zero) starts the exchange over from a
/// fresh state instead of failing the request.
pub fn answer(doc: &mut AutoCommit, state: &mut State) -> Option<Message> {
    if state.their_heads.as_ref().is_some_and(|h| !h.is_empty()) {
        state.their_capabilities = Some(vec![Capability::MessageV1, Capability::SyncReset]);
    }
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        doc.sync().generate_sync_message(state)
    })) {
        Ok(msg) => msg,
        Err(_) => {
            *state = State::new();
            doc.sync().generate_sync_message(state)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    fn device_message(device: &mut AutoCommit, state: &mut State) -> Message {
        doc::send_changes_only(state);
        device.sync().generate_sync_message(state).unwrap()
    }

    #[test]
    fn changes_apply_to_a_copy_and_name_the_new_ones() {
        let mut device = AutoCommit::new().with_actor(doc::actor([9; 16]));
        device.put(automerge::ROOT, "k", "v").unwrap();
        let mut dstate = doc::state_for_empty_peer();
        let msg = device_message(&mut device, &mut dstate);
        let applied = apply(
            AutoCommit::new(),
            restore(None, State::new),
            msg.clone(),
            true,
        )
        .unwrap();
        let Applied {
            doc: mut after,
            before: Some(mut before),
            new,
            saved,
            ..
        } = applied
        else {
            panic!("the message carried changes");
        };
        assert!(before.get_heads().is_empty(), "the original is untouched");
        assert_eq!(after.get_heads(), device.get_heads());
        assert_eq!(new, device.get_heads(), "the one change the device made");
        assert_eq!(
            AutoCommit::load(&saved.unwrap()).unwrap().get_heads(),
            device.get_heads()
        );
        // Without a copy asked for: applied in place, nothing kept of before.
        let mut applied = apply(AutoCommit::new(), restore(None, State::new), msg, false).unwrap();
        assert!(applied.before.is_none());
        assert_eq!(applied.doc.get_heads(), device.get_heads());
        assert_eq!(applied.new, device.get_heads());
    }

    #[test]
    fn a_document_grown_past_the_limit_is_refused() {
        let mut device = AutoCommit::new().with_actor(doc::actor([8; 16]));
        let noise: String = (0..limits::DOC_BYTES + 1024)
            .map(|i| char::from(b'a' + (i * 7919 % 26) as u8))
            .collect();
        device.put(automerge::ROOT, "k", noise).unwrap();
        let mut dstate = doc::state_for_empty_peer();
        let msg = device_message(&mut device, &mut dstate);
        let refused = apply(AutoCommit::new(), State::new(), msg, false)
            .err()
            .unwrap();
        assert_eq!((refused.code, refused.status), ("too_large", 413));
    }

    #[test]
    fn a_stored_state_starts_with_nothing_in_flight_and_a_bare_acknowledgement_is_seen() {
        let mut server = AutoCommit::new();
        server.put(automerge::ROOT, "k", 1).unwrap();
        let heads = doc::heads_bytes(&server.get_heads());
        let mut s = State::new();
        s.in_flight = true;
        s.sent_hashes.insert(server.get_heads()[0]);
        s.have_responded = true;
        let s = restore(Some(&doc::encode_state(&s)), State::new);
        assert!(!s.in_flight && s.sent_hashes.is_empty());
        let ack = Message {
            heads: server.get_heads(),
            need: vec![],
            have: vec![],
            changes: automerge::sync::ChunkList::empty(),
            flags: None,
            version: automerge::sync::MessageVersion::V1,
        };
        assert!(is_acknowledgement(&ack, &heads, &s));
        assert!(!is_acknowledgement(&ack, &heads[..0], &s));
    }
}
