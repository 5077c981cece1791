//! [`Device`]: the operations a person performs on a tablet or phone.

use crate::error::DeviceError;
use crate::store::{self, IssueFilter, Store};
use automerge::AutoCommit;
use chrono::{DateTime, Utc};
use rusqlite::Transaction;
use shared::codes::Role;
use shared::doc;
use shared::ids::*;
use shared::issue::{self, EventBody, IssueEvent, IssueView, PhotoRole};
use shared::patrol::{
    self, Answer, CheckpointResult, EntryMethod, ItemResult, PatrolRun, PatrolRunView,
    PinnedChecklist, Presence,
};
use shared::plan::{ChecklistTemplate, Checkpoint, SitePlan, UserInfo};
use shared::text::{self, Code};
use shared::wire::{DocKind, IssueSummary};
use std::path::{Path, PathBuf};

/// Who is logged in on this device.
#[derive(Debug, Clone)]
pub struct Session {
    pub server: String,
    pub token: String,
    pub device: DeviceId,
    pub user: UserInfo,
    pub site: SiteId,
    pub actor: [u8; 16],
}

/// What a person enters to raise an issue (photos added first with [`Device::add_photo`]).
pub type RaiseInput = shared::app::RaiseRequest;

/// The outcome of checking one checkpoint.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    pub checkpoint: String,
    pub passed: usize,
    pub failed: Vec<String>,
    pub not_applicable: usize,
    pub checked: usize,
    pub route_len: usize,
}

/// An offline-first device: one data directory, one logged-in user.
pub struct Device {
    pub(crate) store: Store,
    dir: PathBuf,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex16(s: &str) -> Option<[u8; 16]> {
    if s.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Device {
    /// Opens the device's data directory, creating it and its actor id on first use.
    pub fn open(dir: impl AsRef<Path>) -> Result<Device, DeviceError> {
        let dir = dir.as_ref().to_path_buf();
        let mut store = Store::open(&dir)?;
        store.tx(|tx| {
            if store::meta_get(tx, "actor")?.is_none() {
                let bytes: [u8; 16] = shared::ids::fresh().into_bytes();
                store::meta_set(tx, "actor", &hex(&bytes))?;
            }
            Ok(())
        })?;
        let mut device = Device { store, dir };
        device.refresh_projections()?;
        Ok(device)
    }

    /// Rebuilds every issue's list row from its document when the rows were
    /// written by an older version (see [`store::PROJECTION`]). A document
    /// that cannot be read keeps its old row.
    fn refresh_projections(&mut self) -> Result<(), DeviceError> {
        if store::meta_get(self.store.conn(), "projection")?.as_deref() == Some(store::PROJECTION) {
            return Ok(());
        }
        let ids: Vec<Vec<u8>> = {
            let mut stmt = self
                .store
                .conn()
                .prepare("SELECT id FROM docs WHERE kind = ?1")?;
            stmt.query_map([DocKind::Issue.code()], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        self.store.tx(|tx| {
            for id in ids {
                let Ok(uuid) = uuid::Uuid::from_slice(&id) else {
                    continue;
                };
                let id = IssueId::from_uuid(uuid);
                let Some((_, d)) = store::load_doc(tx, id.into())? else {
                    continue;
                };
                let folded = doc::issue_events(&d)
                    .ok()
                    .and_then(|events| issue::fold(id, events).ok());
                if let Some(view) = folded {
                    store::project_issue(tx, &view)?;
                }
            }
            store::meta_set(tx, "projection", store::PROJECTION)?;
            Ok(())
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// This device's Automerge actor id (16 bytes, hex in storage).
    pub fn actor(&self) -> Result<[u8; 16], DeviceError> {
        store::meta_get(self.store.conn(), "actor")?
            .as_deref()
            .and_then(unhex16)
            .ok_or_else(|| DeviceError::Damaged("the device actor id is damaged".into()))
    }

    pub fn actor_hex(&self) -> Result<String, DeviceError> {
        Ok(hex(&self.actor()?))
    }

    /// Gives this device a fresh actor id, for a new person signing in on it.
    /// Changes already made keep the actor they were made with.
    pub fn new_actor(&mut self) -> Result<(), DeviceError> {
        self.store.tx(|tx| {
            let bytes: [u8; 16] = shared::ids::fresh().into_bytes();
            store::meta_set(tx, "actor", &hex(&bytes))?;
            Ok(())
        })
    }

    /// The logged-in session.
    pub fn session(&self) -> Result<Session, DeviceError> {
        let conn = self.store.conn();
        let get = |k: &str| -> Result<String, DeviceError> {
            store::meta_get(conn, k)?.ok_or(DeviceError::NotLoggedIn)
        };
        let user: UserInfo =
            serde_json::from_str(&get("user")?).map_err(|_| DeviceError::NotLoggedIn)?;
        Ok(Session {
            server: get("server")?,
            token: get("token")?,
            device: get("device")?
                .parse()
                .map_err(|_| DeviceError::NotLoggedIn)?,
            user,
            site: get("site")?.parse().map_err(|_| DeviceError::NotLoggedIn)?,
            actor: self.actor()?,
        })
    }

    /// Stores a login's result. Refuses to switch users while another user's changes wait to sync.
    pub fn save_login(
        &mut self,
        server: &str,
        login: &shared::wire::LoginResponse,
    ) -> Result<(), DeviceError> {
        let previous = self.session().ok();
        let pending = self.pending_count()?;
        if let Some(prev) = previous
            && prev.user.id != login.user.id
            && pending > 0
        {
            return Err(DeviceError::Unsynced(format!(
                "{} changes by {} have not been synced yet; sync them before another user logs in",
                pending, prev.user.name
            )));
        }
        // A device holds one site's records: another site's would mix into its lists.
        let held: Option<shared::plan::Site> = store::meta_get(self.store.conn(), "site_info")?
            .and_then(|s| serde_json::from_str(&s).ok());
        if let Some(held) = held
            && held.id != login.site.id
            && self.holds_documents()?
        {
            return Err(DeviceError::OtherSite {
                held: held.code.to_string(),
                asked: login.site.code.to_string(),
            });
        }
        self.store.tx(|tx| {
            store::meta_set(tx, "server", server.trim_end_matches('/'))?;
            store::meta_set(tx, "token", &login.token)?;
            store::meta_set(tx, "device", &login.device.to_string())?;
            store::meta_set(
                tx,
                "user",
                &serde_json::to_string(&login.user).expect("user serializes"),
            )?;
            store::meta_set(tx, "site", &login.site.id.to_string())?;
            store::meta_set(
                tx,
                "site_info",
                &serde_json::to_string(&login.site).expect("site serializes"),
            )?;
            Ok(())
        })
    }

    /// Forgets this device's login (the data stays). When the server can be reached the token is
    /// also revoked there (a copied token stops working); offline, the token is
    /// only forgotten here and expires on the server after `limits::TOKEN_DAYS`.
    /// Returns whether the server revoked it.
    pub fn logout(&mut self) -> Result<bool, DeviceError> {
        let revoked = match self.session() {
            Ok(s) => {
                let opts = crate::net::SyncOptions {
                    timeout: std::time::Duration::from_secs(5),
                    ..crate::net::SyncOptions::default()
                };
                crate::net::Client::new(&s.server, &opts)
                    .and_then(|c| c.logout(&s.token))
                    .is_ok()
            }
            Err(_) => false,
        };
        self.store.tx(|tx| Ok(store::meta_delete(tx, "token")?))?;
        Ok(revoked)
    }

    /// Whether any document is stored here.
    fn holds_documents(&self) -> Result<bool, DeviceError> {
        Ok(self
            .store
            .conn()
            .query_row("SELECT EXISTS (SELECT 1 FROM docs)", [], |r| r.get(0))?)
    }

    /// Documents changed here and not yet acknowledged by the server.
    pub fn pending_count(&self) -> Result<i64, DeviceError> {
        Ok(self.store.conn().query_row(
            "SELECT COUNT(*) FROM docs WHERE dirty = 1 AND refused_code IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// Documents the server refused outright, with its reason.
    pub fn refused_docs(&self) -> Result<Vec<(DocId, String, String)>, DeviceError> {
        let mut stmt = self.store.conn().prepare(
            "SELECT id, refused_code, refused_message FROM docs WHERE refused_code IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, code, message) = row?;
            if let Ok(id) = uuid::Uuid::from_slice(&id) {
                out.push((DocId::from_uuid(id), code, message));
            }
        }
        Ok(out)
    }

    /// The site plan as last synced.
    pub fn plan(&self) -> Result<SitePlan, DeviceError> {
        let json = store::meta_get(self.store.conn(), "plan")?.ok_or(DeviceError::NoPlan)?;
        serde_json::from_str(&json).map_err(|_| DeviceError::NoPlan)
    }

    // ------------------------------------------------------------ patrols

    /// The open patrol run, if any.
    pub fn open_patrol(&self) -> Result<Option<PatrolRunView>, DeviceError> {
        let Some(id) = store::meta_get(self.store.conn(), "open_patrol")? else {
            return Ok(None);
        };
        let id: PatrolRunId = id.parse().map_err(|_| DeviceError::NoOpenPatrol)?;
        let (_, doc) =
            store::load_doc(self.store.conn(), id.into())?.ok_or(DeviceError::NoOpenPatrol)?;
        Ok(Some(doc::patrol(&doc)?))
    }

    /// Starts a patrol of `route_code`.
    pub fn patrol_start(
        &mut self,
        route_code: &str,
        now: DateTime<Utc>,
    ) -> Result<PatrolRunView, DeviceError> {
        let session = self.session()?;
        if !matches!(session.user.role, Role::Inspector | Role::Manager) {
            return Err(DeviceError::NotAPatroller(session.user.role.code()));
        }
        if let Some(open) = self.open_patrol()? {
            return Err(DeviceError::PatrolOpen(open.run.route_code.to_string()));
        }
        let plan = self.plan()?;
        let route = plan
            .route_by_code(route_code.trim())
            .ok_or_else(|| DeviceError::UnknownRoute(route_code.to_string()))?;
        let run = PatrolRun {
            id: PatrolRunId::new(),
            site: session.site,
            route: route.id,
            route_code: route.code.clone(),
            inspector: session.user.id,
            inspector_name: session.user.name.to_string(),
            device: session.device,
            started_at: now,
            checklists: route
                .checkpoints
                .iter()
                .filter_map(|id| plan.checkpoint(*id))
                .map(|cp| PinnedChecklist {
                    checkpoint: cp.id,
                    template: cp.template,
                    version: cp.template_version,
                })
                .collect(),
        };
        let mut d = doc::new_patrol(doc::actor(session.actor), &run)?;
        let view = doc::patrol(&d)?;
        self.store.tx(|tx| {
            store::insert_doc(tx, run.id.into(), DocKind::Patrol, &mut d, true)?;
            store::project_patrol(tx, &view)?;
            store::meta_set(tx, "open_patrol", &run.id.to_string())?;
            Ok(())
        })?;
        Ok(view)
    }

    /// The checkpoint `point_code` of the open patrol's route and the checklist
    /// the run pinned for it when it started (the plan's current one for runs
    /// started before pinning existed).
    fn patrol_point<'p>(
        plan: &'p SitePlan,
        open: &PatrolRunView,
        point_code: &str,
    ) -> Result<(&'p Checkpoint, &'p ChecklistTemplate, usize), DeviceError> {
        let cp = plan
            .checkpoint_by_code(point_code)
            .ok_or_else(|| DeviceError::UnknownCheckpoint(point_code.to_string()))?;
        // The run walks the checkpoints it pinned when it started.
        let due = open.run.due_checkpoints(plan);
        if due.is_empty() {
            return Err(DeviceError::UnknownRoute(open.run.route_code.to_string()));
        }
        if !due.contains(&cp.id) {
            return Err(DeviceError::NotOnRoute {
                checkpoint: point_code.to_string(),
            });
        }
        let (template, version) = open
            .run
            .pinned(cp.id)
            .unwrap_or((cp.template, cp.template_version));
        let template = plan.template(template, version).ok_or_else(|| {
            DeviceError::Damaged(format!("checkpoint {point_code} has no checklist"))
        })?;
        Ok((cp, template, due.len()))
    }

    /// Confirms arrival at a checkpoint of the open patrol by its point code and
    /// returns the checklist to answer there. The arrival time is kept for the
    /// result's dwell time.
    pub fn patrol_arrive(
        &mut self,
        point_code: &str,
        now: DateTime<Utc>,
    ) -> Result<ChecklistTemplate, DeviceError> {
        let plan = self.plan()?;
        let open = self.open_patrol()?.ok_or(DeviceError::NoOpenPatrol)?;
        let (cp, template, _) = Self::patrol_point(&plan, &open, point_code.trim())?;
        let arrival = format!("{}\t{}", cp.code, now.to_rfc3339());
        self.store
            .tx(|tx| Ok(store::meta_set(tx, "arrival", &arrival)?))?;
        Ok(template.clone())
    }

    /// When the inspector confirmed `code` on arrival, if that was the last arrival.
    fn arrival(&self, code: &str) -> Result<Option<DateTime<Utc>>, DeviceError> {
        let Some(v) = store::meta_get(self.store.conn(), "arrival")? else {
            return Ok(None);
        };
        Ok(v.split_once('\t')
            .filter(|(c, _)| *c == code)
            .and_then(|(_, t)| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    /// Records the result of one checkpoint of the open patrol. Every checklist item must be answered.
    pub fn patrol_check(
        &mut self,
        point_code: &str,
        answers: &[(String, Answer)],
        now: DateTime<Utc>,
    ) -> Result<CheckOutcome, DeviceError> {
        let session = self.session()?;
        let plan = self.plan()?;
        let open = self.open_patrol()?.ok_or(DeviceError::NoOpenPatrol)?;
        let point_code = point_code.trim();
        let (cp, template, route_len) = Self::patrol_point(&plan, &open, point_code)?;
        for (item, _) in answers {
            if !template.items.iter().any(|i| i.code.as_str() == item) {
                return Err(DeviceError::UnknownItem {
                    checkpoint: point_code.to_string(),
                    item: item.clone(),
                });
            }
        }
        let mut items = Vec::with_capacity(template.items.len());
        for item in &template.items {
            let answer = answers
                .iter()
                .rev()
                .find(|(code, _)| code == item.code.as_str())
                .map(|(_, a)| *a)
                .ok_or_else(|| DeviceError::MissingItem {
                    checkpoint: point_code.to_string(),
                    item: item.code.to_string(),
                })?;
            items.push(ItemResult {
                item: item.code.clone(),
                answer,
                outcome: patrol::evaluate(item, answer)?,
            });
        }
        let result = CheckpointResult {
            id: ResultId::new(),
            checkpoint: cp.id,
            checkpoint_code: cp.code.clone(),
            template: template.id,
            template_version: template.version,
            items,
            presence: Presence::CodeEntered {
                code: point_code.to_string(),
                method: EntryMethod::Typed,
                arrived_at: self.arrival(cp.code.as_str())?.filter(|a| *a <= now),
            },
            by: session.user.id,
            checked_at: now,
        };
        let id: DocId = open.run.id.into();
        let view = self.store.tx(|tx| {
            let (_, mut d) = store::load_doc(tx, id)?.ok_or(DeviceError::NoOpenPatrol)?;
            d.set_actor(doc::actor(session.actor));
            let before = d.get_heads();
            doc::append_result(&mut d, &result)?;
            store::append_doc(tx, id, &mut d, &before, true)?;
            let view = doc::patrol(&d)?;
            store::project_patrol(tx, &view)?;
            store::meta_delete(tx, "arrival")?;
            Ok(view)
        })?;
        let checked: std::collections::HashSet<_> =
            view.results.iter().map(|r| r.checkpoint).collect();
        Ok(CheckOutcome {
            checkpoint: point_code.to_string(),
            passed: result
                .items
                .iter()
                .filter(|i| i.outcome == patrol::Outcome::Pass)
                .count(),
            failed: result.failed_items().map(|i| i.item.to_string()).collect(),
            not_applicable: result
                .items
                .iter()
                .filter(|i| i.outcome == patrol::Outcome::Na)
                .count(),
            checked: checked.len(),
            route_len,
        })
    }

    /// Finishes the open patrol.
    pub fn patrol_finish(&mut self, now: DateTime<Utc>) -> Result<PatrolRunView, DeviceError> {
        let session = self.session()?;
        let open = self.open_patrol()?.ok_or(DeviceError::NoOpenPatrol)?;
        let id: DocId = open.run.id.into();
        self.store.tx(|tx| {
            let (_, mut d) = store::load_doc(tx, id)?.ok_or(DeviceError::NoOpenPatrol)?;
            d.set_actor(doc::actor(session.actor));
            let before = d.get_heads();
            doc::finish_patrol(&mut d, now)?;
            store::append_doc(tx, id, &mut d, &before, true)?;
            let view = doc::patrol(&d)?;
            store::project_patrol(tx, &view)?;
            store::meta_delete(tx, "open_patrol")?;
            Ok(view)
        })
    }

    // ------------------------------------------------------------ issues

    /// Raises a new issue at a checkpoint; returns its id.
    pub fn raise_issue(
        &mut self,
        input: RaiseInput,
        now: DateTime<Utc>,
    ) -> Result<IssueId, DeviceError> {
        let session = self.session()?;
        if !shared::policy::may_raise(session.user.role, false) {
            return Err(shared::issue::FoldRefusal {
                code: "role_forbidden",
                reason: format!("role {} may not raise an issue", session.user.role.code()),
            }
            .into());
        }
        let plan = self.plan()?;
        let cp = plan
            .checkpoint_by_code(input.checkpoint.trim())
            .ok_or_else(|| DeviceError::UnknownCheckpoint(input.checkpoint.clone()))?;
        let item = match &input.item {
            Some(item) => {
                let template = plan.template(cp.template, cp.template_version);
                if !template.is_some_and(|t| t.items.iter().any(|i| i.code.as_str() == item.trim()))
                {
                    return Err(DeviceError::UnknownItem {
                        checkpoint: cp.code.to_string(),
                        item: item.clone(),
                    });
                }
                Some(Code::parse("item", item)?)
            }
            None => None,
        };
        let patrol = self
            .open_patrol()?
            .filter(|p| {
                plan.routes
                    .iter()
                    .any(|r| r.id == p.run.route && r.checkpoints.contains(&cp.id))
            })
            .map(|p| p.run.id);
        let body = EventBody::Raise {
            site: session.site,
            zone: Some(cp.zone),
            checkpoint: Some(cp.id),
            checkpoint_code: Some(cp.code.clone()),
            item,
            patrol,
            category: input.category,
            grade: input.grade,
            title: text::required("title", &input.title, text::TITLE_MAX)?,
            description: text::bounded("description", &input.description, text::NOTE_MAX)?,
            photos: input.photos,
            deadline: Some(plan.site.deadlines.default_deadline(input.grade, now)),
            complaint: None,
        };
        self.create_issue(body, None, now)
    }

    /// Enters a resident's complaint (customer service); returns its id.
    pub fn raise_complaint(
        &mut self,
        input: &shared::app::ComplaintRequest,
        now: DateTime<Utc>,
    ) -> Result<IssueId, DeviceError> {
        let session = self.session()?;
        if !shared::policy::may_raise(session.user.role, true) {
            return Err(shared::issue::FoldRefusal {
                code: "role_forbidden",
                reason: format!("role {} may not enter complaints", session.user.role.code()),
            }
            .into());
        }
        let (body, contact) = input
            .raise_body(&self.plan()?, now)
            .map_err(DeviceError::Refusal)?;
        self.create_issue(body, Some(&contact), now)
    }

    /// Writes a new issue document holding its raise event, and a complaint's
    /// full contact beside it (the document carries it masked).
    fn create_issue(
        &mut self,
        body: EventBody,
        contact: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<IssueId, DeviceError> {
        let session = self.session()?;
        let id = IssueId::new();
        let raise = IssueEvent {
            id: EventId::new(),
            lamport: 1,
            by: session.user.id,
            by_name: session.user.name.to_string(),
            role: session.user.role,
            device: session.device,
            at: now,
            base: None,
            body,
        };
        let mut d = doc::new_issue(doc::actor(session.actor), id, session.site, &raise)?;
        let photos = match &raise.body {
            EventBody::Raise { photos, .. } => photos.clone(),
            _ => unreachable!("built as a raise"),
        };
        let event = raise.id;
        let view = issue::fold(id, [raise])?;
        self.store.tx(|tx| {
            crate::photos::attach(tx, &photos, id, event, PhotoRole::Before)?;
            store::insert_doc(tx, id.into(), DocKind::Issue, &mut d, true)?;
            store::project_issue(tx, &view)?;
            if let Some(contact) = contact {
                tx.execute(
                    "INSERT INTO contacts (issue, contact) VALUES (?1, ?2)",
                    rusqlite::params![id.as_uuid().as_bytes(), contact],
                )?;
            }
            Ok(())
        })?;
        Ok(id)
    }

    /// The folded state of one issue.
    pub fn issue(&self, id: IssueId) -> Result<IssueView, DeviceError> {
        let (_, d) = store::load_doc(self.store.conn(), id.into())?
            .ok_or_else(|| DeviceError::UnknownIssue(id.to_string()))?;
        Ok(issue::fold(id, doc::issue_events(&d)?)?)
    }

    /// Finds an issue by its full id or a unique prefix of it.
    pub fn resolve_issue(&self, id: &str) -> Result<IssueId, DeviceError> {
        if let Ok(id) = id.parse::<IssueId>() {
            return Ok(id);
        }
        let prefix = id.trim().to_ascii_lowercase();
        if prefix.len() < 4 {
            return Err(DeviceError::UnknownIssue(id.to_string()));
        }
        let matches: Vec<IssueId> = self
            .issues(&IssueFilter::default())?
            .into_iter()
            .map(|s| s.id)
            .filter(|i| i.to_string().starts_with(&prefix))
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            _ => Err(DeviceError::UnknownIssue(id.to_string())),
        }
    }

    /// Appends a workflow event to an issue. With `checked`, the role policy and
    /// workflow are checked first and a forbidden change is refused here; without
    /// it the event is written as is (the fold and the server still judge it).
    pub fn issue_event(
        &mut self,
        id: IssueId,
        body: EventBody,
        checked: bool,
        now: DateTime<Utc>,
    ) -> Result<IssueView, DeviceError> {
        let session = self.session()?;
        let doc_id: DocId = id.into();
        self.store.tx(|tx| {
            let (_, mut d) = store::load_doc(tx, doc_id)?
                .ok_or_else(|| DeviceError::UnknownIssue(id.to_string()))?;
            d.set_actor(doc::actor(session.actor));
            let view = issue::fold(id, doc::issue_events(&d)?)?;
            if checked {
                view.check(session.user.id, session.user.role, body.kind())?;
            }
            let event = IssueEvent {
                id: EventId::new(),
                lamport: view.next_lamport(),
                by: session.user.id,
                by_name: session.user.name.to_string(),
                role: session.user.role,
                device: session.device,
                at: now,
                base: Some(view.base()),
                body,
            };
            if let EventBody::Rectify { photos, .. } = &event.body {
                crate::photos::attach(tx, photos, id, event.id, PhotoRole::After)?;
            }
            write_event(tx, doc_id, &mut d, id, &event)
        })
    }

    /// The issue list from the projection, newest first.
    pub fn issues(&self, filter: &IssueFilter) -> Result<Vec<IssueSummary>, DeviceError> {
        store::list_issues(self.store.conn(), filter)
    }

    /// Low-level access for support tools and tests: change a stored document by
    /// hand (bypassing every local check) and queue it for sync.
    pub fn edit_doc_unchecked(
        &mut self,
        id: DocId,
        f: impl FnOnce(&mut AutoCommit) -> Result<(), shared::doc::DocError>,
    ) -> Result<(), DeviceError> {
        let actor = self.actor()?;
        self.store.tx(|tx| {
            let (kind, mut d) = store::load_doc(tx, id)?
                .ok_or_else(|| DeviceError::Damaged(format!("no document {id}")))?;
            d.set_actor(doc::actor(actor));
            let before = d.get_heads();
            f(&mut d)?;
            store::append_doc(tx, id, &mut d, &before, true)?;
            store::project(tx, kind, &d)?;
            Ok(())
        })
    }

    /// Server receipt time of an event or result, once synced.
    pub fn receipt(&self, entry: uuid::Uuid) -> Result<Option<DateTime<Utc>>, DeviceError> {
        use rusqlite::OptionalExtension;
        let ms: Option<i64> = self
            .store
            .conn()
            .query_row(
                "SELECT received_at_ms FROM receipts WHERE entry = ?1",
                [entry.as_bytes()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(ms.and_then(DateTime::from_timestamp_millis))
    }
}

fn write_event(
    tx: &Transaction<'_>,
    doc_id: DocId,
    d: &mut AutoCommit,
    id: IssueId,
    event: &IssueEvent,
) -> Result<IssueView, DeviceError> {
    let before = d.get_heads();
    doc::append_event(d, event)?;
    store::append_doc(tx, doc_id, d, &before, true)?;
    let view = issue::fold(id, doc::issue_events(d)?)?;
    store::project_issue(tx, &view)?;
    Ok(view)
}
