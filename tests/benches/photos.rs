//! Photo benchmark, figures as ratios against baselines measured in the same run.
//!
//! 1. Pipeline: 12-megapixel JPEGs (made here) through `photo::process` (decode
//!    with limits at half scale in the DCT, EXIF, orientation, JPEG encode,
//!    thumbnail, three SHA-256s) against the bare baseline: `image` decoding
//!    the same files at full size and resizing them to 2048 px, nothing else.
//!    The target is the whole pipeline faster than that baseline.
//! 2. Upload: the device's upload queue to the real server on loopback (chunks,
//!    fsync per chunk, hash check, rename) against a plain copy of the same files
//!    (and against a copy that is fsynced, as the server's is).
//!
//! `cargo bench -p tests --bench photos` uses 8 photos and best of 3;
//! `BENCH_QUICK=1` (or `cargo test --benches`) uses 2 photos, once.

use chrono::Utc;
use device::RaiseInput;
use image::imageops::FilterType;
use std::io::Write;
use std::time::{Duration, Instant};
use tests::pictures::*;
use tests::*;

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok() || !std::env::args().any(|a| a == "--bench");
    let (count, runs) = if quick { (2, 1) } else { (8, 3) };
    let local = chrono::FixedOffset::east_opt(8 * 3600).expect("offset");

    println!("generating {count} 12-megapixel JPEGs (4000 × 3000)…");
    let originals: Vec<Vec<u8>> = (0..count)
        .map(|i| {
            let exif = exif_block(
                if i % 2 == 0 { 1 } else { 6 },
                Some(("2026:11:20 09:15:00", "+08:00")),
            );
            jpeg(&photo_like(4000, 3000, i as u64), 90, Some(exif))
        })
        .collect();
    let mb: f64 = originals.iter().map(|o| o.len() as f64).sum::<f64>() / 1e6;
    println!("  {mb:.1} MB of camera files");

    let (base, _) = best(runs, || {
        for o in &originals {
            let img = image::load_from_memory(o).expect("decode").to_rgb8();
            let small = image::imageops::resize(&img, 2048, 1536, FilterType::Triangle);
            std::hint::black_box(small);
        }
    });
    let (ours, processed) = best(runs, || {
        originals
            .iter()
            .map(|o| {
                photo::process(o, "IMG.jpg", &photo::Limits::default(), local).expect("process")
            })
            .collect::<Vec<_>>()
    });
    let per_s = |d: Duration| count as f64 / d.as_secs_f64();
    println!();
    println!("| pipeline (12 MP JPEG) | photos/s | ms/photo |");
    println!("|---|---|---|");
    println!(
        "| image decode + resize alone (baseline) | {:.2} | {:.0} |",
        per_s(base),
        base.as_secs_f64() * 1000.0 / count as f64
    );
    println!(
        "| photo::process (whole pipeline) | {:.2} | {:.0} |",
        per_s(ours),
        ours.as_secs_f64() * 1000.0 / count as f64
    );
    println!(
        "| ratio (pipeline time / baseline time) | {:.2}× | |",
        ours.as_secs_f64() / base.as_secs_f64()
    );

    // Upload: the processed copies, through the real server on loopback.
    let seeded = Seeded::new();
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().expect("addr"));
    let (ddir, copies) = (device_dir(), device_dir());
    let mut d = device(
        ddir.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let files: Vec<(Vec<u8>, String)> = originals
        .iter()
        .enumerate()
        .map(|(i, o)| (o.clone(), format!("IMG_{i}.jpg")))
        .collect();
    let refs = d.add_photos(&files, Utc::now()).expect("add photos");
    d.raise_issue(
        RaiseInput {
            checkpoint: "CP-R01".into(),
            item: None,
            category: shared::Category::Other,
            grade: shared::Grade::LongTerm,
            title: "benchmark".into(),
            description: String::new(),
            photos: refs.clone(),
        },
        Utc::now(),
    )
    .expect("raise");
    d.sync_documents(&opts()).expect("documents");
    let t = Instant::now();
    let report = d.sync(&opts()).expect("upload");
    let upload = t.elapsed();
    assert_eq!(report.photos.failed.len(), 0, "{:?}", report.photos.failed);
    let bytes = report.photos.bytes_sent;

    let paths: Vec<std::path::PathBuf> = refs
        .iter()
        .flat_map(|r| {
            [
                ddir.path().join("photos/thumb").join(r.thumb.as_str()),
                ddir.path().join("photos/full").join(r.hash.as_str()),
            ]
        })
        .collect();
    let (copy, _) = best(runs, || {
        let dir = tempfile::tempdir_in(copies.path()).expect("dir");
        for (i, p) in paths.iter().enumerate() {
            std::fs::copy(p, dir.path().join(i.to_string())).expect("copy");
        }
    });
    let (copy_sync, _) = best(runs, || {
        let dir = tempfile::tempdir_in(copies.path()).expect("dir");
        for (i, p) in paths.iter().enumerate() {
            let bytes = std::fs::read(p).expect("read");
            let mut f = std::fs::File::create(dir.path().join(i.to_string())).expect("create");
            f.write_all(&bytes).expect("write");
            f.sync_all().expect("fsync");
        }
    });
    let mbps = |d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    println!();
    println!(
        "| upload {} files, {:.2} MB | MB/s | time× |",
        paths.len(),
        bytes as f64 / 1e6
    );
    println!("|---|---|---|");
    println!("| plain file copy (baseline) | {:.0} | 1.00 |", mbps(copy));
    println!(
        "| file copy + fsync | {:.0} | {:.2} |",
        mbps(copy_sync),
        copy_sync.as_secs_f64() / copy.as_secs_f64()
    );
    println!(
        "| upload queue → server on loopback ({} KiB chunks) | {:.0} | {:.2} |",
        opts().photo_chunk / 1024,
        mbps(upload),
        upload.as_secs_f64() / copy.as_secs_f64()
    );
    println!(
        "| upload vs. copy + fsync | | {:.2} |",
        upload.as_secs_f64() / copy_sync.as_secs_f64()
    );
    println!();
    println!(
        "upload copies: {:.0} KB average, {}×{} px; camera files {:.1} MB average",
        refs.iter().map(|r| r.bytes as f64).sum::<f64>() / refs.len() as f64 / 1e3,
        refs[0].width,
        refs[0].height,
        mb / count as f64
    );
    assert_eq!(processed.len(), count);
}
