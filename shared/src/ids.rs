//! Newtype identifiers (UUID v7), so that an issue id can never be passed where a user id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// The error for a string that is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid {what} id (expected a UUID)")]
pub struct IdParseError {
    pub what: &'static str,
    pub input: String,
}

impl crate::text::Bilingual for IdParseError {
    fn zh(&self) -> String {
        format!("“{}”不是有效的编号：请从列表中选择", self.input)
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id (UUID v7).
            #[cfg(feature = "doc")]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(Uuid::from_bytes(bytes))
            }
        }

        #[cfg(feature = "doc")]
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| IdParseError {
                    what: $what,
                    input: s.to_string(),
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

id_type!(
    /// A site (项目): one property.
    SiteId, "site"
);
id_type!(
    /// A zone (区域) of a site.
    ZoneId, "zone"
);
id_type!(
    /// A checkpoint (巡查点位).
    CheckpointId, "checkpoint"
);
id_type!(
    /// A checklist template (检查表模板); its versions share the id.
    TemplateId, "checklist template"
);
id_type!(
    /// A patrol route (巡查路线).
    RouteId, "route"
);
id_type!(
    /// One patrol run: one walk of a route by one inspector.
    PatrolRunId, "patrol run"
);
id_type!(
    /// One checkpoint result inside a patrol run.
    ResultId, "checkpoint result"
);
id_type!(
    /// An issue (问题).
    IssueId, "issue"
);
id_type!(
    /// One workflow event of an issue.
    EventId, "event"
);
id_type!(
    /// A user account.
    UserId, "user"
);
id_type!(
    /// A logged-in device (tablet, phone or browser session).
    DeviceId, "device"
);
id_type!(
    /// An Automerge document; equal to the id of the entity it holds.
    DocId, "document"
);

impl From<IssueId> for DocId {
    fn from(id: IssueId) -> Self {
        DocId(id.0)
    }
}
impl From<PatrolRunId> for DocId {
    fn from(id: PatrolRunId) -> Self {
        DocId(id.0)
    }
}
impl From<SiteId> for DocId {
    fn from(id: SiteId) -> Self {
        DocId(id.0)
    }
}
impl From<DocId> for IssueId {
    fn from(id: DocId) -> Self {
        IssueId(id.0)
    }
}
impl From<DocId> for PatrolRunId {
    fn from(id: DocId) -> Self {
        PatrolRunId(id.0)
    }
}
impl From<DocId> for SiteId {
    fn from(id: DocId) -> Self {
        SiteId(id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_reject_garbage() {
        let id = IssueId::from_uuid(Uuid::now_v7());
        assert_eq!(id.to_string().parse::<IssueId>().unwrap(), id);
        let err = "not-a-uuid".parse::<IssueId>().unwrap_err();
        assert!(err.to_string().contains("issue"), "{err}");
    }
}
