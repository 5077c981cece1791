//! The analysis over a large history: sites × days of tracker rows and patrol
//! runs written through the store's projections (as the sync path leaves
//! them), then one site's month page, one breakdown and the figures of every
//! site for the same month (what a group's league table computes), each
//! beside a same-run baseline: one `SELECT count(*)` over the issue rows.
//!
//! `cargo bench -p tests --bench analytics`: 20 sites × 365 days (200,000+
//! issues, 50,000 patrol runs, 2,000,000 checklist answers), and 2 sites ×
//! 365 days to show how the time grows with the rows. Under `cargo test`
//! (CI) a quick mode: 1 and 4 sites × 56 days. Prints figures; asserts only
//! that the pages agree with the rows they were built from.

use chrono::{DateTime, Duration, TimeZone, Utc};
use shared::codes::{Category, Department, Grade, Status};
use shared::ids::*;
use shared::patrol::{
    Answer, CheckpointResult, EntryMethod, ItemResult, Outcome, PatrolRun, PatrolRunView,
    PinnedChecklist, Presence,
};
use shared::plan::SitePlan;
use shared::wire::IssueSummary;
use std::time::{Duration as Elapsed, Instant};
use sync_server::store::Store;
use tests::best;

const ISSUES_PER_SITE_DAY: usize = 28;
const RUNS_PER_SITE_DAY: usize = 7;

/// A small deterministic generator.
struct Dice(u64);
impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// A history of `sites` demo estates over the `days` before `end`.
struct History {
    _dir: tempfile::TempDir,
    store: sync_server::sqlite::SqliteStore,
    plans: Vec<SitePlan>,
    issues: usize,
    runs: usize,
    answers: usize,
}

fn build(sites: usize, days: i64, end: DateTime<Utc>) -> History {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = sync_server::sqlite::SqliteStore::open(dir.path()).expect("store");
    let mut dice = Dice(0x5EED_A11A);
    let (mut issues, mut runs, mut answers) = (0, 0, 0);
    let mut plans = Vec::new();
    for n in 0..sites {
        let mut txn = store.begin().expect("txn");
        let code = format!("S{n:02}");
        let now = end - Duration::days(days + 1);
        let site = sync_server::accounts::add_site(&mut *txn, &code, &format!("项目 {n}"), now)
            .expect("site");
        let plan = sync_server::seed::demo_plan(site.clone());
        sync_server::accounts::store_plan(&mut *txn, plan.clone(), now).expect("plan");
        sync_server::seed::schedules_of(&mut *txn, &code, now).expect("schedules");
        let (_, plan) = sync_server::accounts::load_plan(&mut *txn, &site).expect("load");
        let inspector = UserId::new();
        for day in 0..days {
            let morning = end - Duration::days(days - day) + Duration::hours(1);
            let mut run_ids = Vec::new();
            for r in 0..RUNS_PER_SITE_DAY {
                let route = &plan.routes[r % plan.routes.len()];
                let started = morning + Duration::minutes(90 * r as i64);
                let run = PatrolRun {
                    id: PatrolRunId::new(),
                    site: site.id,
                    route: route.id,
                    route_code: route.code.clone(),
                    inspector,
                    inspector_name: "inspector1".into(),
                    device: DeviceId::new(),
                    started_at: started,
                    checklists: Vec::<PinnedChecklist>::new(),
                };
                let mut results = Vec::new();
                for (i, cp) in route
                    .checkpoints
                    .iter()
                    .filter_map(|c| plan.checkpoint(*c))
                    .enumerate()
                {
                    let template = plan.template(cp.template, cp.template_version).expect("t");
                    let at = started + Duration::minutes(3 * i as i64 + 2);
                    let items: Vec<ItemResult> = template
                        .items
                        .iter()
                        .take(3)
                        .map(|item| {
                            let pass = !dice.next().is_multiple_of(50);
                            ItemResult {
                                item: item.code.clone(),
                                answer: if pass { Answer::Pass } else { Answer::Fail },
                                outcome: if pass { Outcome::Pass } else { Outcome::Fail },
                            }
                        })
                        .collect();
                    answers += items.len();
                    results.push(CheckpointResult {
                        id: ResultId::new(),
                        checkpoint: cp.id,
                        checkpoint_code: cp.code.clone(),
                        template: template.id,
                        template_version: template.version,
                        items,
                        presence: Presence::CodeEntered {
                            code: cp.code.to_string(),
                            method: EntryMethod::Scanned,
                            arrived_at: Some(at - Duration::seconds(60)),
                        },
                        by: inspector,
                        checked_at: at,
                    });
                }
                let finished = results.last().map(|r| r.checked_at);
                txn.put_patrol(&PatrolRunView {
                    run: run.clone(),
                    results,
                    finished_at: finished,
                })
                .expect("patrol");
                run_ids.push(run.id);
                runs += 1;
            }
            for i in 0..ISSUES_PER_SITE_DAY {
                let cp = &plan.checkpoints[(dice.next() % plan.checkpoints.len() as u64) as usize];
                let raised = morning + Duration::minutes(25 * i as i64);
                let grade = dice.pick(&[
                    Grade::Immediate,
                    Grade::Deadline,
                    Grade::Deadline,
                    Grade::LongTerm,
                ]);
                let deadline = raised + Duration::hours(dice.pick(&[8, 48, 72, 240]));
                let open = day >= days - 3 && dice.next().is_multiple_of(3);
                let fixed = raised + Duration::hours((dice.next() % 96) as i64 + 1);
                let status = if open {
                    dice.pick(&[Status::Recorded, Status::Assigned])
                } else {
                    dice.pick(&[
                        Status::Verified,
                        Status::Verified,
                        Status::Verified,
                        Status::Rectified,
                    ])
                };
                let done = !open;
                let s = IssueSummary {
                    id: IssueId::new(),
                    site: site.id,
                    zone: Some(cp.zone),
                    status,
                    grade,
                    category: dice.pick(&[
                        Category::HygieneDefect,
                        Category::HygieneDefect,
                        Category::EquipmentFault,
                        Category::SafetyHazard,
                        Category::SignageLighting,
                        Category::Landscaping,
                    ]),
                    title: "巡查发现".into(),
                    checkpoint: Some(cp.code.to_string()),
                    department: Some(dice.pick(&[
                        Department::Cleaning,
                        Department::Engineering,
                        Department::Security,
                    ])),
                    assignee: (status != Status::Recorded).then(|| "staff1".into()),
                    deadline: Some(deadline),
                    overdue: false,
                    raised_by: "inspector1".into(),
                    raised_at: raised,
                    conflicts: vec![],
                    refused: vec![],
                    complaint_location: None,
                    satisfied: None,
                    repeat: None,
                    respond_by: None,
                    responded_at: (status != Status::Recorded).then(|| raised + Duration::hours(1)),
                    assignment: None,
                    rectified_at: done.then_some(fixed),
                    verified_at: (status == Status::Verified).then(|| fixed + Duration::hours(4)),
                    awaiting_callback: false,
                    patrol: (i % 3 != 0).then(|| run_ids[i % run_ids.len()]),
                    item: None,
                    rejections: u32::from(dice.next().is_multiple_of(12)),
                };
                txn.put_issue(&s).expect("issue");
                issues += 1;
            }
        }
        txn.commit().expect("commit");
        plans.push(plan);
    }
    History {
        _dir: dir,
        store,
        plans,
        issues,
        runs,
        answers,
    }
}

struct Figures {
    baseline: Elapsed,
    page: Elapsed,
    breakdown: Elapsed,
    league: Elapsed,
}

fn measure(h: &History, month: &str, now: DateTime<Utc>, repeat: usize) -> Figures {
    let (baseline, n) = best(repeat, || {
        let mut txn = h.store.read().expect("read");
        txn.count_issues().expect("count")
    });
    assert_eq!(n as usize, h.issues, "the baseline scans every issue row");
    let plan = &h.plans[0];
    let (page, report) = best(repeat, || {
        let mut txn = h.store.read().expect("read");
        sync_server::analytics::report(&mut *txn, plan, month, None, now).expect("page")
    });
    assert!(
        report.kpis.findings_per_100_checks.numerator > 0,
        "the month has findings"
    );
    let (breakdown, rows) = best(repeat, || {
        let mut txn = h.store.read().expect("read");
        sync_server::analytics::report(&mut *txn, plan, month, Some(shared::kpi::By::Zone), now)
            .expect("breakdown")
            .rows
    });
    assert!(!rows.is_empty());
    let (league, sites) = best(repeat, || {
        let mut txn = h.store.read().expect("read");
        sync_server::analytics::sites_league(&mut *txn, &h.plans, month, now).expect("league")
    });
    assert_eq!(sites.len(), h.plans.len());
    assert_eq!(
        sites[0].kpis, report.kpis,
        "the league's row of a site is its month page's figures"
    );
    Figures {
        baseline,
        page,
        breakdown,
        league,
    }
}

fn ms(d: Elapsed) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok() || !std::env::args().any(|a| a == "--bench");
    let (small, large, days, repeat) = if quick {
        (1, 4, 56, 2)
    } else {
        (2, 20, 365, 3)
    };
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("offset");
    let end = offset
        .with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
        .single()
        .expect("end")
        .with_timezone(&Utc);
    let now = end + Duration::days(2);
    let month = "2026-11";
    let mut lines = Vec::new();
    for sites in [small, large] {
        let t = Instant::now();
        let h = build(sites, days, end);
        println!(
            "{sites} site(s) × {days} days: {} issues, {} patrol runs, {} checklist answers (written in {:.1} s)",
            h.issues,
            h.runs,
            h.answers,
            t.elapsed().as_secs_f64()
        );
        let f = measure(&h, month, now, repeat);
        lines.push((sites, h.issues, f));
    }
    println!();
    println!(
        "{:>6} {:>8} | {:>10} | {:>14} {:>7} | {:>14} {:>7} | {:>16} {:>7}",
        "sites", "issues", "count(*)", "site month", "×", "by zone", "×", "every site", "×"
    );
    for (sites, issues, f) in &lines {
        let x = |d: Elapsed| d.as_secs_f64() / f.baseline.as_secs_f64().max(1e-9);
        println!(
            "{sites:>6} {issues:>8} | {:>7.2} ms | {:>11.1} ms {:>6.1}× | {:>11.1} ms {:>6.1}× | {:>13.1} ms {:>6.1}×",
            ms(f.baseline),
            ms(f.page),
            x(f.page),
            ms(f.breakdown),
            x(f.breakdown),
            ms(f.league),
            x(f.league)
        );
    }
    let (a, b) = (&lines[0], &lines[1]);
    println!(
        "growth from {} to {} issues ({:.0}× the rows, the month's rows of one site unchanged): site month page {:.2}×, count(*) {:.2}×",
        a.1,
        b.1,
        b.1 as f64 / a.1 as f64,
        b.2.page.as_secs_f64() / a.2.page.as_secs_f64(),
        b.2.baseline.as_secs_f64() / a.2.baseline.as_secs_f64()
    );
    println!("targets (2 cores, full run): site month page < 150 ms; every site's month < 1 s");
}
