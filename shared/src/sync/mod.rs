//! The sync protocol, written once and without I/O.
//!
//! [`device`] is the device's half: a session that decides what each
//! request says and turns each response into store writes. [`server`] is the
//! server's half: what a device's message does to a document, and what to
//! answer. Both take loaded documents and sync states and give back data;
//! the drivers (`device::sync` in the app, `sync_server::sync` on the
//! server, the simulation in the tests) load, carry, check policy and store.

pub mod device;
pub mod server;

pub use device::{
    Change, DocWrite, Held, MAX_ROUNDS, Next, RESPONSE_BYTES, Session, SessionError, Writes,
};
