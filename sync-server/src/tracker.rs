//! Changes made on the web dashboard: the server writes the workflow event into
//! the issue's document on the user's behalf, under the same role policy and
//! workflow checks a device applies, and devices receive it at their next sync.

use crate::error::StoreError;
use crate::store::Txn;
use crate::sync;
use crate::validate::Sender;
use automerge::AutoCommit;
use chrono::{DateTime, Utc};
use shared::doc;
use shared::ids::*;
use shared::issue::{self, EventBody, FoldRefusal, IssueEvent, IssueView};
use shared::text::Said;
use shared::wire::DocKind;

/// Why a dashboard change was not written.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("no such issue")]
    NotFound,
    #[error("{0}")]
    Refused(FoldRefusal),
    #[error("{0}")]
    Invalid(Said),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An event whose text or photo list is over the limits.
fn too_long(en: String) -> ChangeError {
    ChangeError::Invalid(Said::new(
        en,
        "内容超过长度限制，或照片太多：请缩短文字或减少照片",
    ))
}

/// Enters a resident's complaint as `sender` (customer service or a manager),
/// in `txn`: a new issue document written by the server on their behalf.
pub fn raise_complaint(
    txn: &mut dyn Txn,
    sender: &Sender,
    plan: &shared::plan::SitePlan,
    req: &shared::app::ComplaintRequest,
    now: DateTime<Utc>,
) -> Result<IssueView, ChangeError> {
    if !shared::policy::may_raise(sender.role, true) {
        return Err(ChangeError::Refused(FoldRefusal {
            code: "role_forbidden",
            reason: format!("role {} may not enter complaints", sender.role.code()),
        }));
    }
    if !req.photos.is_empty() {
        return Err(ChangeError::Invalid(Said::new(
            "photos of a complaint are added on a device",
            "投诉的照片请在设备上添加",
        )));
    }
    let (body, contact) = req.raise_body(plan, now).map_err(ChangeError::Invalid)?;
    let id = IssueId::new();
    let view = create(
        txn,
        sender,
        plan.site.id,
        id,
        body,
        &crate::ledger::Author::of(sender),
        now,
    )?;
    txn.put_contact(id, plan.site.id, &contact, now)?;
    Ok(view)
}

/// Writes a new issue document `id` raised by `sender` with `body`, its
/// receipt and its ledger entry (as `author`).
fn create(
    txn: &mut dyn Txn,
    sender: &Sender,
    site: SiteId,
    id: IssueId,
    body: EventBody,
    author: &crate::ledger::Author,
    now: DateTime<Utc>,
) -> Result<IssueView, ChangeError> {
    let corrupt = |e: String| ChangeError::Store(StoreError::Corrupt(e));
    let raise = IssueEvent {
        id: EventId::new(),
        lamport: 1,
        by: sender.user,
        by_name: sender.user_name.clone(),
        role: sender.role,
        device: sender.device,
        at: now,
        base: None,
        body,
    };
    raise.check_limits().map_err(too_long)?;
    let mut d = doc::new_issue(doc::actor(txn.server_actor()?), id, site, &raise)
        .map_err(|e| corrupt(e.to_string()))?;
    let view = issue::fold(id, [raise.clone()]).map_err(|e| corrupt(e.to_string()))?;
    sync::save(
        txn,
        id.into(),
        DocKind::Issue,
        &mut d,
        Some(vec![raise.clone()]),
        now,
    )?;
    if txn.put_receipt(*raise.id.as_uuid(), id.into(), now)? {
        crate::ledger::record_event(txn, site, id.into(), author, &raise, now)?;
    }
    Ok(view)
}

/// The name the server's own issues are raised under (an overdue
/// inspection's, for one).
pub const SERVER_NAME: &str = "system";

/// Raises issue `id` with `body` on the server's own account (user and
/// device: the nil id, name [`SERVER_NAME`], on behalf of the site's quality
/// office, so as a manager). Returns none when an issue with that id exists:
/// a job deriving the id from what it is about raises it once.
pub fn raise_by_server(
    txn: &mut dyn Txn,
    plan: &shared::plan::SitePlan,
    id: IssueId,
    body: EventBody,
    now: DateTime<Utc>,
) -> Result<Option<IssueView>, ChangeError> {
    if txn.issue_summary(id)?.is_some() || txn.doc(id.into())?.is_some() {
        return Ok(None);
    }
    let sender = Sender {
        device: DeviceId::from_uuid(uuid::Uuid::nil()),
        user: UserId::from_uuid(uuid::Uuid::nil()),
        user_name: SERVER_NAME.into(),
        role: shared::Role::Manager,
        actor: txn.server_actor()?,
        sites: vec![plan.site.id],
    };
    let author = txn.acting();
    create(txn, &sender, plan.site.id, id, body, &author, now).map(Some)
}

/// Appends `body` to issue `id` as `sender`, in `txn`. Returns the new state.
pub fn append_event(
    txn: &mut dyn Txn,
    sender: &Sender,
    id: IssueId,
    body: EventBody,
    now: DateTime<Utc>,
) -> Result<IssueView, ChangeError> {
    let corrupt = |e: String| ChangeError::Store(StoreError::Corrupt(e));
    match &body {
        EventBody::Raise { .. } => {
            return Err(ChangeError::Invalid(Said::new(
                "issues are raised on a device, at the checkpoint",
                "问题要在设备上、在点位现场记录",
            )));
        }
        EventBody::Rectify { photos, .. } if !photos.is_empty() => {
            return Err(ChangeError::Invalid(Said::new(
                "after-photos are added on the field staff's device",
                "整改后照片请在现场人员的设备上添加",
            )));
        }
        _ => {}
    }
    let stored = txn
        .doc(id.into())?
        .filter(|d| d.kind == DocKind::Issue && sender.sites.contains(&d.site))
        .ok_or(ChangeError::NotFound)?;
    let mut d = AutoCommit::load(&stored.bytes).map_err(|e| corrupt(e.to_string()))?;
    d.set_actor(doc::actor(txn.server_actor()?));
    let events = doc::issue_events(&d).map_err(|e| corrupt(e.to_string()))?;
    let view = issue::fold(id, events.clone()).map_err(|e| corrupt(e.to_string()))?;
    view.check(sender.user, sender.role, body.kind())
        .map_err(ChangeError::Refused)?;
    let event = IssueEvent {
        id: EventId::new(),
        lamport: view.next_lamport(),
        by: sender.user,
        by_name: sender.user_name.clone(),
        role: sender.role,
        device: sender.device,
        at: now,
        base: Some(view.base()),
        body,
    };
    event.check_limits().map_err(too_long)?;
    if events.len() >= shared::limits::EVENTS_PER_ISSUE {
        return Err(ChangeError::Invalid(Said::new(
            format!(
                "an issue may hold at most {} events",
                shared::limits::EVENTS_PER_ISSUE
            ),
            format!(
                "一个问题最多记录 {} 步：请新建问题",
                shared::limits::EVENTS_PER_ISSUE
            ),
        )));
    }
    doc::append_event(&mut d, &event).map_err(|e| corrupt(e.to_string()))?;
    let mut all = events;
    all.push(event.clone());
    let view = issue::fold(id, all.clone()).map_err(|e| corrupt(e.to_string()))?;
    sync::save(txn, id.into(), DocKind::Issue, &mut d, Some(all), now)?;
    if txn.put_receipt(*event.id.as_uuid(), id.into(), now)? {
        let by = crate::ledger::Author::of(sender);
        crate::ledger::record_event(txn, stored.site, id.into(), &by, &event, now)?;
    }
    Ok(view)
}
