//! The figures managers are judged by (DOMAIN.md, 数据分析), defined once.
//!
//! Every figure is computed for a [`Period`] — a half-open range of instants
//! `[from, to)` cut at local midnights in the site's time zone — from the
//! tracker's rows ([`IssueSummary`], never the documents) and the checkpoint
//! results of patrol runs ([`CheckFact`]). Each carries the counts it is made
//! of ([`Figure`]); a figure whose denominator is 0 has no value.
//!
//! Formulas (an issue "in the period" has the named instant in `[from, to)`;
//! cancelled issues count nowhere):
//! - 巡查完成率 `coverage`: checkpoints checked inside their task windows / due
//!   (computed by `crate::schedule::coverage` and handed in).
//! - 检查合格率 `pass_rate`: passed answers / answered items (N/A is not an
//!   answer) of results saved in the period; 设施合规率 `facility_compliance`:
//!   the same over items of the facility family (fire, elevator, pumps).
//! - 问题发现量 `findings_per_100_checks`: patrol findings raised in the period
//!   × 100 / checkpoint results saved in it.
//! - 整改及时率 `on_time_rectification`: of issues whose deadline falls in the
//!   period, those rectified (now rectified or verified) at or before the
//!   deadline. Open, or rectified after it, is late. A deadline exactly at `to`
//!   belongs to the next period.
//! - 一次验收通过率 `first_pass_acceptance`: of issues verified in the period,
//!   those never rejected.
//! - 整改时长 `fix_hours_median` / `fix_hours_p90`: hours from raise to the
//!   (latest) rectification of issues rectified in the period; nearest-rank
//!   percentiles. Numerator and denominator are both the number of issues.
//!   `assigned_fix_hours_median` / `assigned_fix_hours_p90`: the same from
//!   the first assignment (派单; a rejection's rework counts), over those of
//!   them that were assigned.
//! - 逾期积压 `overdue_backlog`: issues open (recorded or assigned) whose
//!   deadline had passed at the end of the period (or now, if sooner); by age
//!   beside the figures (≤ 1 d, 1–3 d, 3–7 d, > 7 d). Its value is
//!   the count; its denominator the open issues at that instant.
//! - 重复问题率 `repeat_rate`: issues raised in the period flagged as repeats
//!   (`crate::repeat`) / issues raised in it; 验收后复发率
//!   `recurrence_after_acceptance`: those whose earlier issue had already been
//!   verified / issues raised.
//! - 投诉及时率 `complaint_on_time`: 整改及时率 over complaints only (the
//!   deadline of a complaint is its service level's resolution time; a
//!   reopened complaint is judged on its new deadline).
//! - 回访满意率 `callback_satisfaction`: of complaints verified in the period
//!   and called back (including those an unsatisfied call-back reopened), the
//!   satisfied ones.
//! - 净推荐值 `nps` and 客户满意度指数 `csi`: from satisfaction surveys, which the
//!   tracker does not hold yet; always `0 / 0`, no value.

use crate::codes::Status;
use crate::ids::PatrolRunId;
use crate::wire::IssueSummary;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A half-open range of instants `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

fn midnight(offset: FixedOffset, day: NaiveDate) -> DateTime<Utc> {
    offset
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("a fixed offset has one midnight")
        .with_timezone(&Utc)
}

impl Period {
    /// Local days `first..=last` in the zone `offset`.
    pub fn days(offset: FixedOffset, first: NaiveDate, last: NaiveDate) -> Period {
        let end = last.succ_opt().unwrap_or(last);
        Period {
            from: midnight(offset, first),
            to: midnight(offset, end),
        }
    }

    /// Parses `2026-11` (a month), `2026-W45` (an ISO week), `2026-11-03` (a
    /// day) or `2026-11-01..2026-11-15` (local days, both included).
    pub fn parse(s: &str, offset: FixedOffset) -> Result<Period, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "`{s}` is not a period: use 2026-11 (month), 2026-W45 (week), 2026-11-03 (day) or 2026-11-01..2026-11-15"
            )
        };
        if let Some((a, b)) = s.split_once("..") {
            let a = NaiveDate::parse_from_str(a.trim(), "%Y-%m-%d").map_err(|_| bad())?;
            let b = NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d").map_err(|_| bad())?;
            if b < a {
                return Err(format!("`{s}`: the period ends before it starts"));
            }
            if (b - a).num_days() > 3660 {
                return Err(format!("`{s}`: a period is at most ten years"));
            }
            return Ok(Period::days(offset, a, b));
        }
        if let Some((y, w)) = s.split_once("-W") {
            let y: i32 = y.parse().map_err(|_| bad())?;
            let w: u32 = w.parse().map_err(|_| bad())?;
            let monday = NaiveDate::from_isoywd_opt(y, w, chrono::Weekday::Mon).ok_or_else(bad)?;
            return Ok(Period::days(offset, monday, monday + Duration::days(6)));
        }
        if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Period::days(offset, day, day));
        }
        let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").map_err(|_| bad())?;
        let next = if first.month() == 12 {
            NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
        }
        .ok_or_else(bad)?;
        Ok(Period {
            from: midnight(offset, first),
            to: midnight(offset, next),
        })
    }

    /// The period of the same length just before this one (for "change
    /// against the previous period"). A calendar month's previous period is
    /// the previous calendar month.
    pub fn previous(&self, offset: FixedOffset) -> Period {
        let local = self.from.with_timezone(&offset).date_naive();
        let end_local = self.to.with_timezone(&offset).date_naive();
        let is_month = local.day() == 1
            && end_local.day() == 1
            && (end_local.year() * 12 + end_local.month() as i32)
                - (local.year() * 12 + local.month() as i32)
                == 1;
        if is_month {
            let prev = if local.month() == 1 {
                NaiveDate::from_ymd_opt(local.year() - 1, 12, 1)
            } else {
                NaiveDate::from_ymd_opt(local.year(), local.month() - 1, 1)
            }
            .expect("a month before");
            return Period {
                from: midnight(offset, prev),
                to: self.from,
            };
        }
        Period {
            from: self.from - (self.to - self.from),
            to: self.from,
        }
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }
}

/// One figure and the counts it is made of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figure {
    /// `numerator / denominator` (a share, 0–1), or the figure itself for
    /// durations and counts; none when the denominator is 0.
    pub value: Option<f64>,
    pub numerator: u64,
    pub denominator: u64,
}

impl Figure {
    pub fn ratio(numerator: u64, denominator: u64) -> Figure {
        Figure {
            value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
            numerator,
            denominator,
        }
    }

    fn per_100(numerator: u64, denominator: u64) -> Figure {
        Figure {
            value: (denominator > 0).then(|| numerator as f64 * 100.0 / denominator as f64),
            numerator,
            denominator,
        }
    }
}

/// One checkpoint result of a patrol run, reduced to what the figures need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckFact {
    pub run: PatrolRunId,
    pub at: DateTime<Utc>,
    /// Items answered pass or fail (readings judged), and of those passed.
    pub answered: u32,
    pub passed: u32,
    /// The same over the facility family's items.
    pub facility_answered: u32,
    pub facility_passed: u32,
    /// Seconds between arriving (point code entered) and saving, when known.
    pub dwell_seconds: Option<i64>,
}

/// Every figure of one period (and one group of a breakdown).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Kpis {
    pub coverage: Figure,
    pub pass_rate: Figure,
    pub facility_compliance: Figure,
    pub findings_per_100_checks: Figure,
    pub on_time_rectification: Figure,
    pub first_pass_acceptance: Figure,
    pub fix_hours_median: Figure,
    pub fix_hours_p90: Figure,
    /// The same, from the first assignment to the (latest) rectification,
    /// over the rectified issues that were assigned.
    pub assigned_fix_hours_median: Figure,
    pub assigned_fix_hours_p90: Figure,
    pub overdue_backlog: Figure,
    pub repeat_rate: Figure,
    pub recurrence_after_acceptance: Figure,
    pub complaint_on_time: Figure,
    pub callback_satisfaction: Figure,
    pub nps: Figure,
    pub csi: Figure,
}

fn is_fixed(s: &IssueSummary) -> bool {
    matches!(s.status, Status::Rectified | Status::Verified)
}

/// Which of a figure's counts a drill-down lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Every issue the figure counts.
    Denominator,
    /// The issues its numerator counts.
    Numerator,
    /// Counted but not in the numerator (the late, the rejected, ...).
    Rest,
}

impl Part {
    pub fn code(self) -> &'static str {
        match self {
            Part::Denominator => "denominator",
            Part::Numerator => "numerator",
            Part::Rest => "rest",
        }
    }
}

impl std::str::FromStr for Part {
    type Err = String;
    fn from_str(s: &str) -> Result<Part, String> {
        [Part::Denominator, Part::Numerator, Part::Rest]
            .into_iter()
            .find(|p| p.code() == s.trim())
            .ok_or_else(|| format!("`{s}` is not a part; use denominator, numerator or rest"))
    }
}

/// The figures made of issues, which drill down to them, and `raised` (every
/// issue raised in the period: what the charts count). Coverage, pass rate
/// and facility compliance count scheduled tasks and checklist answers, not
/// issues; NPS and CSI count surveys.
pub const DRILLABLE: [&str; 13] = [
    "raised",
    "findings_per_100_checks",
    "on_time_rectification",
    "first_pass_acceptance",
    "fix_hours_median",
    "fix_hours_p90",
    "assigned_fix_hours_median",
    "assigned_fix_hours_p90",
    "overdue_backlog",
    "repeat_rate",
    "recurrence_after_acceptance",
    "complaint_on_time",
    "callback_satisfaction",
];

/// The instant the backlog is taken at: the end of the period, or now if sooner.
fn backlog_instant(period: &Period, now: DateTime<Utc>) -> DateTime<Utc> {
    period.to.min(now)
}

/// Open (recorded or assigned, or fixed only later) at `at`.
fn open_at(s: &IssueSummary, at: DateTime<Utc>) -> bool {
    s.raised_at < at
        && match s.status {
            Status::Recorded | Status::Assigned => true,
            Status::Rectified | Status::Verified => s.rectified_at.is_some_and(|r| r > at),
            Status::Cancelled => false,
        }
}

/// The issues figure `name` counts in `period`, as (denominator, numerator);
/// none for a figure that counts no issues (see [`DRILLABLE`]). Cancelled
/// issues count nowhere. For `findings_per_100_checks` both are the findings
/// (its denominator counts checkpoint results); for the durations both are
/// the issues measured. This is the one definition [`compute`] counts with,
/// so a drill-down lists exactly the issues behind a figure.
pub fn members<'a>(
    name: &str,
    issues: &'a [IssueSummary],
    period: &Period,
    now: DateTime<Utc>,
) -> Option<(Vec<&'a IssueSummary>, Vec<&'a IssueSummary>)> {
    let live = issues.iter().filter(|s| s.status != Status::Cancelled);
    let raised = live.clone().filter(|s| period.contains(s.raised_at));
    let split = |den: Vec<&'a IssueSummary>, keep: &dyn Fn(&IssueSummary) -> bool| {
        let num = den.iter().copied().filter(|s| keep(s)).collect();
        (den, num)
    };
    let due = |complaints: bool| {
        let den: Vec<&IssueSummary> = live
            .clone()
            .filter(|s| !complaints || s.complaint_location.is_some())
            .filter(|s| s.deadline.is_some_and(|d| period.contains(d)))
            .collect();
        split(den, &|s: &IssueSummary| {
            is_fixed(s) && s.rectified_at.zip(s.deadline).is_some_and(|(r, d)| r <= d)
        })
    };
    let verified = || {
        live.clone().filter(|s| {
            s.status == Status::Verified && s.verified_at.is_some_and(|v| period.contains(v))
        })
    };
    let fixed = |from_assignment: bool| {
        let den: Vec<&IssueSummary> = live
            .clone()
            .filter(|s| is_fixed(s) && s.rectified_at.is_some_and(|r| period.contains(r)))
            .filter(|s| !from_assignment || s.responded_at.is_some())
            .collect();
        (den.clone(), den)
    };
    Some(match name {
        "raised" => {
            let all: Vec<_> = raised.collect();
            (all.clone(), all)
        }
        "findings_per_100_checks" => {
            let f: Vec<_> = raised.filter(|s| s.patrol.is_some()).collect();
            (f.clone(), f)
        }
        "on_time_rectification" => due(false),
        "complaint_on_time" => due(true),
        "first_pass_acceptance" => split(verified().collect(), &|s| s.rejections == 0),
        // A complaint reopened by an unsatisfied call-back is no longer
        // verified, but its verification (and the call-back) still count.
        "callback_satisfaction" => split(
            live.clone()
                .filter(|s| s.verified_at.is_some_and(|v| period.contains(v)))
                .filter(|s| s.complaint_location.is_some() && s.satisfied.is_some())
                .collect(),
            &|s| s.satisfied == Some(true),
        ),
        "fix_hours_median" | "fix_hours_p90" => fixed(false),
        "assigned_fix_hours_median" | "assigned_fix_hours_p90" => fixed(true),
        "overdue_backlog" => {
            let at = backlog_instant(period, now);
            split(live.filter(|s| open_at(s, at)).collect(), &|s| {
                s.deadline.is_some_and(|d| d < at)
            })
        }
        "repeat_rate" => split(raised.collect(), &|s| s.repeat.is_some()),
        "recurrence_after_acceptance" => split(raised.collect(), &|s| {
            s.repeat.as_ref().is_some_and(|r| r.after_verified)
        }),
        _ => return None,
    })
}

/// `members(name)` counted as a share.
fn share(name: &str, issues: &[IssueSummary], period: &Period, now: DateTime<Utc>) -> Figure {
    let (den, num) = members(name, issues, period, now).unwrap_or_default();
    Figure::ratio(num.len() as u64, den.len() as u64)
}

/// The nearest-rank percentile `q` (0–1] of sorted `xs`.
fn percentile(xs: &[f64], q: f64) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let rank = (q * xs.len() as f64).ceil().max(1.0) as usize;
    Some(xs[rank.min(xs.len()) - 1])
}

/// Median and 90th percentile of hours to rectification, from the raise or
/// from the first assignment (派单).
fn fix_hours(fixed: &[&IssueSummary], from_assignment: bool) -> (Figure, Figure) {
    let mut hours: Vec<f64> = fixed
        .iter()
        .filter_map(|s| {
            let start = if from_assignment {
                s.responded_at?
            } else {
                s.raised_at
            };
            Some((s.rectified_at? - start).num_seconds().max(0) as f64 / 3600.0)
        })
        .collect();
    hours.sort_by(f64::total_cmp);
    let n = hours.len() as u64;
    let f = |q| Figure {
        value: percentile(&hours, q),
        numerator: n,
        denominator: n,
    };
    (f(0.5), f(0.9))
}

/// The figures of `issues` and `checks` for `period`, with `coverage` as
/// computed from the schedules; `now` bounds the backlog's instant. Beside
/// them: the open overdue issues by how long past their deadline (≤ 1 day,
/// 1–3 days, 3–7 days, more than 7 days).
/// `issues` carry their repeat flags (`crate::repeat::repeats` over the
/// site's rows); issues and checks outside the period are ignored as the
/// formulas say, so callers may pass more than the period's rows.
pub fn compute(
    issues: &[IssueSummary],
    checks: &[CheckFact],
    coverage: Figure,
    period: &Period,
    now: DateTime<Utc>,
) -> (Kpis, [u64; 4]) {
    let mut k = Kpis {
        coverage,
        ..Default::default()
    };

    let in_period: Vec<&CheckFact> = checks.iter().filter(|c| period.contains(c.at)).collect();
    let sum = |f: fn(&CheckFact) -> u32| in_period.iter().map(|c| u64::from(f(c))).sum::<u64>();
    k.pass_rate = Figure::ratio(sum(|c| c.passed), sum(|c| c.answered));
    k.facility_compliance = Figure::ratio(sum(|c| c.facility_passed), sum(|c| c.facility_answered));
    let (findings, _) = members("findings_per_100_checks", issues, period, now).unwrap_or_default();
    k.findings_per_100_checks = Figure::per_100(findings.len() as u64, in_period.len() as u64);

    k.on_time_rectification = share("on_time_rectification", issues, period, now);
    k.complaint_on_time = share("complaint_on_time", issues, period, now);
    k.first_pass_acceptance = share("first_pass_acceptance", issues, period, now);
    k.callback_satisfaction = share("callback_satisfaction", issues, period, now);
    let (fixed, _) = members("fix_hours_median", issues, period, now).unwrap_or_default();
    (k.fix_hours_median, k.fix_hours_p90) = fix_hours(&fixed, false);
    (k.assigned_fix_hours_median, k.assigned_fix_hours_p90) = fix_hours(&fixed, true);

    let at = backlog_instant(period, now);
    let mut backlog = [0u64; 4];
    let (open, overdue) = members("overdue_backlog", issues, period, now).unwrap_or_default();
    for s in &overdue {
        let Some(late) = s.deadline.map(|d| at - d) else {
            continue;
        };
        let bucket = if late <= Duration::days(1) {
            0
        } else if late <= Duration::days(3) {
            1
        } else if late <= Duration::days(7) {
            2
        } else {
            3
        };
        backlog[bucket] += 1;
    }
    k.overdue_backlog = Figure {
        value: Some(overdue.len() as f64),
        numerator: overdue.len() as u64,
        denominator: open.len() as u64,
    };

    k.repeat_rate = share("repeat_rate", issues, period, now);
    k.recurrence_after_acceptance = share("recurrence_after_acceptance", issues, period, now);
    k.nps = Figure::ratio(0, 0);
    k.csi = Figure::ratio(0, 0);
    (k, backlog)
}

/// How a report is broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum By {
    Zone,
    Route,
    Category,
    Grade,
    Department,
    Inspector,
    Assignee,
}

/// One group of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Row {
    /// The group's code (zone, route, category, grade or department code, or user name); `-` for none.
    pub key: String,
    /// Its name for people.
    pub name: String,
    pub kpis: Kpis,
    /// For each figure made of issues, the API address listing them.
    #[serde(default)]
    pub links: BTreeMap<String, String>,
}

/// The query (after `?`) of the issue list behind figure `kpi` of `period`
/// (as the report was asked for), optionally within one breakdown group:
/// `GET /api/v1/analytics/issues?{this}` on the API, `#/analytics/issues?{this}`
/// on the dashboard. Charts add `hour`, `weekday` or `checkpoint`.
pub fn drill_query(period: &str, kpi: &str, part: Part, group: Option<(By, &str)>) -> String {
    use crate::app::url_escape as esc;
    let mut q = format!(
        "period={}&kpi={}&part={}",
        esc(period.trim()),
        esc(kpi),
        part.code()
    );
    if let Some((by, key)) = group {
        q.push_str(&format!("&by={}&key={}", by.code(), esc(key)));
    }
    q
}

/// The API addresses of the issues behind every figure made of issues.
pub fn links(period: &str, group: Option<(By, &str)>) -> BTreeMap<String, String> {
    DRILLABLE
        .iter()
        .map(|k| {
            (
                k.to_string(),
                format!(
                    "/api/v1/analytics/issues?{}",
                    drill_query(period, k, Part::Denominator, group)
                ),
            )
        })
        .collect()
}

/// A count of issues raised in the period under one key: a bar, a cell or a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Count {
    pub key: String,
    pub name: String,
    pub count: u64,
}

/// One week of the trend lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Week {
    /// `2026-W45`: the period to ask for to see the week.
    pub label: String,
    pub period: Period,
    /// Patrol findings raised in the week (the numerator of `findings_per_100_checks`).
    pub findings: u64,
    pub on_time_rectification: Figure,
    pub coverage: Figure,
}

/// Issues raised in the period by hour of the day (site time), under one key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hours {
    pub key: String,
    pub name: String,
    /// Index 0 is 00:00–00:59.
    pub hours: Vec<u64>,
}

/// A checkpoint at its floor-plan coordinates with the issues raised at it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Spot {
    pub code: String,
    pub name: String,
    /// Metres on the site plan.
    pub x: f64,
    pub y: f64,
    pub count: u64,
}

/// The local hour (0–23) and ISO weekday (1 = Monday) of an instant.
pub fn hour_and_weekday(t: DateTime<Utc>, offset: FixedOffset) -> (u32, u32) {
    use chrono::Timelike;
    let local = t.with_timezone(&offset);
    (local.hour(), local.weekday().number_from_monday())
}

/// The eight ISO weeks ending with the one that holds the period's last day
/// (or today, in a period not yet over: no empty weeks to come).
pub fn trend_weeks(
    period: &Period,
    offset: FixedOffset,
    now: DateTime<Utc>,
) -> Vec<(String, Period)> {
    let last = (period.to - Duration::seconds(1))
        .min(now.max(period.from))
        .with_timezone(&offset)
        .date_naive();
    let monday = last - Duration::days(last.weekday().num_days_from_monday().into());
    (0..8)
        .rev()
        .map(|back| {
            let m = monday - Duration::weeks(back);
            let w = m.iso_week();
            (
                format!("{}-W{:02}", w.year(), w.week()),
                Period::days(offset, m, m + Duration::days(6)),
            )
        })
        .collect()
}

/// A site's figures for one period, beside the period before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub site: String,
    pub period: Period,
    pub kpis: Kpis,
    /// Open overdue issues by age at the end of the period: ≤ 1 d, 1–3 d, 3–7 d, > 7 d.
    pub backlog_by_age: [u64; 4],
    pub previous_period: Period,
    pub previous: Kpis,
    pub activity: Activity,
    /// Present when a breakdown was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<By>,
    #[serde(default)]
    pub rows: Vec<Row>,
    /// For each figure made of issues, the API address listing them.
    #[serde(default)]
    pub links: BTreeMap<String, String>,
    /// Eight weeks up to the period's end: findings, 整改及时率 and coverage.
    #[serde(default)]
    pub trend: Vec<Week>,
    /// Issues raised in the period by category, most first (the Pareto chart).
    #[serde(default)]
    pub pareto: Vec<Count>,
    /// Issues raised in the period by zone and hour of the day.
    #[serde(default)]
    pub zone_hours: Vec<Hours>,
    /// The same by ISO weekday (key `1` is Monday) and hour.
    #[serde(default)]
    pub weekday_hours: Vec<Hours>,
    /// Checkpoints with floor-plan coordinates and the issues raised at each.
    #[serde(default)]
    pub hot_spots: Vec<Spot>,
    /// The departments' figures side by side (on-time rate, time to fix, backlog).
    #[serde(default)]
    pub league: Vec<Row>,
    /// Residents' surveys: NPS and CSI by dimension and by month.
    #[serde(default)]
    pub satisfaction: crate::survey::Satisfaction,
}

impl By {
    pub const ALL: [By; 7] = [
        By::Zone,
        By::Route,
        By::Category,
        By::Grade,
        By::Department,
        By::Inspector,
        By::Assignee,
    ];

    pub fn code(self) -> &'static str {
        match self {
            By::Zone => "zone",
            By::Route => "route",
            By::Category => "category",
            By::Grade => "grade",
            By::Department => "department",
            By::Inspector => "inspector",
            By::Assignee => "assignee",
        }
    }
}

impl std::str::FromStr for By {
    type Err = String;
    fn from_str(s: &str) -> Result<By, String> {
        By::ALL
            .into_iter()
            .find(|b| b.code() == s.trim())
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a breakdown; use one of {}",
                    By::ALL.map(By::code).join(", ")
                )
            })
    }
}

/// How a figure reads: a share, hours, a rate per 100 checks, or a count.
#[derive(Clone, Copy)]
pub enum Unit {
    Share,
    Hours,
    Per100,
    Count,
}

/// Every figure of `k` with its JSON name, its Chinese and English names and its unit, in
/// the order reports show them.
pub fn figures(k: &Kpis) -> [(&'static str, &'static str, &'static str, Unit, Figure); 17] {
    use Unit::*;
    [
        (
            "coverage",
            "巡查完成率",
            "Patrol coverage",
            Share,
            k.coverage,
        ),
        ("pass_rate", "检查合格率", "Pass rate", Share, k.pass_rate),
        (
            "facility_compliance",
            "设施合规率",
            "Facility compliance",
            Share,
            k.facility_compliance,
        ),
        (
            "findings_per_100_checks",
            "问题发现量(每百点)",
            "Findings per 100 checks",
            Per100,
            k.findings_per_100_checks,
        ),
        (
            "on_time_rectification",
            "整改及时率",
            "On-time rectification",
            Share,
            k.on_time_rectification,
        ),
        (
            "first_pass_acceptance",
            "一次验收通过率",
            "First-pass acceptance",
            Share,
            k.first_pass_acceptance,
        ),
        (
            "fix_hours_median",
            "整改时长中位数",
            "Time to fix, median",
            Hours,
            k.fix_hours_median,
        ),
        (
            "fix_hours_p90",
            "整改时长P90",
            "Time to fix, p90",
            Hours,
            k.fix_hours_p90,
        ),
        (
            "assigned_fix_hours_median",
            "派单后整改时长中位数",
            "Time to fix from assignment, median",
            Hours,
            k.assigned_fix_hours_median,
        ),
        (
            "assigned_fix_hours_p90",
            "派单后整改时长P90",
            "Time to fix from assignment, p90",
            Hours,
            k.assigned_fix_hours_p90,
        ),
        (
            "overdue_backlog",
            "逾期积压",
            "Overdue backlog",
            Count,
            k.overdue_backlog,
        ),
        (
            "repeat_rate",
            "重复问题率",
            "Repeat rate",
            Share,
            k.repeat_rate,
        ),
        (
            "recurrence_after_acceptance",
            "验收后复发率",
            "Recurrence after acceptance",
            Share,
            k.recurrence_after_acceptance,
        ),
        (
            "complaint_on_time",
            "投诉及时率",
            "Complaints on time",
            Share,
            k.complaint_on_time,
        ),
        (
            "callback_satisfaction",
            "回访满意率",
            "Call-back satisfaction",
            Share,
            k.callback_satisfaction,
        ),
        ("nps", "净推荐值", "NPS", Count, k.nps),
        ("csi", "客户满意度指数", "CSI", Count, k.csi),
    ]
}

/// A figure as people read it: `85.0%`, `12.5 h`, `3.2`, `4`; `—` without a value.
pub fn shown(unit: Unit, f: &Figure) -> String {
    match (f.value, unit) {
        (None, _) => "—".into(),
        (Some(v), Unit::Share) => format!("{:.1}%", v * 100.0),
        (Some(v), Unit::Hours) => format!("{v:.1} h"),
        (Some(v), Unit::Per100) => format!("{v:.1}"),
        (Some(v), Unit::Count) => format!("{v:.0}"),
    }
}

/// Inspector activity over one period: what a manager reads to spot a round
/// walked too fast (no findings, very short dwell times).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activity {
    pub rounds: u64,
    pub checkpoints: u64,
    pub findings: u64,
    /// Dwell times (seconds) by bucket: < 10 s, 10–30 s, 30–120 s, ≥ 120 s, unknown.
    pub dwell: [u64; 5],
}

impl Activity {
    pub fn checkpoints_per_round(&self) -> Option<f64> {
        (self.rounds > 0).then(|| self.checkpoints as f64 / self.rounds as f64)
    }
    pub fn findings_per_round(&self) -> Option<f64> {
        (self.rounds > 0).then(|| self.findings as f64 / self.rounds as f64)
    }
}

/// The activity of `checks` and patrol findings among `issues` in `period`.
pub fn activity(issues: &[IssueSummary], checks: &[CheckFact], period: &Period) -> Activity {
    let mut a = Activity::default();
    let mut runs: Vec<PatrolRunId> = Vec::new();
    for c in checks.iter().filter(|c| period.contains(c.at)) {
        runs.push(c.run);
        a.checkpoints += 1;
        let bucket = match c.dwell_seconds {
            Some(s) if s < 10 => 0,
            Some(s) if s < 30 => 1,
            Some(s) if s < 120 => 2,
            Some(_) => 3,
            None => 4,
        };
        a.dwell[bucket] += 1;
    }
    runs.sort();
    runs.dedup();
    a.rounds = runs.len() as u64;
    a.findings = issues
        .iter()
        .filter(|s| s.status != Status::Cancelled && period.contains(s.raised_at))
        .filter(|s| s.patrol.is_some_and(|p| runs.binary_search(&p).is_ok()))
        .count() as u64;
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{Category, Grade};
    use crate::ids::{IssueId, SiteId};
    use crate::repeat::Repeat;

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    /// 2026-11-DD HH:00 in Beijing time.
    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        cst()
            .with_ymd_and_hms(2026, 11, day, hour, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn issue(n: u128, raised: DateTime<Utc>, status: Status) -> IssueSummary {
        IssueSummary {
            id: IssueId::from_uuid(uuid::Uuid::from_u128(n)),
            site: SiteId::from_uuid(uuid::Uuid::from_u128(1)),
            zone: None,
            status,
            grade: Grade::Deadline,
            category: Category::HygieneDefect,
            title: format!("问题 {n}"),
            checkpoint: Some("CP-R01".into()),
            department: None,
            assignee: None,
            deadline: None,
            overdue: false,
            raised_by: "inspector1".into(),
            raised_at: raised,
            conflicts: vec![],
            refused: vec![],
            complaint_location: None,
            satisfied: None,
            repeat: None,
            respond_by: None,
            responded_at: None,
            assignment: None,
            rectified_at: None,
            verified_at: None,
            awaiting_callback: false,
            patrol: None,
            item: None,
            rejections: 0,
        }
    }

    fn november() -> Period {
        Period::parse("2026-11", cst()).unwrap()
    }

    #[test]
    fn periods_are_cut_at_local_midnight() {
        let p = november();
        assert_eq!(p.from, t(1, 0));
        assert_eq!(p.from.to_rfc3339(), "2026-10-31T16:00:00+00:00");
        assert_eq!(p.to.to_rfc3339(), "2026-11-30T16:00:00+00:00");
        assert_eq!(
            p.previous(cst()).from.to_rfc3339(),
            "2026-09-30T16:00:00+00:00"
        );
        let w = Period::parse("2026-W45", cst()).unwrap();
        assert_eq!(w.from, t(2, 0));
        assert_eq!(w.to, t(9, 0));
        assert_eq!(w.previous(cst()).from, t(2, 0) - Duration::days(7));
        let d = Period::parse("2026-11-01..2026-11-15", cst()).unwrap();
        assert_eq!((d.from, d.to), (t(1, 0), t(16, 0)));
        // The same month in another zone starts at another instant.
        let utc = Period::parse("2026-11", FixedOffset::east_opt(0).unwrap()).unwrap();
        assert_eq!(utc.from - p.from, Duration::hours(8));
        for bad in ["2026-13", "November", "2026-11-15..2026-11-01", "2026-W60"] {
            assert!(Period::parse(bad, cst()).is_err(), "{bad}");
        }
        let dec = Period::parse("2026-12", cst()).unwrap();
        assert_eq!(
            dec.to.with_timezone(&cst()).date_naive().to_string(),
            "2027-01-01"
        );
        assert_eq!(dec.previous(cst()), november());
    }

    /// Five issues, worked out by hand:
    /// 1 due 11-10, rectified 11-09, verified 11-10 after one rejection → on time, not first pass;
    /// 2 due 11-12, rectified 11-13 → late;
    /// 3 due 11-20, still assigned → late, and 10 days overdue at the end of the month;
    /// 4 due exactly at the end of November (12-01 00:00 local) → not due in November;
    /// 5 due 11-05, verified 11-04 without rejection → on time, first pass;
    /// 6 cancelled → counts nowhere.
    fn month() -> Vec<IssueSummary> {
        let mut one = issue(1, t(1, 9), Status::Verified);
        one.deadline = Some(t(10, 18));
        one.rectified_at = Some(t(9, 12));
        one.verified_at = Some(t(10, 9));
        one.rejections = 1;
        let mut two = issue(2, t(2, 9), Status::Rectified);
        two.deadline = Some(t(12, 18));
        two.rectified_at = Some(t(13, 9));
        let mut three = issue(3, t(3, 9), Status::Assigned);
        three.deadline = Some(t(20, 18));
        let mut four = issue(4, t(20, 9), Status::Assigned);
        four.deadline = Some(november().to);
        let mut five = issue(5, t(4, 8), Status::Verified);
        five.deadline = Some(t(5, 18));
        five.rectified_at = Some(t(4, 12));
        five.verified_at = Some(t(4, 14));
        let mut six = issue(6, t(4, 8), Status::Cancelled);
        six.deadline = Some(t(5, 18));
        vec![one, two, three, four, five, six]
    }

    #[test]
    fn rectification_acceptance_time_to_fix_and_backlog_by_hand() {
        let (k, backlog) = compute(
            &month(),
            &[],
            Figure::ratio(0, 0),
            &november(),
            t(30, 23) + Duration::days(30),
        );
        // Due in November: 1, 2, 3, 5 (4 is due at the end, 6 cancelled); on time: 1, 5.
        assert_eq!(k.on_time_rectification, Figure::ratio(2, 4));
        assert_eq!(k.on_time_rectification.value, Some(0.5));
        // Verified in November: 1 (rejected once), 5.
        assert_eq!(k.first_pass_acceptance, Figure::ratio(1, 2));
        // Rectified in November: 1 after 8 d 3 h = 195 h, 2 after 11 d = 264 h, 5 after 4 h.
        assert_eq!(k.fix_hours_median.value, Some(195.0));
        assert_eq!(k.fix_hours_p90.value, Some(264.0));
        assert_eq!(k.fix_hours_median.denominator, 3);
        // At the end of November: 3 and 4 are open; 3 is overdue by 10 d 6 h, 4 is due at that instant.
        assert_eq!(backlog, [0, 0, 0, 1]);
        assert_eq!(
            (k.overdue_backlog.numerator, k.overdue_backlog.denominator),
            (1, 2)
        );
        // Nothing about complaints, surveys or checks: no value, not zero.
        assert_eq!(k.complaint_on_time.value, None);
        assert_eq!(k.nps, Figure::ratio(0, 0));
        assert_eq!(k.pass_rate.value, None);
    }

    #[test]
    fn time_to_fix_from_assignment_and_the_issues_behind_each_figure() {
        let mut issues = month();
        // 1 was first assigned 11-01 12:00 (rectified 11-09 12:00: 192 h),
        // 2 on 11-03 09:00 (rectified 11-13 09:00: 240 h); 5 never was.
        issues[0].responded_at = Some(t(1, 12));
        issues[1].responded_at = Some(t(3, 9));
        let now = t(30, 23) + Duration::days(30);
        let (k, _) = compute(&issues, &[], Figure::ratio(0, 0), &november(), now);
        assert_eq!(k.assigned_fix_hours_median.value, Some(192.0));
        assert_eq!(k.assigned_fix_hours_p90.value, Some(240.0));
        assert_eq!(k.assigned_fix_hours_median.denominator, 2);
        let figures: BTreeMap<&str, Figure> = figures(&k).into_iter().map(|f| (f.0, f.4)).collect();
        let ids = |xs: &[&IssueSummary]| xs.iter().map(|s| s.title.clone()).collect::<Vec<_>>();
        for name in DRILLABLE {
            let (den, num) = members(name, &issues, &november(), now).unwrap();
            assert!(
                num.iter().all(|n| den.iter().any(|d| d.id == n.id)),
                "{name}: the numerator is part of the denominator"
            );
            if let Some(f) = figures.get(name)
                && !matches!(name, "findings_per_100_checks")
            {
                assert_eq!(
                    (f.numerator, f.denominator),
                    (num.len() as u64, den.len() as u64),
                    "{name}"
                );
            }
        }
        let (due, kept) = members("on_time_rectification", &issues, &november(), now).unwrap();
        assert_eq!(ids(&due), ["问题 1", "问题 2", "问题 3", "问题 5"]);
        assert_eq!(ids(&kept), ["问题 1", "问题 5"]);
        assert!(members("pass_rate", &issues, &november(), now).is_none());
        assert_eq!(
            drill_query(
                "2026-11",
                "on_time_rectification",
                Part::Rest,
                Some((By::Zone, "Z 1"))
            ),
            "period=2026-11&kpi=on_time_rectification&part=rest&by=zone&key=Z%201"
        );
    }

    #[test]
    fn eight_trend_weeks_end_with_the_week_of_the_last_day() {
        let weeks = trend_weeks(&november(), cst(), t(30, 23) + Duration::days(30));
        assert_eq!(weeks.len(), 8);
        // 2026-11-30 is a Monday: its week, W49, is the last.
        assert_eq!(weeks[7].0, "2026-W49");
        assert_eq!(weeks[7].1.from, t(30, 0));
        assert_eq!(weeks[0].0, "2026-W42");
        assert_eq!(hour_and_weekday(t(30, 9), cst()), (9, 1));
        // While November runs, the trend ends with this week.
        let running = trend_weeks(&november(), cst(), t(12, 10));
        assert_eq!(running[7].0, "2026-W46");
    }

    #[test]
    fn the_backlog_is_taken_now_when_the_period_has_not_ended() {
        // On 11-21 12:00 issue 3 (due 11-20 18:00) is 18 h overdue; 2 was fixed
        // on 11-13 and 1 before its deadline.
        let (_, backlog) = compute(&month(), &[], Figure::default(), &november(), t(21, 12));
        assert_eq!(backlog, [1, 0, 0, 0]);
        // On 11-12 20:00, 2 (due 11-12 18:00, fixed 11-13) was 2 h overdue.
        let (k, backlog) = compute(&month(), &[], Figure::default(), &november(), t(12, 20));
        assert_eq!(backlog, [1, 0, 0, 0]);
        // Open then: 2 (fixed later) and 3.
        assert_eq!(k.overdue_backlog.denominator, 2);
    }

    #[test]
    fn an_issue_rejected_twice_and_a_reopened_complaint() {
        let mut twice = issue(1, t(1, 9), Status::Verified);
        twice.deadline = Some(t(3, 18));
        twice.rectified_at = Some(t(3, 10));
        twice.verified_at = Some(t(3, 12));
        twice.rejections = 2;
        // A complaint fixed on time, called back unsatisfied, reopened with a
        // new deadline in November it has not met yet.
        let mut reopened = issue(2, t(5, 9), Status::Assigned);
        reopened.complaint_location = Some("3号楼".into());
        reopened.deadline = Some(t(8, 9));
        reopened.rectified_at = Some(t(6, 9));
        reopened.verified_at = Some(t(6, 12));
        reopened.satisfied = Some(false);
        let mut satisfied = issue(3, t(5, 9), Status::Verified);
        satisfied.complaint_location = Some("5号楼".into());
        satisfied.deadline = Some(t(6, 9));
        satisfied.rectified_at = Some(t(6, 8));
        satisfied.verified_at = Some(t(6, 10));
        satisfied.satisfied = Some(true);
        let (k, backlog) = compute(
            &[twice, reopened, satisfied],
            &[],
            Figure::default(),
            &november(),
            t(30, 0),
        );
        assert_eq!(k.first_pass_acceptance, Figure::ratio(1, 2));
        assert_eq!(k.complaint_on_time, Figure::ratio(1, 2));
        // The unsatisfied call-back that reopened a complaint still counts: one of two satisfied.
        assert_eq!(k.callback_satisfaction, Figure::ratio(1, 2));
        assert_eq!(k.on_time_rectification, Figure::ratio(2, 3));
        // At the end of November the reopened complaint is 21 days past 11-08 09:00.
        assert_eq!(backlog, [0, 0, 0, 1]);
    }

    #[test]
    fn pass_rates_findings_repeats_and_activity() {
        let run_a = PatrolRunId::from_uuid(uuid::Uuid::from_u128(10));
        let run_b = PatrolRunId::from_uuid(uuid::Uuid::from_u128(11));
        let check = |run, day, answered, passed, fa, fp, dwell| CheckFact {
            run,
            at: t(day, 10),
            answered,
            passed,
            facility_answered: fa,
            facility_passed: fp,
            dwell_seconds: dwell,
        };
        let checks = vec![
            check(run_a, 2, 4, 3, 2, 2, Some(5)),
            check(run_a, 2, 3, 3, 0, 0, Some(45)),
            check(run_b, 3, 5, 4, 3, 2, None),
            check(run_b, 3, 2, 2, 1, 1, Some(200)),
            // An hour before November: outside.
            CheckFact {
                at: t(1, 0) - Duration::hours(1),
                ..check(run_b, 1, 9, 0, 9, 0, Some(1))
            },
        ];
        let mut f1 = issue(1, t(2, 10), Status::Recorded);
        f1.patrol = Some(run_a);
        let mut f2 = issue(2, t(3, 10), Status::Recorded);
        f2.patrol = Some(run_b);
        f2.repeat = Some(Repeat {
            earlier: vec![IssueId::from_uuid(uuid::Uuid::from_u128(1))],
            titles: vec![],
            after_verified: false,
        });
        let mut f3 = issue(3, t(3, 11), Status::Recorded);
        f3.patrol = Some(run_b);
        f3.repeat = Some(Repeat {
            earlier: vec![IssueId::from_uuid(uuid::Uuid::from_u128(9))],
            titles: vec![],
            after_verified: true,
        });
        let complaint = issue(4, t(3, 12), Status::Recorded);
        let issues = vec![f1, f2, f3, complaint];
        let (k, backlog) = compute(&issues, &checks, Figure::ratio(3, 4), &november(), t(30, 0));
        assert_eq!(k.coverage.value, Some(0.75));
        // Open, but none has a deadline: nothing is overdue.
        assert_eq!(backlog, [0, 0, 0, 0]);
        // Answered 4+3+5+2 = 14, passed 3+3+4+2 = 12; facility 2+0+3+1 = 6, passed 5.
        assert_eq!(k.pass_rate, Figure::ratio(12, 14));
        assert_eq!(k.facility_compliance, Figure::ratio(5, 6));
        // Three patrol findings over four checked points.
        assert_eq!(k.findings_per_100_checks.value, Some(75.0));
        assert_eq!(k.repeat_rate, Figure::ratio(2, 4));
        assert_eq!(k.recurrence_after_acceptance, Figure::ratio(1, 4));
        let a = activity(&issues, &checks, &november());
        assert_eq!((a.rounds, a.checkpoints, a.findings), (2, 4, 3));
        assert_eq!(a.dwell, [1, 0, 1, 1, 1]);
        assert_eq!(a.checkpoints_per_round(), Some(2.0));
        assert_eq!(a.findings_per_round(), Some(1.5));
    }
}
