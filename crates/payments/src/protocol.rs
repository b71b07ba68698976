//! The messages of the national payment platform as Motcua maps them
//! (PUBLIC-SERVICES §5; docs/PAYMENTS.md "Protocol"). The seeds name the
//! flow and the fields, not the wire format: this module is the one place
//! that knows our mapping, so a real partner's format replaces it alone.
//!
//! **Signature.** The signed values of a message, in the order of its
//! `signed_fields`, each normalised to NFC and percent-encoded as UTF-8
//! (RFC 3986 unreserved characters kept, so a `|` inside a value cannot
//! shift the fields), joined with `|`; then
//! `signature = hex_lower(SHA-256(canonical ‖ "|" ‖ secret))`. Signatures
//! are compared in constant time ([`verify`]); during a key rollover the
//! previous secret is accepted too.
//!
//! Every message travels as a JSON object over HTTPS POST; money is an
//! integer number of đồng; times are `yyyyMMddHHmmss` in Vietnam time.
use motcua_domain::Millis;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use unicode_normalization::UnicodeNormalization;

/// The protocol version this module speaks.
pub const VERSION: &str = "2.1.0";
/// The only currency the platform takes.
pub const CURRENCY: &str = "VND";

/// Result codes (`result_code` and `code`).
pub mod codes {
    pub const SUCCESS: &str = "00";
    /// The platform does not know yet (the bank has not answered).
    pub const PENDING: &str = "01";
    pub const FAILED: &str = "02";
    pub const CANCELLED: &str = "03";
    pub const AMOUNT_MISMATCH: &str = "04";
    pub const UNKNOWN_REFERENCE: &str = "09";
    pub const BAD_SIGNATURE: &str = "97";
    /// The reference was used before with other fields.
    pub const REFERENCE_REUSED: &str = "98";
    pub const ERROR: &str = "99";
}

/// What a result code says about the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Paid,
    /// Not known yet: ask again later.
    Pending,
    /// Final: nothing was paid (failed, cancelled by the payer).
    NotPaid,
    /// The platform does not know the reference.
    Unknown,
}

pub fn outcome(result_code: &str) -> Outcome {
    match result_code {
        codes::SUCCESS => Outcome::Paid,
        codes::PENDING => Outcome::Pending,
        codes::FAILED | codes::CANCELLED | codes::AMOUNT_MISMATCH => Outcome::NotPaid,
        codes::UNKNOWN_REFERENCE => Outcome::Unknown,
        // An error or a refusal of our request tells nothing of the money.
        _ => Outcome::Pending,
    }
}

/// RFC 3986 unreserved characters stay as they are; everything else is
/// percent-encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The canonical string of signed values.
pub fn canonical(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| {
            let nfc: String = v.nfc().collect();
            utf8_percent_encode(&nfc, ENCODE).to_string()
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// The signature of `values` under `secret`.
pub fn sign(values: &[&str], secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(canonical(values).as_bytes());
    h.update(b"|");
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}

/// Whether `signature` signs `values` under one of `secrets`, compared in
/// constant time (every secret is tried, whatever the first gives).
pub fn verify(values: &[&str], signature: &str, secrets: &[&str]) -> bool {
    let given = signature.trim().to_ascii_lowercase();
    let mut ok = subtle::Choice::from(0u8);
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        let want = sign(values, s);
        ok |= want.as_bytes().ct_eq(given.as_bytes());
    }
    bool::from(ok)
}

/// A message with a signature over some of its fields.
pub trait Signed {
    /// The signed values, in order.
    fn signed_values(&self) -> Vec<String>;
    fn signature(&self) -> &str;
    fn set_signature(&mut self, s: String);

    fn sign_with(&mut self, secret: &str) {
        let v = self.signed_values();
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        self.set_signature(sign(&refs, secret));
    }

    fn verify_with(&self, secrets: &[&str]) -> bool {
        let v = self.signed_values();
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        verify(&refs, self.signature(), secrets)
    }
}

macro_rules! signed {
    ($t:ty, |$m:ident| $values:expr) => {
        impl Signed for $t {
            fn signed_values(&self) -> Vec<String> {
                let $m = self;
                $values
            }
            fn signature(&self) -> &str {
                &self.signature
            }
            fn set_signature(&mut self, s: String) {
                self.signature = s;
            }
        }
    };
}

/// A line of the receipt the platform issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    /// `phi` (a fee) or `le_phi` (a charge): they get separate receipts.
    pub kind: String,
    pub code: String,
    pub name: String,
    pub amount: i64,
}

/// What the receipts say (sent with INIT, signed as canonical JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub procedure: String,
    pub agency: String,
    pub dossier_code: String,
    pub payer: String,
    pub lines: Vec<ReceiptLine>,
}

impl Receipt {
    /// Canonical JSON: keys sorted (serde_json's map is ordered), no
    /// spaces.
    pub fn canonical_json(&self) -> String {
        serde_json::to_value(self)
            .map(|v| v.to_string())
            .unwrap_or_default()
    }
}

/// `POST /api/v1/init`: open a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Init {
    pub version: String,
    pub partner_code: String,
    /// Ours, unique per attempt; INIT is idempotent per reference.
    pub reference: String,
    pub amount: i64,
    pub currency: String,
    /// `web` or `mobile`.
    pub channel: String,
    /// The payer's chosen bank, or empty to choose at the platform.
    pub bank_code: String,
    pub description: String,
    pub timestamp: String,
    pub return_url: String,
    pub notify_url: String,
    /// [`Receipt::canonical_json`].
    pub receipt: String,
    #[serde(default)]
    pub signature: String,
}
signed!(Init, |m| vec![
    m.version.clone(),
    m.partner_code.clone(),
    m.reference.clone(),
    m.amount.to_string(),
    m.currency.clone(),
    m.channel.clone(),
    m.bank_code.clone(),
    m.description.clone(),
    m.timestamp.clone(),
    m.return_url.clone(),
    m.notify_url.clone(),
    m.receipt.clone(),
]);

/// INIT's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitAnswer {
    pub code: String,
    pub reference: String,
    #[serde(default)]
    pub pay_url: String,
    #[serde(default)]
    pub platform_txn_id: String,
    #[serde(default)]
    pub signature: String,
}
signed!(InitAnswer, |m| vec![
    m.code.clone(),
    m.reference.clone(),
    m.pay_url.clone(),
    m.platform_txn_id.clone(),
]);

/// The platform's word on a transaction: the confirm callback's body to
/// our `notify_url`, and the status query's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirm {
    pub partner_code: String,
    pub reference: String,
    #[serde(default)]
    pub platform_txn_id: String,
    pub result_code: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub bank_code: String,
    /// When the payer paid (empty unless paid).
    #[serde(default)]
    pub paid_at: String,
    #[serde(default)]
    pub signature: String,
}
signed!(Confirm, |m| vec![
    m.partner_code.clone(),
    m.reference.clone(),
    m.platform_txn_id.clone(),
    m.result_code.clone(),
    m.amount.to_string(),
    m.currency.clone(),
    m.bank_code.clone(),
    m.paid_at.clone(),
]);

/// `POST /api/v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusQuery {
    pub partner_code: String,
    pub reference: String,
    pub timestamp: String,
    #[serde(default)]
    pub signature: String,
}
signed!(StatusQuery, |m| vec![
    m.partner_code.clone(),
    m.reference.clone(),
    m.timestamp.clone(),
]);

/// `POST /api/v1/transactions`: the day's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayQuery {
    pub partner_code: String,
    /// `yyyyMMdd`, a Vietnam day.
    pub date: String,
    pub timestamp: String,
    #[serde(default)]
    pub signature: String,
}
signed!(DayQuery, |m| vec![
    m.partner_code.clone(),
    m.date.clone(),
    m.timestamp.clone(),
]);

/// A transaction of the day's list: every transaction paid that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayItem {
    pub reference: String,
    pub platform_txn_id: String,
    pub result_code: String,
    pub amount: i64,
    pub paid_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayList {
    pub code: String,
    pub partner_code: String,
    pub date: String,
    #[serde(default)]
    pub items: Vec<DayItem>,
    #[serde(default)]
    pub signature: String,
}
signed!(DayList, |m| {
    let mut v = vec![m.code.clone(), m.partner_code.clone(), m.date.clone()];
    for i in &m.items {
        v.extend([
            i.reference.clone(),
            i.platform_txn_id.clone(),
            i.result_code.clone(),
            i.amount.to_string(),
            i.paid_at.clone(),
        ]);
    }
    v
});

impl DayList {
    /// The day's list as the file the platform also leaves
    /// (`PAYGOV_<partner>_<yyyyMMdd>.csv`): a header, one line per
    /// item, and a last line `#signature,<hex>`.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("reference,platform_txn_id,result_code,amount,paid_at\n");
        for i in &self.items {
            s.push_str(&format!(
                "{},{},{},{},{}\n",
                i.reference, i.platform_txn_id, i.result_code, i.amount, i.paid_at
            ));
        }
        s.push_str(&format!("#signature,{}\n", self.signature));
        s
    }

    /// Reads [`DayList::to_csv`]'s file for `partner_code` and `date`
    /// (the file name says them; the signature covers them).
    pub fn from_csv(partner_code: &str, date: &str, text: &str) -> Option<DayList> {
        let mut items = Vec::new();
        let mut signature = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if n == 0 || line.is_empty() {
                continue;
            }
            if let Some(sig) = line.strip_prefix("#signature,") {
                signature = Some(sig.to_string());
                continue;
            }
            let f: Vec<&str> = line.split(',').collect();
            let [reference, txn, code, amount, paid_at] = f.as_slice() else {
                return None;
            };
            items.push(DayItem {
                reference: reference.to_string(),
                platform_txn_id: txn.to_string(),
                result_code: code.to_string(),
                amount: amount.parse().ok()?,
                paid_at: paid_at.to_string(),
            });
        }
        Some(DayList {
            code: codes::SUCCESS.into(),
            partner_code: partner_code.into(),
            date: date.into(),
            items,
            signature: signature?,
        })
    }
}

/// `POST /api/v1/receipt`: the receipt PDF of a paid transaction, one
/// per kind (`phi`, `le_phi`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptQuery {
    pub partner_code: String,
    pub platform_txn_id: String,
    pub kind: String,
    pub timestamp: String,
    #[serde(default)]
    pub signature: String,
}
signed!(ReceiptQuery, |m| vec![
    m.partner_code.clone(),
    m.platform_txn_id.clone(),
    m.kind.clone(),
    m.timestamp.clone(),
]);

/// A refusal of a request (bad signature, unknown partner…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

const VN_OFFSET_MS: i64 = 7 * 3600 * 1000;

/// `yyyyMMddHHmmss` in Vietnam time.
pub fn timestamp(at: Millis) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(
        (at as i128 + VN_OFFSET_MS as i128) * 1_000_000,
    )
    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Reads [`timestamp`] back (None if malformed).
pub fn parse_timestamp(s: &str) -> Option<Millis> {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |a: usize, b: usize| s[a..b].parse::<u32>().ok();
    let month = time::Month::try_from(n(4, 6)? as u8).ok()?;
    let date = time::Date::from_calendar_date(n(0, 4)? as i32, month, n(6, 8)? as u8).ok()?;
    let t = time::Time::from_hms(n(8, 10)? as u8, n(10, 12)? as u8, n(12, 14)? as u8).ok()?;
    let utc = time::PrimitiveDateTime::new(date, t).assume_utc();
    Some((utc.unix_timestamp_nanos() / 1_000_000) as i64 - VN_OFFSET_MS)
}

/// The Vietnam day `yyyyMMdd` of `at`.
pub fn day(at: Millis) -> String {
    timestamp(at)[..8].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The known-answer vector of docs/PAYMENTS.md: computed by hand
    /// with `printf '%s' '…' | sha256sum`, not by this code.
    #[test]
    fn the_documented_vector() {
        let values = ["2.1.0", "MOTCUA", "P-1|x", "10000", "VND", "Lệ phí"];
        assert_eq!(
            canonical(&values),
            "2.1.0|MOTCUA|P-1%7Cx|10000|VND|L%E1%BB%87%20ph%C3%AD"
        );
        assert_eq!(
            sign(&values, "s3cret"),
            "52824fe73342c2eeaa0ac5644b77625260992644ac396ae04b4dea78aecd3697"
        );
    }

    #[test]
    fn a_pipe_inside_a_value_cannot_shift_the_fields() {
        assert_ne!(sign(&["a|b", "c"], "k"), sign(&["a", "b|c"], "k"));
        // NFC: the decomposed and the composed spelling sign alike.
        assert_eq!(sign(&["e\u{301}"], "k"), sign(&["\u{e9}"], "k"));
    }

    #[test]
    fn verification_takes_either_secret_and_nothing_else() {
        let mut c = Confirm {
            partner_code: "P".into(),
            reference: "R".into(),
            platform_txn_id: "T".into(),
            result_code: codes::SUCCESS.into(),
            amount: 10_000,
            currency: CURRENCY.into(),
            bank_code: "VCB".into(),
            paid_at: "20261207101500".into(),
            signature: String::new(),
        };
        c.sign_with("old");
        assert!(c.verify_with(&["new", "old"]));
        assert!(!c.verify_with(&["new"]));
        assert!(!c.verify_with(&[""]), "an empty secret is never a key");
        let upper = Confirm {
            signature: c.signature.to_uppercase(),
            ..c.clone()
        };
        assert!(upper.verify_with(&["old"]), "hex in either case");
        let more = Confirm {
            amount: 10_001,
            ..c.clone()
        };
        assert!(!more.verify_with(&["old"]));
        let short = Confirm {
            signature: c.signature[..10].to_string(),
            ..c
        };
        assert!(!short.verify_with(&["old"]));
    }

    #[test]
    fn times_are_vietnam_time() {
        // 2026-12-07 03:15:00 UTC is 10:15 in Hà Nội.
        let at = 1_796_613_300_000;
        assert_eq!(timestamp(at), "20261207101500");
        assert_eq!(parse_timestamp("20261207101500"), Some(at));
        assert_eq!(day(at), "20261207");
        // 17:30 UTC is already the next day in Vietnam.
        assert_eq!(day(at + (14 * 3600 + 15 * 60) * 1000), "20261208");
        for bad in [
            "",
            "2026120710150",
            "2026120710150x",
            "20261307101500",
            "20261232101500",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_day_file_reads_back() {
        let mut l = DayList {
            code: codes::SUCCESS.into(),
            partner_code: "P".into(),
            date: "20261207".into(),
            items: vec![DayItem {
                reference: "R1".into(),
                platform_txn_id: "T1".into(),
                result_code: "00".into(),
                amount: 5000,
                paid_at: "20261207101500".into(),
            }],
            signature: String::new(),
        };
        l.sign_with("k");
        let back = DayList::from_csv("P", "20261207", &l.to_csv()).unwrap();
        assert_eq!(back, l);
        assert!(back.verify_with(&["k"]));
        assert!(DayList::from_csv("P", "20261207", "h\nR1,T1,00,x,1\n#signature,a").is_none());
        assert!(DayList::from_csv("P", "20261207", "h\nR1,T1,00,1,1\n").is_none());
    }

    #[test]
    fn outcomes() {
        assert_eq!(outcome("00"), Outcome::Paid);
        assert_eq!(outcome("01"), Outcome::Pending);
        assert_eq!(outcome("02"), Outcome::NotPaid);
        assert_eq!(outcome("03"), Outcome::NotPaid);
        assert_eq!(outcome("09"), Outcome::Unknown);
        assert_eq!(outcome("99"), Outcome::Pending);
        assert_eq!(outcome("zz"), Outcome::Pending);
    }
}
