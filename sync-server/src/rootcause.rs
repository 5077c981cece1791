//! Repeat problems and root-cause records on the server: repeat flags are
//! computed over a site's issue rows; root-cause records are rows written by
//! managers on the dashboard (they are not edited offline, so they are not
//! documents) and are linked to the issues they explain.

use crate::error::ApiError;
use crate::store::{IssueQuery, Txn};
use crate::validate::Sender;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use shared::plan::{Site, SitePlan};
use shared::repeat::{RootCause, RootCauseInput, repeats};
use shared::wire::IssueSummary;

/// Sets the repeat flag of each issue in `list`, judged against every issue of the site.
pub fn flag_repeats(
    txn: &mut dyn Txn,
    site: &Site,
    list: &mut [IssueSummary],
) -> Result<(), ApiError> {
    let all = txn.list_issues(&IssueQuery {
        sites: vec![site.id],
        ..Default::default()
    })?;
    let flags = repeats(&all, site.repeat_window_days);
    for s in list {
        s.repeat = flags.get(&s.id).cloned();
    }
    Ok(())
}

/// Adds or edits a root-cause record; managers only; every linked issue must be the site's.
pub fn save(
    txn: &mut dyn Txn,
    sender: &Sender,
    plan: &SitePlan,
    input: RootCauseInput,
    now: DateTime<Utc>,
) -> Result<RootCause, ApiError> {
    crate::admin::require(sender, shared::policy::Action::WriteRootCause)?;
    input
        .check()
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m))?;
    if plan.user_by_name(input.owner.trim()).is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("there is no user `{}` on this site", input.owner),
        ));
    }
    let site_issues: std::collections::HashSet<_> = txn
        .list_issues(&IssueQuery {
            sites: vec![plan.site.id],
            ..Default::default()
        })?
        .into_iter()
        .map(|s| s.id)
        .collect();
    if let Some(missing) = input.issues.iter().find(|i| !site_issues.contains(i)) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("there is no issue {missing} on this site"),
        ));
    }
    let existing = txn.root_causes(plan.site.id)?;
    let id = match input.id {
        Some(id) if existing.iter().any(|r| r.id == id) => id,
        Some(_) => return Err(ApiError::not_found("root-cause record")),
        None => uuid::Uuid::now_v7(),
    };
    let record = RootCause {
        id,
        site: plan.site.id,
        issues: input.issues,
        whys: input
            .whys
            .into_iter()
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect(),
        cause: input.cause,
        action: input.action.trim().to_string(),
        owner: input.owner.trim().to_string(),
        due: input.due,
        by: sender.user_name.clone(),
        updated_at: now,
    };
    txn.put_root_cause(&record)?;
    Ok(record)
}
