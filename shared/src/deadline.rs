//! Default rectification deadlines by grade (整改时限), overridable per site,
//! and the service levels of residents' complaints (投诉时限) by kind and
//! urgency. Both are fixed when an issue is raised: assigning it later keeps
//! the promise made then.

use crate::codes::{Category, Grade, Urgency};
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
    /// A rectified issue still not verified after this many hours reminds the
    /// managers; after twice as long it escalates.
    #[serde(default = "default_wait_hours")]
    pub verify_hours: u32,
    /// A verified complaint still waiting for its call-back after this many
    /// hours reminds customer service.
    #[serde(default = "default_wait_hours")]
    pub callback_hours: u32,
    /// A root-cause task opened by a repeat or an unsatisfied resident is due
    /// for its analysis this many days after it opened.
    #[serde(default = "default_root_cause_days")]
    pub root_cause_days: u32,
    /// Equipment's maintenance and inspection (年检) due dates are reminded
    /// this many days ahead.
    #[serde(default = "default_equipment_remind_days")]
    pub equipment_remind_days: u32,
}

fn default_remind_hours() -> u32 {
    4
}

fn default_wait_hours() -> u32 {
    24
}

fn default_root_cause_days() -> u32 {
    7
}

fn default_equipment_remind_days() -> u32 {
    30
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            utc_offset_minutes: 8 * 60,
            deadline_days: 3,
            long_term_days: 30,
            remind_hours: default_remind_hours(),
            verify_hours: default_wait_hours(),
            callback_hours: default_wait_hours(),
            root_cause_days: default_root_cause_days(),
            equipment_remind_days: default_equipment_remind_days(),
        }
    }
}

impl DeadlinePolicy {
    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
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

/// One cell of a site's complaint service levels: a complaint of this kind
/// and urgency is answered (dispatched to a department) within
/// `respond_minutes` and resolved within `resolve_hours` of being entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaRule {
    pub category: Category,
    pub urgency: Urgency,
    pub respond_minutes: u32,
    pub resolve_hours: u32,
}

/// Longest response time a rule may give (a week).
pub const RESPOND_MINUTES_MAX: u32 = 7 * 24 * 60;
/// Longest resolution time a rule may give (90 days).
pub const RESOLVE_HOURS_MAX: u32 = 90 * 24;

impl SlaRule {
    /// Checks the rule's times make sense; the sentence says what to change.
    pub fn check(&self) -> Result<(), String> {
        self.check_in(false)
    }

    /// [`SlaRule::check`], saying why in Chinese when `zh`.
    pub fn check_in(&self, zh: bool) -> Result<(), String> {
        let what = format!("{} / {}", self.category.label_zh(), self.urgency.label_zh());
        let say = |en: String, cn: String| Err(if zh { cn } else { en });
        if self.respond_minutes == 0 || self.respond_minutes > RESPOND_MINUTES_MAX {
            return say(
                format!("{what}: the response time must be 1 to {RESPOND_MINUTES_MAX} minutes"),
                format!("{what}：响应时限应为 1 到 {RESPOND_MINUTES_MAX} 分钟"),
            );
        }
        if self.resolve_hours == 0 || self.resolve_hours > RESOLVE_HOURS_MAX {
            return say(
                format!("{what}: the resolution time must be 1 to {RESOLVE_HOURS_MAX} hours"),
                format!("{what}：解决时限应为 1 到 {RESOLVE_HOURS_MAX} 小时"),
            );
        }
        if u64::from(self.respond_minutes) > u64::from(self.resolve_hours) * 60 {
            return say(
                format!("{what}: the response time may not be longer than the resolution time"),
                format!("{what}：响应时限不能长于解决时限"),
            );
        }
        Ok(())
    }
}

/// A site's complaint service levels: kind × urgency → response and
/// resolution times. Cells a site has not set take [`ComplaintSla::standard`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintSla {
    /// The site's own cells; the rest are the standard ones.
    #[serde(default)]
    pub rules: Vec<SlaRule>,
}

impl ComplaintSla {
    /// The standard cell for a kind and urgency. From the training deck: a
    /// facility fault is resolved within 24 hours, a neighbour dispute
    /// mediated within 48; urgent complaints and the other kinds follow the
    /// same scale (hazards and order fastest, landscaping and other slowest).
    pub fn standard(category: Category, urgency: Urgency) -> SlaRule {
        use Category::*;
        let (normal, urgent) = match category {
            EquipmentFault | HygieneDefect => ((120, 24), (30, 4)),
            SafetyHazard => ((60, 12), (15, 2)),
            OrderSecurity => ((60, 24), (15, 2)),
            SignageLighting => ((240, 48), (60, 8)),
            NeighbourDispute => ((240, 48), (60, 24)),
            Landscaping | Other => ((480, 72), (120, 24)),
        };
        let (respond_minutes, resolve_hours) = match urgency {
            Urgency::Normal => normal,
            Urgency::Urgent => urgent,
        };
        SlaRule {
            category,
            urgency,
            respond_minutes,
            resolve_hours,
        }
    }

    /// The rule in force for a kind and urgency.
    pub fn rule(&self, category: Category, urgency: Urgency) -> SlaRule {
        self.rules
            .iter()
            .rev()
            .find(|r| r.category == category && r.urgency == urgency)
            .copied()
            .unwrap_or_else(|| Self::standard(category, urgency))
    }

    /// Every cell, in the order of the kinds and urgencies, as in force.
    pub fn table(&self) -> Vec<SlaRule> {
        Category::ALL
            .iter()
            .flat_map(|c| Urgency::ALL.iter().map(move |u| (*c, *u)))
            .map(|(c, u)| self.rule(c, u))
            .collect()
    }

    /// Sets cells (each checked); cells not given keep their value. Only
    /// cells that differ from the standard are kept, so the standard can
    /// improve for everyone who never changed a cell.
    pub fn set(&mut self, rules: &[SlaRule]) -> Result<(), String> {
        for r in rules {
            r.check()?;
        }
        let mut table = self.table();
        for r in rules {
            if let Some(cell) = table
                .iter_mut()
                .find(|c| c.category == r.category && c.urgency == r.urgency)
            {
                *cell = *r;
            }
        }
        self.rules = table
            .into_iter()
            .filter(|r| *r != Self::standard(r.category, r.urgency))
            .collect();
        Ok(())
    }

    /// When a complaint entered at `at` must be answered and resolved.
    pub fn due(
        &self,
        category: Category,
        urgency: Urgency,
        at: DateTime<Utc>,
    ) -> (DateTime<Utc>, DateTime<Utc>) {
        let r = self.rule(category, urgency);
        (
            at + Duration::minutes(r.respond_minutes.into()),
            at + Duration::hours(r.resolve_hours.into()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_service_levels_follow_the_deck_and_a_site_may_change_cells() {
        let mut sla = ComplaintSla::default();
        let at = t("2026-03-01T01:00:00Z");
        let (respond, resolve) = sla.due(Category::EquipmentFault, Urgency::Normal, at);
        assert_eq!(resolve, t("2026-03-02T01:00:00Z"), "facility fault: 24 h");
        assert_eq!(respond, t("2026-03-01T03:00:00Z"));
        let (_, resolve) = sla.due(Category::NeighbourDispute, Urgency::Normal, at);
        assert_eq!(
            resolve,
            t("2026-03-03T01:00:00Z"),
            "neighbour dispute: 48 h"
        );
        let (respond, resolve) = sla.due(Category::EquipmentFault, Urgency::Urgent, at);
        assert!(respond < t("2026-03-01T03:00:00Z") && resolve < t("2026-03-02T01:00:00Z"));
        assert_eq!(sla.table().len(), Category::ALL.len() * 2);
        for r in sla.table() {
            r.check().unwrap();
            let normal = sla.rule(r.category, Urgency::Normal);
            let urgent = sla.rule(r.category, Urgency::Urgent);
            assert!(urgent.resolve_hours <= normal.resolve_hours, "{r:?}");
            assert!(urgent.respond_minutes <= normal.respond_minutes, "{r:?}");
        }

        let mine = SlaRule {
            category: Category::NeighbourDispute,
            urgency: Urgency::Normal,
            respond_minutes: 60,
            resolve_hours: 36,
        };
        sla.set(&[mine]).unwrap();
        assert_eq!(sla.rule(Category::NeighbourDispute, Urgency::Normal), mine);
        assert_eq!(sla.rules, vec![mine], "only changed cells are kept");
        // Setting a cell back to the standard forgets it.
        sla.set(&[ComplaintSla::standard(
            Category::NeighbourDispute,
            Urgency::Normal,
        )])
        .unwrap();
        assert!(sla.rules.is_empty());
        for bad in [
            SlaRule {
                respond_minutes: 0,
                ..mine
            },
            SlaRule {
                resolve_hours: 0,
                ..mine
            },
            SlaRule {
                resolve_hours: RESOLVE_HOURS_MAX + 1,
                ..mine
            },
            SlaRule {
                respond_minutes: 37 * 60,
                ..mine
            },
        ] {
            assert!(sla.set(&[bad]).is_err(), "{bad:?}");
            assert!(sla.rules.is_empty(), "nothing changed by a refused cell");
        }
    }

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
