//! Sync responses on the wire: gzip, when the device asks for it
//! (`Accept-Encoding: gzip`) and the body is worth it. Documents of one site
//! share their keys, ids and actors, so one stream over a whole response
//! compresses far better than Automerge's column-by-column compression of
//! each document — and costs the server one fast pass instead of a fresh
//! compressor per column.

use std::io::{Read, Write};

/// Bodies smaller than this go as they are.
pub const MIN_BYTES: usize = 1024;

/// Whether an `Accept-Encoding` header value takes gzip (and does not refuse it with `q=0`).
pub fn accepted(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|part| {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or("").trim();
        let refused = it.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

/// `body` compressed, fast rather than small.
pub fn compress(body: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::fast(),
    );
    enc.write_all(body).expect("writing to memory");
    enc.finish().expect("writing to memory")
}

/// `body` decompressed; an error when it is not gzip or grows past `limit` bytes.
pub fn decompress(body: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(3).min(limit));
    flate2::read::GzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("the compressed body does not decompress: {e}"))?;
    if out.len() > limit {
        return Err(format!("the body decompresses to more than {limit} bytes"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_gzip_or_too_large() {
        let body: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let packed = compress(&body);
        assert!(packed.len() < body.len() / 4);
        assert_eq!(decompress(&packed, body.len()).unwrap(), body);
        assert!(
            decompress(&packed, body.len() - 1)
                .unwrap_err()
                .contains("more than")
        );
        assert!(decompress(b"not gzip at all", 1 << 20).is_err());
        assert!(decompress(&packed[..packed.len() / 2], 1 << 20).is_err());
        // A small bomb: 64 MiB of zeros in a few dozen KiB.
        let bomb = compress(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < 1 << 20);
        assert!(decompress(&bomb, 1 << 20).is_err());
    }

    #[test]
    fn reads_accept_encoding() {
        assert!(accepted("gzip"));
        assert!(accepted("br, GZIP;q=0.5"));
        assert!(accepted("*"));
        assert!(!accepted("identity"));
        assert!(!accepted("gzip;q=0"));
        assert!(!accepted("deflate, br"));
        assert!(!accepted(""));
    }
}
