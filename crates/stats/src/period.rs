//! Reporting periods (PUBLIC-SERVICES §8): a month, a quarter, six months
//! or a year, as Vietnam calendar months `[from, to)` (`year * 12 +
//! month - 1`, the handling summary's months). Written `2026-11`,
//! `2026-Q4`, `2026-H2`, `2026`.
use motcua_domain::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Month,
    Quarter,
    Half,
    Year,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "month" => Some(Kind::Month),
            "quarter" => Some(Kind::Quarter),
            "half" => Some(Kind::Half),
            "year" => Some(Kind::Year),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Month => "month",
            Kind::Quarter => "quarter",
            Kind::Half => "half",
            Kind::Year => "year",
        }
    }

    fn months(self) -> i64 {
        match self {
            Kind::Month => 1,
            Kind::Quarter => 3,
            Kind::Half => 6,
            Kind::Year => 12,
        }
    }
}

/// A period: the `n`th month, quarter or half of `year` (1-based; 1 for
/// a year).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: Kind,
    pub year: i64,
    pub n: i64,
}

/// The years a period may fall in.
pub const YEARS: std::ops::RangeInclusive<i64> = 2000..=2100;

impl Period {
    /// `2026`, `2026-11`, `2026-Q4` / `2026-q4`, `2026-H2`; None otherwise.
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        let (y, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i64 = y.parse().ok()?;
        if !YEARS.contains(&year) {
            return None;
        }
        let num = |t: &str, max: i64| -> Option<i64> {
            if t.is_empty() || t.len() > 2 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            t.parse().ok().filter(|n| (1..=max).contains(n))
        };
        let (kind, n) = match rest {
            None => (Kind::Year, 1),
            Some(r) => match r.as_bytes().first() {
                Some(b'Q' | b'q') => (Kind::Quarter, num(&r[1..], 4)?),
                Some(b'H' | b'h') => (Kind::Half, num(&r[1..], 2)?),
                _ => (Kind::Month, num(r, 12)?),
            },
        };
        Some(Period { kind, year, n })
    }

    /// The period of `kind` holding `at` (Vietnam time).
    pub fn holding(kind: Kind, at: Millis) -> Period {
        let m = motcua_handling::queries::vn_month(at);
        let (year, month0) = (m.div_euclid(12), m.rem_euclid(12));
        Period {
            kind,
            year,
            n: month0 / kind.months() + 1,
        }
    }

    /// The months `[from, to)`.
    pub fn months(&self) -> (i64, i64) {
        let from = self.year * 12 + (self.n - 1) * self.kind.months();
        (from, from + self.kind.months())
    }

    /// When it starts and ends (Vietnam midnight).
    pub fn span(&self) -> (Millis, Millis) {
        let (a, b) = self.months();
        (
            motcua_handling::queries::month_start(a),
            motcua_handling::queries::month_start(b),
        )
    }

    /// The period before (same kind).
    pub fn previous(&self) -> Period {
        let per_year = 12 / self.kind.months();
        if self.n > 1 {
            Period {
                n: self.n - 1,
                ..*self
            }
        } else {
            Period {
                year: self.year - 1,
                n: per_year,
                ..*self
            }
        }
    }

    /// The period after (same kind).
    pub fn next(&self) -> Period {
        let per_year = 12 / self.kind.months();
        if self.n < per_year {
            Period {
                n: self.n + 1,
                ..*self
            }
        } else {
            Period {
                year: self.year + 1,
                n: 1,
                ..*self
            }
        }
    }

    /// As written in URLs.
    pub fn code(&self) -> String {
        match self.kind {
            Kind::Year => format!("{}", self.year),
            Kind::Month => format!("{}-{:02}", self.year, self.n),
            Kind::Quarter => format!("{}-Q{}", self.year, self.n),
            Kind::Half => format!("{}-H{}", self.year, self.n),
        }
    }

    /// For people (`vi`: "Quý 4/2026"; `en`: "Q4 2026").
    pub fn label(&self, vi: bool) -> String {
        match (self.kind, vi) {
            (Kind::Year, true) => format!("Năm {}", self.year),
            (Kind::Year, false) => format!("Year {}", self.year),
            (Kind::Month, true) => format!("Tháng {}/{}", self.n, self.year),
            (Kind::Month, false) => format!("{}/{}", self.n, self.year),
            (Kind::Quarter, true) => format!("Quý {}/{}", self.n, self.year),
            (Kind::Quarter, false) => format!("Q{} {}", self.n, self.year),
            (Kind::Half, true) if self.n == 1 => format!("6 tháng đầu năm {}", self.year),
            (Kind::Half, true) => format!("6 tháng cuối năm {}", self.year),
            (Kind::Half, false) => format!("H{} {}", self.n, self.year),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_span_their_months() {
        let q = Period::parse("2026-Q4").unwrap();
        assert_eq!(q.months(), (2026 * 12 + 9, 2027 * 12));
        assert_eq!(q.code(), "2026-Q4");
        assert_eq!(
            Period::parse("2026-h1").unwrap().months(),
            (2026 * 12, 2026 * 12 + 6)
        );
        assert_eq!(
            Period::parse("2026-02").unwrap().months(),
            (2026 * 12 + 1, 2026 * 12 + 2)
        );
        assert_eq!(
            Period::parse("2026").unwrap().months(),
            (2026 * 12, 2027 * 12)
        );
        for bad in [
            "", "26", "2026-13", "2026-Q5", "2026-H3", "2026-0", "1999", "2026-Q", "abcd",
            "2026-1x", "2026--1", "٢٠٢٦",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        // 2026-01-01 00:00 in Hanoi is 2025-12-31 17:00 UTC.
        let (start, _) = Period::parse("2026").unwrap().span();
        assert_eq!(start, 1_767_200_400_000);
        assert_eq!(Period::holding(Kind::Quarter, start).code(), "2026-Q1");
        assert_eq!(Period::holding(Kind::Quarter, start - 1).code(), "2025-Q4");
        assert_eq!(q.next().code(), "2027-Q1");
        assert_eq!(q.next().previous(), q);
        assert_eq!(
            Period::parse("2026-01").unwrap().previous().code(),
            "2025-12"
        );
    }
}
