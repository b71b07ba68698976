//! The portal's own captcha (issue #4 §3: no outside service): five
//! characters drawn as SVG paths from the bundled DejaVu font, each
//! scaled, rotated and shifted at random, over noise curves. The answer is
//! stored hashed with the captcha's id and can be tried once.
use rand::RngExt;
use std::fmt::Write;

static FONT: &[u8] = include_bytes!("../../web/assets/fonts/DejaVuSans-Bold.ttf");

/// No 0/O, 1/I/L: characters people confuse.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const LEN: usize = 5;
pub const WIDTH: f32 = 220.0;
pub const HEIGHT: f32 = 72.0;

/// A fresh random answer.
pub fn new_answer() -> String {
    let mut rng = rand::rng();
    (0..LEN)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// What is stored: SHA-256 of the id and the normalised answer.
pub fn answer_hash(id: &str, answer: &str) -> String {
    let norm: String = answer
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(|c| c.to_uppercase())
        .collect();
    motcua_domain::token::sha256_hex(&format!("{id}\n{norm}"))
}

struct PathWriter<'a> {
    out: &'a mut String,
    /// font units → image: scale, rotation (cos, sin), origin.
    s: f32,
    cos: f32,
    sin: f32,
    ox: f32,
    oy: f32,
    /// Centre of the glyph box in font units (rotation pivot).
    cx: f32,
    cy: f32,
}

impl PathWriter<'_> {
    fn p(&self, x: f32, y: f32) -> (f32, f32) {
        let (dx, dy) = ((x - self.cx) * self.s, -(y - self.cy) * self.s);
        (
            self.ox + dx * self.cos - dy * self.sin,
            self.oy + dx * self.sin + dy * self.cos,
        )
    }
}

impl ttf_parser::OutlineBuilder for PathWriter<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        let (a, b) = self.p(x, y);
        let _ = write!(self.out, "M{a:.1} {b:.1}");
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let (a, b) = self.p(x, y);
        let _ = write!(self.out, "L{a:.1} {b:.1}");
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (a1, b1) = self.p(x1, y1);
        let (a, b) = self.p(x, y);
        let _ = write!(self.out, "Q{a1:.1} {b1:.1} {a:.1} {b:.1}");
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (a1, b1) = self.p(x1, y1);
        let (a2, b2) = self.p(x2, y2);
        let (a, b) = self.p(x, y);
        let _ = write!(self.out, "C{a1:.1} {b1:.1} {a2:.1} {b2:.1} {a:.1} {b:.1}");
    }
    fn close(&mut self) {
        self.out.push('Z');
    }
}

/// The SVG image of `answer`.
pub fn render_svg(answer: &str) -> String {
    let mut rng = rand::rng();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#f4f1ea\"/>"
    );
    // Noise under the text.
    for _ in 0..6 {
        let _ = write!(
            svg,
            "<path d=\"M{:.0} {:.0} C{:.0} {:.0} {:.0} {:.0} {:.0} {:.0}\" stroke=\"#{:02x}{:02x}{:02x}\" stroke-width=\"{:.1}\" fill=\"none\"/>",
            rng.random_range(0.0..30.0),
            rng.random_range(0.0..HEIGHT),
            rng.random_range(40.0..100.0),
            rng.random_range(0.0..HEIGHT),
            rng.random_range(120.0..180.0),
            rng.random_range(0.0..HEIGHT),
            rng.random_range(190.0..WIDTH),
            rng.random_range(0.0..HEIGHT),
            rng.random_range(90..180),
            rng.random_range(90..180),
            rng.random_range(90..180),
            rng.random_range(1.0..2.5),
        );
    }
    if let Ok(face) = ttf_parser::Face::parse(FONT, 0) {
        let upem = f32::from(face.units_per_em());
        let slot = (WIDTH - 20.0) / answer.chars().count().max(1) as f32;
        for (i, ch) in answer.chars().enumerate() {
            let Some(gid) = face.glyph_index(ch) else {
                continue;
            };
            let bbox = face.glyph_bounding_box(gid);
            let (cx, cy) = bbox
                .map(|b| {
                    (
                        (f32::from(b.x_min) + f32::from(b.x_max)) / 2.0,
                        (f32::from(b.y_min) + f32::from(b.y_max)) / 2.0,
                    )
                })
                .unwrap_or((upem / 3.0, upem / 3.0));
            let angle: f32 = rng.random_range(-0.45..0.45);
            let mut d = String::new();
            let mut w = PathWriter {
                out: &mut d,
                s: rng.random_range(38.0..48.0) / upem,
                cos: angle.cos(),
                sin: angle.sin(),
                ox: 10.0 + slot * (i as f32 + 0.5) + rng.random_range(-4.0..4.0),
                oy: HEIGHT / 2.0 + rng.random_range(-7.0..7.0),
                cx,
                cy,
            };
            face.outline_glyph(gid, &mut w);
            let _ = write!(
                svg,
                "<path d=\"{d}\" fill=\"#{:02x}{:02x}{:02x}\"/>",
                rng.random_range(20..90),
                rng.random_range(20..90),
                rng.random_range(60..120)
            );
        }
    }
    // Noise over the text.
    for _ in 0..3 {
        let _ = write!(
            svg,
            "<path d=\"M0 {:.0} Q{:.0} {:.0} {WIDTH} {:.0}\" stroke=\"#555\" stroke-width=\"1.2\" fill=\"none\"/>",
            rng.random_range(10.0..HEIGHT - 10.0),
            rng.random_range(60.0..160.0),
            rng.random_range(0.0..HEIGHT),
            rng.random_range(10.0..HEIGHT - 10.0),
        );
    }
    svg.push_str("</svg>");
    svg
}

// ------------------------------------------------------- issuing and checking

/// A captcha as a form shows it: the image, and for people who cannot see
/// it (WCAG 1.1.1) a question in words whose answer goes in the same box.
/// The question is easier for a program than the image; the rate limits
/// beside every captcha bound what either can be used for.
pub struct Issued {
    pub id: String,
    /// `data:` URL of the SVG image.
    pub src: String,
    /// The question, in the visitor's language.
    pub question: String,
    /// TESTS ONLY (`captcha_reveal_for_tests`): the image's answer.
    pub answer_for_tests: Option<String>,
}

const WORDS_VI: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];
const WORDS_EN: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// A question in words and its answer in digits.
pub fn new_question(locale: motcua_mail::Locale) -> (String, String) {
    let mut rng = rand::rng();
    let a = rng.random_range(1..10usize);
    let b = rng.random_range(1..10usize);
    let q = match locale {
        motcua_mail::Locale::Vi => format!(
            "{} cộng {} bằng bao nhiêu? Trả lời bằng chữ số.",
            WORDS_VI[a], WORDS_VI[b]
        ),
        motcua_mail::Locale::En => format!(
            "What is {} plus {}? Answer in digits.",
            WORDS_EN[a], WORDS_EN[b]
        ),
    };
    (q, (a + b).to_string())
}

/// Makes a captcha (image and question), valid 15 minutes, one try.
pub async fn issue(
    state: &crate::IdentityContext,
    locale: motcua_mail::Locale,
) -> Result<Issued, motcua_store::StoreError> {
    use base64::Engine;
    let now = state.now();
    let answer = new_answer();
    let id = motcua_domain::token::random_token();
    let (question, q_answer) = new_question(locale);
    let qid = format!("{id}.q");
    {
        let mut tx = state.store.begin().await?;
        let exp = now + 15 * motcua_domain::clock::MINUTE;
        crate::store::credentials::insert_captcha(
            &mut tx,
            &id,
            &answer_hash(&id, &answer),
            now,
            exp,
        )
        .await?;
        crate::store::credentials::insert_captcha(
            &mut tx,
            &qid,
            &answer_hash(&qid, &q_answer),
            now,
            exp,
        )
        .await?;
        tx.commit().await?;
    }
    let svg = render_svg(&answer);
    Ok(Issued {
        src: format!(
            "data:image/svg+xml;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(svg)
        ),
        id,
        question,
        answer_for_tests: state.identity.captcha_reveal.then_some(answer),
    })
}

/// Whether `answer` is the image's text or the question's answer. Both
/// are spent whatever the answer: one try per captcha.
pub async fn check(
    state: &crate::IdentityContext,
    id: &str,
    answer: &str,
) -> Result<bool, motcua_store::StoreError> {
    if id.is_empty() || id.len() > 100 || answer.len() > 50 {
        return Ok(false);
    }
    let now = state.now();
    let qid = format!("{id}.q");
    let mut tx = state.store.begin().await?;
    let image =
        crate::store::credentials::spend_captcha(&mut tx, id, &answer_hash(id, answer), now)
            .await?;
    let question =
        crate::store::credentials::spend_captcha(&mut tx, &qid, &answer_hash(&qid, answer), now)
            .await?;
    tx.commit().await?;
    Ok(image || question)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_hashes() {
        let a = new_answer();
        assert_eq!(a.len(), LEN);
        assert!(a.bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(answer_hash("id1", "ab c7k"), answer_hash("id1", "ABC7K"));
        assert_ne!(answer_hash("id1", "ABC7K"), answer_hash("id2", "ABC7K"));
    }

    #[test]
    fn svg_draws_every_character_without_text() {
        let svg = render_svg("AB7KX");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // Five glyph paths with fills, no <text> that would give the answer away.
        assert_eq!(
            svg.matches("fill=\"#").count(),
            1 + 5,
            "background + 5 glyphs"
        );
        assert!(!svg.contains("<text") && !svg.contains("AB7KX"));
        assert_ne!(render_svg("AB7KX"), svg, "random each time");
    }
}
