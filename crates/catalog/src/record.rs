//! The national procedure record (R-PS-1): one administrative procedure in
//! the exchange format of the national database of administrative
//! procedures, whose keys are upper-case Vietnamese (`MaTTHC`, `TENTTHC`,
//! …; see `docs/CATALOG.md`). The catalog stores each version of a record
//! as received and exports it unchanged, so export → import round-trips
//! (keys this model does not know included).
//!
//! Our own additions use keys of the same style: `MUCDODVC` (online level
//! of Decree 42/2022 Art. 11), `MUCDODANGNHAP` (the assurance level a
//! submission needs), `SUKIENDOISONG` (life events).
use serde::{Deserialize, Serialize};

/// A level of government that carries out a procedure (the 2025 two-level
/// local government: no district level).
pub const LEVELS: &[&str] = &["central", "province", "commune"];

/// Who may apply.
pub const APPLICANTS: &[&str] = &["citizen", "business", "organization", "foreigner"];

/// How a dossier reaches the agency: 1 in person, 2 online, 3 by public
/// postal service.
pub const CHANNELS: &[i64] = &[1, 2, 3];

/// The units of a processing time.
pub const TIME_UNITS: &[&str] = &["working_day", "day", "working_hour", "month"];

/// Online service levels (Decree 42/2022 Art. 11).
pub const ONLINE_LEVELS: &[&str] = &["full", "partial", "none"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    #[serde(rename = "MALINHVUC")]
    pub code: String,
    #[serde(rename = "TENLINHVUC")]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The case (`TRUONGHOP`) the steps are for; empty for every case.
    #[serde(rename = "TRUONGHOP", default)]
    pub case: String,
    #[serde(rename = "TRINHTU")]
    pub steps: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fee {
    /// In đồng; 0 for none.
    #[serde(rename = "SOTIEN")]
    pub amount: i64,
    #[serde(rename = "DONVI", default = "dong")]
    pub unit: String,
    #[serde(rename = "MOTA", default)]
    pub description: String,
}

fn dong() -> String {
    "VND".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Time {
    /// How long the agency has, in `unit`s.
    #[serde(rename = "THOIGIANGIAIQUYET")]
    pub amount: f64,
    #[serde(rename = "DONVITINH")]
    pub unit: String,
    #[serde(rename = "PHILEPHI", default)]
    pub fees: Vec<Fee>,
    #[serde(rename = "MOTA", default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// 1 in person, 2 online, 3 public postal service.
    #[serde(rename = "KENH")]
    pub channel: i64,
    #[serde(rename = "THOIGIAN")]
    pub times: Vec<Time>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    #[serde(rename = "MAGIAYTO", default)]
    pub code: String,
    #[serde(rename = "TENGIAYTO")]
    pub name: String,
    /// The template form's name, if the component has one.
    #[serde(rename = "TENMAUDON", default)]
    pub template: String,
    #[serde(rename = "URL", default)]
    pub url: String,
    #[serde(rename = "SOBANCHINH", default)]
    pub originals: i64,
    #[serde(rename = "SOBANSAO", default)]
    pub copies: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Components {
    #[serde(rename = "TRUONGHOP", default)]
    pub case: String,
    #[serde(rename = "GIAYTO")]
    pub documents: Vec<Document>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    #[serde(rename = "MAKETQUA", default)]
    pub code: String,
    #[serde(rename = "TENKETQUA")]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegalText {
    #[serde(rename = "SOVANBAN")]
    pub number: String,
    #[serde(rename = "TENVANBAN", default)]
    pub title: String,
    #[serde(rename = "COQUANBANHANH", default)]
    pub issuer: String,
    /// `YYYY-MM-DD` or `DD/MM/YYYY`, as published.
    #[serde(rename = "NGAYBANHANH", default)]
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgencyRef {
    #[serde(rename = "MADONVI")]
    pub code: String,
    #[serde(rename = "TENDONVI", default)]
    pub name: String,
}

/// One procedure as the national record carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Procedure {
    /// National code, e.g. `1.001612`; a local variant adds the province's
    /// suffix (`2.002621.H56`).
    #[serde(rename = "MaTTHC")]
    pub code: String,
    #[serde(rename = "TENTTHC")]
    pub name: String,
    #[serde(rename = "MOTA", default)]
    pub description: String,
    /// The decision that published it.
    #[serde(rename = "QUYETDINH", default)]
    pub decision: String,
    #[serde(rename = "CAPTHUCHIEN")]
    pub levels: Vec<String>,
    #[serde(rename = "LINHVUCTHUCHIEN")]
    pub fields: Vec<Field>,
    #[serde(rename = "DOITUONGTHUCHIEN")]
    pub applicants: Vec<String>,
    #[serde(rename = "TRINHTUTHUCHIEN", default)]
    pub steps: Vec<Step>,
    #[serde(rename = "CACHTHUCTHUCHIEN")]
    pub channels: Vec<Channel>,
    #[serde(rename = "THANHPHANHOSO", default)]
    pub components: Vec<Components>,
    #[serde(rename = "YEUCAU", default)]
    pub requirements: String,
    #[serde(rename = "KETQUATHUCHIEN", default)]
    pub results: Vec<Outcome>,
    #[serde(rename = "CANCUPHAPLY", default)]
    pub legal_basis: Vec<LegalText>,
    #[serde(rename = "COQUANTHUCHIEN")]
    pub implementing: Vec<AgencyRef>,
    #[serde(rename = "COQUANCOTHAMQUYEN", default)]
    pub competent: Vec<AgencyRef>,
    #[serde(rename = "COQUANPHOIHOP", default)]
    pub cooperating: Vec<AgencyRef>,
    /// Codes of related procedures.
    #[serde(rename = "TTHCLIENQUAN", default)]
    pub related: Vec<String>,
    /// `full`, `partial` or `none` (Decree 42/2022 Art. 11).
    #[serde(rename = "MUCDODVC")]
    pub online_level: String,
    /// The assurance level a submission needs (1–4; R-ID-13).
    #[serde(rename = "MUCDODANGNHAP", default = "level_two")]
    pub assurance: i64,
    /// Codes of the life events it belongs to.
    #[serde(rename = "SUKIENDOISONG", default)]
    pub life_events: Vec<String>,
}

fn level_two() -> i64 {
    2
}

/// What is wrong with a record: where (a JSON path such as
/// `CACHTHUCTHUCHIEN[0].KENH`) and the i18n key of the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    pub key: &'static str,
}

fn problem(path: impl Into<String>, key: &'static str) -> Problem {
    Problem {
        path: path.into(),
        key,
    }
}

/// Whether `code` is a national procedure code: `D.DDDDDD` with an
/// optional local suffix of letters and digits (`.H56`, `.000.00.01.H22`
/// style parts).
pub fn is_code(code: &str) -> bool {
    let mut parts = code.split('.');
    let (Some(a), Some(b)) = (parts.next(), parts.next()) else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    code.len() <= 40
        && digits(a, 1)
        && digits(b, 6)
        && parts
            .all(|p| !p.is_empty() && p.len() <= 10 && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Whether an agency code of the national list (`000.00.01.H22`, `H56.14`,
/// `G01`) is well formed: dot-separated parts of letters and digits.
pub fn is_agency_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 40
        && code
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A short code of our own making (fields, life events): letters,
/// digits, `-`, `_` and `.`, at most 40, safe in a link as it is.
pub fn is_short_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 40
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl Procedure {
    /// Everything wrong with the record, each with its path; empty when
    /// it may be stored.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if !is_code(&self.code) {
            out.push(problem("MaTTHC", "catalog.error_code"));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 500 {
            out.push(problem("TENTTHC", "catalog.error_name"));
        }
        if self.levels.is_empty() {
            out.push(problem("CAPTHUCHIEN", "catalog.error_required"));
        }
        for (i, l) in self.levels.iter().enumerate() {
            if !LEVELS.contains(&l.as_str()) {
                out.push(problem(format!("CAPTHUCHIEN[{i}]"), "catalog.error_level"));
            }
        }
        if self.fields.is_empty() {
            out.push(problem("LINHVUCTHUCHIEN", "catalog.error_required"));
        }
        for (i, f) in self.fields.iter().enumerate() {
            if !is_short_code(&f.code) || f.name.trim().is_empty() {
                out.push(problem(
                    format!("LINHVUCTHUCHIEN[{i}]"),
                    "catalog.error_field",
                ));
            }
        }
        if self.applicants.is_empty() {
            out.push(problem("DOITUONGTHUCHIEN", "catalog.error_required"));
        }
        for (i, a) in self.applicants.iter().enumerate() {
            if !APPLICANTS.contains(&a.as_str()) {
                out.push(problem(
                    format!("DOITUONGTHUCHIEN[{i}]"),
                    "catalog.error_applicant",
                ));
            }
        }
        if self.channels.is_empty() {
            out.push(problem("CACHTHUCTHUCHIEN", "catalog.error_required"));
        }
        for (i, c) in self.channels.iter().enumerate() {
            let at = format!("CACHTHUCTHUCHIEN[{i}]");
            if !CHANNELS.contains(&c.channel) {
                out.push(problem(format!("{at}.KENH"), "catalog.error_channel"));
            }
            if self.channels[..i].iter().any(|o| o.channel == c.channel) {
                out.push(problem(format!("{at}.KENH"), "catalog.error_channel_twice"));
            }
            if c.times.is_empty() {
                out.push(problem(format!("{at}.THOIGIAN"), "catalog.error_required"));
            }
            for (j, t) in c.times.iter().enumerate() {
                let at = format!("{at}.THOIGIAN[{j}]");
                if !(t.amount.is_finite() && t.amount >= 0.0 && t.amount <= 3650.0) {
                    out.push(problem(
                        format!("{at}.THOIGIANGIAIQUYET"),
                        "catalog.error_time",
                    ));
                }
                if !TIME_UNITS.contains(&t.unit.as_str()) {
                    out.push(problem(
                        format!("{at}.DONVITINH"),
                        "catalog.error_time_unit",
                    ));
                }
                for (k, f) in t.fees.iter().enumerate() {
                    if !(0..=1_000_000_000_000).contains(&f.amount) {
                        out.push(problem(
                            format!("{at}.PHILEPHI[{k}].SOTIEN"),
                            "catalog.error_fee",
                        ));
                    }
                }
            }
        }
        for (i, c) in self.components.iter().enumerate() {
            for (j, d) in c.documents.iter().enumerate() {
                let at = format!("THANHPHANHOSO[{i}].GIAYTO[{j}]");
                if d.name.trim().is_empty() {
                    out.push(problem(format!("{at}.TENGIAYTO"), "catalog.error_required"));
                }
                if !(0..=100).contains(&d.originals) || !(0..=100).contains(&d.copies) {
                    out.push(problem(format!("{at}.SOBANCHINH"), "catalog.error_count"));
                }
                if !d.url.is_empty() && !is_web_url(&d.url) {
                    out.push(problem(format!("{at}.URL"), "catalog.error_url"));
                }
            }
        }
        if self.implementing.is_empty() {
            out.push(problem("COQUANTHUCHIEN", "catalog.error_required"));
        }
        for (key, list) in [
            ("COQUANTHUCHIEN", &self.implementing),
            ("COQUANCOTHAMQUYEN", &self.competent),
            ("COQUANPHOIHOP", &self.cooperating),
        ] {
            for (i, a) in list.iter().enumerate() {
                if !is_agency_code(&a.code) {
                    out.push(problem(
                        format!("{key}[{i}].MADONVI"),
                        "catalog.error_agency_code",
                    ));
                }
            }
        }
        for (i, r) in self.related.iter().enumerate() {
            if !is_code(r) || *r == self.code {
                out.push(problem(
                    format!("TTHCLIENQUAN[{i}]"),
                    "catalog.error_related",
                ));
            }
        }
        for (i, e) in self.life_events.iter().enumerate() {
            if !is_short_code(e) {
                out.push(problem(
                    format!("SUKIENDOISONG[{i}]"),
                    "catalog.error_life_event",
                ));
            }
        }
        if !ONLINE_LEVELS.contains(&self.online_level.as_str()) {
            out.push(problem("MUCDODVC", "catalog.error_online_level"));
        }
        if !(1..=4).contains(&self.assurance) {
            out.push(problem("MUCDODANGNHAP", "catalog.error_assurance"));
        }
        out
    }

    /// The online channel's processing time, if the procedure is online.
    pub fn online_time(&self) -> Option<&Time> {
        self.channels
            .iter()
            .find(|c| c.channel == 2)
            .and_then(|c| c.times.first())
    }
}

/// An absolute http(s) URL with a host, parsed as browsers do (WHATWG).
fn is_web_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        for ok in [
            "1.001612",
            "2.000720",
            "2.002621.H56",
            "1.000001.000.00.01.H22",
        ] {
            assert!(is_code(ok), "{ok}");
        }
        for bad in [
            "",
            "1.00161",
            "12.001612",
            "1.0016123",
            "x.001612",
            "1.001612.",
            "1.001612.H-5",
            "1.001612..H5",
        ] {
            assert!(!is_code(bad), "{bad}");
        }
        assert!(
            !is_code(&format!("1.001612{}", ".H1234".repeat(7))),
            "too long"
        );
        for ok in ["HT", "G01-HT", "birth", "x.y_z"] {
            assert!(is_short_code(ok), "{ok}");
        }
        for bad in ["", "a b", "a&b", "a#b", "a%b", "đ", &"a".repeat(41)] {
            assert!(!is_short_code(bad), "{bad}");
        }
        for ok in ["000.00.01.H22", "H56.14", "G01"] {
            assert!(is_agency_code(ok), "{ok}");
        }
        for bad in ["", ".H22", "H22.", "H 22", "H22/1"] {
            assert!(!is_agency_code(bad), "{bad}");
        }
    }
}
