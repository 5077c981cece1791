//! Printable QR label sheets for a site's checkpoints: A4 pages as SVG, twelve
//! labels a page, each with the point code as a QR code, the checkpoint's
//! Chinese name, its code in large letters (for typing when no camera is at
//! hand) and its zone. The QR code holds exactly the point code the app asks for.

use qrcode::{Color, EcLevel, QrCode};
use shared::plan::SitePlan;
use std::fmt::Write;

/// Labels per A4 page: three across, four down.
pub const PER_PAGE: usize = 12;
const COLS: usize = 3;
const PAGE_W: f64 = 210.0;
const PAGE_H: f64 = 297.0;
const MARGIN: f64 = 10.0;
/// Side of the QR code on a label, in millimetres (quiet zone included).
const QR_MM: f64 = 42.0;
/// The quiet zone around a QR code, in modules.
const QUIET: usize = 4;
const FONTS: &str = "'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei','Microsoft YaHei','PingFang SC',sans-serif";

/// One checkpoint label.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub code: String,
    pub name: String,
    pub zone: String,
}

/// The site's labels in point-code order.
pub fn labels(plan: &SitePlan) -> Vec<Label> {
    plan.checkpoints
        .iter()
        .map(|c| Label {
            code: c.code.to_string(),
            name: c.name.clone(),
            zone: plan
                .zone(c.zone)
                .map(|z| z.name.clone())
                .unwrap_or_default(),
        })
        .collect()
}

/// How many pages `n` labels take (at least one).
pub fn page_count(n: usize) -> usize {
    n.div_ceil(PER_PAGE).max(1)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The dark modules of `text`'s QR code as an SVG path in module units
/// (quiet zone included), and the side length in modules.
fn qr_path(text: &str) -> (String, usize) {
    // Point codes are at most 64 characters, well within a QR code's capacity.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .expect("a point code fits in a QR code");
    let width = code.width();
    let colors = code.to_colors();
    let mut d = String::new();
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (x, y) = (i % width + QUIET, i / width + QUIET);
            let _ = write!(d, "M{x} {y}h1v1h-1z");
        }
    }
    (d, width + 2 * QUIET)
}

/// Page `page` (1-based) of the sheet, as a standalone SVG document.
pub fn page_svg(site_name: &str, labels: &[Label], page: usize) -> String {
    let pages = page_count(labels.len());
    let cell_w = (PAGE_W - 2.0 * MARGIN) / COLS as f64;
    let rows = PER_PAGE / COLS;
    let cell_h = (PAGE_H - 2.0 * MARGIN - 8.0) / rows as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W}mm" height="{PAGE_H}mm" viewBox="0 0 {PAGE_W} {PAGE_H}" class="qr-page" font-family="{FONTS}">"#
    );
    let _ = write!(
        s,
        r##"<rect width="{PAGE_W}" height="{PAGE_H}" fill="white"/><text x="{MARGIN}" y="{}" font-size="4" fill="#444">{} · 巡查点位二维码 · {page}/{pages}</text>"##,
        MARGIN + 2.0,
        escape(site_name)
    );
    let start = (page.max(1) - 1) * PER_PAGE;
    for (i, label) in labels.iter().skip(start).take(PER_PAGE).enumerate() {
        let x0 = MARGIN + (i % COLS) as f64 * cell_w;
        let y0 = MARGIN + 8.0 + (i / COLS) as f64 * cell_h;
        let (path, side) = qr_path(&label.code);
        let scale = QR_MM / side as f64;
        let qx = x0 + (cell_w - QR_MM) / 2.0;
        let qy = y0 + 3.0;
        let cx = x0 + cell_w / 2.0;
        let _ = write!(
            s,
            concat!(
                r#"<g class="label" data-code="{code}">"#,
                r##"<rect x="{x0}" y="{y0}" width="{cw}" height="{ch}" fill="none" stroke="#999" stroke-width="0.2" stroke-dasharray="2 1"/>"##,
                r#"<g transform="translate({qx:.3} {qy:.3}) scale({scale:.5})"><path class="qr" fill="black" d="{path}"/></g>"#,
                r#"<text x="{cx:.3}" y="{ny:.3}" font-size="5" text-anchor="middle" font-weight="bold">{name}</text>"#,
                r#"<text x="{cx:.3}" y="{cy:.3}" font-size="6" text-anchor="middle" font-family="monospace" letter-spacing="0.4">{code}</text>"#,
                r##"<text x="{cx:.3}" y="{zy:.3}" font-size="3.5" text-anchor="middle" fill="#444">{zone}</text>"##,
                "</g>"
            ),
            code = escape(&label.code),
            x0 = x0,
            y0 = y0,
            cw = cell_w,
            ch = cell_h,
            qx = qx,
            qy = qy,
            scale = scale,
            path = path,
            cx = cx,
            ny = qy + QR_MM + 6.0,
            name = escape(&label.name),
            cy = qy + QR_MM + 13.0,
            zy = qy + QR_MM + 18.5,
            zone = escape(&label.zone),
        );
    }
    s.push_str("</svg>");
    s
}

/// Every page in one HTML document that prints one A4 page per sheet.
pub fn sheet_html(plan: &SitePlan) -> String {
    let labels = labels(plan);
    let mut s = String::new();
    let _ = write!(
        s,
        concat!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
            "<title>{} 巡查点位二维码</title>",
            "<style>@page {{ size: A4; margin: 0 }} body {{ margin: 0 }} ",
            "svg.qr-page {{ display: block; page-break-after: always; break-after: page }}</style>",
            "</head><body>"
        ),
        escape(&plan.site.name)
    );
    for page in 1..=page_count(labels.len()) {
        s.push_str(&page_svg(&plan.site.name, &labels, page));
    }
    s.push_str("</body></html>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_hold_twelve_labels_and_escape_names() {
        let labels: Vec<Label> = (0..13)
            .map(|i| Label {
                code: format!("P-{i:02}"),
                name: "大堂 <东> & 西".into(),
                zone: "一期".into(),
            })
            .collect();
        assert_eq!(page_count(13), 2);
        assert_eq!(page_count(0), 1);
        let one = page_svg("示例", &labels, 1);
        assert_eq!(one.matches("class=\"label\"").count(), 12);
        assert!(one.contains("大堂 &lt;东&gt; &amp; 西"));
        let two = page_svg("示例", &labels, 2);
        assert_eq!(two.matches("class=\"label\"").count(), 1);
        assert!(two.contains("data-code=\"P-12\""));
    }
}
