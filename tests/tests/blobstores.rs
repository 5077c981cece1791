//! One set of behaviours for every photo store: the photo directory (the
//! default) and S3-compatible object storage (a real server on loopback: moto's
//! server mode). Each case runs against both; the S3 cases also run the upload
//! through two store instances, as two server replicas would.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sync_server::blobs::{BlobError, BlobState, BlobStore, DirBlobStore};
use tests::s3::S3Server;

const A: &str = "0123456789abcdef0123456789abcdef";
const B: &str = "fedcba9876543210fedcba9876543210";

fn ok(_: &[u8]) -> Result<(), String> {
    Ok(())
}

/// Two handles on one store: for the directory the same instance twice, for
/// S3 two instances (as two replicas hold), so nothing may live in one of them.
struct Stores {
    first: Arc<dyn BlobStore>,
    second: Arc<dyn BlobStore>,
    _keep: Box<dyn std::any::Any>,
}

fn dir_stores() -> Stores {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn BlobStore> = Arc::new(DirBlobStore::open(dir.path()).unwrap());
    Stores {
        first: store.clone(),
        second: store,
        _keep: Box::new(dir),
    }
}

fn s3_stores() -> Stores {
    let server = S3Server::start();
    Stores {
        first: Arc::new(server.store("site-a")),
        second: Arc::new(server.store("site-a")),
        _keep: Box::new(server),
    }
}

fn chunks_resume_at_the_reported_offset_and_finish_verified(s: Stores) {
    let (one, two) = (&*s.first, &*s.second);
    let data = b"some photo bytes, in three pieces".to_vec();
    let hash = photo::sha256_hex(&data);
    let total = data.len() as u64;
    assert_eq!(one.state(&hash, A).unwrap(), BlobState::Missing);
    assert_eq!(one.get(&hash).unwrap(), None);
    assert_eq!(one.append(&hash, A, 0, total, &data[..10]).unwrap(), 10);
    assert!(matches!(
        two.append(&hash, A, 5, total, &data[5..]),
        Err(BlobError::OffsetMismatch { received: 10, .. })
    ));
    assert!(matches!(
        two.append(&hash, A, 10, total + 1, &data[10..]),
        Err(BlobError::TotalMismatch { declared, .. }) if declared == total
    ));
    assert_eq!(two.state(&hash, A).unwrap(), BlobState::Partial(10));
    assert_eq!(
        two.state(&hash, B).unwrap(),
        BlobState::Missing,
        "another uploader has an upload of its own"
    );
    assert_eq!(two.append(&hash, A, 10, total, &data[10..20]).unwrap(), 20);
    assert_eq!(one.append(&hash, A, 20, total, &data[20..]).unwrap(), total);
    two.finish(&hash, A, &ok).unwrap();
    assert_eq!(one.state(&hash, B).unwrap(), BlobState::Complete(total));
    assert_eq!(one.state(&hash, A).unwrap(), BlobState::Complete(total));
    assert_eq!(one.get(&hash).unwrap().unwrap(), data);
    // A second upload of the same photo stores nothing new.
    assert_eq!(two.append(&hash, B, 0, total, &data).unwrap(), total);
    two.finish(&hash, B, &ok).unwrap();
    assert_eq!(two.get(&hash).unwrap().unwrap(), data);
}

fn wrong_bytes_and_refused_contents_are_discarded(s: Stores) {
    let (one, two) = (&*s.first, &*s.second);
    let hash = photo::sha256_hex(b"the real photo");
    one.append(&hash, A, 0, 14, b"something else").unwrap();
    assert!(matches!(
        two.finish(&hash, A, &ok),
        Err(BlobError::HashMismatch { .. })
    ));
    assert_eq!(one.state(&hash, A).unwrap(), BlobState::Missing);

    one.append(&hash, A, 0, 14, b"the real photo").unwrap();
    let refuse = |_: &[u8]| Err("not a JPEG".to_string());
    assert!(matches!(
        two.finish(&hash, A, &refuse),
        Err(BlobError::Rejected(_))
    ));
    assert_eq!(one.state(&hash, A).unwrap(), BlobState::Missing);
    assert_eq!(one.get(&hash).unwrap(), None);
    // The next attempt starts at 0 and may declare another total.
    assert_eq!(two.append(&hash, A, 0, 20, b"the real").unwrap(), 8);
}

fn stale_partials_expire_and_fresh_ones_stay(s: Stores) {
    let (one, two) = (&*s.first, &*s.second);
    let hash = photo::sha256_hex(b"x");
    one.append(&hash, A, 0, 10, b"half").unwrap();
    two.append(&hash, A, 4, 10, b"more").unwrap();
    one.append(&hash, B, 0, 10, b"other").unwrap();
    let later = SystemTime::now() + Duration::from_secs(60);
    assert_eq!(two.expire_partials(UNIX_EPOCH).unwrap(), 0);
    assert_eq!(one.state(&hash, A).unwrap(), BlobState::Partial(8));
    assert_eq!(two.expire_partials(later).unwrap(), 2, "two uploads");
    assert_eq!(one.state(&hash, A).unwrap(), BlobState::Missing);
    assert_eq!(one.state(&hash, B).unwrap(), BlobState::Missing);
    assert_eq!(one.append(&hash, A, 0, 3, b"new").unwrap(), 3);
}

/// The same chunk handed to both handles at once (a device that retried
/// through another replica): exactly one write counts, the other is told
/// where the upload stands, and the photo comes out whole.
fn the_same_chunk_twice_at_once_is_written_once(s: Stores) {
    let data: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let hash = photo::sha256_hex(&data);
    let total = data.len() as u64;
    for round in 0..10u64 {
        let at = round * 5_000;
        let piece = data[at as usize..(at + 5_000) as usize].to_vec();
        let results: Vec<Result<u64, BlobError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = [s.first.clone(), s.second.clone()]
                .into_iter()
                .map(|store| {
                    let (hash, piece) = (hash.clone(), piece.clone());
                    scope.spawn(move || store.append(&hash, A, at, total, &piece))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let written = results.iter().filter(|r| r.is_ok()).count();
        assert!(written >= 1, "round {round}: {results:?}");
        for r in &results {
            match r {
                Ok(n) => assert_eq!(*n, at + 5_000),
                Err(BlobError::OffsetMismatch { received, .. }) => {
                    assert_eq!(*received, at + 5_000)
                }
                Err(e) => panic!("round {round}: {e}"),
            }
        }
        assert_eq!(
            s.first.state(&hash, A).unwrap(),
            BlobState::Partial(at + 5_000),
            "round {round}: counted once"
        );
    }
    s.second.finish(&hash, A, &ok).unwrap();
    assert_eq!(s.first.get(&hash).unwrap().unwrap(), data);
}

macro_rules! on_both {
    ($($case:ident),* $(,)?) => {
        mod photo_directory {
            $(#[test] fn $case() { super::$case(super::dir_stores()) })*
        }
        mod s3_compatible {
            $(#[test] fn $case() { super::$case(super::s3_stores()) })*
        }
    };
}

on_both!(
    chunks_resume_at_the_reported_offset_and_finish_verified,
    wrong_bytes_and_refused_contents_are_discarded,
    stale_partials_expire_and_fresh_ones_stay,
    the_same_chunk_twice_at_once_is_written_once,
);

#[test]
fn an_upload_in_progress_and_finished_photos_leave_only_content_named_objects() {
    let server = S3Server::start();
    let store = server.store("estate-7");
    let data = b"a finished photo".to_vec();
    let hash = photo::sha256_hex(&data);
    store.append(&hash, A, 0, 16, &data[..6]).unwrap();
    assert_eq!(
        server.keys(),
        vec![format!("estate-7/partial/{hash}/{A}/16/{:020}", 0)]
    );
    store.append(&hash, A, 6, 16, &data[6..]).unwrap();
    store.finish(&hash, A, &ok).unwrap();
    assert_eq!(
        server.keys(),
        vec![format!("estate-7/photos/{}/{hash}", &hash[..2])],
        "the parts are gone once the photo is whole"
    );
}

#[test]
fn a_wrong_bucket_or_endpoint_is_told_at_open() {
    let server = S3Server::start();
    let mut env = server.env();
    env[0].1 = server.endpoint.clone();
    let missing = sync_server::s3blobs::S3BlobStore::open_with(
        "s3://no-such-bucket/x",
        &[
            ("aws_endpoint", &env[0].1),
            ("aws_access_key_id", "k"),
            ("aws_secret_access_key", "s"),
            ("aws_region", "us-east-1"),
            ("aws_allow_http", "true"),
        ],
    )
    .unwrap();
    let e = missing.check().unwrap_err().to_string();
    assert!(e.contains("object storage"), "{e}");
    assert!(sync_server::s3blobs::S3BlobStore::open("http://bucket").is_err());
    assert!(sync_server::s3blobs::S3BlobStore::open("s3:///prefix").is_err());
}
