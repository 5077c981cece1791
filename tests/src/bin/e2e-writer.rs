//! A device that raises issues in a loop and prints each id after its transaction
//! committed; tests kill it with SIGKILL at an arbitrary write.
//!
//! Usage: e2e-writer DATA_DIR CHECKPOINT COUNT
use chrono::Utc;
use device::{Device, RaiseInput};
use std::io::Write;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, checkpoint, count] = args.as_slice() else {
        anyhow::bail!("usage: e2e-writer DATA_DIR CHECKPOINT COUNT");
    };
    let mut device = Device::open(dir)?;
    let mut out = std::io::stdout().lock();
    for i in 0..count.parse::<usize>()? {
        let id = device.raise_issue(
            RaiseInput {
                checkpoint: checkpoint.clone(),
                item: None,
                category: shared::Category::HygieneDefect,
                grade: shared::Grade::Deadline,
                title: format!("写入测试 {i}"),
                description: "x".repeat(200),
                photos: Vec::new(),
            },
            Utc::now(),
        )?;
        writeln!(out, "{id}")?;
        out.flush()?;
    }
    Ok(())
}
