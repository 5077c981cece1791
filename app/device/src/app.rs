//! What the app's screens ask of the device core, in the UI's own types
//! (`shared::app`): the session, the status bar, today's route tasks, checking
//! a checkpoint with proof of presence, filtered lists and issue details. The
//! Tauri commands are one-line wrappers over these.

use crate::device::Device;
use crate::error::DeviceError;
use crate::store::{self, IssueFilter as StoreFilter};
use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::OptionalExtension;
use shared::app::*;
use shared::ids::*;
use shared::issue::{EventOutcome, PhotoHash};
use shared::plan::ChecklistTemplate;
use shared::wire::{IssueDetail, IssueSummary};

impl Device {
    /// The logged-in user and site, if any.
    pub fn session_info(&self) -> Result<Option<SessionInfo>, DeviceError> {
        let session = match self.session() {
            Ok(s) => s,
            Err(DeviceError::NotLoggedIn) => return Ok(None),
            Err(e) => return Err(e),
        };
        let site = match self.plan() {
            Ok(plan) => plan.site,
            Err(_) => {
                let json = store::meta_get(self.store.conn(), "site_info")?
                    .ok_or(DeviceError::NotLoggedIn)?;
                serde_json::from_str(&json).map_err(|_| DeviceError::NotLoggedIn)?
            }
        };
        Ok(Some(SessionInfo {
            user: session.user,
            site,
            server: session.server,
            sites: Vec::new(),
        }))
    }

    /// Records how a sync attempt ended, for the status bar.
    pub(crate) fn record_sync(
        &mut self,
        outcome: Result<(), String>,
        now: DateTime<Utc>,
    ) -> Result<(), DeviceError> {
        self.store.tx(|tx| {
            match &outcome {
                Ok(()) => {
                    store::meta_set(tx, "last_sync", &now.to_rfc3339())?;
                    store::meta_set(tx, "online", "1")?;
                    store::meta_delete(tx, "last_sync_error")?;
                }
                Err(e) => {
                    store::meta_set(tx, "online", "0")?;
                    store::meta_set(tx, "last_sync_error", e)?;
                }
            }
            Ok(())
        })
    }

    /// Online state, what waits to sync, the last sync, and refused changes.
    pub fn sync_status(&self) -> Result<SyncStatus, DeviceError> {
        let conn = self.store.conn();
        let mut refused: Vec<RefusedChange> = self
            .refused_docs()?
            .into_iter()
            .map(|(doc, code, message)| RefusedChange {
                issue: Some(IssueId::from_uuid(*doc.as_uuid())),
                what: "document".into(),
                code,
                message,
            })
            .collect();
        let only_refused = StoreFilter {
            only_refused: true,
            ..Default::default()
        };
        for s in self.issues(&only_refused)? {
            for r in s.refused {
                let (code, message) = match r.outcome {
                    EventOutcome::Refused { code, reason } => (code, reason),
                    EventOutcome::Conflict { code, reason } => (code, reason),
                    EventOutcome::Applied => continue,
                };
                refused.push(RefusedChange {
                    issue: Some(s.id),
                    what: format!("{} · {}", r.kind, s.title),
                    code,
                    message,
                });
            }
        }
        Ok(SyncStatus {
            online: store::meta_get(conn, "online")?.map(|v| v == "1"),
            pending_changes: self.pending_count()?,
            pending_photos: self.photo_status()?.pending,
            last_sync: store::meta_get(conn, "last_sync")?
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc)),
            last_error: store::meta_get(conn, "last_sync_error")?,
            refused,
            unseen_notifications: self.unseen_notifications()?,
        })
    }

    /// The site's routes as tasks, with the open patrol's progress.
    pub fn route_tasks(&self, now: DateTime<Utc>) -> Result<Vec<RouteTask>, DeviceError> {
        let plan = self.plan()?;
        let open = self.open_patrol()?;
        let offset = FixedOffset::east_opt(plan.site.deadlines.utc_offset_minutes * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero"));
        // Patrols finished since the start of the site's day, per route (times are
        // stored as fixed-width RFC 3339 UTC, so they compare as text).
        let midnight = now
            .with_timezone(&offset)
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(offset).single())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now);
        let mut finished: std::collections::HashMap<String, u32> = Default::default();
        {
            let mut stmt = self.store.conn().prepare(
                "SELECT route, COUNT(*) FROM patrol_runs WHERE finished_at >= ?1 GROUP BY route",
            )?;
            let since = midnight.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
            for row in stmt.query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))? {
                let (route, n): (String, u32) = row?;
                finished.insert(route, n);
            }
        }
        // Today's tasks for this person, with their progress.
        let me = self.session()?.user.id;
        let today = now.with_timezone(&offset).date_naive();
        let due: Vec<shared::schedule::Task> =
            shared::schedule::tasks(&plan, today, today + chrono::Duration::days(1))
                .into_iter()
                .filter(|t| t.is_for(me))
                .collect();
        let checks = match (
            due.iter().map(|t| t.from).min(),
            due.iter().map(|t| t.until).max(),
        ) {
            (Some(a), Some(b)) => store::checks_between(self.store.conn(), a, b)?,
            _ => Vec::new(),
        };
        let progress = shared::schedule::coverage(&plan, &due, &checks, now).tasks;
        // A task of single checkpoints shows on the first route that has its first one.
        let route_of = |t: &shared::schedule::Task| {
            t.route.or_else(|| {
                let first = t.checkpoints.first()?;
                plan.routes
                    .iter()
                    .find(|r| r.checkpoints.contains(first))
                    .map(|r| r.id)
            })
        };
        let mut tasks = Vec::new();
        for route in &plan.routes {
            let spot = plan.spot_checks.iter().find(|s| s.code == route.code);
            let adhoc = plan.adhoc.iter().find(|a| a.code == route.code);
            // A drawn route is for the drawn inspector, a one-off patrol's for
            // its inspectors, once the window opens.
            let window = match (spot, adhoc) {
                (Some(s), _) => Some((s.inspector == me, s.from, s.until)),
                (None, Some(a)) => Some((a.inspectors.contains(&me), a.from, a.until)),
                (None, None) => None,
            };
            if let Some((for_me, from, until)) = window {
                let open_for_me = for_me && from <= now && now < until;
                let walking = open.as_ref().is_some_and(|p| p.run.route == route.id);
                if !open_for_me && !walking {
                    continue;
                }
            }
            let windows: Vec<TaskWindow> = progress
                .iter()
                .filter(|p| route_of(&p.task) == Some(route.id))
                .map(|p| TaskWindow {
                    key: p.task.key.clone(),
                    title: p.task.title.clone(),
                    kind: p.task.kind,
                    from: p.task.from,
                    until: p.task.until,
                    done: p.done,
                    total: p.task.checkpoints.len(),
                    missing: p.missing.clone(),
                })
                .collect();
            let mine = open.as_ref().filter(|p| p.run.route == route.id);
            // The open run walks what it pinned when it started.
            let points = match mine {
                Some(p) => p.run.due_checkpoints(&plan),
                None => route.checkpoints.clone(),
            };
            let mut steps = Vec::new();
            for id in &points {
                let Some(cp) = plan.checkpoint(*id) else {
                    continue;
                };
                let results: Vec<_> = mine
                    .map(|p| p.results.iter().filter(|r| r.checkpoint == cp.id).collect())
                    .unwrap_or_default();
                steps.push(WalkStep {
                    checkpoint: cp.id,
                    code: cp.code.to_string(),
                    name: cp.name.clone(),
                    zone: plan
                        .zones
                        .iter()
                        .find(|z| z.id == cp.zone)
                        .map(|z| z.name.clone())
                        .unwrap_or_default(),
                    checked: !results.is_empty(),
                    failed: results
                        .last()
                        .map(|r| r.failed_items().map(|i| i.item.to_string()).collect())
                        .unwrap_or_default(),
                });
            }
            let done_today = finished.get(route.code.as_str()).copied().unwrap_or(0);
            tasks.push(RouteTask {
                code: route.code.to_string(),
                name: route.name.clone(),
                steps,
                open: mine.is_some(),
                done_today,
                windows,
                spot_check: spot.is_some(),
                adhoc: adhoc.is_some(),
            });
        }
        Ok(tasks)
    }

    /// Confirms arrival at the checkpoint the inspector opened: the entered point
    /// code must be that checkpoint's. Returns the checklist to answer there (the
    /// version the patrol started with).
    pub fn arrive_checkpoint(
        &mut self,
        checkpoint: &str,
        entered: &str,
        now: DateTime<Utc>,
    ) -> Result<ChecklistTemplate, DeviceError> {
        let entered = entered.trim();
        if !entered.eq_ignore_ascii_case(checkpoint.trim()) {
            return Err(DeviceError::WrongPointCode {
                entered: entered.to_string(),
                expected: checkpoint.to_string(),
            });
        }
        self.patrol_arrive(checkpoint.trim(), now)
    }

    /// Saves a checkpoint of the open patrol after checking the entered point
    /// code belongs to the checkpoint the inspector opened (proof of presence).
    pub fn check_checkpoint(
        &mut self,
        input: &CheckInput,
        now: DateTime<Utc>,
    ) -> Result<CheckResult, DeviceError> {
        let entered = input.point_code.trim();
        if !entered.eq_ignore_ascii_case(input.checkpoint.trim()) {
            return Err(DeviceError::WrongPointCode {
                entered: entered.to_string(),
                expected: input.checkpoint.clone(),
            });
        }
        let out = self.patrol_check(input.checkpoint.trim(), &input.answers, now)?;
        Ok(CheckResult {
            checked: out.checked,
            route_len: out.route_len,
            failed: out.failed,
        })
    }

    /// The issue list with the UI's filters, newest first.
    pub fn issue_list(&self, filter: &IssueFilter) -> Result<Vec<IssueSummary>, DeviceError> {
        let all = self.issues(&StoreFilter::default())?;
        let window = self.plan()?.site.repeat_window_days;
        let flags = shared::repeat::repeats(&all, window);
        Ok(all
            .into_iter()
            .filter(|s| filter.matches(s))
            .map(|mut s| {
                s.repeat = flags.get(&s.id).cloned();
                s
            })
            .collect())
    }

    /// One issue as the detail screen shows it: photos with their upload
    /// state, and the timeline with server receipt times once synced.
    pub fn issue_detail(&self, id: IssueId) -> Result<IssueDetail, DeviceError> {
        let view = self.issue(id)?;
        let conn = self.store.conn();
        let server_time = |e: EventId| self.receipt(*e.as_uuid()).ok().flatten();
        let uploaded = |h: &PhotoHash| {
            let state: Option<String> = conn
                .query_row(
                    "SELECT state FROM blobs WHERE hash = ?1",
                    [h.as_str()],
                    |r| r.get(0),
                )
                .optional()
                .ok()
                .flatten();
            // Photos taken elsewhere reach this device only through the server.
            state.is_none_or(|s| s == "uploaded" || s == "cached")
        };
        let mut detail = IssueDetail::from_view(&view, &server_time, &uploaded, Utc::now());
        if let Ok(session) = self.session() {
            let full = self.contact(id)?;
            detail.show_contact(session.user.role, full.as_deref());
        }
        Ok(detail)
    }
}
