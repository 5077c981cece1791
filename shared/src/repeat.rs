//! Repeat problems (重复问题) and root-cause analysis (根因分析, PDCA).
//!
//! An issue is a repeat when another issue with the same checkpoint and
//! category was raised within the site's window before it, on another patrol
//! round (two items failed on one walk are siblings, not repeats); it
//! recurred after acceptance (验收后复发) when one of those had been verified
//! before it was raised. Flags are computed from the tracker's rows, so they
//! follow the issues' current state.
//!
//! A repeat or an unsatisfied resident opens a root-cause task (待分析) by
//! itself. A manager writes the analysis — five whys, the kind of cause — and
//! corrective actions, each with an owner, a due date and a status (open →
//! done → checked). The record closes only when every action is done; then
//! its effect is watched for the repeat window: no recurrence at the same
//! checkpoint and category means 有效, a recurrence reopens it as 无效.

use crate::codes::{Category, Status};
use crate::ids::*;
use crate::text::Said;
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
    /// Their titles, in the same order, for people.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub titles: Vec<String>,
    /// One of them had been verified before this one was raised: the fix did not hold.
    pub after_verified: bool,
}

/// Whether `later` repeats `earlier`: same checkpoint and category, raised
/// after it within `window`, on another patrol round, neither cancelled.
pub fn repeats_issue(earlier: &IssueSummary, later: &IssueSummary, window: Duration) -> bool {
    earlier.id != later.id
        && earlier.status != Status::Cancelled
        && later.status != Status::Cancelled
        && earlier.checkpoint.is_some()
        && earlier.checkpoint == later.checkpoint
        && earlier.category == later.category
        && (earlier.raised_at, earlier.id) < (later.raised_at, later.id)
        && later.raised_at - earlier.raised_at <= window
        && !(earlier.patrol.is_some() && earlier.patrol == later.patrol)
}

/// The flag of `later` against the issues in `earlier` (any order, any checkpoint).
pub fn repeat_of(
    later: &IssueSummary,
    earlier: &[IssueSummary],
    window_days: u32,
) -> Option<Repeat> {
    let window = Duration::days(window_days.into());
    let mut found: Vec<&IssueSummary> = earlier
        .iter()
        .filter(|e| repeats_issue(e, later, window))
        .collect();
    if found.is_empty() {
        return None;
    }
    found.sort_by_key(|e| (e.raised_at, e.id));
    Some(Repeat {
        earlier: found.iter().map(|e| e.id).collect(),
        titles: found.iter().map(|e| e.title.clone()).collect(),
        after_verified: found.iter().any(|e| {
            e.status == Status::Verified && e.verified_at.is_some_and(|v| v <= later.raised_at)
        }),
    })
}

/// The repeats among `issues` (any order) with a window of `window_days`.
pub fn repeats(issues: &[IssueSummary], window_days: u32) -> HashMap<IssueId, Repeat> {
    let mut groups: HashMap<(&str, Category), Vec<IssueSummary>> = HashMap::new();
    for s in issues.iter().filter(|s| s.status != Status::Cancelled) {
        if let Some(cp) = s.checkpoint.as_deref() {
            groups.entry((cp, s.category)).or_default().push(s.clone());
        }
    }
    let mut out = HashMap::new();
    for list in groups.values() {
        for s in list {
            if let Some(r) = repeat_of(s, list, window_days) {
                out.insert(s.id, r);
            }
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

macro_rules! labelled {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant,)+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            pub const fn code(self) -> &'static str { match self { $($name::$variant => $code,)+ } }
            pub const fn label_zh(self) -> &'static str { match self { $($name::$variant => $zh,)+ } }
            pub const fn label_en(self) -> &'static str { match self { $($name::$variant => $en,)+ } }
        }
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.code() == s.trim() || v.label_zh() == s.trim())
                    .ok_or_else(|| format!("`{s}` is not one of: {}",
                        Self::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", ")))
            }
        }
    };
}

labelled!(
    /// Where a root-cause record stands (PDCA).
    RootCauseStatus {
        Pending => "pending", "待分析", "Analysis due";
        Acting => "acting", "整改中", "Actions open";
        Watching => "watching", "效果验证中", "Effect being watched";
        Effective => "effective", "有效", "Effective";
        Ineffective => "ineffective", "无效", "Ineffective: recurred";
    }
);

labelled!(
    /// What opened a root-cause record.
    RootCauseTrigger {
        Repeat => "repeat", "重复问题", "Repeat problem";
        Unsatisfied => "unsatisfied", "回访不满意", "Unsatisfied resident";
        Manual => "manual", "手动", "By hand";
    }
);

labelled!(
    /// Where a corrective action stands.
    ActionStatus {
        Open => "open", "待完成", "Open";
        Done => "done", "已完成", "Done";
        Checked => "checked", "已确认", "Checked";
    }
);

// The enum comes from a macro shared with types that have no default.
#[allow(clippy::derivable_impls)]
impl Default for RootCauseStatus {
    fn default() -> Self {
        RootCauseStatus::Acting
    }
}

// The enum comes from a macro shared with types that have no default.
#[allow(clippy::derivable_impls)]
impl Default for RootCauseTrigger {
    fn default() -> Self {
        RootCauseTrigger::Manual
    }
}

/// One corrective action (纠正措施) of a root-cause record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectiveAction {
    /// 1, 2, … within the record; kept when the record is edited.
    pub n: u32,
    pub action: String,
    /// User name of who carries it out.
    pub owner: String,
    pub due: NaiveDate,
    pub status: ActionStatus,
    pub done_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub checked_by: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

/// A root-cause analysis linked to the issues it explains: how it was
/// opened, five whys, the kind of cause, the corrective actions, and whether
/// it worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RootCause {
    /// Ids are kept when a record is edited.
    pub id: uuid::Uuid,
    pub site: SiteId,
    pub issues: Vec<IssueId>,
    /// The checkpoint and category whose recurrence judges the record.
    #[serde(default)]
    pub checkpoint: Option<String>,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default)]
    pub trigger: RootCauseTrigger,
    #[serde(default)]
    pub status: RootCauseStatus,
    /// Up to five "why?" answers, the first closest to the symptom (empty while pending).
    pub whys: Vec<String>,
    pub cause: Option<CauseClass>,
    #[serde(default)]
    pub actions: Vec<CorrectiveAction>,
    /// When the analysis is due (a task), or was due.
    pub due: NaiveDate,
    #[serde(default = "epoch")]
    pub opened_at: DateTime<Utc>,
    /// When the last action was done and the record closed.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// Issues that came back after the record closed (each made it 无效).
    #[serde(default)]
    pub recurred: Vec<IssueId>,
    pub by: String,
    pub updated_at: DateTime<Utc>,
    // Records written before corrective actions were a list carried one action.
    #[serde(default, rename = "action", skip_serializing)]
    legacy_action: Option<String>,
    #[serde(default, rename = "owner", skip_serializing)]
    legacy_owner: Option<String>,
}

fn epoch() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH
}

impl RootCause {
    /// A task opened for `what`, its analysis due `days` after `now` (a
    /// local day of the site at `offset`).
    pub fn task(
        what: NewTask,
        days: u32,
        offset: chrono::FixedOffset,
        now: DateTime<Utc>,
    ) -> RootCause {
        RootCause {
            id: what.id,
            site: what.site,
            issues: what.issues,
            checkpoint: what.checkpoint,
            category: Some(what.category),
            trigger: what.trigger,
            status: RootCauseStatus::Pending,
            whys: Vec::new(),
            cause: None,
            actions: Vec::new(),
            due: (now + Duration::days(days.into()))
                .with_timezone(&offset)
                .date_naive(),
            opened_at: now,
            closed_at: None,
            recurred: Vec::new(),
            by: "system".into(),
            updated_at: now,
            legacy_action: None,
            legacy_owner: None,
        }
    }

    /// A record as stored by an earlier version, brought to this one: its one
    /// action becomes action 1.
    pub fn upgraded(mut self) -> RootCause {
        if self.actions.is_empty()
            && let Some(action) = self.legacy_action.take()
        {
            self.actions.push(CorrectiveAction {
                n: 1,
                action,
                owner: self.legacy_owner.take().unwrap_or_default(),
                due: self.due,
                status: ActionStatus::Open,
                done_by: None,
                done_at: None,
                checked_by: None,
                checked_at: None,
            });
        }
        self
    }

    /// Whether the record is still being worked (not closed, not judged).
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            RootCauseStatus::Pending | RootCauseStatus::Acting | RootCauseStatus::Ineffective
        )
    }

    /// Closes the record when every action is done (or checked); true when it closed now.
    fn close_if_done(&mut self, now: DateTime<Utc>) -> bool {
        let all_done =
            !self.actions.is_empty() && self.actions.iter().all(|a| a.status != ActionStatus::Open);
        if all_done && self.is_open() && !self.whys.is_empty() {
            self.status = RootCauseStatus::Watching;
            self.closed_at = Some(now);
            return true;
        }
        false
    }

    /// Writes the analysis (`input`) into the record by `by`: whys, cause and
    /// actions; actions already done keep their state, and may not be dropped.
    pub fn analyse(
        &mut self,
        input: &RootCauseInput,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Said> {
        input.check()?;
        let mut actions = Vec::with_capacity(input.actions.len());
        let mut next = self.actions.iter().map(|a| a.n).max().unwrap_or(0);
        for a in &input.actions {
            let kept = a.n.and_then(|n| self.actions.iter().find(|x| x.n == n));
            let action = match kept {
                Some(k) => CorrectiveAction {
                    action: a.action.trim().to_string(),
                    owner: a.owner.trim().to_string(),
                    due: a.due,
                    ..k.clone()
                },
                None => {
                    next += 1;
                    CorrectiveAction {
                        n: next,
                        action: a.action.trim().to_string(),
                        owner: a.owner.trim().to_string(),
                        due: a.due,
                        status: ActionStatus::Open,
                        done_by: None,
                        done_at: None,
                        checked_by: None,
                        checked_at: None,
                    }
                }
            };
            actions.push(action);
        }
        if let Some(dropped) = self
            .actions
            .iter()
            .find(|a| a.status != ActionStatus::Open && !actions.iter().any(|x| x.n == a.n))
        {
            return Err(Said::new(
                format!(
                    "action {} is already {}; a finished action stays on the record",
                    dropped.n,
                    dropped.status.label_en()
                ),
                format!(
                    "第 {} 条措施已是“{}”：完成的措施要保留在记录里",
                    dropped.n,
                    dropped.status.label_zh()
                ),
            ));
        }
        for i in &input.issues {
            if !self.issues.contains(i) {
                self.issues.push(*i);
            }
        }
        self.whys = input
            .whys
            .iter()
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect();
        self.cause = Some(input.cause);
        self.actions = actions;
        if self.status == RootCauseStatus::Pending
            || (self.status == RootCauseStatus::Ineffective
                && self.actions.iter().any(|a| a.status == ActionStatus::Open))
        {
            self.status = RootCauseStatus::Acting;
        }
        self.by = by.to_string();
        self.updated_at = now;
        self.close_if_done(now);
        Ok(())
    }

    /// Moves action `n` to `status` by `by`: done by its owner or a manager,
    /// checked by a manager once done. Closes the record when it was the last.
    pub fn set_action(
        &mut self,
        n: u32,
        status: ActionStatus,
        by: &str,
        manager: bool,
        now: DateTime<Utc>,
    ) -> Result<(), Said> {
        let a = self.actions.iter_mut().find(|a| a.n == n).ok_or_else(|| {
            Said::new(
                format!("there is no action {n}"),
                format!("没有第 {n} 条措施：请刷新后再看"),
            )
        })?;
        match (a.status, status) {
            (ActionStatus::Open, ActionStatus::Done) if manager || a.owner == by => {
                a.status = ActionStatus::Done;
                a.done_by = Some(by.to_string());
                a.done_at = Some(now);
            }
            (ActionStatus::Open, ActionStatus::Done) => {
                return Err(Said::new(
                    format!("only {} or a manager marks this action done", a.owner),
                    format!("只有 {} 或经理能把这条措施标为完成", a.owner),
                ));
            }
            (ActionStatus::Done, ActionStatus::Checked) if manager => {
                a.status = ActionStatus::Checked;
                a.checked_by = Some(by.to_string());
                a.checked_at = Some(now);
            }
            (ActionStatus::Done, ActionStatus::Checked) => {
                return Err(Said::new(
                    "only a manager checks a finished action",
                    "完成的措施由经理确认",
                ));
            }
            (from, to) => {
                return Err(Said::new(
                    format!(
                        "action {n} is {}; it cannot become {}",
                        from.label_en(),
                        to.label_en()
                    ),
                    format!(
                        "第 {n} 条措施已是“{}”，不能改为“{}”",
                        from.label_zh(),
                        to.label_zh()
                    ),
                ));
            }
        }
        self.updated_at = now;
        self.close_if_done(now);
        Ok(())
    }

    /// `issue` (at the record's checkpoint and category) came back: a closed
    /// record being watched becomes 无效 and reopens; an open one takes the
    /// issue in. Returns whether the record changed.
    pub fn recur(&mut self, issue: IssueId, now: DateTime<Utc>) -> bool {
        if self.issues.contains(&issue) {
            return false;
        }
        self.issues.push(issue);
        if self.status == RootCauseStatus::Watching {
            self.status = RootCauseStatus::Ineffective;
            self.recurred.push(issue);
            self.closed_at = None;
        }
        self.updated_at = now;
        true
    }

    /// A closed record whose watch window (`window_days` after closing)
    /// passed without a recurrence is 有效; returns whether it changed.
    pub fn judge(&mut self, window_days: u32, now: DateTime<Utc>) -> bool {
        match (self.status, self.closed_at) {
            (RootCauseStatus::Watching, Some(c))
                if now >= c + Duration::days(window_days.into()) =>
            {
                self.status = RootCauseStatus::Effective;
                self.updated_at = now;
                true
            }
            _ => false,
        }
    }
}

/// What a new root-cause record is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub id: uuid::Uuid,
    pub site: SiteId,
    pub issues: Vec<IssueId>,
    pub checkpoint: Option<String>,
    pub category: Category,
    pub trigger: RootCauseTrigger,
}

/// A corrective action as a manager writes it; `n` keeps an existing one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionInput {
    #[serde(default)]
    pub n: Option<u32>,
    pub action: String,
    pub owner: String,
    pub due: NaiveDate,
}

/// A root-cause analysis as a manager writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RootCauseInput {
    /// Set to write into an existing record (a task opened by itself, or an earlier analysis).
    pub id: Option<uuid::Uuid>,
    pub issues: Vec<IssueId>,
    pub whys: Vec<String>,
    pub cause: CauseClass,
    pub actions: Vec<ActionInput>,
}

/// Most corrective actions one record carries.
pub const MAX_ACTIONS: usize = 20;

impl RootCauseInput {
    /// Checks the record makes sense before it is stored.
    pub fn check(&self) -> Result<(), Said> {
        if self.issues.is_empty() {
            return Err(Said::new("link at least one issue", "至少关联一个问题"));
        }
        let whys: Vec<&String> = self.whys.iter().filter(|w| !w.trim().is_empty()).collect();
        if whys.is_empty() || whys.len() > 5 {
            return Err(Said::new("give one to five whys", "请填写一到五个“为什么”"));
        }
        if self.actions.is_empty() || self.actions.len() > MAX_ACTIONS {
            return Err(Said::new(
                format!("give one to {MAX_ACTIONS} corrective actions"),
                format!("请填写一到 {MAX_ACTIONS} 条纠正措施"),
            ));
        }
        for (i, a) in self.actions.iter().enumerate() {
            if a.action.trim().is_empty() {
                return Err(Said::new(
                    format!("action {}: say what is to be done", i + 1),
                    format!("第 {} 条措施：请写明要做什么", i + 1),
                ));
            }
            if a.owner.trim().is_empty() {
                return Err(Said::new(
                    format!("action {}: name who does it", i + 1),
                    format!("第 {} 条措施：请选负责人", i + 1),
                ));
            }
        }
        Ok(())
    }
}

/// `POST /api/v1/root-causes/{id}/actions/{n}`: an action done or checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionUpdate {
    pub status: ActionStatus,
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
            item: None,
            rejections: 0,
        }
    }

    #[test]
    fn same_point_and_category_within_the_window_repeats() {
        use Category::*;
        let mut first = issue(1, "A", HygieneDefect, 0, Status::Verified);
        first.verified_at = Some(first.raised_at + Duration::days(5));
        let list = vec![
            first,
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
                titles: vec![String::new()],
                after_verified: true
            }
        );
        // 35 days after the first, 25 after the second: only the second is in the window.
        assert_eq!(
            r[&id(5)],
            Repeat {
                earlier: vec![id(2)],
                titles: vec![String::new()],
                after_verified: false
            }
        );
        assert!(!r.contains_key(&id(3)) && !r.contains_key(&id(4)) && !r.contains_key(&id(6)));
    }

    #[test]
    fn siblings_of_one_round_are_not_repeats_and_recurrence_means_raised_after_acceptance() {
        use Category::*;
        let id = |n| IssueId::from_uuid(uuid::Uuid::from_u128(n));
        let round = Some(PatrolRunId::from_uuid(uuid::Uuid::from_u128(99)));
        let mut a = issue(1, "A", HygieneDefect, 0, Status::Recorded);
        let mut b = issue(2, "A", HygieneDefect, 0, Status::Recorded);
        a.patrol = round;
        b.patrol = round;
        assert!(
            repeats(&[a.clone(), b.clone()], 30).is_empty(),
            "one walk, two items"
        );
        // Raised 13 s before the earlier one was verified: a repeat, not a recurrence after acceptance.
        let mut c = issue(3, "A", HygieneDefect, 2, Status::Recorded);
        a.status = Status::Verified;
        a.verified_at = Some(c.raised_at + Duration::seconds(13));
        let r = repeats(&[a.clone(), c.clone()], 30);
        assert_eq!(
            r[&id(3)],
            Repeat {
                earlier: vec![id(1)],
                titles: vec![String::new()],
                after_verified: false
            }
        );
        // Raised after the acceptance: it recurred.
        c.raised_at = a.verified_at.unwrap() + Duration::seconds(1);
        let r = repeats(&[a, c], 30);
        assert!(r[&id(3)].after_verified);
    }

    fn analysis(issue: IssueId, actions: &[(&str, &str)]) -> RootCauseInput {
        RootCauseInput {
            id: None,
            issues: vec![issue],
            whys: vec!["垃圾桶满溢".into(), "清运班次不足".into()],
            cause: CauseClass::Process,
            actions: actions
                .iter()
                .map(|(a, o)| ActionInput {
                    n: None,
                    action: a.to_string(),
                    owner: o.to_string(),
                    due: NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_record_closes_only_when_every_action_is_done_and_is_judged_by_recurrence() {
        let id = |n| IssueId::from_uuid(uuid::Uuid::from_u128(n));
        let t0 = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let mut r = RootCause::task(
            NewTask {
                id: uuid::Uuid::from_u128(7),
                site: SiteId::from_uuid(uuid::Uuid::nil()),
                issues: vec![id(1), id(2)],
                checkpoint: Some("A".into()),
                category: Category::HygieneDefect,
                trigger: RootCauseTrigger::Repeat,
            },
            7,
            chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
            t0,
        );
        assert_eq!(r.status, RootCauseStatus::Pending);
        assert!(
            r.analyse(&analysis(id(2), &[]), "m", t0).is_err(),
            "an action is needed"
        );
        r.analyse(
            &analysis(id(2), &[("加一班清运", "staff1"), ("培训", "cs1")]),
            "m",
            t0,
        )
        .unwrap();
        assert_eq!(r.status, RootCauseStatus::Acting);
        assert_eq!(r.issues, vec![id(1), id(2)]);
        assert!(
            r.set_action(1, ActionStatus::Done, "cs1", false, t0)
                .is_err(),
            "not the owner"
        );
        assert!(
            r.set_action(1, ActionStatus::Checked, "m", true, t0)
                .is_err(),
            "not done yet"
        );
        r.set_action(1, ActionStatus::Done, "staff1", false, t0)
            .unwrap();
        assert_eq!(r.status, RootCauseStatus::Acting, "one action still open");
        assert!(
            r.set_action(1, ActionStatus::Checked, "staff1", false, t0)
                .is_err()
        );
        r.set_action(1, ActionStatus::Checked, "m", true, t0)
            .unwrap();
        // Editing keeps a finished action and may not drop it.
        let mut edit = analysis(id(2), &[("培训", "cs1")]);
        edit.actions[0].n = Some(2);
        assert!(r.analyse(&edit, "m", t0).is_err());
        let t1 = t0 + Duration::days(1);
        r.set_action(2, ActionStatus::Done, "m", true, t1).unwrap();
        assert_eq!(
            (r.status, r.closed_at),
            (RootCauseStatus::Watching, Some(t1))
        );
        assert!(!r.judge(30, t1 + Duration::days(29)));
        // A recurrence inside the window reopens it as ineffective.
        let mut again = r.clone();
        assert!(again.recur(id(3), t1 + Duration::days(10)));
        assert_eq!(again.status, RootCauseStatus::Ineffective);
        assert_eq!(again.recurred, vec![id(3)]);
        assert!(!again.recur(id(3), t1 + Duration::days(11)), "once");
        let mut more = analysis(id(3), &[("更换垃圾桶", "staff1")]);
        more.actions.insert(
            0,
            ActionInput {
                n: Some(1),
                action: "加一班清运".into(),
                owner: "staff1".into(),
                due: NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(),
            },
        );
        more.actions.insert(
            1,
            ActionInput {
                n: Some(2),
                action: "培训".into(),
                owner: "cs1".into(),
                due: NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(),
            },
        );
        again.analyse(&more, "m", t1 + Duration::days(11)).unwrap();
        assert_eq!(again.status, RootCauseStatus::Acting);
        assert_eq!(
            again.actions.iter().map(|a| a.n).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        // No recurrence for the whole window: effective.
        assert!(r.judge(30, t1 + Duration::days(30)));
        assert_eq!(r.status, RootCauseStatus::Effective);
    }

    #[test]
    fn a_record_of_an_earlier_version_keeps_its_action() {
        let old = serde_json::json!({
            "id": uuid::Uuid::nil(), "site": uuid::Uuid::nil(), "issues": [],
            "whys": ["a"], "cause": "process", "action": "加一班清运", "owner": "staff1",
            "due": "2026-12-20", "by": "m", "updated_at": "2026-12-01T00:00:00Z"
        });
        let r: RootCause = serde_json::from_value(old).unwrap();
        let r = r.upgraded();
        assert_eq!(r.actions.len(), 1);
        assert_eq!(
            (r.actions[0].action.as_str(), r.actions[0].owner.as_str()),
            ("加一班清运", "staff1")
        );
        assert_eq!(r.status, RootCauseStatus::Acting);
    }
}
