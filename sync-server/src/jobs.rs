//! The background job: reminders before an open issue's deadline, escalation
//! to the site's managers once it has passed, reminders for issues that wait
//! too long on someone (a verification, a call-back, a complaint's dispatch),
//! root-cause tasks, and the delivery of every notification to an optional
//! webhook (JSON POST, retried with backoff).
//!
//! Every step takes the time as an argument, so tests drive it with an
//! injected clock; the server's loop passes `Utc::now()`. Each notification
//! and each webhook call has an id derived from what it is about, so a scan
//! that runs twice (or on two replicas) creates nothing twice, and a receiver
//! sees the same `x-patrol-delivery` id on every retry of one call.

use crate::error::StoreError;
use crate::store::{Store, Txn};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::codes::{Role, Status};
use shared::ids::*;
use shared::wire::{IssueSummary, Notification, NotificationKind};
use std::collections::HashMap;
use std::sync::Arc;

/// Attempts before a webhook call is given up.
pub const MAX_ATTEMPTS: u32 = 8;
/// The first retry waits this long; each further one twice as long, up to an hour.
pub const FIRST_RETRY: Duration = Duration::seconds(30);

/// Where webhook calls go.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    pub timeout: std::time::Duration,
}

/// What a webhook receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub id: uuid::Uuid,
    pub kind: NotificationKind,
    pub site: String,
    pub issue: IssueId,
    pub title: String,
    pub checkpoint: Option<String>,
    pub status: Status,
    pub deadline: DateTime<Utc>,
    pub assignee: Option<String>,
    /// User names of the people notified.
    pub notified: Vec<String>,
    pub at: DateTime<Utc>,
}

/// What a webhook receives when equipment is due soon (or its maintenance
/// is overdue): `kind` is `equipment_due`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EquipmentDueEvent {
    pub id: uuid::Uuid,
    pub kind: String,
    pub site: String,
    /// Equipment code.
    pub equipment: String,
    pub duty: shared::equipment::Duty,
    pub due: chrono::NaiveDate,
    pub title: String,
    /// User names of the managers notified.
    pub notified: Vec<String>,
    pub at: DateTime<Utc>,
}

/// What one scan created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanReport {
    pub reminders: usize,
    pub escalations: usize,
    /// Issues that waited too long for a verification, a call-back or a dispatch.
    pub waiting: usize,
    /// Root-cause tasks opened (by a repeat or an unsatisfied resident) or reminded.
    pub root_causes: usize,
    /// Webhook calls queued for the notifications made since the last scan.
    pub announced: usize,
    /// Monthly reports made and stored (the month just ended, once per site).
    pub reports: usize,
    /// Equipment due dates reminded (ahead, or maintenance overdue).
    pub equipment_reminders: usize,
    /// Issues raised for overdue equipment inspections.
    pub equipment_issues: usize,
}

/// What one delivery pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    pub failed: usize,
    pub given_up: usize,
}

/// A stable id from what something is about (SHA-256 of the parts).
pub(crate) fn derived_id(parts: &[&[u8]]) -> uuid::Uuid {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u32).to_le_bytes());
        h.update(p);
    }
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    uuid::Builder::from_custom_bytes(b).into_uuid()
}

/// What a notification is about: the issue, why, and the time it concerns
/// (a deadline, or when a wait became too long). One webhook call per key,
/// one notification per key and recipient.
fn key_parts(issue: IssueId, kind: NotificationKind, at: DateTime<Utc>) -> (Vec<u8>, String) {
    (
        issue.as_uuid().as_bytes().to_vec(),
        format!("{}@{}", kind.code(), at.to_rfc3339()),
    )
}

fn notification_id(
    issue: IssueId,
    kind: NotificationKind,
    at: DateTime<Utc>,
    to: UserId,
) -> uuid::Uuid {
    let (issue, what) = key_parts(issue, kind, at);
    derived_id(&[&issue, what.as_bytes(), to.as_uuid().as_bytes()])
}

fn webhook_id(issue: IssueId, kind: NotificationKind, at: DateTime<Utc>) -> uuid::Uuid {
    let (issue, what) = key_parts(issue, kind, at);
    derived_id(&[&issue, what.as_bytes()])
}

/// Which deadline notification, if any, `issue` calls for at `now`.
pub fn due_kind(
    issue: &IssueSummary,
    remind_before: Duration,
    now: DateTime<Utc>,
) -> Option<NotificationKind> {
    let deadline = issue.deadline?;
    if !matches!(issue.status, Status::Recorded | Status::Assigned) {
        return None;
    }
    if now >= deadline {
        Some(NotificationKind::Escalation)
    } else if now >= deadline - remind_before {
        Some(NotificationKind::Reminder)
    } else {
        None
    }
}

/// Which wait, if any, has gone on too long for `issue` at `now`, and since
/// when it is too long: a complaint not dispatched by its response time; a
/// rectification not verified within the site's hours (twice as long:
/// escalated); a verified complaint not called back within the site's hours.
pub fn wait_kind(
    issue: &IssueSummary,
    policy: &shared::deadline::DeadlinePolicy,
    now: DateTime<Utc>,
) -> Option<(NotificationKind, DateTime<Utc>)> {
    let hours = |h: u32| Duration::hours(h.into());
    let due = match issue.status {
        Status::Recorded => (NotificationKind::ResponseOverdue, issue.respond_by?),
        Status::Rectified => {
            let since = issue.rectified_at?;
            let late = since + hours(policy.verify_hours) * 2;
            if now >= late {
                (NotificationKind::VerificationOverdue, late)
            } else {
                (
                    NotificationKind::AwaitingVerification,
                    since + hours(policy.verify_hours),
                )
            }
        }
        Status::Verified if issue.awaiting_callback => (
            NotificationKind::AwaitingCallback,
            issue.verified_at? + hours(policy.callback_hours),
        ),
        _ => return None,
    };
    (now >= due.1).then_some(due)
}

/// The people a notification of `kind` about `issue` goes to: the assignee
/// for their own order and reminders (the managers while nobody is
/// assigned); customer service for call-backs and undispatched complaints
/// (with the managers for the latter); the managers for everything else.
fn recipients<'u>(
    kind: NotificationKind,
    issue: &IssueSummary,
    users: &'u [crate::store::UserRecord],
) -> Vec<&'u crate::store::UserRecord> {
    let with = |role: Role| users.iter().filter(move |u| u.active && u.role == role);
    let assignee = issue
        .assignee
        .as_deref()
        .and_then(|a| users.iter().find(|u| u.active && u.name == a));
    match (kind, assignee) {
        (NotificationKind::Reminder | NotificationKind::Assigned, Some(a)) => vec![a],
        (NotificationKind::AwaitingCallback, _) => {
            let cs: Vec<_> = with(Role::CustomerService).collect();
            if cs.is_empty() {
                with(Role::Manager).collect()
            } else {
                cs
            }
        }
        (NotificationKind::ResponseOverdue, _) => with(Role::CustomerService)
            .chain(with(Role::Manager))
            .collect(),
        _ => with(Role::Manager).collect(),
    }
}

/// Notifies `to` of `kind` about `issue` at `at`; true when anything was new.
fn notify(
    txn: &mut dyn Txn,
    issue: &IssueSummary,
    kind: NotificationKind,
    at: DateTime<Utc>,
    to: &[&crate::store::UserRecord],
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut created = false;
    for r in to {
        created |= txn.insert_notification(&Notification {
            id: notification_id(issue.id, kind, at, r.id),
            kind,
            recipient: r.id,
            issue: issue.id,
            title: issue.title.clone(),
            checkpoint: issue.checkpoint.clone(),
            status: issue.status,
            deadline: at,
            assignee: issue.assignee.clone(),
            created_at: now,
            equipment: None,
        })?;
    }
    Ok(created)
}

/// The new-order notification for the issue's current assignment, made when
/// the assignment is projected (a sync round or a dashboard change) so the
/// assignee sees it at their device's next sync and on the dashboard's bell.
/// Its id comes from the assigning event: projecting again creates nothing.
pub fn notify_assignment(
    txn: &mut dyn Txn,
    issue: &IssueSummary,
    assignee: UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some((event, at)) = issue.assignment else {
        return Ok(());
    };
    if issue.status != Status::Assigned {
        return Ok(());
    }
    let Some(user) = txn
        .user(assignee)?
        .filter(|u| u.active && u.site == issue.site)
    else {
        return Ok(());
    };
    let (id, what) = key_parts(issue.id, NotificationKind::Assigned, at);
    txn.insert_notification(&Notification {
        id: derived_id(&[
            &id,
            what.as_bytes(),
            event.as_uuid().as_bytes(),
            user.id.as_uuid().as_bytes(),
        ]),
        kind: NotificationKind::Assigned,
        recipient: user.id,
        issue: issue.id,
        title: issue.title.clone(),
        checkpoint: issue.checkpoint.clone(),
        status: issue.status,
        deadline: issue.deadline.unwrap_or(at),
        assignee: issue.assignee.clone(),
        created_at: now,
        equipment: None,
    })?;
    Ok(())
}

/// Creates the notifications due at `now` — deadline reminders and
/// escalations, waits gone on too long, root-cause tasks — and queues a
/// webhook call for every notification made since the last scan when a
/// webhook is configured. Runs in the caller's transaction.
pub fn scan(
    txn: &mut dyn Txn,
    now: DateTime<Utc>,
    webhook: bool,
) -> Result<ScanReport, StoreError> {
    let mut report = ScanReport::default();
    let sites: HashMap<SiteId, shared::plan::Site> =
        txn.sites()?.into_iter().map(|s| (s.id, s)).collect();
    let longest = sites
        .values()
        .map(|s| s.deadlines.remind_hours)
        .max()
        .unwrap_or(0);
    // Each site's users, read once per scan.
    let mut people: HashMap<SiteId, Vec<crate::store::UserRecord>> = HashMap::new();
    let mut users_of =
        |txn: &mut dyn Txn, site: SiteId| -> Result<Vec<crate::store::UserRecord>, StoreError> {
            if let Some(u) = people.get(&site) {
                return Ok(u.clone());
            }
            let u = txn.users_of_site(site)?;
            people.insert(site, u.clone());
            Ok(u)
        };
    for issue in txn.due_issues(now + Duration::hours(longest.into()))? {
        let Some(site) = sites.get(&issue.site) else {
            continue;
        };
        let remind = Duration::hours(site.deadlines.remind_hours.into());
        let Some(kind) = due_kind(&issue, remind, now) else {
            continue;
        };
        let deadline = issue.deadline.expect("due issues have deadlines");
        let users = users_of(txn, site.id)?;
        let to = recipients(kind, &issue, &users);
        if notify(txn, &issue, kind, deadline, &to, now)? {
            match kind {
                NotificationKind::Reminder => report.reminders += 1,
                _ => report.escalations += 1,
            }
        }
    }
    for issue in txn.waiting_issues()? {
        let Some(site) = sites.get(&issue.site) else {
            continue;
        };
        let Some((kind, at)) = wait_kind(&issue, &site.deadlines, now) else {
            continue;
        };
        let users = users_of(txn, site.id)?;
        let to = recipients(kind, &issue, &users);
        if notify(txn, &issue, kind, at, &to, now)? {
            report.waiting += 1;
        }
    }
    report.root_causes += crate::rootcause::scan(txn, &sites, now)?;
    for site in sites.values() {
        let users = users_of(txn, site.id)?;
        let done = crate::equipment::scan(txn, site, &users, now)?;
        report.equipment_reminders += done.reminders;
        report.equipment_issues += done.raised;
    }
    report.announced = announce(txn, webhook, now)?;
    Ok(report)
}

/// Queues one webhook call per new notification key (issue, kind, time),
/// naming everyone notified, and marks the notifications announced. Without a
/// webhook they are only marked.
fn announce(txn: &mut dyn Txn, webhook: bool, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut queued = 0;
    loop {
        let batch = txn.unannounced_notifications(500)?;
        if batch.is_empty() {
            return Ok(queued);
        }
        let ids: Vec<uuid::Uuid> = batch.iter().map(|n| n.id).collect();
        if webhook {
            let mut calls: Vec<(uuid::Uuid, &Notification, Vec<String>)> = Vec::new();
            let mut equipment: Vec<(uuid::Uuid, &Notification, Vec<String>)> = Vec::new();
            for n in &batch {
                if let Some(about) = &n.equipment {
                    // One call per equipment, duty and due date.
                    let id = derived_id(&[
                        b"equipment_due",
                        about.site.as_bytes(),
                        about.code.as_bytes(),
                        about.duty.code().as_bytes(),
                        about.due.to_string().as_bytes(),
                    ]);
                    let name = txn.user(n.recipient)?.map(|u| u.name).unwrap_or_default();
                    match equipment.iter_mut().find(|c| c.0 == id) {
                        Some(c) => c.2.push(name),
                        None => equipment.push((id, n, vec![name])),
                    }
                    continue;
                }
                // A new order has one recipient and its own id (from the
                // assigning event); the others group their recipients.
                let id = match n.kind {
                    NotificationKind::Assigned => derived_id(&[n.id.as_bytes()]),
                    _ => webhook_id(n.issue, n.kind, n.deadline),
                };
                let name = txn.user(n.recipient)?.map(|u| u.name).unwrap_or_default();
                match calls.iter_mut().find(|c| c.0 == id) {
                    Some(c) => c.2.push(name),
                    None => calls.push((id, n, vec![name])),
                }
            }
            for (id, n, notified) in equipment {
                let Some(about) = n.equipment.clone() else {
                    continue;
                };
                let event = EquipmentDueEvent {
                    id,
                    kind: "equipment_due".into(),
                    site: about.site.clone(),
                    equipment: about.code.clone(),
                    duty: about.duty,
                    due: about.due,
                    title: n.title.clone(),
                    notified,
                    at: now,
                };
                let body = serde_json::to_string(&event).expect("event serializes");
                if txn.queue_webhook(event.id, &body, now)? {
                    queued += 1;
                }
            }
            for (id, n, notified) in calls {
                let site = match txn.user(n.recipient)? {
                    Some(u) => txn.site(u.site)?,
                    None => None,
                };
                let Some(site) = site else {
                    continue;
                };
                let event = WebhookEvent {
                    id,
                    kind: n.kind,
                    site: site.code.to_string(),
                    issue: n.issue,
                    title: n.title.clone(),
                    checkpoint: n.checkpoint.clone(),
                    status: n.status,
                    deadline: n.deadline,
                    assignee: n.assignee.clone(),
                    notified,
                    at: now,
                };
                let body = serde_json::to_string(&event).expect("event serializes");
                if txn.queue_webhook(event.id, &body, now)? {
                    queued += 1;
                }
            }
        }
        txn.mark_announced(&ids)?;
    }
}

/// When to try again after `attempts` failed attempts.
pub fn retry_after(attempts: u32) -> Duration {
    let factor = 1i32 << attempts.saturating_sub(1).min(7);
    (FIRST_RETRY * factor).min(Duration::hours(1))
}

/// Sends the webhook calls due at `now`; a 2xx answer is a delivery.
pub async fn deliver(
    store: &Arc<dyn Store>,
    client: &reqwest::Client,
    hook: &Webhook,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, StoreError> {
    let due = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            let mut txn = store.begin()?;
            let due = txn.due_webhooks(now, 100)?;
            let mut signed = Vec::with_capacity(due.len());
            for d in due {
                let signature = signature_for(&mut *txn, &d.body)?;
                signed.push((d, signature));
            }
            txn.commit()?;
            Ok::<_, StoreError>(signed)
        })
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))??
    };
    let mut report = DeliveryReport::default();
    for (d, signature) in due {
        let attempts = d.attempts + 1;
        let result = client
            .post(&hook.url)
            .timeout(hook.timeout)
            .header("content-type", "application/json")
            .header("x-patrol-delivery", d.id.to_string())
            .header("x-patrol-attempt", attempts.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(d.body.clone())
            .send()
            .await;
        let outcome = match result {
            Ok(r) if r.status().is_success() => Ok(now),
            Ok(r) => Err(format!("the receiver answered {}", r.status())),
            Err(e) => Err(format!("cannot reach the receiver: {e}")),
        };
        let outcome = match outcome {
            Ok(at) => {
                report.delivered += 1;
                Ok(at)
            }
            Err(e) if attempts >= MAX_ATTEMPTS => {
                tracing::warn!(delivery = %d.id, error = %e, "webhook given up");
                report.given_up += 1;
                Err((e, None))
            }
            Err(e) => {
                tracing::info!(delivery = %d.id, attempts, error = %e, "webhook will be retried");
                report.failed += 1;
                Err((e, Some(now + retry_after(attempts))))
            }
        };
        let store = store.clone();
        tokio::task::spawn_blocking(move || {
            let mut txn = store.begin()?;
            txn.webhook_attempted(d.id, attempts, outcome)?;
            txn.commit()
        })
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))??;
    }
    Ok(report)
}

/// The header carrying a delivery's signature: `sha256=` and the hex HMAC-SHA256
/// of the body under the site's secret (`sync-server site webhook-secret`).
pub const SIGNATURE_HEADER: &str = "x-patrol-signature";

/// The signature of a webhook body: HMAC-SHA256 under its site's secret.
pub fn sign(secret: &[u8; 32], body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        tag.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn signature_for(txn: &mut dyn Txn, body: &str) -> Result<String, StoreError> {
    // Every call names its site: an issue's notification, a stored report.
    #[derive(Deserialize)]
    struct OfSite {
        site: String,
    }
    let site_code = serde_json::from_str::<OfSite>(body)
        .map(|e| e.site)
        .map_err(|e| StoreError::Corrupt(format!("a queued webhook: {e}")))?;
    let site = txn
        .site_by_code(&site_code)?
        .ok_or_else(|| StoreError::Corrupt(format!("a webhook of unknown site {site_code}")))?;
    Ok(sign(&txn.site_secret(site.id)?, body.as_bytes()))
}

/// One run of the job at `now`: scan, make the monthly reports due, then
/// deliver; printing with the font found as for photo captions.
pub async fn run_once(
    store: &Arc<dyn Store>,
    client: &reqwest::Client,
    hook: Option<&Webhook>,
    now: DateTime<Utc>,
) -> Result<(ScanReport, DeliveryReport), StoreError> {
    run_once_with(store, client, hook, None, now).await
}

/// [`run_once`] printing with `caption_font` when given.
pub async fn run_once_with(
    store: &Arc<dyn Store>,
    client: &reqwest::Client,
    hook: Option<&Webhook>,
    caption_font: Option<&std::path::Path>,
    now: DateTime<Utc>,
) -> Result<(ScanReport, DeliveryReport), StoreError> {
    let mut scanned = {
        let store = store.clone();
        let webhook = hook.is_some();
        tokio::task::spawn_blocking(move || {
            let mut txn = store.begin()?;
            txn.act_as(crate::ledger::Author::server());
            let r = scan(&mut *txn, now, webhook)?;
            txn.commit()?;
            Ok::<_, StoreError>(r)
        })
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))??
    };
    // A report that cannot be made now (no font) is tried again next run;
    // the reminders above are not held up by it.
    scanned.reports = {
        let store = store.clone();
        let webhook = hook.is_some();
        let font = caption_font.map(std::path::Path::to_path_buf);
        tokio::task::spawn_blocking(move || {
            crate::monthly::run(
                &*store,
                &|| crate::photos::discover_fonts(font.as_deref()),
                now,
                webhook,
            )
        })
        .await
        .map_err(|e| StoreError::Corrupt(e.to_string()))?
        .unwrap_or_else(|e| {
            tracing::error!(error = %e.message, "monthly reports not made");
            0
        })
    };
    let delivered = match hook {
        Some(h) => deliver(store, client, h, now).await?,
        None => DeliveryReport::default(),
    };
    Ok((scanned, delivered))
}

/// An HTTP client for webhook calls.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .build()
        .expect("an HTTP client with the default TLS settings")
}

/// Runs the job every `every` until the server stops.
pub fn spawn(
    store: Arc<dyn Store>,
    hook: Option<Webhook>,
    caption_font: Option<std::path::PathBuf>,
    every: std::time::Duration,
    metrics: Arc<crate::metrics::Metrics>,
) -> tokio::task::JoinHandle<()> {
    // Replicas on one store run the job in turn: only the holder of its
    // lease, which it renews every run and which runs out three periods after
    // the last, so another replica takes over when the holder dies.
    let me = format!("{:032x}", rand::random::<u128>());
    let hold = Duration::from_std(every * 3).unwrap_or(Duration::hours(1));
    tokio::spawn(async move {
        let client = client();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = Utc::now();
            let leased = {
                let (store, me) = (store.clone(), me.clone());
                tokio::task::spawn_blocking(move || {
                    let mut txn = store.begin()?;
                    let got = txn.take_lease("reminders", &me, now, now + hold)?;
                    txn.commit()?;
                    Ok::<_, StoreError>(got)
                })
                .await
                .map_err(|e| StoreError::Corrupt(e.to_string()))
                .and_then(|r| r)
            };
            match leased {
                Ok(true) => {}
                Ok(false) => {
                    metrics.job_standby("reminders");
                    continue;
                }
                Err(e) => {
                    metrics.job_ran("reminders", false);
                    tracing::error!(error = %e, "cannot take the reminder job's lease");
                    continue;
                }
            }
            let outcome =
                run_once_with(&store, &client, hook.as_ref(), caption_font.as_deref(), now).await;
            metrics.job_ran("reminders", outcome.is_ok());
            match outcome {
                Ok((s, d)) if s != ScanReport::default() || d != DeliveryReport::default() => {
                    tracing::info!(
                        reminders = s.reminders,
                        escalations = s.escalations,
                        reports = s.reports,
                        delivered = d.delivered,
                        failed = d.failed,
                        "reminder job"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "reminder job failed"),
            }
        }
    })
}

/// Removes unfinished photo uploads untouched for
/// [`shared::limits::PARTIAL_UPLOAD_HOURS`], at start and every hour.
pub fn spawn_partial_expiry(
    blobs: Arc<dyn crate::blobs::BlobStore>,
    metrics: Arc<crate::metrics::Metrics>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let blobs = blobs.clone();
            let keep =
                std::time::Duration::from_secs(shared::limits::PARTIAL_UPLOAD_HOURS as u64 * 3600);
            let done = tokio::task::spawn_blocking(move || {
                let before = std::time::SystemTime::now()
                    .checked_sub(keep)
                    .unwrap_or(std::time::UNIX_EPOCH);
                blobs.expire_partials(before)
            })
            .await;
            metrics.job_ran("photo_upload_expiry", matches!(done, Ok(Ok(_))));
            match done {
                Ok(Ok(n)) if n > 0 => tracing::info!(removed = n, "stale photo uploads"),
                Ok(Err(e)) => tracing::error!(error = %e, "cannot expire photo uploads"),
                _ => {}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_after(1), Duration::seconds(30));
        assert_eq!(retry_after(2), Duration::seconds(60));
        assert_eq!(retry_after(3), Duration::seconds(120));
        assert_eq!(retry_after(8), Duration::hours(1));
    }
}
