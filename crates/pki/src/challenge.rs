//! The text a user signs with a token or a SIM to register, log in or step
//! up. It is plain UTF-8 lines, so the signing tool and the phone can show
//! it and no canonicalisation is needed:
//!
//! ```text
//! motcua-challenge/1
//! origin=https://dichvucong.example.vn
//! purpose=login
//! id=<base64url, 16 bytes>
//! nonce=<base64url, 32 bytes>
//! expires=2026-12-01T08:30:00Z
//! ```
//!
//! The origin binds it to one portal, the purpose to one use, the id to one
//! stored row (spent once), the expiry to a short window. A signature over
//! a document (purpose `sign`: a dossier submitted online, R-PS-3) has a
//! seventh line, `digest=<SHA-256 of the document, 64 lower-case hex>`, so
//! what is signed is the document itself, not only a login.
use crate::{parse_rfc3339, rfc3339, Millis};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::Rng;

pub const HEADER: &str = "motcua-challenge/1";
/// Longest challenge text accepted (origins are short).
pub const MAX_LEN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    Register,
    Login,
    StepUp,
    /// Signing a document whose digest the challenge carries.
    Sign,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::Login => "login",
            Purpose::StepUp => "step_up",
            Purpose::Sign => "sign",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "register" => Some(Purpose::Register),
            "login" => Some(Purpose::Login),
            "step_up" => Some(Purpose::StepUp),
            "sign" => Some(Purpose::Sign),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub origin: String,
    pub purpose: Purpose,
    /// base64url of 16 random bytes: the stored row's key.
    pub id: String,
    /// base64url of 32 random bytes.
    pub nonce: String,
    pub expires: Millis,
    /// For [`Purpose::Sign`] only: the document's SHA-256 (64 hex).
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("challenge malformed")]
    Malformed,
    #[error("challenge for another portal")]
    WrongOrigin,
    #[error("challenge for another purpose")]
    WrongPurpose,
    #[error("challenge expired")]
    Expired,
    #[error("challenge already used or unknown")]
    Spent,
}

impl ChallengeError {
    pub fn message_key(&self) -> &'static str {
        match self {
            ChallengeError::Expired | ChallengeError::Spent => "challenge.expired",
            _ => "challenge.invalid",
        }
    }
}

impl Challenge {
    /// A fresh challenge valid for `ttl` from `now`, whole seconds.
    pub fn new(origin: &str, purpose: Purpose, now: Millis, ttl: Millis) -> Self {
        let mut rng = rand::rng();
        let mut id = [0u8; 16];
        let mut nonce = [0u8; 32];
        rng.fill_bytes(&mut id);
        rng.fill_bytes(&mut nonce);
        let expires = (now + ttl).div_euclid(1000) * 1000;
        Self {
            origin: origin.to_string(),
            purpose,
            id: URL_SAFE_NO_PAD.encode(id),
            nonce: URL_SAFE_NO_PAD.encode(nonce),
            expires,
            digest: None,
        }
    }

    /// A challenge to sign the document whose SHA-256 is `digest`.
    pub fn for_digest(origin: &str, digest: &str, now: Millis, ttl: Millis) -> Self {
        let mut c = Self::new(origin, Purpose::Sign, now, ttl);
        c.digest = Some(digest.to_string());
        c
    }

    /// The exact bytes signed.
    pub fn to_text(&self) -> String {
        let mut t = format!(
            "{HEADER}\norigin={}\npurpose={}\nid={}\nnonce={}\nexpires={}",
            self.origin,
            self.purpose.as_str(),
            self.id,
            self.nonce,
            rfc3339(self.expires)
        );
        if let Some(d) = &self.digest {
            t.push_str("\ndigest=");
            t.push_str(d);
        }
        t
    }

    /// Strict parse: the header, the five fields in order, nothing else.
    pub fn parse(text: &str) -> Result<Self, ChallengeError> {
        if text.len() > MAX_LEN {
            return Err(ChallengeError::Malformed);
        }
        let mut lines = text.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(ChallengeError::Malformed);
        }
        let mut field = |name: &str| -> Result<&str, ChallengeError> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix('='))
                .ok_or(ChallengeError::Malformed)
        };
        let origin = field("origin")?;
        let purpose = Purpose::parse(field("purpose")?).ok_or(ChallengeError::Malformed)?;
        let id = field("id")?;
        let nonce = field("nonce")?;
        let expires = parse_rfc3339(field("expires")?).ok_or(ChallengeError::Malformed)?;
        // A document signature names its digest; nothing else has one.
        let digest = if purpose == Purpose::Sign {
            let d = field("digest")?;
            if !is_digest(d) {
                return Err(ChallengeError::Malformed);
            }
            Some(d.to_string())
        } else {
            None
        };
        if lines.next().is_some() {
            return Err(ChallengeError::Malformed);
        }
        let b64_len = |s: &str| {
            URL_SAFE_NO_PAD
                .decode(s)
                .map(|b| b.len())
                .unwrap_or_default()
        };
        if !valid_origin(origin) || b64_len(id) != 16 || b64_len(nonce) != 32 {
            return Err(ChallengeError::Malformed);
        }
        Ok(Self {
            origin: origin.to_string(),
            purpose,
            id: id.to_string(),
            nonce: nonce.to_string(),
            expires,
            digest,
        })
    }

    /// Checks the fields a verifier knows without the stored row.
    pub fn check(&self, origin: &str, purpose: Purpose, now: Millis) -> Result<(), ChallengeError> {
        if self.origin != origin {
            return Err(ChallengeError::WrongOrigin);
        }
        if self.purpose != purpose {
            return Err(ChallengeError::WrongPurpose);
        }
        if now >= self.expires {
            return Err(ChallengeError::Expired);
        }
        Ok(())
    }
}

/// A SHA-256 as challenges write it: 64 lower-case hex digits.
pub fn is_digest(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `scheme://host[:port]`, no path, no user info, printable ASCII.
pub fn valid_origin(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host) => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_796_113_800_000;

    #[test]
    fn round_trip_and_checks() {
        let c = Challenge::new("https://dvc.example.vn", Purpose::Login, NOW, 120_000);
        let text = c.to_text();
        assert!(text
            .starts_with("motcua-challenge/1\norigin=https://dvc.example.vn\npurpose=login\nid="));
        assert!(text.ends_with("expires=2026-12-01T08:32:00Z"));
        let p = Challenge::parse(&text).unwrap();
        assert_eq!(p, c);
        assert_eq!(
            p.check("https://dvc.example.vn", Purpose::Login, NOW),
            Ok(())
        );
        assert_eq!(
            p.check("https://evil.example", Purpose::Login, NOW),
            Err(ChallengeError::WrongOrigin)
        );
        assert_eq!(
            p.check("https://dvc.example.vn", Purpose::Register, NOW),
            Err(ChallengeError::WrongPurpose)
        );
        assert_eq!(
            p.check("https://dvc.example.vn", Purpose::Login, NOW + 120_000),
            Err(ChallengeError::Expired)
        );
        assert_ne!(Challenge::new("https://a", Purpose::Login, NOW, 1).id, c.id);
    }

    #[test]
    fn strict_parse() {
        let c = Challenge::new("https://dvc.example.vn", Purpose::StepUp, NOW, 120_000).to_text();
        for bad in [
            c.replace("motcua-challenge/1", "motcua-challenge/2"),
            format!("{c}\n"),
            format!("{c}\nextra=1"),
            c.replace("purpose=step_up", "purpose=pay"),
            c.replace("origin=https://dvc.example.vn", "origin=https://x/path"),
            c.replace("\n", "\r\n"),
            c.replace("expires=", "expires=x"),
            c.replacen("id=", "id=AA", 1),
            String::new(),
            "x".repeat(2000),
            c.replace("purpose=step_up", "purpose=sign"),
            format!("{c}\ndigest={}", "a".repeat(64)),
        ] {
            assert_eq!(
                Challenge::parse(&bad),
                Err(ChallengeError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_document_signature_carries_its_digest() {
        let d = "0f".repeat(32);
        let c = Challenge::for_digest("https://dvc.example.vn", &d, NOW, 120_000);
        let text = c.to_text();
        assert!(text.contains("\npurpose=sign\n"), "{text}");
        assert!(text.ends_with(&format!("\ndigest={d}")), "{text}");
        assert_eq!(Challenge::parse(&text), Ok(c));
        for bad in [
            text.replace(&d, &d.to_uppercase()),
            text.replace(&d, &d[..62]),
            text.replace(&format!("\ndigest={d}"), ""),
            format!("{text}\nextra=1"),
        ] {
            assert_eq!(
                Challenge::parse(&bad),
                Err(ChallengeError::Malformed),
                "{bad:?}"
            );
        }
    }
}
