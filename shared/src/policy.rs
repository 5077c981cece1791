//! The role policy: for every kind of change, which roles may make it.
//!
//! This table is the single source of truth; ARCHITECTURE.md reproduces it and a
//! test checks the two agree.

use crate::codes::Role;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Every kind of change a person can make to an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// Whether `role` may raise this kind of issue: patrol findings come from
/// inspectors, complaints from customer service; managers may raise both.
pub fn may_raise(role: Role, complaint: bool) -> bool {
    match role {
        Manager => true,
        Inspector => !complaint,
        CustomerService => complaint,
        FieldStaff | Admin => false,
    }
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

/// The policy rendered as a Markdown table (used by ARCHITECTURE.md's check).
pub fn markdown_table() -> String {
    let mut out = String::from("| change |");
    let mut rule = String::from("|---|");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.code()));
        rule.push_str("---|");
    }
    out.push('\n');
    out.push_str(&rule);
    out.push('\n');
    for (kind, _) in POLICY {
        out.push_str(&format!("| {} ({}) |", kind.code(), kind.describe()));
        for role in Role::ALL {
            out.push_str(if allowed(*role, *kind) {
                " yes |"
            } else {
                " no |"
            });
        }
        out.push('\n');
    }
    out
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
}
