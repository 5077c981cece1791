//! The site plan: sites, zones, checkpoints, checklist templates, routes, departments, users.

use crate::codes::{Department, Role, ZoneKind};
pub use crate::codes::{Frequency, ItemFamily};
use crate::deadline::DeadlinePolicy;
use crate::ids::*;
use crate::text::Code;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// One property (项目).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Site {
    pub id: SiteId,
    pub code: Code,
    pub name: String,
    pub deadlines: DeadlinePolicy,
    /// Devices keep the camera original of each photo beside its upload copy.
    #[serde(default)]
    pub keep_originals: bool,
    /// The same problem at the same checkpoint within this many days is a repeat.
    #[serde(default = "default_repeat_window")]
    pub repeat_window_days: u32,
    /// Response and resolution times of residents' complaints by kind and urgency.
    #[serde(default)]
    pub complaint_sla: crate::deadline::ComplaintSla,
    /// Which department a problem of each category goes to by default (the
    /// assign form's first choice); categories not listed take the standard.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<CategoryDepartment>,
    /// Weights of the service dimensions in the site's CSI; dimensions not
    /// listed weigh 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub csi_weights: Vec<crate::survey::DimensionWeight>,
}

/// One line of a site's category → department mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryDepartment {
    pub category: crate::codes::Category,
    pub department: Department,
}

impl Site {
    /// The standard department for a category: equipment, signage and
    /// lighting to engineering, hygiene to cleaning, hazards and order to
    /// security, landscaping to landscaping, disputes and the rest to the
    /// service centre.
    pub fn standard_department(c: crate::codes::Category) -> Department {
        use crate::codes::Category::*;
        match c {
            EquipmentFault | SignageLighting => Department::Engineering,
            HygieneDefect => Department::Cleaning,
            SafetyHazard | OrderSecurity => Department::Security,
            Landscaping => Department::Landscaping,
            NeighbourDispute | Other => Department::CustomerService,
        }
    }

    /// The department a problem of category `c` goes to by default on this site.
    pub fn department_for(&self, c: crate::codes::Category) -> Department {
        self.departments
            .iter()
            .rev()
            .find(|d| d.category == c)
            .map(|d| d.department)
            .unwrap_or_else(|| Self::standard_department(c))
    }

    /// Sets lines of the mapping; only lines that differ from the standard are kept.
    pub fn set_departments(&mut self, lines: &[CategoryDepartment]) {
        let mut all: Vec<CategoryDepartment> = crate::codes::Category::ALL
            .iter()
            .map(|c| CategoryDepartment {
                category: *c,
                department: self.department_for(*c),
            })
            .collect();
        for l in lines {
            if let Some(x) = all.iter_mut().find(|x| x.category == l.category) {
                x.department = l.department;
            }
        }
        self.departments = all
            .into_iter()
            .filter(|l| l.department != Self::standard_department(l.category))
            .collect();
    }
}

fn default_repeat_window() -> u32 {
    30
}

/// A functional area of a site (区域).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Zone {
    pub id: ZoneId,
    pub code: Code,
    pub name: String,
    pub kind: ZoneKind,
}

/// A physical spot with a printed QR code (巡查点位).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checkpoint {
    pub id: CheckpointId,
    pub zone: ZoneId,
    /// The point code printed on the QR label.
    pub code: Code,
    pub name: String,
    /// Floor-plan coordinates in metres, when known.
    pub plan_xy: Option<(f64, f64)>,
    pub template: TemplateId,
    pub template_version: u32,
    pub frequency: Frequency,
}

/// How an item is answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemKind {
    /// Pass / fail / not applicable.
    PassFail,
    /// A number with limits; outside the limits counts as a fail.
    Reading {
        min: Option<f64>,
        max: Option<f64>,
        unit: String,
    },
}

/// One line of a checklist (检查项).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistItem {
    pub code: Code,
    pub label: String,
    pub family: ItemFamily,
    #[serde(flatten)]
    pub kind: ItemKind,
}

/// A versioned checklist template. A new version is a new value with the same id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistTemplate {
    pub id: TemplateId,
    pub code: Code,
    pub name: String,
    pub version: u32,
    pub items: Vec<ChecklistItem>,
}

/// An ordered walk over checkpoints (巡查路线).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Route {
    pub id: RouteId,
    pub code: Code,
    pub name: String,
    pub checkpoints: Vec<CheckpointId>,
}

/// A department that receives rectification orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentInfo {
    pub code: Department,
    pub name: String,
}

impl DepartmentInfo {
    /// The five standard departments, named in Chinese.
    pub fn standard() -> Vec<DepartmentInfo> {
        Department::ALL
            .iter()
            .map(|d| DepartmentInfo {
                code: *d,
                name: d.label_zh().into(),
            })
            .collect()
    }
}

/// A user as the plan shows them to devices (no credentials).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserInfo {
    pub id: UserId,
    pub name: Code,
    pub display_name: String,
    pub role: Role,
    pub department: Option<Department>,
    pub active: bool,
}

/// Everything a device needs to patrol a site offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SitePlan {
    pub site: Site,
    pub zones: Vec<Zone>,
    pub checkpoints: Vec<Checkpoint>,
    /// Every version of every template still referenced or current.
    pub templates: Vec<ChecklistTemplate>,
    pub routes: Vec<Route>,
    pub departments: Vec<DepartmentInfo>,
    pub users: Vec<UserInfo>,
    /// Patrol schedules; tasks follow from them (`crate::schedule::tasks`).
    #[serde(default)]
    pub schedules: Vec<crate::schedule::Schedule>,
    /// Recorded double-random draws, each a task for its inspector.
    #[serde(default)]
    pub spot_checks: Vec<crate::schedule::SpotCheck>,
    /// One-off patrols managers launched (应急巡查), each a task for its inspectors.
    #[serde(default)]
    pub adhoc: Vec<crate::schedule::AdHocPatrol>,
}

/// A plan that contradicts itself.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("duplicate {what} code `{code}`")]
    DuplicateCode { what: &'static str, code: String },
    #[error("checkpoint `{checkpoint}` refers to an unknown {what}")]
    DanglingCheckpoint {
        checkpoint: String,
        what: &'static str,
    },
    #[error("route `{route}` refers to an unknown checkpoint")]
    UnknownCheckpointInRoute { route: String },
    #[error("route `{route}` visits checkpoint `{checkpoint}` twice")]
    RepeatedCheckpoint { route: String, checkpoint: String },
    #[error("checklist item `{item}`: minimum {min} is above maximum {max}")]
    BadLimits { item: String, min: f64, max: f64 },
}

impl crate::text::Bilingual for PlanError {
    fn zh(&self) -> String {
        match self {
            PlanError::DuplicateCode { code, .. } => {
                format!("编码“{code}”重复：每个编码只能用一次")
            }
            PlanError::DanglingCheckpoint { checkpoint, .. } => {
                format!("点位“{checkpoint}”引用的区域或检查表不存在：请先建立它")
            }
            PlanError::UnknownCheckpointInRoute { route } => {
                format!("路线“{route}”包含不存在的点位：请先导入该点位")
            }
            PlanError::RepeatedCheckpoint { route, checkpoint } => {
                format!("路线“{route}”两次经过点位“{checkpoint}”：每个点位只走一次")
            }
            PlanError::BadLimits { item, min, max } => {
                format!("检查项“{item}”的下限 {min} 高于上限 {max}：请调换或改正")
            }
        }
    }
}

impl SitePlan {
    /// A site's plan before anything was set up: the standard departments only.
    pub fn empty(site: Site) -> SitePlan {
        SitePlan {
            site,
            zones: Vec::new(),
            checkpoints: Vec::new(),
            templates: Vec::new(),
            routes: Vec::new(),
            departments: DepartmentInfo::standard(),
            users: Vec::new(),
            schedules: Vec::new(),
            spot_checks: Vec::new(),
            adhoc: Vec::new(),
        }
    }

    /// Checks codes are unique and every reference resolves.
    pub fn validate(&self) -> Result<(), PlanError> {
        fn unique<'a>(
            what: &'static str,
            codes: impl Iterator<Item = &'a Code>,
        ) -> Result<(), PlanError> {
            let mut seen = HashSet::new();
            for c in codes {
                if !seen.insert(c) {
                    return Err(PlanError::DuplicateCode {
                        what,
                        code: c.to_string(),
                    });
                }
            }
            Ok(())
        }
        unique("zone", self.zones.iter().map(|z| &z.code))?;
        unique("checkpoint", self.checkpoints.iter().map(|c| &c.code))?;
        unique("route", self.routes.iter().map(|r| &r.code))?;
        unique("user", self.users.iter().map(|u| &u.name))?;
        unique(
            "schedule or spot check",
            self.schedules
                .iter()
                .map(|s| &s.code)
                .chain(self.spot_checks.iter().map(|s| &s.code)),
        )?;
        for cp in &self.checkpoints {
            if !self.zones.iter().any(|z| z.id == cp.zone) {
                return Err(PlanError::DanglingCheckpoint {
                    checkpoint: cp.code.to_string(),
                    what: "zone",
                });
            }
            if self.template(cp.template, cp.template_version).is_none() {
                return Err(PlanError::DanglingCheckpoint {
                    checkpoint: cp.code.to_string(),
                    what: "checklist template version",
                });
            }
        }
        for t in &self.templates {
            for item in &t.items {
                if let ItemKind::Reading {
                    min: Some(min),
                    max: Some(max),
                    ..
                } = item.kind
                    && min > max
                {
                    return Err(PlanError::BadLimits {
                        item: item.code.to_string(),
                        min,
                        max,
                    });
                }
            }
        }
        for r in &self.routes {
            let mut seen = HashSet::new();
            for id in &r.checkpoints {
                let Some(cp) = self.checkpoint(*id) else {
                    return Err(PlanError::UnknownCheckpointInRoute {
                        route: r.code.to_string(),
                    });
                };
                if !seen.insert(id) {
                    return Err(PlanError::RepeatedCheckpoint {
                        route: r.code.to_string(),
                        checkpoint: cp.code.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    pub fn checkpoint(&self, id: CheckpointId) -> Option<&Checkpoint> {
        self.checkpoints.iter().find(|c| c.id == id)
    }
    /// The checkpoint with `code`; typed codes may differ in letter case.
    pub fn checkpoint_by_code(&self, code: &str) -> Option<&Checkpoint> {
        self.checkpoints
            .iter()
            .find(|c| c.code.as_str() == code)
            .or_else(|| {
                self.checkpoints
                    .iter()
                    .find(|c| c.code.as_str().eq_ignore_ascii_case(code))
            })
    }
    pub fn zone(&self, id: ZoneId) -> Option<&Zone> {
        self.zones.iter().find(|z| z.id == id)
    }
    pub fn route_by_code(&self, code: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.code.as_str() == code)
    }
    pub fn template(&self, id: TemplateId, version: u32) -> Option<&ChecklistTemplate> {
        self.templates
            .iter()
            .find(|t| t.id == id && t.version == version)
    }
    pub fn user(&self, id: UserId) -> Option<&UserInfo> {
        self.users.iter().find(|u| u.id == id)
    }
    pub fn user_by_name(&self, name: &str) -> Option<&UserInfo> {
        self.users.iter().find(|u| u.name.as_str() == name)
    }
    /// Latest version per template id.
    pub fn latest_templates(&self) -> BTreeMap<TemplateId, &ChecklistTemplate> {
        let mut out: BTreeMap<TemplateId, &ChecklistTemplate> = BTreeMap::new();
        for t in &self.templates {
            match out.get(&t.id) {
                Some(have) if have.version >= t.version => {}
                _ => {
                    out.insert(t.id, t);
                }
            }
        }
        out
    }
}
