//! Patrol runs and checkpoint results. A result is written once, by one inspector.

use crate::ids::*;
use crate::plan::{ChecklistItem, ItemKind};
use crate::text::Code;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What the inspector entered for one checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "answer", content = "value", rename_all = "snake_case")]
pub enum Answer {
    Pass,
    Fail,
    Na,
    Reading(f64),
}

/// The judged result of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    Na,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnswerError {
    #[error("`{0}` is not an answer; use pass, fail, na or a number")]
    Unparseable(String),
    #[error("item `{item}` takes a reading in {unit}, not pass/fail")]
    NeedsReading { item: String, unit: String },
    #[error("item `{item}` is answered pass, fail or na, not with a number")]
    NeedsPassFail { item: String },
    #[error("reading {value} for item `{item}` is not a finite number")]
    NotFinite { item: String, value: f64 },
}

impl crate::text::Bilingual for AnswerError {
    fn zh(&self) -> String {
        match self {
            AnswerError::Unparseable(a) => {
                format!("“{a}”不是答案：请选合格、不合格、不适用，或填写读数")
            }
            AnswerError::NeedsReading { item, unit } => {
                format!("检查项“{item}”要填写读数（{unit}），不是合格/不合格")
            }
            AnswerError::NeedsPassFail { item } => {
                format!("检查项“{item}”请选合格、不合格或不适用，不填数字")
            }
            AnswerError::NotFinite { item, value } => {
                format!("检查项“{item}”的读数 {value} 不是有效数字")
            }
        }
    }
}

impl FromStr for Answer {
    type Err = AnswerError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pass" | "ok" => Ok(Answer::Pass),
            "fail" => Ok(Answer::Fail),
            "na" | "n/a" => Ok(Answer::Na),
            other => other
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Answer::Reading)
                .ok_or_else(|| AnswerError::Unparseable(s.to_string())),
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Pass => f.write_str("pass"),
            Answer::Fail => f.write_str("fail"),
            Answer::Na => f.write_str("na"),
            Answer::Reading(v) => write!(f, "{v}"),
        }
    }
}

/// Judges an answer against its item: a reading outside its limits is a fail.
pub fn evaluate(item: &ChecklistItem, answer: Answer) -> Result<Outcome, AnswerError> {
    match (&item.kind, answer) {
        (ItemKind::PassFail, Answer::Pass) => Ok(Outcome::Pass),
        (ItemKind::PassFail, Answer::Fail) => Ok(Outcome::Fail),
        (_, Answer::Na) => Ok(Outcome::Na),
        (ItemKind::PassFail, Answer::Reading(_)) => Err(AnswerError::NeedsPassFail {
            item: item.code.to_string(),
        }),
        (ItemKind::Reading { .. }, Answer::Fail) => Ok(Outcome::Fail),
        (ItemKind::Reading { unit, .. }, Answer::Pass) => Err(AnswerError::NeedsReading {
            item: item.code.to_string(),
            unit: unit.clone(),
        }),
        (ItemKind::Reading { min, max, .. }, Answer::Reading(v)) => {
            if !v.is_finite() {
                return Err(AnswerError::NotFinite {
                    item: item.code.to_string(),
                    value: v,
                });
            }
            let low = min.is_some_and(|m| v < m);
            let high = max.is_some_and(|m| v > m);
            Ok(if low || high {
                Outcome::Fail
            } else {
                Outcome::Pass
            })
        }
    }
}

/// The header of a patrol run document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatrolRun {
    pub id: PatrolRunId,
    pub site: SiteId,
    pub route: RouteId,
    pub route_code: Code,
    pub inspector: UserId,
    pub inspector_name: String,
    pub device: DeviceId,
    /// Device clock.
    pub started_at: DateTime<Utc>,
    /// The checklist version of each checkpoint when the run started: the run
    /// is finished on these versions even if a newer one arrives meanwhile.
    #[serde(default)]
    pub checklists: Vec<PinnedChecklist>,
}

/// The checklist a checkpoint had when a run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PinnedChecklist {
    pub checkpoint: CheckpointId,
    pub template: TemplateId,
    pub version: u32,
}

impl PatrolRun {
    /// The checkpoints the run was due to visit: those it pinned when it
    /// started (a later change of the route does not change a run), or, for a
    /// run from before pinning, the route as the plan has it now.
    pub fn due_checkpoints(&self, plan: &crate::plan::SitePlan) -> Vec<CheckpointId> {
        if !self.checklists.is_empty() {
            return self.checklists.iter().map(|p| p.checkpoint).collect();
        }
        plan.routes
            .iter()
            .find(|r| r.id == self.route)
            .map(|r| r.checkpoints.clone())
            .unwrap_or_default()
    }

    /// The checklist pinned for `checkpoint`, if the run pinned one.
    pub fn pinned(&self, checkpoint: CheckpointId) -> Option<(TemplateId, u32)> {
        self.checklists
            .iter()
            .find(|p| p.checkpoint == checkpoint)
            .map(|p| (p.template, p.version))
    }
}

/// One answered item inside a checkpoint result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemResult {
    pub item: Code,
    pub answer: Answer,
    pub outcome: Outcome,
}

/// How a point code reached the app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntryMethod {
    /// Typed from the printed label.
    #[default]
    Typed,
    /// Read from the label's QR code by a camera.
    Scanned,
}

/// How the inspector proved being at the checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// The point code was typed or scanned and matched.
    CodeEntered {
        code: String,
        #[serde(default)]
        method: EntryMethod,
        /// Device clock when the code was confirmed, on arrival at the point.
        #[serde(default)]
        arrived_at: Option<DateTime<Utc>>,
    },
    /// No evidence of presence was given.
    None,
}

/// What a result proves about the inspector's presence, as a reviewer reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "evidence", rename_all = "snake_case")]
pub enum PresenceEvidence {
    /// The checkpoint's own code was entered.
    Code {
        code: String,
        method: EntryMethod,
        /// Seconds from confirming the code to saving the result, when known.
        dwell_seconds: Option<i64>,
    },
    /// A code was entered but it is not this checkpoint's.
    WrongCode { code: String },
    /// No evidence at all.
    Missing,
}

/// The result of checking one checkpoint in a run. Written once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckpointResult {
    pub id: ResultId,
    pub checkpoint: CheckpointId,
    pub checkpoint_code: Code,
    pub template: TemplateId,
    pub template_version: u32,
    pub items: Vec<ItemResult>,
    pub presence: Presence,
    pub by: UserId,
    /// Device clock when the result was saved.
    pub checked_at: DateTime<Utc>,
}

impl CheckpointResult {
    /// Checks the sizes a device may send (see [`crate::limits`]).
    pub fn check_limits(&self) -> Result<(), String> {
        if self.items.len() > 500 {
            return Err("a checkpoint result may answer at most 500 items".into());
        }
        if let Presence::CodeEntered { code, .. } = &self.presence
            && code.chars().count() > crate::limits::NAME_CHARS
        {
            return Err("the entered point code is too long".into());
        }
        Ok(())
    }

    /// The presence evidence of this result, judged against its checkpoint code.
    pub fn evidence(&self) -> PresenceEvidence {
        match &self.presence {
            Presence::None => PresenceEvidence::Missing,
            Presence::CodeEntered { code, .. }
                if !code
                    .trim()
                    .eq_ignore_ascii_case(self.checkpoint_code.as_str()) =>
            {
                PresenceEvidence::WrongCode { code: code.clone() }
            }
            Presence::CodeEntered {
                code,
                method,
                arrived_at,
            } => PresenceEvidence::Code {
                code: code.clone(),
                method: *method,
                dwell_seconds: arrived_at
                    .map(|a| (self.checked_at - a).num_seconds())
                    .filter(|s| *s >= 0),
            },
        }
    }

    pub fn failed_items(&self) -> impl Iterator<Item = &ItemResult> {
        self.items.iter().filter(|i| i.outcome == Outcome::Fail)
    }
}

/// A whole run as read back from its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatrolRunView {
    pub run: PatrolRun,
    pub results: Vec<CheckpointResult>,
    /// Device clock when the inspector finished, if they have.
    pub finished_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ItemFamily;

    fn reading(min: f64, max: f64) -> ChecklistItem {
        ChecklistItem {
            code: Code::parse("item", "pressure").unwrap(),
            label: "灭火器压力".into(),
            family: ItemFamily::Facility,
            kind: ItemKind::Reading {
                min: Some(min),
                max: Some(max),
                unit: "MPa".into(),
            },
        }
    }

    #[test]
    fn readings_outside_limits_fail_inside_pass() {
        let item = reading(1.0, 1.4);
        assert_eq!(
            evaluate(&item, "1.2".parse().unwrap()).unwrap(),
            Outcome::Pass
        );
        assert_eq!(
            evaluate(&item, "1.4".parse().unwrap()).unwrap(),
            Outcome::Pass
        );
        assert_eq!(
            evaluate(&item, "0.8".parse().unwrap()).unwrap(),
            Outcome::Fail
        );
        assert_eq!(
            evaluate(&item, "1.5".parse().unwrap()).unwrap(),
            Outcome::Fail
        );
        assert_eq!(evaluate(&item, Answer::Na).unwrap(), Outcome::Na);
        assert!(evaluate(&item, Answer::Pass).is_err());
    }

    #[test]
    fn pass_fail_items_refuse_numbers_and_garbage() {
        let item = ChecklistItem {
            code: Code::parse("item", "floor").unwrap(),
            label: "地面无垃圾".into(),
            family: ItemFamily::Environment,
            kind: ItemKind::PassFail,
        };
        assert_eq!(evaluate(&item, Answer::Fail).unwrap(), Outcome::Fail);
        assert!(evaluate(&item, Answer::Reading(3.0)).is_err());
        assert!("maybe".parse::<Answer>().is_err());
        assert!("NaN".parse::<Answer>().is_err());
    }
}
