//! The role policy: for every kind of change, which roles may make it.
//!
//! This table is the single source of truth; ARCHITECTURE.md reproduces it and a
//! test checks the two agree.

use crate::codes::Role;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Every kind of change a person can make to an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Raise,
    Edit,
    Regrade,
    Assign,
    MoveDeadline,
    Rectify,
    Verify,
    Reject,
    Cancel,
    Reopen,
    Comment,
    Callback,
}

impl ChangeKind {
    pub const fn code(self) -> &'static str {
        match self {
            ChangeKind::Raise => "raise",
            ChangeKind::Edit => "edit",
            ChangeKind::Regrade => "regrade",
            ChangeKind::Assign => "assign",
            ChangeKind::MoveDeadline => "move_deadline",
            ChangeKind::Rectify => "rectify",
            ChangeKind::Verify => "verify",
            ChangeKind::Reject => "reject",
            ChangeKind::Cancel => "cancel",
            ChangeKind::Reopen => "reopen",
            ChangeKind::Comment => "comment",
            ChangeKind::Callback => "callback",
        }
    }

    /// Every kind of change.
    pub const ALL: [ChangeKind; 12] = [
        ChangeKind::Raise,
        ChangeKind::Edit,
        ChangeKind::Regrade,
        ChangeKind::Assign,
        ChangeKind::MoveDeadline,
        ChangeKind::Rectify,
        ChangeKind::Verify,
        ChangeKind::Reject,
        ChangeKind::Cancel,
        ChangeKind::Reopen,
        ChangeKind::Comment,
        ChangeKind::Callback,
    ];

    /// The kind whose [`ChangeKind::code`] is `code`.
    pub fn from_code(code: &str) -> Option<ChangeKind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// What the timeline calls the change, in Chinese.
    pub const fn label_zh(self) -> &'static str {
        match self {
            ChangeKind::Raise => "登记问题",
            ChangeKind::Edit => "修改描述",
            ChangeKind::Regrade => "调整等级/类型",
            ChangeKind::Assign => "派单",
            ChangeKind::MoveDeadline => "调整期限",
            ChangeKind::Rectify => "整改完成",
            ChangeKind::Verify => "验收通过",
            ChangeKind::Reject => "退回整改",
            ChangeKind::Cancel => "取消",
            ChangeKind::Reopen => "重新打开",
            ChangeKind::Comment => "备注",
            ChangeKind::Callback => "回访",
        }
    }

    /// What the timeline calls the change, in English.
    pub const fn label_en(self) -> &'static str {
        match self {
            ChangeKind::Raise => "Raised",
            ChangeKind::Edit => "Edited",
            ChangeKind::Regrade => "Regraded",
            ChangeKind::Assign => "Assigned",
            ChangeKind::MoveDeadline => "Deadline moved",
            ChangeKind::Rectify => "Rectified",
            ChangeKind::Verify => "Verified",
            ChangeKind::Reject => "Rejected",
            ChangeKind::Cancel => "Cancelled",
            ChangeKind::Reopen => "Reopened",
            ChangeKind::Comment => "Comment",
            ChangeKind::Callback => "Call-back",
        }
    }

    /// What the change does, in words for the policy table.
    pub const fn describe(self) -> &'static str {
        match self {
            ChangeKind::Raise => "raise an issue",
            ChangeKind::Edit => "edit title / description",
            ChangeKind::Regrade => "change grade / category",
            ChangeKind::Assign => "assign department, person, deadline",
            ChangeKind::MoveDeadline => "move the deadline",
            ChangeKind::Rectify => "record the rectification",
            ChangeKind::Verify => "verify (accept) a rectification",
            ChangeKind::Reject => "reject a rectification",
            ChangeKind::Cancel => "cancel an issue",
            ChangeKind::Reopen => "reopen a verified issue",
            ChangeKind::Comment => "comment",
            ChangeKind::Callback => "record the call-back to a complaining resident",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

use Role::*;

/// Who may make which change. Admins set up sites; they do not handle issues.
/// The group quality office (集团品质) reads its sites and changes nothing.
/// Customer service (客服) enters residents' complaints and calls them back.
pub const POLICY: &[(ChangeKind, &[Role])] = &[
    (ChangeKind::Raise, &[Inspector, Manager, CustomerService]),
    (ChangeKind::Edit, &[Inspector, Manager]),
    (ChangeKind::Regrade, &[Manager]),
    (ChangeKind::Assign, &[Manager]),
    (ChangeKind::MoveDeadline, &[Manager]),
    (ChangeKind::Rectify, &[FieldStaff, Manager]),
    (ChangeKind::Verify, &[Inspector, Manager]),
    (ChangeKind::Reject, &[Inspector, Manager]),
    (ChangeKind::Cancel, &[Manager]),
    (ChangeKind::Reopen, &[Manager]),
    (
        ChangeKind::Comment,
        &[Inspector, FieldStaff, Manager, Admin, CustomerService],
    ),
    (ChangeKind::Callback, &[Manager, CustomerService]),
];

/// Changes that some roles may make on residents' complaints only: the
/// service centre (客服) dispatches complaints to departments, and
/// re-dispatches them, but not patrol findings.
pub const COMPLAINTS_ONLY: &[(ChangeKind, &[Role])] = &[(ChangeKind::Assign, &[CustomerService])];

/// Whether `role` may make a change of `kind` on an issue that is a
/// complaint (`complaint`) or a patrol finding.
pub fn allowed_on(role: Role, kind: ChangeKind, complaint: bool) -> bool {
    allowed(role, kind)
        || (complaint
            && COMPLAINTS_ONLY
                .iter()
                .any(|(k, roles)| *k == kind && roles.contains(&role)))
}

/// Whether `role` may raise this kind of issue: patrol findings come from
/// inspectors, complaints from customer service; managers may raise both.
pub fn may_raise(role: Role, complaint: bool) -> bool {
    match role {
        Manager => true,
        Inspector => !complaint,
        CustomerService => complaint,
        FieldStaff | Admin | Group => false,
    }
}

/// Everything besides issue changes that the server checks a role for: plan
/// administration, planning, patrols, root causes, reading and photos. With
/// [`POLICY`] (issue changes) and [`may_raise`], this is the whole permission
/// table; the server asks [`permits`] and nothing else, and a matrix test tries
/// every cell against a real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Import checklists and checkpoints, add and remove schedules, order routes.
    ChangePlan,
    /// Export the plan as CSV.
    ExportPlan,
    /// Print the QR label sheet.
    PrintLabels,
    /// Add and disable the site's users.
    ManageUsers,
    /// Draw a double-random spot check.
    DrawSpotCheck,
    /// Launch a one-off (emergency) patrol.
    LaunchPatrol,
    /// Replay a recorded draw.
    ReplaySpotCheck,
    /// Read coverage.
    ReadCoverage,
    /// Start a patrol and record its results (own runs only).
    WalkPatrol,
    /// Read every patrol run of the site (others read only their own).
    ReadAllPatrols,
    /// Record root-cause analyses.
    WriteRootCause,
    /// Read the site's issues, plan, root causes and notifications.
    ReadSite,
    /// Upload and read the photos the site's documents refer to.
    Photos,
    /// Change the plan through a synced document: nobody; the plan changes only on the server.
    SyncPlan,
    /// Export the site's ledger (台账) with its hashes.
    ReadLedger,
    /// Record a resident's satisfaction survey (NPS, CSI).
    RecordSurvey,
    /// Add and change equipment, import the register, record maintenance and
    /// upload inspection certificates.
    ManageEquipment,
}

impl Action {
    pub const ALL: [Action; 17] = [
        Action::ChangePlan,
        Action::ExportPlan,
        Action::PrintLabels,
        Action::ManageUsers,
        Action::DrawSpotCheck,
        Action::LaunchPatrol,
        Action::ReplaySpotCheck,
        Action::ReadCoverage,
        Action::WalkPatrol,
        Action::ReadAllPatrols,
        Action::WriteRootCause,
        Action::ReadSite,
        Action::Photos,
        Action::SyncPlan,
        Action::ReadLedger,
        Action::RecordSurvey,
        Action::ManageEquipment,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Action::ChangePlan => "change_plan",
            Action::ExportPlan => "export_plan",
            Action::PrintLabels => "print_labels",
            Action::ManageUsers => "manage_users",
            Action::DrawSpotCheck => "draw_spot_check",
            Action::LaunchPatrol => "launch_patrol",
            Action::ReplaySpotCheck => "replay_spot_check",
            Action::ReadCoverage => "read_coverage",
            Action::WalkPatrol => "walk_patrol",
            Action::ReadAllPatrols => "read_all_patrols",
            Action::WriteRootCause => "write_root_cause",
            Action::ReadSite => "read_site",
            Action::Photos => "photos",
            Action::SyncPlan => "sync_plan",
            Action::ReadLedger => "read_ledger",
            Action::RecordSurvey => "record_survey",
            Action::ManageEquipment => "manage_equipment",
        }
    }

    /// What the action is, in words for refusals and the table.
    pub const fn describe(self) -> &'static str {
        match self {
            Action::ChangePlan => "change the site plan",
            Action::ExportPlan => "export the site plan",
            Action::PrintLabels => "print QR labels",
            Action::ManageUsers => "manage users",
            Action::DrawSpotCheck => "draw spot checks",
            Action::LaunchPatrol => "launch one-off (emergency) patrols",
            Action::ReplaySpotCheck => "audit spot checks",
            Action::ReadCoverage => "read coverage",
            Action::WalkPatrol => "walk patrols",
            Action::ReadAllPatrols => "read every patrol of the site",
            Action::WriteRootCause => "record root causes",
            Action::ReadSite => "read the site's records",
            Action::Photos => "upload and view photos",
            Action::SyncPlan => "change the plan through a synced document",
            Action::ReadLedger => "export the ledger",
            Action::RecordSurvey => "record a satisfaction survey",
            Action::ManageEquipment => "manage the equipment register",
        }
    }
}

/// Which roles may take each [`Action`] (on their own site; no role reaches another site).
pub const ACTIONS: &[(Action, &[Role])] = &[
    (Action::ChangePlan, &[Admin]),
    (Action::ExportPlan, &[Admin, Manager]),
    (Action::PrintLabels, &[Admin, Manager]),
    (Action::ManageUsers, &[Admin]),
    (Action::DrawSpotCheck, &[Manager]),
    (Action::LaunchPatrol, &[Manager]),
    (Action::ReplaySpotCheck, &[Manager, Admin]),
    (Action::ReadCoverage, &[Manager, Admin, Group]),
    (Action::WalkPatrol, &[Inspector, Manager]),
    (Action::ReadAllPatrols, &[Manager, Admin, Group]),
    (Action::WriteRootCause, &[Manager]),
    // Every role reads its own site's records and photos.
    (Action::ReadSite, Role::ALL),
    (Action::Photos, Role::ALL),
    (Action::SyncPlan, &[]),
    (Action::ReadLedger, &[Manager, Admin, Group]),
    // Those who call residents back record what they say (and may open the follow-up).
    (Action::RecordSurvey, &[CustomerService, Manager]),
    // The quality office and the administrator keep the register; everyone reads it.
    (Action::ManageEquipment, &[Manager, Admin]),
];

/// Whether `role` may take `action`.
pub fn permits(role: Role, action: Action) -> bool {
    ACTIONS
        .iter()
        .find(|(a, _)| *a == action)
        .is_some_and(|(_, roles)| roles.contains(&role))
}

/// Whether `role` sees a complainant's full contact: those who call residents
/// back (customer service) and managers. Everyone else sees it masked.
pub fn may_see_contacts(role: Role) -> bool {
    matches!(role, Manager | CustomerService)
}

/// Whether `role` may make a change of `kind`.
pub fn allowed(role: Role, kind: ChangeKind) -> bool {
    POLICY
        .iter()
        .find(|(k, _)| *k == kind)
        .is_some_and(|(_, roles)| roles.contains(&role))
}

/// A role table as Markdown: one row per `(label, answer for each role)`.
fn role_table(head: &str, rows: impl Iterator<Item = (String, Vec<&'static str>)>) -> String {
    let mut out = format!("| {head} |");
    let mut rule = String::from("|---|");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.code()));
        rule.push_str("---|");
    }
    out.push('\n');
    out.push_str(&rule);
    out.push('\n');
    for (label, answers) in rows {
        out.push_str(&format!("| {label} |"));
        for answer in answers {
            out.push_str(&format!(" {answer} |"));
        }
        out.push('\n');
    }
    out
}

/// The policy rendered as a Markdown table (used by ARCHITECTURE.md's check).
pub fn markdown_table() -> String {
    role_table(
        "change",
        POLICY.iter().map(|(kind, _)| {
            (
                format!("{} ({})", kind.code(), kind.describe()),
                Role::ALL
                    .iter()
                    .map(
                        |r| match (allowed(*r, *kind), allowed_on(*r, *kind, true)) {
                            (true, _) => "yes",
                            (false, true) => "complaints",
                            (false, false) => "no",
                        },
                    )
                    .collect(),
            )
        }),
    )
}

/// [`ACTIONS`] rendered as a Markdown table (ARCHITECTURE.md; a tidy test checks it).
pub fn actions_markdown_table() -> String {
    role_table(
        "action",
        ACTIONS.iter().map(|(action, _)| {
            (
                format!("{} ({})", action.code(), action.describe()),
                Role::ALL
                    .iter()
                    .map(|r| if permits(*r, *action) { "yes" } else { "no" })
                    .collect(),
            )
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_kind_has_exactly_one_row() {
        let kinds = [
            ChangeKind::Raise,
            ChangeKind::Edit,
            ChangeKind::Regrade,
            ChangeKind::Assign,
            ChangeKind::MoveDeadline,
            ChangeKind::Rectify,
            ChangeKind::Verify,
            ChangeKind::Reject,
            ChangeKind::Cancel,
            ChangeKind::Reopen,
            ChangeKind::Comment,
            ChangeKind::Callback,
        ];
        for k in kinds {
            assert_eq!(POLICY.iter().filter(|(p, _)| *p == k).count(), 1, "{k}");
        }
        assert_eq!(POLICY.len(), kinds.len());
    }

    #[test]
    fn field_staff_fix_but_never_verify_or_regrade() {
        assert!(allowed(FieldStaff, ChangeKind::Rectify));
        assert!(!allowed(FieldStaff, ChangeKind::Verify));
        assert!(!allowed(FieldStaff, ChangeKind::Regrade));
        assert!(allowed(Manager, ChangeKind::Assign));
        assert!(!allowed(Inspector, ChangeKind::Assign));
        assert!(!allowed(Admin, ChangeKind::Verify));
    }

    #[test]
    fn customer_service_dispatches_complaints_but_not_findings() {
        assert!(allowed_on(CustomerService, ChangeKind::Assign, true));
        assert!(!allowed_on(CustomerService, ChangeKind::Assign, false));
        assert!(!allowed_on(CustomerService, ChangeKind::MoveDeadline, true));
        assert!(allowed_on(Manager, ChangeKind::Assign, false));
        assert!(!allowed_on(Inspector, ChangeKind::Assign, true));
        assert!(markdown_table().contains(
            "| assign (assign department, person, deadline) | no | no | yes | no | complaints |"
        ));
    }
}
