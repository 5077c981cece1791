//! Default rectification deadlines by grade (整改时限), overridable per site.

use crate::codes::{Category, Grade};
use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A site's deadline rules. Times are computed in the site's local time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlinePolicy {
    /// Minutes east of UTC of the site's local time (Asia/Shanghai: 480).
    pub utc_offset_minutes: i32,
    /// `deadline` grade: this many days after the issue was raised.
    pub deadline_days: u32,
    /// `long_term` grade: this many days after the issue was raised.
    pub long_term_days: u32,
    /// A reminder goes out this many hours before an open issue's deadline.
    #[serde(default = "default_remind_hours")]
    pub remind_hours: u32,
}

fn default_remind_hours() -> u32 {
    4
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            utc_offset_minutes: 8 * 60,
            deadline_days: 3,
            long_term_days: 30,
            remind_hours: default_remind_hours(),
        }
    }
}

impl DeadlinePolicy {
    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
    }

    /// The service-level deadline of a complaint entered at `at`: a neighbour
    /// dispute is to be mediated within 48 hours, anything else solved within 24.
    pub fn complaint_deadline(&self, category: Category, at: DateTime<Utc>) -> DateTime<Utc> {
        at + Duration::hours(match category {
            Category::NeighbourDispute => 48,
            _ => 24,
        })
    }

    /// The default deadline for an issue of `grade` raised at `raised_at`:
    /// immediate = end of the same local day; deadline and long-term = N days later.
    pub fn default_deadline(&self, grade: Grade, raised_at: DateTime<Utc>) -> DateTime<Utc> {
        match grade {
            Grade::Immediate => {
                let local = raised_at.with_timezone(&self.offset());
                let next_midnight = local
                    .date_naive()
                    .succ_opt()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .and_then(|t| self.offset().from_local_datetime(&t).single());
                match next_midnight {
                    Some(t) => t.with_timezone(&Utc) - Duration::seconds(1),
                    None => raised_at + Duration::hours(24),
                }
            }
            Grade::Deadline => raised_at + Duration::days(self.deadline_days.into()),
            Grade::LongTerm => raised_at + Duration::days(self.long_term_days.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn immediate_ends_the_same_local_day_in_shanghai() {
        let p = DeadlinePolicy::default();
        // 23:30 UTC is 07:30 the next morning in Shanghai: end of *that* local day.
        assert_eq!(
            p.default_deadline(Grade::Immediate, t("2026-03-01T23:30:00Z")),
            t("2026-03-02T15:59:59Z")
        );
        assert_eq!(
            p.default_deadline(Grade::Immediate, t("2026-03-01T02:00:00Z")),
            t("2026-03-01T15:59:59Z")
        );
    }

    #[test]
    fn deadline_and_long_term_follow_the_site_policy() {
        let raised = t("2026-03-01T02:00:00Z");
        let p = DeadlinePolicy::default();
        assert_eq!(
            p.default_deadline(Grade::Deadline, raised),
            t("2026-03-04T02:00:00Z")
        );
        assert_eq!(
            p.default_deadline(Grade::LongTerm, raised),
            t("2026-03-31T02:00:00Z")
        );
        let custom = DeadlinePolicy {
            deadline_days: 7,
            ..p
        };
        assert_eq!(
            custom.default_deadline(Grade::Deadline, raised),
            t("2026-03-08T02:00:00Z")
        );
    }
}
