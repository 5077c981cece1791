//! Resident satisfaction surveys (满意度调查): NPS and CSI.
//!
//! A survey answer comes from a call-back or a periodic survey. NPS asks
//! "would you recommend us" on 0–10: promoters answer 9–10, detractors 0–6,
//! and NPS is the share of promoters minus the share of detractors, ×100
//! (−100…100). CSI scores service dimensions 1–5; a dimension's score is the
//! mean of its answers mapped to 0–100 ((mean − 1) / 4 × 100), and the site's
//! CSI is the weighted mean of the dimensions answered. A detractor, or any
//! dimension scored 1–2, opens a follow-up case handled like a complaint
//! (二次处理).

use crate::codes::{Category, Dimension};
use crate::ids::{IssueId, SiteId};
use crate::kpi::Figure;
use crate::text::Said;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where an answer came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SurveySource {
    /// A call-back after a complaint or a repair.
    #[default]
    Callback,
    /// A periodic survey of residents.
    Periodic,
}

impl SurveySource {
    pub fn label_zh(self) -> &'static str {
        match self {
            SurveySource::Callback => "回访",
            SurveySource::Periodic => "定期调查",
        }
    }
}

/// One dimension's score, 1–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DimensionScore {
    pub dimension: Dimension,
    pub score: u8,
}

/// A dimension's weight in a site's CSI, 0–10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DimensionWeight {
    pub dimension: Dimension,
    pub weight: u8,
}

/// What the person taking the survey enters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyInput {
    /// Made by the device or page that records it, so sending it twice stores it once.
    pub id: uuid::Uuid,
    #[serde(default)]
    pub source: SurveySource,
    /// Who answered, as the site knows them: building, unit, room.
    pub respondent: String,
    /// A phone number for the follow-up, if they gave one.
    #[serde(default)]
    pub contact: String,
    /// "Would you recommend us?" 0–10, if asked.
    pub nps: Option<u8>,
    #[serde(default)]
    pub scores: Vec<DimensionScore>,
    #[serde(default)]
    pub comment: String,
    /// The complaint a call-back is about, if any.
    #[serde(default)]
    pub complaint: Option<IssueId>,
    /// When the resident answered (the recorder's clock).
    pub taken_at: DateTime<Utc>,
}

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Survey {
    #[serde(flatten)]
    pub input: SurveyInput,
    pub site: SiteId,
    /// User name of who recorded it.
    pub by: String,
    pub received_at: DateTime<Utc>,
    /// The follow-up case (a complaint) it opened, if it called for one.
    pub follow_up: Option<IssueId>,
}

/// Longest respondent, contact and comment.
pub const RESPONDENT_MAX: usize = 100;
pub const COMMENT_MAX: usize = 1000;

impl SurveyInput {
    /// Checks the answer makes sense before it is stored.
    pub fn check(&self) -> Result<(), Said> {
        if self.respondent.trim().is_empty() {
            return Err(Said::new(
                "say who answered (building, unit, room)",
                "请填写受访住户（楼栋、单元、房号）",
            ));
        }
        if self.respondent.chars().count() > RESPONDENT_MAX
            || self.contact.chars().count() > RESPONDENT_MAX
        {
            return Err(Said::new(
                format!("the respondent and the contact take at most {RESPONDENT_MAX} characters"),
                format!("受访住户和联系方式最多 {RESPONDENT_MAX} 个字"),
            ));
        }
        if self.comment.chars().count() > COMMENT_MAX {
            return Err(Said::new(
                format!("the comment takes at most {COMMENT_MAX} characters"),
                format!("意见最多 {COMMENT_MAX} 个字"),
            ));
        }
        if self.nps.is_some_and(|n| n > 10) {
            return Err(Said::new(
                "the recommendation score is 0 to 10",
                "推荐意愿打分为 0 到 10 分",
            ));
        }
        for (i, s) in self.scores.iter().enumerate() {
            if !(1..=5).contains(&s.score) {
                return Err(Said::new(
                    format!("{} is scored 1 to 5", s.dimension.label_en()),
                    format!("“{}”的评分为 1 到 5 分", s.dimension.label_zh()),
                ));
            }
            if self.scores[..i].iter().any(|o| o.dimension == s.dimension) {
                return Err(Said::new(
                    format!("{} is scored twice", s.dimension.label_en()),
                    format!("“{}”评了两次分", s.dimension.label_zh()),
                ));
            }
        }
        if self.nps.is_none() && self.scores.is_empty() {
            return Err(Said::new(
                "give the recommendation score or at least one dimension's score",
                "请至少填写推荐意愿或一项服务评分",
            ));
        }
        Ok(())
    }

    /// Whether the answer opens a follow-up case: a detractor (0–6) or a
    /// dimension scored 1–2. The category of the case: the worst such
    /// dimension's, or "other" for a detractor alone.
    pub fn follow_up(&self) -> Option<(Category, String)> {
        let worst = self
            .scores
            .iter()
            .filter(|s| s.score <= 2)
            .min_by_key(|s| s.score);
        let detractor = self.nps.filter(|n| *n <= 6);
        match (worst, detractor) {
            (Some(w), _) => Some((
                category_of(w.dimension),
                format!(
                    "二次处理：住户对{}评 {} 分",
                    w.dimension.label_zh(),
                    w.score
                ),
            )),
            (None, Some(n)) => Some((Category::Other, format!("二次处理：住户推荐意愿 {n} 分"))),
            (None, None) => None,
        }
    }

    /// The answer in words, for a follow-up case's description.
    pub fn summary_zh(&self) -> String {
        let mut parts = Vec::new();
        if let Some(n) = self.nps {
            parts.push(format!("推荐意愿 {n} 分"));
        }
        for s in &self.scores {
            parts.push(format!("{} {} 分", s.dimension.label_zh(), s.score));
        }
        let mut text = format!("{}：{}。", self.source.label_zh(), parts.join("，"));
        if !self.comment.trim().is_empty() {
            text += &format!("住户意见：{}", self.comment.trim());
        }
        text
    }
}

/// The category a dimension's follow-up case is filed under.
pub fn category_of(d: Dimension) -> Category {
    match d {
        Dimension::Security => Category::OrderSecurity,
        Dimension::Cleaning => Category::HygieneDefect,
        Dimension::Landscaping => Category::Landscaping,
        Dimension::Maintenance => Category::EquipmentFault,
        Dimension::CustomerService => Category::Other,
    }
}

/// Checks a site's CSI weights: each 0–10, each dimension once, not all 0.
pub fn check_weights(w: &[DimensionWeight]) -> Result<(), String> {
    for (i, x) in w.iter().enumerate() {
        if x.weight > 10 {
            return Err(format!(
                "the CSI weight of {} must be 0 to 10",
                x.dimension.code()
            ));
        }
        if w[..i].iter().any(|o| o.dimension == x.dimension) {
            return Err(format!(
                "the CSI weight of {} is given twice",
                x.dimension.code()
            ));
        }
    }
    if !w.is_empty() && w.iter().all(|x| x.weight == 0) {
        return Err("at least one CSI weight must be above 0".into());
    }
    Ok(())
}

/// A dimension's weight at a site (1 unless set).
pub fn weight(weights: &[DimensionWeight], d: Dimension) -> f64 {
    weights
        .iter()
        .find(|w| w.dimension == d)
        .map_or(1.0, |w| w.weight as f64)
}

/// NPS of the answers that gave a recommendation score: the value is
/// (promoters − detractors) / answers × 100; numerator: promoters,
/// denominator: answers.
pub fn nps(answers: &[&SurveyInput]) -> Figure {
    let scores: Vec<u8> = answers.iter().filter_map(|a| a.nps).collect();
    let promoters = scores.iter().filter(|n| **n >= 9).count() as f64;
    let detractors = scores.iter().filter(|n| **n <= 6).count() as f64;
    let n = scores.len();
    Figure {
        value: (n > 0).then(|| (promoters - detractors) * 100.0 / n as f64),
        numerator: promoters as u64,
        denominator: n as u64,
    }
}

/// One dimension's figures over some answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DimensionFigure {
    pub dimension: Dimension,
    pub name: String,
    pub answers: u64,
    /// Mean score 1–5.
    pub mean: Option<f64>,
    /// The mean on 0–100.
    pub csi: Option<f64>,
    pub weight: f64,
    /// Answers scoring it 1–2.
    pub low: u64,
}

/// Each dimension's figures, in the order of [`Dimension::ALL`].
pub fn dimensions(answers: &[&SurveyInput], weights: &[DimensionWeight]) -> Vec<DimensionFigure> {
    Dimension::ALL
        .iter()
        .map(|d| {
            let scores: Vec<u8> = answers
                .iter()
                .flat_map(|a| a.scores.iter())
                .filter(|s| s.dimension == *d)
                .map(|s| s.score)
                .collect();
            let n = scores.len();
            let mean = (n > 0).then(|| scores.iter().map(|s| *s as f64).sum::<f64>() / n as f64);
            DimensionFigure {
                dimension: *d,
                name: d.label_zh().into(),
                answers: n as u64,
                mean,
                csi: mean.map(|m| (m - 1.0) / 4.0 * 100.0),
                weight: weight(weights, *d),
                low: scores.iter().filter(|s| **s <= 2).count() as u64,
            }
        })
        .collect()
}

/// The site's CSI (0–100): the weighted mean of the answered dimensions'
/// scores; numerator and denominator: the answers that scored any dimension.
pub fn csi(answers: &[&SurveyInput], weights: &[DimensionWeight]) -> Figure {
    let dims = dimensions(answers, weights);
    let (sum, total) = dims
        .iter()
        .filter_map(|d| d.csi.map(|c| (c * d.weight, d.weight)))
        .fold((0.0, 0.0), |(s, t), (c, w)| (s + c, t + w));
    let scored = answers.iter().filter(|a| !a.scores.is_empty()).count() as u64;
    Figure {
        value: (total > 0.0).then(|| sum / total),
        numerator: scored,
        denominator: scored,
    }
}

/// A survey answer as a list shows it: on a device, one not yet sent is pending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyEntry {
    pub input: SurveyInput,
    /// Who recorded it (empty on a device before it is sent).
    pub by: String,
    pub follow_up: Option<IssueId>,
    /// Recorded on this device and not sent yet.
    pub pending: bool,
    /// Why the server refused it, if it did.
    pub refusal: Option<String>,
}

impl From<Survey> for SurveyEntry {
    fn from(s: Survey) -> SurveyEntry {
        SurveyEntry {
            input: s.input,
            by: s.by,
            follow_up: s.follow_up,
            pending: false,
            refusal: None,
        }
    }
}

/// NPS and CSI of one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthFigure {
    /// `YYYY-MM`.
    pub month: String,
    pub nps: Figure,
    pub csi: Figure,
}

/// Satisfaction over a period: by dimension, and month by month.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Satisfaction {
    pub answers: u64,
    pub follow_ups: u64,
    pub dimensions: Vec<DimensionFigure>,
    /// The six months up to the period's end.
    pub months: Vec<MonthFigure>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(nps: Option<u8>, scores: &[(Dimension, u8)]) -> SurveyInput {
        SurveyInput {
            id: uuid::Uuid::nil(),
            source: SurveySource::Periodic,
            respondent: "3-2-301".into(),
            contact: String::new(),
            nps,
            scores: scores
                .iter()
                .map(|(d, s)| DimensionScore {
                    dimension: *d,
                    score: *s,
                })
                .collect(),
            comment: String::new(),
            complaint: None,
            taken_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn nps_is_promoters_minus_detractors() {
        let a = [
            answer(Some(10), &[]),
            answer(Some(9), &[]),
            answer(Some(8), &[]),
            answer(Some(6), &[]),
            answer(None, &[(Dimension::Cleaning, 5)]),
        ];
        let refs: Vec<&SurveyInput> = a.iter().collect();
        let f = nps(&refs);
        assert_eq!((f.numerator, f.denominator), (2, 4));
        assert_eq!(f.value, Some(25.0));
        assert_eq!(nps(&[]).value, None);
    }

    #[test]
    fn csi_weighs_the_dimensions_answered() {
        use Dimension::*;
        let a = [
            answer(None, &[(Cleaning, 5), (Security, 3)]),
            answer(None, &[(Cleaning, 3)]),
        ];
        let refs: Vec<&SurveyInput> = a.iter().collect();
        // Cleaning: mean 4 → 75; security: 3 → 50.
        assert_eq!(csi(&refs, &[]).value, Some(62.5));
        let w = [DimensionWeight {
            dimension: Cleaning,
            weight: 3,
        }];
        assert_eq!(csi(&refs, &w).value, Some((75.0 * 3.0 + 50.0) / 4.0));
    }

    #[test]
    fn detractors_and_low_scores_open_a_follow_up() {
        use Dimension::*;
        assert_eq!(answer(Some(7), &[(Cleaning, 3)]).follow_up(), None);
        assert_eq!(
            answer(Some(6), &[]).follow_up().map(|f| f.0),
            Some(Category::Other)
        );
        let (cat, title) = answer(Some(10), &[(Security, 2), (Cleaning, 1)])
            .follow_up()
            .unwrap();
        assert_eq!(cat, Category::HygieneDefect);
        assert!(title.contains("保洁评 1 分"), "{title}");
    }

    #[test]
    fn wrong_answers_are_refused() {
        use Dimension::*;
        assert!(answer(Some(11), &[]).check().is_err());
        assert!(answer(None, &[(Cleaning, 0)]).check().is_err());
        assert!(answer(None, &[(Cleaning, 6)]).check().is_err());
        assert!(
            answer(None, &[(Cleaning, 3), (Cleaning, 4)])
                .check()
                .is_err()
        );
        assert!(answer(None, &[]).check().is_err());
        let mut nobody = answer(Some(9), &[]);
        nobody.respondent = "  ".into();
        assert!(nobody.check().is_err());
        assert!(answer(Some(0), &[(Maintenance, 1)]).check().is_ok());
    }
}
