//! The sync server: authenticates devices, reconciles their Automerge documents
//! with the central copies (checking every change against the sender's identity
//! and role), keeps the issue tracker's projections, and serves the API.
//!
//! Handlers only extract, call and map: the merge and validation logic lives in
//! [`sync`] and [`validate`], storage behind the [`store::Store`] trait.

pub mod accounts;
pub mod admin;
pub mod analytics;
pub mod api;
pub mod blobs;
pub mod cache;
pub mod chunks;
pub mod cli;
pub mod contacts;
pub mod equipment;
pub mod error;
pub mod forms;
pub mod guard;
pub mod jobs;
pub mod ledger;
pub mod metrics;
pub mod monthly;
pub mod net;
pub mod nul;
pub mod openapi;
pub mod patrols;
pub mod pg;
pub mod photos;
pub mod plan_csv;
pub mod planning;
pub mod qr;
pub mod rootcause;
pub mod s3blobs;
pub mod seed;
pub mod sheet;
pub mod sqlite;
pub mod store;
pub mod surveys;
pub mod sync;
pub mod tracker;
pub mod validate;

pub use api::{ServeOptions, app, serve, serve_on};
