//! `demo-seed`: a realistic demo estate (site `DEMO`) with zones of each kind,
//! ~40 checkpoints with checklists from the domain brief, routes R1–R3,
//! departments and one user per role.

use crate::accounts::{self, AccountError, NewUser};
use crate::store::Txn;
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::codes::{Department, Role, ZoneKind};
use shared::ids::*;
use shared::plan::*;
use shared::text::Code;

fn code(s: &str) -> Code {
    Code::parse("code", s).expect("demo codes are valid")
}

fn pf(c: &str, label: &str, family: ItemFamily) -> ChecklistItem {
    ChecklistItem {
        code: code(c),
        label: label.into(),
        family,
        kind: ItemKind::PassFail,
    }
}

fn reading(
    c: &str,
    label: &str,
    family: ItemFamily,
    min: Option<f64>,
    max: Option<f64>,
    unit: &str,
) -> ChecklistItem {
    ChecklistItem {
        code: code(c),
        label: label.into(),
        family,
        kind: ItemKind::Reading {
            min,
            max,
            unit: unit.into(),
        },
    }
}

fn templates() -> Vec<ChecklistTemplate> {
    use ItemFamily::*;
    let t = |c: &str, name: &str, items: Vec<ChecklistItem>| ChecklistTemplate {
        id: TemplateId::new(),
        code: code(c),
        name: name.into(),
        version: 1,
        items,
    };
    vec![
        t(
            "T-CLEAN",
            "公共区域环境卫生",
            vec![
                pf("floor", "地面干净无垃圾", Environment),
                pf("walls", "墙面无污渍", Environment),
                pf("corners", "角落无积尘杂物", Environment),
                pf("exit_sign", "安全出口标识清晰可见", SafetyLighting),
            ],
        ),
        t(
            "T-GARBAGE",
            "垃圾分类投放点",
            vec![
                pf("cleared", "垃圾按时清运", Environment),
                pf("sorted", "分类投放正确", Environment),
                pf("odor", "无异味无渗漏", Environment),
            ],
        ),
        t(
            "T-GREEN",
            "绿化带",
            vec![
                pf("dead_branches", "无枯枝", Environment),
                pf("weeds", "无杂草", Environment),
                pf("irrigation", "灌溉设施完好", Facility),
            ],
        ),
        t(
            "T-ELEVATOR",
            "电梯机房",
            vec![
                pf("running", "电梯运行正常", Facility),
                reading(
                    "temperature",
                    "机房温度",
                    Facility,
                    Some(5.0),
                    Some(40.0),
                    "°C",
                ),
                pf("maintenance_record", "维保记录在有效期内", Facility),
                pf("lighting", "机房照明正常", SafetyLighting),
            ],
        ),
        t(
            "T-FIRE",
            "消防设施",
            vec![
                reading(
                    "extinguisher_pressure",
                    "灭火器压力",
                    Facility,
                    Some(1.0),
                    Some(1.4),
                    "MPa",
                ),
                pf("hydrant", "消火栓完好", Facility),
                pf("alarm", "报警按钮响应", Facility),
                pf("fire_lane", "消防通道畅通", SafetyLighting),
            ],
        ),
        t(
            "T-LIGHT",
            "照明与安全标识",
            vec![
                pf("emergency_light", "应急灯亮起", SafetyLighting),
                pf("exit_sign", "安全出口标识亮起", SafetyLighting),
                reading(
                    "illuminance",
                    "照度",
                    SafetyLighting,
                    Some(50.0),
                    None,
                    "lx",
                ),
            ],
        ),
        t(
            "T-PARKING",
            "地下停车场",
            vec![
                reading(
                    "illuminance",
                    "车道照度",
                    SafetyLighting,
                    Some(30.0),
                    None,
                    "lx",
                ),
                pf("drainage", "排水通畅无积水", Facility),
                pf("fire_lane", "消防通道无占用", SafetyLighting),
                pf("floor", "地面无油污垃圾", Environment),
            ],
        ),
        t(
            "T-PUMP",
            "水泵房",
            vec![
                reading(
                    "pressure",
                    "供水压力",
                    Facility,
                    Some(0.2),
                    Some(0.6),
                    "MPa",
                ),
                pf("no_leak", "管道无渗漏", Facility),
                pf("drainage", "集水坑排水正常", Facility),
            ],
        ),
        t(
            "T-POWER",
            "配电房",
            vec![
                reading("temperature", "室温", Facility, Some(5.0), Some(35.0), "°C"),
                pf("insulation_mat", "绝缘垫完好", Facility),
                pf("no_water", "无渗水", Facility),
            ],
        ),
    ]
}

struct Spot(
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    Frequency,
);

/// The demo plan (without users).
pub fn demo_plan(site: Site) -> SitePlan {
    let templates = templates();
    let tid = |c: &str| {
        templates
            .iter()
            .find(|t| t.code.as_str() == c)
            .expect("template")
            .id
    };
    let zones = vec![
        Zone {
            id: ZoneId::new(),
            code: code("Z-RES"),
            name: "住宅区（1–4号楼）".into(),
            kind: ZoneKind::Residential,
        },
        Zone {
            id: ZoneId::new(),
            code: code("Z-COM"),
            name: "商业区（沿街商铺与写字楼大堂）".into(),
            kind: ZoneKind::Commercial,
        },
        Zone {
            id: ZoneId::new(),
            code: code("Z-PUB"),
            name: "公共设施（机房、车库、泵房）".into(),
            kind: ZoneKind::PublicFacility,
        },
    ];
    use Frequency::*;
    let per_zone: [(usize, Vec<Spot>); 3] = [
        (
            0,
            vec![
                Spot("CP-R01", "1号楼大堂", "T-CLEAN", 10.0, 10.0, Daily),
                Spot("CP-R02", "1号楼楼梯间", "T-LIGHT", 12.0, 14.0, Weekly),
                Spot("CP-R03", "2号楼大堂", "T-CLEAN", 30.0, 10.0, Daily),
                Spot("CP-R04", "2号楼楼梯间", "T-LIGHT", 32.0, 14.0, Weekly),
                Spot("CP-R05", "3号楼大堂", "T-CLEAN", 50.0, 10.0, Daily),
                Spot("CP-R06", "3号楼楼梯间", "T-LIGHT", 52.0, 14.0, Weekly),
                Spot("CP-R07", "4号楼大堂", "T-CLEAN", 70.0, 10.0, Daily),
                Spot("CP-R08", "4号楼楼梯间", "T-LIGHT", 72.0, 14.0, Weekly),
                Spot(
                    "CP-R09",
                    "东区垃圾分类投放点",
                    "T-GARBAGE",
                    80.0,
                    30.0,
                    Daily,
                ),
                Spot(
                    "CP-R10",
                    "西区垃圾分类投放点",
                    "T-GARBAGE",
                    5.0,
                    30.0,
                    Daily,
                ),
                Spot("CP-R11", "中心绿化带", "T-GREEN", 40.0, 35.0, Weekly),
                Spot("CP-R12", "南侧绿化带", "T-GREEN", 40.0, 50.0, Weekly),
                Spot("CP-R13", "住宅区消防通道", "T-FIRE", 60.0, 40.0, Monthly),
                Spot("CP-R14", "儿童游乐区", "T-CLEAN", 25.0, 40.0, Daily),
            ],
        ),
        (
            1,
            vec![
                Spot("CP-C01", "写字楼大堂", "T-CLEAN", 110.0, 10.0, Daily),
                Spot("CP-C02", "商业连廊", "T-CLEAN", 120.0, 20.0, Daily),
                Spot("CP-C03", "一层公共卫生间", "T-CLEAN", 125.0, 8.0, Daily),
                Spot("CP-C04", "二层公共卫生间", "T-CLEAN", 125.0, 9.0, Daily),
                Spot("CP-C05", "商铺后巷垃圾点", "T-GARBAGE", 140.0, 30.0, Daily),
                Spot("CP-C06", "写字楼消防楼梯", "T-LIGHT", 115.0, 25.0, Weekly),
                Spot("CP-C07", "商业区消防栓箱", "T-FIRE", 130.0, 35.0, Monthly),
                Spot("CP-C08", "外广场绿化带", "T-GREEN", 150.0, 5.0, Weekly),
                Spot("CP-C09", "外广场照明", "T-LIGHT", 155.0, 15.0, Weekly),
                Spot("CP-C10", "写字楼电梯厅", "T-CLEAN", 112.0, 18.0, Daily),
                Spot("CP-C11", "商业区安全出口", "T-LIGHT", 145.0, 40.0, Weekly),
                Spot("CP-C12", "写字楼电梯机房", "T-ELEVATOR", 113.0, 22.0, Daily),
                Spot("CP-C13", "商业区灭火器点位", "T-FIRE", 135.0, 12.0, Monthly),
            ],
        ),
        (
            2,
            vec![
                Spot("CP-P01", "1号楼电梯机房", "T-ELEVATOR", 11.0, 12.0, Daily),
                Spot("CP-P02", "3号楼电梯机房", "T-ELEVATOR", 51.0, 12.0, Daily),
                Spot("CP-P03", "消防泵房", "T-FIRE", 60.0, 60.0, Monthly),
                Spot("CP-P04", "生活水泵房", "T-PUMP", 65.0, 62.0, Weekly),
                Spot("CP-P05", "高压配电房", "T-POWER", 70.0, 65.0, Weekly),
                Spot("CP-P06", "地下停车场B1东区", "T-PARKING", 80.0, 70.0, Daily),
                Spot("CP-P07", "地下停车场B1西区", "T-PARKING", 20.0, 70.0, Daily),
                Spot("CP-P08", "地下停车场B2", "T-PARKING", 50.0, 75.0, Daily),
                Spot("CP-P09", "地下室集水坑", "T-PUMP", 45.0, 80.0, Weekly),
                Spot("CP-P10", "监控中心", "T-LIGHT", 55.0, 55.0, Daily),
                Spot("CP-P11", "地下室消防通道", "T-FIRE", 35.0, 78.0, Monthly),
                Spot("CP-P12", "发电机房", "T-POWER", 75.0, 68.0, Weekly),
                Spot("CP-P13", "地下室楼梯间", "T-LIGHT", 30.0, 72.0, Weekly),
            ],
        ),
    ];
    let mut checkpoints = Vec::new();
    let mut routes = Vec::new();
    for (i, (zone, spots)) in per_zone.into_iter().enumerate() {
        let mut ids = Vec::new();
        for Spot(c, name, t, x, y, frequency) in spots {
            let cp = Checkpoint {
                id: CheckpointId::new(),
                zone: zones[zone].id,
                code: code(c),
                name: name.into(),
                plan_xy: Some((x, y)),
                template: tid(t),
                template_version: 1,
                frequency,
            };
            ids.push(cp.id);
            checkpoints.push(cp);
        }
        let names = ["住宅区日常巡查", "商业区日常巡查", "公共设施巡查"];
        routes.push(Route {
            id: RouteId::new(),
            code: code(&format!("R{}", i + 1)),
            name: names[i].into(),
            checkpoints: ids,
        });
    }
    SitePlan {
        zones,
        checkpoints,
        templates,
        routes,
        ..SitePlan::empty(site)
    }
}

/// What `demo-seed --json` prints.
#[derive(Debug, Serialize)]
pub struct SeedSummary {
    pub site: String,
    pub site_name: String,
    pub users: Vec<SeedUser>,
    pub departments: Vec<SeedDepartment>,
    pub routes: Vec<SeedRoute>,
    /// The weeks of activity `demo-seed` writes unless `--empty`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub past: Option<PastSummary>,
}

#[derive(Debug, Serialize)]
pub struct SeedUser {
    pub name: String,
    pub role: Role,
    pub password: String,
    pub department: Option<Department>,
    /// The user's home site (code).
    #[serde(default)]
    pub site: String,
}

#[derive(Debug, Serialize)]
pub struct SeedDepartment {
    pub code: Department,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct SeedRoute {
    pub code: String,
    pub name: String,
    pub checkpoints: Vec<SeedCheckpoint>,
}

#[derive(Debug, Serialize)]
pub struct SeedCheckpoint {
    pub code: String,
    pub name: String,
    pub items: Vec<SeedItem>,
}

#[derive(Debug, Serialize)]
pub struct SeedItem {
    pub code: String,
    pub kind: &'static str,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: Option<String>,
}

fn password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..12)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Seeds the demo site into an empty store.
pub fn seed(txn: &mut dyn Txn, now: DateTime<Utc>) -> Result<SeedSummary, AccountError> {
    let existing = txn.sites()?;
    if !existing.is_empty() {
        let codes: Vec<String> = existing.iter().map(|s| s.code.to_string()).collect();
        return Err(failed(format!(
            "this data directory already holds data (sites: {}); demo-seed only fills an empty one — choose a new --data-dir",
            codes.join(", ")
        )));
    }
    let site = accounts::add_site(txn, "DEMO", "示范花园小区（演示项目）", now)?;
    let users = add_team(txn, "DEMO", "", now)?;
    let plan = demo_plan(site.clone());
    accounts::store_plan(txn, plan.clone(), now)?;
    Ok(SeedSummary {
        site: site.code.to_string(),
        site_name: site.name.clone(),
        users,
        departments: plan
            .departments
            .iter()
            .map(|d| SeedDepartment {
                code: d.code,
                name: d.name.clone(),
            })
            .collect(),
        routes: plan
            .routes
            .iter()
            .map(|r| SeedRoute {
                code: r.code.to_string(),
                name: r.name.clone(),
                checkpoints: r
                    .checkpoints
                    .iter()
                    .filter_map(|id| plan.checkpoint(*id))
                    .map(|cp| SeedCheckpoint {
                        code: cp.code.to_string(),
                        name: cp.name.clone(),
                        items: plan
                            .template(cp.template, cp.template_version)
                            .map(|t| {
                                t.items
                                    .iter()
                                    .map(|i| match &i.kind {
                                        ItemKind::PassFail => SeedItem {
                                            code: i.code.to_string(),
                                            kind: "pass_fail",
                                            min: None,
                                            max: None,
                                            unit: None,
                                        },
                                        ItemKind::Reading { min, max, unit } => SeedItem {
                                            code: i.code.to_string(),
                                            kind: "reading",
                                            min: *min,
                                            max: *max,
                                            unit: Some(unit.clone()),
                                        },
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect(),
        past: None,
    })
}

/// The demo estate's equipment register: most in order, one elevator's
/// inspection due within the reminder lead, the fire pump's maintenance
/// overdue and the fire alarm's inspection expired, with its issue raised.
pub fn demo_equipment(txn: &mut dyn Txn, now: DateTime<Utc>) -> Result<(), AccountError> {
    let site = accounts::site(txn, "DEMO")?;
    let today = crate::equipment::today(&site, now);
    let d = |days: i64| (today + chrono::Duration::days(days)).to_string();
    let csv = format!(
        "设备编号,设备名称,设备类型,位置,巡查点,保养周期(天),上次保养,年检到期,备注,报废\n\
         EL-01,1号楼1号电梯,电梯,1号楼,CP-P01,15,{},{},,否\n\
         EL-02,3号楼1号电梯,电梯,3号楼,CP-P02,15,{},{},,否\n\
         FP-01,消防主泵,消防水泵,地下一层消防泵房,CP-P03,30,{},{},,否\n\
         FA-01,火灾自动报警主机,火灾自动报警系统,消防控制室,CP-P03,90,{},{},,否\n\
         EX-C13,商业区灭火器（20具）,灭火器,商业区,CP-C13,30,{},{},每月检查压力,否\n\
         GEN-01,备用柴油发电机,发电机,高压配电房旁,CP-P05,30,{},,,否\n\
         WT-01,生活水箱,生活水箱,生活水泵房,CP-P04,180,{},{},水质检测,否\n\
         EL-00,2号楼旧电梯,电梯,2号楼,,15,,,已更换,是\n",
        d(-5),
        d(200),
        d(-10),
        d(12),
        d(-40),
        d(100),
        d(-20),
        d(-3),
        d(-3),
        d(300),
        d(-15),
        d(-100),
        d(60),
    );
    crate::equipment::import(txn, "DEMO", &csv, now)?;
    // What the job would do at its first run, done now, so the estate's
    // history already holds the expired inspection's issue when devices log in.
    let users = txn.users_of_site(site.id)?;
    crate::equipment::scan(txn, &site, &users, now)?;
    Ok(())
}

/// A demo estate's team on site `code`, each name with `suffix`: two
/// inspectors, three field staff (engineering, cleaning, security), a manager,
/// an administrator and customer service; random passwords.
fn add_team(
    txn: &mut dyn Txn,
    code: &str,
    suffix: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SeedUser>, AccountError> {
    let people = [
        ("inspector1", "王巡查", Role::Inspector, None),
        ("inspector2", "李品质", Role::Inspector, None),
        (
            "staff1",
            "张维修",
            Role::FieldStaff,
            Some(Department::Engineering),
        ),
        (
            "staff2",
            "刘保洁",
            Role::FieldStaff,
            Some(Department::Cleaning),
        ),
        (
            "staff3",
            "赵秩序",
            Role::FieldStaff,
            Some(Department::Security),
        ),
        ("manager1", "陈经理", Role::Manager, None),
        ("admin1", "系统管理员", Role::Admin, None),
        ("cs1", "周客服", Role::CustomerService, None),
    ];
    let mut users = Vec::new();
    for (name, display, role, department) in people {
        let pw = password();
        let name = format!("{name}{suffix}");
        let display = if suffix.is_empty() {
            display.to_string()
        } else {
            format!("{display}（{code}）")
        };
        accounts::add_user(
            txn,
            NewUser {
                name: &name,
                display_name: Some(&display),
                role,
                site: code,
                password: &pw,
                department,
            },
            now,
        )?;
        users.push(SeedUser {
            name,
            role,
            password: pw,
            department,
            site: code.into(),
        });
    }
    Ok(users)
}

/// The demo group's second estate, `EAST` (the demo plan, its own team named
/// `…_e`, the demo schedules), and the group quality office `group1`, whose
/// role reaches both estates. The weeks before `now` on `EAST` when `past`.
pub fn demo_group(
    txn: &mut dyn Txn,
    now: DateTime<Utc>,
    past: bool,
) -> Result<Vec<SeedUser>, AccountError> {
    let site = accounts::add_site(txn, "EAST", "东湖苑（演示项目）", now)?;
    let mut users = add_team(txn, "EAST", "_e", now)?;
    accounts::store_plan(txn, demo_plan(site), now)?;
    schedules_of(txn, "EAST", now)?;
    let pw = password();
    accounts::add_user(
        txn,
        NewUser {
            name: "group1",
            display_name: Some("集团品质部 孙总监"),
            role: Role::Group,
            site: "DEMO",
            password: &pw,
            department: None,
        },
        now,
    )?;
    accounts::grant_site(txn, "group1", "EAST", Role::Group, None, now)?;
    users.push(SeedUser {
        name: "group1".into(),
        role: Role::Group,
        password: pw,
        department: None,
        site: "DEMO".into(),
    });
    if past {
        past_of(txn, "EAST", "_e", 0x00EA_5700_2026_1206, now, 21)?;
    }
    Ok(users)
}

/// The demo's schedules: daily rounds of the residential and commercial
/// routes, a night patrol of the public facilities, and a weekly drain check
/// that turns daily in the rainy season. Only `demo-seed` adds them, so tests
/// start from a site without schedules.
pub fn demo_schedules(txn: &mut dyn Txn, now: DateTime<Utc>) -> Result<(), AccountError> {
    schedules_of(txn, "DEMO", now)
}

/// The demo's schedules on site `code` (whose plan is the demo plan).
pub fn schedules_of(txn: &mut dyn Txn, code: &str, now: DateTime<Utc>) -> Result<(), AccountError> {
    use crate::planning::{ScheduleSpec, put_schedule};
    let spec = |code: &str,
                name: &str,
                route: Option<&str>,
                points: &[&str],
                repeat: &str,
                window: Option<&str>,
                seasons: &[&str]| ScheduleSpec {
        code: code.into(),
        name: name.into(),
        route: route.map(str::to_string),
        checkpoints: points.iter().map(|p| p.to_string()).collect(),
        repeat: repeat.into(),
        window: window.map(str::to_string),
        seasons: seasons.iter().map(|s| s.to_string()).collect(),
        assignee: None,
    };
    for s in [
        spec(
            "DAY-R1",
            "住宅区早巡",
            Some("R1"),
            &[],
            "daily",
            Some("08:00-12:00"),
            &[],
        ),
        spec(
            "DAY-R2",
            "商业区日巡",
            Some("R2"),
            &[],
            "daily",
            Some("09:00-18:00"),
            &[],
        ),
        spec(
            "NIGHT-R3",
            "公共设施夜巡",
            Some("R3"),
            &[],
            "daily",
            Some("22:00-02:00"),
            &[],
        ),
        spec(
            "DRAIN",
            "绿化带积水检查",
            None,
            &["CP-R11", "CP-R12"],
            "weekly",
            None,
            &["雨季:06-01..09-30:daily"],
        ),
    ] {
        put_schedule(txn, code, &s, now)?;
    }
    Ok(())
}

/// A demo person as the server sees a signed-in device of theirs.
fn as_user(txn: &mut dyn Txn, name: &str) -> Result<crate::validate::Sender, AccountError> {
    let u = txn
        .user_by_name(name)?
        .ok_or_else(|| AccountError::UnknownUser(name.into()))?;
    Ok(crate::validate::Sender {
        // Seeded events come from one demo device per person.
        device: DeviceId::from_uuid(uuid::Uuid::from_u128(
            u128::from_le_bytes(*u.id.as_uuid().as_bytes()) ^ 0x5EED,
        )),
        user: u.id,
        user_name: u.name.clone(),
        role: u.role,
        actor: txn.server_actor()?,
        sites: vec![u.site],
    })
}

fn change(e: crate::tracker::ChangeError) -> AccountError {
    match e {
        crate::tracker::ChangeError::Store(s) => AccountError::Store(s),
        other => failed(other.to_string()),
    }
}

/// A few days of the closed loop on the demo estate, written through the same
/// code as real use (each event with its author, role and time): a complaint
/// dispatched by customer service whose 48 h promise survives the dispatch, a
/// rectification waiting longer than the site's verification hours (the job
/// reminds the managers when the server starts), and a problem that came back
/// after acceptance, whose root-cause record stays open until its second
/// corrective action is done.
pub fn demo_history(txn: &mut dyn Txn, now: DateTime<Utc>) -> Result<(), AccountError> {
    use crate::tracker::{append_event, raise_complaint};
    use chrono::Duration;
    use shared::issue::EventBody;
    let site = accounts::site(txn, "DEMO")?;
    let (_, plan) = accounts::load_plan(txn, &site)?;
    let (cs, inspector, manager, staff, cleaner, guard) = (
        as_user(txn, "cs1")?,
        as_user(txn, "inspector1")?,
        as_user(txn, "manager1")?,
        as_user(txn, "staff1")?,
        as_user(txn, "staff2")?,
        as_user(txn, "staff3")?,
    );
    let assign = |department: Department, to: &crate::validate::Sender| EventBody::Assign {
        department,
        assignee: to.user,
        assignee_name: to.user_name.clone(),
        deadline: None,
    };

    // 1. A neighbour dispute, dispatched by customer service an hour later.
    let req = shared::app::ComplaintRequest {
        zone: Some("Z-RES".into()),
        location: "3号楼 12 层".into(),
        contact: "孙女士 136 0000 1234".into(),
        category: shared::Category::NeighbourDispute,
        urgency: Default::default(),
        title: "楼上夜间装修噪音".into(),
        description: "业主来电：连续三晚 22 点后仍在施工".into(),
        photos: Vec::new(),
    };
    let complaint =
        raise_complaint(txn, &cs, &plan, &req, now - Duration::hours(20)).map_err(change)?;
    append_event(
        txn,
        &cs,
        complaint.id,
        assign(Department::Security, &guard),
        now - Duration::hours(19),
    )
    .map_err(change)?;

    // 2. A finding fixed 30 hours ago, still not verified.
    let light = raise_finding(
        txn,
        &inspector,
        &plan,
        "CP-P06",
        shared::Category::SignageLighting,
        "B1 东区照明两组灯不亮",
        now - Duration::hours(60),
    )?;
    append_event(
        txn,
        &manager,
        light,
        assign(Department::Engineering, &staff),
        now - Duration::hours(58),
    )
    .map_err(change)?;
    append_event(
        txn,
        &staff,
        light,
        EventBody::Rectify {
            note: "更换两组灯管".into(),
            photos: Vec::new(),
        },
        now - Duration::hours(30),
    )
    .map_err(change)?;

    // 3. A full bin, fixed and accepted, that came back: a root-cause record.
    let bin = raise_finding(
        txn,
        &inspector,
        &plan,
        "CP-R09",
        shared::Category::HygieneDefect,
        "东区垃圾分类点满溢",
        now - Duration::days(10),
    )?;
    append_event(
        txn,
        &manager,
        bin,
        assign(Department::Cleaning, &cleaner),
        now - Duration::days(10) + Duration::hours(1),
    )
    .map_err(change)?;
    append_event(
        txn,
        &cleaner,
        bin,
        EventBody::Rectify {
            note: "已清运".into(),
            photos: Vec::new(),
        },
        now - Duration::days(10) + Duration::hours(3),
    )
    .map_err(change)?;
    append_event(
        txn,
        &inspector,
        bin,
        EventBody::Verify {
            note: "复查已清空".into(),
        },
        now - Duration::days(9),
    )
    .map_err(change)?;
    let again = raise_finding(
        txn,
        &inspector,
        &plan,
        "CP-R09",
        shared::Category::HygieneDefect,
        "东区垃圾分类点又满溢",
        now - Duration::days(2),
    )?;
    let task = txn
        .root_causes(site.id)?
        .into_iter()
        .find(|r| r.issues.contains(&again))
        .ok_or_else(|| failed("the repeat opened no root-cause task"))?;
    let input = shared::repeat::RootCauseInput {
        id: Some(task.id),
        issues: vec![bin, again],
        whys: vec![
            "垃圾分类点下午满溢".into(),
            "下午没有清运班次".into(),
            "保洁排班按旧的入住率制定".into(),
        ],
        cause: shared::repeat::CauseClass::Process,
        actions: vec![
            shared::repeat::ActionInput {
                n: None,
                action: "增加下午 15:00 清运班次".into(),
                owner: "staff2".into(),
                due: (now + Duration::days(3)).date_naive(),
            },
            shared::repeat::ActionInput {
                n: None,
                action: "按现入住率修订保洁排班表".into(),
                owner: "manager1".into(),
                due: (now + Duration::days(7)).date_naive(),
            },
        ],
    };
    let at = now - Duration::days(1);
    crate::rootcause::save(txn, &manager, &plan, input, at).map_err(|e| failed(e.message))?;
    crate::rootcause::set_action(
        txn,
        &cleaner,
        task.id,
        1,
        shared::repeat::ActionStatus::Done,
        now - Duration::hours(6),
    )
    .map_err(|e| failed(e.message))?;
    Ok(())
}

/// A finding as `by`'s device would write it (from a patrol run's failed
/// item, or seen on the way), with the grade's default deadline from `at`,
/// stored through the same path as a synced document.
struct Finding<'a> {
    point: &'a str,
    category: shared::Category,
    grade: shared::Grade,
    title: &'a str,
    patrol: Option<PatrolRunId>,
    item: Option<Code>,
    at: DateTime<Utc>,
}

fn raise_finding(
    txn: &mut dyn Txn,
    by: &crate::validate::Sender,
    plan: &SitePlan,
    point: &str,
    category: shared::Category,
    title: &str,
    at: DateTime<Utc>,
) -> Result<IssueId, AccountError> {
    raise(
        txn,
        by,
        plan,
        &Finding {
            point,
            category,
            grade: shared::Grade::Deadline,
            title,
            patrol: None,
            item: None,
            at,
        },
    )
}

fn raise(
    txn: &mut dyn Txn,
    by: &crate::validate::Sender,
    plan: &SitePlan,
    f: &Finding,
) -> Result<IssueId, AccountError> {
    use shared::issue::{EventBody, IssueEvent};
    let cp = plan
        .checkpoint_by_code(f.point)
        .ok_or_else(|| failed(format!("no checkpoint {}", f.point)))?;
    let raise = IssueEvent {
        id: EventId::new(),
        lamport: 1,
        by: by.user,
        by_name: by.user_name.clone(),
        role: by.role,
        device: by.device,
        at: f.at,
        base: None,
        body: EventBody::Raise {
            site: plan.site.id,
            zone: Some(cp.zone),
            checkpoint: Some(cp.id),
            checkpoint_code: Some(cp.code.clone()),
            item: f.item.clone(),
            patrol: f.patrol,
            category: f.category,
            grade: f.grade,
            title: f.title.into(),
            description: String::new(),
            photos: Vec::new(),
            deadline: Some(plan.site.deadlines.default_deadline(f.grade, f.at)),
            complaint: None,
        },
    };
    let at = f.at;
    let id = IssueId::new();
    let corrupt = |e: String| AccountError::Store(crate::error::StoreError::Corrupt(e));
    let mut d = shared::doc::new_issue(
        shared::doc::actor(txn.server_actor()?),
        id,
        plan.site.id,
        &raise,
    )
    .map_err(|e| corrupt(e.to_string()))?;
    crate::sync::save(
        txn,
        id.into(),
        shared::wire::DocKind::Issue,
        &mut d,
        Some(vec![raise.clone()]),
        at,
    )?;
    txn.put_receipt(*raise.id.as_uuid(), id.into(), at)?;
    Ok(id)
}

/// A small deterministic generator (xorshift), so the demo's past is the same
/// on every machine.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// True with probability `p` (0–1).
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
    /// A whole number in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

/// What [`demo_past`] wrote.
#[derive(Debug, Default, Serialize)]
pub struct PastSummary {
    pub days: u32,
    pub patrol_runs: usize,
    pub checkpoint_results: usize,
    pub skipped_rounds: usize,
    pub findings: usize,
    pub complaints: usize,
}

/// The department and person who fix a finding of `category`.
fn fixer(category: shared::Category) -> (Department, &'static str) {
    use shared::Category::*;
    match category {
        HygieneDefect | Landscaping => (Department::Cleaning, "staff2"),
        SafetyHazard | OrderSecurity | NeighbourDispute => (Department::Security, "staff3"),
        _ => (Department::Engineering, "staff1"),
    }
}

/// The weeks before `now` on the demo estate, written through the same code
/// as real use: the schedules' rounds walked by the two inspectors (a few
/// rounds missed, a few points skipped, one inspector now and then walking a
/// round far too fast), checklist answers with their failures turned into
/// graded findings, and each finding's life — assigned, fixed on time or
/// late, rejected once in a while, verified, cancelled, or still open — and
/// residents' complaints with their call-backs. Every event carries its
/// author, role, device and time. Deterministic for a given `now`.
pub fn demo_past(
    txn: &mut dyn Txn,
    now: DateTime<Utc>,
    days: u32,
) -> Result<PastSummary, AccountError> {
    past_of(txn, "DEMO", "", 0x00DE_3057_2026_1205, now, days)
}

/// [`demo_past`] on the estate `code` whose team is named with `suffix`
/// ([`add_team`]), the dice started from `seed`.
fn past_of(
    txn: &mut dyn Txn,
    code: &str,
    suffix: &str,
    seed: u64,
    now: DateTime<Utc>,
    days: u32,
) -> Result<PastSummary, AccountError> {
    use crate::tracker::{append_event, raise_complaint};
    use chrono::{Duration, TimeZone};
    use shared::issue::EventBody;
    use shared::patrol::{
        Answer, CheckpointResult, EntryMethod, ItemResult, Outcome, PatrolRun, PinnedChecklist,
        Presence, evaluate,
    };
    use shared::{Category, Grade};

    let site = accounts::site(txn, code)?;
    let (_, plan) = accounts::load_plan(txn, &site)?;
    let offset = plan.site.deadlines.offset();
    let today = now.with_timezone(&offset).date_naive();
    let who = |name: &str| format!("{name}{suffix}");
    let inspectors = [
        as_user(txn, &who("inspector1"))?,
        as_user(txn, &who("inspector2"))?,
    ];
    let manager = as_user(txn, &who("manager1"))?;
    let cs = as_user(txn, &who("cs1"))?;
    let mut dice = Dice(seed);
    let mut summary = PastSummary {
        days,
        ..Default::default()
    };
    // Events happen only in the past; a step that would fall after `now - 1 h` is left undone.
    let horizon = now - Duration::hours(1);

    // The life of one finding after it was raised at `at`.
    // Rare turns come at fixed places in the sequence (the n-th finding), so
    // every kind is there whatever the time of day the demo is seeded.
    let follow = |txn: &mut dyn Txn,
                  dice: &mut Dice,
                  n: usize,
                  id: IssueId,
                  category: Category,
                  grade: Grade,
                  at: DateTime<Utc>,
                  inspector: &crate::validate::Sender|
     -> Result<(), AccountError> {
        let deadline = plan.site.deadlines.default_deadline(grade, at);
        if n % 25 == 7 {
            let when = at + Duration::hours(2);
            if when < horizon {
                let note = "与另一条记录重复".into();
                append_event(txn, &manager, id, EventBody::Cancel { note }, when)
                    .map_err(change)?;
            }
            return Ok(());
        }
        let assigned = at + Duration::minutes(dice.between(20, 240));
        if assigned >= horizon || n % 20 == 3 {
            return Ok(()); // still waiting to be dispatched
        }
        let (department, fixer_name) = fixer(category);
        let staff = as_user(txn, &who(fixer_name))?;
        let body = EventBody::Assign {
            department,
            assignee: staff.user,
            assignee_name: staff.user_name.clone(),
            deadline: None,
        };
        append_event(txn, &manager, id, body, assigned).map_err(change)?;
        // Most fixes land inside the time allowed; about one in six late.
        let allowed = (deadline - assigned).num_minutes().max(60);
        let share = if n % 7 == 4 || dice.chance(0.05) {
            dice.between(105, 180)
        } else {
            dice.between(15, 95)
        };
        let mut fixed = assigned + Duration::minutes(allowed * share / 100);
        if fixed >= horizon {
            return Ok(()); // still with the field staff (overdue if past its deadline)
        }
        let rectify = |note: &str| EventBody::Rectify {
            note: note.into(),
            photos: Vec::new(),
        };
        append_event(txn, &staff, id, rectify("已整改"), fixed).map_err(change)?;
        let mut check = fixed + Duration::hours(dice.between(2, 20));
        if check >= horizon {
            return Ok(()); // waiting for verification
        }
        if n % 8 == 2 {
            let body = EventBody::Reject {
                note: "复查仍不合格，请重新处理".into(),
                department: None,
                assignee: None,
                assignee_name: None,
                deadline: None,
            };
            append_event(txn, inspector, id, body, check).map_err(change)?;
            fixed = check + Duration::hours(dice.between(3, 30));
            if fixed >= horizon {
                return Ok(());
            }
            append_event(txn, &staff, id, rectify("返工完成"), fixed).map_err(change)?;
            check = fixed + Duration::hours(dice.between(2, 12));
            if check >= horizon {
                return Ok(());
            }
        }
        let body = EventBody::Verify {
            note: "复查合格".into(),
        };
        append_event(txn, inspector, id, body, check).map_err(change)?;
        Ok(())
    };

    let mut second = 0;
    for back in (1..=days as i64).rev() {
        let day = today - Duration::days(back);
        let start = plan
            .site
            .deadlines
            .offset()
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"));
        let Some(start) = start.single().map(|t| t.with_timezone(&Utc)) else {
            continue;
        };
        for task in shared::schedule::tasks(&plan, day, day + Duration::days(1)) {
            // Only rounds of a route that open on this day.
            let Some(route) = task
                .route
                .and_then(|r| plan.routes.iter().find(|x| x.id == r))
            else {
                continue;
            };
            if task.from < start || task.until > horizon {
                continue;
            }
            if dice.chance(0.07) {
                summary.skipped_rounds += 1;
                continue;
            }
            let inspector = &inspectors[dice.between(0, 1) as usize];
            // Now and then inspector2 walks a round in seconds per point, finding nothing.
            let hurried = inspector.user_name == "inspector2" && {
                second += 1;
                second % 8 == 3
            };
            let run = PatrolRun {
                id: PatrolRunId::new(),
                site: plan.site.id,
                route: route.id,
                route_code: route.code.clone(),
                inspector: inspector.user,
                inspector_name: inspector.user_name.clone(),
                device: inspector.device,
                started_at: task.from + Duration::minutes(dice.between(5, 40)),
                checklists: task
                    .checkpoints
                    .iter()
                    .filter_map(|c| plan.checkpoint(*c))
                    .map(|c| PinnedChecklist {
                        checkpoint: c.id,
                        template: c.template,
                        version: c.template_version,
                    })
                    .collect(),
            };
            let mut d = shared::doc::new_patrol(shared::doc::actor(txn.server_actor()?), &run)
                .map_err(|e| failed(e.to_string()))?;
            let mut clock = run.started_at;
            let mut failures = Vec::new();
            let mut results = Vec::new();
            for cp in task.checkpoints.iter().filter_map(|c| plan.checkpoint(*c)) {
                clock += Duration::seconds(dice.between(60, 300));
                if !hurried && dice.chance(0.05) {
                    continue; // a point skipped
                }
                let Some(template) = plan.template(cp.template, cp.template_version) else {
                    continue;
                };
                let dwell = if hurried {
                    dice.between(3, 8)
                } else {
                    dice.between(35, 180)
                };
                let arrived = clock;
                clock += Duration::seconds(dwell);
                let mut items = Vec::new();
                for item in &template.items {
                    let fail = !hurried && dice.chance(0.012);
                    let answer = match &item.kind {
                        ItemKind::Reading { min, max, .. } => {
                            let (lo, hi) =
                                (min.unwrap_or(0.0), max.unwrap_or(min.unwrap_or(0.0) + 10.0));
                            if fail {
                                Answer::Reading(lo - (hi - lo).abs() * 0.2 - 0.1)
                            } else {
                                Answer::Reading(
                                    lo + (hi - lo) * dice.between(20, 80) as f64 / 100.0,
                                )
                            }
                        }
                        _ if fail => Answer::Fail,
                        _ if dice.chance(0.02) => Answer::Na,
                        _ => Answer::Pass,
                    };
                    let Ok(outcome) = evaluate(item, answer) else {
                        continue;
                    };
                    if outcome == Outcome::Fail {
                        failures.push((cp.code.clone(), item.clone(), clock));
                    }
                    items.push(ItemResult {
                        item: item.code.clone(),
                        answer,
                        outcome,
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
                        code: cp.code.to_string(),
                        method: if dice.chance(0.7) {
                            EntryMethod::Scanned
                        } else {
                            EntryMethod::Typed
                        },
                        arrived_at: Some(arrived),
                    },
                    by: inspector.user,
                    checked_at: clock,
                };
                shared::doc::append_result(&mut d, &result).map_err(|e| failed(e.to_string()))?;
                results.push(result.id);
                summary.checkpoint_results += 1;
            }
            shared::doc::finish_patrol(&mut d, clock + Duration::minutes(2))
                .map_err(|e| failed(e.to_string()))?;
            crate::sync::save(
                txn,
                run.id.into(),
                shared::wire::DocKind::Patrol,
                &mut d,
                None,
                clock + Duration::minutes(2),
            )?;
            // The tablet syncs back in the office, a little after the round.
            let synced = clock + Duration::minutes(5 + results.len() as i64);
            for r in results {
                txn.put_receipt(*r.as_uuid(), run.id.into(), synced)?;
            }
            summary.patrol_runs += 1;
            for (point, item, at) in failures {
                let category = match item.family {
                    ItemFamily::Environment if dice.chance(0.2) => Category::Landscaping,
                    ItemFamily::Environment => Category::HygieneDefect,
                    ItemFamily::SafetyLighting if dice.chance(0.5) => Category::SafetyHazard,
                    ItemFamily::SafetyLighting => Category::SignageLighting,
                    ItemFamily::Facility => Category::EquipmentFault,
                };
                let grade = match dice.between(0, 9) {
                    0 | 1 => Grade::Immediate,
                    2 => Grade::LongTerm,
                    _ => Grade::Deadline,
                };
                let title = format!("{}不合格", item.label);
                let id = raise(
                    txn,
                    inspector,
                    &plan,
                    &Finding {
                        point: point.as_str(),
                        category,
                        grade,
                        title: &title,
                        patrol: Some(run.id),
                        item: Some(item.code.clone()),
                        at,
                    },
                )?;
                follow(
                    txn,
                    &mut dice,
                    summary.findings,
                    id,
                    category,
                    grade,
                    at,
                    inspector,
                )?;
                summary.findings += 1;
            }
        }
    }

    // Residents' complaints through customer service, with their call-backs.
    let complaints = [
        (
            "Z-RES",
            "5号楼单元门",
            Category::EquipmentFault,
            "单元门门禁失灵",
            true,
        ),
        (
            "Z-RES",
            "2号楼东侧绿地",
            Category::Landscaping,
            "草坪多日未修剪",
            true,
        ),
        (
            "Z-COM",
            "商业街 3 号铺前",
            Category::HygieneDefect,
            "商铺门前油污",
            true,
        ),
        (
            "Z-PUB",
            "地下车库 B2",
            Category::SignageLighting,
            "车库出口指示灯不亮",
            false,
        ),
        (
            "Z-RES",
            "7号楼 3 层",
            Category::OrderSecurity,
            "楼道堆放杂物",
            true,
        ),
        (
            "Z-COM",
            "商业街停车场",
            Category::OrderSecurity,
            "夜间车辆乱停",
            true,
        ),
    ];
    for (n, (zone, location, category, title, satisfied)) in complaints.into_iter().enumerate() {
        let back = (days as i64 * (n as i64 + 1)) / (complaints.len() as i64 + 1);
        let at = now - Duration::days(days as i64 - back) + Duration::hours(dice.between(1, 10));
        if at >= horizon - Duration::days(3) {
            continue;
        }
        let req = shared::app::ComplaintRequest {
            zone: Some(zone.into()),
            location: location.into(),
            contact: format!("业主 139 0000 {:04}", 1000 + n * 37),
            category,
            urgency: Default::default(),
            title: title.into(),
            description: "业主来电反映".into(),
            photos: Vec::new(),
        };
        let c = raise_complaint(txn, &cs, &plan, &req, at).map_err(change)?;
        summary.complaints += 1;
        let (department, fixer_name) = fixer(category);
        let staff = as_user(txn, &who(fixer_name))?;
        let dispatched = at + Duration::minutes(dice.between(10, 50));
        let body = EventBody::Assign {
            department,
            assignee: staff.user,
            assignee_name: staff.user_name.clone(),
            deadline: None,
        };
        append_event(txn, &cs, c.id, body, dispatched).map_err(change)?;
        let fixed = dispatched + Duration::hours(dice.between(3, 40));
        let body = EventBody::Rectify {
            note: "已处理并告知业主".into(),
            photos: Vec::new(),
        };
        append_event(txn, &staff, c.id, body, fixed).map_err(change)?;
        let verified = fixed + Duration::hours(dice.between(2, 10));
        let body = EventBody::Verify {
            note: "现场确认".into(),
        };
        append_event(txn, &manager, c.id, body, verified).map_err(change)?;
        let called = verified + Duration::hours(dice.between(2, 20));
        let body = EventBody::Callback {
            satisfied,
            note: if satisfied {
                "业主表示满意".into()
            } else {
                "业主反映夜间仍不亮".into()
            },
            deadline: (!satisfied).then(|| called + Duration::hours(48)),
        };
        append_event(txn, &cs, c.id, body, called).map_err(change)?;
    }
    Ok(summary)
}

/// A demo-data step that could not be built (English only: it is never a form's answer).
fn failed(m: impl Into<String>) -> AccountError {
    AccountError::invalid(m, "")
}
