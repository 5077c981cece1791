//! Photo evidence end to end: the pipeline on the device, the upload queue
//! beside document sync, resumable uploads through a cutting proxy, the
//! server's content-addressed store and its access rules.

use chrono::Utc;
use device::{Device, DeviceError, RaiseInput};
use shared::issue::{EventBody, PhotoRef};
use shared::{Category, Grade};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use sync_server::blobs::BlobStore;
use tests::pictures::*;
use tests::s3::S3Server;
use tests::*;

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn raise_with(d: &mut Device, checkpoint: &str, photos: Vec<PhotoRef>) -> shared::IssueId {
    d.raise_issue(
        RaiseInput {
            checkpoint: checkpoint.into(),
            item: None,
            category: Category::SafetyHazard,
            grade: Grade::Deadline,
            title: "消防通道堆放杂物".into(),
            description: "现场拍照".into(),
            photos,
        },
        Utc::now(),
    )
    .expect("raise")
}

/// A photo-like JPEG added on `d`.
fn snap(d: &mut Device, w: u32, h: u32, seed: u64) -> PhotoRef {
    d.add_photo(
        &jpeg(&photo_like(w, h, seed), 85, None),
        "IMG.jpg",
        Utc::now(),
    )
    .expect("add photo")
}

fn files_under(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            if e.file_type().unwrap().is_dir() {
                files_under(&e.path())
            } else {
                1
            }
        })
        .sum()
}

fn http() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::new()
}

fn get_photo(url: &str, token: &str, hash: &str, query: &str) -> reqwest::blocking::Response {
    http()
        .get(format!("{url}/api/v1/photos/{hash}{query}"))
        .bearer_auth(token)
        .send()
        .expect("GET photo")
}

#[test]
fn exif_rotated_input_comes_out_upright_with_its_capture_time() {
    let local = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let raw = sideways_jpeg(400, 200, Some(("2026:11:20 09:15:00", "+08:00")));
    let p = photo::process(&raw, "IMG_0001.JPG", &photo::Limits::default(), local).unwrap();
    assert_eq!((p.width, p.height), (200, 400), "portrait once rotated");
    let img = photo::decode_stored(&p.full, &photo::Limits::default()).unwrap();
    assert_eq!(img.dimensions(), (200, 400));
    // Orientation 6: the stored left (red) half is the top of the upright photo.
    assert!(
        is_red(img.get_pixel(100, 40)),
        "{:?}",
        img.get_pixel(100, 40)
    );
    assert!(
        is_blue(img.get_pixel(100, 360)),
        "{:?}",
        img.get_pixel(100, 360)
    );
    let thumb = photo::decode_stored(&p.thumb, &photo::Limits::default()).unwrap();
    assert_eq!(thumb.dimensions(), (160, 320));
    assert!(is_red(thumb.get_pixel(80, 20)));
    assert_eq!(p.orientation, 6);
    assert_eq!(
        p.taken_at.unwrap().to_rfc3339(),
        "2026-11-20T01:15:00+00:00"
    );
    assert_eq!(p.original_sha, photo::sha256_hex(&raw));

    // Orientation 3 turns it half round: blue comes to the left.
    let upside = jpeg(&two_tone(400, 200), 92, Some(exif_block(3, None)));
    let p = photo::process(&upside, "b.jpeg", &photo::Limits::default(), local).unwrap();
    let img = photo::decode_stored(&p.full, &photo::Limits::default()).unwrap();
    assert_eq!(img.dimensions(), (400, 200));
    assert!(is_blue(img.get_pixel(50, 100)) && is_red(img.get_pixel(350, 100)));
    assert!(p.taken_at.is_none());
}

#[test]
fn a_camera_sized_photo_is_decoded_at_half_scale_and_loses_no_quality() {
    let local = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let limits = photo::Limits::default();
    let source = scene(4000, 3000, 7);
    let camera = jpeg(&source, 92, Some(exif_block(1, None)));
    let p = photo::process(&camera, "IMG_0002.JPG", &limits, local).unwrap();
    assert_eq!(photo::jpeg_scale_denominator(4000, 3000), 2);
    assert_eq!(
        (p.width, p.height),
        (2000, 1500),
        "half of the frame, as decoded"
    );
    let ours = photo::decode_stored(&p.full, &limits).unwrap();

    // The pipeline as it was: decode the full 12 MP, resize to 2048 px.
    let full = image::load_from_memory(&camera).unwrap().to_rgb8();
    let before = photo::shrink(&full, photo::FULL_SIDE);
    assert_eq!(before.dimensions(), (2048, 1536));
    let before = photo::decode_stored(
        &photo::encode_jpeg(&before, photo::FULL_QUALITY).unwrap(),
        &limits,
    )
    .unwrap();

    // Each against the scene itself, resized with a Lanczos filter to its size.
    let truth =
        |w, h| image::imageops::resize(&source, w, h, image::imageops::FilterType::Lanczos3);
    let now = ssim(&ours, &truth(2000, 1500));
    let then = ssim(&before, &truth(2048, 1536));
    println!("SSIM against the scene: DCT-scaled {now:.4}, full decode + resize {then:.4}");
    assert!(
        now >= 0.95,
        "the scaled copy is a faithful picture: SSIM {now:.4}"
    );
    assert!(
        now >= then - 0.005,
        "no worse than the full decode: {now:.4} against {then:.4}"
    );
    // The thumbnail comes from the same copy.
    let thumb = photo::decode_stored(&p.thumb, &limits).unwrap();
    assert_eq!(thumb.dimensions(), (320, 240));
    let t = ssim(&thumb, &truth(320, 240));
    assert!(t >= 0.9, "thumbnail SSIM {t:.4}");

    // EXIF still turns it upright and gives its time on the scaled path.
    let raw = jpeg(
        &two_tone(4000, 3000),
        90,
        Some(exif_block(6, Some(("2026:11:20 09:15:00", "+08:00")))),
    );
    let p = photo::process(&raw, "IMG_0003.JPG", &limits, local).unwrap();
    assert_eq!((p.width, p.height), (1500, 2000), "portrait once rotated");
    let img = photo::decode_stored(&p.full, &limits).unwrap();
    assert!(is_red(img.get_pixel(750, 200)) && is_blue(img.get_pixel(750, 1800)));
    assert_eq!(
        p.taken_at.unwrap().to_rfc3339(),
        "2026-11-20T01:15:00+00:00"
    );
}

#[test]
fn bad_files_are_refused_with_clear_errors_and_nothing_is_stored() {
    let seeded = Seeded::new();
    let server = InProcessServer::serve(seeded.state(), loopback());
    let dir = device_dir();
    let mut d = device(
        dir.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let photos_dir = dir.path().join("photos");

    let good = jpeg(&photo_like(900, 600, 1), 85, None);
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 3);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("cut.jpg", truncated, "cut short"),
        (
            "note.jpg",
            b"this is a shopping list, not a photo\n".to_vec(),
            "text, not a photo",
        ),
        ("bomb.jpg", header_bomb(30_000, 30_000), "30000 × 30000"),
        (
            "really-a-jpeg.png",
            good.clone(),
            "the name says PNG but the file is JPEG",
        ),
        ("scan.gif", good.clone(), "the name says a .gif file"),
    ];
    for (name, bytes, expect) in cases {
        let err = d.add_photo(&bytes, name, Utc::now()).unwrap_err();
        assert!(matches!(err, DeviceError::Photo(_)), "{name}: {err}");
        assert!(err.to_string().contains(expect), "{name}: {err}");
        assert!(err.to_string().contains(name), "names the file: {err}");
        assert_eq!(files_under(&photos_dir), 0, "{name} left files behind");
        assert_eq!(
            d.photo_status().unwrap(),
            device::PhotoStatus {
                budget: device::photos::DEFAULT_BUDGET,
                ..Default::default()
            }
        );
    }
    // All or nothing: one bad file among good ones stores none of them.
    let a = dir.path().join("a.jpg");
    let b = dir.path().join("b.jpg");
    std::fs::write(&a, &good).unwrap();
    std::fs::write(&b, b"not a photo").unwrap();
    assert!(d.add_photo_files(&[a.clone(), b], Utc::now()).is_err());
    assert_eq!(files_under(&photos_dir), 0);

    // A PNG is accepted and becomes a JPEG upload copy plus thumbnail.
    let png_photo = d
        .add_photo(&png(&photo_like(640, 480, 2)), "screen.png", Utc::now())
        .unwrap();
    assert_eq!((png_photo.width, png_photo.height), (640, 480));
    assert_eq!(files_under(&photos_dir), 2);
    assert_eq!(d.photo_status().unwrap().staged, 1);
    // A staged photo is not uploaded until a record carries it.
    let report = d.sync(&opts()).unwrap();
    assert_eq!(report.photos.uploaded, 0);
    raise_with(&mut d, "CP-R01", vec![png_photo]);
    let report = d.sync(&opts()).unwrap();
    assert_eq!(report.photos.uploaded, 2, "{:?}", report.photos);
}

/// The acceptance path: a photo taken offline reaches the server's issue upright,
/// verified by hash, and is served stamped with its evidence caption.
#[test]
fn an_offline_photo_shows_up_upright_and_stamped_on_the_servers_issue() {
    offline_photo_upright_and_stamped(Seeded::new(), None);
}

#[test]
fn an_offline_photo_shows_up_upright_and_stamped_on_postgresql_and_s3_storage() {
    offline_photo_upright_and_stamped(Seeded::postgres(), Some(&S3Server::start()));
}

/// The photo store of a test: the photo directory beside the database, or a
/// bucket on a real S3-compatible server.
fn photo_store(seeded: &Seeded, s3: Option<&S3Server>) -> Arc<dyn BlobStore> {
    match s3 {
        Some(s3) => Arc::new(s3.store("estate")),
        None => seeded.blobs(),
    }
}

fn offline_photo_upright_and_stamped(seeded: Seeded, s3: Option<&S3Server>) {
    let state = seeded.state_with(photo_store(&seeded, s3));
    let mut server = InProcessServer::serve(state.clone(), loopback());
    let addr = server.addr;
    let (di, dm, ds) = (device_dir(), device_dir(), device_dir());
    let mut inspector = device(
        di.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let mut manager = device(
        dm.path(),
        &server.url,
        "manager1",
        &seeded.password("manager1"),
    );
    let mut staff = device(ds.path(), &server.url, "staff1", &seeded.password("staff1"));

    server.stop();
    let raw = sideways_jpeg(1200, 800, Some(("2026:11:20 09:15:00", "+08:00")));
    let shot = inspector
        .add_photo(&raw, "IMG_2041.jpg", Utc::now())
        .unwrap();
    let id = raise_with(&mut inspector, "CP-R01", vec![shot.clone()]);
    let quick = device::SyncOptions {
        timeout: std::time::Duration::from_millis(500),
        ..opts()
    };
    let offline = inspector.sync(&quick);
    assert!(offline.is_err(), "the server is down");
    assert_eq!(inspector.photo_status().unwrap().pending, 2);

    let server = InProcessServer::serve(state, addr);
    let report = inspector.sync(&opts()).unwrap();
    assert_eq!(report.photos.uploaded, 2, "{:?}", report.photos);
    assert_eq!(report.photos.failed.len(), 0);
    assert_eq!(inspector.photo_status().unwrap().pending, 0);

    let token = manager.session().unwrap().token;
    let (status, detail) = api_get(&server.url, &token, &format!("/api/v1/issues/{id}"));
    assert_eq!(status, 200, "{detail}");
    let p = &detail["photos"][0];
    assert_eq!(p["role"], "before");
    assert_eq!(p["hash"], shot.hash.as_str());
    assert_eq!(p["original"], photo::sha256_hex(&raw));
    assert_eq!(p["taken_at"], "2026-11-20T01:15:00Z");
    assert_eq!(p["by_name"], "inspector1");
    assert_eq!(p["uploaded"], true);
    assert_eq!(p["thumb_uploaded"], true);
    assert!(p["server_time"].is_string(), "{p}");

    let resp = get_photo(&server.url, &token, shot.hash.as_str(), "");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = resp.headers()["etag"].clone();
    let stored = resp.bytes().unwrap().to_vec();
    assert_eq!(photo::sha256_hex(&stored), shot.hash.as_str());
    let upright = photo::decode_stored(&stored, &photo::Limits::default()).unwrap();
    assert_eq!(upright.dimensions(), (800, 1200));
    assert!(is_red(upright.get_pixel(400, 100)));
    assert!(is_blue(upright.get_pixel(400, 700)));
    let again = http()
        .get(format!("{}/api/v1/photos/{}", server.url, shot.hash))
        .bearer_auth(&token)
        .header("if-none-match", etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);

    let resp = get_photo(&server.url, &token, shot.hash.as_str(), "?stamp=1");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["x-caption"],
        "zh",
        "a CJK font is installed by scripts/setup"
    );
    let stamped = photo::decode_stored(&resp.bytes().unwrap(), &photo::Limits::default()).unwrap();
    assert_eq!(stamped.dimensions(), (800, 1200));
    assert!(is_red(stamped.get_pixel(400, 100)), "the top is untouched");
    let band_white = (1100..1200)
        .flat_map(|y| (0..800).map(move |x| (x, y)))
        .filter(|&(x, y)| stamped.get_pixel(x, y).0.iter().all(|&c| c > 200))
        .count();
    assert!(
        band_white > 200,
        "caption text at the foot: {band_white} white pixels"
    );

    // The device renders the same caption for showing and exporting.
    let fonts = photo::stamp::Fonts::discover(None);
    let (local, drawn) = inspector
        .stamped_photo(shot.hash.as_str(), None, &fonts, &opts())
        .unwrap();
    assert_eq!(drawn, photo::stamp::Drawn::Chinese);
    assert_ne!(photo::sha256_hex(&local), shot.hash.as_str());

    // Field staff never had the photo: it comes on demand, checked by hash.
    staff.sync(&opts()).unwrap();
    let thumb = staff.photo(shot.thumb.as_str(), &opts()).unwrap();
    assert_eq!(photo::sha256_hex(&thumb), shot.thumb.as_str());

    // The fix with an after-photo travels the same way.
    let assigner = &mut manager;
    assigner.sync(&opts()).unwrap();
    let plan = assigner.plan().unwrap();
    let to = plan.user_by_name("staff1").unwrap();
    assigner
        .issue_event(
            id,
            EventBody::Assign {
                department: shared::Department::Engineering,
                assignee: to.id,
                assignee_name: to.name.to_string(),
                deadline: Some(Utc::now() + chrono::Duration::days(1)),
            },
            true,
            Utc::now(),
        )
        .unwrap();
    assigner.sync(&opts()).unwrap();
    staff.sync(&opts()).unwrap();
    let fixed = snap(&mut staff, 800, 600, 7);
    staff
        .issue_event(
            id,
            EventBody::Rectify {
                note: "已清理".into(),
                photos: vec![fixed.clone()],
            },
            true,
            Utc::now(),
        )
        .unwrap();
    let report = staff.sync(&opts()).unwrap();
    assert_eq!(report.photos.uploaded, 2);
    let (_, detail) = api_get(&server.url, &token, &format!("/api/v1/issues/{id}"));
    assert_eq!(detail["photos"][1]["role"], "after");
    assert_eq!(detail["photos"][1]["hash"], fixed.hash.as_str());
    assert_eq!(detail["photos"][1]["uploaded"], true);
}

#[test]
fn an_upload_cut_at_random_offsets_resumes_and_completes_with_the_right_hash() {
    upload_cut_at_random_offsets(Seeded::new(), None);
}

#[test]
fn an_upload_cut_at_random_offsets_resumes_and_completes_on_postgresql_and_s3_storage() {
    upload_cut_at_random_offsets(Seeded::postgres(), Some(&S3Server::start()));
}

fn upload_cut_at_random_offsets(seeded: Seeded, s3: Option<&S3Server>) {
    let blobs = photo_store(&seeded, s3);
    let server = InProcessServer::serve(seeded.state_with(blobs.clone()), loopback());
    // Cut connections to the server at random byte offsets once armed.
    let cuts: Arc<Mutex<Vec<u64>>> = Arc::new(Mutex::new(Vec::new()));
    let cut_count = Arc::new(AtomicUsize::new(0));
    let hook: Hook = {
        let (cuts, cut_count) = (cuts.clone(), cut_count.clone());
        Arc::new(move |dir, total, _| {
            if dir != Dir::ToServer {
                return true;
            }
            let mut cuts = cuts.lock().unwrap();
            if cuts.first().is_some_and(|&at| total >= at) {
                cuts.remove(0);
                cut_count.fetch_add(1, Ordering::SeqCst);
                return false;
            }
            true
        })
    };
    let proxy = Proxy::start(server.addr, hook);
    let dir = device_dir();
    let mut d = device(
        dir.path(),
        &proxy.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let big = jpeg(&photo_like(2400, 1800, 3), 90, None);
    let shot = d.add_photo(&big, "wide.jpg", Utc::now()).unwrap();
    assert!(
        shot.bytes > 600_000,
        "a multi-chunk photo: {} B",
        shot.bytes
    );
    raise_with(&mut d, "CP-C01", vec![shot.clone()]);
    d.sync_documents(&opts()).unwrap();

    let start = proxy.to_server.load(Ordering::SeqCst);
    let span = shot.bytes + 40_000;
    let mut offsets: Vec<u64> = (0..5)
        .map(|_| start + rand::random_range(1..span))
        .collect();
    offsets.sort();
    *cuts.lock().unwrap() = offsets.clone();
    let chunk = 64 * 1024;
    let o = device::SyncOptions {
        photo_chunk: chunk,
        ..opts()
    };
    let mut sent = 0;
    for _ in 0..10 {
        let report = d.sync(&o).unwrap();
        sent += report.photos.bytes_sent;
        if d.photo_status().unwrap().pending == 0 {
            break;
        }
    }
    assert_eq!(d.photo_status().unwrap().pending, 0, "cuts at {offsets:?}");
    assert!(
        cut_count.load(Ordering::SeqCst) >= 1,
        "the proxy cut at least once"
    );
    let stored = blobs.get(shot.hash.as_str()).unwrap().expect("stored");
    assert_eq!(photo::sha256_hex(&stored), shot.hash.as_str());
    assert_eq!(stored.len() as u64, shot.bytes);
    // Resumed, not restarted: each cut costs at most one chunk again.
    let thumb_len = blobs.get(shot.thumb.as_str()).unwrap().unwrap().len() as u64;
    assert!(
        sent <= shot.bytes + thumb_len + 5 * chunk as u64,
        "sent {sent} B for {} B",
        shot.bytes + thumb_len
    );
}

#[test]
fn the_same_photo_uploaded_twice_is_stored_once() {
    let seeded = Seeded::new();
    let blobs = seeded.blobs();
    let server = InProcessServer::serve(seeded.state(), loopback());
    let (da, db) = (device_dir(), device_dir());
    let mut a = device(
        da.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let mut b = device(
        db.path(),
        &server.url,
        "inspector2",
        &seeded.password("inspector2"),
    );
    let raw = jpeg(&photo_like(1600, 1200, 9), 88, None);
    let pa = a.add_photo(&raw, "same.jpg", Utc::now()).unwrap();
    let pb = b.add_photo(&raw, "same.jpg", Utc::now()).unwrap();
    assert_eq!(
        (pa.hash.clone(), pa.thumb.clone()),
        (pb.hash.clone(), pb.thumb.clone())
    );
    raise_with(&mut a, "CP-R02", vec![pa]);
    raise_with(&mut b, "CP-R03", vec![pb]);
    let ra = a.sync(&opts()).unwrap();
    assert_eq!((ra.photos.uploaded, ra.photos.already_there), (2, 0));
    let rb = b.sync(&opts()).unwrap();
    assert_eq!((rb.photos.uploaded, rb.photos.already_there), (2, 2));
    assert_eq!(rb.photos.bytes_sent, 0);
    let root = seeded.dir.path().join("blobs");
    assert_eq!(files_under(&root), 2, "one upload copy and one thumbnail");
    assert_eq!(blobs.count().unwrap(), 2);
}

#[test]
fn failing_photos_delay_neither_documents_nor_other_photos() {
    let seeded = Seeded::new();
    let server = InProcessServer::serve(seeded.state(), loopback());
    let block_photos = Arc::new(AtomicBool::new(true));
    let hook: Hook = {
        let block = block_photos.clone();
        Arc::new(move |dir, _, bytes| {
            let needle = b"/api/v1/photos/";
            let photo_request =
                dir == Dir::ToServer && bytes.windows(needle.len()).any(|w| w == needle);
            !(photo_request && block.load(Ordering::SeqCst))
        })
    };
    let proxy = Proxy::start(server.addr, hook);
    let dir = device_dir();
    let mut d = device(
        dir.path(),
        &proxy.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let one = snap(&mut d, 800, 600, 11);
    let two = snap(&mut d, 800, 600, 12);
    let first = raise_with(&mut d, "CP-P01", vec![one.clone()]);
    let second = raise_with(&mut d, "CP-P02", vec![two.clone()]);

    // Every photo request fails: the documents still go through, in one call.
    let report = d.sync(&opts()).unwrap();
    assert_eq!(report.pending, 0, "documents are acknowledged");
    assert!(!report.photos.failed.is_empty());
    let token = d.session().unwrap().token;
    let ids: Vec<_> = server_issues(&server.url, &token)
        .iter()
        .map(|s| s.id)
        .collect();
    assert!(ids.contains(&first) && ids.contains(&second));
    let status = d.photo_status().unwrap();
    assert_eq!(status.pending, 4);
    assert!(
        !status.failing.is_empty(),
        "the reason is kept for `photos status`"
    );

    // One photo damaged on the device: it fails, the other still uploads.
    block_photos.store(false, Ordering::SeqCst);
    let path = dir.path().join("photos/full").join(one.hash.as_str());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0xFF;
    std::fs::write(&path, bytes).unwrap();
    let report = d.sync(&opts()).unwrap();
    assert_eq!(report.photos.uploaded, 3, "{:?}", report.photos);
    assert_eq!(report.photos.failed.len(), 1);
    assert_eq!(report.photos.failed[0].0, one.hash.as_str());
    assert!(report.photos.failed[0].1.contains("damaged"));
    let (_, detail) = api_get(&server.url, &token, &format!("/api/v1/issues/{second}"));
    assert_eq!(detail["photos"][0]["uploaded"], true);
    let (_, detail) = api_get(&server.url, &token, &format!("/api/v1/issues/{first}"));
    assert_eq!(detail["photos"][0]["uploaded"], false);
    assert_eq!(detail["photos"][0]["thumb_uploaded"], true);
}

fn photos_are_served_only_to_their_sites_users_and_bad_uploads_are_refused(seeded: Seeded) {
    seeded.add_other_site("other_manager", shared::Role::Manager);
    let blobs = seeded.blobs();
    let server = InProcessServer::serve(seeded.state(), loopback());
    let (da, db) = (device_dir(), device_dir());
    let mut ours = device(
        da.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let shot = snap(&mut ours, 640, 480, 5);
    raise_with(&mut ours, "CP-R01", vec![shot.clone()]);
    ours.sync_documents(&opts()).unwrap();
    let token = ours.session().unwrap().token;
    let hash = shot.hash.as_str();
    let full = std::fs::read(da.path().join("photos/full").join(hash)).unwrap();
    let put = |offset: u64, total: u64, body: &[u8], h: &str| {
        let r = http()
            .put(format!(
                "{}/api/v1/photos/{h}/upload?offset={offset}&total={total}",
                server.url
            ))
            .bearer_auth(&token)
            .body(body.to_vec())
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json::<serde_json::Value>().unwrap_or_default())
    };
    // Malformed requests: a clear code each, nothing stored.
    assert_eq!(put(0, 10, b"x", "not-a-hash").0, 400);
    assert_eq!(
        put(0, 4, b"too long for four", hash).1["code"],
        "bad_offset"
    );
    assert_eq!(put(0, 1 << 30, b"x", hash).1["code"], "photo_too_large");
    assert_eq!(
        put(5, full.len() as u64, &full[5..10], hash).1["code"],
        "offset_mismatch"
    );
    let unknown = "0".repeat(64);
    assert_eq!(put(0, 3, b"abc", &unknown).1["code"], "photo_unknown");
    // Wrong bytes under the photo's name: refused, discarded, upload restarts at 0.
    let mut wrong = full.clone();
    wrong[full.len() / 2] ^= 1;
    let (status, body) = put(0, wrong.len() as u64, &wrong, hash);
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("hash_mismatch")),
        "{body}"
    );
    let (_, st) = api_get(
        &server.url,
        &token,
        &format!("/api/v1/photos/{hash}/upload"),
    );
    assert_eq!(st, serde_json::json!({"received": 0, "complete": false}));
    assert!(blobs.get(hash).unwrap().is_none());
    // Not yet uploaded: a clear 404.
    let r = get_photo(&server.url, &token, hash, "");
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<serde_json::Value>().unwrap()["code"],
        "photo_not_uploaded"
    );

    assert_eq!(ours.sync(&opts()).unwrap().photos.uploaded, 2);
    assert_eq!(get_photo(&server.url, &token, hash, "").status(), 200);

    // Another site's user: 403 for the photo and its upload, 404 for unknown ones.
    let other = device(db.path(), &server.url, "other_manager", "other-password");
    let other_token = other.session().unwrap().token;
    assert_eq!(get_photo(&server.url, &other_token, hash, "").status(), 403);
    assert_eq!(
        get_photo(&server.url, &other_token, hash, "?stamp=1").status(),
        403
    );
    let (status, _) = api_get(
        &server.url,
        &other_token,
        &format!("/api/v1/photos/{hash}/upload"),
    );
    assert_eq!(status, 403);
    assert_eq!(
        get_photo(&server.url, &other_token, &unknown, "").status(),
        404
    );
    assert_eq!(
        get_photo(&server.url, "no-such-token", hash, "").status(),
        401
    );
}

#[test]
fn full_copies_are_evicted_under_the_budget_and_fetched_again_on_demand() {
    let seeded = Seeded::new();
    let server = InProcessServer::serve(seeded.state(), loopback());
    let dir = device_dir();
    let mut d = device(
        dir.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let mut shots = Vec::new();
    for seed in 0..3 {
        let p = snap(&mut d, 1000, 750, 20 + seed);
        raise_with(&mut d, "CP-R04", vec![p.clone()]);
        shots.push(p);
    }
    // Nothing is evicted before the server has it.
    assert_eq!(d.set_photo_budget(0).unwrap(), 0);
    let report = d.sync(&opts()).unwrap();
    assert_eq!(report.photos.uploaded, 6);
    assert_eq!(report.photos.evicted, 3);
    let status = d.photo_status().unwrap();
    assert_eq!((status.evicted, status.local_full_bytes), (3, 0));
    for p in &shots {
        assert!(
            !dir.path()
                .join("photos/full")
                .join(p.hash.as_str())
                .exists()
        );
        assert!(
            dir.path()
                .join("photos/thumb")
                .join(p.thumb.as_str())
                .exists()
        );
    }
    // A budget for one photo: fetching keeps the newest within it.
    d.set_photo_budget(shots[0].bytes + 10).unwrap();
    let bytes = d.photo(shots[0].hash.as_str(), &opts()).unwrap();
    assert_eq!(photo::sha256_hex(&bytes), shots[0].hash.as_str());
    assert!(
        dir.path()
            .join("photos/full")
            .join(shots[0].hash.as_str())
            .exists()
    );
    assert_eq!(d.photo_status().unwrap().evicted, 2);
}

#[test]
fn a_device_killed_mid_upload_loses_nothing() {
    let seeded = Seeded::new();
    let blobs = seeded.blobs();
    let mut server = InProcessServer::serve(seeded.state(), loopback());
    // Stall the third photo request (thumbnail, first chunk, then this one).
    let puts = Arc::new(AtomicUsize::new(0));
    let (stalled_tx, stalled_rx) = std::sync::mpsc::channel::<()>();
    let release = Arc::new(AtomicBool::new(false));
    let hook: Hook = {
        let (puts, release) = (puts.clone(), release.clone());
        let stalled_tx = Mutex::new(stalled_tx);
        Arc::new(move |dir, _, bytes| {
            if dir == Dir::ToServer && bytes.starts_with(b"PUT /api/v1/photos/") {
                let n = puts.fetch_add(1, Ordering::SeqCst) + 1;
                if n == 3 {
                    let _ = stalled_tx.lock().unwrap().send(());
                    for _ in 0..600 {
                        if release.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    return false;
                }
            }
            true
        })
    };
    let proxy = Proxy::start(server.addr, hook);
    let dir = device_dir();
    let inspect = env!("CARGO_BIN_EXE_e2e-inspect");
    let run = |args: &[&str]| {
        std::process::Command::new(inspect)
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .output()
            .expect("run inspect")
    };
    let out = run(&[
        "login",
        "--server",
        &proxy.url,
        "--user",
        "inspector1",
        "--password",
        &seeded.password("inspector1"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let photo_file = dir.path().join("IMG_3001.jpg");
    std::fs::write(&photo_file, jpeg(&photo_like(2400, 1800, 4), 92, None)).unwrap();
    let out = run(&[
        "issue",
        "raise",
        "--checkpoint",
        "CP-C02",
        "--category",
        "safety_hazard",
        "--grade",
        "immediate",
        "--title",
        "电梯厅灯不亮",
        "--photo",
        photo_file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let issue = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let mut child = std::process::Command::new(inspect)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("sync")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    stalled_rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the upload reached its third request");
    child.kill().unwrap();
    child.wait().unwrap();
    release.store(true, Ordering::SeqCst);

    // The server holds the thumbnail and part of the full copy.
    let record: serde_json::Value = {
        let out = run(&["issue", "show", &issue, "--json"]);
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let full = record["photos"][0]["hash"].as_str().unwrap().to_string();
    let size = record["photos"][0]["bytes"].as_u64().unwrap();
    let uploader = Device::open(dir.path())
        .unwrap()
        .session()
        .unwrap()
        .device
        .as_uuid()
        .simple()
        .to_string();
    let held = match blobs.state(&full, &uploader).unwrap() {
        sync_server::blobs::BlobState::Partial(n) => n,
        other => panic!("expected a partial upload, found {other:?}"),
    };
    assert!(held > 0 && held < size);

    // The server restarts too; the part it holds is on disk.
    let addr = server.addr;
    server.stop();
    let _server = InProcessServer::serve(seeded.state(), addr);

    // After the kill: the record and the queue are intact; the next sync resumes.
    let out = run(&["photos", "status"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("1 pending"), "{text}");
    let out = std::process::Command::new(inspect)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("sync")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent: u64 = text
        .split("B sent")
        .next()
        .and_then(|s| s.rsplit(' ').nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bytes sent in {text}"));
    assert!(
        sent <= size - held,
        "resumed from {held}: sent {sent} of {size}"
    );
    let stored = blobs.get(&full).unwrap().expect("stored");
    assert_eq!(photo::sha256_hex(&stored), full);
    let out = run(&["photos", "status"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 pending"));
    let out = run(&["photos", "export", &full[..12], "--out"]);
    assert!(!out.status.success(), "--out is required");
    let exported = dir.path().join("export.jpg");
    let out = run(&[
        "photos",
        "export",
        &full[..12],
        "--out",
        exported.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(photo::check_upload(&std::fs::read(&exported).unwrap(), 4096).is_ok());
}

#[test]
fn a_site_that_keeps_originals_keeps_them_on_the_device_only() {
    let seeded = Seeded::new();
    {
        let mut txn = seeded.store.begin().unwrap();
        sync_server::accounts::set_keep_originals(&mut *txn, "DEMO", true, Utc::now()).unwrap();
        txn.commit().unwrap();
    }
    let blobs = seeded.blobs();
    let server = InProcessServer::serve(seeded.state(), loopback());
    let dir = device_dir();
    let mut d = device(
        dir.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    assert!(
        d.plan().unwrap().site.keep_originals,
        "the setting arrives with the plan"
    );
    let raw = jpeg(&photo_like(1200, 900, 30), 90, None);
    let shot = d.add_photo(&raw, "keep.jpg", Utc::now()).unwrap();
    let kept = dir
        .path()
        .join("photos/original")
        .join(shot.original.as_str());
    assert_eq!(std::fs::read(&kept).unwrap(), raw);
    raise_with(&mut d, "CP-R05", vec![shot.clone()]);
    let report = d.sync(&opts()).unwrap();
    assert_eq!(report.photos.uploaded, 2, "upload copy and thumbnail only");
    assert!(blobs.get(shot.original.as_str()).unwrap().is_none());
    assert!(kept.exists(), "never evicted");
}

/// Two server processes (replicas) on one database and one bucket: an upload
/// cut on the first continues through the second where it stopped, and either
/// serves the photo. Nothing about the upload lived in the first's memory.
#[test]
fn an_upload_cut_on_one_replica_resumes_on_another_through_the_bucket() {
    const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");
    let s3 = S3Server::start();
    let data = tempfile::tempdir().unwrap();
    let seed = seed_with(SERVER, data.path());
    let url = s3.url("estate");
    let args = ["--blob-url", url.as_str(), "--job-every-secs", "0"];
    let env = s3.env();
    let a = ProcessServer::start_env(SERVER, data.path(), "127.0.0.1:0", &args, &env, None);
    let b = ProcessServer::start_env(SERVER, data.path(), "127.0.0.1:0", &args, &env, None);
    let password = seed_password(&seed, "inspector1");

    // The connection to the first replica is cut once the upload is well under way.
    let armed_at = Arc::new(Mutex::new(None::<u64>));
    let hook: Hook = {
        let armed_at = armed_at.clone();
        Arc::new(move |dir, total, _| {
            let at = *armed_at.lock().unwrap();
            !(dir == Dir::ToServer && at.is_some_and(|at| total >= at))
        })
    };
    let proxy = Proxy::start(a.addr, hook);
    let dir = device_dir();
    let mut d = device(dir.path(), &proxy.url, "inspector1", &password);
    let shot = snap(&mut d, 2400, 1800, 11);
    assert!(shot.bytes > 400_000, "several chunks: {} B", shot.bytes);
    raise_with(&mut d, "CP-R01", vec![shot.clone()]);
    d.sync_documents(&opts()).unwrap();
    let chunked = device::SyncOptions {
        photo_chunk: 64 * 1024,
        ..opts()
    };
    *armed_at.lock().unwrap() = Some(proxy.to_server.load(Ordering::SeqCst) + 250_000);
    let _ = d.sync(&chunked);
    assert!(d.photo_status().unwrap().pending > 0, "the cut stopped it");
    let parts = s3
        .keys()
        .into_iter()
        .filter(|k| k.starts_with(&format!("estate/partial/{}/", shot.hash.as_str())))
        .count();
    assert!(
        parts >= 2,
        "the first replica left parts in the bucket: {parts}"
    );

    // The device's next sync lands on the other replica.
    let (_, report) = d.login(&b.url, "inspector1", &password, &chunked).unwrap();
    assert_eq!(d.photo_status().unwrap().pending, 0, "{:?}", report.photos);
    assert!(
        report.photos.bytes_sent < shot.bytes,
        "resumed, not restarted: {} B sent for {} B",
        report.photos.bytes_sent,
        shot.bytes
    );
    let token = login_token(&a.url, "manager1", &seed_password(&seed, "manager1"));
    for replica in [&a, &b] {
        let resp = get_photo(&replica.url, &token, shot.hash.as_str(), "");
        assert_eq!(resp.status(), 200);
        let body = resp.bytes().unwrap();
        assert_eq!(photo::sha256_hex(&body), shot.hash.as_str());
    }
    let keys = s3.keys();
    assert!(
        !keys.iter().any(|k| k.contains("/partial/")),
        "no parts are left: {keys:?}"
    );
    assert!(keys.contains(&format!(
        "estate/photos/{}/{}",
        &shot.hash.as_str()[..2],
        shot.hash.as_str()
    )));
}

/// An embedded installation moves its photos into a bucket with
/// `sync-server migrate`, then serves them from there; a bucket that already
/// holds photos, or a damaged file, is refused with the reason.
#[test]
fn photos_move_from_the_directory_into_a_bucket_and_are_served_from_there() {
    const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");
    let s3 = S3Server::start();
    let data = tempfile::tempdir().unwrap();
    let seed = seed_with(SERVER, data.path());
    let shot = {
        let server = ProcessServer::start(SERVER, data.path(), "127.0.0.1:0");
        let dir = device_dir();
        let mut d = device(
            dir.path(),
            &server.url,
            "inspector1",
            &seed_password(&seed, "inspector1"),
        );
        let shot = snap(&mut d, 1200, 900, 21);
        raise_with(&mut d, "CP-R01", vec![shot.clone()]);
        d.sync(&opts()).unwrap();
        assert_eq!(d.photo_status().unwrap().pending, 0);
        shot
    };
    let migrate = |from: &std::path::Path, to: &str| {
        std::process::Command::new(SERVER)
            .args(["migrate", "--from"])
            .arg(from)
            .args(["--blobs-to", to])
            .envs(s3.env())
            .output()
            .expect("run migrate")
    };
    let url = s3.url("estate");
    let out = migrate(data.path(), &url);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.starts_with("2 photo(s)"),
        "the photo and its thumbnail: {said}"
    );
    assert_eq!(
        files_under(&data.path().join("blobs")),
        2,
        "the directory is left as it was"
    );

    let server = ProcessServer::start_env(
        SERVER,
        data.path(),
        "127.0.0.1:0",
        &["--blob-url", url.as_str()],
        &s3.env(),
        None,
    );
    std::fs::remove_dir_all(data.path().join("blobs")).unwrap();
    let token = login_token(&server.url, "manager1", &seed_password(&seed, "manager1"));
    for hash in [shot.hash.as_str(), shot.thumb.as_str()] {
        let resp = get_photo(&server.url, &token, hash, "");
        assert_eq!(resp.status(), 200, "{hash}");
        assert_eq!(photo::sha256_hex(&resp.bytes().unwrap()), hash);
    }

    std::fs::create_dir_all(data.path().join("blobs")).unwrap();
    let again = migrate(data.path(), &url);
    assert!(!again.status.success());
    let why = String::from_utf8_lossy(&again.stderr);
    assert!(why.contains("already holds 2 photo(s)"), "{why}");

    let damaged = tempfile::tempdir().unwrap();
    let name = photo::sha256_hex(b"the real bytes");
    std::fs::create_dir_all(damaged.path().join("blobs").join(&name[..2])).unwrap();
    std::fs::write(
        damaged.path().join("blobs").join(&name[..2]).join(&name),
        b"other bytes",
    )
    .unwrap();
    let out = migrate(damaged.path(), &s3.url("elsewhere"));
    assert!(!out.status.success());
    let why = String::from_utf8_lossy(&out.stderr);
    assert!(
        why.contains(&format!("the file {name}")) && why.contains("damaged"),
        "{why}"
    );
}

tests::on_both_stores!(photos_are_served_only_to_their_sites_users_and_bad_uploads_are_refused);
