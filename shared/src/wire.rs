//! Wire types between devices and the sync server (versioned).
//!
//! The sync endpoint speaks postcard (compact binary serde) so that Automerge's
//! own bytes are not inflated; the rest of the API speaks JSON.

use crate::codes::{Category, Department, Grade, Role, Status};
use crate::ids::*;
use crate::issue::{Conflict, EventOutcome, PhotoRef, PhotoRole};
use crate::plan::{Site, UserInfo};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Version of the sync protocol. A server refuses other versions with `426 client_outdated`.
pub const PROTOCOL_VERSION: u16 = 1;
/// Header carrying [`PROTOCOL_VERSION`] on every sync request.
pub const PROTOCOL_HEADER: &str = "x-patrol-protocol";
/// Content type of postcard bodies.
pub const POSTCARD: &str = "application/x-postcard";

/// Which schema a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Issue,
    Patrol,
    Plan,
}

impl DocKind {
    pub const fn code(self) -> &'static str {
        match self {
            DocKind::Issue => "issue",
            DocKind::Patrol => "patrol",
            DocKind::Plan => "plan",
        }
    }
    pub fn parse(s: &str) -> Option<DocKind> {
        match s {
            "issue" => Some(DocKind::Issue),
            "patrol" => Some(DocKind::Patrol),
            "plan" => Some(DocKind::Plan),
            _ => None,
        }
    }
}

/// One document's Automerge sync message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocMessage {
    pub doc: DocId,
    pub kind: DocKind,
    pub msg: Vec<u8>,
}

/// One sync round from a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncRequest {
    pub protocol: u16,
    /// The server's change counter up to which this device has received everything.
    pub cursor: u64,
    pub docs: Vec<DocMessage>,
}

/// A document the server refused outright; nothing of it was stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocRefusal {
    pub doc: DocId,
    /// Stable code, e.g. `forged_actor`, `forged_user`, `forbidden_site`, `malformed`.
    pub code: String,
    pub message: String,
    /// HTTP-like status for this document alone (403 or 400).
    pub status: u16,
}

/// When the server first received an event or checkpoint result (milliseconds since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    pub entry: uuid::Uuid,
    pub received_at_ms: i64,
}

/// The server's answer to one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncResponse {
    pub protocol: u16,
    /// New cursor: the device has now been offered every change up to here.
    pub cursor: u64,
    /// More changed documents are waiting beyond this response.
    pub more: bool,
    pub docs: Vec<DocMessage>,
    pub refused: Vec<DocRefusal>,
    pub receipts: Vec<Receipt>,
}

/// `POST /api/v1/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub user: String,
    pub password: String,
    /// The device's Automerge actor id, hex; the token is bound to it.
    pub actor: String,
    pub device_name: String,
    /// The code of the site to work at, for a user with roles at several;
    /// absent: their home site. A device syncs only this site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

/// A stored monthly quality report (`GET /api/v1/reports`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyReportInfo {
    /// `YYYY-MM`.
    pub period: String,
    pub generated_at: DateTime<Utc>,
    /// The ledger's head when it was made: entry number and hash (none while the ledger is empty).
    pub ledger_entry: Option<u64>,
    pub ledger_head: Option<String>,
    pub pdf_bytes: u64,
    pub xlsx_bytes: u64,
}

/// The ledger's hash chain recomputed (`GET /api/v1/ledger/verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerVerification {
    /// The chain recomputes from its first entry to its last.
    pub whole: bool,
    /// Entries checked (when whole).
    pub entries: u64,
    /// The last entry's hash (when whole; empty for an empty ledger).
    pub head: String,
    /// The first entry that does not match (when broken).
    pub broken_at: Option<u64>,
    pub reason: Option<String>,
    /// The same in Chinese.
    pub reason_zh: Option<String>,
}

/// A site a user holds a role at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteRole {
    pub code: String,
    pub name: String,
    pub role: Role,
}

/// `POST /api/v1/site`: work at another of the user's sites with the same login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChooseSite {
    pub site: String,
}

/// The answer to a successful login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub token: String,
    pub device: DeviceId,
    /// The user as seen at `site` (their role there).
    pub user: UserInfo,
    /// The site this login works at.
    pub site: Site,
    /// Every site the user holds a role at, the home site first.
    #[serde(default)]
    pub sites: Vec<SiteRole>,
}

/// Every API error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: String,
    pub message: String,
    /// The same sentence in Chinese, where the server has one; clients fall back
    /// to their own sentence for `code`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message_zh: String,
    /// The bad rows of a refused import (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<LineError>,
}

/// One row of the issue tracker (server API, device lists, `inspect issue list --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssueSummary {
    pub id: IssueId,
    pub site: SiteId,
    pub zone: Option<ZoneId>,
    pub status: Status,
    pub grade: Grade,
    pub category: Category,
    pub title: String,
    /// Point code of the checkpoint.
    pub checkpoint: Option<String>,
    pub department: Option<Department>,
    /// User name of the assignee.
    pub assignee: Option<String>,
    pub deadline: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub raised_by: String,
    pub raised_at: DateTime<Utc>,
    pub conflicts: Vec<Conflict>,
    /// Events kept in the history but not applied, with the reason.
    pub refused: Vec<RefusedEvent>,
    /// Where a complaint is, in the resident's words; none for a patrol finding.
    #[serde(default)]
    pub complaint_location: Option<String>,
    /// The latest call-back of a complaint: satisfied or not.
    #[serde(default)]
    pub satisfied: Option<bool>,
    /// Set when the same problem came back at the same checkpoint (see `crate::repeat`).
    #[serde(default)]
    pub repeat: Option<crate::repeat::Repeat>,
    /// A complaint's response deadline (dispatch to a department).
    #[serde(default)]
    pub respond_by: Option<DateTime<Utc>>,
    /// When the issue was first assigned (a complaint's response).
    #[serde(default)]
    pub responded_at: Option<DateTime<Utc>>,
    /// The event that gave the current assignee the order, and when.
    #[serde(default)]
    pub assignment: Option<(EventId, DateTime<Utc>)>,
    #[serde(default)]
    pub rectified_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub verified_at: Option<DateTime<Utc>>,
    /// A verified complaint waiting for its call-back (待回访).
    #[serde(default)]
    pub awaiting_callback: bool,
    /// The patrol run the issue was raised on, if any.
    #[serde(default)]
    pub patrol: Option<PatrolRunId>,
    /// The checklist item that failed, when the issue came from a patrol.
    #[serde(default)]
    pub item: Option<String>,
    /// How many times a rectification was rejected (退回重整).
    #[serde(default)]
    pub rejections: u32,
}

/// An event that the fold did not apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefusedEvent {
    pub event: EventId,
    pub kind: String,
    pub by: String,
    pub role: Role,
    #[serde(flatten)]
    pub outcome: EventOutcome,
}

/// One line of an issue's timeline as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineItem {
    pub event: EventId,
    pub kind: String,
    pub by: String,
    pub role: Role,
    pub device_time: DateTime<Utc>,
    pub server_time: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub outcome: EventOutcome,
    /// The event's own fields (note, deadline, photos…).
    pub body: serde_json::Value,
    /// Set when the event changed the deadline (shortened, extended or set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_moved: Option<crate::issue::DeadlineMove>,
}

/// `GET /api/v1/issues/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssueDetail {
    #[serde(flatten)]
    pub summary: IssueSummary,
    pub description: String,
    /// Before-photos then after-photos.
    pub photos: Vec<PhotoInfo>,
    pub timeline: Vec<TimelineItem>,
    /// Where and whom to call back, for a complaint.
    #[serde(default)]
    pub complaint: Option<crate::issue::Complaint>,
    #[serde(default)]
    pub callback: Option<crate::issue::CallbackRecord>,
}

impl IssueDetail {
    /// Shows the complainant's contact as `role` may see it: `full` (the
    /// contact kept outside the document, when known) to roles that call back
    /// ([`crate::policy::may_see_contacts`]), the masked form to everyone
    /// else; in the complaint and in the raise event of the timeline alike.
    pub fn show_contact(&mut self, role: Role, full: Option<&str>) {
        let Some(c) = &mut self.complaint else {
            return;
        };
        c.contact = match (crate::policy::may_see_contacts(role), full) {
            (true, Some(full)) => full.to_string(),
            (true, None) => c.contact.clone(),
            (false, _) => c.masked_contact(),
        };
        for item in &mut self.timeline {
            if let Some(contact) = item
                .body
                .get_mut("complaint")
                .and_then(|c| c.get_mut("contact"))
            {
                *contact = serde_json::Value::String(c.contact.clone());
            }
        }
    }
}

/// A complainant's full contact, kept outside the issue document: sent by the
/// device that entered the complaint, served to those who call back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintContact {
    pub issue: IssueId,
    /// Name and phone number; masked, it equals the contact in the document.
    pub contact: String,
    /// When the server first received it.
    pub received_at: DateTime<Utc>,
}

impl ComplaintContact {
    /// The position of this contact in the list `GET /api/v1/contacts` pages
    /// through: receipt time, then issue id.
    pub fn cursor(&self) -> String {
        format!("{}.{}", self.received_at.timestamp_millis(), self.issue)
    }

    /// Reads a [`ComplaintContact::cursor`] back: milliseconds and issue id.
    pub fn parse_cursor(s: &str) -> Option<(i64, IssueId)> {
        let (ms, id) = s.split_once('.')?;
        Some((ms.parse().ok()?, id.parse().ok()?))
    }
}

/// `GET /api/v1/contacts`: one page of full contacts, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactPage {
    pub contacts: Vec<ComplaintContact>,
    /// Where the next page starts (`?after=`): the last contact's cursor, or
    /// the one asked with when the page is empty.
    pub next: Option<String>,
    /// More contacts follow this page.
    pub more: bool,
}

/// `GET /api/v1/me`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// The user as seen at `site` (their role there).
    pub user: UserInfo,
    /// The site this login works at.
    pub site: Site,
    pub device: DeviceId,
    /// Every site the user holds a role at, the home site first.
    #[serde(default)]
    pub sites: Vec<SiteRole>,
}

/// One photo of an issue as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoInfo {
    pub role: PhotoRole,
    #[serde(flatten)]
    pub photo: PhotoRef,
    /// The event that added it.
    pub event: EventId,
    /// When the server received that event.
    pub server_time: Option<DateTime<Utc>>,
    /// Whether the server holds the upload copy and the thumbnail yet.
    pub uploaded: bool,
    pub thumb_uploaded: bool,
}

/// Largest photo file the server accepts (upload copy or thumbnail).
pub const MAX_PHOTO_BYTES: u64 = 16 * 1024 * 1024;
/// Longest side, in pixels, of a photo the server accepts.
pub const MAX_PHOTO_SIDE: u32 = 4096;

/// `GET /api/v1/photos/{hash}/upload` and the answer to each chunk `PUT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadStatus {
    /// Bytes the server holds of this photo (the offset to continue from).
    pub received: u64,
    /// The server holds the whole photo, verified against its hash.
    pub complete: bool,
}

/// One bad row (or header) of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineError {
    pub file: String,
    /// 1-based line in the file; 0 for the file as a whole.
    pub line: u64,
    /// The column's header as the file spells it.
    pub column: Option<String>,
    pub message: String,
    /// The same in Chinese, for the dashboard in zh-CN.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message_zh: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, " line {}", self.line)?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    /// New checklist templates, as `CODE v1`.
    pub templates_added: Vec<String>,
    /// Templates that got a new version, as `CODE vN`.
    pub templates_revised: Vec<String>,
    pub templates_unchanged: usize,
    pub zones_added: Vec<String>,
    pub checkpoints_added: usize,
    /// Point codes of the checkpoints added (their QR labels are the ones to print).
    #[serde(default)]
    pub checkpoints_new: Vec<String>,
    pub checkpoints_updated: usize,
    pub checkpoints_unchanged: usize,
    pub routes_added: Vec<String>,
    /// Complaint service-level cells set from `sla.csv`.
    #[serde(default)]
    pub sla_cells: usize,
    /// Default schedules made from checkpoints' frequencies (`AUTO-DAILY`…).
    #[serde(default)]
    pub schedules_added: Vec<String>,
}

/// A site's settings as an admin changes them; fields left out keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SiteSettings {
    /// Hours before a deadline when the assignee is reminded (1–168).
    pub remind_hours: Option<u32>,
    /// Hours a rectified issue may wait for verification before the managers are reminded (1–720).
    pub verify_hours: Option<u32>,
    /// Hours a verified complaint may wait for its call-back before customer service is reminded (1–720).
    pub callback_hours: Option<u32>,
    /// Days a root-cause task has for its analysis (1–90).
    pub root_cause_days: Option<u32>,
    /// Days ahead of an equipment maintenance or inspection due date when the managers are reminded (1–180).
    pub equipment_remind_days: Option<u32>,
    /// The same problem at the same checkpoint within this many days is a repeat (0–365).
    pub repeat_window_days: Option<u32>,
    pub keep_originals: Option<bool>,
    /// Complaint service-level cells to set; the others keep their value.
    #[serde(default)]
    pub complaint_sla: Vec<crate::deadline::SlaRule>,
    /// Category → department lines to set (the assign form's default).
    #[serde(default)]
    pub departments: Vec<crate::plan::CategoryDepartment>,
    /// Weights of the CSI's service dimensions (0–10 each); the whole list replaces the site's.
    pub csi_weights: Option<Vec<crate::survey::DimensionWeight>>,
}

impl SiteSettings {
    /// Applies the settings to `site`, checking each; on an error `site` is unchanged.
    pub fn apply(&self, site: &mut crate::plan::Site) -> Result<(), String> {
        fn within(what: &str, v: Option<u32>, lo: u32, hi: u32) -> Result<(), String> {
            match v {
                Some(v) if v < lo || v > hi => Err(format!("{what} must be {lo} to {hi}")),
                _ => Ok(()),
            }
        }
        within("the reminder lead (hours)", self.remind_hours, 1, 168)?;
        within("the verification wait (hours)", self.verify_hours, 1, 720)?;
        within("the call-back wait (hours)", self.callback_hours, 1, 720)?;
        within(
            "the root-cause analysis time (days)",
            self.root_cause_days,
            1,
            90,
        )?;
        within("the repeat window (days)", self.repeat_window_days, 0, 365)?;
        within(
            "the equipment reminder lead (days)",
            self.equipment_remind_days,
            1,
            180,
        )?;
        let mut next = site.clone();
        next.complaint_sla.set(&self.complaint_sla)?;
        next.set_departments(&self.departments);
        if let Some(w) = &self.csi_weights {
            crate::survey::check_weights(w)?;
            next.csi_weights = w.clone();
        }
        let d = &mut next.deadlines;
        d.remind_hours = self.remind_hours.unwrap_or(d.remind_hours);
        d.verify_hours = self.verify_hours.unwrap_or(d.verify_hours);
        d.callback_hours = self.callback_hours.unwrap_or(d.callback_hours);
        d.root_cause_days = self.root_cause_days.unwrap_or(d.root_cause_days);
        d.equipment_remind_days = self
            .equipment_remind_days
            .unwrap_or(d.equipment_remind_days);
        next.repeat_window_days = self.repeat_window_days.unwrap_or(next.repeat_window_days);
        next.keep_originals = self.keep_originals.unwrap_or(next.keep_originals);
        *site = next;
        Ok(())
    }
}

/// The answer to an import with bad rows: every bad row, nothing imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRefusal {
    pub message: String,
    pub rows: Vec<LineError>,
}

/// A route reordered for a short walk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reordered {
    /// Walk length in metres over checkpoints with coordinates, before and after.
    pub before: f64,
    pub after: f64,
    /// Point codes in the new order.
    pub order: Vec<String>,
}

/// A schedule as an admin writes it: codes and names instead of ids.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleSpec {
    pub code: String,
    pub name: String,
    /// A route code; or give `checkpoints`.
    pub route: Option<String>,
    #[serde(default)]
    pub checkpoints: Vec<String>,
    /// `daily`, `weekly`, `monthly` or weekdays (`mon,wed,fri`).
    pub repeat: String,
    /// `22:00-02:00`; none: the whole day.
    pub window: Option<String>,
    /// `NAME:MM-DD..MM-DD:REPEAT`, e.g. `雨季:06-01..09-30:daily`.
    #[serde(default)]
    pub seasons: Vec<String>,
    /// User name of the inspector; none: any inspector.
    pub assignee: Option<String>,
}

/// What a manager asks to draw. The seed is never chosen by the person
/// drawing (that would let a draw be rigged): the server takes it from its own
/// randomness and records it, so anyone can replay the draw afterwards.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DrawRequest {
    /// How many checkpoints.
    pub n: usize,
    /// Only checkpoints of this zone (code); none: the whole site.
    pub zone: Option<String>,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// A one-off patrol as a manager launches it (应急巡查): chosen checkpoints, or
/// every checkpoint of a zone, for chosen inspectors, inside a window.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdHocRequest {
    /// What it is for: 台风前防汛检查, 节前安全大检查…
    pub name: String,
    /// Point codes; or give `zone`.
    #[serde(default)]
    pub checkpoints: Vec<String>,
    /// A zone code: every checkpoint of the zone.
    pub zone: Option<String>,
    /// User names of the inspectors who walk it.
    pub inspectors: Vec<String>,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// A recorded draw and whether drawing again from its seed gives the same result.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Replay {
    pub spot_check: crate::schedule::SpotCheck,
    pub replays: bool,
    /// Point codes and the inspector's name, for people.
    pub checkpoint_codes: Vec<String>,
    pub inspector_name: String,
}

/// A new user as an admin enters it on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewUserRequest {
    pub name: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub department: Option<Department>,
    pub password: String,
}

pub use crate::codes::NotificationKind;

/// A reminder or escalation about an open issue, for one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    /// The same for every attempt to create it: derived from issue, kind,
    /// the time it is about and recipient.
    pub id: uuid::Uuid,
    pub kind: NotificationKind,
    pub recipient: UserId,
    pub issue: IssueId,
    pub title: String,
    pub checkpoint: Option<String>,
    pub status: Status,
    pub deadline: DateTime<Utc>,
    pub assignee: Option<String>,
    /// Server clock.
    pub created_at: DateTime<Utc>,
    /// Set when the notification is about a piece of equipment (then `issue`
    /// is the nil id and `deadline` the due day's end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equipment: Option<EquipmentRef>,
}

/// The equipment a reminder is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EquipmentRef {
    /// Site code.
    pub site: String,
    /// Equipment code.
    pub code: String,
    pub duty: crate::equipment::Duty,
    pub due: chrono::NaiveDate,
}

/// One patrol run in the manager's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatrolSummary {
    pub id: PatrolRunId,
    pub route_code: String,
    pub inspector_name: String,
    /// Device clock.
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Checkpoints with a result.
    pub checked: usize,
    /// Checkpoints the run was due to visit (pinned when it started).
    pub route_len: usize,
    pub failed_items: usize,
    /// Results whose presence evidence is missing or names another code.
    pub without_presence: usize,
}

/// One checkpoint result as a reviewer reads it: the answers, when the device
/// saved it, when the server first received it, and the presence evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultDetail {
    pub result: crate::patrol::CheckpointResult,
    pub checkpoint_name: String,
    pub received_at: Option<DateTime<Utc>>,
    pub evidence: crate::patrol::PresenceEvidence,
}

/// A patrol run with every result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatrolDetail {
    pub summary: PatrolSummary,
    pub results: Vec<ResultDetail>,
    /// Checkpoints the run was due to visit and has no result for: point code and name.
    #[serde(default)]
    pub skipped: Vec<(String, String)>,
    /// Issues raised on this run, by the item that failed: (item code, issue id, title).
    #[serde(default)]
    pub issues: Vec<RaisedOnRun>,
}

/// An issue raised on a patrol run, for the record sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RaisedOnRun {
    pub issue: IssueId,
    pub title: String,
    pub checkpoint: Option<String>,
    pub item: Option<String>,
}

impl IssueDetail {
    /// The detail of a folded issue; `server_time` gives an event's receipt time,
    /// `uploaded` whether the server holds a photo file.
    pub fn from_view(
        view: &crate::issue::IssueView,
        server_time: &dyn Fn(EventId) -> Option<DateTime<Utc>>,
        uploaded: &dyn Fn(&crate::issue::PhotoHash) -> bool,
        now: DateTime<Utc>,
    ) -> IssueDetail {
        use crate::issue::EventBody;
        let mut photos = Vec::new();
        for t in view.timeline.iter().filter(|t| t.outcome.is_applied()) {
            let (role, list) = match &t.event.body {
                EventBody::Raise { photos, .. } => (PhotoRole::Before, photos),
                EventBody::Rectify { photos, .. } => (PhotoRole::After, photos),
                _ => continue,
            };
            for p in list {
                photos.push(PhotoInfo {
                    role,
                    photo: p.clone(),
                    event: t.event.id,
                    server_time: server_time(t.event.id),
                    uploaded: uploaded(&p.hash),
                    thumb_uploaded: uploaded(&p.thumb),
                });
            }
        }
        IssueDetail {
            summary: IssueSummary::from_view(view, now),
            description: view.description.clone(),
            photos,
            timeline: view
                .timeline
                .iter()
                .map(|t| {
                    let mut body = serde_json::to_value(&t.event.body).unwrap_or_default();
                    if let Some(obj) = body.as_object_mut() {
                        obj.remove("kind");
                    }
                    TimelineItem {
                        event: t.event.id,
                        kind: t.event.body.kind().code().into(),
                        by: t.event.by_name.clone(),
                        role: t.event.role,
                        device_time: t.event.at,
                        server_time: server_time(t.event.id),
                        outcome: t.outcome.clone(),
                        body,
                        deadline_moved: t.deadline_moved.clone(),
                    }
                })
                .collect(),
            complaint: view.complaint.clone(),
            callback: view.callback.clone(),
        }
    }
}

impl IssueSummary {
    /// Someone besides the assignee owes the next step: a rectification to
    /// verify, a verified complaint to call back, a complaint to dispatch.
    pub fn is_waiting(&self) -> bool {
        self.status == Status::Rectified
            || self.awaiting_callback
            || (self.status == Status::Recorded && self.respond_by.is_some())
    }

    /// The latest of its raise, assignment, rectification and verification times.
    pub fn last_at(&self) -> DateTime<Utc> {
        [
            self.responded_at,
            self.assignment.map(|(_, t)| t),
            self.rectified_at,
            self.verified_at,
        ]
        .into_iter()
        .flatten()
        .fold(self.raised_at, DateTime::max)
    }

    /// The tracker row for a folded issue.
    pub fn from_view(v: &crate::issue::IssueView, now: DateTime<Utc>) -> Self {
        IssueSummary {
            id: v.id,
            site: v.site,
            zone: v.zone,
            status: v.status,
            grade: v.grade,
            category: v.category,
            title: v.title.clone(),
            checkpoint: v.checkpoint_code.as_ref().map(|c| c.to_string()),
            department: v.department,
            assignee: v.assignee_name.clone(),
            deadline: v.deadline,
            overdue: v.is_overdue(now),
            raised_by: v.raised_by_name.clone(),
            raised_at: v.raised_at,
            conflicts: v.conflicts.clone(),
            refused: v
                .not_applied()
                .map(|t| RefusedEvent {
                    event: t.event.id,
                    kind: t.event.body.kind().code().into(),
                    by: t.event.by_name.clone(),
                    role: t.event.role,
                    outcome: t.outcome.clone(),
                })
                .collect(),
            complaint_location: v.complaint.as_ref().map(|c| c.location.clone()),
            satisfied: v.callback.as_ref().map(|c| c.satisfied),
            repeat: None,
            respond_by: v.complaint.as_ref().and_then(|c| c.respond_by),
            responded_at: v.first_assigned_at,
            assignment: v.assignment,
            rectified_at: v.rectified_at,
            verified_at: v.verified_at,
            awaiting_callback: v.awaiting_callback(),
            patrol: v.patrol,
            item: v.item.as_ref().map(|i| i.to_string()),
            rejections: v
                .timeline
                .iter()
                .filter(|t| {
                    t.outcome.is_applied()
                        && matches!(t.event.body, crate::issue::EventBody::Reject { .. })
                })
                .count() as u32,
        }
    }
}
