//! Writes the seed corpora (`corpus/TARGET/NAME`) from real values: sync
//! requests a device would send, saved issue/patrol/plan documents, small
//! photos made with the `image` crate, and the demo plan's CSV export. Each
//! seed is run through its harness and checked to reach what it is meant to
//! reach, so a seed that silently stops being accepted fails here.
//!
//! `cargo run --example make_corpus [DIR]` (DIR: default `corpus` beside
//! this package's Cargo.toml). Deterministic: the same code writes the same bytes.

use automerge::AutoCommit;
use automerge::sync::{State, SyncDoc};
use image::{ImageEncoder, RgbImage, RgbaImage};
use patrol_fuzz::*;
use shared::doc;
use shared::ids::*;
use shared::wire::{DocKind, DocMessage, PROTOCOL_VERSION, SyncRequest};
use std::path::{Path, PathBuf};
use sync_request::Outcome;

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).expect("corpus dir");
    std::fs::write(d.join(name), bytes).expect("write seed");
    println!("{target}/{name}: {} bytes", bytes.len());
}

/// The first message a device sends for a document the server does not have.
fn first_message(d: &mut AutoCommit) -> Vec<u8> {
    let mut state = doc::state_for_empty_peer();
    doc::send_changes_only(&mut state);
    d.sync()
        .generate_sync_message(&mut state)
        .expect("a message")
        .encode()
}

/// The message a device sends after the server acknowledged `shared` heads.
fn next_message(d: &mut AutoCommit, shared: Vec<automerge::ChangeHash>) -> Vec<u8> {
    let mut s = State::new();
    s.shared_heads = shared;
    let mut state = doc::restart_state(s);
    doc::send_changes_only(&mut state);
    d.sync()
        .generate_sync_message(&mut state)
        .expect("a message")
        .encode()
}

fn request(docs: Vec<DocMessage>) -> Vec<u8> {
    postcard::to_allocvec(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: 0,
        docs,
    })
    .expect("encodes")
}

fn issue_doc(n: u64, actor: [u8; 16]) -> (DocId, AutoCommit) {
    let id = IssueId::from_bytes(id_bytes(0x1d, n));
    let d = doc::new_issue(
        doc::actor(actor),
        id,
        site_id(),
        &raise(n, "消防通道堵塞", false),
    )
    .expect("issue");
    (id.into(), d)
}

fn patrol_doc() -> (DocId, AutoCommit) {
    let run = patrol_run();
    let mut d = doc::new_patrol(doc::actor(ACTOR), &run).expect("patrol");
    doc::append_result(&mut d, &checkpoint_result(1)).expect("result");
    doc::append_result(&mut d, &checkpoint_result(2)).expect("result");
    (run.id.into(), d)
}

fn sync_seeds(dir: &Path) {
    let t = "sync_request";
    let check = |name: &str, bytes: &[u8], want: &[Outcome]| {
        let got = sync_request::run(bytes);
        assert_eq!(got, want, "seed {name}");
        write(dir, t, name, bytes);
    };
    let msg = |id: DocId, kind: DocKind, msg: Vec<u8>| DocMessage { doc: id, kind, msg };

    let (id, mut d) = issue_doc(1, ACTOR);
    check(
        "new-issue",
        &request(vec![msg(id, DocKind::Issue, first_message(&mut d))]),
        &[Outcome::Accepted],
    );

    // A raise and, in the "next round", a comment and an assignment on top of it.
    let (id, mut d) = issue_doc(2, ACTOR);
    let first = first_message(&mut d);
    let heads = d.get_heads();
    doc::append_event(&mut d, &later_event(1, 2, 0, "已通知保洁")).expect("event");
    doc::append_event(&mut d, &later_event(2, 3, 3, "")).expect("event");
    let second = next_message(&mut d, heads);
    check(
        "issue-two-rounds",
        &request(vec![
            msg(id, DocKind::Issue, first),
            msg(id, DocKind::Issue, second),
        ]),
        &[Outcome::Accepted, Outcome::Accepted],
    );

    // A complaint raised by an inspector: merged, but refused by the role policy.
    let cid = IssueId::from_bytes(id_bytes(0x1d, 3));
    let mut c = doc::new_issue(
        doc::actor(ACTOR),
        cid,
        site_id(),
        &raise(3, "噪音投诉", true),
    )
    .expect("issue");
    let (pid, mut p) = patrol_doc();
    doc::finish_patrol(&mut p, at(3600)).expect("finish");
    check(
        "patrol-and-complaint",
        &request(vec![
            msg(pid, DocKind::Patrol, first_message(&mut p)),
            msg(cid.into(), DocKind::Issue, first_message(&mut c)),
        ]),
        &[Outcome::Accepted, Outcome::Refused("role_forbidden")],
    );

    // A patrol, then a later result in the next round.
    let (pid, mut p) = patrol_doc();
    let first = first_message(&mut p);
    let heads = p.get_heads();
    doc::append_result(&mut p, &checkpoint_result(3)).expect("result");
    let second = next_message(&mut p, heads);
    check(
        "patrol-two-rounds",
        &request(vec![
            msg(pid, DocKind::Patrol, first),
            msg(pid, DocKind::Patrol, second),
        ]),
        &[Outcome::Accepted, Outcome::Accepted],
    );

    // A handshake for a document the server does not have (no changes).
    let (id, mut d) = issue_doc(4, ACTOR);
    let hello = d
        .sync()
        .generate_sync_message(&mut State::new())
        .expect("a message")
        .encode();
    check(
        "handshake",
        &request(vec![msg(id, DocKind::Issue, hello)]),
        &[Outcome::NoChange],
    );

    // Changes by another actor than the device's: refused.
    let (id, mut d) = issue_doc(5, [9; 16]);
    check(
        "forged-actor",
        &request(vec![msg(id, DocKind::Issue, first_message(&mut d))]),
        &[Outcome::Refused("forged_actor")],
    );

    // A plan written by a device: refused (plans change only on the server).
    let plan = shared::plan::SitePlan::empty(demo_site());
    let mut pd = doc::new_plan(doc::actor(ACTOR), &plan).expect("plan");
    check(
        "plan-from-device",
        &request(vec![msg(
            site_id().into(),
            DocKind::Plan,
            first_message(&mut pd),
        )]),
        &[Outcome::Refused("plan_read_only")],
    );
}

fn document_seeds(dir: &Path) {
    let t = "issue_document";
    let saved = |mode: u8, bytes: Vec<u8>| {
        let mut v = vec![mode];
        v.extend(bytes);
        v
    };
    let (_, mut d) = issue_doc(1, ACTOR);
    for (i, which) in [0u8, 3, 5, 7, 9, 6].into_iter().enumerate() {
        let e = later_event(i as u64 + 1, i as u64 + 2, which, "已处理");
        doc::append_event(&mut d, &e).expect("event");
    }
    let bytes = saved(0, d.save());
    let r = issue_document::run(&bytes);
    assert!(r.folded && r.events == Some(7), "{r:?}");
    write(dir, t, "issue-saved", &bytes);
    let bytes = saved(2, d.save_nocompress());
    assert!(issue_document::run(&bytes).folded);
    write(dir, t, "issue-saved-uncompressed", &bytes);

    let (_, mut p) = patrol_doc();
    doc::finish_patrol(&mut p, at(3600)).expect("finish");
    let bytes = saved(0, p.save());
    assert!(issue_document::run(&bytes).patrol);
    write(dir, t, "patrol-saved", &bytes);

    let plan = sync_server::seed::demo_plan(demo_site());
    let mut pd = doc::new_plan(doc::actor(ACTOR), &plan).expect("plan");
    let bytes = saved(0, pd.save());
    assert!(issue_document::run(&bytes).plan);
    write(dir, t, "plan-saved", &bytes);

    // Recipes: pseudo-random bytes behind each skeleton, kept when they reach the readers.
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for (skeleton, want) in [(1u8, "folded"), (2, "patrol"), (3, "plan"), (0, "any")] {
        let mut found = 0;
        for _ in 0..10_000 {
            let len = 64 + (next() % 256) as usize;
            let mut v = vec![1, skeleton];
            v.extend((0..len).map(|_| next() as u8));
            let r = issue_document::run(&v);
            let ok = match want {
                "folded" => r.folded,
                "patrol" => r.patrol,
                "plan" => r.plan,
                _ => r.loaded,
            };
            if ok {
                write(dir, t, &format!("recipe-{want}-{found}"), &v);
                found += 1;
                if found == 2 {
                    break;
                }
            }
        }
        assert!(found > 0, "no recipe seed for {want}");
    }
}

/// A TIFF block for a JPEG's EXIF: orientation 6 (rotate 90°) and a DateTime.
fn exif() -> Vec<u8> {
    let mut t = b"MM\0*\0\0\0\x08".to_vec();
    t.extend([0, 2]); // two entries
    t.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation SHORT 1 = 6
    t.extend([0x01, 0x32, 0, 2, 0, 0, 0, 20, 0, 0, 0, 38]); // DateTime ASCII 20 @ 38
    t.extend([0, 0, 0, 0]); // no next IFD
    t.extend(b"2026:02:02 10:40:00\0");
    t
}

fn jpeg(img: &RgbImage, exif: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 60);
    if let Some(e) = exif {
        enc.set_exif_metadata(e).expect("exif");
    }
    enc.write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    )
    .expect("jpeg");
    out
}

fn png(bytes: &[u8], w: u32, h: u32, color: image::ExtendedColorType) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(bytes, w, h, color)
        .expect("png");
    out
}

fn photo_seeds(dir: &Path) {
    let t = "photo_pipeline";
    let rgb = RgbImage::from_fn(24, 16, |x, y| {
        image::Rgb([(x * 10) as u8, (y * 15) as u8, 128])
    });
    let seed = |name: &str, first: u8, file: Vec<u8>, want_processed: bool| {
        let mut v = vec![first];
        v.extend(file);
        let r = photo_pipeline::run(&v);
        assert_eq!(r.processed, want_processed, "seed {name}: {r:?}");
        write(dir, t, name, &v);
    };
    seed("jpeg", 0, jpeg(&rgb, None), true);
    seed("jpeg-exif-rotated", 0, jpeg(&rgb, Some(exif())), true);
    let gray = image::GrayImage::from_fn(9, 30, |x, y| image::Luma([(x * y) as u8]));
    let mut gray_jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut gray_jpeg, 50)
        .write_image(gray.as_raw(), 9, 30, image::ExtendedColorType::L8)
        .expect("jpeg");
    seed("jpeg-gray", 0, gray_jpeg, true);
    // Wide enough for the half-scale DCT decode: the scaled path, colour and grey.
    let wide = RgbImage::from_fn(3900, 8, |x, y| {
        image::Rgb([(x % 251) as u8, (y * 30) as u8, 64])
    });
    seed("jpeg-wide-scaled", 0, jpeg(&wide, Some(exif())), true);
    let wide_gray =
        image::GrayImage::from_fn(8, 3900, |x, y| image::Luma([(x * 7 + y % 200) as u8]));
    let mut wide_gray_jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut wide_gray_jpeg, 50)
        .write_image(wide_gray.as_raw(), 8, 3900, image::ExtendedColorType::L8)
        .expect("jpeg");
    seed("jpeg-gray-wide-scaled", 0, wide_gray_jpeg, true);
    seed(
        "png-rgb",
        1,
        png(rgb.as_raw(), 24, 16, image::ExtendedColorType::Rgb8),
        true,
    );
    let rgba = RgbaImage::from_fn(7, 5, |x, y| {
        image::Rgba([x as u8 * 30, y as u8 * 40, 7, 200])
    });
    seed(
        "png-rgba",
        1,
        png(rgba.as_raw(), 7, 5, image::ExtendedColorType::Rgba8),
        true,
    );
    let g16: Vec<u8> = (0..6 * 4 * 2).map(|i| i as u8).collect();
    seed(
        "png-gray16",
        1,
        png(&g16, 6, 4, image::ExtendedColorType::L16),
        true,
    );
    // The name says PNG but the file is a JPEG: refused.
    seed("jpeg-named-png", 1, jpeg(&rgb, None), false);
}

fn csv_seeds(dir: &Path) {
    let t = "csv_import";
    let plan = sync_server::seed::demo_plan(demo_site());
    let a = sync_server::plan_csv::export_checklists(&plan);
    let b = sync_server::plan_csv::export_checkpoints(&plan);
    let mut both = a.clone().into_bytes();
    both.push(0);
    both.extend(b.as_bytes());
    assert!(csv_import::run(&both));
    write(dir, t, "demo-export", &both);
    assert!(csv_import::run(a.as_bytes()));
    write(dir, t, "demo-checklists-only", a.as_bytes());
    let small = "template,template_name,item,label,family,kind,min,max,unit\n\
                 T-NEW,新检查表,N01,水压,facility,reading,0.1,0.6,MPa\n\
                 T-NEW,新检查表,N02,\"门禁, 可用\",safety_lighting,pass_fail,,,\n\
                 \0\
                 zone,zone_name,zone_kind,point,name,x,y,template,frequency,routes\n\
                 Z-NEW,新区域,public_facility,P-NEW-01,'=新点位,1.5,-2,T-NEW,daily,R1;R9\n";
    assert!(
        csv_import::run(small.as_bytes()),
        "the small English-header seed imports"
    );
    write(dir, t, "small-english", small.as_bytes());
    let bad = "检查表编码,检查表名称\nT-X,缺列\n\0点位编码\nP-1\n";
    assert!(!csv_import::run(bad.as_bytes()));
    write(dir, t, "missing-columns", bad.as_bytes());
}

fn main() {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    sync_seeds(&dir);
    document_seeds(&dir);
    photo_seeds(&dir);
    csv_seeds(&dir);
}
