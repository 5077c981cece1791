//! Photo evidence, shared by the device and the server.
//!
//! - [`process`]: a camera file in, an upright upload copy (JPEG, longest side
//!   ≤ 2048 px) and a thumbnail (≤ 320 px) out, each named by the SHA-256 of its
//!   bytes, plus the SHA-256 of the original and its EXIF capture time. Decoding
//!   runs under [`Limits`], so a header announcing 30,000 × 30,000 pixels is
//!   refused before anything is allocated.
//! - [`check_upload`]: what the server accepts as a stored photo.
//! - [`stamp`]: the burned-in evidence caption, drawn when a photo is shown or
//!   exported; never stored, so the hashes stay the evidence of record.
//! - [`write_atomic`]: content-addressed files written to a temporary name,
//!   fsynced, renamed, and the directory fsynced.

pub mod stamp;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};
use sha2::{Digest, Sha256};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

/// Longest side of the upload copy.
pub const FULL_SIDE: u32 = 2048;
/// A JPEG is decoded at 1/2, 1/4 or 1/8 scale in the DCT, skipping the
/// full-size decode, when that still gives a longest side of at least this
/// (15/16 of [`FULL_SIDE`]): a 4000 × 3000 camera file becomes a 2000 × 1500
/// upload copy straight from the decoder.
pub const MIN_SCALED_SIDE: u32 = FULL_SIDE / 16 * 15;
/// Longest side of the thumbnail.
pub const THUMB_SIDE: u32 = 320;
/// JPEG quality of the upload copy.
pub const FULL_QUALITY: u8 = 80;
/// JPEG quality of the thumbnail.
pub const THUMB_QUALITY: u8 = 75;

/// Why a photo was not accepted. Nothing is stored when any of these happens.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("{name}: only JPEG and PNG photos are accepted; this file is {found}")]
    Unsupported { name: String, found: String },
    #[error("{name}: the name says {claimed} but the file is {found}")]
    Mismatch {
        name: String,
        claimed: String,
        found: String,
    },
    #[error("{name}: {width} × {height} pixels is larger than the {max_side} px per side allowed")]
    TooLarge {
        name: String,
        width: u32,
        height: u32,
        max_side: u32,
    },
    #[error("{name}: the file is {bytes} bytes; at most {max} are accepted")]
    FileTooBig { name: String, bytes: u64, max: u64 },
    #[error("{name}: the photo cannot be read: {detail}")]
    Damaged { name: String, detail: String },
    #[error("cannot encode the photo: {0}")]
    Encode(String),
}

/// Bounds on what is decoded.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest width or height accepted.
    pub max_side: u32,
    /// Largest decoding allocation, in bytes.
    pub max_alloc: u64,
    /// Largest input file, in bytes.
    pub max_file: u64,
}

impl Default for Limits {
    /// Enough for a 50-megapixel phone camera; a bomb is refused from its header.
    fn default() -> Self {
        Limits {
            max_side: 12_000,
            max_alloc: 512 * 1024 * 1024,
            max_file: 64 * 1024 * 1024,
        }
    }
}

impl Limits {
    fn image_limits(&self) -> image::Limits {
        let mut l = image::Limits::default();
        l.max_image_width = Some(self.max_side);
        l.max_image_height = Some(self.max_side);
        l.max_alloc = Some(self.max_alloc);
        l
    }
}

/// What [`process`] produced.
#[derive(Debug, Clone)]
pub struct Processed {
    /// SHA-256 of the input file.
    pub original_sha: String,
    pub original_format: &'static str,
    /// The upload copy (JPEG).
    pub full: Vec<u8>,
    pub full_sha: String,
    pub width: u32,
    pub height: u32,
    /// The thumbnail (JPEG).
    pub thumb: Vec<u8>,
    pub thumb_sha: String,
    /// Capture time from EXIF (`DateTimeOriginal`, else `DateTime`), read in
    /// `OffsetTimeOriginal` when present and otherwise in the given local offset.
    pub taken_at: Option<DateTime<Utc>>,
    /// The EXIF orientation that was applied (1 = none).
    pub orientation: u8,
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// An incremental SHA-256, for files read in pieces.
#[derive(Default)]
pub struct Hasher(Sha256);

impl Hasher {
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    pub fn finish_hex(self) -> String {
        hex(&self.0.finalize())
    }
}

fn format_name(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::Gif => "GIF",
        ImageFormat::WebP => "WebP",
        ImageFormat::Bmp => "BMP",
        ImageFormat::Tiff => "TIFF",
        ImageFormat::Avif => "AVIF",
        _ => "an image format that is not accepted",
    }
}

/// What the bytes are, by their content.
fn sniff(bytes: &[u8]) -> Result<ImageFormat, String> {
    match image::guess_format(bytes) {
        Ok(f) => Ok(f),
        Err(_) => {
            let text = bytes
                .iter()
                .take(512)
                .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace() || *b >= 0x80);
            Err(if bytes.is_empty() {
                "empty".to_string()
            } else if text {
                "text, not a photo".to_string()
            } else {
                "not an image".to_string()
            })
        }
    }
}

/// Turns a camera file into the stored copies. `name` is the file's name (its
/// extension must agree with its content); `local` is the offset used for EXIF
/// times that carry none.
pub fn process(
    bytes: &[u8],
    name: &str,
    limits: &Limits,
    local: FixedOffset,
) -> Result<Processed, PhotoError> {
    let name_s = name.to_string();
    if bytes.len() as u64 > limits.max_file {
        return Err(PhotoError::FileTooBig {
            name: name_s,
            bytes: bytes.len() as u64,
            max: limits.max_file,
        });
    }
    let found = sniff(bytes).map_err(|found| PhotoError::Unsupported {
        name: name_s.clone(),
        found,
    })?;
    if !matches!(found, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(PhotoError::Unsupported {
            name: name_s,
            found: format_name(found).into(),
        });
    }
    let ext = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let claimed = match ext.as_deref() {
        None => None,
        Some("jpg" | "jpeg" | "jpe") => Some(ImageFormat::Jpeg),
        Some("png") => Some(ImageFormat::Png),
        Some(other) => {
            return Err(PhotoError::Mismatch {
                name: name_s,
                claimed: format!("a .{other} file"),
                found: format_name(found).into(),
            });
        }
    };
    if let Some(claimed) = claimed
        && claimed != found
    {
        return Err(PhotoError::Mismatch {
            name: name_s,
            claimed: format_name(claimed).into(),
            found: format_name(found).into(),
        });
    }

    let damaged = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => PhotoError::Damaged {
            name: name.to_string(),
            detail: format!(
                "it needs more memory to decode than the {} MiB allowed",
                limits.max_alloc >> 20
            ),
        },
        other => PhotoError::Damaged {
            name: name.to_string(),
            detail: other.to_string(),
        },
    };
    if found == ImageFormat::Jpeg && !jpeg_complete(bytes) {
        return Err(PhotoError::Damaged {
            name: name_s,
            detail: "the JPEG is cut short (it has no end marker); copy it again from the camera"
                .into(),
        });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), found);
    reader.limits(limits.image_limits());
    // Check the announced size first, so a bomb gets a precise answer.
    let mut probe = ImageReader::with_format(Cursor::new(bytes), found);
    probe.no_limits();
    let (w, h) = probe.into_dimensions().map_err(damaged)?;
    if w > limits.max_side || h > limits.max_side {
        return Err(PhotoError::TooLarge {
            name: name_s,
            width: w,
            height: h,
            max_side: limits.max_side,
        });
    }
    let scaled = if found == ImageFormat::Jpeg {
        decode_jpeg_scaled(bytes, w, h, limits).map_err(|detail| PhotoError::Damaged {
            name: name_s.clone(),
            detail,
        })?
    } else {
        None
    };
    let (mut img, meta) = match scaled {
        Some((img, exif)) => (img, exif.as_deref().map(read_exif).unwrap_or_default()),
        None => {
            let mut decoder = reader.into_decoder().map_err(damaged)?;
            let exif = decoder.exif_metadata().ok().flatten();
            let meta = exif.as_deref().map(read_exif).unwrap_or_default();
            (DynamicImage::from_decoder(decoder).map_err(damaged)?, meta)
        }
    };
    if let Some(o) = image::metadata::Orientation::from_exif(meta.orientation) {
        img.apply_orientation(o);
    }
    let rgb = match img {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.to_rgb8(),
    };
    let full = shrink(&rgb, FULL_SIDE);
    let thumb = shrink(&full, THUMB_SIDE);
    let full_jpeg = encode_jpeg(&full, FULL_QUALITY)?;
    let thumb_jpeg = encode_jpeg(&thumb, THUMB_QUALITY)?;
    Ok(Processed {
        original_sha: sha256_hex(bytes),
        original_format: format_name(found),
        full_sha: sha256_hex(&full_jpeg),
        width: full.width(),
        height: full.height(),
        full: full_jpeg,
        thumb_sha: sha256_hex(&thumb_jpeg),
        thumb: thumb_jpeg,
        taken_at: meta.taken_at(local),
        orientation: meta.orientation.max(1),
    })
}

/// The DCT scale denominator (1, 2, 4 or 8) for a `w` × `h` JPEG: the largest
/// that keeps the longest side at least [`MIN_SCALED_SIDE`].
pub fn jpeg_scale_denominator(w: u32, h: u32) -> u32 {
    let long = w.max(h);
    [8, 4, 2]
        .into_iter()
        .find(|d| long.div_ceil(*d) >= MIN_SCALED_SIDE)
        .unwrap_or(1)
}

/// Decoded pixels and the raw EXIF block (from the TIFF header on), if any.
type Decoded = (DynamicImage, Option<Vec<u8>>);

/// Decodes a camera JPEG already checked whole and within bounds, at the
/// smallest DCT scale that still gives an upload copy (see
/// [`jpeg_scale_denominator`]), with its EXIF block. `Ok(None)` when no
/// scaling applies or the pixels are not 8-bit grey or RGB (CMYK, 16-bit),
/// which the general decoder then reads at full size.
fn decode_jpeg_scaled(
    bytes: &[u8],
    w: u32,
    h: u32,
    limits: &Limits,
) -> Result<Option<Decoded>, String> {
    let d = jpeg_scale_denominator(w, h);
    if d == 1 {
        return Ok(None);
    }
    let mut dec = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    dec.set_max_decoding_buffer_size(usize::try_from(limits.max_alloc).unwrap_or(usize::MAX));
    dec.read_info().map_err(|e| e.to_string())?;
    let format = dec.info().map(|i| i.pixel_format);
    if !matches!(
        format,
        Some(jpeg_decoder::PixelFormat::RGB24 | jpeg_decoder::PixelFormat::L8)
    ) {
        return Ok(None);
    }
    // Asking for exactly 1/d of the frame makes the decoder choose 1/d.
    let want = |side: u32| u16::try_from(side.div_ceil(d)).unwrap_or(u16::MAX);
    let (sw, sh) = dec.scale(want(w), want(h)).map_err(|e| e.to_string())?;
    let pixels = dec.decode().map_err(|e| e.to_string())?;
    let exif = dec.exif_data().map(<[u8]>::to_vec);
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    let img = match format {
        Some(jpeg_decoder::PixelFormat::RGB24) => {
            RgbImage::from_raw(sw, sh, pixels).map(DynamicImage::ImageRgb8)
        }
        _ => image::GrayImage::from_raw(sw, sh, pixels).map(DynamicImage::ImageLuma8),
    }
    .ok_or_else(|| format!("the decoder gave the wrong number of pixels for {sw} × {sh}"))?;
    Ok(Some((img, exif)))
}

/// Whether a JPEG's segments run from its start marker to its end marker
/// (decoders fill a cut-off photo with grey instead of failing). Data after the
/// end marker, as some phones append, is allowed.
pub fn jpeg_complete(bytes: &[u8]) -> bool {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    loop {
        // At a marker.
        let (Some(&ff), Some(&m)) = (bytes.get(i), bytes.get(i + 1)) else {
            return false;
        };
        if ff != 0xFF {
            return false;
        }
        match m {
            0xFF => i += 1,
            0xD9 => return true,
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let (Some(&hi), Some(&lo)) = (bytes.get(i + 2), bytes.get(i + 3)) else {
                    return false;
                };
                i += 2 + u16::from_be_bytes([hi, lo]) as usize;
                if m == 0xDA {
                    // Entropy-coded data: 0xFF is followed by 0x00 (stuffing),
                    // a restart marker, or the next real marker.
                    loop {
                        let Some(off) = bytes
                            .get(i..)
                            .and_then(|r| r.iter().position(|&b| b == 0xFF))
                        else {
                            return false;
                        };
                        i += off;
                        match bytes.get(i + 1) {
                            None => return false,
                            Some(0x00 | 0xD0..=0xD7) => i += 2,
                            Some(_) => break,
                        }
                    }
                }
            }
        }
    }
}

/// Scales `img` down so its longest side is at most `side`; never up.
pub fn shrink(img: &RgbImage, side: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    let long = w.max(h);
    if long <= side {
        return img.clone();
    }
    let scale = side as f64 / long as f64;
    let nw = ((w as f64 * scale).round() as u32).clamp(1, side);
    let nh = ((h as f64 * scale).round() as u32).clamp(1, side);
    image::imageops::resize(img, nw, nh, FilterType::Triangle)
}

/// Encodes RGB pixels as a baseline JPEG.
pub fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::with_capacity((img.width() * img.height() / 4) as usize);
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    Ok(out)
}

/// Decodes a stored JPEG (an upload copy or thumbnail) under `limits`.
pub fn decode_stored(bytes: &[u8], limits: &Limits) -> Result<RgbImage, PhotoError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Jpeg);
    reader.limits(limits.image_limits());
    reader
        .decode()
        .map(|i| i.to_rgb8())
        .map_err(|e| PhotoError::Damaged {
            name: "stored photo".into(),
            detail: e.to_string(),
        })
}

/// The server's acceptance check for a stored photo: a JPEG whose header reads
/// and whose sides are within `max_side`. Returns its dimensions.
pub fn check_upload(bytes: &[u8], max_side: u32) -> Result<(u32, u32), PhotoError> {
    let name = "upload".to_string();
    match sniff(bytes) {
        Ok(ImageFormat::Jpeg) if jpeg_complete(bytes) => {}
        Ok(ImageFormat::Jpeg) => {
            return Err(PhotoError::Damaged {
                name,
                detail: "the JPEG is cut short".into(),
            });
        }
        Ok(other) => {
            return Err(PhotoError::Unsupported {
                name,
                found: format_name(other).into(),
            });
        }
        Err(found) => return Err(PhotoError::Unsupported { name, found }),
    }
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Jpeg)
        .into_dimensions()
        .map_err(|e| PhotoError::Damaged {
            name: name.clone(),
            detail: e.to_string(),
        })?;
    if w == 0 || h == 0 || w > max_side || h > max_side {
        return Err(PhotoError::TooLarge {
            name,
            width: w,
            height: h,
            max_side,
        });
    }
    Ok((w, h))
}

#[derive(Debug, Default)]
struct ExifMeta {
    orientation: u8,
    date_time: Option<String>,
    offset: Option<String>,
}

impl ExifMeta {
    fn taken_at(&self, local: FixedOffset) -> Option<DateTime<Utc>> {
        let naive =
            NaiveDateTime::parse_from_str(self.date_time.as_deref()?.trim(), "%Y:%m:%d %H:%M:%S")
                .ok()?;
        let offset = self
            .offset
            .as_deref()
            .and_then(parse_offset)
            .unwrap_or(local);
        let t = offset.from_local_datetime(&naive).single()?;
        // Unset camera clocks write 0000:00:00 or 1970; those say nothing.
        (t.naive_utc().date() >= chrono::NaiveDate::from_ymd_opt(1990, 1, 1)?)
            .then(|| t.with_timezone(&Utc))
    }
}

fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let secs = sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60);
    FixedOffset::east_opt(secs)
}

fn read_exif(raw: &[u8]) -> ExifMeta {
    let Ok(exif) = exif::Reader::new().read_raw(raw.to_vec()) else {
        return ExifMeta::default();
    };
    let ascii = |tag| {
        exif.get_field(tag, exif::In::PRIMARY)
            .and_then(|f| match &f.value {
                exif::Value::Ascii(v) => v.first().map(|s| String::from_utf8_lossy(s).into_owned()),
                _ => None,
            })
    };
    let orientation = exif
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1) as u8;
    let original = ascii(exif::Tag::DateTimeOriginal);
    let (date_time, offset) = match original {
        Some(t) => (Some(t), ascii(exif::Tag::OffsetTimeOriginal)),
        None => (ascii(exif::Tag::DateTime), ascii(exif::Tag::OffsetTime)),
    };
    ExifMeta {
        orientation,
        date_time,
        offset,
    }
}

/// Writes `bytes` to `dir/name` so that the file is either absent or whole:
/// temporary file, fsync, rename, fsync of the directory. An existing file of
/// that name is kept (names are content hashes).
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let path = dir.join(name);
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    Ok(path)
}

/// Makes a rename or creation in `dir` durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        encode_jpeg(&img, 90).unwrap()
    }

    #[test]
    fn big_photos_shrink_and_small_ones_keep_their_size() {
        let p = process(&jpeg(3000, 1000), "a.jpg", &Limits::default(), local()).unwrap();
        assert_eq!((p.width, p.height), (2048, 683));
        let t = decode_stored(&p.thumb, &Limits::default()).unwrap();
        assert_eq!(t.dimensions(), (320, 107));
        assert_eq!(p.full_sha, sha256_hex(&p.full));
        assert_eq!(p.original_format, "JPEG");
        assert!(p.taken_at.is_none());

        let small = process(&jpeg(300, 200), "b.JPEG", &Limits::default(), local()).unwrap();
        assert_eq!((small.width, small.height), (300, 200));
    }

    #[test]
    fn camera_sizes_decode_at_the_smallest_scale_that_still_fills_the_upload_copy() {
        for ((w, h), d) in [
            ((4000, 3000), 2),
            ((4032, 3024), 2),
            ((3024, 4032), 2),
            ((3840, 2160), 2),
            ((3838, 2000), 1),
            ((3000, 1000), 1),
            ((2048, 1536), 1),
            ((8000, 6000), 4),
            ((8160, 6120), 4),
            ((16000, 9000), 8),
            ((1, 1), 1),
        ] {
            assert_eq!(jpeg_scale_denominator(w, h), d, "{w} × {h}");
            assert!(w.max(h).div_ceil(d) >= MIN_SCALED_SIDE || d == 1);
        }
        // A scaled decode gives 1/2 of a 4000 px frame, kept as it comes.
        let p = process(&jpeg(4000, 1200), "c.jpg", &Limits::default(), local()).unwrap();
        assert_eq!((p.width, p.height), (2000, 600));
        // Grey JPEGs take the same path.
        let grey = image::GrayImage::from_fn(3900, 100, |x, _| image::Luma([(x % 256) as u8]));
        let mut bytes = Vec::new();
        JpegEncoder::new_with_quality(&mut bytes, 90)
            .encode_image(&grey)
            .unwrap();
        let p = process(&bytes, "g.jpg", &Limits::default(), local()).unwrap();
        assert_eq!((p.width, p.height), (1950, 50));
        let img = decode_stored(&p.full, &Limits::default()).unwrap();
        let px = img.get_pixel(1000, 25).0;
        assert!(
            px[0].abs_diff(px[1]) < 8 && px[1].abs_diff(px[2]) < 8,
            "{px:?}"
        );
    }

    #[test]
    fn names_must_agree_with_contents() {
        let err = process(&jpeg(10, 10), "x.png", &Limits::default(), local()).unwrap_err();
        assert!(matches!(err, PhotoError::Mismatch { .. }), "{err}");
        let err = process(
            b"hello, not a photo\n",
            "x.jpg",
            &Limits::default(),
            local(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("text, not a photo"), "{err}");
        let err = process(&jpeg(10, 10), "x.gif", &Limits::default(), local()).unwrap_err();
        assert!(matches!(err, PhotoError::Mismatch { .. }), "{err}");
    }

    #[test]
    fn cut_jpegs_are_recognised() {
        let whole = jpeg(640, 480);
        assert!(jpeg_complete(&whole));
        let mut trailer = whole.clone();
        trailer.extend_from_slice(b"appended motion-photo data");
        assert!(jpeg_complete(&trailer));
        for cut in [2, 20, whole.len() / 2, whole.len() - 2] {
            assert!(!jpeg_complete(&whole[..cut]), "cut at {cut}");
        }
        let err = process(
            &whole[..whole.len() - 100],
            "c.jpg",
            &Limits::default(),
            local(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("cut short"), "{err}");
    }

    #[test]
    fn exif_offsets_parse() {
        assert_eq!(parse_offset("+08:00"), FixedOffset::east_opt(8 * 3600));
        assert_eq!(
            parse_offset("-03:30"),
            FixedOffset::east_opt(-(3 * 3600 + 1800))
        );
        assert_eq!(parse_offset("08:00"), None);
        let m = ExifMeta {
            orientation: 1,
            date_time: Some("2026:11:20 09:15:00".into()),
            offset: None,
        };
        assert_eq!(
            m.taken_at(local()).unwrap().to_rfc3339(),
            "2026-11-20T01:15:00+00:00"
        );
        let unset = ExifMeta {
            date_time: Some("0000:00:00 00:00:00".into()),
            ..Default::default()
        };
        assert_eq!(unset.taken_at(local()), None);
    }

    #[test]
    fn the_server_accepts_only_jpegs_within_bounds() {
        assert_eq!(check_upload(&jpeg(100, 50), 4096).unwrap(), (100, 50));
        assert!(check_upload(&jpeg(100, 50), 64).is_err());
        let mut png = Vec::new();
        DynamicImage::ImageRgb8(RgbImage::new(4, 4))
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        assert!(check_upload(&png, 4096).is_err());
        assert!(check_upload(b"", 4096).is_err());
    }

    #[test]
    fn atomic_writes_keep_the_first_copy() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_atomic(dir.path(), "abc", b"one").unwrap();
        write_atomic(dir.path(), "abc", b"two").unwrap();
        assert_eq!(std::fs::read(p).unwrap(), b"one");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
