//! The analysis figures of one site and period (`shared::kpi` defines them):
//! read from the tracker's rows and the patrol projections, never from the
//! documents, for the API (`GET /api/v1/analytics/kpis`, the issues behind a
//! figure at `GET /api/v1/analytics/issues`) and the CLI. Beside the figures
//! a report holds what the charts draw: weekly trends, the categories'
//! Pareto, zone × hour and weekday × hour counts, the checkpoints' hot spots
//! and the departments' league table, each a count of issues the drill-down
//! lists with the same filters.

use crate::error::ApiError;
use crate::store::{IssueQuery, Txn};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use shared::codes::Status;
use shared::ids::PatrolRunId;
use shared::kpi::{
    self, By, CheckFact, Count, Figure, Hours, Part, Period, Report, Row, Spot, Week, figures,
    shown,
};
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

/// Everything a report reads of one site: the tracker's rows (with their
/// repeat flags) and the checkpoint results of runs started since `since`.
struct Loaded {
    issues: Vec<IssueSummary>,
    checks: Vec<Check>,
    visits: Vec<shared::schedule::Check>,
}

fn load(
    txn: &mut dyn Txn,
    plan: &SitePlan,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Loaded, ApiError> {
    // An issue raised since `since` repeats one raised up to the repeat window
    // before; nothing raised after `until` counts in the periods read.
    let window = Duration::days(plan.site.repeat_window_days.into());
    let mut issues = txn.list_issues(&IssueQuery {
        sites: vec![plan.site.id],
        touched_since: Some(since - window),
        raised_before: Some(until),
        ..Default::default()
    })?;
    let flags = shared::repeat::repeats(&issues, plan.site.repeat_window_days);
    for s in &mut issues {
        s.repeat = flags.get(&s.id).cloned();
    }
    let mut checks = Vec::new();
    let mut visits = Vec::new();
    // Runs started up to a day before the window can hold its results.
    for run in txn.list_patrols(plan.site.id, since - Duration::days(1), 200_000)? {
        let inspector = plan
            .user(run.run.inspector)
            .map(|u| u.name.to_string())
            .unwrap_or_else(|| run.run.inspector_name.clone());
        for r in &run.results {
            visits.push(shared::schedule::Check {
                checkpoint: r.checkpoint,
                by: r.by,
                at: r.checked_at,
            });
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
            checks.push(Check {
                fact,
                zone,
                route: run.run.route_code.to_string(),
                inspector: inspector.clone(),
            });
        }
    }
    Ok(Loaded {
        issues,
        checks,
        visits,
    })
}

/// Scheduled checkpoint visits of `p` against the loaded results (as
/// `crate::planning::coverage` counts them, without reading the runs again).
fn coverage(
    plan: &SitePlan,
    loaded: &Loaded,
    p: &Period,
    now: DateTime<Utc>,
) -> shared::schedule::Coverage {
    let offset = plan.site.deadlines.offset();
    let first = p.from.with_timezone(&offset).date_naive();
    let end = p.to.with_timezone(&offset).date_naive();
    let tasks = shared::schedule::tasks(plan, first, end);
    shared::schedule::coverage(plan, &tasks, &loaded.visits, now)
}

fn figure(r: &shared::schedule::CoverageRow) -> Figure {
    Figure::ratio(r.done as u64, r.due as u64)
}

/// The periods a report of `period` covers: itself, the one before, the
/// trend's weeks, and the earliest instant any of them starts.
struct Window {
    period: Period,
    previous: Period,
    weeks: Vec<(String, Period)>,
    since: DateTime<Utc>,
    /// The latest instant any of them ends.
    until: DateTime<Utc>,
}

fn window(plan: &SitePlan, period: &str, now: DateTime<Utc>) -> Result<Window, ApiError> {
    let offset = plan.site.deadlines.offset();
    let p = Period::parse(period, offset).map_err(invalid)?;
    let previous = p.previous(offset);
    let weeks = kpi::trend_weeks(&p, offset, now);
    let since = weeks
        .iter()
        .map(|(_, w)| w.from)
        .chain([previous.from])
        .min()
        .unwrap_or(previous.from);
    let until = weeks.iter().map(|(_, w)| w.to).fold(p.to, DateTime::max);
    Ok(Window {
        period: p,
        previous,
        weeks,
        since,
        until,
    })
}

/// The report of `plan`'s site for `period` (see [`Period::parse`]), broken down `by`.
pub fn report(
    txn: &mut dyn Txn,
    plan: &SitePlan,
    period: &str,
    by: Option<By>,
    now: DateTime<Utc>,
) -> Result<Report, ApiError> {
    let w = window(plan, period, now)?;
    let (p, prev) = (w.period, w.previous);
    let loaded = load(txn, plan, w.since, w.until)?;
    let issues = &loaded.issues;
    let facts: Vec<CheckFact> = loaded.checks.iter().map(|c| c.fact.clone()).collect();
    let cov = coverage(plan, &loaded, &p, now);
    let cov_prev = coverage(plan, &loaded, &prev, now);
    let (mut kpis, backlog_by_age) = kpi::compute(issues, &facts, figure(&cov.total), &p, now);
    let (mut previous, _) = kpi::compute(issues, &facts, figure(&cov_prev.total), &prev, now);
    (kpis.nps, kpis.csi) = crate::surveys::figures(txn, plan, &p)?;
    (previous.nps, previous.csi) = crate::surveys::figures(txn, plan, &prev)?;
    let satisfaction = crate::surveys::satisfaction(txn, plan, &p)?;
    let activity = kpi::activity(issues, &facts, &p);
    let rows = match by {
        None => Vec::new(),
        Some(by) => breakdown(plan, period, by, &loaded, &cov, &p, now),
    };
    let trend = w
        .weeks
        .iter()
        .map(|(label, week)| {
            let (k, _) = kpi::compute(issues, &[], Figure::default(), week, now);
            Week {
                label: label.clone(),
                period: *week,
                findings: k.findings_per_100_checks.numerator,
                on_time_rectification: k.on_time_rectification,
                coverage: figure(&coverage(plan, &loaded, week, now).total),
            }
        })
        .collect();
    let (raised, _) = kpi::members("raised", issues, &p, now).unwrap_or_default();
    let offset = plan.site.deadlines.offset();
    let mut pareto: BTreeMap<String, Count> = BTreeMap::new();
    let mut zone_hours: BTreeMap<String, Hours> = BTreeMap::new();
    let mut weekday_hours: Vec<Hours> = (1..=7)
        .map(|d| Hours {
            key: d.to_string(),
            name: String::new(),
            hours: vec![0; 24],
        })
        .collect();
    let mut at_checkpoint: HashMap<&str, u64> = HashMap::new();
    let no_routes = HashMap::new();
    for s in &raised {
        let (key, name) = issue_key(plan, By::Category, s, &no_routes);
        pareto
            .entry(key.clone())
            .or_insert(Count {
                key,
                name,
                count: 0,
            })
            .count += 1;
        let (hour, weekday) = kpi::hour_and_weekday(s.raised_at, offset);
        let (key, name) = issue_key(plan, By::Zone, s, &no_routes);
        zone_hours
            .entry(key.clone())
            .or_insert_with(|| Hours {
                key,
                name,
                hours: vec![0; 24],
            })
            .hours[hour as usize] += 1;
        weekday_hours[weekday as usize - 1].hours[hour as usize] += 1;
        if let Some(cp) = &s.checkpoint {
            *at_checkpoint.entry(cp.as_str()).or_default() += 1;
        }
    }
    let mut pareto: Vec<Count> = pareto.into_values().collect();
    pareto.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    let hot_spots = plan
        .checkpoints
        .iter()
        .filter_map(|c| {
            let (x, y) = c.plan_xy?;
            Some(Spot {
                code: c.code.to_string(),
                name: c.name.clone(),
                x,
                y,
                count: at_checkpoint.get(c.code.as_str()).copied().unwrap_or(0),
            })
        })
        .collect();
    let league = breakdown(plan, period, By::Department, &loaded, &cov, &p, now);
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
        links: kpi::links(period, None),
        trend,
        pareto,
        zone_hours: zone_hours.into_values().collect(),
        weekday_hours,
        hot_spots,
        league,
        satisfaction,
    })
}

/// The figures alone of several sites for one period, one row per site (key:
/// its code): what a group's league table compares. Reads only the period's
/// patrol results (no trend, charts or previous period).
pub fn sites_league(
    txn: &mut dyn Txn,
    plans: &[SitePlan],
    period: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Row>, ApiError> {
    let mut rows = Vec::new();
    for plan in plans {
        let p = Period::parse(period, plan.site.deadlines.offset()).map_err(invalid)?;
        let loaded = load(txn, plan, p.from, p.to)?;
        let facts: Vec<CheckFact> = loaded.checks.iter().map(|c| c.fact.clone()).collect();
        let cov = coverage(plan, &loaded, &p, now);
        let (mut kpis, _) = kpi::compute(&loaded.issues, &facts, figure(&cov.total), &p, now);
        (kpis.nps, kpis.csi) = crate::surveys::figures(txn, plan, &p)?;
        rows.push(Row {
            key: plan.site.code.to_string(),
            name: plan.site.name.clone(),
            kpis,
            links: Default::default(),
        });
    }
    Ok(rows)
}

/// Which issues to list: those behind figure `kpi` of `period` (see
/// [`kpi::members`]), the `part` asked for, within one breakdown group and
/// a chart's hour, weekday or checkpoint.
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillQuery {
    /// As for the report: `2026-11`, `2026-W45`, `2026-11-03` or `2026-11-01..2026-11-15`.
    pub period: String,
    /// A figure made of issues (`on_time_rectification`, ...) or `raised`.
    pub kpi: String,
    /// `denominator` (default), `numerator` or `rest`.
    pub part: Option<String>,
    /// With `key`: only the issues of this breakdown group.
    pub by: Option<By>,
    pub key: Option<String>,
    /// Raised in this hour of the day (0–23, site time).
    pub hour: Option<u32>,
    /// Raised on this ISO weekday (1 = Monday).
    pub weekday: Option<u32>,
    /// Raised at this checkpoint (its point code).
    pub checkpoint: Option<String>,
}

/// The issues behind one figure, newest first: exactly those it counts.
pub fn drill(
    txn: &mut dyn Txn,
    plan: &SitePlan,
    q: &DrillQuery,
    now: DateTime<Utc>,
) -> Result<Vec<IssueSummary>, ApiError> {
    let part: Part = q
        .part
        .as_deref()
        .unwrap_or("denominator")
        .parse()
        .map_err(invalid)?;
    if q.by.is_some() != q.key.is_some() {
        return Err(invalid("`by` and `key` go together".into()));
    }
    if q.hour.is_some_and(|h| h > 23) || q.weekday.is_some_and(|d| !(1..=7).contains(&d)) {
        return Err(invalid(
            "`hour` is 0–23 and `weekday` 1–7 (Monday is 1)".into(),
        ));
    }
    let w = window(plan, &q.period, now)?;
    let loaded = load(txn, plan, w.since, w.until)?;
    let Some((den, num)) = kpi::members(&q.kpi, &loaded.issues, &w.period, now) else {
        return Err(invalid(format!(
            "`{}` is not a figure made of issues; use one of {}",
            q.kpi,
            kpi::DRILLABLE.join(", ")
        )));
    };
    let routes: HashMap<PatrolRunId, String> = loaded
        .checks
        .iter()
        .map(|c| (c.fact.run, c.route.clone()))
        .collect();
    let offset = plan.site.deadlines.offset();
    let in_num: std::collections::HashSet<_> = num.iter().map(|s| s.id).collect();
    let mut out: Vec<IssueSummary> = match part {
        Part::Denominator => den,
        Part::Numerator => num,
        Part::Rest => den
            .into_iter()
            .filter(|s| !in_num.contains(&s.id))
            .collect(),
    }
    .into_iter()
    .filter(|s| match (q.by, &q.key) {
        (Some(by), Some(key)) => issue_key(plan, by, s, &routes).0 == *key,
        _ => true,
    })
    .filter(|s| {
        let (hour, weekday) = kpi::hour_and_weekday(s.raised_at, offset);
        q.hour.is_none_or(|h| h == hour) && q.weekday.is_none_or(|d| d == weekday)
    })
    .filter(|s| {
        q.checkpoint
            .as_ref()
            .is_none_or(|c| s.checkpoint.as_ref() == Some(c))
    })
    .cloned()
    .collect();
    out.sort_by_key(|s| std::cmp::Reverse(s.raised_at));
    Ok(out)
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
    period: &str,
    by: By,
    loaded: &Loaded,
    cov: &shared::schedule::Coverage,
    p: &Period,
    now: DateTime<Utc>,
) -> Vec<Row> {
    let (issues, checks) = (&loaded.issues, &loaded.checks);
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
            let links = kpi::links(period, Some((by, &key)));
            Row {
                key,
                name,
                kpis,
                links,
            }
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
    out.push_str(&rows_text(&r.rows));
    out
}

/// Each row's key and name, then its figures that count anything.
pub fn rows_text(rows: &[Row]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for row in rows {
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

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A share (0–1), shown as a percentage.
    Share(f64),
    Empty,
}

/// A table of the 分析 screen as a spreadsheet: Chinese headers, one row per line.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub id: &'static str,
    /// The sheet's name.
    pub title: &'static str,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The tables a report can be exported as (`table=` of the export).
pub const TABLES: [&str; 10] = [
    "kpis",
    "rows",
    "league",
    "trend",
    "pareto",
    "zone_hours",
    "weekday_hours",
    "hot_spots",
    "satisfaction",
    "satisfaction_months",
];

fn value_cell(unit: kpi::Unit, f: &Figure) -> Cell {
    match (f.value, unit) {
        (None, _) => Cell::Empty,
        (Some(v), kpi::Unit::Share) => Cell::Share(v),
        (Some(v), _) => Cell::Number(v),
    }
}

fn count(n: u64) -> Cell {
    Cell::Number(n as f64)
}

/// Code, name, then each figure's value, numerator and denominator.
fn rows_table(id: &'static str, title: &'static str, rows: &[Row]) -> Table {
    let mut headers = vec!["代码".to_string(), "名称".to_string()];
    for (_, zh, _, _, _) in figures(&kpi::Kpis::default()) {
        headers.extend([zh.to_string(), format!("{zh} 分子"), format!("{zh} 分母")]);
    }
    Table {
        id,
        title,
        headers,
        rows: rows
            .iter()
            .map(|r| {
                let mut line = vec![Cell::Text(r.key.clone()), Cell::Text(r.name.clone())];
                for (_, _, _, unit, f) in figures(&r.kpis) {
                    line.extend([
                        value_cell(unit, &f),
                        count(f.numerator),
                        count(f.denominator),
                    ]);
                }
                line
            })
            .collect(),
    }
}

/// The group's league table ([`sites_league`]) as a spreadsheet.
pub fn sites_table(rows: &[Row]) -> Table {
    rows_table("sites", "项目对比", rows)
}

fn hours_table(id: &'static str, title: &'static str, first: [&str; 2], rows: &[Hours]) -> Table {
    let mut headers: Vec<String> = first.iter().map(|s| s.to_string()).collect();
    headers.extend((0..24).map(|h| format!("{h}时")));
    headers.push("合计".into());
    Table {
        id,
        title,
        headers,
        rows: rows
            .iter()
            .map(|r| {
                let mut line = vec![Cell::Text(r.key.clone()), Cell::Text(r.name.clone())];
                line.extend(r.hours.iter().map(|n| count(*n)));
                line.push(count(r.hours.iter().sum()));
                line
            })
            .collect(),
    }
}

const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

/// Table `id` (one of [`TABLES`]) of a report; none for an unknown id.
pub fn table(r: &Report, id: &str) -> Option<Table> {
    Some(match id {
        "kpis" => Table {
            id: "kpis",
            title: "指标",
            headers: [
                "指标",
                "代码",
                "本期",
                "分子",
                "分母",
                "上期",
                "上期分子",
                "上期分母",
            ]
            .map(String::from)
            .to_vec(),
            rows: figures(&r.kpis)
                .into_iter()
                .zip(figures(&r.previous))
                .map(|((name, zh, _, unit, f), (_, _, _, _, b))| {
                    vec![
                        Cell::Text(zh.into()),
                        Cell::Text(name.into()),
                        value_cell(unit, &f),
                        count(f.numerator),
                        count(f.denominator),
                        value_cell(unit, &b),
                        count(b.numerator),
                        count(b.denominator),
                    ]
                })
                .collect(),
        },
        "rows" => rows_table("rows", "分组", &r.rows),
        "league" => rows_table("league", "部门排名", &r.league),
        "trend" => Table {
            id: "trend",
            title: "周趋势",
            headers: [
                "周",
                "开始",
                "问题发现数",
                "整改及时率",
                "按期整改",
                "到期",
                "巡查完成率",
                "已巡",
                "应巡",
            ]
            .map(String::from)
            .to_vec(),
            rows: r
                .trend
                .iter()
                .map(|w| {
                    vec![
                        Cell::Text(w.label.clone()),
                        Cell::Text(w.period.from.to_rfc3339()),
                        count(w.findings),
                        value_cell(kpi::Unit::Share, &w.on_time_rectification),
                        count(w.on_time_rectification.numerator),
                        count(w.on_time_rectification.denominator),
                        value_cell(kpi::Unit::Share, &w.coverage),
                        count(w.coverage.numerator),
                        count(w.coverage.denominator),
                    ]
                })
                .collect(),
        },
        "pareto" => {
            let total: u64 = r.pareto.iter().map(|c| c.count).sum();
            let mut running = 0;
            Table {
                id: "pareto",
                title: "问题类别",
                headers: ["类别代码", "类别", "问题数", "累计占比"]
                    .map(String::from)
                    .to_vec(),
                rows: r
                    .pareto
                    .iter()
                    .map(|c| {
                        running += c.count;
                        vec![
                            Cell::Text(c.key.clone()),
                            Cell::Text(c.name.clone()),
                            count(c.count),
                            Cell::Share(running as f64 / total.max(1) as f64),
                        ]
                    })
                    .collect(),
            }
        }
        "zone_hours" => hours_table(
            "zone_hours",
            "区域×时段",
            ["区域代码", "区域"],
            &r.zone_hours,
        ),
        "weekday_hours" => {
            let named: Vec<Hours> = r
                .weekday_hours
                .iter()
                .enumerate()
                .map(|(i, h)| Hours {
                    name: WEEKDAYS.get(i).copied().unwrap_or_default().into(),
                    ..h.clone()
                })
                .collect();
            hours_table("weekday_hours", "星期×时段", ["星期", "名称"], &named)
        }
        "satisfaction" => Table {
            id: "satisfaction",
            title: "满意度",
            headers: [
                "维度",
                "评分份数",
                "平均分(1-5)",
                "满意度指数",
                "权重",
                "低分(1-2分)",
            ]
            .map(String::from)
            .to_vec(),
            rows: r
                .satisfaction
                .dimensions
                .iter()
                .map(|d| {
                    vec![
                        Cell::Text(d.name.clone()),
                        count(d.answers),
                        d.mean.map(Cell::Number).unwrap_or(Cell::Empty),
                        d.csi.map(Cell::Number).unwrap_or(Cell::Empty),
                        Cell::Number(d.weight),
                        count(d.low),
                    ]
                })
                .collect(),
        },
        "satisfaction_months" => Table {
            id: "satisfaction_months",
            title: "满意度月度",
            headers: [
                "月份",
                "净推荐值",
                "推荐者",
                "推荐意愿答卷",
                "客户满意度指数",
                "评分答卷",
            ]
            .map(String::from)
            .to_vec(),
            rows: r
                .satisfaction
                .months
                .iter()
                .map(|m| {
                    vec![
                        Cell::Text(m.month.clone()),
                        m.nps.value.map(Cell::Number).unwrap_or(Cell::Empty),
                        count(m.nps.numerator),
                        count(m.nps.denominator),
                        m.csi.value.map(Cell::Number).unwrap_or(Cell::Empty),
                        count(m.csi.denominator),
                    ]
                })
                .collect(),
        },
        "hot_spots" => Table {
            id: "hot_spots",
            title: "点位热点",
            headers: ["点位编码", "点位", "X (米)", "Y (米)", "问题数"]
                .map(String::from)
                .to_vec(),
            rows: r
                .hot_spots
                .iter()
                .map(|s| {
                    vec![
                        Cell::Text(s.code.clone()),
                        Cell::Text(s.name.clone()),
                        Cell::Number(s.x),
                        Cell::Number(s.y),
                        count(s.count),
                    ]
                })
                .collect(),
        },
        _ => return None,
    })
}

/// The table as CSV in UTF-8 with a byte-order mark (Excel opens it as
/// UTF-8); shares as percentages.
pub fn csv(t: &Table) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = w.write_record(&t.headers);
    for row in &t.rows {
        let _ = w.write_record(row.iter().map(|c| match c {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if n.fract() == 0.0 => format!("{n:.0}"),
            Cell::Number(n) => format!("{n:.2}"),
            Cell::Share(v) => format!("{:.1}%", v * 100.0),
            Cell::Empty => String::new(),
        }));
    }
    w.into_inner().unwrap_or_default()
}

/// The table as an Excel workbook of one sheet, the header row bold and
/// frozen, shares formatted as percentages.
pub fn xlsx(t: &Table) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    xlsx_book(std::slice::from_ref(t))
}

/// The tables as one Excel workbook, a sheet each (named by its title).
pub fn xlsx_book(tables: &[Table]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    for t in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(t.title)?;
        for (c, h) in t.headers.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => {
                        sheet.write_string(r, c, s)?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, c, *n)?;
                    }
                    Cell::Share(v) => {
                        sheet.write_number_with_format(r, c, *v, &percent)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    book.save_to_buffer()
}
