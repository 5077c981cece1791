//! Repeat problems and root-cause records on the server: repeat flags are
//! computed over a site's issue rows; root-cause records are rows (they are
//! not edited offline, so they are not documents), opened by themselves when
//! a repeat or an unsatisfied resident is projected, analysed by managers on
//! the dashboard, closed when their corrective actions are done, and judged
//! effective or not by the reminder job.

use crate::error::{ApiError, StoreError};
use crate::ledger::Author;
use crate::store::Txn;
use crate::validate::Sender;
use chrono::{DateTime, Utc};
use shared::ids::SiteId;
use shared::plan::{Site, SitePlan};
use shared::repeat::{
    ActionStatus, NewTask, RootCause, RootCauseInput, RootCauseStatus, RootCauseTrigger, repeat_of,
};
use shared::text::Said;
use shared::wire::{IssueSummary, Notification, NotificationKind};
use std::collections::HashMap;

/// Sets the repeat flag of each issue in `list`, judged against the issues
/// of the site at the same checkpoint and category raised from the repeat
/// window before the earliest of them to the latest: what the flags can
/// depend on, not the site's whole history.
pub fn flag_repeats(
    txn: &mut dyn Txn,
    site: &Site,
    list: &mut [IssueSummary],
) -> Result<(), ApiError> {
    let mut spans: HashMap<(String, shared::Category), (DateTime<Utc>, DateTime<Utc>)> =
        HashMap::new();
    for s in list.iter().filter(|s| s.site == site.id) {
        if let Some(cp) = &s.checkpoint {
            let span = spans
                .entry((cp.clone(), s.category))
                .or_insert((s.raised_at, s.raised_at));
            span.0 = span.0.min(s.raised_at);
            span.1 = span.1.max(s.raised_at);
        }
    }
    let mut around: HashMap<(String, shared::Category), Vec<IssueSummary>> = HashMap::new();
    for ((cp, category), (first, last)) in spans {
        let from = window_start(first, site.repeat_window_days);
        let found = txn.issues_at(site.id, &cp, category, from..=last, None, usize::MAX)?;
        around.insert((cp, category), found);
    }
    for s in list {
        s.repeat = match &s.checkpoint {
            Some(cp) if s.site == site.id => around
                .get(&(cp.clone(), s.category))
                .and_then(|earlier| repeat_of(s, earlier, site.repeat_window_days)),
            _ => None,
        };
    }
    Ok(())
}

/// Writes a manager's analysis: into the record `input.id` (a task opened by
/// itself, or an earlier analysis) or a new record. Managers only; every
/// linked issue must be the site's and every action's owner a user of it.
pub fn save(
    txn: &mut dyn Txn,
    sender: &Sender,
    plan: &SitePlan,
    input: RootCauseInput,
    now: DateTime<Utc>,
) -> Result<RootCause, ApiError> {
    crate::admin::require(sender, shared::policy::Action::WriteRootCause)?;
    let invalid = |en: String, zh: String| ApiError::invalid(&Said::new(en, zh));
    input.check().map_err(|e| ApiError::invalid(&e))?;
    for a in &input.actions {
        if plan.user_by_name(a.owner.trim()).is_none_or(|u| !u.active) {
            return Err(invalid(
                format!("there is no active user `{}` on this site", a.owner),
                format!("“{}”不是本项目在岗的人员：请从列表中选择负责人", a.owner),
            ));
        }
    }
    let mut first = None;
    for id in &input.issues {
        match txn.issue_summary(*id)? {
            Some(s) if s.site == plan.site.id => first = first.or(Some(s)),
            _ => {
                return Err(invalid(
                    format!("there is no issue {id} on this site"),
                    "关联的问题不在本项目：请从列表中选择".into(),
                ));
            }
        }
    }
    let first = first.expect("checked: at least one issue");
    let mut record = match input.id {
        Some(id) => txn
            .root_cause(id)?
            .filter(|r| r.site == plan.site.id)
            .ok_or_else(|| ApiError::not_found("root-cause record"))?,
        None => RootCause::task(
            NewTask {
                id: shared::ids::fresh(),
                site: plan.site.id,
                issues: Vec::new(),
                checkpoint: first.checkpoint.clone(),
                category: first.category,
                trigger: RootCauseTrigger::Manual,
            },
            plan.site.deadlines.root_cause_days,
            plan.site.deadlines.offset(),
            now,
        ),
    };
    record
        .analyse(&input, &sender.user_name, now)
        .map_err(|e| ApiError::invalid(&e))?;
    put(txn, &record, "analyse", &Author::of(sender), now)?;
    Ok(record)
}

/// Marks corrective action `n` of record `id` done (its owner or a manager)
/// or checked (a manager); the record closes when it was the last open one.
pub fn set_action(
    txn: &mut dyn Txn,
    sender: &Sender,
    id: uuid::Uuid,
    n: u32,
    status: ActionStatus,
    now: DateTime<Utc>,
) -> Result<RootCause, ApiError> {
    let mut record = txn
        .root_cause(id)?
        .filter(|r| sender.sites.contains(&r.site))
        .ok_or_else(|| ApiError::not_found("root-cause record"))?;
    let manager = shared::policy::permits(sender.role, shared::policy::Action::WriteRootCause);
    let owner = record
        .actions
        .iter()
        .any(|a| a.n == n && a.owner == sender.user_name);
    if !manager && !owner {
        return Err(ApiError::forbidden(format!(
            "role {} may only mark its own corrective actions done",
            sender.role.code()
        )));
    }
    record
        .set_action(n, status, &sender.user_name, manager, now)
        .map_err(|e| ApiError::invalid(&e))?;
    put(
        txn,
        &record,
        &format!("action_{n}"),
        &Author::of(sender),
        now,
    )?;
    Ok(record)
}

/// Follows a freshly projected issue through: a repeat at its checkpoint or
/// an unsatisfied resident opens a root-cause task (or joins the open record
/// of the same checkpoint and category), and a recurrence while a closed
/// record is watched makes that record 无效. Idempotent: an issue already on
/// a record changes nothing.
///
/// Its cost does not grow with the site's history: it reads the issues of
/// one checkpoint and category within the repeat window (one of them when a
/// record is there to join), and joining appends one row.
pub fn follow(
    txn: &mut dyn Txn,
    issue: &IssueSummary,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let unsatisfied = issue.satisfied == Some(false) && issue.status != shared::Status::Cancelled;
    if issue.checkpoint.is_none() && !unsatisfied {
        return Ok(());
    }
    if txn.on_root_cause(issue.id)? {
        return Ok(());
    }
    let Some(site) = txn.site(issue.site)? else {
        return Ok(());
    };
    let (head, repeat) = match issue.checkpoint.as_deref() {
        Some(cp) => {
            // The same checkpoint and category already has a record being worked or watched.
            let head = txn.root_cause_head_at(issue.site, cp, issue.category)?;
            // One earlier issue is enough to join a record; a new one lists them all.
            let repeat = repeat_at(txn, issue, cp, site.repeat_window_days, head.is_some())?;
            (head, repeat)
        }
        None => (None, None),
    };
    let trigger = match (&repeat, unsatisfied) {
        (Some(_), _) => RootCauseTrigger::Repeat,
        (None, true) => RootCauseTrigger::Unsatisfied,
        (None, false) => return Ok(()),
    };
    if let Some(mut r) = head {
        if r.recur(issue.id, now) {
            txn.join_root_cause(&r, issue.id)?;
            crate::ledger::record_root_cause(
                txn,
                &r,
                "recur",
                Some(issue.id),
                &Author::server(),
                now,
            )?;
        }
        return Ok(());
    }
    let mut issues: Vec<_> = repeat.map(|r| r.earlier).unwrap_or_default();
    issues.push(issue.id);
    let task = RootCause::task(
        NewTask {
            id: shared::ids::fresh(),
            site: issue.site,
            issues,
            checkpoint: issue.checkpoint.clone(),
            category: issue.category,
            trigger,
        },
        site.deadlines.root_cause_days,
        site.deadlines.offset(),
        now,
    );
    put(txn, &task, "open", &Author::server(), now)
}

/// The earliest raise a repeat window of `days` ending at `at` reaches back to.
fn window_start(at: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    at.checked_sub_signed(chrono::Duration::days(days.into()))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Earlier issues read first when any one of them will do: the latest.
const ENOUGH: usize = 1;

/// The repeat flag of `issue` at `checkpoint`, from the issues raised in the
/// window before it: all of them, or when `any` only as many as it takes to
/// find one (issues of the same round are not repeats, so a page of them
/// reads the whole window).
fn repeat_at(
    txn: &mut dyn Txn,
    issue: &IssueSummary,
    checkpoint: &str,
    window_days: u32,
    any: bool,
) -> Result<Option<shared::repeat::Repeat>, StoreError> {
    let from = window_start(issue.raised_at, window_days);
    let mut limit = if any { ENOUGH } else { usize::MAX };
    loop {
        let around = txn.issues_at(
            issue.site,
            checkpoint,
            issue.category,
            from..=issue.raised_at,
            Some(issue.id),
            limit,
        )?;
        let repeat = repeat_of(issue, &around, window_days);
        if repeat.is_some() || around.len() < limit {
            return Ok(repeat);
        }
        limit = usize::MAX;
    }
}

/// Saves a record and enters it in the ledger.
fn put(
    txn: &mut dyn Txn,
    r: &RootCause,
    what: &str,
    by: &Author,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    txn.put_root_cause(r)?;
    crate::ledger::record_root_cause(txn, r, what, None, by, now)
}

/// The root-cause side of the reminder job at `now`: a record watched for the
/// whole repeat window without a recurrence becomes 有效; a task whose
/// analysis is overdue reminds the managers; an overdue corrective action
/// reminds its owner. Returns how many records changed or reminded.
pub fn scan(
    txn: &mut dyn Txn,
    sites: &HashMap<SiteId, Site>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut done = 0;
    for site in sites.values() {
        let users = txn.users_of_site(site.id)?;
        let managers: Vec<_> = users
            .iter()
            .filter(|u| u.active && u.role == shared::Role::Manager)
            .collect();
        let today = now.with_timezone(&site.deadlines.offset()).date_naive();
        for mut r in txn.root_causes(site.id)? {
            if r.judge(site.repeat_window_days, now) {
                put(txn, &r, "judge", &Author::server(), now)?;
                done += 1;
                continue;
            }
            let Some(first) = r.issues.first().copied() else {
                continue;
            };
            let mut due: Vec<(DateTime<Utc>, Vec<&crate::store::UserRecord>, String)> = Vec::new();
            if r.status == RootCauseStatus::Pending && r.due < today {
                due.push((
                    end_of(r.due, site),
                    managers.clone(),
                    format!("{}#analysis", r.id),
                ));
            }
            if r.is_open() {
                for a in r
                    .actions
                    .iter()
                    .filter(|a| a.status == ActionStatus::Open && a.due < today)
                {
                    let owner: Vec<_> = users
                        .iter()
                        .filter(|u| u.active && u.name == a.owner)
                        .collect();
                    due.push((end_of(a.due, site), owner, format!("{}#{}", r.id, a.n)));
                }
            }
            if due.is_empty() {
                continue;
            }
            let title = txn
                .issue_summary(first)?
                .map(|s| s.title)
                .unwrap_or_default();
            for (at, to, what) in due {
                let mut created = false;
                for u in to {
                    created |= txn.insert_notification(&Notification {
                        id: crate::jobs::derived_id(&[
                            what.as_bytes(),
                            at.to_rfc3339().as_bytes(),
                            u.id.as_uuid().as_bytes(),
                        ]),
                        kind: NotificationKind::RootCause,
                        recipient: u.id,
                        issue: first,
                        title: title.clone(),
                        checkpoint: r.checkpoint.clone(),
                        status: shared::Status::Recorded,
                        deadline: at,
                        assignee: None,
                        created_at: now,
                        equipment: None,
                    })?;
                }
                done += usize::from(created);
            }
        }
    }
    Ok(done)
}

/// The end of a local day of `site`, as the time a due date falls due.
fn end_of(day: chrono::NaiveDate, site: &Site) -> DateTime<Utc> {
    use chrono::TimeZone;
    let next = day
        .succ_opt()
        .unwrap_or(day)
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    site.deadlines
        .offset()
        .from_local_datetime(&next)
        .single()
        .map(|t| t.with_timezone(&Utc) - chrono::Duration::seconds(1))
        .unwrap_or_else(|| Utc.from_utc_datetime(&next))
}
