//! The equipment register (设施设备台账): elevators, fire pumps,
//! extinguishers, generators, water tanks… with where they stand, how often
//! they are maintained (保养周期) and when their statutory inspection (年检)
//! falls due, with the certificate of the last one.
//!
//! A piece of equipment is *compliant* (合规) on a day when neither its
//! maintenance nor its inspection is overdue that day: maintenance is overdue
//! the day after `last_maintained + maintenance_days` (or at once when a cycle
//! is set and no maintenance was ever recorded); an inspection is overdue the
//! day after its due date (a certificate is valid through that day).
//! Equipment without a cycle or without a due date is not held to that part.
//! 设施合规率 = compliant equipment in service / equipment in service, per
//! site and per kind; retired (报废) equipment counts in neither.

use crate::codes::EquipmentKind;
use crate::kpi::Figure;
use crate::text::{Code, Said};
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The longest maintenance cycle accepted, in days (ten years).
pub const MAX_CYCLE_DAYS: u32 = 3650;
/// The largest certificate file accepted (a phone photo or a scanned PDF).
pub const MAX_CERTIFICATE_BYTES: usize = 10 * 1024 * 1024;

/// The scan or photo of the last inspection certificate, kept in the same
/// content-addressed store as photos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Certificate {
    /// SHA-256 of the file, hex.
    pub hash: String,
    /// The file's name as uploaded.
    pub file_name: String,
    /// `application/pdf` or `image/jpeg`.
    pub mime: String,
    pub bytes: u64,
    /// Server clock.
    pub uploaded_at: DateTime<Utc>,
    /// User name of who uploaded it.
    pub by: String,
}

/// One piece of equipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Equipment {
    /// The site's own number for it (设备编号), unique in the site.
    pub code: Code,
    pub name: String,
    pub kind: EquipmentKind,
    /// Where it stands, in words (3号楼地下室泵房).
    #[serde(default)]
    pub location: String,
    /// The checkpoint it is patrolled at, by point code.
    #[serde(default)]
    pub checkpoint: Option<Code>,
    /// Days between maintenances; 0: no maintenance cycle.
    #[serde(default)]
    pub maintenance_days: u32,
    #[serde(default)]
    pub last_maintained: Option<NaiveDate>,
    /// The statutory inspection's due date (the certificate is valid through
    /// it); none: not subject to 年检.
    #[serde(default)]
    pub inspection_due: Option<NaiveDate>,
    /// The last inspection's certificate; set only by uploading one.
    #[serde(default)]
    pub certificate: Option<Certificate>,
    #[serde(default)]
    pub note: String,
    /// Taken out of service (报废): kept on the register, no longer counted or reminded.
    #[serde(default)]
    pub retired: bool,
}

/// Where one duty (maintenance or inspection) stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Not held to it (no cycle, no due date) or retired.
    NotApplicable,
    Valid,
    /// Due within the site's reminder lead.
    DueSoon,
    Overdue,
}

impl Standing {
    pub fn label_zh(self) -> &'static str {
        match self {
            Standing::NotApplicable => "不适用",
            Standing::Valid => "有效",
            Standing::DueSoon => "即将到期",
            Standing::Overdue => "已逾期",
        }
    }
}

/// A duty a reminder or an overdue issue is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    Maintenance,
    Inspection,
}

impl Duty {
    pub fn code(self) -> &'static str {
        match self {
            Duty::Maintenance => "maintenance",
            Duty::Inspection => "inspection",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Duty::Maintenance => "保养",
            Duty::Inspection => "年检",
        }
    }
}

fn standing(due: Option<NaiveDate>, today: NaiveDate, lead_days: u32) -> Standing {
    match due {
        None => Standing::NotApplicable,
        Some(d) if today > d => Standing::Overdue,
        Some(d) if today.checked_add_days(Days::new(lead_days.into())) >= Some(d) => {
            Standing::DueSoon
        }
        Some(_) => Standing::Valid,
    }
}

impl Equipment {
    /// Checks what people type; the code is checked when it is parsed.
    pub fn check(&self) -> Result<(), Said> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(Said::new("the equipment needs a name", "请填写设备名称"));
        }
        if name.chars().count() > crate::text::NAME_MAX
            || self.location.chars().count() > crate::text::NAME_MAX
        {
            return Err(Said::new(
                format!(
                    "the name and the location are at most {} characters",
                    crate::text::NAME_MAX
                ),
                format!("设备名称和位置最多 {} 个字", crate::text::NAME_MAX),
            ));
        }
        if self.note.chars().count() > crate::text::NOTE_MAX {
            return Err(Said::new(
                format!("the note is at most {} characters", crate::text::NOTE_MAX),
                format!("备注最多 {} 个字", crate::text::NOTE_MAX),
            ));
        }
        if self.maintenance_days > MAX_CYCLE_DAYS {
            return Err(Said::new(
                format!("the maintenance cycle is at most {MAX_CYCLE_DAYS} days"),
                format!("保养周期最多 {MAX_CYCLE_DAYS} 天"),
            ));
        }
        Ok(())
    }

    /// The day the next maintenance is due: the last one plus the cycle. None
    /// without a cycle; with a cycle and no maintenance recorded, the
    /// equipment is due at once and this is [`NaiveDate::MIN`].
    pub fn maintenance_due(&self) -> Option<NaiveDate> {
        if self.maintenance_days == 0 {
            return None;
        }
        Some(match self.last_maintained {
            Some(d) => d
                .checked_add_days(Days::new(self.maintenance_days.into()))
                .unwrap_or(NaiveDate::MAX),
            None => NaiveDate::MIN,
        })
    }

    /// The due date of `duty`, if the equipment is held to it and in service.
    pub fn due(&self, duty: Duty) -> Option<NaiveDate> {
        if self.retired {
            return None;
        }
        match duty {
            Duty::Maintenance => self.maintenance_due(),
            Duty::Inspection => self.inspection_due,
        }
    }

    /// Where `duty` stands on `today`, warning `lead_days` ahead — for
    /// maintenance at most a fifth of the cycle ahead (a fortnightly service is
    /// not "due soon" all the time).
    pub fn standing(&self, duty: Duty, today: NaiveDate, lead_days: u32) -> Standing {
        let lead = match duty {
            Duty::Maintenance => lead_days.min(self.maintenance_days / 5),
            Duty::Inspection => lead_days,
        };
        standing(self.due(duty), today, lead)
    }

    /// Whether it is compliant on `today` (see the module's text). Retired
    /// equipment is not counted, and is not compliant either.
    pub fn compliant(&self, today: NaiveDate) -> bool {
        !self.retired
            && [Duty::Maintenance, Duty::Inspection]
                .iter()
                .all(|d| self.standing(*d, today, 0) != Standing::Overdue)
    }

    /// The register's row for `today`.
    pub fn view(&self, today: NaiveDate, lead_days: u32) -> EquipmentView {
        EquipmentView {
            equipment: self.clone(),
            maintenance: self.standing(Duty::Maintenance, today, lead_days),
            next_maintenance: self
                .maintenance_due()
                .filter(|d| *d != NaiveDate::MIN && !self.retired),
            inspection: self.standing(Duty::Inspection, today, lead_days),
            compliant: self.compliant(today),
        }
    }
}

/// One row of the register as the dashboard and the API show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EquipmentView {
    pub equipment: Equipment,
    pub maintenance: Standing,
    /// When the next maintenance is due (none: no cycle, or never maintained).
    pub next_maintenance: Option<NaiveDate>,
    pub inspection: Standing,
    pub compliant: bool,
}

/// 设施合规率 of one kind of equipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KindCompliance {
    pub kind: EquipmentKind,
    /// Compliant / in service.
    pub rate: Figure,
}

/// 设施合规率 of a site on a day: over all its equipment in service and per kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Compliance {
    pub day: NaiveDate,
    pub rate: Figure,
    /// Kinds the site has in service, in the kinds' order.
    pub kinds: Vec<KindCompliance>,
}

/// The compliance of `list` on `today`.
pub fn compliance(list: &[Equipment], today: NaiveDate) -> Compliance {
    let in_service: Vec<&Equipment> = list.iter().filter(|e| !e.retired).collect();
    let count = |of: &[&Equipment]| {
        let ok = of.iter().filter(|e| e.compliant(today)).count() as u64;
        Figure::ratio(ok, of.len() as u64)
    };
    let kinds = EquipmentKind::ALL
        .iter()
        .filter_map(|k| {
            let of: Vec<&Equipment> = in_service
                .iter()
                .copied()
                .filter(|e| e.kind == *k)
                .collect();
            (!of.is_empty()).then(|| KindCompliance {
                kind: *k,
                rate: count(&of),
            })
        })
        .collect();
    Compliance {
        day: today,
        rate: count(&in_service),
        kinds,
    }
}

/// The register of a site as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Register {
    pub site: String,
    /// The site's local day the standings are for.
    pub today: NaiveDate,
    /// Days ahead of a due date that count as due soon (and are reminded).
    pub remind_days: u32,
    pub items: Vec<EquipmentView>,
    pub compliance: Compliance,
}

/// A maintenance done, as recorded from the dashboard or the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenanceDone {
    /// The local day it was done; not in the future.
    pub date: NaiveDate,
}

/// A new inspection certificate: the file (base64) and the due date of the
/// next inspection it makes valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateUpload {
    pub file_name: String,
    pub base64: String,
    /// The certificate is valid through this day.
    pub inspection_due: NaiveDate,
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EquipmentImport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn pump() -> Equipment {
        Equipment {
            code: Code::parse("code", "FP-01").unwrap(),
            name: "1号消防泵".into(),
            kind: EquipmentKind::FirePump,
            location: "泵房".into(),
            checkpoint: None,
            maintenance_days: 30,
            last_maintained: Some(day("2026-11-01")),
            inspection_due: Some(day("2026-12-31")),
            certificate: None,
            note: String::new(),
            retired: false,
        }
    }

    #[test]
    fn a_duty_is_valid_through_its_due_day() {
        let p = pump();
        assert_eq!(p.maintenance_due(), Some(day("2026-12-01")));
        assert_eq!(
            p.standing(Duty::Maintenance, day("2026-11-20"), 7),
            Standing::Valid
        );
        assert_eq!(
            p.standing(Duty::Maintenance, day("2026-11-25"), 7),
            Standing::DueSoon
        );
        // A month's cycle is reminded at most six days ahead.
        assert_eq!(
            p.standing(Duty::Maintenance, day("2026-11-24"), 30),
            Standing::Valid
        );
        assert_eq!(
            p.standing(Duty::Maintenance, day("2026-11-25"), 30),
            Standing::DueSoon
        );
        assert_eq!(
            p.standing(Duty::Maintenance, day("2026-12-01"), 7),
            Standing::DueSoon
        );
        assert!(p.compliant(day("2026-12-01")));
        assert_eq!(
            p.standing(Duty::Maintenance, day("2026-12-02"), 7),
            Standing::Overdue
        );
        assert!(!p.compliant(day("2026-12-02")));
    }

    #[test]
    fn a_cycle_never_kept_is_overdue_and_no_duty_is_not_applicable() {
        let mut p = pump();
        p.last_maintained = None;
        assert_eq!(
            p.standing(Duty::Maintenance, day("2026-01-01"), 0),
            Standing::Overdue
        );
        assert_eq!(p.view(day("2026-01-01"), 0).next_maintenance, None);
        p.maintenance_days = 0;
        p.inspection_due = None;
        assert_eq!(
            p.standing(Duty::Inspection, day("2026-01-01"), 30),
            Standing::NotApplicable
        );
        assert!(p.compliant(day("2030-01-01")));
    }

    #[test]
    fn compliance_counts_equipment_in_service_by_kind() {
        let ok = pump();
        let mut late = pump();
        late.inspection_due = Some(day("2026-11-29"));
        let mut ext = pump();
        ext.kind = EquipmentKind::Extinguisher;
        let mut gone = pump();
        gone.retired = true;
        gone.inspection_due = Some(day("2020-01-01"));
        let c = compliance(&[ok, late, ext, gone], day("2026-11-30"));
        assert_eq!((c.rate.numerator, c.rate.denominator), (2, 3));
        assert_eq!(c.kinds.len(), 2);
        assert_eq!(c.kinds[0].kind, EquipmentKind::FirePump);
        assert_eq!(
            (c.kinds[0].rate.numerator, c.kinds[0].rate.denominator),
            (1, 2)
        );
        assert_eq!(c.kinds[1].rate.value, Some(1.0));
        assert_eq!(compliance(&[], day("2026-12-05")).rate.value, None);
    }
}
