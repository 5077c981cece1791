//! Types crossing the boundary between the UI and its backends: the Tauri
//! commands on a device and the sync server's API for the web dashboard.

use crate::codes::{Category, Grade, Status};
use crate::ids::*;
use crate::issue::PhotoRef;
use crate::patrol::Answer;
use crate::plan::{Site, UserInfo};
use crate::text;
use crate::wire::IssueSummary;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who is logged in, where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub user: UserInfo,
    pub site: Site,
    /// The sync server's URL (on the dashboard: the page's own origin).
    pub server: String,
    /// Every site the person holds a role at, the home site first (on the
    /// dashboard; a device works at its one site and lists none).
    #[serde(default)]
    pub sites: Vec<crate::wire::SiteRole>,
}

/// What the status bar shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncStatus {
    /// Whether the last contact with the server worked (`None`: not tried yet).
    pub online: Option<bool>,
    /// Documents changed here and not yet acknowledged by the server.
    pub pending_changes: i64,
    /// Photo files waiting for upload.
    pub pending_photos: u64,
    pub last_sync: Option<DateTime<Utc>>,
    /// Why the last sync failed, when it did.
    pub last_error: Option<String>,
    /// Changes the server refused, with the reason.
    pub refused: Vec<RefusedChange>,
    /// Reminders and escalations not looked at yet.
    #[serde(default)]
    pub unseen_notifications: u32,
}

/// A reminder or escalation as the notification list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationItem {
    pub notification: crate::wire::Notification,
    pub seen: bool,
}

/// A change the server or the workflow refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefusedChange {
    /// The issue concerned, when it is one.
    pub issue: Option<IssueId>,
    pub what: String,
    pub code: String,
    pub message: String,
}

/// One checkpoint of a route walk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WalkStep {
    pub checkpoint: CheckpointId,
    pub code: String,
    pub name: String,
    pub zone: String,
    pub checked: bool,
    /// Items failed at this checkpoint in the open patrol.
    pub failed: Vec<String>,
}

/// A route as an inspector's task: its checkpoints in walking order, with progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteTask {
    pub code: String,
    pub name: String,
    pub steps: Vec<WalkStep>,
    /// This route has the open patrol.
    pub open: bool,
    /// Patrols of this route finished today (site time).
    pub done_today: u32,
    /// Today's scheduled tasks and spot checks on this route, for this person.
    #[serde(default)]
    pub windows: Vec<TaskWindow>,
    /// A spot check drawn for this person (shown only while its window is open).
    #[serde(default)]
    pub spot_check: bool,
    /// A one-off (emergency) patrol launched for this person (shown only while its window is open).
    #[serde(default)]
    pub adhoc: bool,
}

/// A task's due window and progress, as the inspector's task list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskWindow {
    pub key: String,
    pub title: String,
    pub kind: crate::schedule::TaskKind,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Checkpoints checked inside the window.
    pub done: usize,
    pub total: usize,
    /// Point codes still to check.
    pub missing: Vec<String>,
}

impl TaskWindow {
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.from <= now && now < self.until
    }
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        now >= self.until && self.done < self.total
    }
}

impl RouteTask {
    pub fn checked(&self) -> usize {
        self.steps.iter().filter(|s| s.checked).count()
    }
}

/// The inspector's answers at one checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckInput {
    /// The point code as typed or scanned: proof of presence.
    pub point_code: String,
    /// The checkpoint the inspector opened; the code must be this one's.
    pub checkpoint: String,
    pub answers: Vec<(String, Answer)>,
}

/// What saving a checkpoint gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckResult {
    pub checked: usize,
    pub route_len: usize,
    pub failed: Vec<String>,
}

/// A new issue as the UI sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RaiseRequest {
    pub checkpoint: String,
    pub item: Option<String>,
    pub category: Category,
    pub grade: Grade,
    pub title: String,
    pub description: String,
    pub photos: Vec<PhotoRef>,
}

/// A resident's complaint as customer service enters it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintRequest {
    /// Zone code, when the place is in one.
    pub zone: Option<String>,
    /// Where, in the resident's words.
    pub location: String,
    /// Name and phone number for the call-back.
    pub contact: String,
    pub category: Category,
    /// 紧急 or 一般 (the default): with the kind it sets the service level.
    #[serde(default)]
    pub urgency: crate::codes::Urgency,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub photos: Vec<PhotoRef>,
}

impl ComplaintRequest {
    /// The raise event's body (source complaint, the service level's response
    /// and resolution times from the site's table, fixed now)
    /// and the full contact. The body carries the contact masked
    /// ([`crate::issue::mask_contact`]): the document reaches every device of
    /// the site, the full contact only those who call back.
    pub fn raise_body(
        &self,
        plan: &crate::plan::SitePlan,
        now: DateTime<Utc>,
    ) -> Result<(crate::issue::EventBody, String), text::Said> {
        let zone = match self
            .zone
            .as_deref()
            .map(str::trim)
            .filter(|z| !z.is_empty())
        {
            Some(code) => Some(
                plan.zones
                    .iter()
                    .find(|z| z.code.as_str() == code)
                    .ok_or_else(|| {
                        text::Said::new(
                            format!("there is no zone `{code}`"),
                            format!("没有区域“{code}”：请从列表中选择"),
                        )
                    })?
                    .id,
            ),
            None => None,
        };
        let location = text::required("location", &self.location, text::NAME_MAX)
            .map_err(|e| text::Said::from(&e))?;
        let contact = text::required("contact", &self.contact, text::NAME_MAX)
            .map_err(|e| text::Said::from(&e))?;
        let (respond_by, resolve_by) =
            plan.site
                .complaint_sla
                .due(self.category, self.urgency, now);
        let body = crate::issue::EventBody::Raise {
            site: plan.site.id,
            zone,
            checkpoint: None,
            checkpoint_code: None,
            item: None,
            patrol: None,
            category: self.category,
            grade: Grade::Immediate,
            title: text::required("title", &self.title, text::TITLE_MAX)
                .map_err(|e| text::Said::from(&e))?,
            description: text::bounded("description", &self.description, text::NOTE_MAX)
                .map_err(|e| text::Said::from(&e))?,
            photos: self.photos.clone(),
            deadline: Some(resolve_by),
            complaint: Some(crate::issue::Complaint {
                location,
                contact: crate::issue::mask_contact(&contact),
                urgency: self.urgency,
                respond_by: Some(respond_by),
            }),
        };
        Ok((body, contact))
    }
}

/// A photo file the UI picked, base64-encoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoUpload {
    pub name: String,
    pub base64: String,
}

/// Filters of an issue list; every field narrows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssueFilter {
    pub zone: Option<ZoneId>,
    pub category: Option<Category>,
    pub grade: Option<Grade>,
    pub status: Option<Status>,
    pub overdue: bool,
    /// User name of the assignee.
    pub assignee: Option<String>,
    /// User name of who raised it.
    pub raised_by: Option<String>,
    /// Only complaints (`Some(true)`) or only patrol findings (`Some(false)`).
    #[serde(default)]
    pub complaints: Option<bool>,
    /// Only verified complaints waiting for their call-back (回访队列).
    #[serde(default)]
    pub awaiting_callback: bool,
}

impl IssueFilter {
    pub fn matches(&self, s: &IssueSummary) -> bool {
        self.zone.is_none_or(|z| s.zone == Some(z))
            && self.category.is_none_or(|c| s.category == c)
            && self.grade.is_none_or(|g| s.grade == g)
            && self.status.is_none_or(|st| s.status == st)
            && (!self.overdue || s.overdue)
            && self
                .assignee
                .as_ref()
                .is_none_or(|a| s.assignee.as_ref() == Some(a))
            && self.raised_by.as_ref().is_none_or(|r| &s.raised_by == r)
            && self
                .complaints
                .is_none_or(|c| s.complaint_location.is_some() == c)
            && (!self.awaiting_callback || s.awaiting_callback)
    }

    /// The query string of `GET /api/v1/issues` for this filter (without `raised_by`,
    /// which the caller applies to the answer).
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(z) = self.zone {
            parts.push(format!("zone={z}"));
        }
        if let Some(c) = self.category {
            parts.push(format!("category={}", c.code()));
        }
        if let Some(g) = self.grade {
            parts.push(format!("grade={}", g.code()));
        }
        if let Some(s) = self.status {
            parts.push(format!("status={}", s.code()));
        }
        if self.overdue {
            parts.push("overdue=true".into());
        }
        if let Some(a) = &self.assignee {
            parts.push(format!("assignee={}", url_escape(a)));
        }
        if let Some(c) = self.complaints {
            parts.push(format!("source={}", if c { "complaint" } else { "patrol" }));
        }
        if self.awaiting_callback {
            parts.push("awaiting_callback=true".into());
        }
        parts.join("&")
    }

    /// The filter a [`IssueFilter::query`] string describes; values that are
    /// not codes are left out.
    pub fn from_query(query: &str) -> IssueFilter {
        let mut f = IssueFilter::default();
        for (k, v) in query_pairs(query) {
            match k.as_str() {
                "zone" => f.zone = v.parse().ok(),
                "category" => f.category = v.parse().ok(),
                "grade" => f.grade = v.parse().ok(),
                "status" => f.status = v.parse().ok(),
                "overdue" => f.overdue = v == "true",
                "assignee" => f.assignee = Some(v).filter(|a| !a.is_empty()),
                "source" => {
                    f.complaints = match v.as_str() {
                        "complaint" => Some(true),
                        "patrol" => Some(false),
                        _ => None,
                    }
                }
                "awaiting_callback" => f.awaiting_callback = v == "true",
                _ => {}
            }
        }
        f
    }
}

/// Percent-encodes a path segment or query value.
pub fn url_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes what [`url_escape`] made (and `+` as a space); a broken escape stays as it is.
pub fn url_unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (_, Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (b, None) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded `key=value` pairs of a query string.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (url_unescape(k), url_unescape(v)),
            None => (url_unescape(p), String::new()),
        })
        .collect()
}

/// Orders a field worker's list: open orders by deadline (none last), then the rest.
pub fn by_deadline(list: &mut [IssueSummary]) {
    list.sort_by_key(|s| {
        (
            !matches!(s.status, Status::Assigned),
            s.deadline.is_none(),
            s.deadline,
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(status: Status, deadline: Option<i64>, assignee: &str) -> IssueSummary {
        IssueSummary {
            id: IssueId::from_uuid(uuid::Uuid::nil()),
            site: SiteId::from_uuid(uuid::Uuid::nil()),
            zone: None,
            status,
            grade: Grade::Deadline,
            category: Category::Other,
            title: "t".into(),
            checkpoint: None,
            department: None,
            assignee: Some(assignee.into()),
            deadline: deadline.and_then(DateTime::from_timestamp_millis),
            overdue: false,
            raised_by: "inspector1".into(),
            raised_at: DateTime::from_timestamp_millis(0).unwrap(),
            conflicts: vec![],
            refused: vec![],
            complaint_location: None,
            satisfied: None,
            repeat: None,
            respond_by: None,
            responded_at: None,
            assignment: None,
            rectified_at: None,
            verified_at: None,
            awaiting_callback: false,
            patrol: None,
            item: None,
            rejections: 0,
        }
    }

    #[test]
    fn a_filter_reads_back_from_its_query() {
        let f = IssueFilter {
            zone: Some(ZoneId::from_uuid(uuid::Uuid::from_u128(3))),
            category: Some(Category::HygieneDefect),
            grade: Some(Grade::Immediate),
            status: Some(Status::Assigned),
            overdue: true,
            assignee: Some("张 三&x".into()),
            raised_by: None,
            complaints: Some(false),
            awaiting_callback: true,
        };
        assert_eq!(IssueFilter::from_query(&f.query()), f);
        assert_eq!(IssueFilter::from_query(""), IssueFilter::default());
        assert_eq!(
            IssueFilter::from_query("status=nonsense&x=1"),
            IssueFilter::default()
        );
        assert_eq!(url_unescape("%E4%B8%9C%zz+1"), "东%zz 1");
    }

    #[test]
    fn filters_narrow_and_build_queries() {
        let s = summary(Status::Assigned, Some(5), "staff 1");
        let f = IssueFilter {
            status: Some(Status::Assigned),
            assignee: Some("staff 1".into()),
            ..Default::default()
        };
        assert!(f.matches(&s));
        assert!(
            !IssueFilter {
                overdue: true,
                ..f.clone()
            }
            .matches(&s)
        );
        assert_eq!(f.query(), "status=assigned&assignee=staff%201");
        assert_eq!(IssueFilter::default().query(), "");
    }

    #[test]
    fn open_orders_come_first_by_deadline() {
        let mut list = vec![
            summary(Status::Verified, Some(1), "a"),
            summary(Status::Assigned, None, "b"),
            summary(Status::Assigned, Some(9), "c"),
            summary(Status::Assigned, Some(3), "d"),
        ];
        by_deadline(&mut list);
        let order: Vec<_> = list.iter().map(|s| s.assignee.clone().unwrap()).collect();
        assert_eq!(order, ["d", "c", "b", "a"]);
    }
}
