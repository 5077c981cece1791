//! Camera-like test pictures made in code: EXIF orientation and capture time,
//! photo-sized noise, PNGs, and damaged or hostile files.

use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, Rgb, RgbImage};

pub const RED: [u8; 3] = [220, 30, 30];
pub const BLUE: [u8; 3] = [30, 30, 220];

/// A little-endian TIFF block (as carried in a JPEG's APP1 "Exif" segment) with
/// an orientation and, optionally, `DateTimeOriginal` + `OffsetTimeOriginal`.
pub fn exif_block(orientation: u16, taken: Option<(&str, &str)>) -> Vec<u8> {
    fn entry(t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32) {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    }
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    let mut t = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    let entries: u16 = if taken.is_some() { 2 } else { 1 };
    let exif_ifd = 8 + 2 + 12 * entries as u32 + 4;
    t.extend_from_slice(&entries.to_le_bytes());
    entry(&mut t, 0x0112, SHORT, 1, orientation as u32);
    if taken.is_some() {
        entry(&mut t, 0x8769, LONG, 1, exif_ifd);
    }
    t.extend_from_slice(&0u32.to_le_bytes());
    if let Some((when, offset)) = taken {
        let mut when = when.as_bytes().to_vec();
        when.push(0);
        let mut offset = offset.as_bytes().to_vec();
        offset.push(0);
        let data = exif_ifd + 2 + 12 * 2 + 4;
        t.extend_from_slice(&2u16.to_le_bytes());
        entry(&mut t, 0x9003, ASCII, when.len() as u32, data);
        entry(
            &mut t,
            0x9011,
            ASCII,
            offset.len() as u32,
            data + when.len() as u32,
        );
        t.extend_from_slice(&0u32.to_le_bytes());
        t.extend_from_slice(&when);
        t.extend_from_slice(&offset);
    }
    t
}

/// Encodes `img` as a JPEG, with an EXIF block when given.
pub fn jpeg(img: &RgbImage, quality: u8, exif: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = JpegEncoder::new_with_quality(&mut out, quality);
    if let Some(exif) = exif {
        enc.set_exif_metadata(exif).expect("jpeg takes exif");
    }
    enc.write_image(
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::Rgb8,
    )
    .expect("encode jpeg");
    out
}

/// Left half red, right half blue, as the sensor stored it.
pub fn two_tone(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, _| Rgb(if x < w / 2 { RED } else { BLUE }))
}

/// A JPEG whose pixels are stored sideways with EXIF orientation 6 (rotate 90°
/// clockwise to view): viewed upright, red is on top and blue at the bottom.
pub fn sideways_jpeg(w: u32, h: u32, taken: Option<(&str, &str)>) -> Vec<u8> {
    jpeg(&two_tone(w, h), 92, Some(exif_block(6, taken)))
}

/// Photo-like content (gradients and noise) that compresses like a real photo.
pub fn photo_like(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    RgbImage::from_fn(w, h, |x, y| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let n = (state >> 59) as u8;
        Rgb([
            ((x * 255 / w.max(1)) as u8).wrapping_add(n),
            ((y * 255 / h.max(1)) as u8).wrapping_add(n / 2),
            (((x + y) % 256) as u8).wrapping_add(n),
        ])
    })
}

/// A PNG of `img`.
pub fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode png");
    out
}

/// A small valid JPEG whose frame header claims `w` × `h` pixels.
pub fn header_bomb(w: u16, h: u16) -> Vec<u8> {
    let mut bytes = jpeg(&two_tone(16, 16), 80, None);
    let sof = bytes
        .windows(2)
        .position(|p| p == [0xFF, 0xC0])
        .expect("baseline frame header");
    // FFC0, length (2), precision (1), height (2), width (2).
    bytes[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    bytes
}

/// Whether a pixel is clearly red / clearly blue (JPEG shifts colours a little).
pub fn is_red(p: &Rgb<u8>) -> bool {
    p.0[0] > 150 && p.0[2] < 100
}
pub fn is_blue(p: &Rgb<u8>) -> bool {
    p.0[2] > 150 && p.0[0] < 100
}

/// A scene with what evidence photos hold: smooth light, sharp-edged shapes
/// (walls, door frames, signs) and fine stripes (tiles, railings) up to a
/// period of 8 px, with a little sensor noise. Unlike [`photo_like`], a
/// downscaled copy of it has a true answer to compare against.
pub fn scene(w: u32, h: u32, seed: u64) -> RgbImage {
    let mut state = seed | 1;
    RgbImage::from_fn(w, h, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state % 7) as f64 - 3.0;
        let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
        let light = 60.0 + 120.0 * fx * (1.0 - fy);
        let stripes = if fy > 0.6 {
            40.0 * (std::f64::consts::TAU * x as f64 / (8.0 + 24.0 * fy)).sin()
        } else {
            0.0
        };
        let sign = (0.2..0.45).contains(&fx) && (0.15..0.35).contains(&fy);
        let frame = (x / (w / 10).max(1)).is_multiple_of(3) && fy < 0.6;
        let v = |base: f64| (base + stripes + noise).clamp(0.0, 255.0) as u8;
        if sign {
            Rgb([v(200.0), v(40.0), v(40.0)])
        } else if frame {
            Rgb([v(light * 0.5), v(light * 0.5), v(light * 0.6)])
        } else {
            Rgb([v(light), v(light * 0.9), v(light * 0.7)])
        }
    })
}

/// Mean structural similarity (SSIM) of two same-sized pictures' luma, over
/// 8 × 8 windows: 1.0 for identical pictures, lower as structure is lost.
pub fn ssim(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "SSIM compares equal sizes");
    let luma = |p: &Rgb<u8>| 0.299 * p.0[0] as f64 + 0.587 * p.0[1] as f64 + 0.114 * p.0[2] as f64;
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let (w, h) = a.dimensions();
    let (mut total, mut windows) = (0.0, 0u64);
    for wy in (0..h.saturating_sub(7)).step_by(8) {
        for wx in (0..w.saturating_sub(7)).step_by(8) {
            let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for y in wy..wy + 8 {
                for x in wx..wx + 8 {
                    let (p, q) = (luma(a.get_pixel(x, y)), luma(b.get_pixel(x, y)));
                    sa += p;
                    sb += q;
                    saa += p * p;
                    sbb += q * q;
                    sab += p * q;
                }
            }
            let n = 64.0;
            let (ma, mb) = (sa / n, sb / n);
            let (va, vb, cov) = (saa / n - ma * ma, sbb / n - mb * mb, sab / n - ma * mb);
            total += ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
                / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            windows += 1;
        }
    }
    total / windows.max(1) as f64
}
