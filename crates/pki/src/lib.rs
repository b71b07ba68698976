//! Certificate validation for Motcua (issue #4, R-ID-9…11).
//!
//! - [`cert`]: parse an X.509 certificate into owned facts, including the
//!   holder's identity as Vietnamese CAs write it (`UID=MST:…`, `CCCD:…`).
//! - [`policy`]: which signature algorithms and key sizes are accepted.
//! - [`path`]: chain building and path validation against the operator's
//!   trust anchors, with `now` as a parameter.
//! - [`crl`], [`ocsp`], [`revocation`]: revocation status, fetched over
//!   HTTP, cached until `nextUpdate`, failing closed by default.
//! - [`challenge`]: the text the user signs to register, log in or step up.
//! - [`mss`]: SIM signatures through a mobile signature service provider
//!   (ETSI TS 102 204, asynchronous client-server, SOAP 1.1).
//! - [`seal`]: the agencies' seal — detached CMS signatures of result
//!   documents with a key on a PKCS#11 token, and their verification.
//! - [`testca`] (feature `testca`): a throw-away PKI for tests and the demo.
//! - [`mss_sim`] (feature `testca`): a simulated MSSP and phone for tests and
//!   the demo.
//!
//! Nothing here reads the clock: every check takes `now` ([`Millis`]).

pub mod cert;
pub mod challenge;
pub mod crl;
pub mod der;
pub mod mss;
#[cfg(feature = "testca")]
pub mod mss_sim;
pub mod ocsp;
pub mod path;
pub mod policy;
pub mod revocation;
pub mod seal;
#[cfg(feature = "testca")]
pub mod softhsm;
#[cfg(feature = "testca")]
pub mod testca;
pub mod verify;

pub use cert::{Certificate, HolderId, Identity, KeyKind};
pub use challenge::{Challenge, Purpose};
pub use motcua_domain::Millis;
pub use path::{Chain, TrustStore, UsagePolicy};
pub use policy::AlgorithmPolicy;
pub use revocation::{RevocationChecker, RevocationMode, RevocationPolicy};
pub use verify::Verifier;

/// Why a certificate or a signature was refused. Each variant maps to one
/// message the user reads (see `message_key`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkiError {
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("certificate expired")]
    Expired,
    #[error("certificate not yet valid")]
    NotYetValid,
    #[error("issuer not trusted: {0}")]
    UntrustedIssuer(String),
    #[error("certificate revoked")]
    Revoked { at: Option<Millis> },
    #[error("revocation status unavailable: {0}")]
    RevocationUnavailable(String),
    #[error("algorithm or key not accepted: {0}")]
    WeakAlgorithm(String),
    #[error("certificate not usable for signing: {0}")]
    NotForSigning(String),
    #[error("invalid chain: {0}")]
    InvalidChain(String),
    #[error("signature does not verify")]
    BadSignature,
}

impl PkiError {
    /// The i18n key of the message shown to the user.
    pub fn message_key(&self) -> &'static str {
        match self {
            PkiError::Malformed(_) => "pki.malformed",
            PkiError::Expired => "pki.expired",
            PkiError::NotYetValid => "pki.not_yet_valid",
            PkiError::UntrustedIssuer(_) => "pki.untrusted",
            PkiError::Revoked { .. } => "pki.revoked",
            PkiError::RevocationUnavailable(_) => "pki.revocation_unavailable",
            PkiError::WeakAlgorithm(_) => "pki.weak_algorithm",
            PkiError::NotForSigning(_) => "pki.not_for_signing",
            PkiError::InvalidChain(_) => "pki.invalid_chain",
            PkiError::BadSignature => "pki.bad_signature",
        }
    }
}

/// Unix seconds (as written in certificates) to [`Millis`].
pub(crate) fn secs_to_millis(s: i64) -> Millis {
    s.saturating_mul(1000)
}

/// Formats an instant as RFC 3339 UTC with whole seconds (`2026-12-01T08:30:00Z`).
pub fn rfc3339(at: Millis) -> String {
    match time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1000)) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => "1970-01-01T00:00:00Z".to_string(),
    }
}

/// Parses what [`rfc3339`] writes (UTC, `Z`, whole seconds) strictly.
pub fn parse_rfc3339(s: &str) -> Option<Millis> {
    let b = s.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let month = time::Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(num(0..4)?).ok()?,
        month,
        u8::try_from(num(8..10)?).ok()?,
    )
    .ok()?;
    let t = time::Time::from_hms(
        u8::try_from(num(11..13)?).ok()?,
        u8::try_from(num(14..16)?).ok()?,
        u8::try_from(num(17..19)?).ok()?,
    )
    .ok()?;
    Some(date.with_time(t).assume_utc().unix_timestamp() * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip_and_strictness() {
        let at = 1_796_113_800_000; // 2026-12-01T08:30:00Z
        assert_eq!(rfc3339(at), "2026-12-01T08:30:00Z");
        assert_eq!(parse_rfc3339("2026-12-01T08:30:00Z"), Some(at));
        for bad in [
            "2026-12-01T08:30:00",
            "2026-13-01T08:30:00Z",
            "2026-12-01 08:30:00Z",
            "+026-12-01T08:30:00Z",
            "2026-02-30T08:30:00Z",
            "",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
