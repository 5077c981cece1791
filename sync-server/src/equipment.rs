//! The equipment register (设施设备台账) on the server: rows added and
//! changed from the dashboard, the API or a CSV file (like the plan: by code,
//! all or nothing, nothing missing deleted), maintenance recorded, inspection
//! certificates kept in the photo store, and the job's step that reminds the
//! managers ahead of a due date and raises an issue by itself once an
//! inspection is overdue. Every change enters the site's ledger.
//!
//! See `shared::equipment` for what compliant means and how 设施合规率 is counted.

use crate::accounts::{self, AccountError};
use crate::blobs::BlobStore;
use crate::error::StoreError;
use crate::plan_csv::{self, Col, Errors, LineError, col};
use crate::store::Txn;
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use shared::codes::{EquipmentKind, Role, Status};
use shared::equipment::{
    Certificate, CertificateUpload, Duty, Equipment, EquipmentImport, MAX_CERTIFICATE_BYTES,
    Register,
};
use shared::ids::{IssueId, SiteId};
use shared::plan::{Site, SitePlan};
use shared::text::Code;
use shared::wire::{EquipmentRef, Notification, NotificationKind};

pub const EQUIPMENT_FILE: &str = "equipment.csv";

const COLS: [Col; 11] = [
    col("设备编号", "code", true),
    col("设备名称", "name", true),
    col("设备类型", "kind", true),
    col("位置", "location", false),
    col("巡查点", "checkpoint", false),
    col("保养周期(天)", "maintenance_days", false),
    col("上次保养", "last_maintained", false),
    col("年检到期", "inspection_due", false),
    col("合格证", "certificate", false),
    col("备注", "note", false),
    col("报废", "retired", false),
];

/// The site's local day at `now`.
pub fn today(site: &Site, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&site.deadlines.offset()).date_naive()
}

/// The register of `site` as it stands on its local day at `now`.
pub fn register(
    txn: &mut dyn Txn,
    site: &Site,
    now: DateTime<Utc>,
) -> Result<Register, StoreError> {
    let list = txn.equipment_of(site.id)?;
    let day = today(site, now);
    let lead = site.deadlines.equipment_remind_days;
    Ok(Register {
        site: site.code.to_string(),
        today: day,
        remind_days: lead,
        items: list.iter().map(|e| e.view(day, lead)).collect(),
        compliance: shared::equipment::compliance(&list, day),
    })
}

fn record(
    txn: &mut dyn Txn,
    site: SiteId,
    e: &Equipment,
    what: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    txn.put_equipment(site, e)?;
    let by = txn.acting();
    crate::ledger::append(
        txn,
        site,
        &by,
        crate::ledger::Change {
            kind: "equipment",
            subject: e.code.to_string(),
            entry: String::new(),
            what: what.into(),
            content: serde_json::to_string(e).unwrap_or_default(),
        },
        now,
    )
}

fn invalid(s: shared::text::Said) -> AccountError {
    AccountError::invalid(s.en, s.zh)
}

fn unknown(code: &str) -> AccountError {
    AccountError::invalid(
        format!("there is no equipment `{code}` at this site"),
        format!("本项目没有编号为“{code}”的设备"),
    )
}

/// Checks a row against the plan: its checkpoint must be one of the site's.
fn check_against(plan: &SitePlan, e: &Equipment) -> Result<(), shared::text::Said> {
    e.check()?;
    if let Some(cp) = &e.checkpoint
        && !plan.checkpoints.iter().any(|c| c.code == *cp)
    {
        return Err(shared::text::Said::new(
            format!("there is no checkpoint `{cp}`"),
            format!("没有巡查点“{cp}”"),
        ));
    }
    Ok(())
}

/// Adds or changes one piece of equipment of site `code` (the certificate
/// stays as stored: it changes only by uploading one). Unchanged rows write nothing.
pub fn put(
    txn: &mut dyn Txn,
    code: &str,
    mut e: Equipment,
    now: DateTime<Utc>,
) -> Result<Equipment, AccountError> {
    let site = accounts::site(txn, code)?;
    let (_, plan) = accounts::load_plan(txn, &site)?;
    e.name = e.name.trim().to_string();
    e.location = e.location.trim().to_string();
    check_against(&plan, &e).map_err(invalid)?;
    let stored = txn.equipment(site.id, e.code.as_str())?;
    e.certificate = stored.as_ref().and_then(|s| s.certificate.clone());
    if stored.as_ref() == Some(&e) {
        return Ok(e);
    }
    let what = if stored.is_some() { "change" } else { "add" };
    record(txn, site.id, &e, what, now)?;
    Ok(e)
}

/// Records a maintenance done on `done` (a local day, not in the future).
pub fn maintained(
    txn: &mut dyn Txn,
    code: &str,
    equipment: &str,
    done: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Equipment, AccountError> {
    let site = accounts::site(txn, code)?;
    let mut e = txn
        .equipment(site.id, equipment.trim())?
        .ok_or_else(|| unknown(equipment))?;
    if done > today(&site, now) {
        return Err(AccountError::invalid(
            "the maintenance date is in the future",
            "保养日期晚于今天",
        ));
    }
    if e.last_maintained.is_some_and(|d| d >= done) {
        return Ok(e);
    }
    e.last_maintained = Some(done);
    record(txn, site.id, &e, "maintain", now)?;
    Ok(e)
}

/// What a certificate file is, from its first bytes: a whole JPEG photo or a PDF.
pub fn certificate_kind(bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.len() > MAX_CERTIFICATE_BYTES {
        return Err(format!(
            "the file is {} bytes; a certificate may be at most {MAX_CERTIFICATE_BYTES}",
            bytes.len()
        ));
    }
    if bytes.starts_with(b"%PDF-") {
        let tail = &bytes[bytes.len().saturating_sub(1024)..];
        if !tail.windows(5).any(|w| w == b"%%EOF") {
            return Err("the PDF is cut short (no end-of-file mark)".into());
        }
        return Ok("application/pdf");
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        photo::check_upload(bytes, 12_000).map_err(|e| e.to_string())?;
        return Ok("image/jpeg");
    }
    Err("a certificate is a PDF scan or a JPEG photo".into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Keeps a checked certificate file in the photo store; returns its hash and type.
pub fn store_file(
    blobs: &dyn BlobStore,
    bytes: &[u8],
) -> Result<(String, &'static str), AccountError> {
    let mime = certificate_kind(bytes).map_err(|e| {
        AccountError::invalid(
            format!("not a certificate file: {e}"),
            "证书文件须为完整的 PDF 扫描件或 JPEG 照片",
        )
    })?;
    let hash = hex(&Sha256::digest(bytes));
    if !crate::blobs::is_complete(blobs, &hash) {
        let io = |e: crate::blobs::BlobError| {
            tracing::error!(error = %e, "cannot keep a certificate");
            AccountError::Store(StoreError::Corrupt("blob storage".into()))
        };
        blobs
            .append(&hash, "certificate", 0, bytes.len() as u64, bytes)
            .map_err(io)?;
        blobs
            .finish(&hash, "certificate", &|b: &[u8]| {
                certificate_kind(b).map(|_| ())
            })
            .map_err(io)?;
    }
    Ok((hash, mime))
}

/// Attaches a new inspection certificate (already kept under `hash`) and the
/// due date it makes valid.
#[allow(clippy::too_many_arguments)]
pub fn certify(
    txn: &mut dyn Txn,
    code: &str,
    equipment: &str,
    file: (&str, &str, u64),
    file_name: &str,
    inspection_due: NaiveDate,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Equipment, AccountError> {
    let site = accounts::site(txn, code)?;
    let mut e = txn
        .equipment(site.id, equipment.trim())?
        .ok_or_else(|| unknown(equipment))?;
    let name = shared::text::required("file name", file_name, shared::text::NAME_MAX)
        .map_err(|e| invalid(shared::text::Said::from(&e)))?;
    e.inspection_due = Some(inspection_due);
    e.certificate = Some(Certificate {
        hash: file.0.to_string(),
        mime: file.1.to_string(),
        bytes: file.2,
        file_name: name,
        uploaded_at: now,
        by: by.to_string(),
    });
    record(txn, site.id, &e, "certify", now)?;
    Ok(e)
}

/// Decodes an upload from the dashboard.
pub fn decode_upload(u: &CertificateUpload) -> Result<Vec<u8>, AccountError> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(u.base64.trim())
        .map_err(|e| {
            AccountError::invalid(
                format!("the file is not base64: {e}"),
                "文件编码有误，请重新选择文件",
            )
        })
}

fn cell_date(errors: &mut Errors, line: u64, column: &str, s: &str) -> Option<Option<NaiveDate>> {
    if s.is_empty() {
        return Some(None);
    }
    let t = s.replace('/', "-");
    let t = t.split_whitespace().next().unwrap_or("");
    match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        Ok(d) => Some(Some(d)),
        Err(_) => {
            errors.push(
                line,
                Some(column),
                format!("`{s}` is not a date (YYYY-MM-DD)"),
                format!("“{s}”不是日期：请填 2026-12-31 这样的格式"),
            );
            None
        }
    }
}

fn cell_bool(errors: &mut Errors, line: u64, column: &str, s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "" | "否" | "no" | "n" | "false" | "0" => Some(false),
        "是" | "yes" | "y" | "true" | "1" => Some(true),
        _ => {
            errors.push(
                line,
                Some(column),
                format!("`{s}` is neither yes nor no"),
                format!("“{s}”应填“是”或“否”"),
            );
            None
        }
    }
}

/// Reads `equipment.csv` against the plan: every bad row is reported, and
/// nothing is returned unless every row is good.
pub fn read_csv(text: &str, plan: &SitePlan) -> Result<Vec<Equipment>, Vec<LineError>> {
    let mut errors = Errors {
        file: EQUIPMENT_FILE,
        list: Vec::new(),
    };
    let mut out = Vec::new();
    if let Some(t) = plan_csv::read_table(text, &COLS, &mut errors) {
        let mut seen: std::collections::HashMap<Code, u64> = Default::default();
        for (line, row) in &t.rows {
            let line = *line;
            let h = |c: usize| t.header(c).to_string();
            let code =
                plan_csv::parse_code(&mut errors, line, &h(0), "equipment code", t.cell(row, 0));
            let kind = plan_csv::parse_label(
                &mut errors,
                line,
                &h(2),
                t.cell(row, 2),
                EquipmentKind::from_code_or_label,
                EquipmentKind::ALL.iter().map(|k| (k.code(), k.label_zh())),
            );
            let checkpoint = match t.cell(row, 4) {
                "" => Some(None),
                s => plan_csv::parse_code(&mut errors, line, &h(4), "point code", s).map(Some),
            };
            let days = match t.cell(row, 5) {
                "" => Some(0),
                s => match s.parse::<u32>() {
                    Ok(d) => Some(d),
                    Err(_) => {
                        errors.push(
                            line,
                            Some(&h(5)),
                            format!("`{s}` is not a whole number of days"),
                            format!("“{s}”不是天数"),
                        );
                        None
                    }
                },
            };
            let last = cell_date(&mut errors, line, &h(6), t.cell(row, 6));
            let due = cell_date(&mut errors, line, &h(7), t.cell(row, 7));
            let retired = cell_bool(&mut errors, line, &h(10), t.cell(row, 10));
            let (
                Some(code),
                Some(kind),
                Some(checkpoint),
                Some(days),
                Some(last),
                Some(due),
                Some(retired),
            ) = (code, kind, checkpoint, days, last, due, retired)
            else {
                continue;
            };
            if let Some(first) = seen.insert(code.clone(), line) {
                errors.push(
                    line,
                    Some(&h(0)),
                    format!("equipment {code} is already on line {first}"),
                    format!("设备编号“{code}”与第 {first} 行重复"),
                );
                continue;
            }
            let e = Equipment {
                code,
                name: t.cell(row, 1).to_string(),
                kind,
                location: t.cell(row, 3).to_string(),
                checkpoint,
                maintenance_days: days,
                last_maintained: last,
                inspection_due: due,
                certificate: None,
                note: t.cell(row, 9).to_string(),
                retired,
            };
            match check_against(plan, &e) {
                Ok(()) => out.push(e),
                Err(s) => errors.push(line, None, s.en, s.zh),
            }
        }
    }
    if errors.list.is_empty() {
        Ok(out)
    } else {
        Err(errors.list)
    }
}

/// Imports `equipment.csv` into site `code`: every row checked first, then
/// each new or changed row stored and entered in the ledger, in the caller's
/// transaction. Certificates stay as stored.
pub fn import(
    txn: &mut dyn Txn,
    code: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<EquipmentImport, AccountError> {
    let site = accounts::site(txn, code)?;
    let (_, plan) = accounts::load_plan(txn, &site)?;
    let rows = read_csv(text, &plan).map_err(AccountError::Rows)?;
    let mut report = EquipmentImport::default();
    for mut e in rows {
        let stored = txn.equipment(site.id, e.code.as_str())?;
        e.certificate = stored.as_ref().and_then(|s| s.certificate.clone());
        match stored {
            Some(s) if s == e => report.unchanged += 1,
            Some(_) => {
                record(txn, site.id, &e, "import", now)?;
                report.updated += 1;
            }
            None => {
                record(txn, site.id, &e, "import", now)?;
                report.added += 1;
            }
        }
    }
    Ok(report)
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The register as `equipment.csv`, in the columns [`import`] reads.
pub fn export(list: &[Equipment]) -> String {
    let mut w = plan_csv::writer();
    w.write_record(COLS.iter().map(|c| c.zh)).expect("memory");
    for e in list {
        plan_csv::write_row(
            &mut w,
            [
                e.code.as_str(),
                &e.name,
                e.kind.label_zh(),
                &e.location,
                e.checkpoint.as_ref().map(Code::as_str).unwrap_or(""),
                &e.maintenance_days.to_string(),
                &date(e.last_maintained),
                &date(e.inspection_due),
                e.certificate
                    .as_ref()
                    .map(|c| c.file_name.as_str())
                    .unwrap_or(""),
                &e.note,
                if e.retired { "是" } else { "否" },
            ],
        );
    }
    plan_csv::finish(w)
}

/// The id of the issue an overdue inspection raises: one per equipment and due date.
pub fn overdue_issue_id(site: SiteId, code: &str, due: NaiveDate) -> IssueId {
    IssueId::from_uuid(crate::jobs::derived_id(&[
        b"equipment_overdue",
        site.as_uuid().as_bytes(),
        code.as_bytes(),
        due.to_string().as_bytes(),
    ]))
}

/// What the job did for equipment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scanned {
    /// Reminders of a due date ahead (or of overdue maintenance) newly made.
    pub reminders: usize,
    /// Issues raised for overdue inspections.
    pub raised: usize,
}

/// The job's step for one site at `now`: remind the managers of every due
/// date within the lead (one notification per equipment, duty, due date and
/// manager), and raise one issue for every inspection overdue. Running it
/// twice makes nothing twice.
pub fn scan(
    txn: &mut dyn Txn,
    site: &Site,
    managers: &[crate::store::UserRecord],
    now: DateTime<Utc>,
) -> Result<Scanned, StoreError> {
    let mut done = Scanned::default();
    let list = txn.equipment_of(site.id)?;
    if list.is_empty() {
        return Ok(done);
    }
    let day = today(site, now);
    let lead = site.deadlines.equipment_remind_days;
    let offset = site.deadlines.offset();
    let mut plan: Option<SitePlan> = None;
    for e in &list {
        for duty in [Duty::Maintenance, Duty::Inspection] {
            let Some(due) = e.due(duty) else {
                continue;
            };
            let standing = e.standing(duty, day, lead);
            if standing == shared::equipment::Standing::Valid {
                continue;
            }
            if duty == Duty::Inspection && standing == shared::equipment::Standing::Overdue {
                if plan.is_none() {
                    plan = Some(
                        accounts::load_plan(txn, site)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?
                            .1,
                    );
                }
                let plan = plan.as_ref().expect("loaded above");
                if raise_overdue(txn, plan, e, due, now)? {
                    done.raised += 1;
                }
                continue;
            }
            // The due day's end, in the site's time.
            let end = due
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .and_then(|t| t.and_local_timezone(offset).single())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now);
            let about = EquipmentRef {
                site: site.code.to_string(),
                code: e.code.to_string(),
                duty,
                due,
            };
            let title = match standing {
                shared::equipment::Standing::Overdue if due == NaiveDate::MIN => {
                    format!("{}（{}）未记录{}", e.name, e.code, duty.label_zh())
                }
                shared::equipment::Standing::Overdue => {
                    format!("{}（{}）{}已逾期（{due}）", e.name, e.code, duty.label_zh())
                }
                _ => format!("{}（{}）{}将于 {due} 到期", e.name, e.code, duty.label_zh()),
            };
            let mut made = false;
            for m in managers
                .iter()
                .filter(|u| u.active && u.role == Role::Manager)
            {
                made |= txn.insert_notification(&Notification {
                    id: crate::jobs::derived_id(&[
                        b"equipment_due",
                        site.id.as_uuid().as_bytes(),
                        e.code.as_str().as_bytes(),
                        duty.code().as_bytes(),
                        due.to_string().as_bytes(),
                        m.id.as_uuid().as_bytes(),
                    ]),
                    kind: NotificationKind::EquipmentDue,
                    recipient: m.id,
                    issue: IssueId::from_uuid(uuid::Uuid::nil()),
                    title: title.clone(),
                    checkpoint: e.checkpoint.as_ref().map(|c| c.to_string()),
                    status: Status::Recorded,
                    deadline: end,
                    assignee: None,
                    created_at: now,
                    equipment: Some(about.clone()),
                })?;
            }
            if made {
                done.reminders += 1;
            }
        }
    }
    Ok(done)
}

/// Raises the issue of `e`'s inspection overdue since `due`; false when it
/// was raised before.
fn raise_overdue(
    txn: &mut dyn Txn,
    plan: &SitePlan,
    e: &Equipment,
    due: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let id = overdue_issue_id(plan.site.id, e.code.as_str(), due);
    let point = e
        .checkpoint
        .as_ref()
        .and_then(|c| plan.checkpoints.iter().find(|p| p.code == *c));
    let grade = shared::codes::Grade::Deadline;
    let title: String = format!("{}（{}）年检已过期", e.name, e.code)
        .chars()
        .take(shared::text::TITLE_MAX)
        .collect();
    let body = shared::issue::EventBody::Raise {
        site: plan.site.id,
        zone: point.map(|p| p.zone),
        checkpoint: point.map(|p| p.id),
        checkpoint_code: point.map(|p| p.code.clone()),
        item: None,
        patrol: None,
        category: shared::codes::Category::EquipmentFault,
        grade,
        title,
        description: format!(
            "设施设备台账：{}「{}」（{}）的法定检验（年检）有效期至 {due}，已过期。\
             请安排检验，并在台账中上传新的检验合格证。位置：{}",
            e.kind.label_zh(),
            e.name,
            e.code,
            if e.location.is_empty() {
                "未填写"
            } else {
                &e.location
            }
        )
        .chars()
        .take(shared::text::NOTE_MAX)
        .collect(),
        photos: Vec::new(),
        deadline: Some(plan.site.deadlines.default_deadline(grade, now)),
        complaint: None,
    };
    match crate::tracker::raise_by_server(txn, plan, id, body, now) {
        Ok(raised) => Ok(raised.is_some()),
        Err(crate::tracker::ChangeError::Store(s)) => Err(s),
        Err(other) => Err(StoreError::Corrupt(format!(
            "the overdue issue of {} cannot be raised: {other}",
            e.code
        ))),
    }
}
