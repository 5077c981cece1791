//! A camera file through the device's pipeline (`photo::process`) and the
//! server's upload check (`photo::check_upload`). The first byte picks the
//! file name (`x.jpg` or `x.png`), the rest is the file.
//!
//! Beyond "no panic": what the pipeline produced, the server must accept —
//! the upload copy and the thumbnail each pass `check_upload` and decode.

use chrono::FixedOffset;

/// What happened (for the corpus writer's checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub processed: bool,
    pub upload_ok: bool,
}

pub fn run(data: &[u8]) -> Report {
    let Some((&first, file)) = data.split_first() else {
        return Report {
            processed: false,
            upload_ok: false,
        };
    };
    let name = if first & 1 == 0 { "x.jpg" } else { "x.png" };
    let limits = photo::Limits::default();
    let local = FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    let processed = match photo::process(file, name, &limits, local) {
        Ok(p) => {
            for copy in [&p.full, &p.thumb] {
                let (w, h) = photo::check_upload(copy, photo::FULL_SIDE)
                    .expect("the server accepts the pipeline's own JPEG");
                assert!(w <= photo::FULL_SIDE && h <= photo::FULL_SIDE);
                photo::decode_stored(copy, &limits).expect("the pipeline's own JPEG decodes");
            }
            assert_eq!(photo::sha256_hex(&p.full), p.full_sha);
            true
        }
        Err(_) => false,
    };
    let upload_ok = photo::check_upload(file, 4096).is_ok();
    Report {
        processed,
        upload_ok,
    }
}
