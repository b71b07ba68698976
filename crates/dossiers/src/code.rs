//! Dossier codes. The format is configuration (R-PS-5): a template of
//! literal characters and placeholders — `{agency}` (the receiving
//! agency's national code), `{yymmdd}` / `{yyyymmdd}` (the local date of
//! receipt) and `{serialN}` (a serial of at least N digits, 4 ≤ N ≤ 8,
//! counted per everything else in the code). The default is the
//! nationwide format of Circular 03/2025 Art 13(3):
//! `MX1X2.Y1Y2Y3.Z1Z2-YYMMDD-AAXXXX`, i.e. `{agency}-{yymmdd}-{serial6}`.
//! A code is unique because its serial comes from one row per prefix
//! that every node updates in one statement.
use time::Date;

pub const DEFAULT_FORMAT: &str = "{agency}-{yymmdd}-{serial6}";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Agency,
    Date6,
    Date8,
    Serial(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    parts: Vec<Part>,
}

impl Default for Format {
    fn default() -> Self {
        // DEFAULT_FORMAT, spelled out (a test checks they agree).
        Format {
            parts: vec![
                Part::Agency,
                Part::Text("-".into()),
                Part::Date6,
                Part::Text("-".into()),
                Part::Serial(6),
            ],
        }
    }
}

impl Format {
    /// A template as described above: exactly one serial, the date, and
    /// literal characters among `A–Z 0–9 . - _ /`.
    pub fn parse(s: &str) -> Result<Format, String> {
        let mut parts = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let (name, tail) = after
                    .split_once('}')
                    .ok_or_else(|| format!("unclosed placeholder in '{s}'"))?;
                let part = match name {
                    "agency" => Part::Agency,
                    "yymmdd" => Part::Date6,
                    "yyyymmdd" => Part::Date8,
                    _ => match name.strip_prefix("serial").and_then(|n| n.parse::<usize>().ok()) {
                        Some(n) if (4..=8).contains(&n) => Part::Serial(n),
                        _ => return Err(format!("unknown placeholder {{{name}}}: use {{agency}}, {{yymmdd}}, {{yyyymmdd}} or {{serial4}}…{{serial8}}")),
                    },
                };
                parts.push(part);
                rest = tail;
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                let text = &rest[..end];
                if let Some(c) = text.chars().find(|c| {
                    !(c.is_ascii_uppercase() || c.is_ascii_digit() || ".-_/".contains(*c))
                }) {
                    return Err(format!("'{c}' cannot be in a dossier code"));
                }
                parts.push(Part::Text(text.to_string()));
                rest = &rest[end..];
            }
        }
        let serials = parts
            .iter()
            .filter(|p| matches!(p, Part::Serial(_)))
            .count();
        let dates = parts
            .iter()
            .filter(|p| matches!(p, Part::Date6 | Part::Date8))
            .count();
        if serials != 1 || dates != 1 {
            return Err("a dossier code needs exactly one {serialN} and one date".into());
        }
        Ok(Format { parts })
    }

    fn render_with(&self, agency: &str, date: Date, serial: Option<i64>) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Agency => out.push_str(agency),
                Part::Date6 => out.push_str(&format!(
                    "{:02}{:02}{:02}",
                    date.year().rem_euclid(100),
                    u8::from(date.month()),
                    date.day()
                )),
                Part::Date8 => out.push_str(&format!(
                    "{:04}{:02}{:02}",
                    date.year(),
                    u8::from(date.month()),
                    date.day()
                )),
                Part::Serial(n) => match serial {
                    Some(s) => out.push_str(&format!("{s:0width$}", width = *n)),
                    None => out.push('#'),
                },
            }
        }
        out
    }

    /// What the serial is counted per: the code with `#` for the serial.
    pub fn prefix(&self, agency: &str, date: Date) -> String {
        self.render_with(agency, date, None)
    }

    pub fn render(&self, agency: &str, date: Date, serial: i64) -> String {
        self.render_with(agency, date, Some(serial))
    }
}

/// A string that may be a dossier code (looked up, never trusted).
pub fn plausible(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_/".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_nationwide_format_by_default() {
        let f = Format::default();
        assert_eq!(Format::parse(DEFAULT_FORMAT), Ok(f.clone()));
        let d = date!(2026 - 12 - 06);
        assert_eq!(
            f.render("000.00.12.H56", d, 7),
            "000.00.12.H56-261206-000007"
        );
        assert_eq!(f.prefix("000.00.12.H56", d), "000.00.12.H56-261206-#");
        // A serial beyond its width widens rather than wrapping.
        assert_eq!(f.render("H56.14", d, 1_234_567), "H56.14-261206-1234567");
    }

    #[test]
    fn other_formats_and_bad_ones() {
        let f = Format::parse("HS-{yyyymmdd}-{agency}-{serial4}").unwrap();
        assert_eq!(
            f.render("G01", date!(2027 - 01 - 02), 12),
            "HS-20270102-G01-0012"
        );
        for bad in [
            "{agency}-{serial6}",
            "{agency}-{yymmdd}",
            "{agency}-{yymmdd}-{serial3}",
            "{agency}-{yymmdd}-{serial6}-{serial6}",
            "{agency}-{yymmdd}-{nope}",
            "{agency}-{yymmdd}-{serial6",
            "hs-{yymmdd}-{serial6}",
            "{agency} {yymmdd}{serial6}",
        ] {
            assert!(Format::parse(bad).is_err(), "{bad}");
        }
        assert!(plausible("000.00.12.H56-261206-000007"));
        assert!(!plausible("x y"));
        assert!(!plausible(""));
    }
}
