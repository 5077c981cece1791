//! The patrol-inspection domain, shared by the device, the sync server and the UI.
//!
//! Pure Rust, no I/O. Everything here compiles for native targets and for
//! `wasm32-unknown-unknown`; the Automerge document schema and id generation sit
//! behind the `doc` feature, which the UI does not enable.

/// A schema for types that travel as one string (codes, hashes, times of day).
#[cfg(feature = "openapi")]
macro_rules! string_schema {
    ($($t:ty => $name:literal, $desc:literal;)*) => {$(
        impl utoipa::PartialSchema for $t {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($desc))
                    .into()
            }
        }
        impl utoipa::ToSchema for $t {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($name)
            }
        }
    )*};
}

#[cfg(feature = "openapi")]
string_schema! {
    text::Code => "Code", "A short code typed by people: site, zone, point, route, item, user.";
    issue::PhotoHash => "PhotoHash", "SHA-256 of a photo, 64 lower-case hex characters.";
    schedule::TimeOfDay => "TimeOfDay", "A local time of day, HH:MM.";
    schedule::MonthDay => "MonthDay", "A month and day, MM-DD.";
}

pub mod app;
pub mod codes;
pub mod deadline;
pub mod equipment;
pub mod ids;
pub mod issue;
pub mod kpi;
pub mod limits;
pub mod patrol;
pub mod plan;
pub mod policy;
pub mod repeat;
pub mod schedule;
pub mod survey;
pub mod text;
pub mod walk;
pub mod wire;
pub mod workflow;

#[cfg(feature = "doc")]
pub mod doc;
#[cfg(feature = "doc")]
pub mod gzip;
#[cfg(feature = "doc")]
pub mod sync;

pub use codes::{Category, Department, Grade, Role, Status, ZoneKind};
pub use ids::*;
