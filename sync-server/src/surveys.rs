//! Residents' satisfaction surveys: recorded from a call-back or a periodic
//! survey (on the dashboard, or on a device offline and sent at its next
//! sync), each written once under the id its recorder gave it, entered in the
//! ledger, and — for a detractor or a dimension scored 1–2 — opening a
//! follow-up case handled like a complaint (二次处理). NPS and CSI by month and
//! dimension feed the analysis and the monthly report.

use crate::error::{ApiError, StoreError};
use crate::store::Txn;
use crate::validate::Sender;
use axum::http::StatusCode;
use chrono::{DateTime, Datelike, Duration, Utc};
use shared::kpi::{Figure, Period};
use shared::plan::SitePlan;
use shared::survey::{MonthFigure, Satisfaction, Survey, SurveyInput};
use shared::text::Said;

/// How far ahead of the server's clock a survey's time may be.
const CLOCK_SLACK_MINUTES: i64 = 10;

/// Records `input` at `sender`'s site. Sending the same answer again returns
/// the stored one and changes nothing; another answer under a stored id is
/// refused.
pub fn record(
    txn: &mut dyn Txn,
    sender: &Sender,
    plan: &SitePlan,
    input: SurveyInput,
    now: DateTime<Utc>,
) -> Result<Survey, ApiError> {
    input.check().map_err(|e| ApiError::invalid(&e))?;
    if input.taken_at > now + Duration::minutes(CLOCK_SLACK_MINUTES) {
        return Err(ApiError::invalid(&Said::new(
            "the survey's time is in the future",
            "调查时间晚于现在：请检查设备时间",
        )));
    }
    if let Some(stored) = txn.survey(input.id)? {
        if stored.site == plan.site.id && stored.input == input {
            return Ok(stored);
        }
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "survey_exists",
            "another survey answer is stored under this id",
        )
        .zh("该编号下已有另一份调查记录"));
    }
    if let Some(c) = input.complaint {
        let ours = txn
            .issue_summary(c)?
            .is_some_and(|s| s.site == plan.site.id && s.complaint_location.is_some());
        if !ours {
            return Err(ApiError::invalid(&Said::new(
                "the call-back names no complaint of this site",
                "回访关联的投诉不存在",
            )));
        }
    }
    let follow_up = match input.follow_up() {
        None => None,
        Some((category, title)) => {
            let contact = input.contact.trim();
            let req = shared::app::ComplaintRequest {
                zone: None,
                location: input.respondent.trim().to_string(),
                contact: if contact.is_empty() {
                    "未留联系方式".into()
                } else {
                    contact.to_string()
                },
                category,
                urgency: Default::default(),
                title,
                description: input.summary_zh(),
                photos: Vec::new(),
            };
            let view = crate::tracker::raise_complaint(txn, sender, plan, &req, now).map_err(
                |e| match e {
                    crate::tracker::ChangeError::Invalid(m) => ApiError::invalid(&m),
                    other => crate::api::change_error(other),
                },
            )?;
            Some(view.id)
        }
    };
    let survey = Survey {
        input,
        site: plan.site.id,
        by: sender.user_name.clone(),
        received_at: now,
        follow_up,
    };
    if txn.put_survey(&survey)? {
        crate::ledger::append(
            txn,
            plan.site.id,
            &crate::ledger::Author::of(sender),
            crate::ledger::Change {
                kind: "survey",
                subject: survey.input.id.to_string(),
                entry: String::new(),
                what: "record".into(),
                content: serde_json::to_string(&survey).unwrap_or_default(),
            },
            now,
        )?;
    }
    Ok(survey)
}

/// The surveys as `role` may read them: contacts masked unless the role calls residents back.
pub fn shown(mut list: Vec<Survey>, role: shared::Role) -> Vec<Survey> {
    if !shared::policy::may_see_contacts(role) {
        for s in &mut list {
            if !s.input.contact.is_empty() {
                s.input.contact = shared::issue::mask_contact(&s.input.contact);
            }
        }
    }
    list
}

fn refs(list: &[Survey]) -> Vec<&SurveyInput> {
    list.iter().map(|s| &s.input).collect()
}

/// NPS and CSI of `plan`'s site over `period`.
pub fn figures(
    txn: &mut dyn Txn,
    plan: &SitePlan,
    period: &Period,
) -> Result<(Figure, Figure), StoreError> {
    let list = txn.surveys_between(plan.site.id, period.from, period.to)?;
    let answers = refs(&list);
    Ok((
        shared::survey::nps(&answers),
        shared::survey::csi(&answers, &plan.site.csi_weights),
    ))
}

/// Satisfaction over `period` by dimension, and the six months up to its end.
pub fn satisfaction(
    txn: &mut dyn Txn,
    plan: &SitePlan,
    period: &Period,
) -> Result<Satisfaction, StoreError> {
    let offset = plan.site.deadlines.offset();
    let weights = &plan.site.csi_weights;
    let list = txn.surveys_between(plan.site.id, period.from, period.to)?;
    let answers = refs(&list);
    let last = (period.to - Duration::seconds(1))
        .with_timezone(&offset)
        .date_naive();
    let mut months = Vec::new();
    for back in (0..6).rev() {
        let total = last.year() * 12 + last.month0() as i32 - back;
        let label = format!(
            "{:04}-{:02}",
            total.div_euclid(12),
            total.rem_euclid(12) + 1
        );
        let Ok(p) = Period::parse(&label, offset) else {
            continue;
        };
        let of_month = txn.surveys_between(plan.site.id, p.from, p.to)?;
        let a = refs(&of_month);
        months.push(MonthFigure {
            month: label,
            nps: shared::survey::nps(&a),
            csi: shared::survey::csi(&a, weights),
        });
    }
    Ok(Satisfaction {
        answers: list.len() as u64,
        follow_ups: list.iter().filter(|s| s.follow_up.is_some()).count() as u64,
        dimensions: shared::survey::dimensions(&answers, weights),
        months,
    })
}
