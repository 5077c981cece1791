//! Sites, users, passwords (argon2), device tokens, and the plan document that
//! tells devices who and what a site has.

use crate::error::StoreError;
use crate::store::{DeviceRecord, Membership, Txn, UserRecord};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use automerge::AutoCommit;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use shared::codes::{Department, Role};
use shared::doc;
use shared::ids::*;
use shared::plan::{Site, SitePlan, UserInfo};
use shared::text::Code;
use shared::wire::DocKind;

/// Why an account operation failed, in words for the admin.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("there is no site `{0}`")]
    UnknownSite(String),
    #[error("there is no user `{0}`")]
    UnknownUser(String),
    #[error("a site with code `{0}` already exists")]
    SiteExists(String),
    #[error("a user named `{0}` already exists")]
    UserExists(String),
    #[error("{en}")]
    Invalid { en: String, zh: String },
    #[error("you hold no role at site `{0}`")]
    NotMember(String),
    #[error("{} bad row(s), nothing imported:\n{}", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Rows(Vec<crate::plan_csv::LineError>),
}

impl AccountError {
    /// A refused input, with its sentence in both languages.
    pub fn invalid(en: impl Into<String>, zh: impl Into<String>) -> Self {
        AccountError::Invalid {
            en: en.into(),
            zh: zh.into(),
        }
    }
    /// A refusal from the domain, which says itself in both languages.
    pub fn said(e: &impl shared::text::Bilingual) -> Self {
        Self::invalid(e.to_string(), e.zh())
    }
}

pub fn hash_password(password: &str) -> String {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes make a salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// SHA-256 of a bearer token; only the hash is stored.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh random token (256 bits, hex).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn user_info(u: &UserRecord) -> UserInfo {
    UserInfo {
        id: u.id,
        name: Code::parse("user name", &u.name)
            .unwrap_or_else(|_| Code::parse("user name", "unknown").expect("code")),
        display_name: u.display_name.clone(),
        role: u.role,
        department: u.department,
        active: u.active,
    }
}

/// The site's plan document, or an empty plan for a new site.
pub fn load_plan(
    txn: &mut dyn Txn,
    site: &Site,
) -> Result<(Option<AutoCommit>, SitePlan), AccountError> {
    match txn.doc(site.id.into())? {
        Some(stored) => {
            let d =
                AutoCommit::load(&stored.bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let mut plan = doc::plan(&d).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            // The site row is the authority on the site's identity and settings.
            plan.site = site.clone();
            Ok((Some(d), plan))
        }
        None => Ok((None, SitePlan::empty(site.clone()))),
    }
}

/// Writes a plan (validated) into the site's plan document, with the current users.
pub fn store_plan(
    txn: &mut dyn Txn,
    mut plan: SitePlan,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    plan.users = txn
        .users_of_site(plan.site.id)?
        .iter()
        .map(user_info)
        .collect();
    plan.validate().map_err(|e| AccountError::said(&e))?;
    let unsaved = |e: doc::DocError| {
        AccountError::invalid(
            e.to_string(),
            "站点计划无法保存：服务器上的计划文档有误，请联系系统管理员",
        )
    };
    let actor = doc::actor(txn.server_actor()?);
    let (mut existing, _) = load_plan(txn, &plan.site)?;
    let before = existing.as_mut().map(|d| d.get_heads());
    let mut d = match existing {
        Some(d) => {
            let mut d = d.with_actor(actor);
            doc::write_plan(&mut d, &plan).map_err(unsaved)?;
            d
        }
        None => doc::new_plan(actor, &plan).map_err(unsaved)?,
    };
    let changed = before.as_deref() != Some(&d.get_heads()[..]);
    crate::sync::save(txn, plan.site.id.into(), DocKind::Plan, &mut d, None, now)?;
    if changed {
        let by = txn.acting();
        crate::ledger::record_plan(txn, &plan, &by, now)?;
    }
    Ok(())
}

/// Enters a change of `user` (as seen at `site`) in that site's ledger.
fn ledger_user(
    txn: &mut dyn Txn,
    site: SiteId,
    user: &UserRecord,
    what: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let by = txn.acting();
    crate::ledger::record_user(txn, site, user, what, &by, now)
}

fn refresh_plan_users(
    txn: &mut dyn Txn,
    site: SiteId,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let site = txn
        .site(site)?
        .ok_or_else(|| AccountError::UnknownSite(site.to_string()))?;
    let (_, plan) = load_plan(txn, &site)?;
    store_plan(txn, plan, now)
}

/// Adds a site with the default deadline rules (Asia/Shanghai; 3 and 30 days).
pub fn add_site(
    txn: &mut dyn Txn,
    code: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Site, AccountError> {
    add_site_with(txn, code, name, Default::default(), now)
}

/// Adds a site with its own deadline rules.
pub fn add_site_with(
    txn: &mut dyn Txn,
    code: &str,
    name: &str,
    deadlines: shared::deadline::DeadlinePolicy,
    now: DateTime<Utc>,
) -> Result<Site, AccountError> {
    if !(-14 * 60..=14 * 60).contains(&deadlines.utc_offset_minutes) {
        return Err(AccountError::invalid(
            "the UTC offset must be within ±14 hours",
            "时区偏移须在 ±14 小时以内",
        ));
    }
    let code = Code::parse("site code", code).map_err(|e| AccountError::said(&e))?;
    if txn.site_by_code(code.as_str())?.is_some() {
        return Err(AccountError::SiteExists(code.to_string()));
    }
    let site = Site {
        id: SiteId::new(),
        code,
        name: shared::text::required("site name", name, shared::text::NAME_MAX)
            .map_err(|e| AccountError::said(&e))?,
        deadlines,
        keep_originals: false,
        repeat_window_days: 30,
        complaint_sla: Default::default(),
        departments: Vec::new(),
        csi_weights: Vec::new(),
    };
    txn.insert_site(&site)?;
    let (_, plan) = load_plan(txn, &site)?;
    store_plan(txn, plan, now)?;
    Ok(site)
}

/// Sets whether devices keep camera originals for a site; the change reaches devices with the plan.
pub fn set_keep_originals(
    txn: &mut dyn Txn,
    code: &str,
    keep: bool,
    now: DateTime<Utc>,
) -> Result<Site, AccountError> {
    update_site(txn, code, now, |s| s.keep_originals = keep)
}

/// Changes a site's settings; devices receive them with the plan.
pub fn update_site(
    txn: &mut dyn Txn,
    code: &str,
    now: DateTime<Utc>,
    change: impl FnOnce(&mut Site),
) -> Result<Site, AccountError> {
    let mut site = site(txn, code)?;
    change(&mut site);
    txn.update_site(&site)?;
    let (_, mut plan) = load_plan(txn, &site)?;
    plan.site = site.clone();
    store_plan(txn, plan, now)?;
    Ok(site)
}

/// The site with `code`.
pub fn site(txn: &mut dyn Txn, code: &str) -> Result<Site, AccountError> {
    txn.site_by_code(code.trim())?
        .ok_or_else(|| AccountError::UnknownSite(code.to_string()))
}

/// The CSV files of one import; any may be left out.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvFiles<'a> {
    pub checklists: Option<&'a str>,
    pub checkpoints: Option<&'a str>,
    /// Complaint service levels (`sla.csv`).
    pub sla: Option<&'a str>,
}

/// Imports checklists, checkpoints and complaint service levels from CSV
/// into a site in this transaction; on any bad row of any file nothing
/// changes, and every bad row of every file is reported (see `plan_csv`).
pub fn import_csv(
    txn: &mut dyn Txn,
    site_code: &str,
    files: CsvFiles<'_>,
    now: DateTime<Utc>,
) -> Result<crate::plan_csv::ImportReport, AccountError> {
    let mut site = site(txn, site_code)?;
    let (_, mut plan) = load_plan(txn, &site)?;
    let planned = crate::plan_csv::import(&mut plan, files.checklists, files.checkpoints);
    let sla = files.sla.map(crate::plan_csv::read_sla).transpose();
    let (mut report, sla) = match (planned, sla) {
        (Ok(r), Ok(s)) => (r, s),
        (a, b) => {
            let mut rows = a.err().unwrap_or_default();
            rows.extend(b.err().unwrap_or_default());
            return Err(AccountError::Rows(rows));
        }
    };
    if let Some(rules) = sla {
        site.complaint_sla
            .set(&rules)
            .map_err(|m| AccountError::invalid(m, ""))?;
        txn.update_site(&site)?;
        plan.site = site;
        report.sla_cells = rules.len();
    }
    store_plan(txn, plan, now)?;
    Ok(report)
}

/// Changes a site's settings (each checked first); devices receive them with the plan.
pub fn apply_settings(
    txn: &mut dyn Txn,
    code: &str,
    settings: &shared::wire::SiteSettings,
    now: DateTime<Utc>,
) -> Result<Site, AccountError> {
    let mut checked = site(txn, code)?;
    settings
        .apply(&mut checked)
        .map_err(|m| AccountError::invalid(m, ""))?;
    update_site(txn, code, now, |s| *s = checked)
}

pub use shared::wire::Reordered;

/// Orders a route's checkpoints for a short walk by their floor-plan
/// coordinates (see `shared::walk`); devices receive the new order with the plan.
pub fn order_route(
    txn: &mut dyn Txn,
    site_code: &str,
    route_code: &str,
    now: DateTime<Utc>,
) -> Result<Reordered, AccountError> {
    let site = site(txn, site_code)?;
    let (_, mut plan) = load_plan(txn, &site)?;
    let route = plan
        .routes
        .iter()
        .position(|r| r.code.as_str() == route_code.trim())
        .ok_or_else(|| {
            AccountError::invalid(
                format!("site {} has no route `{route_code}`", site.code),
                format!("项目 {} 没有路线“{route_code}”：请从列表中选择", site.code),
            )
        })?;
    let items: Vec<(shared::CheckpointId, Option<(f64, f64)>)> = plan.routes[route]
        .checkpoints
        .iter()
        .map(|id| (*id, plan.checkpoint(*id).and_then(|c| c.plan_xy)))
        .collect();
    let walk_len = |ids: &[shared::CheckpointId]| {
        let pts: Vec<(f64, f64)> = ids
            .iter()
            .filter_map(|id| plan.checkpoint(*id).and_then(|c| c.plan_xy))
            .collect();
        let order: Vec<usize> = (0..pts.len()).collect();
        shared::walk::length(&pts, &order)
    };
    let new_order = shared::walk::order_items(&items);
    let before = walk_len(&plan.routes[route].checkpoints);
    let after = walk_len(&new_order);
    let order = new_order
        .iter()
        .filter_map(|id| plan.checkpoint(*id).map(|c| c.code.to_string()))
        .collect();
    plan.routes[route].checkpoints = new_order;
    store_plan(txn, plan, now)?;
    Ok(Reordered {
        before,
        after,
        order,
    })
}

pub struct NewUser<'a> {
    pub name: &'a str,
    pub display_name: Option<&'a str>,
    pub role: Role,
    pub site: &'a str,
    pub password: &'a str,
    pub department: Option<Department>,
}

pub fn add_user(
    txn: &mut dyn Txn,
    u: NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<UserRecord, AccountError> {
    let name = Code::parse("user name", u.name).map_err(|e| AccountError::said(&e))?;
    if u.password.chars().count() < 8 {
        return Err(AccountError::invalid(
            "a password needs at least 8 characters",
            "密码至少 8 个字符",
        ));
    }
    if txn.user_by_name(name.as_str())?.is_some() {
        return Err(AccountError::UserExists(name.to_string()));
    }
    let site = txn
        .site_by_code(u.site)?
        .ok_or_else(|| AccountError::UnknownSite(u.site.into()))?;
    if u.role == Role::FieldStaff && u.department.is_none() {
        return Err(AccountError::invalid(
            "field staff need a department",
            "现场人员要选所属部门",
        ));
    }
    let rec = UserRecord {
        id: UserId::new(),
        site: site.id,
        name: name.to_string(),
        display_name: u.display_name.unwrap_or(name.as_str()).to_string(),
        role: u.role,
        department: u.department,
        password_hash: hash_password(u.password),
        active: true,
    };
    txn.upsert_user(&rec)?;
    ledger_user(txn, site.id, &rec, "add_user", now)?;
    refresh_plan_users(txn, site.id, now)?;
    Ok(rec)
}

/// Disables a user and revokes all their tokens.
pub fn disable_user(
    txn: &mut dyn Txn,
    name: &str,
    now: DateTime<Utc>,
) -> Result<usize, AccountError> {
    let mut u = txn
        .user_by_name(name)?
        .ok_or_else(|| AccountError::UnknownUser(name.into()))?;
    u.active = false;
    txn.upsert_user(&u)?;
    ledger_user(txn, u.site, &u, "disable", now)?;
    let revoked = txn.revoke_user_devices(u.id)?;
    refresh_sites_of(txn, &u, now)?;
    Ok(revoked)
}

/// Enables a disabled user again (they log in afresh).
pub fn enable_user(txn: &mut dyn Txn, name: &str, now: DateTime<Utc>) -> Result<(), AccountError> {
    let mut u = txn
        .user_by_name(name)?
        .ok_or_else(|| AccountError::UnknownUser(name.into()))?;
    u.active = true;
    txn.upsert_user(&u)?;
    ledger_user(txn, u.site, &u, "enable", now)?;
    refresh_sites_of(txn, &u, now)
}

/// Refreshes the people of every plan the user appears in.
fn refresh_sites_of(
    txn: &mut dyn Txn,
    u: &UserRecord,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    refresh_plan_users(txn, u.site, now)?;
    for m in txn.memberships(u.id)? {
        refresh_plan_users(txn, m.site, now)?;
    }
    Ok(())
}

/// Every site a user holds a role at, the home site first (then by code),
/// each with the user as seen there.
pub fn sites_of(
    txn: &mut dyn Txn,
    user: &UserRecord,
) -> Result<Vec<(Site, UserRecord)>, StoreError> {
    let home = txn
        .site(user.site)?
        .ok_or_else(|| StoreError::Corrupt(format!("user {} has no site", user.name)))?;
    let mut out = vec![(home, user.clone())];
    for m in txn.memberships(user.id)? {
        if let Some(site) = txn.site(m.site)? {
            out.push((site, user.at(&m)));
        }
    }
    Ok(out)
}

/// The sites of [`sites_of`] as the API lists them.
pub fn site_roles(sites: &[(Site, UserRecord)]) -> Vec<shared::wire::SiteRole> {
    sites
        .iter()
        .map(|(site, at)| shared::wire::SiteRole {
            code: site.code.to_string(),
            name: site.name.clone(),
            role: at.role,
        })
        .collect()
}

/// Makes a login work at the user's site with `code` (their home site or one
/// they hold a role at); returns the site and the user as seen there. A
/// device's token then reaches that site alone.
pub fn choose_site(
    txn: &mut dyn Txn,
    device: DeviceId,
    user: &UserRecord,
    code: &str,
) -> Result<(Site, UserRecord), AccountError> {
    let code = code.trim();
    let Some((site, at)) = sites_of(txn, user)?
        .into_iter()
        .find(|(s, _)| s.code.as_str() == code)
    else {
        return Err(AccountError::NotMember(code.chars().take(64).collect()));
    };
    txn.set_device_site(device, (site.id != user.site).then_some(site.id))?;
    Ok((site, at))
}

/// Grants `user_name` a role at another site (or changes it there). Their
/// home site's role is changed on the user, not here.
pub fn grant_site(
    txn: &mut dyn Txn,
    user_name: &str,
    site_code: &str,
    role: Role,
    department: Option<Department>,
    now: DateTime<Utc>,
) -> Result<Membership, AccountError> {
    let u = txn
        .user_by_name(user_name.trim())?
        .ok_or_else(|| AccountError::UnknownUser(user_name.into()))?;
    let site = site(txn, site_code)?;
    if site.id == u.site {
        return Err(AccountError::invalid(
            format!(
                "{} is the home site of {}; their role there is the user's own",
                site.code, u.name
            ),
            format!(
                "{} 是 {} 的所属项目，其角色在用户本身上修改",
                site.code, u.name
            ),
        ));
    }
    if role == Role::FieldStaff && department.is_none() {
        return Err(AccountError::invalid(
            "field staff need a department",
            "现场人员要选所属部门",
        ));
    }
    let m = Membership {
        user: u.id,
        site: site.id,
        role,
        department,
    };
    txn.set_membership(&m)?;
    ledger_user(txn, site.id, &u.at(&m), "grant", now)?;
    refresh_plan_users(txn, site.id, now)?;
    Ok(m)
}

/// Takes away a user's role at another site. Their logins working there are
/// revoked (a device holding that site's records signs in again).
pub fn revoke_site(
    txn: &mut dyn Txn,
    user_name: &str,
    site_code: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let u = txn
        .user_by_name(user_name.trim())?
        .ok_or_else(|| AccountError::UnknownUser(user_name.into()))?;
    let site = site(txn, site_code)?;
    let Some(m) = txn
        .memberships(u.id)?
        .into_iter()
        .find(|m| m.site == site.id)
    else {
        return Err(AccountError::NotMember(site.code.to_string()));
    };
    txn.remove_membership(u.id, site.id)?;
    ledger_user(txn, site.id, &u.at(&m), "ungrant", now)?;
    for d in txn.devices_of_user(u.id)? {
        if txn.device_site(d.id)? == Some(site.id) {
            txn.revoke_device(d.id)?;
            txn.set_device_site(d.id, None)?;
        }
    }
    refresh_plan_users(txn, site.id, now)
}

/// Sets a new password and revokes every login made with the old one.
pub fn set_password(txn: &mut dyn Txn, name: &str, password: &str) -> Result<(), AccountError> {
    if password.chars().count() < 8 {
        return Err(AccountError::invalid(
            "a password needs at least 8 characters",
            "密码至少 8 个字符",
        ));
    }
    let mut u = txn
        .user_by_name(name)?
        .ok_or_else(|| AccountError::UnknownUser(name.into()))?;
    u.password_hash = hash_password(password);
    txn.upsert_user(&u)?;
    ledger_user(txn, u.site, &u, "password", Utc::now())?;
    txn.revoke_user_devices(u.id)?;
    Ok(())
}

/// Revokes every token of a user (a lost device).
pub fn revoke_tokens(txn: &mut dyn Txn, name: &str) -> Result<usize, AccountError> {
    let u = txn
        .user_by_name(name)?
        .ok_or_else(|| AccountError::UnknownUser(name.into()))?;
    Ok(txn.revoke_user_devices(u.id)?)
}

/// Checks a password against a user found by name (`None`: no such user).
/// Always spends one password check, for unknown and disabled users too, so
/// neither can be told apart from a wrong password by timing.
pub fn check_password(user: Option<&UserRecord>, password: &str) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match user {
        Some(u) => {
            let ok = verify_password(password, &u.password_hash);
            ok && u.active
        }
        None => {
            verify_password(
                password,
                DUMMY.get_or_init(|| hash_password("not a real password")),
            );
            false
        }
    }
}

/// Why a checked login still gets no token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefusal {
    /// The Automerge actor is already bound to another user (or is the server's).
    ActorTaken,
}

/// Issues a token bound to `actor` for a user whose password was checked.
///
/// An actor belongs to the first user who logged in with it, for good: every
/// change it ever made is attributed through that binding, so another user may
/// not claim it. The same user logging in again with the same actor (a new
/// token after a revoked or expired one) renews that login, keeping its device
/// id, so events written offline under it stay valid. Past
/// [`shared::limits::DEVICES_PER_USER`] live logins the oldest is revoked.
pub fn issue_token(
    txn: &mut dyn Txn,
    user: &UserRecord,
    actor: [u8; 16],
    device_name: &str,
    now: DateTime<Utc>,
) -> Result<Result<(String, DeviceRecord, Site), LoginRefusal>, StoreError> {
    if actor == txn.server_actor()? {
        return Ok(Err(LoginRefusal::ActorTaken));
    }
    let bound = txn.devices_of_actor(&actor)?;
    if bound.iter().any(|d| d.user != user.id) {
        return Ok(Err(LoginRefusal::ActorTaken));
    }
    let site = txn
        .site(user.site)?
        .ok_or_else(|| StoreError::Corrupt(format!("user {} has no site", user.name)))?;
    let token = new_token();
    let name: String = device_name.chars().take(100).collect();
    let device = match bound.into_iter().next() {
        Some(mut d) => {
            d.token_hash = token_hash(&token);
            d.name = name;
            d.created_at = now;
            d.revoked = false;
            txn.renew_device(&d)?;
            d
        }
        None => {
            let d = DeviceRecord {
                id: DeviceId::new(),
                user: user.id,
                actor,
                token_hash: token_hash(&token),
                name,
                created_at: now,
                revoked: false,
            };
            txn.insert_device(&d)?;
            d
        }
    };
    // A login starts at the user's home site; `choose_site` moves it.
    txn.set_device_site(device.id, None)?;
    let live: Vec<DeviceRecord> = txn
        .devices_of_user(user.id)?
        .into_iter()
        .filter(|d| !d.revoked && d.id != device.id)
        .collect();
    let keep = shared::limits::DEVICES_PER_USER.saturating_sub(1);
    for old in live.iter().take(live.len().saturating_sub(keep)) {
        txn.revoke_device(old.id)?;
    }
    Ok(Ok((token, device, site)))
}

/// Checks a password and issues a token bound to `actor` (the whole login in
/// one transaction; the server's handler splits it so the password check runs
/// outside any transaction).
pub fn login(
    txn: &mut dyn Txn,
    name: &str,
    password: &str,
    actor: [u8; 16],
    device_name: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, DeviceRecord, UserRecord, Site)>, StoreError> {
    let user = txn.user_by_name(name.trim())?;
    if !check_password(user.as_ref(), password) {
        return Ok(None);
    }
    let user = user.expect("checked");
    Ok(issue_token(txn, &user, actor, device_name, now)?
        .ok()
        .map(|(token, device, site)| (token, device, user, site)))
}

/// Whether a login issued at `created_at` has expired at `now`.
pub fn expired(created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - created_at > chrono::Duration::days(shared::limits::TOKEN_DAYS)
}

/// The device and user behind a bearer token, if it is live and not expired;
/// the user as seen at the site the login works at ([`choose_site`]).
pub fn authenticate(
    txn: &mut dyn Txn,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(DeviceRecord, UserRecord)>, StoreError> {
    let Some((device, user, site)) = txn.login_by_token(&token_hash(token))? else {
        return Ok(None);
    };
    if device.revoked || expired(device.created_at, now) || !user.active {
        return Ok(None);
    }
    let at = match site {
        None => user,
        Some(site) if site == user.site => user,
        // A login working at another site holds only while the role there does.
        Some(site) => match txn.memberships(user.id)?.iter().find(|m| m.site == site) {
            Some(m) => user.at(m),
            None => return Ok(None),
        },
    };
    Ok(Some((device, at)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn a_route_is_reordered_for_a_shorter_walk_and_keeps_its_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::sqlite::SqliteStore::open(dir.path()).unwrap();
        let mut txn = store.begin().unwrap();
        crate::seed::seed(&mut *txn, Utc::now()).unwrap();
        let site = txn.site_by_code("DEMO").unwrap().unwrap();
        let (_, mut plan) = load_plan(&mut *txn, &site).unwrap();
        // Scramble R1 so there is something to gain.
        let r1 = plan
            .routes
            .iter_mut()
            .find(|r| r.code.as_str() == "R1")
            .unwrap();
        let first = r1.checkpoints[0];
        let mut rest = r1.checkpoints[1..].to_vec();
        rest.reverse();
        rest.swap(1, 5);
        let mut scrambled = vec![first];
        scrambled.extend(rest);
        r1.checkpoints = scrambled.clone();
        store_plan(&mut *txn, plan, Utc::now()).unwrap();

        let r = order_route(&mut *txn, "DEMO", "R1", Utc::now()).unwrap();
        assert!(r.after < r.before, "{} → {}", r.before, r.after);
        let (_, plan) = load_plan(&mut *txn, &site).unwrap();
        let route = plan
            .routes
            .iter()
            .find(|r| r.code.as_str() == "R1")
            .unwrap();
        let mut a = route.checkpoints.clone();
        let mut b = scrambled;
        assert_eq!(a[0], b[0], "the walk still starts at the first checkpoint");
        a.sort();
        b.sort();
        assert_eq!(a, b, "same checkpoints, new order");
        assert!(order_route(&mut *txn, "DEMO", "R9", Utc::now()).is_err());
    }

    #[test]
    fn a_site_keeps_its_own_deadline_rules_and_devices_see_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::sqlite::SqliteStore::open(dir.path()).unwrap();
        let mut txn = store.begin().unwrap();
        let rules = shared::deadline::DeadlinePolicy {
            utc_offset_minutes: 420,
            deadline_days: 7,
            long_term_days: 90,
            ..Default::default()
        };
        let site = add_site_with(&mut *txn, "TOWER", "写字楼", rules, Utc::now()).unwrap();
        let (_, plan) = load_plan(&mut *txn, &site).unwrap();
        assert_eq!(
            plan.site.deadlines, rules,
            "the plan document devices receive carries the rules"
        );
        assert!(matches!(
            add_site(&mut *txn, "TOWER", "again", Utc::now()),
            Err(AccountError::SiteExists(_))
        ));
        let bad = shared::deadline::DeadlinePolicy {
            utc_offset_minutes: 24 * 60,
            ..rules
        };
        assert!(add_site_with(&mut *txn, "FAR", "x", bad, Utc::now()).is_err());
    }

    #[test]
    fn passwords_verify_and_tokens_hash() {
        let h = hash_password("correct horse");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a hash"));
        let t = new_token();
        assert_eq!(t.len(), 64);
        assert_eq!(token_hash(&t), token_hash(&t));
        assert_ne!(token_hash(&t), token_hash(&new_token()));
    }
}
