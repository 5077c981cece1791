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

#[cfg(feature = "doc")]
thread_local! {
    /// A seeded sequence of ids for this thread ([`seeded`]), and how many it gave.
    static SEQUENCE: std::cell::Cell<Option<(u64, u64)>> = const { std::cell::Cell::new(None) };
}

/// A fresh time-ordered id (UUID v7): from the clock and random bits, or —
/// inside [`seeded`] on this thread — the next of a sequence fixed by the
/// seed, so a simulation replays with the same ids, actors and hashes.
#[cfg(feature = "doc")]
pub fn fresh() -> Uuid {
    SEQUENCE.with(|s| match s.get() {
        None => Uuid::now_v7(),
        Some((seed, n)) => {
            s.set(Some((seed, n + 1)));
            let bits = splitmix(seed ^ splitmix(n));
            let more = splitmix(bits);
            let mut tail = [0u8; 10];
            tail[..8].copy_from_slice(&bits.to_le_bytes());
            tail[8..].copy_from_slice(&more.to_le_bytes()[..2]);
            // Milliseconds from an instant in 2026, one per id: ordered as v7 ids are.
            uuid::Builder::from_unix_timestamp_millis(1_780_000_000_000 + n, &tail).into_uuid()
        }
    })
}

/// Runs `f` with this thread's fresh ids drawn from a sequence fixed by
/// `seed` (for deterministic simulation; nothing else should call it).
#[cfg(feature = "doc")]
pub fn seeded<T>(seed: u64, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<(u64, u64)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SEQUENCE.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SEQUENCE.with(|s| s.replace(Some((seed, 0)))));
    f()
}

#[cfg(feature = "doc")]
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id (UUID v7; see [`fresh`]).
            #[cfg(feature = "doc")]
            pub fn new() -> Self {
                Self(fresh())
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
    fn a_seeded_sequence_repeats_is_ordered_and_ends_with_its_scope() {
        let run = || seeded(7, || (0..50).map(|_| IssueId::new()).collect::<Vec<_>>());
        let (a, b) = (run(), run());
        assert_eq!(a, b, "the same seed gives the same ids");
        assert!(a.windows(2).all(|w| w[0] < w[1]), "ids are ordered");
        assert!(a.iter().all(|id| id.as_uuid().get_version_num() == 7));
        assert_ne!(seeded(8, IssueId::new), a[0], "another seed, other ids");
        assert!(
            !a.contains(&IssueId::new()),
            "outside the scope ids are random again"
        );
    }

    #[test]
    fn ids_round_trip_through_strings_and_reject_garbage() {
        let id = IssueId::from_uuid(Uuid::now_v7());
        assert_eq!(id.to_string().parse::<IssueId>().unwrap(), id);
        let err = "not-a-uuid".parse::<IssueId>().unwrap_err();
        assert!(err.to_string().contains("issue"), "{err}");
    }
}
