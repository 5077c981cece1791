//! The issue workflow: one state machine, used by device, server and UI alike.
//!
//! recorded → assigned → rectified → verified; reject sends rectified back to
//! assigned; a manager may cancel any open issue and reopen a verified one.

use crate::codes::Status;
use crate::policy::ChangeKind;

/// A change that the workflow does not allow from the current status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {kind} an issue that is {from}")]
pub struct WorkflowError {
    pub kind: ChangeKind,
    pub from: Status,
}

impl crate::text::Bilingual for WorkflowError {
    fn zh(&self) -> String {
        format!(
            "问题当前为“{}”，不能{}：请刷新后再看",
            self.from.label_zh(),
            self.kind.label_zh()
        )
    }
}

impl Status {
    /// Whether the issue still needs work.
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            Status::Recorded | Status::Assigned | Status::Rectified
        )
    }

    /// The status after a change of `kind`, or why the change is illegal now.
    pub fn next(self, kind: ChangeKind) -> Result<Status, WorkflowError> {
        use ChangeKind as K;
        use Status as S;
        let next = match (self, kind) {
            (_, K::Comment) => Some(self),
            (S::Recorded | S::Assigned | S::Rectified, K::Edit | K::Regrade | K::MoveDeadline) => {
                Some(self)
            }
            (S::Recorded | S::Assigned, K::Assign) => Some(S::Assigned),
            (S::Assigned, K::Rectify) => Some(S::Rectified),
            (S::Rectified, K::Verify) => Some(S::Verified),
            (S::Rectified, K::Reject) => Some(S::Assigned),
            (S::Recorded | S::Assigned | S::Rectified, K::Cancel) => Some(S::Cancelled),
            (S::Verified, K::Reopen) => Some(S::Assigned),
            // A satisfied call-back keeps a complaint verified; the fold sends
            // an unsatisfied one back to assigned.
            (S::Verified, K::Callback) => Some(S::Verified),
            _ => None,
        };
        next.ok_or(WorkflowError { kind, from: self })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChangeKind as K;
    use Status as S;

    #[test]
    fn the_closed_loop_in_order() {
        let mut s = S::Recorded;
        for (k, want) in [
            (K::Assign, S::Assigned),
            (K::Rectify, S::Rectified),
            (K::Reject, S::Assigned),
            (K::Rectify, S::Rectified),
            (K::Verify, S::Verified),
            (K::Reopen, S::Assigned),
            (K::Cancel, S::Cancelled),
        ] {
            s = s.next(k).unwrap();
            assert_eq!(s, want);
        }
    }

    #[test]
    fn illegal_transitions_say_why() {
        let err = S::Recorded.next(K::Verify).unwrap_err();
        assert_eq!(err.to_string(), "cannot verify an issue that is recorded");
        assert!(S::Cancelled.next(K::Reopen).is_err());
        assert!(S::Verified.next(K::Rectify).is_err());
        assert!(S::Cancelled.next(K::Comment).is_ok());
        assert!(S::Verified.next(K::Raise).is_err());
    }
}
