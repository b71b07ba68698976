//! Administrative documents as PDF in Vietnamese (notices, receipts):
//! A4, DejaVu Sans embedded (subset, with a ToUnicode map so the text can
//! be searched and copied), laid out as an administrative letter —
//! letterhead with the national motto, title, paragraphs, tables with
//! their header repeated on each page, signature blocks, page footers.
//! Pure Rust (krilla); the fonts are in the binary. Every context's
//! documents use this one layout ([`Doc`]).
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::Document;
use unicode_normalization::UnicodeNormalization;

static REGULAR: &[u8] = include_bytes!("../../web/assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../web/assets/fonts/DejaVuSans-Bold.ttf");

pub const W: f32 = 595.28;
const H: f32 = 841.89;
pub const MARGIN: f32 = 56.7;
pub const BODY: f32 = 11.0;
pub const SMALL: f32 = 9.0;

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
    },
}

pub struct Layout<'a> {
    regular: ttf_parser::Face<'a>,
    bold: ttf_parser::Face<'a>,
    pages: Vec<Vec<Op>>,
    /// Top of the free space on the current page.
    pub y: f32,
}

#[derive(Clone, Copy, PartialEq)]
pub enum Align {
    Left,
    Center,
}

impl<'a> Layout<'a> {
    pub fn width(&self, s: &str, bold: bool, size: f32) -> f32 {
        let face = if bold { &self.bold } else { &self.regular };
        let upem = f32::from(face.units_per_em().max(1));
        let units: u32 = s
            .chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map_or(600, u32::from)
            })
            .sum();
        units as f32 * size / upem
    }

    /// Breaks `s` into lines no wider than `max` (words longer than a
    /// line are cut).
    pub fn wrap(&self, s: &str, bold: bool, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in s.split('\n') {
            let mut line = String::new();
            for word in para.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, bold, size) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // The word alone may still be too long.
                let mut part = String::new();
                for ch in word.chars() {
                    part.push(ch);
                    if self.width(&part, bold, size) > max && part.chars().count() > 1 {
                        part.pop();
                        lines.push(std::mem::take(&mut part));
                        part.push(ch);
                    }
                }
                line = part;
            }
            lines.push(line);
        }
        lines
    }

    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Makes room for `h` points, starting a page if needed.
    pub fn room(&mut self, h: f32) {
        if self.y + h > H - MARGIN - 14.0 {
            self.new_page();
        }
    }

    pub fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        self.page().push(Op::Text {
            x,
            y,
            size,
            bold,
            text: text.to_string(),
        });
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32) {
        self.page().push(Op::Line { x1, y1, x2, y2 });
    }

    /// Lines of text in a box `[x, x + w]` from the current `y`.
    pub fn block(&mut self, x: f32, w: f32, size: f32, bold: bool, align: Align, s: &str) {
        let lh = size * 1.45;
        for l in self.wrap(s, bold, size, w) {
            self.room(lh);
            let dx = match align {
                Align::Left => 0.0,
                Align::Center => (w - self.width(&l, bold, size)).max(0.0) / 2.0,
            };
            let y = self.y + size;
            self.text(x + dx, y, size, bold, &l);
            self.y += lh;
        }
    }

    pub fn paragraph(&mut self, s: &str, bold: bool) {
        self.block(MARGIN, W - 2.0 * MARGIN, BODY, bold, Align::Left, s);
        self.y += 4.0;
    }

    /// A table with a bold header row repeated on each page.
    pub fn table(&mut self, widths: &[f32], header: &[&str], rows: &[Vec<String>]) {
        let pad = 3.0;
        let lh = SMALL * 1.4;
        let draw_row = |l: &mut Layout, cells: &[String], bold: bool| {
            let wrapped: Vec<Vec<String>> = cells
                .iter()
                .zip(widths)
                .map(|(c, w)| l.wrap(c, bold, SMALL, w - 2.0 * pad))
                .collect();
            let n = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let h = n as f32 * lh + 2.0 * pad;
            let top = l.y;
            let mut x = MARGIN;
            for (lines, w) in wrapped.iter().zip(widths) {
                for (i, t) in lines.iter().enumerate() {
                    let y = top + pad + SMALL + i as f32 * lh;
                    l.text(x + pad, y, SMALL, bold, t);
                }
                l.line(x, top, x, top + h);
                x += w;
            }
            l.line(x, top, x, top + h);
            l.line(MARGIN, top, x, top);
            l.line(MARGIN, top + h, x, top + h);
            l.y = top + h;
        };
        let height = |l: &Layout, cells: &[String], bold: bool| -> f32 {
            let n = cells
                .iter()
                .zip(widths)
                .map(|(c, w)| l.wrap(c, bold, SMALL, w - 2.0 * pad).len())
                .max()
                .unwrap_or(1)
                .max(1);
            n as f32 * lh + 2.0 * pad
        };
        let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
        let hh = height(self, &header, true);
        self.room(hh + lh * 2.0);
        draw_row(self, &header, true);
        for r in rows {
            let h = height(self, r, false);
            if self.y + h > H - MARGIN - 14.0 {
                self.new_page();
                draw_row(self, &header, true);
            }
            draw_row(self, r, false);
        }
        self.y += 8.0;
    }
}

/// Collapses whitespace and composes (NFC) so that the font's
/// precomposed Vietnamese letters are used.
pub fn clean(s: &str) -> String {
    s.nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The width of the text column.
pub const CONTENT: f32 = W - 2.0 * MARGIN;

/// A document being laid out: the [`Layout`] and what its pages need.
pub struct Doc {
    pub l: Layout<'static>,
}

impl Doc {
    pub fn new() -> Result<Doc, String> {
        let regular = ttf_parser::Face::parse(REGULAR, 0).map_err(|e| e.to_string())?;
        let bold = ttf_parser::Face::parse(BOLD, 0).map_err(|e| e.to_string())?;
        Ok(Doc {
            l: Layout {
                regular,
                bold,
                pages: vec![Vec::new()],
                y: MARGIN,
            },
        })
    }

    /// The letterhead: the issuer's lines (the first in bold) and a
    /// reference line on the left, the national motto and the place and
    /// date on the right.
    pub fn letterhead(&mut self, issuer: &[&str], reference: &str, place_date: &str) {
        let l = &mut self.l;
        let top = l.y;
        let left_w = 200.0;
        for (i, line) in issuer.iter().enumerate() {
            l.block(MARGIN, left_w, 10.5, i == 0, Align::Center, &clean(line));
        }
        if !reference.is_empty() {
            l.block(MARGIN, left_w, 10.5, false, Align::Center, reference);
        }
        let left_end = l.y;
        l.y = top;
        let right_x = MARGIN + left_w + 10.0;
        let right_w = CONTENT - left_w - 10.0;
        l.block(
            right_x,
            right_w,
            10.5,
            true,
            Align::Center,
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        );
        l.block(
            right_x,
            right_w,
            10.5,
            true,
            Align::Center,
            "Độc lập - Tự do - Hạnh phúc",
        );
        l.y += 4.0;
        l.block(right_x, right_w, 10.5, false, Align::Center, place_date);
        l.y = l.y.max(left_end) + 18.0;
    }

    /// A centred line (or lines) across the column.
    pub fn centered(&mut self, size: f32, bold: bool, s: &str) {
        self.l
            .block(MARGIN, CONTENT, size, bold, Align::Center, &clean(s));
    }

    pub fn paragraph(&mut self, s: &str, bold: bool) {
        self.l.paragraph(&clean(s), bold);
    }

    pub fn gap(&mut self, h: f32) {
        self.l.y += h;
    }

    /// A table; `widths` in points, summing to at most [`CONTENT`].
    pub fn table(&mut self, widths: &[f32], header: &[&str], rows: &[Vec<String>]) {
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|c| clean(c)).collect())
            .collect();
        self.l.table(widths, header, &rows);
    }

    /// Two signature blocks side by side: `(text, bold)` lines on the
    /// left (e.g. the recipients) and, centred, on the right.
    pub fn signatures(&mut self, left: &[(&str, bool)], right: &[(&str, bool)]) {
        let l = &mut self.l;
        l.room(90.0);
        l.y += 10.0;
        let top = l.y;
        let left_w = 200.0;
        for (s, b) in left {
            l.block(MARGIN, left_w, 10.0, *b, Align::Left, &clean(s));
        }
        let left_end = l.y;
        l.y = top;
        let right_x = MARGIN + left_w + 10.0;
        let right_w = CONTENT - left_w - 10.0;
        for (s, b) in right {
            l.block(
                right_x,
                right_w,
                if *b { BODY } else { SMALL },
                *b,
                Align::Center,
                &clean(s),
            );
        }
        l.y = l.y.max(left_end);
    }

    /// The PDF, with "`footer` · Trang i/n" at the foot of each page.
    pub fn finish(mut self, footer: &str, title: &str) -> Result<Vec<u8>, String> {
        let total = self.l.pages.len();
        for i in 0..total {
            let s = format!("{footer} · Trang {}/{}", i + 1, total);
            let w = self.l.width(&s, false, 8.0);
            self.l.pages[i].push(Op::Text {
                x: (W - w) / 2.0,
                y: H - MARGIN / 2.0,
                size: 8.0,
                bold: false,
                text: s,
            });
        }
        draw(&self.l.pages, title)
    }
}

fn draw(pages: &[Vec<Op>], title: &str) -> Result<Vec<u8>, String> {
    let regular = Font::new(REGULAR.into(), 0).ok_or("cannot load the regular font")?;
    let bold = Font::new(BOLD.into(), 0).ok_or("cannot load the bold font")?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .language("vi".into())
            .creator("Motcua".into()),
    );
    let black = Fill {
        paint: rgb::Color::new(0, 0, 0).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    };
    for ops in pages {
        let settings = PageSettings::from_wh(W, H).ok_or("bad page size")?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold: b,
                    text,
                } => {
                    surface.set_fill(Some(black.clone()));
                    surface.set_stroke(None);
                    let font = if *b { bold.clone() } else { regular.clone() };
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        font,
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Line { x1, y1, x2, y2 } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x1, *y1);
                    pb.line_to(*x2, *y2);
                    if let Some(path) = pb.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            width: 0.6,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| format!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_out_a_letter_over_pages() {
        let mut d = Doc::new().unwrap();
        d.letterhead(
            &["CỔNG DỊCH VỤ CÔNG QUỐC GIA"],
            "Số: 1",
            "Hà Nội, ngày 06 tháng 12 năm 2026",
        );
        d.centered(14.0, true, "GIẤY TIẾP NHẬN");
        d.paragraph("Đoạn văn có dấu: Nguyễn Thị Hoa, phường Hoàn Kiếm.", false);
        let rows: Vec<Vec<String>> = (0..80)
            .map(|i| vec![i.to_string(), "Giấy tờ".repeat(8)])
            .collect();
        d.table(&[40.0, CONTENT - 40.0], &["STT", "Tên giấy tờ"], &rows);
        d.signatures(&[("Nơi nhận:", true)], &[("NGƯỜI TIẾP NHẬN", true)]);
        assert!(d.l.pages.len() > 1, "a long table breaks pages");
        let pdf = d.finish("HS-1", "Giấy tiếp nhận").unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        // Fonts are subset: far smaller than the two TTFs (1.4 MB).
        assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
    }
}
