//! The analysis figures of one site and period (`shared::kpi` defines them):
//! read from the tracker's rows and the patrol projections, never from the
//! documents, for the API (`GET /api/v1/analytics/kpis`) and the CLI.

use crate::error::ApiError;
use crate::store::{IssueQuery, Txn};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use shared::codes::Status;
use shared::ids::PatrolRunId;
use shared::kpi::{self, By, CheckFact, Figure, Period, Report, Row, figures, shown};
use shared::patrol::{Outcome, PresenceEvidence};
use shared::plan::{ItemFamily, SitePlan};
use shared::wire::IssueSummary;
use std::collections::{BTreeMap, HashMap};

fn invalid(m: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m)
}

/// What one checkpoint result adds up to, with the keys it is grouped by.
struct Check {
    fact: CheckFact,
    zone: String,
    route: String,
    inspector: String,
}

fn checks(
    txn: &mut dyn Txn,
    plan: &SitePlan,
    since: DateTime<Utc>,
) -> Result<Vec<Check>, ApiError> {
    let mut out = Vec::new();
    // Runs started up to a day before the period can hold its results.
    for run in txn.list_patrols(plan.site.id, since - Duration::days(1), 200_000)? {
        let inspector = plan
            .user(run.run.inspector)
            .map(|u| u.name.to_string())
            .unwrap_or_else(|| run.run.inspector_name.clone());
        for r in &run.results {
            let template = plan.template(r.template, r.template_version);
            let facility = |code: &str| {
                template
                    .and_then(|t| t.items.iter().find(|i| i.code.as_str() == code))
                    .is_some_and(|i| i.family == ItemFamily::Facility)
            };
            let mut fact = CheckFact {
                run: run.run.id,
                at: r.checked_at,
                answered: 0,
                passed: 0,
                facility_answered: 0,
                facility_passed: 0,
                dwell_seconds: match r.evidence() {
                    PresenceEvidence::Code { dwell_seconds, .. } => dwell_seconds,
                    _ => None,
                },
            };
            for i in &r.items {
                if i.outcome == Outcome::Na {
                    continue;
                }
                let pass = u32::from(i.outcome == Outcome::Pass);
                fact.answered += 1;
                fact.passed += pass;
                if facility(i.item.as_str()) {
                    fact.facility_answered += 1;
                    fact.facility_passed += pass;
                }
            }
            let zone = plan
                .checkpoint(r.checkpoint)
                .and_then(|c| plan.zones.iter().find(|z| z.id == c.zone))
                .map(|z| z.code.to_string())
                .unwrap_or_else(|| "-".into());
            out.push(Check {
                fact,
                zone,
                route: run.run.route_code.to_string(),
                inspector: inspector.clone(),
            });
        }
    }
    Ok(out)
}

fn coverage(
    txn: &mut dyn Txn,
    plan: &SitePlan,
    p: &Period,
) -> Result<shared::schedule::Coverage, ApiError> {
    let offset = plan.site.deadlines.offset();
    let first = p.from.with_timezone(&offset).date_naive();
    let last = (p.to - Duration::seconds(1))
        .with_timezone(&offset)
        .date_naive();
    Ok(crate::planning::coverage(txn, plan, first, last)?)
}

fn figure(r: &shared::schedule::CoverageRow) -> Figure {
    Figure::ratio(r.done as u64, r.due as u64)
}

/// The report of `plan`'s site for `period` (see [`Period::parse`]), broken down `by`.
pub fn report(
    txn: &mut dyn Txn,
    plan: &SitePlan,
    period: &str,
    by: Option<By>,
    now: DateTime<Utc>,
) -> Result<Report, ApiError> {
    let offset = plan.site.deadlines.offset();
    let p = Period::parse(period, offset).map_err(invalid)?;
    let prev = p.previous(offset);
    let mut issues = txn.list_issues(&IssueQuery {
        sites: vec![plan.site.id],
        ..Default::default()
    })?;
    let flags = shared::repeat::repeats(&issues, plan.site.repeat_window_days);
    for s in &mut issues {
        s.repeat = flags.get(&s.id).cloned();
    }
    let checks = checks(txn, plan, prev.from)?;
    let facts: Vec<CheckFact> = checks.iter().map(|c| c.fact.clone()).collect();
    let cov = coverage(txn, plan, &p)?;
    let cov_prev = coverage(txn, plan, &prev)?;
    let (kpis, backlog_by_age) = kpi::compute(&issues, &facts, figure(&cov.total), &p, now);
    let (previous, _) = kpi::compute(&issues, &facts, figure(&cov_prev.total), &prev, now);
    let activity = kpi::activity(&issues, &facts, &p);
    let rows = match by {
        None => Vec::new(),
        Some(by) => breakdown(plan, by, &issues, &checks, &cov, &p, now),
    };
    Ok(Report {
        site: plan.site.code.to_string(),
        period: p,
        kpis,
        backlog_by_age,
        previous_period: prev,
        previous,
        activity,
        by,
        rows,
    })
}

/// The group key and name of an issue.
fn issue_key(
    plan: &SitePlan,
    by: By,
    s: &IssueSummary,
    routes: &HashMap<PatrolRunId, String>,
) -> (String, String) {
    let none = || ("-".to_string(), String::new());
    match by {
        By::Zone => s
            .zone
            .and_then(|z| plan.zones.iter().find(|x| x.id == z))
            .map(|z| (z.code.to_string(), z.name.clone()))
            .unwrap_or_else(none),
        By::Route => s
            .patrol
            .and_then(|r| routes.get(&r))
            .map(|code| (code.clone(), route_name(plan, code)))
            .unwrap_or_else(none),
        By::Category => (s.category.code().into(), s.category.label_zh().into()),
        By::Grade => (s.grade.code().into(), s.grade.label_zh().into()),
        By::Department => s
            .department
            .map(|d| (d.code().to_string(), d.label_zh().to_string()))
            .unwrap_or_else(none),
        By::Inspector => (s.raised_by.clone(), display_name(plan, &s.raised_by)),
        By::Assignee => s
            .assignee
            .as_ref()
            .map(|a| (a.clone(), display_name(plan, a)))
            .unwrap_or_else(none),
    }
}

fn route_name(plan: &SitePlan, code: &str) -> String {
    plan.routes
        .iter()
        .find(|r| r.code.as_str() == code)
        .map(|r| r.name.clone())
        .unwrap_or_default()
}

fn display_name(plan: &SitePlan, user: &str) -> String {
    plan.user_by_name(user)
        .map(|u| u.display_name.clone())
        .unwrap_or_default()
}

fn breakdown(
    plan: &SitePlan,
    by: By,
    issues: &[IssueSummary],
    checks: &[Check],
    cov: &shared::schedule::Coverage,
    p: &Period,
    now: DateTime<Utc>,
) -> Vec<Row> {
    let routes: HashMap<PatrolRunId, String> = checks
        .iter()
        .map(|c| (c.fact.run, c.route.clone()))
        .collect();
    let mut groups: BTreeMap<String, (String, Vec<IssueSummary>, Vec<CheckFact>)> = BTreeMap::new();
    for s in issues.iter().filter(|s| s.status != Status::Cancelled) {
        let (key, name) = issue_key(plan, by, s, &routes);
        let g = groups
            .entry(key)
            .or_insert_with(|| (name, Vec::new(), Vec::new()));
        g.1.push(s.clone());
    }
    for c in checks {
        let key = match by {
            By::Zone => &c.zone,
            By::Route => &c.route,
            By::Inspector => &c.inspector,
            // Results have no category, grade, department or assignee.
            _ => continue,
        };
        let name = match by {
            By::Zone => plan
                .zones
                .iter()
                .find(|z| z.code.as_str() == key)
                .map(|z| z.name.clone())
                .unwrap_or_default(),
            By::Route => route_name(plan, key),
            _ => display_name(plan, key),
        };
        let g = groups
            .entry(key.clone())
            .or_insert_with(|| (name, Vec::new(), Vec::new()));
        g.2.push(c.fact.clone());
    }
    let cov_rows = match by {
        By::Zone => &cov.by_zone[..],
        By::Route => &cov.by_route[..],
        By::Inspector => &cov.by_inspector[..],
        _ => &[],
    };
    for r in cov_rows {
        groups
            .entry(r.key.clone())
            .or_insert_with(|| (r.name.clone(), Vec::new(), Vec::new()));
    }
    groups
        .into_iter()
        .map(|(key, (name, issues, facts))| {
            let coverage = cov_rows
                .iter()
                .find(|r| r.key == key)
                .map(figure)
                .unwrap_or_default();
            let (kpis, _) = kpi::compute(&issues, &facts, coverage, p, now);
            Row { key, name, kpis }
        })
        .collect()
}

/// The report as the CLI prints it: one line per figure with its counts and
/// the previous period's value, then the breakdown.
pub fn text(r: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let day = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let _ = writeln!(
        out,
        "site {}  period {} – {}  (previous from {})",
        r.site,
        day(r.period.from),
        day(r.period.to),
        day(r.previous_period.from)
    );
    for ((name, zh, _, unit, f), (_, _, _, _, before)) in
        figures(&r.kpis).into_iter().zip(figures(&r.previous))
    {
        let _ = writeln!(
            out,
            "  {zh:<12} {name:<28} {:>9}  ({}/{})  previous {}",
            shown(unit, &f),
            f.numerator,
            f.denominator,
            shown(unit, &before)
        );
    }
    let [a, b, c, d] = r.backlog_by_age;
    let _ = writeln!(out, "  逾期账龄 ≤1d {a}  1–3d {b}  3–7d {c}  >7d {d}");
    let act = &r.activity;
    let _ = writeln!(
        out,
        "  巡查 rounds {}  checkpoints {}  findings {}  dwell <10s {} 10–30s {} 30–120s {} ≥120s {} unknown {}",
        act.rounds,
        act.checkpoints,
        act.findings,
        act.dwell[0],
        act.dwell[1],
        act.dwell[2],
        act.dwell[3],
        act.dwell[4]
    );
    for row in &r.rows {
        let _ = writeln!(out, "{} {}", row.key, row.name);
        for (name, zh, _, unit, f) in figures(&row.kpis) {
            if f.denominator > 0 {
                let _ = writeln!(
                    out,
                    "  {zh:<12} {name:<28} {:>9}  ({}/{})",
                    shown(unit, &f),
                    f.numerator,
                    f.denominator
                );
            }
        }
    }
    out
}
