//! The planning side of a site: schedules (admins), double-random spot-check
//! draws and one-off (emergency) patrols (managers), and coverage reports. Schedules and draws live in the
//! plan document, so devices receive them at sync and work their tasks
//! offline; tasks themselves are computed (`shared::schedule::tasks`).

use crate::accounts::{self, AccountError};
use crate::store::Txn;
use chrono::{DateTime, NaiveDate, Utc};
use shared::codes::Role;
use shared::ids::*;
use shared::plan::{Route, SitePlan};
use shared::schedule::{
    self, AdHocPatrol, Check, Coverage, Repeat, Schedule, Season, SpotCheck, Target, Window,
};
use shared::text::Code;
pub use shared::wire::{AdHocRequest, DrawRequest, Replay, ScheduleSpec};

fn invalid(en: impl Into<String>, zh: impl Into<String>) -> AccountError {
    AccountError::invalid(en, zh)
}

fn said(e: impl shared::text::Bilingual) -> AccountError {
    AccountError::said(&e)
}

fn parse_season(s: &str) -> Result<Season, AccountError> {
    let bad = || {
        invalid(
            format!("season `{s}` should look like 雨季:06-01..09-30:daily"),
            format!("季节“{s}”不完整：要有名称、起止日期和频率"),
        )
    };
    let mut parts = s.splitn(3, ':');
    let (name, range, repeat) = (
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
    );
    let (from, until) = range.split_once("..").ok_or_else(bad)?;
    Ok(Season {
        name: name.trim().to_string(),
        from: from.parse().map_err(said)?,
        until: until.parse().map_err(said)?,
        repeat: repeat.parse().map_err(said)?,
    })
}

fn resolve(plan: &SitePlan, spec: &ScheduleSpec) -> Result<Schedule, AccountError> {
    let code = Code::parse("schedule code", &spec.code).map_err(said)?;
    let name = shared::text::required("schedule name", &spec.name, shared::text::NAME_MAX)
        .map_err(said)?;
    let target = match (&spec.route, spec.checkpoints.is_empty()) {
        (Some(r), true) => Target::Route {
            route: plan
                .route_by_code(r.trim())
                .ok_or_else(|| {
                    invalid(
                        format!("there is no route `{r}`"),
                        format!("没有路线“{r}”：请从列表中选择"),
                    )
                })?
                .id,
        },
        (None, false) => Target::Checkpoints {
            checkpoints: spec
                .checkpoints
                .iter()
                .map(|c| {
                    plan.checkpoint_by_code(c.trim())
                        .map(|cp| cp.id)
                        .ok_or_else(|| {
                            invalid(
                                format!("there is no checkpoint `{c}`"),
                                format!("没有点位“{c}”：请从列表中选择"),
                            )
                        })
                })
                .collect::<Result<_, _>>()?,
        },
        _ => {
            return Err(invalid(
                "give a route or checkpoints, not both",
                "请选一条路线，或选若干点位（二者选一）",
            ));
        }
    };
    let repeat: Repeat = spec.repeat.parse().map_err(said)?;
    let window: Option<Window> = spec
        .window
        .as_deref()
        .filter(|w| !w.trim().is_empty())
        .map(str::parse)
        .transpose()
        .map_err(said)?;
    let assignee = match spec.assignee.as_deref().filter(|a| !a.trim().is_empty()) {
        Some(name) => {
            let u = plan
                .user_by_name(name.trim())
                .ok_or_else(|| AccountError::UnknownUser(name.to_string()))?;
            if u.role != Role::Inspector && u.role != Role::Manager {
                return Err(invalid(
                    format!("{name} does not walk patrols"),
                    format!("{name} 不是巡查员：请选巡查员或品质经理"),
                ));
            }
            Some(u.id)
        }
        None => None,
    };
    Ok(Schedule {
        code,
        name,
        target,
        repeat,
        window,
        seasons: spec
            .seasons
            .iter()
            .map(|s| parse_season(s))
            .collect::<Result<_, _>>()?,
        assignee,
    })
}

/// Adds a schedule, or replaces the one with the same code.
pub fn put_schedule(
    txn: &mut dyn Txn,
    site_code: &str,
    spec: &ScheduleSpec,
    now: DateTime<Utc>,
) -> Result<Schedule, AccountError> {
    let site = accounts::site(txn, site_code)?;
    let (_, mut plan) = accounts::load_plan(txn, &site)?;
    let s = resolve(&plan, spec)?;
    if plan.spot_checks.iter().any(|c| c.code == s.code) {
        return Err(invalid(
            format!("`{}` is a spot check's code", s.code),
            format!("“{}”是抽查任务的编码：请换一个编码", s.code),
        ));
    }
    plan.schedules.retain(|x| x.code != s.code);
    plan.schedules.push(s.clone());
    accounts::store_plan(txn, plan, now)?;
    Ok(s)
}

pub fn remove_schedule(
    txn: &mut dyn Txn,
    site_code: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let site = accounts::site(txn, site_code)?;
    let (_, mut plan) = accounts::load_plan(txn, &site)?;
    let before = plan.schedules.len();
    plan.schedules.retain(|x| x.code.as_str() != code.trim());
    if plan.schedules.len() == before {
        return Err(invalid(
            format!("there is no schedule `{code}`"),
            format!("没有计划“{code}”：可能已被删除，请刷新"),
        ));
    }
    accounts::store_plan(txn, plan, now)
}

/// Draws checkpoints and an inspector at random, records the draw in the
/// plan with a route through the drawn points (ordered for a short walk), and
/// returns it. The candidates are recorded in the order the draw used them.
pub fn draw_spot_check(
    txn: &mut dyn Txn,
    site_code: &str,
    req: &DrawRequest,
    by: &str,
    now: DateTime<Utc>,
) -> Result<SpotCheck, AccountError> {
    if req.until <= req.from {
        return Err(invalid(
            "the window must end after it starts",
            "结束时间要晚于开始时间",
        ));
    }
    let site = accounts::site(txn, site_code)?;
    let (_, mut plan) = accounts::load_plan(txn, &site)?;
    let zone = match req.zone.as_deref().filter(|z| !z.trim().is_empty()) {
        Some(z) => Some(
            plan.zones
                .iter()
                .find(|x| x.code.as_str() == z.trim())
                .ok_or_else(|| {
                    invalid(
                        format!("there is no zone `{z}`"),
                        format!("没有区域“{z}”：请从列表中选择"),
                    )
                })?
                .id,
        ),
        None => None,
    };
    // Plans come sorted by code, so the candidate order is the code order.
    let candidates: Vec<CheckpointId> = plan
        .checkpoints
        .iter()
        .filter(|c| zone.is_none_or(|z| c.zone == z))
        .map(|c| c.id)
        .collect();
    let inspectors: Vec<UserId> = plan
        .users
        .iter()
        .filter(|u| u.active && u.role == Role::Inspector)
        .map(|u| u.id)
        .collect();
    // The server's randomness, recorded with the draw; never the requester's choice.
    let seed: u64 = rand::random();
    let (checkpoints, inspector) =
        schedule::draw(seed, &candidates, &inspectors, req.n).map_err(said)?;
    let day = req
        .from
        .with_timezone(&plan.site.deadlines.offset())
        .format("%Y%m%d");
    let number = (1..)
        .find(|i| {
            let code = format!("SC-{day}-{i}");
            !plan.spot_checks.iter().any(|s| s.code.as_str() == code)
                && plan.route_by_code(&code).is_none()
        })
        .expect("a free number");
    let code = Code::parse("spot check code", &format!("SC-{day}-{number}")).map_err(said)?;
    let items: Vec<(CheckpointId, Option<(f64, f64)>)> = checkpoints
        .iter()
        .map(|id| (*id, plan.checkpoint(*id).and_then(|c| c.plan_xy)))
        .collect();
    plan.routes.push(Route {
        id: RouteId::new(),
        code: code.clone(),
        name: format!("双随机抽查 {code}"),
        checkpoints: shared::walk::order_items(&items),
    });
    let sc = SpotCheck {
        code,
        seed,
        drawn_at: now,
        drawn_by: by.to_string(),
        n: req.n,
        candidates,
        inspectors,
        checkpoints,
        inspector,
        from: req.from,
        until: req.until,
    };
    plan.spot_checks.push(sc.clone());
    accounts::store_plan(txn, plan, now)?;
    Ok(sc)
}

/// Launches a one-off patrol (应急巡查): the chosen checkpoints (or a zone's)
/// get a route ordered for walking, and the chosen inspectors a task for the
/// window, which devices receive with the plan at their next sync.
pub fn launch_adhoc(
    txn: &mut dyn Txn,
    site_code: &str,
    req: &AdHocRequest,
    by: &str,
    now: DateTime<Utc>,
) -> Result<AdHocPatrol, AccountError> {
    if req.until <= req.from {
        return Err(invalid(
            "the window must end after it starts",
            "结束时间要晚于开始时间",
        ));
    }
    if req.until <= now {
        return Err(invalid(
            "the window has already ended",
            "结束时间已经过去：请选一个将来的时间",
        ));
    }
    if req.until - req.from > chrono::Duration::days(31) {
        return Err(invalid(
            "a one-off patrol lasts at most 31 days",
            "临时巡查最长 31 天：请缩短时段",
        ));
    }
    let name =
        shared::text::required("patrol name", &req.name, shared::text::NAME_MAX).map_err(said)?;
    let site = accounts::site(txn, site_code)?;
    let (_, mut plan) = accounts::load_plan(txn, &site)?;
    let checkpoints: Vec<CheckpointId> = match (
        req.zone.as_deref().map(str::trim),
        req.checkpoints.is_empty(),
    ) {
        (Some(z), true) if !z.is_empty() => {
            let zone = plan
                .zones
                .iter()
                .find(|x| x.code.as_str() == z)
                .ok_or_else(|| {
                    invalid(
                        format!("there is no zone `{z}`"),
                        format!("没有区域“{z}”：请从列表中选择"),
                    )
                })?;
            plan.checkpoints
                .iter()
                .filter(|c| c.zone == zone.id)
                .map(|c| c.id)
                .collect()
        }
        (None | Some(""), false) => {
            let mut out = Vec::new();
            for c in &req.checkpoints {
                let id = plan
                    .checkpoint_by_code(c.trim())
                    .ok_or_else(|| {
                        invalid(
                            format!("there is no checkpoint `{c}`"),
                            format!("没有点位“{c}”：请从列表中选择"),
                        )
                    })?
                    .id;
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            out
        }
        _ => {
            return Err(invalid(
                "give checkpoints or a zone, not both",
                "请选一个区域，或选若干点位（二者选一）",
            ));
        }
    };
    if checkpoints.is_empty() {
        return Err(invalid(
            "the zone has no checkpoints",
            "该区域没有点位：请换一个区域或直接选点位",
        ));
    }
    if req.inspectors.is_empty() {
        return Err(invalid("choose at least one inspector", "至少选一名巡查员"));
    }
    let mut inspectors = Vec::new();
    for name in &req.inspectors {
        let u = plan
            .user_by_name(name.trim())
            .filter(|u| u.active)
            .ok_or_else(|| AccountError::UnknownUser(name.to_string()))?;
        if !matches!(u.role, Role::Inspector | Role::Manager) {
            return Err(invalid(
                format!("{name} does not walk patrols"),
                format!("{name} 不是巡查员：请选巡查员或品质经理"),
            ));
        }
        if !inspectors.contains(&u.id) {
            inspectors.push(u.id);
        }
    }
    let day = req
        .from
        .with_timezone(&plan.site.deadlines.offset())
        .format("%Y%m%d");
    let number = (1..)
        .find(|i| {
            let code = format!("EM-{day}-{i}");
            !plan.adhoc.iter().any(|s| s.code.as_str() == code)
                && plan.route_by_code(&code).is_none()
        })
        .expect("a free number");
    let code = Code::parse("patrol code", &format!("EM-{day}-{number}")).map_err(said)?;
    let items: Vec<(CheckpointId, Option<(f64, f64)>)> = checkpoints
        .iter()
        .map(|id| (*id, plan.checkpoint(*id).and_then(|c| c.plan_xy)))
        .collect();
    plan.routes.push(Route {
        id: RouteId::new(),
        code: code.clone(),
        name: format!("应急巡查 {name}"),
        checkpoints: shared::walk::order_items(&items),
    });
    let patrol = AdHocPatrol {
        code,
        name,
        checkpoints,
        inspectors,
        from: req.from,
        until: req.until,
        launched_by: by.to_string(),
        launched_at: now,
    };
    plan.adhoc.push(patrol.clone());
    accounts::store_plan(txn, plan, now)?;
    Ok(patrol)
}

pub fn replay(txn: &mut dyn Txn, site_code: &str, code: &str) -> Result<Replay, AccountError> {
    let site = accounts::site(txn, site_code)?;
    let (_, plan) = accounts::load_plan(txn, &site)?;
    let sc = plan
        .spot_checks
        .iter()
        .find(|s| s.code.as_str() == code.trim())
        .ok_or_else(|| {
            invalid(
                format!("there is no spot check `{code}`"),
                format!("没有抽查任务“{code}”：请刷新后再看"),
            )
        })?;
    Ok(Replay {
        replays: sc.replays(),
        checkpoint_codes: sc
            .checkpoints
            .iter()
            .map(|id| {
                plan.checkpoint(*id)
                    .map(|c| c.code.to_string())
                    .unwrap_or_else(|| id.to_string())
            })
            .collect(),
        inspector_name: plan
            .user(sc.inspector)
            .map(|u| u.name.to_string())
            .unwrap_or_else(|| sc.inspector.to_string()),
        spot_check: sc.clone(),
    })
}

/// Coverage of the tasks due on the local days `from..=to`.
pub fn coverage(
    txn: &mut dyn Txn,
    plan: &SitePlan,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Coverage, AccountError> {
    let end = to.succ_opt().unwrap_or(to);
    let tasks = schedule::tasks(plan, from, end);
    let earliest = tasks.iter().map(|t| t.from).min();
    let mut checks = Vec::new();
    if let Some(earliest) = earliest {
        // Runs started up to a day before the first window can hold its results.
        let since = earliest - chrono::Duration::days(1);
        for run in txn.list_patrols(plan.site.id, since, 100_000)? {
            checks.extend(run.results.iter().map(|r| Check {
                checkpoint: r.checkpoint,
                by: r.by,
                at: r.checked_at,
            }));
        }
    }
    Ok(schedule::coverage(
        plan,
        &tasks,
        &checks,
        chrono::Utc::now(),
    ))
}
