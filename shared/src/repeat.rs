//! Repeat problems (重复问题) and root-cause analysis (根因分析).
//!
//! An issue is a repeat when another issue with the same checkpoint and
//! category was raised within the site's window before it; it recurred after
//! verification when one of those had already been verified. Flags are
//! computed from the tracker's rows, so they follow the issues' current state.

use crate::codes::Status;
use crate::ids::*;
use crate::wire::IssueSummary;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Why an issue is flagged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Repeat {
    /// Earlier issues at the same checkpoint with the same category, in the window.
    pub earlier: Vec<IssueId>,
    /// One of them had been verified: the fix did not hold.
    pub after_verified: bool,
}

/// The repeats among `issues` (any order) with a window of `window_days`.
pub fn repeats(issues: &[IssueSummary], window_days: u32) -> HashMap<IssueId, Repeat> {
    let window = Duration::days(window_days.into());
    let mut groups: HashMap<(&str, crate::codes::Category), Vec<&IssueSummary>> = HashMap::new();
    for s in issues.iter().filter(|s| s.status != Status::Cancelled) {
        if let Some(cp) = s.checkpoint.as_deref() {
            groups.entry((cp, s.category)).or_default().push(s);
        }
    }
    let mut out = HashMap::new();
    for list in groups.values_mut() {
        list.sort_by_key(|s| (s.raised_at, s.id));
        for (i, s) in list.iter().enumerate() {
            let earlier: Vec<&IssueSummary> = list[..i]
                .iter()
                .filter(|e| s.raised_at - e.raised_at <= window)
                .copied()
                .collect();
            if earlier.is_empty() {
                continue;
            }
            out.insert(
                s.id,
                Repeat {
                    earlier: earlier.iter().map(|e| e.id).collect(),
                    after_verified: earlier.iter().any(|e| e.status == Status::Verified),
                },
            );
        }
    }
    out
}

/// The kind of root cause (原因分类).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CauseClass {
    Process,
    Training,
    Equipment,
    Supplier,
}

impl CauseClass {
    pub const ALL: [CauseClass; 4] = [
        CauseClass::Process,
        CauseClass::Training,
        CauseClass::Equipment,
        CauseClass::Supplier,
    ];
    pub const fn code(self) -> &'static str {
        match self {
            CauseClass::Process => "process",
            CauseClass::Training => "training",
            CauseClass::Equipment => "equipment",
            CauseClass::Supplier => "supplier",
        }
    }
    pub const fn label_zh(self) -> &'static str {
        match self {
            CauseClass::Process => "流程",
            CauseClass::Training => "培训",
            CauseClass::Equipment => "设备",
            CauseClass::Supplier => "供应商",
        }
    }
    pub const fn label_en(self) -> &'static str {
        match self {
            CauseClass::Process => "Process",
            CauseClass::Training => "Training",
            CauseClass::Equipment => "Equipment",
            CauseClass::Supplier => "Supplier",
        }
    }
}

impl std::str::FromStr for CauseClass {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == s.trim() || c.label_zh() == s.trim())
            .ok_or_else(|| format!("`{s}` is not process, training, equipment or supplier"))
    }
}

/// A root-cause analysis linked to the issues it explains: five whys, the
/// kind of cause, the corrective action, who owns it and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RootCause {
    /// Ids are kept when a record is edited.
    pub id: uuid::Uuid,
    pub site: SiteId,
    pub issues: Vec<IssueId>,
    /// Up to five "why?" answers, the first closest to the symptom.
    pub whys: Vec<String>,
    pub cause: CauseClass,
    pub action: String,
    /// User name of the owner of the corrective action.
    pub owner: String,
    pub due: NaiveDate,
    pub by: String,
    pub updated_at: DateTime<Utc>,
}

/// A root-cause record as a manager writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RootCauseInput {
    /// Set to edit an existing record.
    pub id: Option<uuid::Uuid>,
    pub issues: Vec<IssueId>,
    pub whys: Vec<String>,
    pub cause: CauseClass,
    pub action: String,
    pub owner: String,
    pub due: NaiveDate,
}

impl RootCauseInput {
    /// Checks the record makes sense before it is stored.
    pub fn check(&self) -> Result<(), String> {
        if self.issues.is_empty() {
            return Err("link at least one issue".into());
        }
        let whys: Vec<&String> = self.whys.iter().filter(|w| !w.trim().is_empty()).collect();
        if whys.is_empty() || whys.len() > 5 {
            return Err("give one to five whys".into());
        }
        if self.action.trim().is_empty() {
            return Err("give the corrective action".into());
        }
        if self.owner.trim().is_empty() {
            return Err("name the owner of the action".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{Category, Grade};

    fn issue(n: u128, cp: &str, cat: Category, day: i64, status: Status) -> IssueSummary {
        IssueSummary {
            id: IssueId::from_uuid(uuid::Uuid::from_u128(n)),
            site: SiteId::from_uuid(uuid::Uuid::nil()),
            zone: None,
            status,
            grade: Grade::Deadline,
            category: cat,
            title: String::new(),
            checkpoint: Some(cp.into()),
            department: None,
            assignee: None,
            deadline: None,
            overdue: false,
            raised_by: String::new(),
            raised_at: DateTime::from_timestamp(1_780_000_000 + day * 86_400, 0).unwrap(),
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
        }
    }

    #[test]
    fn same_point_and_category_within_the_window_repeats() {
        use Category::*;
        let list = vec![
            issue(1, "A", HygieneDefect, 0, Status::Verified),
            issue(2, "A", HygieneDefect, 10, Status::Recorded),
            issue(3, "A", EquipmentFault, 11, Status::Recorded),
            issue(4, "B", HygieneDefect, 12, Status::Recorded),
            issue(5, "A", HygieneDefect, 35, Status::Recorded),
            issue(6, "A", HygieneDefect, 46, Status::Cancelled),
        ];
        let r = repeats(&list, 30);
        let id = |n| IssueId::from_uuid(uuid::Uuid::from_u128(n));
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(
            r[&id(2)],
            Repeat {
                earlier: vec![id(1)],
                after_verified: true
            }
        );
        // 35 days after the first, 25 after the second: only the second is in the window.
        assert_eq!(
            r[&id(5)],
            Repeat {
                earlier: vec![id(2)],
                after_verified: false
            }
        );
        assert!(!r.contains_key(&id(3)) && !r.contains_key(&id(4)) && !r.contains_key(&id(6)));
    }
}
