//! Storage behind a trait, so a PostgreSQL implementation can sit beside the
//! SQLite one without touching handlers or merge logic.
//!
//! A [`Txn`] is one atomic unit of work: a whole sync request is one transaction.

use crate::error::StoreError;
use chrono::{DateTime, Utc};
use shared::codes::{Category, Department, Grade, Role, Status};
use shared::ids::*;
use shared::patrol::PatrolRunView;
use shared::plan::Site;
use shared::wire::{DocKind, IssueSummary, Notification, Receipt};
use std::collections::HashMap;

/// A user account with its credentials.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: UserId,
    pub site: SiteId,
    pub name: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<Department>,
    pub password_hash: String,
    pub active: bool,
}

impl UserRecord {
    /// The same person as seen at another of their sites: that site, with the
    /// role and department they hold there.
    pub fn at(&self, m: &Membership) -> UserRecord {
        UserRecord {
            site: m.site,
            role: m.role,
            department: m.department,
            ..self.clone()
        }
    }

    /// The home site as a membership.
    pub fn home(&self) -> Membership {
        Membership {
            user: self.id,
            site: self.site,
            role: self.role,
            department: self.department,
        }
    }
}

/// A role a user holds at a site besides their home site (a manager of two
/// estates; the group quality office over several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub user: UserId,
    pub site: SiteId,
    pub role: Role,
    pub department: Option<Department>,
}

/// A logged-in device: its token is bound to one user and one Automerge actor.
#[derive(Debug, Clone)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub user: UserId,
    pub actor: [u8; 16],
    pub token_hash: [u8; 32],
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked: bool,
}

/// A stored document.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    pub kind: DocKind,
    pub site: SiteId,
    pub bytes: Vec<u8>,
    /// Concatenated 32-byte change hashes.
    pub heads: Vec<u8>,
    pub seq: u64,
}

/// What a sync round needs of a stored document before it knows whether
/// to send it: no bytes.
#[derive(Debug, Clone)]
pub struct DocHead {
    pub kind: DocKind,
    pub site: SiteId,
    /// Concatenated 32-byte change hashes.
    pub heads: Vec<u8>,
    pub seq: u64,
    /// The stored bytes' length.
    pub size: usize,
}

/// A per-device, per-document sync conversation.
#[derive(Debug, Clone)]
pub struct StoredState {
    pub state: Vec<u8>,
    /// The server has something the device has not acknowledged.
    pub pending: bool,
}

/// Work waiting in the store's queues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepths {
    /// Webhook calls not delivered and not given up.
    pub webhooks: u64,
    /// (device, document) pairs the server sent and the device has not acknowledged.
    pub unacknowledged: u64,
}

/// A queued webhook call.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    pub id: uuid::Uuid,
    pub body: String,
    /// Attempts made so far.
    pub attempts: u32,
}

/// Filters of the tracker's issue list.
#[derive(Debug, Clone, Default)]
pub struct IssueQuery {
    pub sites: Vec<SiteId>,
    pub zone: Option<ZoneId>,
    pub status: Option<Status>,
    pub grade: Option<Grade>,
    pub category: Option<Category>,
    pub assignee: Option<String>,
    pub overdue_at: Option<DateTime<Utc>>,
    /// Verified complaints waiting for their call-back (or, false, the others).
    pub awaiting_callback: Option<bool>,
    /// Only issues that can count in a period starting at this instant: open
    /// ones, and closed ones raised, assigned, rectified, verified or due
    /// since (a superset; [`shared::kpi`] picks by its own dates).
    pub touched_since: Option<DateTime<Utc>>,
    /// Only issues raised before this instant.
    pub raised_before: Option<DateTime<Utc>>,
    pub limit: usize,
}

/// One transaction. Dropping it without [`Txn::commit`] rolls back.
pub trait Txn {
    // --- sites and accounts
    fn sites(&mut self) -> Result<Vec<Site>, StoreError>;
    fn site(&mut self, id: SiteId) -> Result<Option<Site>, StoreError>;
    fn site_by_code(&mut self, code: &str) -> Result<Option<Site>, StoreError>;
    fn insert_site(&mut self, site: &Site) -> Result<(), StoreError>;
    fn update_site(&mut self, site: &Site) -> Result<(), StoreError>;
    fn user(&mut self, id: UserId) -> Result<Option<UserRecord>, StoreError>;
    fn user_by_name(&mut self, name: &str) -> Result<Option<UserRecord>, StoreError>;
    /// Everyone who holds a role at the site: its own users and the members
    /// from other sites, each as seen there ([`UserRecord::at`]), by name.
    fn users_of_site(&mut self, site: SiteId) -> Result<Vec<UserRecord>, StoreError>;
    fn upsert_user(&mut self, user: &UserRecord) -> Result<(), StoreError>;
    /// A user's roles at sites other than their home site, by site code.
    fn memberships(&mut self, user: UserId) -> Result<Vec<Membership>, StoreError>;
    /// Grants (or changes) a role at a site other than the user's home site.
    fn set_membership(&mut self, membership: &Membership) -> Result<(), StoreError>;
    /// Takes a membership away; false when there was none.
    fn remove_membership(&mut self, user: UserId, site: SiteId) -> Result<bool, StoreError>;
    /// The site a login works at when it is not its user's home site.
    fn device_site(&mut self, device: DeviceId) -> Result<Option<SiteId>, StoreError>;
    /// Sets the site a login works at (`None`: the user's home site).
    fn set_device_site(&mut self, device: DeviceId, site: Option<SiteId>)
    -> Result<(), StoreError>;
    fn insert_device(&mut self, device: &DeviceRecord) -> Result<(), StoreError>;
    fn device_by_token(
        &mut self,
        token_hash: &[u8; 32],
    ) -> Result<Option<DeviceRecord>, StoreError>;
    /// The login behind a token with its user and the site it works at when
    /// not the user's home site ([`Txn::device_site`]): what every request's
    /// authentication reads, in one go.
    #[allow(clippy::type_complexity)]
    fn login_by_token(
        &mut self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(DeviceRecord, UserRecord, Option<SiteId>)>, StoreError> {
        let Some(device) = self.device_by_token(token_hash)? else {
            return Ok(None);
        };
        let Some(user) = self.user(device.user)? else {
            return Ok(None);
        };
        let site = self.device_site(device.id)?;
        Ok(Some((device, user, site)))
    }
    /// Every login (live or not) that used this Automerge actor, oldest first.
    fn devices_of_actor(&mut self, actor: &[u8; 16]) -> Result<Vec<DeviceRecord>, StoreError>;
    /// Every login of a user, oldest first.
    fn devices_of_user(&mut self, user: UserId) -> Result<Vec<DeviceRecord>, StoreError>;
    /// Gives an existing login a new token, name, start time and revoked flag.
    fn renew_device(&mut self, device: &DeviceRecord) -> Result<(), StoreError>;
    /// Revokes every token of a user; returns how many were live.
    fn revoke_user_devices(&mut self, user: UserId) -> Result<usize, StoreError>;
    fn revoke_device(&mut self, device: DeviceId) -> Result<bool, StoreError>;
    fn server_actor(&mut self) -> Result<[u8; 16], StoreError>;
    /// A value the server keeps about itself (versions, cursors).
    fn meta(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// The site's webhook signing secret, made on first use; never sent to devices.
    fn site_secret(&mut self, site: SiteId) -> Result<[u8; 32], StoreError>;

    // --- documents
    fn doc(&mut self, id: DocId) -> Result<Option<StoredDoc>, StoreError>;
    /// Those of `ids` the store holds, read at once (a sync round reads its
    /// documents in one request to the database, not one each).
    fn docs(&mut self, ids: &[DocId]) -> Result<HashMap<DocId, StoredDoc>, StoreError>;
    /// [`Txn::docs`] without the bytes.
    fn doc_heads(&mut self, ids: &[DocId]) -> Result<HashMap<DocId, DocHead>, StoreError>;
    /// Stores a document's new bytes and gives it the next change number.
    ///
    /// **The cursor contract** (devices and [`Txn::changed_since`] rely on
    /// it): a change number is never given to two committed changes, and a
    /// reader that has seen every change numbered up to N sees, when it asks
    /// again, every change committed since with its number — none is numbered
    /// at or below N once a reader may have passed N. SQLite keeps it with its
    /// one writer: numbers are taken under the write lock, so in commit order.
    /// A backend with concurrent writers must do the same (numbers taken under
    /// a lock held to commit) or hide numbers above any transaction still in
    /// flight. Rolled-back changes are never seen. `tests/tests/stores.rs`
    /// checks this with concurrent writers and readers.
    fn put_doc(
        &mut self,
        id: DocId,
        kind: DocKind,
        site: SiteId,
        bytes: &[u8],
        heads: &[u8],
    ) -> Result<u64, StoreError>;
    /// Documents of `sites` changed after `cursor`, oldest change first.
    fn changed_since(
        &mut self,
        sites: &[SiteId],
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<(DocId, DocKind, u64)>, StoreError>;
    fn max_seq(&mut self) -> Result<u64, StoreError>;
    /// The device's sync states of those of `docs` it has one for.
    fn sync_states(
        &mut self,
        device: DeviceId,
        docs: &[DocId],
    ) -> Result<HashMap<DocId, StoredState>, StoreError>;
    /// Stores the device's sync states of several documents at once; a
    /// document appears at most once (PostgreSQL refuses a second).
    fn put_sync_states(
        &mut self,
        device: DeviceId,
        states: &[(DocId, StoredState)],
    ) -> Result<(), StoreError>;
    fn pending_docs(
        &mut self,
        device: DeviceId,
        limit: usize,
    ) -> Result<Vec<(DocId, DocKind)>, StoreError>;

    // --- tracker projections
    fn put_issue(&mut self, summary: &IssueSummary) -> Result<(), StoreError>;
    fn issue_summary(&mut self, id: IssueId) -> Result<Option<IssueSummary>, StoreError>;
    /// The issues of `site` at `checkpoint` (point code) with `category`,
    /// raised within `raised` and not cancelled (and not issue `but`), newest
    /// first, at most `limit`.
    fn issues_at(
        &mut self,
        site: SiteId,
        checkpoint: &str,
        category: Category,
        raised: std::ops::RangeInclusive<DateTime<Utc>>,
        but: Option<IssueId>,
        limit: usize,
    ) -> Result<Vec<IssueSummary>, StoreError>;
    fn list_issues(&mut self, query: &IssueQuery) -> Result<Vec<IssueSummary>, StoreError>;
    /// Every tracker row of every site (a scan: the benchmarks' baseline).
    fn count_issues(&mut self) -> Result<u64, StoreError>;
    fn put_patrol(&mut self, view: &PatrolRunView) -> Result<(), StoreError>;
    /// Open issues (recorded or assigned) of every site whose deadline is before `before`.
    fn due_issues(&mut self, before: DateTime<Utc>) -> Result<Vec<IssueSummary>, StoreError>;
    /// Issues of every site that wait for someone besides the assignee
    /// ([`IssueSummary::is_waiting`]): to be verified, called back or dispatched.
    fn waiting_issues(&mut self) -> Result<Vec<IssueSummary>, StoreError>;
    /// Stores a notification once (not yet announced); false when it was already there.
    fn insert_notification(&mut self, n: &Notification) -> Result<bool, StoreError>;
    /// Notifications not yet announced by webhook, oldest first.
    fn unannounced_notifications(&mut self, limit: usize) -> Result<Vec<Notification>, StoreError>;
    fn mark_announced(&mut self, ids: &[uuid::Uuid]) -> Result<(), StoreError>;
    /// A user's notifications created after `after_ms`, newest first.
    fn notifications_for(
        &mut self,
        user: UserId,
        after_ms: i64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError>;
    /// Queues a webhook delivery once; false when it was already queued.
    fn queue_webhook(
        &mut self,
        id: uuid::Uuid,
        body: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Undelivered webhooks whose next attempt is due.
    fn due_webhooks(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<WebhookDelivery>, StoreError>;
    /// Takes or renews the lease on a scheduled job for `holder` until
    /// `until`: true when no other holder's lease is still running at `now`.
    /// Replicas sharing a store run a job only while they hold its lease, so
    /// it runs in one at a time, and in another once the holder stops
    /// renewing (it died or stopped).
    fn take_lease(
        &mut self,
        job: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// How much work waits in the shared queues (for the metrics).
    fn queue_depths(&mut self) -> Result<QueueDepths, StoreError>;
    /// Records an attempt: delivered at a time, or failed with a reason and the
    /// next attempt's time (none: given up).
    fn webhook_attempted(
        &mut self,
        id: uuid::Uuid,
        attempts: u32,
        outcome: Result<DateTime<Utc>, (String, Option<DateTime<Utc>>)>,
    ) -> Result<(), StoreError>;
    /// Adds or replaces a root-cause record (by id).
    fn put_root_cause(&mut self, r: &shared::repeat::RootCause) -> Result<(), StoreError>;
    /// Adds `issue` to the end of record `r`'s issues and saves the rest of
    /// `r` as it is (its `issues` are not read): joining does not rewrite the list.
    fn join_root_cause(
        &mut self,
        r: &shared::repeat::RootCause,
        issue: shared::ids::IssueId,
    ) -> Result<(), StoreError>;
    /// Whether `issue` is on a root-cause record.
    fn on_root_cause(&mut self, issue: shared::ids::IssueId) -> Result<bool, StoreError>;
    /// The latest record of `site` at `checkpoint` and `category` not yet
    /// judged effective, with its `issues` left empty (see [`Txn::join_root_cause`]).
    fn root_cause_head_at(
        &mut self,
        site: SiteId,
        checkpoint: &str,
        category: Category,
    ) -> Result<Option<shared::repeat::RootCause>, StoreError>;
    /// A site's root-cause records, latest change first.
    fn root_causes(&mut self, site: SiteId) -> Result<Vec<shared::repeat::RootCause>, StoreError>;
    fn root_cause(
        &mut self,
        id: uuid::Uuid,
    ) -> Result<Option<shared::repeat::RootCause>, StoreError>;
    /// Patrol runs of `site` started at or after `since`, newest first.
    fn list_patrols(
        &mut self,
        site: SiteId,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<PatrolRunView>, StoreError>;
    /// Records when an event or result first arrived; keeps the first time.
    /// True when this is its first arrival.
    fn put_receipt(
        &mut self,
        entry: uuid::Uuid,
        doc: DocId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Names who makes this transaction's changes in the ledger (default: the
    /// server's console).
    fn act_as(&mut self, by: crate::ledger::Author);
    fn acting(&self) -> crate::ledger::Author;
    /// The number and hash of a site's last ledger entry.
    fn ledger_head(&mut self, site: SiteId) -> Result<Option<(u64, String)>, StoreError>;
    /// Appends an entry to its site's ledger (the caller chained it).
    fn append_ledger(&mut self, entry: &crate::ledger::LedgerEntry) -> Result<(), StoreError>;
    /// A site's ledger entries numbered after `after_n`, at most `limit`, in order.
    fn ledger_page(
        &mut self,
        site: SiteId,
        after_n: u64,
        limit: usize,
    ) -> Result<Vec<crate::ledger::LedgerEntry>, StoreError>;
    /// A site's ledger entries received in `[from, to)`, in order.
    fn ledger_between(
        &mut self,
        site: SiteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::ledger::LedgerEntry>, StoreError>;
    /// Stores a survey answer; false when one with its id is already stored.
    fn put_survey(&mut self, survey: &shared::survey::Survey) -> Result<bool, StoreError>;
    fn survey(&mut self, id: uuid::Uuid) -> Result<Option<shared::survey::Survey>, StoreError>;
    /// A site's survey answers taken in `[from, to)`, oldest first.
    fn surveys_between(
        &mut self,
        site: SiteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<shared::survey::Survey>, StoreError>;
    /// Adds or replaces a piece of equipment of `site` (by its code).
    fn put_equipment(
        &mut self,
        site: SiteId,
        equipment: &shared::equipment::Equipment,
    ) -> Result<(), StoreError>;
    fn equipment(
        &mut self,
        site: SiteId,
        code: &str,
    ) -> Result<Option<shared::equipment::Equipment>, StoreError>;
    /// A site's whole equipment register, by code.
    fn equipment_of(
        &mut self,
        site: SiteId,
    ) -> Result<Vec<shared::equipment::Equipment>, StoreError>;
    /// Stores a site's monthly report once: false (and nothing changed) when
    /// that month's is already stored.
    fn put_monthly_report(
        &mut self,
        site: SiteId,
        info: &shared::wire::MonthlyReportInfo,
        pdf: &[u8],
        xlsx: &[u8],
    ) -> Result<bool, StoreError>;
    /// Whether a site's report of `period` is stored (without reading it).
    fn has_monthly_report(&mut self, site: SiteId, period: &str) -> Result<bool, StoreError>;
    /// A site's stored monthly reports, newest month first.
    fn monthly_reports(
        &mut self,
        site: SiteId,
    ) -> Result<Vec<shared::wire::MonthlyReportInfo>, StoreError>;
    /// One stored report's PDF (or, `xlsx`, its workbook).
    fn monthly_report_file(
        &mut self,
        site: SiteId,
        period: &str,
        xlsx: bool,
    ) -> Result<Option<Vec<u8>>, StoreError>;
    /// The receipts of the entries `docs` brought, in no set order.
    fn receipts_of(&mut self, docs: &[DocId]) -> Result<Vec<Receipt>, StoreError>;
    /// Records that `doc` (of `site`) refers to photos stored under `hashes`.
    fn put_photo_refs(
        &mut self,
        doc: DocId,
        site: SiteId,
        hashes: &[&str],
    ) -> Result<(), StoreError>;
    /// The documents referring to a photo, with their sites.
    fn photo_refs(&mut self, hash: &str) -> Result<Vec<(DocId, SiteId)>, StoreError>;
    /// Keeps the full contact of complaint `issue` (of `site`), outside its
    /// document, unless one is kept already (which then stays). Returns the
    /// contact kept and when it was received.
    fn put_contact(
        &mut self,
        issue: IssueId,
        site: SiteId,
        contact: &str,
        at: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), StoreError>;
    /// The full contact of complaint `issue` and when it was received, if it was.
    fn contact(&mut self, issue: IssueId) -> Result<Option<(String, DateTime<Utc>)>, StoreError>;
    /// The full contacts of `sites`' complaints that come after `after` (receipt
    /// milliseconds, then issue id), at most `limit`, in that order.
    fn contacts_after(
        &mut self,
        sites: &[SiteId],
        after: Option<(i64, IssueId)>,
        limit: usize,
    ) -> Result<Vec<shared::wire::ComplaintContact>, StoreError>;

    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// A database the server can open transactions on.
pub trait Store: Send + Sync + 'static {
    /// A read-write transaction; writers take turns.
    fn begin(&self) -> Result<Box<dyn Txn + '_>, StoreError>;
    /// A read-only transaction on a consistent snapshot, never waiting for a
    /// writer; a write through it fails. Ending it with `commit` or dropping it
    /// is the same.
    fn read(&self) -> Result<Box<dyn Txn + '_>, StoreError> {
        self.begin()
    }
    /// A consistent copy of the whole database, taken while it is in use.
    fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError>;
    /// Whether the store answers now, without waiting behind a writer (the
    /// readiness check): a read on a consistent snapshot by default.
    fn ping(&self) -> Result<(), StoreError> {
        self.read()?.max_seq().map(|_| ())
    }
}
