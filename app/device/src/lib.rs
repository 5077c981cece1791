//! The device core: everything an inspector's tablet or a field worker's phone
//! does, without any UI.
//!
//! Every user action is one SQLite transaction with `synchronous=FULL` that
//! stores the Automerge change and refreshes the list projections; the sync
//! client later reconciles dirty documents with the server. The `inspect` CLI
//! (see [`cli`]) and the Tauri shell are thin layers over [`Device`].

pub mod analytics;
pub mod app;
pub mod cli;
pub mod contacts;
pub mod device;
pub mod error;
pub mod net;
pub mod notifications;
pub mod photos;
pub mod store;
pub mod surveys;
pub mod sync;

pub use device::{Device, RaiseInput};
pub use error::DeviceError;
pub use net::{SyncError, SyncOptions};
pub use photos::{PhotoStatus, UploadProgress, UploadReport};
pub use sync::SyncReport;
