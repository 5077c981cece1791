//! Printable forms (A4 PDF, zh-CN) an auditor asks for. First: the
//! rectification notice (整改通知单), one per issue — who must fix what, where,
//! by when, the evidence photos with their captions, the fix once recorded,
//! signature lines, and a QR code that opens the issue on the dashboard.
//!
//! Drawn with krilla, which embeds only the glyphs used (a subset) of the
//! Chinese font the photo captions already use, and passes JPEG photos through
//! as they are stored (no re-encoding: the bytes that hash to the photo's name).

use crate::blobs::BlobStore;
use crate::error::{ApiError, StoreError};
use crate::store::Txn;
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use shared::issue::{IssueView, PhotoRole};
use shared::plan::SitePlan;
use shared::wire::DocKind;

/// A4 in points.
pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
pub(crate) const MARGIN: f32 = 48.0;

/// Why a form could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error(
        "no font with Chinese glyphs was found for printing; install fonts-wqy-microhei or name one with --caption-font"
    )]
    NoFont,
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

impl From<FormError> for ApiError {
    fn from(e: FormError) -> Self {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "no_font",
            e.to_string(),
        )
        .zh(match e {
            FormError::NoFont => "服务器没有可打印中文的字体：请安装 fonts-wqy-microhei",
            FormError::Pdf(_) => "无法生成 PDF，请稍后再试",
        })
    }
}

/// The Chinese font forms are printed with, as found for photo captions.
pub fn font(fonts: &photo::stamp::Fonts) -> Result<Font, FormError> {
    let f = fonts
        .font
        .as_ref()
        .filter(|f| f.cjk)
        .ok_or(FormError::NoFont)?;
    let data = std::fs::read(&f.path).map_err(|_| FormError::NoFont)?;
    Font::new(data.into(), f.index).ok_or(FormError::NoFont)
}

/// One photo as printed: its stored JPEG and its evidence caption.
pub struct PrintedPhoto {
    pub role: PhotoRole,
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub caption: Vec<String>,
}

/// What a notice prints.
pub struct Notice {
    pub view: IssueView,
    pub plan: SitePlan,
    pub photos: Vec<PrintedPhoto>,
    /// The dashboard address of the issue (the QR code's content).
    pub link: String,
    /// Who verified it, when it was verified.
    pub verified_by: Option<String>,
}

/// The notice number: site code, the raise day (site time) and the issue id's
/// last eight hex digits, e.g. `ZG-DEMO-20261206-3F2A9C1B`.
pub fn notice_number(view: &IssueView, plan: &SitePlan) -> String {
    let day = view
        .raised_at
        .with_timezone(&plan.site.deadlines.offset())
        .format("%Y%m%d");
    let id = view.id.to_string().replace('-', "");
    format!(
        "ZG-{}-{day}-{}",
        plan.site.code,
        id[id.len().saturating_sub(8)..].to_uppercase()
    )
}

/// Loads what the notice of issue `id` prints, if it is an issue of `site`.
pub fn load_notice(
    txn: &mut dyn Txn,
    blobs: &dyn BlobStore,
    plan: SitePlan,
    id: shared::ids::IssueId,
    link: String,
) -> Result<Notice, ApiError> {
    let stored = txn
        .doc(id.into())?
        .filter(|d| d.kind == DocKind::Issue && d.site == plan.site.id)
        .ok_or_else(|| ApiError::not_found("issue"))?;
    let corrupt = |e: String| ApiError::from(StoreError::Corrupt(e));
    let d = automerge::AutoCommit::load(&stored.bytes).map_err(|e| corrupt(e.to_string()))?;
    let events = shared::doc::issue_events(&d).map_err(|e| corrupt(e.to_string()))?;
    let view = shared::issue::fold(id, events).map_err(|e| corrupt(e.to_string()))?;
    let mut photos = Vec::new();
    for (role, p) in view.all_photos() {
        // A photo not uploaded yet is left out; the notice says how many there are.
        let Ok(Some(jpeg)) = blobs.get(p.hash.as_str()) else {
            continue;
        };
        let caption = photo::stamp::caption_for(&plan, &view, p.hash.as_str())
            .map(|c| c.zh)
            .unwrap_or_default();
        photos.push(PrintedPhoto {
            role,
            jpeg,
            width: p.width,
            height: p.height,
            caption,
        });
    }
    let verified_by = view
        .timeline
        .iter()
        .rev()
        .find(|t| {
            t.outcome == shared::issue::EventOutcome::Applied
                && t.event.body.kind() == shared::policy::ChangeKind::Verify
        })
        .map(|t| t.event.by_name.clone());
    Ok(Notice {
        view,
        plan,
        photos,
        link,
        verified_by,
    })
}

/// One thing drawn on a page (y grows downwards from the top edge).
pub(crate) enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
    /// A filled rectangle (table shading, a chart's bar).
    Shade {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: (u8, u8, u8),
    },
    Photo {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        photo: usize,
    },
    Qr {
        x: f32,
        y: f32,
        size: f32,
    },
}

/// The shading of labels and table headers.
pub(crate) const GREY: (u8, u8, u8) = (235, 235, 235);

/// Pages laid out from the top; a block that does not fit starts a new page.
pub(crate) struct Layout {
    pages: Vec<Vec<Op>>,
    pub(crate) y: f32,
}

/// One column of a [`Layout::table`]: its heading and width in points.
pub(crate) struct Col<'a>(pub &'a str, pub f32);

impl Layout {
    pub(crate) fn new() -> Layout {
        Layout {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    /// Starts a new page unless the current one is still empty.
    pub(crate) fn new_page(&mut self) {
        if !self.pages.last().is_some_and(Vec::is_empty) {
            self.pages.push(Vec::new());
        }
        self.y = MARGIN;
    }

    /// Makes room for `height` points, on a new page if need be.
    pub(crate) fn room(&mut self, height: f32) {
        if self.y + height > PAGE_H - MARGIN && self.y > MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    pub(crate) fn op(&mut self, op: Op) {
        self.pages.last_mut().expect("a page").push(op);
    }

    pub(crate) fn text(&mut self, x: f32, y: f32, size: f32, text: impl Into<String>) {
        self.op(Op::Text {
            x,
            y,
            size,
            text: text.into(),
        });
    }

    pub(crate) fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        self.op(Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
        });
    }

    /// A line of text at the left margin, then down by `size * 1.6`.
    pub(crate) fn para(&mut self, size: f32, text: impl Into<String>) {
        self.room(size * 1.6);
        self.text(MARGIN, self.y + size, size, text);
        self.y += size * 1.6;
    }

    /// A table from the left margin: a shaded heading row, then one row per
    /// entry of `rows`, each cell a list of lines (shortened to fit its
    /// column). The heading is repeated on every page the table runs onto.
    pub(crate) fn table(&mut self, cols: &[Col<'_>], rows: &[Vec<Vec<String>>], size: f32) {
        let line_h = size * 1.45;
        let pad = 3.0;
        let right = MARGIN + cols.iter().map(|c| c.1).sum::<f32>();
        let heading = |l: &mut Layout| {
            let h = line_h + 2.0 * pad;
            l.op(Op::Shade {
                x: MARGIN,
                y: l.y,
                w: right - MARGIN,
                h,
                color: GREY,
            });
            let mut x = MARGIN;
            for c in cols {
                l.text(
                    x + pad,
                    l.y + pad + size,
                    size,
                    fit(c.0, size, c.1 - 2.0 * pad),
                );
                x += c.1;
            }
            l.line(MARGIN, l.y, right, l.y, 0.5);
            l.y += h;
        };
        let first_h = rows.first().map_or(0.0, |r| {
            r.iter().map(Vec::len).max().unwrap_or(1) as f32 * line_h
        });
        self.room(2.0 * (line_h + 2.0 * pad) + first_h);
        heading(self);
        for row in rows {
            let lines = row.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let h = lines as f32 * line_h + 2.0 * pad;
            let before = self.pages.len();
            self.room(h);
            if self.pages.len() != before {
                heading(self);
            }
            self.line(MARGIN, self.y, right, self.y, 0.3);
            let mut x = MARGIN;
            for (c, cell) in cols.iter().zip(row) {
                for (k, t) in cell.iter().enumerate() {
                    self.text(
                        x + pad,
                        self.y + pad + size + k as f32 * line_h,
                        size,
                        fit(t, size, c.1 - 2.0 * pad),
                    );
                }
                x += c.1;
            }
            self.y += h;
        }
        self.line(MARGIN, self.y, right, self.y, 0.5);
        self.y += 8.0;
    }

    /// Signature lines side by side, each `label：____` with a date line under it.
    pub(crate) fn signatures(&mut self, labels: &[&str]) {
        let col = (PAGE_W - 2.0 * MARGIN) / labels.len().max(1) as f32;
        self.room(70.0);
        self.y += 18.0;
        for (i, who) in labels.iter().enumerate() {
            let x = MARGIN + i as f32 * col;
            self.text(x, self.y + 12.0, 10.5, format!("{who}："));
            self.line(x + 78.0, self.y + 14.0, x + col - 16.0, self.y + 14.0, 0.6);
            self.text(x, self.y + 38.0, 10.5, "日期：");
            self.line(x + 78.0, self.y + 40.0, x + col - 16.0, self.y + 40.0, 0.6);
        }
        self.y += 52.0;
    }
}

/// How wide `text` is at `size`: full-width characters one em, the rest about half.
pub(crate) fn width(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| if c.is_ascii() { 0.55 } else { 1.0 })
        .sum::<f32>()
        * size
}

/// `text` broken into lines no wider than `max` at `size` (paragraphs kept).
pub(crate) fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for c in para.chars() {
            line.push(c);
            if width(&line, size) > max {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
        lines.push(line);
    }
    lines
}

/// The issue's page(s) of its rectification notice.
pub fn notice_pdf(n: &Notice, font: Font) -> Result<Vec<u8>, FormError> {
    let v = &n.view;
    let plan = &n.plan;
    let zone = v
        .zone
        .and_then(|z| plan.zones.iter().find(|x| x.id == z))
        .map(|z| z.name.clone())
        .unwrap_or_else(|| "—".into());
    let point = match (
        &v.checkpoint_code,
        v.checkpoint.and_then(|c| plan.checkpoint(c)),
    ) {
        (Some(code), Some(cp)) => format!("{code} {}", cp.name),
        (Some(code), None) => code.to_string(),
        _ => v
            .complaint
            .as_ref()
            .map(|c| c.location.clone())
            .unwrap_or_else(|| "—".into()),
    };
    let offset = plan.site.deadlines.offset();
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&offset)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let person = |login: &str| {
        plan.user_by_name(login)
            .map(|u| u.display_name.clone())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| login.to_string())
    };
    let department = v
        .department
        .map(|d| d.label_zh().to_string())
        .unwrap_or_else(|| "未派单".into());
    let fields: Vec<(&str, String)> = vec![
        ("项目", plan.site.name.clone()),
        ("点位", point),
        ("区域", zone),
        ("问题类别", v.category.label_zh().to_string()),
        ("问题等级", v.grade.label_zh().to_string()),
        ("当前状态", v.status.label_zh().to_string()),
        ("责任部门", department),
        (
            "整改责任人",
            v.assignee_name
                .as_deref()
                .map(person)
                .unwrap_or_else(|| "—".into()),
        ),
        (
            "整改期限",
            v.deadline.map(local).unwrap_or_else(|| "—".into()),
        ),
        (
            "发现人 / 时间",
            format!("{} / {}", person(&v.raised_by_name), local(v.raised_at)),
        ),
    ];

    let mut l = Layout::new();
    let content_w = PAGE_W - 2.0 * MARGIN;

    // Heading, number, QR code.
    l.text(MARGIN, l.y + 24.0, 22.0, "整改通知单");
    l.text(
        MARGIN,
        l.y + 46.0,
        10.0,
        format!("编号：{}", notice_number(v, plan)),
    );
    l.text(MARGIN, l.y + 62.0, 10.0, format!("问题编号：{}", v.id));
    let qr_size = 86.0;
    l.op(Op::Qr {
        x: PAGE_W - MARGIN - qr_size,
        y: MARGIN,
        size: qr_size,
    });
    l.text(
        PAGE_W - MARGIN - qr_size,
        MARGIN + qr_size + 10.0,
        7.0,
        "扫码在系统中查看",
    );
    l.y += qr_size + 22.0;

    // The finding.
    l.text(MARGIN, l.y + 14.0, 13.0, format!("问题：{}", v.title));
    l.y += 24.0;
    if !v.description.trim().is_empty() {
        for line in wrap(&v.description, 10.0, content_w) {
            l.room(15.0);
            l.text(MARGIN, l.y + 10.0, 10.0, line);
            l.y += 15.0;
        }
    }
    l.y += 6.0;

    // The fields, two to a row.
    let col = content_w / 2.0;
    for pair in fields.chunks(2) {
        l.room(22.0);
        l.line(MARGIN, l.y, PAGE_W - MARGIN, l.y, 0.5);
        for (i, (label, value)) in pair.iter().enumerate() {
            let x = MARGIN + i as f32 * col;
            l.op(Op::Shade {
                x,
                y: l.y,
                w: 78.0,
                h: 22.0,
                color: GREY,
            });
            l.text(x + 4.0, l.y + 15.0, 9.5, *label);
            l.text(x + 84.0, l.y + 15.0, 9.5, fit(value, 9.5, col - 88.0));
        }
        l.y += 22.0;
    }
    l.line(MARGIN, l.y, PAGE_W - MARGIN, l.y, 0.5);
    l.y += 16.0;

    // Photos before the fix; then the fix and its photos, once recorded.
    let before: Vec<usize> = (0..n.photos.len())
        .filter(|i| n.photos[*i].role == PhotoRole::Before)
        .collect();
    photo_block(&mut l, n, "现场照片", &before);
    l.room(60.0);
    l.text(MARGIN, l.y + 12.0, 12.0, "整改情况");
    l.y += 22.0;
    match v.rectified_at {
        None => {
            l.text(
                MARGIN,
                l.y + 10.0,
                10.0,
                "尚未整改：请在期限前完成整改，并在系统中记录整改情况、上传整改后照片。",
            );
            l.y += 24.0;
        }
        Some(at) => {
            let who = v
                .rectified_by
                .and_then(|u| plan.users.iter().find(|x| x.id == u))
                .map(|u| u.display_name.clone())
                .unwrap_or_else(|| "—".into());
            l.text(
                MARGIN,
                l.y + 10.0,
                10.0,
                format!("整改人：{who}    完成时间：{}", local(at)),
            );
            l.y += 16.0;
            for line in wrap(v.rectify_note.as_deref().unwrap_or(""), 10.0, content_w) {
                l.room(15.0);
                l.text(MARGIN, l.y + 10.0, 10.0, line);
                l.y += 15.0;
            }
            if let (Some(at), Some(by)) = (v.verified_at, &n.verified_by) {
                l.text(
                    MARGIN,
                    l.y + 10.0,
                    10.0,
                    format!("验收：{}，{}", person(by), local(at)),
                );
                l.y += 16.0;
            }
            l.y += 6.0;
            let after: Vec<usize> = (0..n.photos.len())
                .filter(|i| n.photos[*i].role == PhotoRole::After)
                .collect();
            photo_block(&mut l, n, "整改后照片", &after);
        }
    }

    l.signatures(&["责任部门签收", "品质部确认"]);
    render(
        &l,
        &n.photos,
        Some(&n.link),
        &font,
        &format!("{} · 整改通知单 {}", plan.site.name, notice_number(v, plan)),
    )
}

/// `text` shortened with an ellipsis to fit `max` points at `size`.
pub(crate) fn fit(text: &str, size: f32, max: f32) -> String {
    if width(text, size) <= max {
        return text.to_string();
    }
    let mut s: String = text.to_string();
    while !s.is_empty() && width(&s, size) + size > max {
        s.pop();
    }
    s.push('…');
    s
}

/// A titled block of photos (`which`: indexes into the notice's photos), two
/// to a row, each with its evidence caption underneath.
fn photo_block(l: &mut Layout, n: &Notice, title: &str, which: &[usize]) {
    let content_w = PAGE_W - 2.0 * MARGIN;
    let cell_w = (content_w - 12.0) / 2.0;
    // Each row's photo height and the height the row needs with its captions.
    let rows: Vec<(&[usize], f32, f32)> = which
        .chunks(2)
        .map(|row| {
            let img_h = row
                .iter()
                .map(|i| {
                    let p = &n.photos[*i];
                    cell_w * p.height.max(1) as f32 / p.width.max(1) as f32
                })
                .fold(0.0f32, f32::max)
                .min(200.0);
            let cap_lines = row
                .iter()
                .map(|i| n.photos[*i].caption.len())
                .max()
                .unwrap_or(0);
            (row, img_h, img_h + 8.0 + cap_lines as f32 * 11.0 + 10.0)
        })
        .collect();
    // The heading stays with the first row.
    l.room(20.0 + rows.first().map_or(18.0, |r| r.2));
    l.text(
        MARGIN,
        l.y + 12.0,
        12.0,
        format!("{title}（{} 张）", which.len()),
    );
    l.y += 20.0;
    if which.is_empty() {
        l.text(MARGIN, l.y + 10.0, 9.0, "（无）");
        l.y += 18.0;
        return;
    }
    for (row, img_h, needed) in rows {
        l.room(needed);
        for (j, i) in row.iter().enumerate() {
            let p = &n.photos[*i];
            let x = MARGIN + j as f32 * (cell_w + 12.0);
            let scale = (cell_w / p.width.max(1) as f32).min(img_h / p.height.max(1) as f32);
            l.op(Op::Photo {
                x,
                y: l.y,
                w: p.width as f32 * scale,
                h: p.height as f32 * scale,
                photo: *i,
            });
            for (k, c) in p.caption.iter().enumerate() {
                l.text(x, l.y + img_h + 14.0 + k as f32 * 11.0, 7.5, c.clone());
            }
        }
        l.y += needed;
    }
}

/// Draws the laid-out pages, each with `footer` and its page number; `photos`
/// are those [`Op::Photo`] points into, `link` what [`Op::Qr`] encodes.
pub(crate) fn render(
    l: &Layout,
    photos: &[PrintedPhoto],
    link: Option<&str>,
    font: &Font,
    footer: &str,
) -> Result<Vec<u8>, FormError> {
    let mut doc = Document::new();
    let count = l.pages.len();
    for (number, ops) in l.pages.iter().enumerate() {
        let mut page = doc.start_page_with(PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4"));
        let mut s = page.surface();
        let text = |s: &mut krilla::surface::Surface<'_>, x: f32, y: f32, size: f32, t: &str| {
            s.draw_text(
                Point::from_xy(x, y),
                font.clone(),
                size,
                t,
                false,
                TextDirection::Auto,
            );
        };
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    text: t,
                } => text(&mut s, *x, *y, *size, t),
                Op::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x1, *y1);
                    pb.line_to(*x2, *y2);
                    if let Some(path) = pb.finish() {
                        s.set_fill(None);
                        s.set_stroke(Some(Stroke {
                            width: *width,
                            ..Default::default()
                        }));
                        s.draw_path(&path);
                        s.set_stroke(None);
                        s.set_fill(Some(Fill::default()));
                    }
                }
                Op::Shade { x, y, w, h, color } => {
                    if let Some(path) = Rect::from_xywh(*x, *y, *w, *h).and_then(|r| {
                        let mut pb = PathBuilder::new();
                        pb.push_rect(r);
                        pb.finish()
                    }) {
                        s.set_fill(Some(Fill {
                            paint: rgb::Color::new(color.0, color.1, color.2).into(),
                            ..Default::default()
                        }));
                        s.draw_path(&path);
                        s.set_fill(Some(Fill::default()));
                    }
                }
                Op::Photo { x, y, w, h, photo } => {
                    let Some(p) = photos.get(*photo) else {
                        continue;
                    };
                    // A stored photo that is not a JPEG is left out rather than re-encoded.
                    if let (Ok(image), Some(size)) = (
                        Image::from_jpeg(p.jpeg.clone().into(), true),
                        Size::from_wh(*w, *h),
                    ) {
                        s.push_transform(&Transform::from_translate(*x, *y));
                        s.draw_image(image, size);
                        s.pop();
                    }
                }
                Op::Qr { x, y, size } => {
                    if let Some(link) = link {
                        draw_qr(&mut s, link, *x, *y, *size);
                    }
                }
            }
        }
        text(
            &mut s,
            MARGIN,
            PAGE_H - MARGIN + 22.0,
            7.5,
            &format!("{footer} · 第 {} / {count} 页", number + 1),
        );
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| FormError::Pdf(format!("{e:?}")))
}

/// The QR code of `text` as filled squares, `size` points wide at (`x`, `y`).
fn draw_qr(s: &mut krilla::surface::Surface<'_>, text: &str, x: f32, y: f32, size: f32) {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) else {
        return;
    };
    let n = code.width();
    let quiet = 2.0;
    let cell = size / (n as f32 + 2.0 * quiet);
    let mut pb = PathBuilder::new();
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (cx, cy) = ((i % n) as f32, (i / n) as f32);
            if let Some(r) =
                Rect::from_xywh(x + (cx + quiet) * cell, y + (cy + quiet) * cell, cell, cell)
            {
                pb.push_rect(r);
            }
        }
    }
    if let Some(path) = pb.finish() {
        s.set_fill(Some(Fill::default()));
        s.draw_path(&path);
    }
}
