//! Stable codes for roles, zones, categories, grades, statuses and departments.
//!
//! Codes are English snake_case on the wire, in the CLI and in storage; the UI
//! shows the Chinese label first and the English one second.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A string that is not one of an enum's codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid {what}; expected one of: {expected}")]
pub struct CodeError {
    pub what: &'static str,
    pub input: String,
    pub expected: String,
}

impl crate::text::Bilingual for CodeError {
    fn zh(&self) -> String {
        format!("“{}”不是可选的值，可选：{}", self.input, self.expected)
    }
}

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident => $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable code used on the wire, in the CLI and in storage.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }
            /// The Simplified Chinese label users expect.
            pub const fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }
            /// The English label.
            pub const fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }
            /// Reads a code or either label, as people type them in spreadsheets.
            pub fn from_code_or_label(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| {
                    v.code() == s || v.label_zh() == s || v.label_en().eq_ignore_ascii_case(s)
                })
            }
        }

        impl FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($code => Ok($name::$variant),)+
                    _ => Err(CodeError {
                        what: $what,
                        input: s.to_string(),
                        expected: [$($code),+].join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum!(
    /// What a user may do is decided by their role.
    Role, "role" {
        Inspector => "inspector", "巡查员", "Inspector";
        FieldStaff => "field_staff", "整改人员", "Field staff";
        Manager => "manager", "品质经理", "Manager";
        Admin => "admin", "系统管理员", "Administrator";
        CustomerService => "customer_service", "客服", "Customer service";
        Group => "group", "集团品质", "Group quality";
    }
);

code_enum!(
    /// Zones are classified by function; patrol routes differ by zone kind.
    ZoneKind, "zone kind" {
        Residential => "residential", "住宅区", "Residential";
        Commercial => "commercial", "商业区", "Commercial";
        PublicFacility => "public_facility", "公共设施", "Public facilities";
    }
);

code_enum!(
    /// Item families from the domain brief (检查项类别).
    ItemFamily, "item family" {
        Environment => "environment", "环境卫生", "Environment";
        SafetyLighting => "safety_lighting", "安全照明", "Safety / lighting";
        Facility => "facility", "设施设备", "Facilities";
    }
);

code_enum!(
    /// How often a checkpoint is to be patrolled (巡查频率).
    Frequency, "frequency" {
        Daily => "daily", "每天", "Daily";
        Weekly => "weekly", "每周", "Weekly";
        Monthly => "monthly", "每月", "Monthly";
    }
);

code_enum!(
    /// The kind of problem (问题类型).
    Category, "category" {
        EquipmentFault => "equipment_fault", "设备故障", "Equipment fault";
        HygieneDefect => "hygiene_defect", "卫生缺陷", "Hygiene defect";
        SafetyHazard => "safety_hazard", "安全隐患", "Safety hazard";
        SignageLighting => "signage_lighting", "标识照明", "Signage / lighting";
        Landscaping => "landscaping", "绿化", "Landscaping";
        OrderSecurity => "order_security", "秩序", "Order / security";
        NeighbourDispute => "neighbour_dispute", "邻里纠纷", "Neighbour dispute";
        Other => "other", "其他", "Other";
    }
);

code_enum!(
    /// A service dimension residents score in a satisfaction survey (CSI).
    Dimension, "dimension" {
        Security => "security", "安保", "Security";
        Cleaning => "cleaning", "保洁", "Cleaning";
        Landscaping => "landscaping", "绿化", "Landscaping";
        Maintenance => "maintenance", "工程维修", "Maintenance";
        CustomerService => "customer_service", "客服", "Customer service";
    }
);

code_enum!(
    /// A kind of facility in the equipment register (设施设备台账).
    EquipmentKind, "equipment kind" {
        Elevator => "elevator", "电梯", "Elevator";
        Escalator => "escalator", "自动扶梯", "Escalator";
        FirePump => "fire_pump", "消防水泵", "Fire pump";
        FireAlarm => "fire_alarm", "火灾自动报警系统", "Fire alarm system";
        Extinguisher => "extinguisher", "灭火器", "Fire extinguisher";
        Generator => "generator", "发电机", "Generator";
        WaterTank => "water_tank", "生活水箱", "Water tank";
        PressureVessel => "pressure_vessel", "压力容器", "Pressure vessel";
        LightningProtection => "lightning_protection", "防雷装置", "Lightning protection";
        Other => "other", "其他设备", "Other equipment";
    }
);

code_enum!(
    /// Urgency of the rectification (整改等级).
    Grade, "grade" {
        Immediate => "immediate", "立即整改", "Immediate";
        Deadline => "deadline", "限期整改", "Fix by deadline";
        LongTerm => "long_term", "长期优化", "Long-term improvement";
    }
);

code_enum!(
    /// How urgent a resident's complaint is (紧急程度); with its kind it
    /// decides the service level (see `crate::deadline::ComplaintSla`).
    Urgency, "urgency" {
        Urgent => "urgent", "紧急", "Urgent";
        Normal => "normal", "一般", "Normal";
    }
);

// The enum comes from a macro shared with types that have no default.
#[allow(clippy::derivable_impls)]
impl Default for Urgency {
    fn default() -> Self {
        Urgency::Normal
    }
}

code_enum!(
    /// Where an issue stands in the closed loop (闭环整改).
    Status, "status" {
        Recorded => "recorded", "已登记", "Recorded";
        Assigned => "assigned", "已派单", "Assigned";
        Rectified => "rectified", "已整改", "Rectified";
        Verified => "verified", "已验收", "Verified";
        Cancelled => "cancelled", "已取消", "Cancelled";
    }
);

code_enum!(
    /// Why a notification was sent: nobody who owes the next step waits unseen.
    NotificationKind, "notification kind" {
        Reminder => "reminder", "即将到期", "Due soon";
        Escalation => "escalation", "逾期升级", "Overdue";
        Assigned => "assigned", "新派单", "New order";
        ResponseOverdue => "response_overdue", "投诉未及时派单", "Complaint not dispatched in time";
        AwaitingVerification => "awaiting_verification", "待验收", "Waiting for verification";
        VerificationOverdue => "verification_overdue", "验收超时", "Verification overdue";
        AwaitingCallback => "awaiting_callback", "待回访", "Waiting for the call-back";
        RootCause => "root_cause", "根因分析待办", "Root-cause analysis due";
        EquipmentDue => "equipment_due", "设备保养/年检到期", "Equipment maintenance or inspection due";
    }
);

code_enum!(
    /// Responsible department (责任部门).
    Department, "department" {
        Engineering => "engineering", "工程维修", "Engineering / maintenance";
        Cleaning => "cleaning", "保洁", "Cleaning";
        Security => "security", "秩序安防", "Security / order";
        Landscaping => "landscaping", "绿化", "Landscaping";
        CustomerService => "customer_service", "客服", "Customer service";
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_serde() {
        for c in Category::ALL {
            assert_eq!(c.code().parse::<Category>().unwrap(), *c);
            assert_eq!(
                serde_json::to_string(c).unwrap(),
                format!("\"{}\"", c.code())
            );
        }
        for s in Status::ALL {
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.code())
            );
        }
        assert_eq!("long_term".parse::<Grade>().unwrap(), Grade::LongTerm);
        assert_eq!(Role::FieldStaff.code(), "field_staff");
    }

    #[test]
    fn unknown_code_names_the_choices() {
        let err = "urgent".parse::<Grade>().unwrap_err().to_string();
        assert!(err.contains("immediate, deadline, long_term"), "{err}");
    }
}
