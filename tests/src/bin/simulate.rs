//! The sync simulation from the command line.
//!
//! `simulate [--seeds N] [--from S] [--steps K]` plays seeds S..S+N (the long
//! mode: `--seeds 100000`); `simulate --replay SEED [--steps K]` plays one
//! seed, and when it fails shrinks its schedule to a minimal failing one;
//! `simulate --show SEED` prints a seed's schedule.

use tests::sim;

fn arg(args: &[String], name: &str) -> Option<u64> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number"))
        })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let steps = arg(&args, "--steps").unwrap_or(sim::STEPS as u64) as usize;
    if let Some(seed) = arg(&args, "--show") {
        for (i, op) in sim::plan(seed, steps).iter().enumerate() {
            println!("  {i:>3}  {op:?}");
        }
        return;
    }
    if let Some(seed) = arg(&args, "--replay") {
        let ops = sim::plan(seed, steps);
        match sim::run_seed(seed, steps) {
            Ok(o) => println!("seed {seed}: passed ({o:?})"),
            Err(f) => {
                println!("seed {seed}: FAILED at {f}");
                println!("shrinking {} steps…", ops.len());
                let small = sim::shrink(seed, &ops);
                println!("a failing schedule of {} steps:", small.len());
                for (i, op) in small.iter().enumerate() {
                    println!("  {i:>3}  {op:?}");
                }
                if let Err(f) = sim::run(seed, &small) {
                    println!("it fails with: {f}");
                }
                std::process::exit(1);
            }
        }
        return;
    }
    let from = arg(&args, "--from").unwrap_or(0);
    let seeds = arg(&args, "--seeds").unwrap_or(500);
    let started = std::time::Instant::now();
    let mut failed = Vec::new();
    for seed in from..from + seeds {
        if let Err(f) = sim::run_seed(seed, steps) {
            println!("seed {seed}: FAILED at {f}");
            println!(
                "  replay and shrink: cargo run -p tests --bin simulate -- --replay {seed} --steps {steps}"
            );
            failed.push(seed);
        }
        if (seed - from + 1).is_multiple_of(1000) {
            println!(
                "{} seeds, {} failed, {:.0?}",
                seed - from + 1,
                failed.len(),
                started.elapsed()
            );
        }
    }
    println!(
        "{seeds} seeds of {steps} steps from {from}: {} failed in {:.1?}",
        failed.len(),
        started.elapsed()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
