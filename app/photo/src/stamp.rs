//! The evidence caption (水印): time, site, checkpoint and inspector burned into
//! a band at the foot of a photo when it is shown or exported.
//!
//! Fonts: a configured file first, then fontconfig (`fc-match :lang=zh-cn`), then
//! Debian's usual CJK paths. A font is taken only if it really has the Chinese
//! glyphs. Without one the caption is drawn in Latin letters with any Latin font
//! found, and [`Fonts::warning`] says why; with no font at all nothing is drawn
//! and the caller is told so.

use crate::{PhotoError, encode_jpeg};
use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use image::RgbImage;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Characters a CJK caption font must have.
const CJK_PROBE: &str = "巡查物业号楼";

const CJK_PATHS: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
];
const LATIN_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

/// A loaded caption font.
pub struct CaptionFont {
    font: FontVec,
    pub path: PathBuf,
    /// The face within a collection (`.ttc`).
    pub index: u32,
    /// It has the Chinese glyphs.
    pub cjk: bool,
}

impl CaptionFont {
    /// Loads `path` (face `index` of a collection).
    pub fn load(path: &Path, index: u32) -> Option<CaptionFont> {
        let data = std::fs::read(path).ok()?;
        let font = FontVec::try_from_vec_and_index(data, index).ok()?;
        let mut f = CaptionFont {
            font,
            path: path.to_path_buf(),
            index,
            cjk: false,
        };
        f.cjk = f.covers(CJK_PROBE);
        Some(f)
    }

    /// Whether every visible character of `text` has a glyph.
    pub fn covers(&self, text: &str) -> bool {
        text.chars()
            .filter(|c| !c.is_whitespace())
            .all(|c| self.font.glyph_id(c).0 != 0)
    }
}

/// The fonts found for captions.
pub struct Fonts {
    pub font: Option<CaptionFont>,
    /// Set when captions cannot be drawn in Chinese.
    pub warning: Option<String>,
}

fn fc_match(pattern: &str) -> Option<(PathBuf, u32)> {
    let out = Command::new("fc-match")
        .args(["-f", "%{file}\n%{index}\n", pattern])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let mut lines = text.lines();
    let file = PathBuf::from(lines.next()?.trim());
    let index = lines
        .next()
        .and_then(|i| i.trim().parse().ok())
        .unwrap_or(0);
    file.is_file().then_some((file, index))
}

fn split_index(configured: &Path) -> (PathBuf, u32) {
    // `path/to/font.ttc:1` names one face of a collection.
    let s = configured.to_string_lossy();
    if let Some((p, i)) = s.rsplit_once(':')
        && let Ok(i) = i.parse()
    {
        return (PathBuf::from(p), i);
    }
    (configured.to_path_buf(), 0)
}

impl Fonts {
    /// Finds a caption font: `configured` first, then fontconfig, then known paths.
    pub fn discover(configured: Option<&Path>) -> Fonts {
        let mut notes = Vec::new();
        if let Some(c) = configured {
            let (path, index) = split_index(c);
            match CaptionFont::load(&path, index) {
                Some(f) if f.cjk => {
                    return Fonts {
                        font: Some(f),
                        warning: None,
                    };
                }
                Some(_) => notes.push(format!("{} has no Chinese glyphs", path.display())),
                None => notes.push(format!("{} is not a readable font", path.display())),
            }
        }
        let candidates = fc_match(":lang=zh-cn")
            .into_iter()
            .chain(CJK_PATHS.iter().map(|p| (PathBuf::from(p), 0)));
        for (path, index) in candidates {
            if let Some(f) = CaptionFont::load(&path, index)
                && f.cjk
            {
                return Fonts {
                    font: Some(f),
                    warning: (!notes.is_empty()).then(|| notes.join("; ")),
                };
            }
        }
        notes.push(
            "no Chinese (CJK) font found; install fonts-noto-cjk or fonts-wqy-microhei, or configure one; captions are drawn in Latin letters".into(),
        );
        let latin = fc_match("sans-serif")
            .into_iter()
            .chain(LATIN_PATHS.iter().map(|p| (PathBuf::from(p), 0)));
        for (path, index) in latin {
            if let Some(f) = CaptionFont::load(&path, index)
                && f.covers("0123456789:-ABCxyz")
            {
                return Fonts {
                    font: Some(f),
                    warning: Some(notes.join("; ")),
                };
            }
        }
        notes.push("no font at all was found, so photos are shown without a caption".into());
        Fonts {
            font: None,
            warning: Some(notes.join("; ")),
        }
    }
}

/// A caption in Chinese with its Latin fallback, line by line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caption {
    pub zh: Vec<String>,
    pub latin: Vec<String>,
}

/// What an evidence caption says about a photo.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// Capture time from EXIF when known, else when it was added.
    pub time: chrono::DateTime<chrono::Utc>,
    /// `time` came from the camera (EXIF), not the device clock.
    pub from_camera: bool,
    /// The site's local time, minutes east of UTC.
    pub utc_offset_minutes: i32,
    pub site_code: &'a str,
    pub site_name: &'a str,
    pub checkpoint_code: Option<&'a str>,
    pub checkpoint_name: Option<&'a str>,
    /// Login name and display name of who took it.
    pub person: &'a str,
    pub person_display: &'a str,
    /// A photo of the fix (整改后) rather than of the problem (现场).
    pub after: bool,
}

impl Caption {
    /// The caption for one photo, in Chinese and in Latin letters.
    pub fn evidence(f: &Facts<'_>) -> Caption {
        let offset = chrono::FixedOffset::east_opt(f.utc_offset_minutes * 60)
            .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"));
        let local = f.time.with_timezone(&offset);
        let stamp = local.format("%Y-%m-%d %H:%M:%S").to_string();
        let zone = local.format("UTC%:z").to_string();
        let code = f.checkpoint_code.unwrap_or("-");
        Caption {
            zh: vec![
                format!(
                    "{stamp} ({zone}) {}",
                    if f.from_camera { "拍摄" } else { "记录" }
                ),
                match f.checkpoint_name {
                    Some(n) => format!("{} · {code} {n}", f.site_name),
                    None => format!("{} · {code}", f.site_name),
                },
                format!(
                    "{} · {}",
                    f.person_display,
                    if f.after {
                        "整改后照片"
                    } else {
                        "现场照片"
                    }
                ),
            ],
            latin: vec![
                format!(
                    "{stamp} {zone} {}",
                    if f.from_camera { "taken" } else { "recorded" }
                ),
                format!("{} · {code}", f.site_code),
                format!(
                    "{} · {}",
                    f.person,
                    if f.after { "after" } else { "before" }
                ),
            ],
        }
    }
}

/// The caption of the photo stored under `hash` (its upload copy or thumbnail)
/// in issue `view`, with names from the site `plan`.
pub fn caption_for(
    plan: &shared::plan::SitePlan,
    view: &shared::issue::IssueView,
    hash: &str,
) -> Option<Caption> {
    let (role, p) = view.photo(hash)?;
    let checkpoint = view.checkpoint.and_then(|c| plan.checkpoint(c));
    let display = plan
        .users
        .iter()
        .find(|u| u.id == p.by)
        .map(|u| u.display_name.as_str())
        .unwrap_or(&p.by_name);
    let code = view.checkpoint_code.as_ref().map(|c| c.to_string());
    Some(Caption::evidence(&Facts {
        time: p.taken_at.unwrap_or(p.added_at),
        from_camera: p.taken_at.is_some(),
        utc_offset_minutes: plan.site.deadlines.utc_offset_minutes,
        site_code: plan.site.code.as_str(),
        site_name: &plan.site.name,
        checkpoint_code: code.as_deref(),
        checkpoint_name: checkpoint.map(|c| c.name.as_str()),
        person: &p.by_name,
        person_display: display,
        after: role == shared::issue::PhotoRole::After,
    }))
}

/// How a caption was drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drawn {
    Chinese,
    Latin,
    /// No font: the photo is unchanged.
    Nothing,
}

impl Drawn {
    pub const fn code(self) -> &'static str {
        match self {
            Drawn::Chinese => "zh",
            Drawn::Latin => "latin",
            Drawn::Nothing => "none",
        }
    }
}

/// Draws `caption` into a darkened band at the foot of `img`.
pub fn draw(img: &mut RgbImage, caption: &Caption, fonts: &Fonts) -> Drawn {
    let Some(font) = &fonts.font else {
        return Drawn::Nothing;
    };
    let zh_ok = font.cjk && caption.zh.iter().all(|l| font.covers(l));
    let (lines, drawn) = if zh_ok {
        (&caption.zh, Drawn::Chinese)
    } else {
        (&caption.latin, Drawn::Latin)
    };
    let (w, h) = img.dimensions();
    let size = (w.min(h * 2) as f32 / 38.0).clamp(12.0, 64.0);
    let scaled = font.font.as_scaled(PxScale::from(size));
    let line_h = (scaled.height() + scaled.line_gap()).ceil();
    let pad = (size * 0.5).ceil();
    let band = ((line_h * lines.len() as f32) + 2.0 * pad).min(h as f32) as u32;
    let top = h - band;
    for y in top..h {
        for x in 0..w {
            let p = img.get_pixel_mut(x, y);
            for c in p.0.iter_mut() {
                *c = (*c as f32 * 0.42) as u8;
            }
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let baseline = top as f32 + pad + scaled.ascent() + line_h * i as f32;
        let mut x = pad;
        for ch in line.chars() {
            let id = font.font.glyph_id(ch);
            let advance = scaled.h_advance(id);
            if x + advance > w as f32 - pad {
                break;
            }
            let glyph = id.with_scale_and_position(PxScale::from(size), point(x, baseline));
            x += advance;
            let Some(outline) = font.font.outline_glyph(glyph) else {
                continue;
            };
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                let px = b.min.x as i64 + gx as i64;
                let py = b.min.y as i64 + gy as i64;
                if px < 0 || py < 0 || px >= w as i64 || py >= h as i64 {
                    return;
                }
                let p = img.get_pixel_mut(px as u32, py as u32);
                let a = cov.clamp(0.0, 1.0);
                for c in p.0.iter_mut() {
                    *c = (*c as f32 * (1.0 - a) + 255.0 * a) as u8;
                }
            });
        }
    }
    drawn
}

/// Decodes a stored JPEG, draws the caption, and encodes it again.
pub fn stamp_jpeg(
    jpeg: &[u8],
    caption: &Caption,
    fonts: &Fonts,
) -> Result<(Vec<u8>, Drawn), PhotoError> {
    let mut img = crate::decode_stored(jpeg, &crate::Limits::default())?;
    let drawn = draw(&mut img, caption, fonts);
    if drawn == Drawn::Nothing {
        return Ok((jpeg.to_vec(), drawn));
    }
    Ok((encode_jpeg(&img, 88)?, drawn))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caption() -> Caption {
        Caption {
            zh: vec![
                "2026-11-20 09:15 示范花园".into(),
                "CP-R01 1号楼大堂 · 张巡查".into(),
            ],
            latin: vec!["2026-11-20 09:15 DEMO".into(), "CP-R01 · inspector1".into()],
        }
    }

    fn bright(img: &RgbImage, rows: std::ops::Range<u32>) -> usize {
        rows.flat_map(|y| (0..img.width()).map(move |x| (x, y)))
            .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c > 200))
            .count()
    }

    #[test]
    fn the_caption_lands_in_the_band_and_nowhere_else() {
        let fonts = Fonts::discover(None);
        let mut img = RgbImage::from_pixel(800, 600, image::Rgb([100, 100, 100]));
        let drawn = draw(&mut img, &caption(), &fonts);
        if fonts.font.is_none() {
            assert_eq!(drawn, Drawn::Nothing);
            return;
        }
        // The top half is untouched, the band is darkened and carries white text.
        assert_eq!(bright(&img, 0..300), 0);
        assert_eq!(img.get_pixel(400, 10).0, [100, 100, 100]);
        assert!(bright(&img, 450..600) > 100, "text pixels in the band");
        assert_eq!(drawn == Drawn::Chinese, fonts.font.as_ref().unwrap().cjk);
    }

    #[test]
    fn a_font_without_chinese_falls_back_to_latin() {
        let Some(latin) = LATIN_PATHS
            .iter()
            .find_map(|p| CaptionFont::load(Path::new(p), 0))
        else {
            return;
        };
        assert!(!latin.cjk, "{} has no CJK glyphs", latin.path.display());
        let fonts = Fonts {
            font: Some(latin),
            warning: Some("no CJK".into()),
        };
        let mut img = RgbImage::from_pixel(640, 480, image::Rgb([100, 100, 100]));
        assert_eq!(draw(&mut img, &caption(), &fonts), Drawn::Latin);
        assert!(bright(&img, 380..480) > 50);
    }

    #[test]
    fn a_configured_path_that_is_no_font_is_reported() {
        let fonts = Fonts::discover(Some(Path::new("/nonexistent/font.ttf")));
        let warning = fonts.warning.expect("a warning");
        assert!(
            warning.contains("/nonexistent/font.ttf is not a readable font"),
            "{warning}"
        );
    }
}
