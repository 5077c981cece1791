//! Patrol runs as reviewers read them: progress per run, and every result with
//! its presence evidence (code entered, device time, server receipt time,
//! dwell time). A result without evidence is listed and marked, never hidden.

use crate::accounts;
use crate::error::{ApiError, StoreError};
use crate::store::Txn;
use crate::validate::Sender;
use chrono::{DateTime, Utc};
use shared::ids::*;
use shared::patrol::{PatrolRunView, PresenceEvidence};
use shared::plan::{Site, SitePlan};
use shared::wire::{DocKind, PatrolDetail, PatrolSummary, ResultDetail};
use std::collections::{HashMap, HashSet};

fn corrupt(e: impl ToString) -> ApiError {
    ApiError::from(StoreError::Corrupt(e.to_string()))
}

/// The sender's site record (a row; no plan document is loaded).
pub fn sender_site(txn: &mut dyn Txn, sender: &Sender) -> Result<Site, ApiError> {
    let site_id = *sender.sites.first().ok_or_else(ApiError::unauthorized)?;
    txn.site(site_id)?
        .ok_or_else(|| ApiError::not_found("site"))
}

/// The plan of the sender's site (loads and reads the plan document).
pub fn sender_plan(txn: &mut dyn Txn, sender: &Sender) -> Result<SitePlan, ApiError> {
    let site = sender_site(txn, sender)?;
    let (_, plan) = accounts::load_plan(txn, &site).map_err(corrupt)?;
    Ok(plan)
}

/// Whether `sender` may read `run`: managers and admins read all of their
/// site's runs, an inspector their own.
pub fn may_read(sender: &Sender, run: &PatrolRunView) -> bool {
    use shared::policy::{Action, permits};
    permits(sender.role, Action::ReadAllPatrols)
        || (permits(sender.role, Action::WalkPatrol) && run.run.inspector == sender.user)
}

pub fn summary(plan: &SitePlan, v: &PatrolRunView) -> PatrolSummary {
    let checked: HashSet<CheckpointId> = v.results.iter().map(|r| r.checkpoint).collect();
    PatrolSummary {
        id: v.run.id,
        route_code: v.run.route_code.to_string(),
        inspector_name: v.run.inspector_name.clone(),
        started_at: v.run.started_at,
        finished_at: v.finished_at,
        checked: checked.len(),
        route_len: v.run.due_checkpoints(plan).len().max(checked.len()),
        failed_items: v.results.iter().map(|r| r.failed_items().count()).sum(),
        without_presence: v
            .results
            .iter()
            .filter(|r| !matches!(r.evidence(), PresenceEvidence::Code { .. }))
            .count(),
    }
}

/// Runs started since `since`, newest first, that `sender` may read.
pub fn list(
    txn: &mut dyn Txn,
    sender: &Sender,
    since: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<PatrolSummary>, ApiError> {
    let plan = sender_plan(txn, sender)?;
    Ok(txn
        .list_patrols(plan.site.id, since, limit)?
        .iter()
        .filter(|v| may_read(sender, v))
        .map(|v| summary(&plan, v))
        .collect())
}

/// One run with every result, read from its document.
pub fn detail(
    txn: &mut dyn Txn,
    sender: &Sender,
    id: PatrolRunId,
) -> Result<PatrolDetail, ApiError> {
    let stored = txn
        .doc(id.into())?
        .filter(|d| d.kind == DocKind::Patrol && sender.sites.contains(&d.site))
        .ok_or_else(|| ApiError::not_found("patrol"))?;
    let d = automerge::AutoCommit::load(&stored.bytes).map_err(corrupt)?;
    let view = shared::doc::patrol(&d).map_err(corrupt)?;
    if !may_read(sender, &view) {
        return Err(ApiError::not_found("patrol"));
    }
    let plan = sender_plan(txn, sender)?;
    detail_of(txn, &plan, &view)
}

/// One run read from its document `view`, with each result's receipt time,
/// the checkpoints it skipped and the issues raised on it (no access check).
pub fn detail_of(
    txn: &mut dyn Txn,
    plan: &SitePlan,
    view: &PatrolRunView,
) -> Result<PatrolDetail, ApiError> {
    let id = view.run.id;
    let receipts: HashMap<uuid::Uuid, i64> = txn
        .receipts_of(&[id.into()])?
        .into_iter()
        .map(|r| (r.entry, r.received_at_ms))
        .collect();
    let results = view
        .results
        .iter()
        .map(|r| ResultDetail {
            checkpoint_name: plan
                .checkpoint(r.checkpoint)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            received_at: receipts
                .get(r.id.as_uuid())
                .and_then(|ms| DateTime::from_timestamp_millis(*ms)),
            evidence: r.evidence(),
            result: r.clone(),
        })
        .collect();
    let checked: std::collections::HashSet<CheckpointId> =
        view.results.iter().map(|r| r.checkpoint).collect();
    let skipped = view
        .run
        .due_checkpoints(plan)
        .into_iter()
        .filter(|c| !checked.contains(c))
        .filter_map(|c| plan.checkpoint(c))
        .map(|c| (c.code.to_string(), c.name.clone()))
        .collect();
    let issues = txn
        .list_issues(&crate::store::IssueQuery {
            sites: vec![plan.site.id],
            // Raised on the run, so touched since it started.
            touched_since: Some(view.run.started_at),
            ..Default::default()
        })?
        .into_iter()
        .filter(|s| s.patrol == Some(id))
        .map(|s| shared::wire::RaisedOnRun {
            issue: s.id,
            title: s.title,
            checkpoint: s.checkpoint,
            item: s.item,
        })
        .collect();
    Ok(PatrolDetail {
        summary: summary(plan, view),
        results,
        skipped,
        issues,
    })
}
