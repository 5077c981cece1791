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
#[serde(tag = "answer", content = "value", rename_all = "snake_case")]
pub enum Answer {
    Pass,
    Fail,
    Na,
    Reading(f64),
}

/// The judged result of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// One answered item inside a checkpoint result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub item: Code,
    pub answer: Answer,
    pub outcome: Outcome,
}

/// How the inspector proved being at the checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// The point code was typed or scanned and matched.
    CodeEntered { code: String },
    /// No evidence of presence was given.
    None,
}

/// The result of checking one checkpoint in a run. Written once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub fn failed_items(&self) -> impl Iterator<Item = &ItemResult> {
        self.items.iter().filter(|i| i.outcome == Outcome::Fail)
    }
}

/// A whole run as read back from its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
