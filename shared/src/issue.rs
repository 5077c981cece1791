//! Issues as an append-only list of workflow events, folded into the current state.
//!
//! **Fold order.** Events are applied in `(lamport, id)` order. A device gives a
//! new event `lamport = 1 + max(lamport of the events it has)`, so an event always
//! sorts after every event its author had seen; concurrent events are ordered by
//! lamport and then by event id (UUID v7), which every replica computes alike.
//! Device clocks are recorded (`at`) but never decide the order.
//!
//! **Conflicts.** Every event carries the view its author saw (`base`). When an
//! event changes a policy-relevant field whose current value was set by an event
//! the author had not seen, the fold records a [`Conflict`] naming the field, the
//! competing values and the one chosen. An event the workflow cannot apply
//! because of such a concurrent change is kept and marked as a conflict; one the
//! role policy forbids is kept and marked refused. Neither changes the state.

use crate::codes::{Category, Department, Grade, Role, Status};
use crate::ids::*;
use crate::policy::{self, ChangeKind};
use crate::text::Code;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// SHA-256 of a photo's bytes, lower-case hex. Documents reference photos by hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhotoHash(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a SHA-256 photo hash (64 hex characters)")]
pub struct PhotoHashError(String);

impl crate::text::Bilingual for PhotoHashError {
    fn zh(&self) -> String {
        format!("“{}”不是照片的校验值（64 位十六进制）", self.0)
    }
}

impl PhotoHash {
    pub fn parse(s: &str) -> Result<Self, PhotoHashError> {
        let s = s.trim().to_ascii_lowercase();
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(PhotoHash(s))
        } else {
            Err(PhotoHashError(s))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for PhotoHash {
    type Error = PhotoHashError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PhotoHash::parse(&value)
    }
}
impl From<PhotoHash> for String {
    fn from(h: PhotoHash) -> String {
        h.0
    }
}
impl std::fmt::Display for PhotoHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Most photos one event may carry.
pub const MAX_PHOTOS_PER_EVENT: usize = 12;

/// A photo as a document records it: the hashes of its stored copies and of the
/// camera original (the evidence of record), who took it and when. The bytes
/// travel separately, addressed by these hashes. Whether it shows the problem or
/// the fix follows from the event that carries it (raise: before, rectify: after).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoRef {
    /// The upload copy: JPEG, longest side at most 2048 px.
    pub hash: PhotoHash,
    /// The thumbnail: JPEG, longest side at most 320 px.
    pub thumb: PhotoHash,
    /// SHA-256 of the file the camera produced.
    pub original: PhotoHash,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// Capture time from the photo's EXIF data, when it had one.
    pub taken_at: Option<DateTime<Utc>>,
    /// When the photo was added, by the device's clock.
    pub added_at: DateTime<Utc>,
    pub by: UserId,
    pub by_name: String,
}

/// Whether a photo shows the problem (现场照片) or the fix (整改后照片).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PhotoRole {
    Before,
    After,
}

impl PhotoRole {
    pub const fn code(self) -> &'static str {
        match self {
            PhotoRole::Before => "before",
            PhotoRole::After => "after",
        }
    }
    pub fn parse(s: &str) -> Option<PhotoRole> {
        match s {
            "before" => Some(PhotoRole::Before),
            "after" => Some(PhotoRole::After),
            _ => None,
        }
    }
}

/// The policy-relevant fields as the author of an event saw them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Base {
    pub status: Status,
    pub grade: Grade,
    pub category: Category,
    pub department: Option<Department>,
    pub assignee: Option<UserId>,
    pub deadline: Option<DateTime<Utc>>,
}

/// What an event does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    Raise {
        site: SiteId,
        zone: Option<ZoneId>,
        checkpoint: Option<CheckpointId>,
        checkpoint_code: Option<Code>,
        /// The checklist item that failed, when the issue came from a patrol.
        item: Option<Code>,
        patrol: Option<PatrolRunId>,
        category: Category,
        grade: Grade,
        title: String,
        description: String,
        photos: Vec<PhotoRef>,
        /// The default deadline from the site's policy at the time of raising
        /// (for a complaint: its service-level deadline).
        deadline: Option<DateTime<Utc>>,
        /// Set when the issue is a resident's complaint (投诉), not a patrol finding.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        complaint: Option<Complaint>,
    },
    Edit {
        title: Option<String>,
        description: Option<String>,
    },
    Regrade {
        grade: Option<Grade>,
        category: Option<Category>,
    },
    Assign {
        department: Department,
        assignee: UserId,
        assignee_name: String,
        /// A new deadline, set on purpose; none keeps the one the issue has
        /// (the grade's default or the complaint's service level, fixed when
        /// it was raised).
        #[serde(default)]
        deadline: Option<DateTime<Utc>>,
    },
    MoveDeadline {
        deadline: DateTime<Utc>,
    },
    Rectify {
        note: String,
        photos: Vec<PhotoRef>,
    },
    Verify {
        note: String,
    },
    Reject {
        note: String,
        department: Option<Department>,
        assignee: Option<UserId>,
        assignee_name: Option<String>,
        deadline: Option<DateTime<Utc>>,
    },
    Cancel {
        note: String,
    },
    Reopen {
        note: String,
        department: Option<Department>,
        assignee: Option<UserId>,
        assignee_name: Option<String>,
        deadline: Option<DateTime<Utc>>,
    },
    Comment {
        text: String,
    },
    /// The closing call-back to the resident who complained (回访).
    Callback {
        satisfied: bool,
        note: String,
        /// When not satisfied: the deadline of the reopened complaint.
        deadline: Option<DateTime<Utc>>,
    },
}

/// Where a complaint comes from: a resident, a place, a way to call back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Complaint {
    /// Where the problem is, in the resident's words (a zone may be set too).
    pub location: String,
    /// Name and phone number for the call-back.
    pub contact: String,
    /// How urgent: with the kind (category) it sets the service level.
    #[serde(default)]
    pub urgency: crate::codes::Urgency,
    /// When the complaint must have been dispatched to a department (响应时限),
    /// fixed from the site's service levels when it was entered. The raise's
    /// deadline is the resolution time (解决时限).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respond_by: Option<DateTime<Utc>>,
}

impl Complaint {
    /// The contact as people who do not call back see it: see [`mask_contact`].
    pub fn masked_contact(&self) -> String {
        mask_contact(&self.contact)
    }

    /// Whether the contact is already in its masked form, the only form an
    /// issue document may carry (documents reach every device of the site).
    pub fn is_masked(&self) -> bool {
        mask_contact(&self.contact) == self.contact
    }
}

/// A contact with its phone number hidden: of all the digits in it (any
/// script's, full-width ones too), every one but the first three and the last
/// four is replaced by `*` (`王女士 138****5678`, `138 **** 0000`); when it holds
/// fewer than eight, all of them are. A `*` counts as a hidden digit, so
/// masking a masked contact changes nothing.
pub fn mask_contact(contact: &str) -> String {
    let is_digit = |c: char| c.is_numeric() || c == '*';
    let digits = contact.chars().filter(|&c| is_digit(c)).count();
    let mut seen = 0;
    contact
        .chars()
        .map(|c| {
            if !is_digit(c) {
                return c;
            }
            let keep = digits >= 8 && (seen < 3 || seen >= digits - 4);
            seen += 1;
            if keep { c } else { '*' }
        })
        .collect()
}

/// The latest call-back of a complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackRecord {
    pub satisfied: bool,
    pub note: String,
    pub by_name: String,
    pub at: DateTime<Utc>,
}

impl EventBody {
    pub fn kind(&self) -> ChangeKind {
        match self {
            EventBody::Raise { .. } => ChangeKind::Raise,
            EventBody::Edit { .. } => ChangeKind::Edit,
            EventBody::Regrade { .. } => ChangeKind::Regrade,
            EventBody::Assign { .. } => ChangeKind::Assign,
            EventBody::MoveDeadline { .. } => ChangeKind::MoveDeadline,
            EventBody::Rectify { .. } => ChangeKind::Rectify,
            EventBody::Verify { .. } => ChangeKind::Verify,
            EventBody::Reject { .. } => ChangeKind::Reject,
            EventBody::Cancel { .. } => ChangeKind::Cancel,
            EventBody::Reopen { .. } => ChangeKind::Reopen,
            EventBody::Comment { .. } => ChangeKind::Comment,
            EventBody::Callback { .. } => ChangeKind::Callback,
        }
    }
}

/// One immutable workflow event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssueEvent {
    pub id: EventId,
    pub lamport: u64,
    pub by: UserId,
    pub by_name: String,
    pub role: Role,
    pub device: DeviceId,
    /// Device clock when the event was written.
    pub at: DateTime<Utc>,
    /// What the author saw; `None` only for the raise.
    pub base: Option<Base>,
    pub body: EventBody,
}

impl IssueEvent {
    /// Checks every text and list of the event against [`crate::limits`]; the
    /// sentence names what is too long.
    pub fn check_limits(&self) -> Result<(), String> {
        use crate::limits::{NAME_CHARS, NOTE_CHARS, PHOTOS_PER_EVENT, TITLE_CHARS};
        fn text(what: &str, s: &str, max: usize) -> Result<(), String> {
            let n = s.chars().count();
            if n > max {
                return Err(format!(
                    "{what} is too long ({n} characters, at most {max})"
                ));
            }
            Ok(())
        }
        fn photos(p: &[PhotoRef]) -> Result<(), String> {
            if p.len() > PHOTOS_PER_EVENT {
                return Err(format!(
                    "an event may carry at most {PHOTOS_PER_EVENT} photos ({} given)",
                    p.len()
                ));
            }
            for r in p {
                text("a photo's author name", &r.by_name, NAME_CHARS)?;
            }
            Ok(())
        }
        text("the author's name", &self.by_name, NAME_CHARS)?;
        match &self.body {
            EventBody::Raise {
                title,
                description,
                photos: p,
                complaint,
                ..
            } => {
                text("the title", title, TITLE_CHARS)?;
                text("the description", description, NOTE_CHARS)?;
                photos(p)?;
                if let Some(c) = complaint {
                    text("the complaint's location", &c.location, NAME_CHARS)?;
                    text("the complaint's contact", &c.contact, NAME_CHARS)?;
                }
            }
            EventBody::Edit { title, description } => {
                text("the title", title.as_deref().unwrap_or(""), TITLE_CHARS)?;
                text(
                    "the description",
                    description.as_deref().unwrap_or(""),
                    NOTE_CHARS,
                )?;
            }
            EventBody::Assign { assignee_name, .. } => {
                text("the assignee's name", assignee_name, NAME_CHARS)?
            }
            EventBody::Rectify { note, photos: p } => {
                text("the note", note, NOTE_CHARS)?;
                photos(p)?;
            }
            EventBody::Verify { note } | EventBody::Cancel { note } => {
                text("the note", note, NOTE_CHARS)?
            }
            EventBody::Reject {
                note,
                assignee_name,
                ..
            }
            | EventBody::Reopen {
                note,
                assignee_name,
                ..
            } => {
                text("the note", note, NOTE_CHARS)?;
                text(
                    "the assignee's name",
                    assignee_name.as_deref().unwrap_or(""),
                    NAME_CHARS,
                )?;
            }
            EventBody::Comment { text: t } => text("the comment", t, NOTE_CHARS)?,
            EventBody::Callback { note, .. } => text("the note", note, NOTE_CHARS)?,
            EventBody::Regrade { .. } | EventBody::MoveDeadline { .. } => {}
        }
        Ok(())
    }
}

/// How the fold treated an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EventOutcome {
    Applied,
    /// The role policy or a workflow rule forbids this event; it stays in the history only.
    Refused {
        code: String,
        reason: String,
    },
    /// A concurrent event made this one inapplicable; it stays in the history only.
    Conflict {
        code: String,
        reason: String,
    },
}

impl EventOutcome {
    pub fn is_applied(&self) -> bool {
        matches!(self, EventOutcome::Applied)
    }
}

/// Two people set one field concurrently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conflict {
    /// `status`, `grade`, `category`, `department`, `assignee` or `deadline`.
    pub field: String,
    /// The competing values, in fold order.
    pub values: Vec<String>,
    pub chosen: String,
    /// The events that wrote the competing values, in fold order.
    pub events: Vec<EventId>,
}

/// One line of an issue's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub event: IssueEvent,
    #[serde(flatten)]
    pub outcome: EventOutcome,
    /// Set when this event, applied, changed the deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_moved: Option<DeadlineMove>,
}

/// A deadline changed by an event: shortened, extended, or set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlineMove {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl DeadlineMove {
    /// Seconds the deadline moved later (negative: earlier); none when it was unset before or after.
    pub fn by_seconds(&self) -> Option<i64> {
        Some((self.to? - self.from?).num_seconds())
    }
}

/// The current state of an issue: the fold of its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssueView {
    pub id: IssueId,
    pub site: SiteId,
    pub zone: Option<ZoneId>,
    pub checkpoint: Option<CheckpointId>,
    pub checkpoint_code: Option<Code>,
    pub item: Option<Code>,
    pub patrol: Option<PatrolRunId>,
    pub status: Status,
    pub grade: Grade,
    pub category: Category,
    pub title: String,
    pub description: String,
    pub department: Option<Department>,
    pub assignee: Option<UserId>,
    pub assignee_name: Option<String>,
    pub deadline: Option<DateTime<Utc>>,
    pub photos: Vec<PhotoRef>,
    pub after_photos: Vec<PhotoRef>,
    pub raised_by: UserId,
    pub raised_by_name: String,
    pub raised_at: DateTime<Utc>,
    pub rectified_by: Option<UserId>,
    pub rectify_note: Option<String>,
    pub timeline: Vec<TimelineEntry>,
    pub conflicts: Vec<Conflict>,
    /// Set for a resident's complaint.
    #[serde(default)]
    pub complaint: Option<Complaint>,
    /// The latest call-back, for a complaint.
    #[serde(default)]
    pub callback: Option<CallbackRecord>,
    /// When the issue was first dispatched (its first applied assignment):
    /// a complaint's response (响应).
    #[serde(default)]
    pub first_assigned_at: Option<DateTime<Utc>>,
    /// The event that gave the issue its current assignee, and when.
    #[serde(default)]
    pub assignment: Option<(EventId, DateTime<Utc>)>,
    /// When the latest applied rectification was recorded.
    #[serde(default)]
    pub rectified_at: Option<DateTime<Utc>>,
    /// When the latest applied verification was recorded.
    #[serde(default)]
    pub verified_at: Option<DateTime<Utc>>,
}

impl IssueView {
    /// A verified complaint whose resident has not been called back since.
    pub fn awaiting_callback(&self) -> bool {
        self.complaint.is_some()
            && self.status == Status::Verified
            && match (&self.callback, self.verified_at) {
                (None, _) => true,
                (Some(cb), Some(v)) => cb.at < v,
                (Some(_), None) => false,
            }
    }

    /// Every photo of the issue with its role, before-photos first.
    pub fn all_photos(&self) -> impl Iterator<Item = (PhotoRole, &PhotoRef)> {
        self.photos
            .iter()
            .map(|p| (PhotoRole::Before, p))
            .chain(self.after_photos.iter().map(|p| (PhotoRole::After, p)))
    }

    /// The photo stored under `hash` (its upload copy or its thumbnail).
    pub fn photo(&self, hash: &str) -> Option<(PhotoRole, &PhotoRef)> {
        self.all_photos()
            .find(|(_, p)| p.hash.as_str() == hash || p.thumb.as_str() == hash)
    }

    /// The base a new event written now should carry.
    pub fn base(&self) -> Base {
        Base {
            status: self.status,
            grade: self.grade,
            category: self.category,
            department: self.department,
            assignee: self.assignee,
            deadline: self.deadline,
        }
    }

    /// The lamport number for a new event written on top of this view.
    pub fn next_lamport(&self) -> u64 {
        self.timeline
            .iter()
            .map(|t| t.event.lamport)
            .max()
            .unwrap_or(0)
            .saturating_add(1)
    }

    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        matches!(self.status, Status::Recorded | Status::Assigned)
            && self.deadline.is_some_and(|d| d < now)
    }

    /// Events that were kept but not applied (refused or in conflict).
    pub fn not_applied(&self) -> impl Iterator<Item = &TimelineEntry> {
        self.timeline.iter().filter(|t| !t.outcome.is_applied())
    }

    /// The call-back event for this complaint: an unsatisfied resident reopens
    /// it with a fresh resolution deadline from `now`, by the site's service
    /// level for its kind and urgency.
    pub fn callback(
        &self,
        satisfied: bool,
        note: &str,
        sla: &crate::deadline::ComplaintSla,
        now: DateTime<Utc>,
    ) -> EventBody {
        let urgency = self
            .complaint
            .as_ref()
            .map(|c| c.urgency)
            .unwrap_or_default();
        EventBody::Callback {
            satisfied,
            note: note.trim().to_string(),
            deadline: (!satisfied).then(|| sla.due(self.category, urgency, now).1),
        }
    }

    /// Checks a change the local user is about to make, before writing it.
    pub fn check(&self, by: UserId, role: Role, kind: ChangeKind) -> Result<Status, FoldRefusal> {
        if kind == ChangeKind::Raise {
            return Err(FoldRefusal::already_raised());
        }
        if !policy::allowed_on(role, kind, self.complaint.is_some()) {
            return Err(FoldRefusal::role(role, kind));
        }
        if kind == ChangeKind::Verify && self.rectified_by == Some(by) {
            return Err(FoldRefusal::self_verify());
        }
        if kind == ChangeKind::Callback && self.complaint.is_none() {
            return Err(FoldRefusal::not_a_complaint());
        }
        self.status.next(kind).map_err(|e| FoldRefusal {
            code: "illegal_transition",
            reason: e.to_string(),
        })
    }
}

/// Why an event cannot be applied, as a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct FoldRefusal {
    pub code: &'static str,
    pub reason: String,
}

impl FoldRefusal {
    fn role(role: Role, kind: ChangeKind) -> Self {
        let only_complaints = policy::allowed_on(role, kind, true);
        FoldRefusal {
            code: "role_forbidden",
            reason: format!(
                "role {} may not {}{}",
                role.code(),
                kind.describe(),
                if only_complaints {
                    " on a patrol finding (only on complaints)"
                } else {
                    ""
                }
            ),
        }
    }
    fn self_verify() -> Self {
        FoldRefusal {
            code: "self_verify",
            reason: "the person who recorded the rectification may not verify it".into(),
        }
    }
    fn not_a_complaint() -> Self {
        FoldRefusal {
            code: "not_a_complaint",
            reason: "only a complaint gets a call-back".into(),
        }
    }
    fn already_raised() -> Self {
        FoldRefusal {
            code: "already_raised",
            reason: "the issue was already raised".into(),
        }
    }
}

/// The event list cannot make an issue at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    #[error("the issue has no raise event")]
    NoRaise,
}

fn sort_key(e: &IssueEvent) -> (u64, EventId) {
    (e.lamport, e.id)
}

fn fmt_time(t: &Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "none".into())
}

/// Folds an issue's events (in any order) into its current state.
pub fn fold(
    id: IssueId,
    events: impl IntoIterator<Item = IssueEvent>,
) -> Result<IssueView, FoldError> {
    let mut events: Vec<IssueEvent> = events.into_iter().collect();
    events.sort_by_key(sort_key);
    events.dedup_by_key(|e| e.id);

    let raise_at = events
        .iter()
        .position(|e| match &e.body {
            EventBody::Raise { complaint, .. } => policy::may_raise(e.role, complaint.is_some()),
            _ => false,
        })
        .ok_or(FoldError::NoRaise)?;
    let raise = &events[raise_at];
    let EventBody::Raise {
        site,
        zone,
        checkpoint,
        checkpoint_code,
        item,
        patrol,
        category,
        grade,
        title,
        description,
        photos,
        deadline,
        complaint,
    } = &raise.body
    else {
        unreachable!("position() matched a raise");
    };
    let mut view = IssueView {
        id,
        site: *site,
        zone: *zone,
        checkpoint: *checkpoint,
        checkpoint_code: checkpoint_code.clone(),
        item: item.clone(),
        patrol: *patrol,
        status: Status::Recorded,
        grade: *grade,
        category: *category,
        title: title.clone(),
        description: description.clone(),
        department: None,
        assignee: None,
        assignee_name: None,
        deadline: *deadline,
        photos: photos.clone(),
        after_photos: Vec::new(),
        raised_by: raise.by,
        raised_by_name: raise.by_name.clone(),
        raised_at: raise.at,
        rectified_by: None,
        rectify_note: None,
        timeline: Vec::with_capacity(events.len()),
        conflicts: Vec::new(),
        complaint: complaint.clone(),
        callback: None,
        first_assigned_at: None,
        assignment: None,
        rectified_at: None,
        verified_at: None,
    };
    // Which event last set each policy-relevant field.
    let mut setters: HashMap<&'static str, EventId> = HashMap::new();
    for f in ["status", "grade", "category", "deadline"] {
        setters.insert(f, raise.id);
    }

    for (index, event) in events.into_iter().enumerate() {
        if index == raise_at {
            view.timeline.push(TimelineEntry {
                event,
                outcome: EventOutcome::Applied,
                deadline_moved: None,
            });
            continue;
        }
        let before = view.deadline;
        let outcome = if index < raise_at {
            EventOutcome::Refused {
                code: "before_raise".into(),
                reason: "the event comes before the issue was raised".into(),
            }
        } else {
            apply(&mut view, &mut setters, &event)
        };
        let deadline_moved = (view.deadline != before).then_some(DeadlineMove {
            from: before,
            to: view.deadline,
        });
        view.timeline.push(TimelineEntry {
            event,
            outcome,
            deadline_moved,
        });
    }
    Ok(view)
}

/// A policy-relevant field's value before and after an event.
struct FieldChange {
    field: &'static str,
    seen: String,
    current: String,
    new: String,
}

fn apply(
    view: &mut IssueView,
    setters: &mut HashMap<&'static str, EventId>,
    e: &IssueEvent,
) -> EventOutcome {
    let kind = e.body.kind();
    if kind == ChangeKind::Raise {
        let r = FoldRefusal::already_raised();
        return EventOutcome::Refused {
            code: r.code.into(),
            reason: r.reason,
        };
    }
    if !policy::allowed_on(e.role, kind, view.complaint.is_some()) {
        let r = FoldRefusal::role(e.role, kind);
        return EventOutcome::Refused {
            code: r.code.into(),
            reason: r.reason,
        };
    }
    if kind == ChangeKind::Verify && view.rectified_by == Some(e.by) {
        let r = FoldRefusal::self_verify();
        return EventOutcome::Refused {
            code: r.code.into(),
            reason: r.reason,
        };
    }
    if kind == ChangeKind::Callback && view.complaint.is_none() {
        let r = FoldRefusal::not_a_complaint();
        return EventOutcome::Refused {
            code: r.code.into(),
            reason: r.reason,
        };
    }
    let base = e.base.clone().unwrap_or_else(|| view.base());
    let next = match view.status.next(kind) {
        // An unsatisfied resident reopens the complaint.
        Ok(_)
            if matches!(
                e.body,
                EventBody::Callback {
                    satisfied: false,
                    ..
                }
            ) =>
        {
            Status::Assigned
        }
        Ok(next) => next,
        Err(err) => {
            if base.status != view.status {
                // Someone else moved the issue on while this author was offline.
                let by = setters.get("status").copied();
                view.conflicts.push(Conflict {
                    field: "status".into(),
                    values: vec![
                        view.status.code().into(),
                        format!("{} ({})", kind.code(), base.status.code()),
                    ],
                    chosen: view.status.code().into(),
                    events: by.into_iter().chain([e.id]).collect(),
                });
                return EventOutcome::Conflict {
                    code: "concurrent_transition".into(),
                    reason: format!(
                        "{}: the issue had meanwhile become {} through another person's change",
                        err,
                        view.status.code()
                    ),
                };
            }
            return EventOutcome::Refused {
                code: "illegal_transition".into(),
                reason: err.to_string(),
            };
        }
    };

    let mut changes: Vec<FieldChange> = Vec::new();
    let mut change = |field: &'static str, seen: String, current: String, new: String| {
        if current != new {
            changes.push(FieldChange {
                field,
                seen,
                current,
                new,
            });
        }
    };
    let dept = |d: Option<Department>| {
        d.map(|d| d.code().to_string())
            .unwrap_or_else(|| "none".into())
    };
    let person = |id: Option<UserId>, name: &Option<String>| match (id, name) {
        (Some(_), Some(n)) => n.clone(),
        (Some(id), None) => id.to_string(),
        _ => "none".into(),
    };
    change(
        "status",
        base.status.code().into(),
        view.status.code().into(),
        next.code().into(),
    );

    // Compute the new field values without touching the view yet.
    let mut new_grade = view.grade;
    let mut new_category = view.category;
    let mut new_department = view.department;
    let mut new_assignee = (view.assignee, view.assignee_name.clone());
    let mut new_deadline = view.deadline;
    match &e.body {
        EventBody::Regrade { grade, category } => {
            new_grade = grade.unwrap_or(new_grade);
            new_category = category.unwrap_or(new_category);
        }
        EventBody::Assign {
            department,
            assignee,
            assignee_name,
            deadline,
        } => {
            new_department = Some(*department);
            new_assignee = (Some(*assignee), Some(assignee_name.clone()));
            new_deadline = deadline.or(new_deadline);
        }
        EventBody::MoveDeadline { deadline } => new_deadline = Some(*deadline),
        EventBody::Callback {
            satisfied: false,
            deadline,
            ..
        } => new_deadline = deadline.or(new_deadline),
        EventBody::Reject {
            department,
            assignee,
            assignee_name,
            deadline,
            ..
        }
        | EventBody::Reopen {
            department,
            assignee,
            assignee_name,
            deadline,
            ..
        } => {
            new_department = department.or(new_department);
            if assignee.is_some() {
                new_assignee = (*assignee, assignee_name.clone());
            }
            new_deadline = deadline.or(new_deadline);
        }
        _ => {}
    }
    change(
        "grade",
        base.grade.code().into(),
        view.grade.code().into(),
        new_grade.code().into(),
    );
    change(
        "category",
        base.category.code().into(),
        view.category.code().into(),
        new_category.code().into(),
    );
    change(
        "department",
        dept(base.department),
        dept(view.department),
        dept(new_department),
    );
    change(
        "assignee",
        person(base.assignee, &None),
        person(view.assignee, &None),
        person(new_assignee.0, &None),
    );
    change(
        "deadline",
        fmt_time(&base.deadline),
        fmt_time(&view.deadline),
        fmt_time(&new_deadline),
    );

    // A field is contested when its current value was set by a change the author had not seen.
    for c in &changes {
        if c.seen != c.current {
            let mut values = vec![c.current.clone(), c.new.clone()];
            if c.field == "assignee" {
                values = vec![
                    view.assignee_name
                        .clone()
                        .unwrap_or_else(|| c.current.clone()),
                    new_assignee.1.clone().unwrap_or_else(|| c.new.clone()),
                ];
            }
            let chosen = values[1].clone();
            view.conflicts.push(Conflict {
                field: c.field.into(),
                values,
                chosen,
                events: setters
                    .get(c.field)
                    .copied()
                    .into_iter()
                    .chain([e.id])
                    .collect(),
            });
        }
        setters.insert(c.field, e.id);
    }

    // An order lands on the assignee's desk when they are assigned, and again
    // when a rejection, a reopening or an unsatisfied resident sends it back.
    if next == Status::Assigned
        && new_assignee.0.is_some()
        && matches!(
            kind,
            ChangeKind::Assign | ChangeKind::Reject | ChangeKind::Reopen | ChangeKind::Callback
        )
    {
        view.assignment = Some((e.id, e.at));
    }
    if kind == ChangeKind::Assign && view.first_assigned_at.is_none() {
        view.first_assigned_at = Some(e.at);
    }
    view.status = next;
    view.grade = new_grade;
    view.category = new_category;
    view.department = new_department;
    view.assignee = new_assignee.0;
    view.assignee_name = new_assignee.1;
    view.deadline = new_deadline;
    match &e.body {
        EventBody::Edit { title, description } => {
            if let Some(t) = title {
                view.title = t.clone();
            }
            if let Some(d) = description {
                view.description = d.clone();
            }
        }
        EventBody::Verify { .. } => view.verified_at = Some(e.at),
        EventBody::Rectify { note, photos } => {
            view.rectified_at = Some(e.at);
            view.rectified_by = Some(e.by);
            view.rectify_note = Some(note.clone());
            view.after_photos.extend(photos.iter().cloned());
        }
        EventBody::Reject { .. } | EventBody::Reopen { .. } => {
            view.rectified_by = None;
        }
        EventBody::Callback {
            satisfied, note, ..
        } => {
            view.callback = Some(CallbackRecord {
                satisfied: *satisfied,
                note: note.clone(),
                by_name: e.by_name.clone(),
                at: e.at,
            });
            if !satisfied {
                view.rectified_by = None;
            }
        }
        _ => {}
    }
    EventOutcome::Applied
}

#[cfg(test)]
mod tests {

    #[test]
    fn contacts_are_masked_across_spaces_and_scripts_and_masking_is_idempotent() {
        for (full, masked) in [
            ("王女士 13812345678", "王女士 138****5678"),
            ("王女士 138 0000 0000", "王女士 138 **** 0000"),
            ("李先生 139-1234-5678", "李先生 139-****-5678"),
            ("１３８１２３４５６７８", "１３８****５６７８"),
            ("分机 1234", "分机 ****"),
            ("王女士", "王女士"),
        ] {
            assert_eq!(super::mask_contact(full), masked, "{full}");
            assert_eq!(super::mask_contact(masked), masked, "{masked} stays");
            let c = super::Complaint {
                location: "3栋".into(),
                contact: masked.into(),
                ..Default::default()
            };
            assert!(c.is_masked(), "{masked}");
        }
        let c = super::Complaint {
            location: "3栋".into(),
            contact: "13812345678".into(),
            ..Default::default()
        };
        assert!(!c.is_masked());
        let c = super::Complaint {
            location: "3栋".into(),
            contact: "138*1234*5678".into(),
            ..Default::default()
        };
        assert!(!c.is_masked(), "digits between stars still show");
    }
    use super::*;
    use crate::text::Code;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn t(min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 8, min, 0).unwrap()
    }

    struct Person {
        id: UserId,
        name: &'static str,
        role: Role,
    }

    fn person(name: &'static str, role: Role) -> Person {
        Person {
            id: UserId::from_uuid(Uuid::now_v7()),
            name,
            role,
        }
    }

    fn ev(p: &Person, lamport: u64, base: Option<Base>, body: EventBody) -> IssueEvent {
        IssueEvent {
            id: EventId::from_uuid(Uuid::now_v7()),
            lamport,
            by: p.id,
            by_name: p.name.into(),
            role: p.role,
            device: DeviceId::from_uuid(Uuid::nil()),
            at: t(lamport as u32),
            base,
            body,
        }
    }

    fn raise(p: &Person) -> IssueEvent {
        ev(
            p,
            1,
            None,
            EventBody::Raise {
                site: SiteId::from_uuid(Uuid::nil()),
                zone: None,
                checkpoint: None,
                checkpoint_code: Some(Code::parse("point", "CP-1").unwrap()),
                item: None,
                patrol: None,
                category: Category::EquipmentFault,
                grade: Grade::Deadline,
                title: "电梯异响".into(),
                description: String::new(),
                photos: vec![],
                deadline: Some(t(59)),
                complaint: None,
            },
        )
    }

    fn assign(p: &Person, lamport: u64, base: &IssueView, to: &Person) -> IssueEvent {
        ev(
            p,
            lamport,
            Some(base.base()),
            EventBody::Assign {
                department: Department::Engineering,
                assignee: to.id,
                assignee_name: to.name.into(),
                deadline: Some(t(50)),
            },
        )
    }

    fn id() -> IssueId {
        IssueId::from_uuid(Uuid::nil())
    }

    #[test]
    fn assigning_keeps_the_deadline_set_at_raise_unless_it_is_changed_on_purpose() {
        let (i, m, s) = (
            person("i", Role::Inspector),
            person("m", Role::Manager),
            person("s", Role::FieldStaff),
        );
        let r = raise(&i);
        let v0 = fold(id(), [r.clone()]).unwrap();
        let keep = ev(
            &m,
            2,
            Some(v0.base()),
            EventBody::Assign {
                department: Department::Engineering,
                assignee: s.id,
                assignee_name: s.name.into(),
                deadline: None,
            },
        );
        let v1 = fold(id(), [r.clone(), keep.clone()]).unwrap();
        assert_eq!(v1.deadline, Some(t(59)), "the raise's deadline stays");
        assert_eq!(v1.timeline[1].deadline_moved, None);
        // A re-assignment that shortens it is recorded as such.
        let shorten = assign(&m, 3, &v1, &s);
        let v2 = fold(id(), [r, keep, shorten]).unwrap();
        assert_eq!(v2.deadline, Some(t(50)));
        let moved = v2.timeline[2].deadline_moved.clone().unwrap();
        assert_eq!((moved.from, moved.to), (Some(t(59)), Some(t(50))));
        assert_eq!(moved.by_seconds(), Some(-9 * 60));
        assert!(v2.conflicts.is_empty(), "{:?}", v2.conflicts);
    }

    #[test]
    fn a_complaint_keeps_its_service_level_through_assignment() {
        let (c, m, s) = (
            person("c", Role::CustomerService),
            person("m", Role::Manager),
            person("s", Role::FieldStaff),
        );
        let mut plan = crate::plan::SitePlan::empty(crate::plan::Site {
            id: SiteId::from_uuid(Uuid::nil()),
            code: Code::parse("site", "DEMO").unwrap(),
            name: "演示".into(),
            deadlines: Default::default(),
            keep_originals: false,
            repeat_window_days: 30,
            complaint_sla: Default::default(),
            departments: Vec::new(),
            csi_weights: Vec::new(),
        });
        plan.site.deadlines.utc_offset_minutes = 480;
        // Entered at 09:00 local: a neighbour dispute is due 48 h later, not at the end of the day.
        let entered = Utc.with_ymd_and_hms(2026, 3, 1, 1, 0, 0).unwrap();
        let req = crate::app::ComplaintRequest {
            zone: None,
            location: "3栋".into(),
            contact: "王女士 13812345678".into(),
            category: Category::NeighbourDispute,
            urgency: crate::codes::Urgency::Normal,
            title: "楼上噪音".into(),
            description: String::new(),
            photos: vec![],
        };
        let (body, _) = req.raise_body(&plan, entered).unwrap();
        let mut raise = ev(&c, 1, None, body);
        raise.at = entered;
        let v0 = fold(id(), [raise.clone()]).unwrap();
        let due = entered + chrono::Duration::hours(48);
        assert_eq!(v0.deadline, Some(due));
        assert_eq!(
            v0.complaint.as_ref().unwrap().respond_by,
            Some(entered + chrono::Duration::hours(4))
        );
        let a = ev(
            &m,
            2,
            Some(v0.base()),
            EventBody::Assign {
                department: Department::CustomerService,
                assignee: s.id,
                assignee_name: s.name.into(),
                deadline: None,
            },
        );
        let v1 = fold(id(), [raise, a]).unwrap();
        assert_eq!(v1.deadline, Some(due), "assignment keeps the 48 h promise");
    }

    #[test]
    fn the_happy_path_folds_to_verified() {
        let (i, m, s) = (
            person("i", Role::Inspector),
            person("m", Role::Manager),
            person("s", Role::FieldStaff),
        );
        let r = raise(&i);
        let v0 = fold(id(), [r.clone()]).unwrap();
        let a = assign(&m, 2, &v0, &s);
        let v1 = fold(id(), [r.clone(), a.clone()]).unwrap();
        assert_eq!(
            (v1.status, v1.assignee_name.as_deref()),
            (Status::Assigned, Some("s"))
        );
        let fix = ev(
            &s,
            3,
            Some(v1.base()),
            EventBody::Rectify {
                note: "ok".into(),
                photos: vec![],
            },
        );
        let v2 = fold(id(), [r.clone(), a.clone(), fix.clone()]).unwrap();
        let ok = ev(
            &i,
            4,
            Some(v2.base()),
            EventBody::Verify {
                note: "good".into(),
            },
        );
        // Any input order gives the same result.
        let v3 = fold(id(), [ok, fix, a, r]).unwrap();
        assert_eq!(v3.status, Status::Verified);
        assert!(v3.conflicts.is_empty());
        assert!(v3.timeline.iter().all(|t| t.outcome.is_applied()));
    }

    #[test]
    fn reject_keeps_assignee_and_deadline() {
        let (i, m, s) = (
            person("i", Role::Inspector),
            person("m", Role::Manager),
            person("s", Role::FieldStaff),
        );
        let mut events = vec![raise(&i)];
        let v = fold(id(), events.clone()).unwrap();
        events.push(assign(&m, 2, &v, &s));
        let v = fold(id(), events.clone()).unwrap();
        events.push(ev(
            &s,
            3,
            Some(v.base()),
            EventBody::Rectify {
                note: "done".into(),
                photos: vec![],
            },
        ));
        let v = fold(id(), events.clone()).unwrap();
        events.push(ev(
            &i,
            4,
            Some(v.base()),
            EventBody::Reject {
                note: "不合格".into(),
                department: None,
                assignee: None,
                assignee_name: None,
                deadline: None,
            },
        ));
        let v = fold(id(), events).unwrap();
        assert_eq!(v.status, Status::Assigned);
        assert_eq!(v.assignee, Some(s.id));
        assert_eq!(v.deadline, Some(t(50)));
        assert_eq!(v.rectified_by, None);
    }

    #[test]
    fn the_fixer_may_not_verify_their_own_fix_even_as_manager() {
        let (i, m, s) = (
            person("i", Role::Inspector),
            person("m", Role::Manager),
            person("s", Role::FieldStaff),
        );
        let mut events = vec![raise(&i)];
        let v = fold(id(), events.clone()).unwrap();
        events.push(assign(&m, 2, &v, &s));
        let v = fold(id(), events.clone()).unwrap();
        events.push(ev(
            &m,
            3,
            Some(v.base()),
            EventBody::Rectify {
                note: "manager fixed it".into(),
                photos: vec![],
            },
        ));
        let v = fold(id(), events.clone()).unwrap();
        assert_eq!(
            v.check(m.id, m.role, ChangeKind::Verify).unwrap_err().code,
            "self_verify"
        );
        events.push(ev(
            &m,
            4,
            Some(v.base()),
            EventBody::Verify {
                note: "self".into(),
            },
        ));
        let v = fold(id(), events).unwrap();
        assert_eq!(v.status, Status::Rectified);
        assert!(
            matches!(&v.timeline[3].outcome, EventOutcome::Refused { code, .. } if code == "self_verify")
        );
    }

    #[test]
    fn forbidden_roles_are_refused_with_a_reason_and_change_nothing() {
        let (i, s) = (person("i", Role::Inspector), person("s", Role::FieldStaff));
        let r = raise(&i);
        let v = fold(id(), [r.clone()]).unwrap();
        let regrade = ev(
            &s,
            2,
            Some(v.base()),
            EventBody::Regrade {
                grade: Some(Grade::Immediate),
                category: None,
            },
        );
        let v = fold(id(), [r, regrade]).unwrap();
        assert_eq!(v.grade, Grade::Deadline);
        match &v.timeline[1].outcome {
            EventOutcome::Refused { code, reason } => {
                assert_eq!(code, "role_forbidden");
                assert!(reason.contains("field_staff"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn concurrent_transitions_keep_both_and_record_a_conflict() {
        let (i, m, s) = (
            person("i", Role::Inspector),
            person("m", Role::Manager),
            person("s", Role::FieldStaff),
        );
        let r = raise(&i);
        let v = fold(id(), [r.clone()]).unwrap();
        let a = assign(&m, 2, &v, &s);
        let v = fold(id(), [r.clone(), a.clone()]).unwrap();
        // Both written on top of `assigned`, neither saw the other.
        let fix = ev(
            &s,
            3,
            Some(v.base()),
            EventBody::Rectify {
                note: "done".into(),
                photos: vec![],
            },
        );
        let cancel = ev(
            &m,
            3,
            Some(v.base()),
            EventBody::Cancel { note: "dup".into() },
        );
        let x = fold(id(), [r.clone(), a.clone(), fix.clone(), cancel.clone()]).unwrap();
        let y = fold(id(), [cancel.clone(), fix.clone(), a, r]).unwrap();
        assert_eq!(x, y, "deterministic whatever the arrival order");
        assert_eq!(x.timeline.len(), 4, "both events kept");
        assert_eq!(x.conflicts.len(), 1);
        assert_eq!(x.conflicts[0].field, "status");
        assert_eq!(x.conflicts[0].events.len(), 2);
        assert!(x.conflicts[0].values.contains(&x.conflicts[0].chosen));
    }

    #[test]
    fn concurrent_assignments_name_both_people_and_the_winner() {
        let (i, m1, m2) = (
            person("i", Role::Inspector),
            person("m1", Role::Manager),
            person("m2", Role::Manager),
        );
        let (s1, s2) = (
            person("s1", Role::FieldStaff),
            person("s2", Role::FieldStaff),
        );
        let r = raise(&i);
        let v = fold(id(), [r.clone()]).unwrap();
        let a1 = assign(&m1, 2, &v, &s1);
        let a2 = assign(&m2, 2, &v, &s2);
        let x = fold(id(), [r, a1.clone(), a2.clone()]).unwrap();
        let c = x
            .conflicts
            .iter()
            .find(|c| c.field == "assignee")
            .expect("assignee conflict");
        let winner = if a1.id > a2.id { "s1" } else { "s2" };
        assert_eq!(c.chosen, winner, "the later in (lamport, id) order wins");
        assert_eq!(x.assignee_name.as_deref(), Some(winner));
    }

    #[test]
    fn no_raise_no_issue() {
        let m = person("m", Role::Manager);
        let comment = ev(&m, 2, None, EventBody::Comment { text: "x".into() });
        assert_eq!(fold(id(), [comment]).unwrap_err(), FoldError::NoRaise);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
        /// Any order, and duplicates, of the same events give the same state.
        #[test]
        fn fold_is_order_independent(seed in any::<u64>(), dups in 0usize..3) {
            let (i, m, s) = (person("i", Role::Inspector), person("m", Role::Manager), person("s", Role::FieldStaff));
            let r = raise(&i);
            let v = fold(id(), [r.clone()]).unwrap();
            let mut events = vec![
                r,
                assign(&m, 2, &v, &s),
                assign(&m, 2, &v, &i),
                ev(&s, 3, Some(v.base()), EventBody::Rectify { note: "n".into(), photos: vec![] }),
                ev(&i, 2, Some(v.base()), EventBody::Comment { text: "c".into() }),
                ev(&m, 4, Some(v.base()), EventBody::Cancel { note: "x".into() }),
                ev(&s, 4, Some(v.base()), EventBody::Verify { note: "self".into() }),
            ];
            let expected = fold(id(), events.clone()).unwrap();
            let mut rng = seed;
            for k in (1..events.len()).rev() {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                events.swap(k, (rng >> 33) as usize % (k + 1));
            }
            for d in 0..dups {
                events.push(events[d].clone());
            }
            prop_assert_eq!(fold(id(), events).unwrap(), expected);
        }
    }
    #[test]
    fn complaints_come_from_customer_service_and_an_unhappy_call_back_reopens_them() {
        let cs = person("cs1", Role::CustomerService);
        let inspector = person("inspector1", Role::Inspector);
        let manager = person("manager1", Role::Manager);
        let staff = person("staff1", Role::FieldStaff);
        let complaint = |p: &Person| {
            let mut e = raise(p);
            if let EventBody::Raise { complaint, .. } = &mut e.body {
                *complaint = Some(Complaint {
                    location: "3栋门口".into(),
                    contact: "王女士".into(),
                    ..Default::default()
                });
            }
            e
        };
        // An inspector's "complaint" and customer service's patrol finding make no issue.
        let id = IssueId::from_uuid(Uuid::now_v7());
        assert_eq!(fold(id, [complaint(&inspector)]), Err(FoldError::NoRaise));
        assert_eq!(fold(id, [raise(&cs)]), Err(FoldError::NoRaise));

        let r = complaint(&cs);
        let v0 = fold(id, [r.clone()]).unwrap();
        let assign = ev(
            &manager,
            2,
            Some(v0.base()),
            EventBody::Assign {
                department: Department::Engineering,
                assignee: staff.id,
                assignee_name: "staff1".into(),
                deadline: Some(t(30)),
            },
        );
        let v1 = fold(id, [r.clone(), assign.clone()]).unwrap();
        let fix = ev(
            &staff,
            3,
            Some(v1.base()),
            EventBody::Rectify {
                note: "修好".into(),
                photos: vec![],
            },
        );
        let v2 = fold(id, [r.clone(), assign.clone(), fix.clone()]).unwrap();
        let verify = ev(
            &manager,
            4,
            Some(v2.base()),
            EventBody::Verify {
                note: String::new(),
            },
        );
        let v3 = fold(id, [r.clone(), assign.clone(), fix.clone(), verify.clone()]).unwrap();
        assert_eq!(v3.status, Status::Verified);
        let unhappy = ev(
            &cs,
            5,
            Some(v3.base()),
            EventBody::Callback {
                satisfied: false,
                note: "还是坏的".into(),
                deadline: Some(t(50)),
            },
        );
        let v4 = fold(id, [r, assign, fix, verify, unhappy]).unwrap();
        assert_eq!(v4.status, Status::Assigned);
        assert_eq!(v4.deadline, Some(t(50)));
        assert_eq!(v4.assignee, Some(staff.id));
        assert!(v4.callback.as_ref().is_some_and(|c| !c.satisfied));
        assert_eq!(v4.rectified_by, None);
        // Field staff may not record call-backs.
        assert_eq!(
            v3.check(staff.id, Role::FieldStaff, ChangeKind::Callback)
                .unwrap_err()
                .code,
            "role_forbidden"
        );
    }
}
