//! The patrol-inspection domain, shared by the device, the sync server and the UI.
//!
//! Pure Rust, no I/O. Everything here compiles for native targets and for
//! `wasm32-unknown-unknown`; the Automerge document schema and id generation sit
//! behind the `doc` feature, which the UI does not enable.

pub mod app;
pub mod codes;
pub mod deadline;
pub mod ids;
pub mod issue;
pub mod limits;
pub mod patrol;
pub mod plan;
pub mod policy;
pub mod repeat;
pub mod schedule;
pub mod text;
pub mod walk;
pub mod wire;
pub mod workflow;

#[cfg(feature = "doc")]
pub mod doc;

pub use codes::{Category, Department, Grade, Role, Status, ZoneKind};
pub use ids::*;
