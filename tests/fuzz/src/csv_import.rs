//! Plan CSV files through the importer, into the demo site's plan (as built by
//! `sync_server::seed::demo_plan`). The input is split at its first NUL byte:
//! before it the checklists file, after it the checkpoints file (no NUL: the
//! checklists file alone).
//!
//! Beyond "no panic": an import that succeeds leaves a plan that passes its
//! own checks, and that plan's CSV export imports again.

use shared::plan::SitePlan;
use std::sync::OnceLock;
use sync_server::plan_csv;

fn demo() -> &'static SitePlan {
    static PLAN: OnceLock<SitePlan> = OnceLock::new();
    PLAN.get_or_init(|| sync_server::seed::demo_plan(crate::demo_site()))
}

/// Whether the import succeeded (for the corpus writer's checks).
pub fn run(data: &[u8]) -> bool {
    let (checklists, checkpoints) = match data.iter().position(|&b| b == 0) {
        Some(i) => (
            String::from_utf8_lossy(&data[..i]),
            Some(String::from_utf8_lossy(&data[i + 1..])),
        ),
        None => (String::from_utf8_lossy(data), None),
    };
    let mut plan = demo().clone();
    if plan_csv::import(&mut plan, Some(&checklists), checkpoints.as_deref()).is_err() {
        return false;
    }
    plan.validate()
        .expect("an imported plan passes its own checks");
    let a = plan_csv::export_checklists(&plan);
    let b = plan_csv::export_checkpoints(&plan);
    let mut again = plan.clone();
    if let Err(e) = plan_csv::import(&mut again, Some(&a), Some(&b)) {
        panic!("the plan's own export does not import again: {e:?}\n{a}\n{b}");
    }
    true
}
