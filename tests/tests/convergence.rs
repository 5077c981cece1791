//! Property: devices that work offline on overlapping issues and reconnect in
//! any order all converge with the server to the same projection.

use chrono::{Duration, Utc};
use device::Device;
use proptest::prelude::*;
use shared::issue::EventBody;
use shared::{Category, Department, Grade};
use tests::*;

fn raise(d: &mut Device, checkpoint: &str, title: &str) -> shared::IssueId {
    d.raise_issue(
        finding(checkpoint, Category::HygieneDefect, Grade::Immediate, title),
        Utc::now(),
    )
    .unwrap()
}

fn event(d: &mut Device, id: shared::IssueId, body: EventBody) {
    // Offline work may conflict; a locally refused change is simply not made.
    let _ = d.issue_event(id, body, true, Utc::now());
}

/// Runs one scenario: `order` says which device reconnects when (indices into
/// [inspector1, inspector2, staff1, manager1]), `extra` adds offline work.
fn scenario(order: &[usize], extra: &[(usize, usize)]) {
    let seeded = Seeded::new();
    let server = InProcessServer::start(seeded.store.clone());
    let dirs: Vec<_> = (0..4).map(|_| device_dir()).collect();
    let names = ["inspector1", "inspector2", "staff1", "manager1"];
    let mut devices: Vec<Device> = names
        .iter()
        .zip(&dirs)
        .map(|(n, d)| device(d.path(), &server.url, n, &seeded.password(n)))
        .collect();
    // Shared starting point: three issues, two assigned to staff1.
    let issues: Vec<_> = ["CP-R01", "CP-R02", "CP-R03"]
        .iter()
        .map(|c| raise(&mut devices[0], c, &format!("{c} 问题")))
        .collect();
    devices[0].sync(&opts()).unwrap();
    devices[3].sync(&opts()).unwrap();
    let staff = devices[3]
        .plan()
        .unwrap()
        .user_by_name("staff1")
        .unwrap()
        .clone();
    for id in &issues[..2] {
        event(
            &mut devices[3],
            *id,
            EventBody::Assign {
                department: Department::Engineering,
                assignee: staff.id,
                assignee_name: "staff1".into(),
                deadline: Some(Utc::now() + Duration::days(1)),
            },
        );
    }
    devices[3].sync(&opts()).unwrap();
    for d in devices.iter_mut() {
        d.sync(&opts()).unwrap();
    }

    // Offline, overlapping work.
    event(
        &mut devices[2],
        issues[0],
        EventBody::Rectify {
            note: "已清理".into(),
            photos: vec![],
        },
    );
    event(
        &mut devices[2],
        issues[1],
        EventBody::Rectify {
            note: "已修复".into(),
            photos: vec![],
        },
    );
    event(
        &mut devices[3],
        issues[0],
        EventBody::Regrade {
            grade: Some(Grade::Deadline),
            category: None,
        },
    );
    event(
        &mut devices[3],
        issues[1],
        EventBody::Cancel {
            note: "误报".into(),
        },
    );
    event(
        &mut devices[3],
        issues[2],
        EventBody::MoveDeadline {
            deadline: Utc::now() + Duration::days(5),
        },
    );
    event(
        &mut devices[1],
        issues[0],
        EventBody::Comment {
            text: "复查时再看".into(),
        },
    );
    event(
        &mut devices[1],
        issues[2],
        EventBody::Edit {
            title: Some("标题改过".into()),
            description: None,
        },
    );
    event(
        &mut devices[0],
        issues[2],
        EventBody::Edit {
            title: Some("另一个标题".into()),
            description: None,
        },
    );
    raise(&mut devices[1], "CP-R04", "新问题");
    for &(who, what) in extra {
        let id = issues[what % issues.len()];
        event(
            &mut devices[who],
            id,
            EventBody::Comment {
                text: format!("补充 {who}"),
            },
        );
    }

    // Reconnect in the given order, then everyone twice more.
    for &i in order {
        devices[i].sync(&opts()).unwrap();
    }
    for _ in 0..2 {
        for d in devices.iter_mut() {
            let r = d.sync(&opts()).unwrap();
            assert!(r.refused_docs.is_empty(), "{:?}", r.refused_docs);
        }
    }
    let token = devices[3].session().unwrap().token;
    let expected = comparable(&server_issues(&server.url, &token));
    assert_eq!(expected.len(), 4);
    for (d, name) in devices.iter().zip(names) {
        assert_eq!(
            comparable(&d.issues(&Default::default()).unwrap()),
            expected,
            "{name} converged"
        );
        assert_eq!(d.pending_count().unwrap(), 0, "{name} has nothing pending");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, max_shrink_iters: 0, .. ProptestConfig::default() })]
    #[test]
    fn any_reconnect_order_converges(
        order in proptest::collection::vec(0usize..4, 1..8),
        extra in proptest::collection::vec((0usize..4, 0usize..3), 0..4),
    ) {
        scenario(&order, &extra);
    }
}
