//! Residents' survey answers recorded on the device, offline too.
//!
//! An answer is written to the device's database first, then sent at the next
//! sync under the id it was given here, so a cut connection or a second send
//! stores it once on the server. The server answers with its record, which
//! names the follow-up case a low score opened; that case arrives with the
//! next sync like any complaint.

use crate::device::Device;
use crate::error::DeviceError;
use crate::net::{Client, SyncError};
use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::{Deserialize, Serialize};
use shared::survey::{Survey, SurveyInput};

/// What the survey exchange of one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyReport {
    /// Answers the server now holds.
    pub sent: usize,
    /// Follow-up cases the sent answers opened.
    pub follow_ups: usize,
    /// Answers the server refused: kept here with the reason, not offered again.
    pub refused: usize,
}

/// A survey answer as the device keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalSurvey {
    pub input: SurveyInput,
    /// The server's record, once sent.
    pub stored: Option<Survey>,
    /// Why the server refused it, if it did.
    pub refusal: Option<String>,
}

impl Device {
    /// Records a resident's answer here (no network needed); it is sent at the next sync.
    pub fn record_survey(
        &mut self,
        input: SurveyInput,
        now: DateTime<Utc>,
    ) -> Result<uuid::Uuid, DeviceError> {
        let session = self.session()?;
        if !shared::policy::permits(session.user.role, shared::policy::Action::RecordSurvey) {
            return Err(shared::issue::FoldRefusal {
                code: "role_forbidden",
                reason: format!("role {} does not record surveys", session.user.role.code()),
            }
            .into());
        }
        input.check()?;
        if input.taken_at > now + chrono::Duration::minutes(10) {
            return Err(shared::text::Said::new(
                "the survey's time is in the future",
                "调查时间晚于现在：请检查设备时间",
            )
            .into());
        }
        let json = serde_json::to_string(&input).expect("a survey serializes");
        self.store.tx(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO surveys (id, taken_at_ms, json) VALUES (?1, ?2, ?3)",
                params![input.id.as_bytes(), input.taken_at.timestamp_millis(), json],
            )?;
            Ok(())
        })?;
        Ok(input.id)
    }

    /// The answers recorded here as a list shows them, newest first.
    pub fn survey_entries(&self) -> Result<Vec<shared::survey::SurveyEntry>, DeviceError> {
        Ok(self
            .surveys()?
            .into_iter()
            .map(|l| match l.stored {
                Some(s) => s.into(),
                None => shared::survey::SurveyEntry {
                    input: l.input,
                    by: String::new(),
                    follow_up: None,
                    pending: l.refusal.is_none(),
                    refusal: l.refusal,
                },
            })
            .collect())
    }

    /// The answers recorded here, newest first.
    pub fn surveys(&self) -> Result<Vec<LocalSurvey>, DeviceError> {
        let mut stmt = self
            .store
            .conn()
            .prepare("SELECT json, sent, refusal FROM surveys ORDER BY taken_at_ms DESC, id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (json, sent, refusal) = row?;
            let local = if sent == 1 {
                let stored: Survey =
                    serde_json::from_str(&json).map_err(|e| DeviceError::Damaged(e.to_string()))?;
                LocalSurvey {
                    input: stored.input.clone(),
                    stored: Some(stored),
                    refusal,
                }
            } else {
                LocalSurvey {
                    input: serde_json::from_str(&json)
                        .map_err(|e| DeviceError::Damaged(e.to_string()))?,
                    stored: None,
                    refusal,
                }
            };
            out.push(local);
        }
        Ok(out)
    }

    /// Sends the answers not yet sent.
    pub(crate) fn send_surveys(
        &mut self,
        client: &Client,
        token: &str,
    ) -> Result<SurveyReport, SyncError> {
        let local = |e: rusqlite::Error| SyncError::Protocol(e.to_string());
        let unsent: Vec<(Vec<u8>, String)> = {
            let mut stmt = self
                .store
                .conn()
                .prepare("SELECT id, json FROM surveys WHERE sent = 0 ORDER BY taken_at_ms")
                .map_err(local)?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(local)?
                .collect::<Result<_, _>>()
                .map_err(local)?
        };
        let mut report = SurveyReport::default();
        for (id, json) in unsent {
            let Ok(input) = serde_json::from_str::<SurveyInput>(&json) else {
                continue;
            };
            let (state, json, refusal) = match client.post_survey(token, &input) {
                Ok(stored) => {
                    report.sent += 1;
                    report.follow_ups += usize::from(stored.follow_up.is_some());
                    let json = serde_json::to_string(&stored).expect("a survey serializes");
                    (1, json, None)
                }
                Err(SyncError::Server {
                    status,
                    message,
                    message_zh,
                    ..
                }) if (400..500).contains(&status) && status != 401 => {
                    report.refused += 1;
                    let said = if message_zh.is_empty() {
                        message
                    } else {
                        message_zh
                    };
                    (2, json, Some(said))
                }
                Err(e) => return Err(e),
            };
            self.store
                .conn()
                .execute(
                    "UPDATE surveys SET sent = ?2, json = ?3, refusal = ?4 WHERE id = ?1",
                    params![id, state, json, refusal],
                )
                .map_err(local)?;
        }
        Ok(report)
    }
}
