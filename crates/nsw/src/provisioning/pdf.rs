//! The written notice of a provisioning result (R-ID-7, R-ID-8) as a PDF
//! in Vietnamese: A4, DejaVu Sans embedded (subset, with a ToUnicode map
//! so the text can be searched and copied), laid out as an administrative
//! letter with two tables. Pure Rust (krilla); the fonts are in the binary.
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::Document;
use unicode_normalization::UnicodeNormalization;

static REGULAR: &[u8] = include_bytes!("../../../web/assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../../web/assets/fonts/DejaVuSans-Bold.ttf");

pub struct Granted {
    pub full_name: String,
    pub job_title: String,
    pub work_unit: String,
    pub username: String,
    pub password: String,
}

pub struct Refused {
    pub full_name: String,
    pub job_title: String,
    pub work_unit: String,
    pub reason: String,
}

/// Everything the notice says.
pub struct Notice {
    pub reference: String,
    pub ministry: String,
    /// The legal basis, in Vietnamese.
    pub legal_basis: String,
    /// Date of receipt of the request, `dd/mm/yyyy`.
    pub received: String,
    /// Date of the notice: (day, month, year).
    pub date: (u8, u8, i32),
    /// When the initial passwords stop working, `dd/mm/yyyy hh:mm`.
    pub expires: String,
    pub granted: Vec<Granted>,
    pub refused: Vec<Refused>,
}

const W: f32 = 595.28;
const H: f32 = 841.89;
const MARGIN: f32 = 56.7;
const BODY: f32 = 11.0;
const SMALL: f32 = 9.0;

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

struct Layout<'a> {
    regular: ttf_parser::Face<'a>,
    bold: ttf_parser::Face<'a>,
    pages: Vec<Vec<Op>>,
    /// Top of the free space on the current page.
    y: f32,
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Center,
}

impl<'a> Layout<'a> {
    fn width(&self, s: &str, bold: bool, size: f32) -> f32 {
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
    fn wrap(&self, s: &str, bold: bool, size: f32, max: f32) -> Vec<String> {
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

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Makes room for `h` points, starting a page if needed.
    fn room(&mut self, h: f32) {
        if self.y + h > H - MARGIN - 14.0 {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        self.page().push(Op::Text {
            x,
            y,
            size,
            bold,
            text: text.to_string(),
        });
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32) {
        self.page().push(Op::Line { x1, y1, x2, y2 });
    }

    /// Lines of text in a box `[x, x + w]` from the current `y`.
    fn block(&mut self, x: f32, w: f32, size: f32, bold: bool, align: Align, s: &str) {
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

    fn paragraph(&mut self, s: &str, bold: bool) {
        self.block(MARGIN, W - 2.0 * MARGIN, BODY, bold, Align::Left, s);
        self.y += 4.0;
    }

    /// A table with a bold header row repeated on each page.
    fn table(&mut self, widths: &[f32], header: &[&str], rows: &[Vec<String>]) {
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
fn clean(s: &str) -> String {
    s.nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders the notice.
pub fn render(n: &Notice) -> Result<Vec<u8>, String> {
    let regular = ttf_parser::Face::parse(REGULAR, 0).map_err(|e| e.to_string())?;
    let bold = ttf_parser::Face::parse(BOLD, 0).map_err(|e| e.to_string())?;
    let mut l = Layout {
        regular,
        bold,
        pages: vec![Vec::new()],
        y: MARGIN,
    };
    let content = W - 2.0 * MARGIN;
    let ministry = clean(&n.ministry);

    // Letterhead: the issuer on the left, the national motto on the right.
    let top = l.y;
    let left_w = 200.0;
    l.block(
        MARGIN,
        left_w,
        10.5,
        true,
        Align::Center,
        "ĐƠN VỊ QUẢN LÝ CỔNG",
    );
    l.block(
        MARGIN,
        left_w,
        10.5,
        false,
        Align::Center,
        &format!("Số: {}", n.reference),
    );
    let left_end = l.y;
    l.y = top;
    let right_x = MARGIN + left_w + 10.0;
    let right_w = content - left_w - 10.0;
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
    let (d, m, y) = n.date;
    l.y += 4.0;
    l.block(
        right_x,
        right_w,
        10.5,
        false,
        Align::Center,
        &format!("Hà Nội, ngày {d:02} tháng {m:02} năm {y}"),
    );
    l.y = l.y.max(left_end) + 18.0;

    l.block(MARGIN, content, 14.0, true, Align::Center, "THÔNG BÁO");
    l.block(
        MARGIN,
        content,
        12.0,
        true,
        Align::Center,
        "Kết quả cấp tài khoản cán bộ, công chức trên Cổng",
    );
    l.y += 6.0;
    l.block(
        MARGIN,
        content,
        BODY,
        false,
        Align::Center,
        &format!("Kính gửi: {ministry}"),
    );
    l.y += 10.0;

    l.paragraph(
        &format!(
            "Căn cứ {}; xét đề nghị cấp tài khoản của {ministry} (mã yêu cầu {}, tiếp nhận ngày {}), \
             Đơn vị quản lý Cổng thông báo kết quả như sau:",
            clean(&n.legal_basis),
            n.reference,
            n.received
        ),
        false,
    );

    l.paragraph(
        &format!("1. Tài khoản được cấp: {} người.", n.granted.len()),
        true,
    );
    if n.granted.is_empty() {
        l.paragraph("Không có.", false);
    } else {
        let rows: Vec<Vec<String>> = n
            .granted
            .iter()
            .enumerate()
            .map(|(i, g)| {
                vec![
                    (i + 1).to_string(),
                    clean(&g.full_name),
                    format!("{}, {}", clean(&g.job_title), clean(&g.work_unit)),
                    g.username.clone(),
                    g.password.clone(),
                ]
            })
            .collect();
        l.table(
            &[28.0, 112.0, 140.0, 106.0, content - 386.0],
            &[
                "STT",
                "Họ và tên",
                "Chức danh, đơn vị công tác",
                "Tên đăng nhập",
                "Mật khẩu ban đầu",
            ],
            &rows,
        );
    }

    l.paragraph(
        &format!(
            "2. Đề nghị không được chấp thuận: {} người.",
            n.refused.len()
        ),
        true,
    );
    if n.refused.is_empty() {
        l.paragraph("Không có.", false);
    } else {
        let rows: Vec<Vec<String>> = n
            .refused
            .iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    (i + 1).to_string(),
                    clean(&r.full_name),
                    format!("{}, {}", clean(&r.job_title), clean(&r.work_unit)),
                    clean(&r.reason),
                ]
            })
            .collect();
        l.table(
            &[28.0, 112.0, 140.0, content - 280.0],
            &["STT", "Họ và tên", "Chức danh, đơn vị công tác", "Lý do"],
            &rows,
        );
    }

    if !n.granted.is_empty() {
        l.paragraph(
            &format!(
                "Mật khẩu ban đầu chỉ dùng cho lần đăng nhập đầu tiên: người được cấp phải đổi mật khẩu \
                 ngay khi đăng nhập; mật khẩu ban đầu hết hiệu lực sau {}. Đề nghị {ministry} giao tên \
                 đăng nhập và mật khẩu ban đầu trực tiếp cho từng người được cấp và giữ bí mật văn bản này.",
                n.expires
            ),
            false,
        );
    }

    // Recipients on the left, the issuer's signature block on the right.
    l.room(90.0);
    l.y += 10.0;
    let top = l.y;
    l.block(MARGIN, left_w, 10.0, true, Align::Left, "Nơi nhận:");
    l.block(
        MARGIN,
        left_w,
        10.0,
        false,
        Align::Left,
        &format!("- {ministry};"),
    );
    l.block(
        MARGIN,
        left_w,
        10.0,
        false,
        Align::Left,
        "- Lưu: Đơn vị quản lý Cổng.",
    );
    let left_end = l.y;
    l.y = top;
    l.block(
        right_x,
        right_w,
        BODY,
        true,
        Align::Center,
        "ĐƠN VỊ QUẢN LÝ CỔNG",
    );
    l.block(
        right_x,
        right_w,
        SMALL,
        false,
        Align::Center,
        &format!(
            "(Văn bản điện tử; tra cứu theo mã {} trên Cổng)",
            n.reference
        ),
    );
    l.y = l.y.max(left_end);

    // Page footers need the page count.
    let total = l.pages.len();
    for i in 0..total {
        let s = format!("{} · Trang {}/{}", n.reference, i + 1, total);
        let w = l.width(&s, false, 8.0);
        l.pages[i].push(Op::Text {
            x: (W - w) / 2.0,
            y: H - MARGIN / 2.0,
            size: 8.0,
            bold: false,
            text: s,
        });
    }
    draw(&l.pages, &n.reference)
}

fn draw(pages: &[Vec<Op>], reference: &str) -> Result<Vec<u8>, String> {
    let regular = Font::new(REGULAR.into(), 0).ok_or("cannot load the regular font")?;
    let bold = Font::new(BOLD.into(), 0).ok_or("cannot load the bold font")?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("Thông báo kết quả cấp tài khoản {reference}"))
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

    fn sample(n: usize) -> Notice {
        Notice {
            reference: "CT-2026-000001".into(),
            ministry: "Bộ Công Thương".into(),
            legal_basis: "Nghị định số 85/2019/NĐ-CP".into(),
            received: "23/11/2026".into(),
            date: (26, 11, 2026),
            expires: "03/12/2026 17:00".into(),
            granted: (0..n)
                .map(|i| Granted {
                    full_name: format!("Nguyễn Văn Ân {i}"),
                    job_title: "Chuyên viên chính".into(),
                    work_unit: "Cục Xuất nhập khẩu".into(),
                    username: format!("annv{i}.bct"),
                    password: "abcde-fghij-kmnp".into(),
                })
                .collect(),
            refused: vec![Refused {
                full_name: "Trần Thị Bình".into(),
                job_title: "Chuyên viên".into(),
                work_unit: "Vụ Kế hoạch".into(),
                reason: "Không thuộc biên chế của đơn vị".into(),
            }],
        }
    }

    #[test]
    fn renders_a_pdf() {
        let pdf = render(&sample(2)).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        // To look at it: MOTCUA_NOTICE_SAMPLE=/tmp/notice.pdf cargo test …
        if let Ok(path) = std::env::var("MOTCUA_NOTICE_SAMPLE") {
            std::fs::write(path, &pdf).unwrap();
        }
        // Fonts are subset: far smaller than the two TTFs (1.4 MB).
        assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
    }

    #[test]
    fn long_lists_break_pages() {
        let pdf = render(&sample(80)).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }
}
