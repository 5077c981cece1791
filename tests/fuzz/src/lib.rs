//! What the fuzz targets and the corpus writer share: one fixed sender (site,
//! user, device, actor) so seeds made by `make_corpus` pass the server's
//! identity checks and the fuzzer starts from inputs that reach the schema,
//! policy and fold code; and builders of well-formed domain values. Each
//! target's harness lives here (the files in `fuzz_targets/` only hand it the
//! input), so `make_corpus` can check that every seed it writes really reaches
//! the code past the parsers.

pub mod csv_import;
pub mod issue_document;
pub mod photo_pipeline;
pub mod sync_request;

use chrono::{DateTime, Utc};
use shared::codes::{Category, Department, Grade, Role};
use shared::ids::*;
use shared::issue::{Base, EventBody, IssueEvent};
use shared::plan::Site;
use shared::text::Code;
use sync_server::validate::Sender;

pub const ACTOR: [u8; 16] = [7; 16];
pub const SITE: [u8; 16] = [0x51; 16];
pub const OTHER_SITE: [u8; 16] = [0x52; 16];
pub const USER: [u8; 16] = [0x55; 16];
pub const DEVICE: [u8; 16] = [0xde; 16];
pub const USER_NAME: &str = "inspector1";

pub fn site_id() -> SiteId {
    SiteId::from_bytes(SITE)
}
pub fn user_id() -> UserId {
    UserId::from_bytes(USER)
}
pub fn device_id() -> DeviceId {
    DeviceId::from_bytes(DEVICE)
}

/// libFuzzer's harness aborts on every panic, even one the server catches and
/// answers as a refusal (the server catches what Automerge panics on while
/// reading or applying a change). This puts Rust's default hook back, once:
/// a panic the code under test catches is then what it is on the server, and
/// one it does not catch still reaches libFuzzer's own `catch_unwind`, which
/// aborts and records the input as a crash.
pub fn panics_as_the_server_sees_them() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| drop(std::panic::take_hook()));
}

/// The device every sync request comes from: an inspector of one site.
pub fn sender() -> Sender {
    Sender {
        device: device_id(),
        user: user_id(),
        user_name: USER_NAME.into(),
        role: Role::Inspector,
        actor: ACTOR,
        sites: vec![site_id()],
    }
}

/// The demo site, with fixed ids (as `accounts::add_site` makes it).
pub fn demo_site() -> Site {
    Site {
        id: site_id(),
        code: Code::parse("site code", "DEMO").expect("a valid code"),
        name: "示范花园小区（演示项目）".into(),
        deadlines: Default::default(),
        keep_originals: false,
        repeat_window_days: 30,
        complaint_sla: Default::default(),
        departments: Vec::new(),
        csi_weights: Vec::new(),
    }
}

/// A fixed instant plus `secs`.
pub fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_770_000_000 + secs.rem_euclid(1 << 32), 0).expect("in range")
}

/// An id whose 16 bytes are `n` spread out (deterministic, distinct per `n`).
pub fn id_bytes(tag: u8, n: u64) -> [u8; 16] {
    let mut b = [tag; 16];
    b[8..].copy_from_slice(&n.to_be_bytes());
    b
}

/// The raise event of a new issue at the sender's site.
pub fn raise(n: u64, title: &str, complaint: bool) -> IssueEvent {
    IssueEvent {
        id: EventId::from_bytes(id_bytes(0xe0, n)),
        lamport: 1,
        by: user_id(),
        by_name: USER_NAME.into(),
        role: Role::Inspector,
        device: device_id(),
        at: at(n as i64),
        base: None,
        body: EventBody::Raise {
            site: site_id(),
            zone: Some(ZoneId::from_bytes(id_bytes(0x20, 1))),
            checkpoint: None,
            checkpoint_code: None,
            item: None,
            patrol: None,
            category: Category::SafetyHazard,
            grade: Grade::Deadline,
            title: title.into(),
            description: "井盖松动".into(),
            photos: Vec::new(),
            deadline: Some(at(3 * 86_400)),
            complaint: complaint.then(|| shared::issue::Complaint {
                location: "3号楼".into(),
                contact: "王女士 138****5678".into(),
                ..Default::default()
            }),
        },
    }
}

/// A later event (chosen by `which`) written on top of `lamport - 1` events.
pub fn later_event(n: u64, lamport: u64, which: u8, text: &str) -> IssueEvent {
    let deadline = at(5 * 86_400);
    let assignee = UserId::from_bytes(id_bytes(0x56, 1));
    let body = match which % 12 {
        0 => EventBody::Comment { text: text.into() },
        1 => EventBody::Edit {
            title: Some(text.into()),
            description: None,
        },
        2 => EventBody::Regrade {
            grade: Some(Grade::Immediate),
            category: Some(Category::EquipmentFault),
        },
        3 => EventBody::Assign {
            department: Department::Engineering,
            assignee,
            assignee_name: "staff1".into(),
            deadline: n.is_multiple_of(2).then_some(deadline),
        },
        4 => EventBody::MoveDeadline { deadline },
        5 => EventBody::Rectify {
            note: text.into(),
            photos: Vec::new(),
        },
        6 => EventBody::Verify { note: text.into() },
        7 => EventBody::Reject {
            note: text.into(),
            department: Some(Department::Cleaning),
            assignee: Some(assignee),
            assignee_name: Some("staff1".into()),
            deadline: Some(deadline),
        },
        8 => EventBody::Cancel { note: text.into() },
        9 => EventBody::Reopen {
            note: text.into(),
            department: None,
            assignee: None,
            assignee_name: None,
            deadline: None,
        },
        10 => EventBody::Callback {
            satisfied: n.is_multiple_of(2),
            note: text.into(),
            deadline: Some(deadline),
        },
        _ => raise(n, text, false).body,
    };
    IssueEvent {
        id: EventId::from_bytes(id_bytes(0xe1, n)),
        lamport,
        by: user_id(),
        by_name: USER_NAME.into(),
        role: Role::Inspector,
        device: device_id(),
        at: at(n as i64 * 60),
        base: Some(Base {
            status: shared::codes::Status::Recorded,
            grade: Grade::Deadline,
            category: Category::SafetyHazard,
            department: None,
            assignee: None,
            deadline: None,
        }),
        body,
    }
}

/// A patrol run by the sender on route R1 of the sender's site.
pub fn patrol_run() -> shared::patrol::PatrolRun {
    shared::patrol::PatrolRun {
        id: PatrolRunId::from_bytes(id_bytes(0x9a, 1)),
        site: site_id(),
        route: RouteId::from_bytes(id_bytes(0x40, 1)),
        route_code: Code::parse("route", "R1").expect("a valid code"),
        inspector: user_id(),
        inspector_name: USER_NAME.into(),
        device: device_id(),
        started_at: at(0),
        checklists: Vec::new(),
    }
}

/// A checkpoint result by the sender: one pass/fail item and one reading.
pub fn checkpoint_result(n: u64) -> shared::patrol::CheckpointResult {
    use shared::patrol::{Answer, CheckpointResult, EntryMethod, ItemResult, Outcome, Presence};
    CheckpointResult {
        id: ResultId::from_bytes(id_bytes(0x7e, n)),
        checkpoint: CheckpointId::from_bytes(id_bytes(0x30, n)),
        checkpoint_code: Code::parse("point", &format!("P-{n:02}")).expect("a valid code"),
        template: TemplateId::from_bytes(id_bytes(0x70, 1)),
        template_version: 1,
        items: vec![
            ItemResult {
                item: Code::parse("item", "C01").expect("a valid code"),
                answer: Answer::Pass,
                outcome: Outcome::Pass,
            },
            ItemResult {
                item: Code::parse("item", "C02").expect("a valid code"),
                answer: Answer::Reading(0.35),
                outcome: Outcome::Fail,
            },
        ],
        presence: Presence::CodeEntered {
            code: format!("P-{n:02}"),
            method: EntryMethod::Scanned,
            arrived_at: Some(at(n as i64 * 60)),
        },
        by: user_id(),
        checked_at: at(n as i64 * 60 + 30),
    }
}
