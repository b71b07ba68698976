//! The challenge the portal asks the signer to sign, and its strict parser.
//!
//! The signed bytes are exactly these UTF-8 lines joined by `\n`, with no
//! trailing newline (docs/IDENTITY-PLAN.md §4):
//!
//! ```text
//! motcua-challenge/1
//! origin=https://portal.example
//! purpose=login
//! id=<base64url without padding, 16 bytes>
//! nonce=<base64url without padding, 32 bytes>
//! expires=2026-12-01T08:30:00Z
//! ```
//!
//! A document signature (purpose `sign`) has a seventh line,
//! `digest=<SHA-256 of the document, 64 lower-case hex>`, which the
//! signer shows the user; no other purpose has it.
//!
//! The portal has its own parser; this one only decides whether the signer
//! agrees to show the request to the user. Anything that is not exactly in
//! this form is refused: no extra or missing lines, no `\r`, no spaces, no
//! padding, no other date form.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use time::OffsetDateTime;

/// The first line of every challenge.
pub const VERSION_LINE: &str = "motcua-challenge/1";
/// Longest challenge accepted, in bytes.
pub const MAX_LEN: usize = 1024;

/// Why the portal asks for a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Registering a new account with the certificate.
    Register,
    /// Logging in.
    Login,
    /// Raising the assurance level of an existing session.
    StepUp,
    /// Signing a document (a dossier) whose digest the challenge names.
    Sign,
}

impl Purpose {
    /// The wire name (`register`, `login`, `step_up`).
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::Login => "login",
            Purpose::StepUp => "step_up",
            Purpose::Sign => "sign",
        }
    }

    fn parse(s: &str) -> Option<Purpose> {
        match s {
            "register" => Some(Purpose::Register),
            "login" => Some(Purpose::Login),
            "step_up" => Some(Purpose::StepUp),
            "sign" => Some(Purpose::Sign),
            _ => None,
        }
    }
}

/// A well-formed challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The portal's origin, in the serialised form browsers send in `Origin`.
    pub origin: String,
    /// What the signature is for.
    pub purpose: Purpose,
    /// The portal's challenge id (16 bytes, base64url).
    pub id: String,
    /// 32 random bytes (base64url).
    pub nonce: String,
    /// After this instant the portal refuses the signature.
    pub expires: OffsetDateTime,
    /// For [`Purpose::Sign`]: the document's SHA-256, 64 lower-case hex.
    pub digest: Option<String>,
}

/// Why a challenge was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// Not in the exact form above; the text says which part.
    #[error("malformed challenge: {0}")]
    Malformed(&'static str),
    /// Well-formed, but the purpose is not one the signer knows.
    #[error("unknown purpose")]
    UnknownPurpose,
}

/// Parses a challenge strictly.
pub fn parse(text: &str) -> Result<Challenge, ChallengeError> {
    use ChallengeError::Malformed;
    if text.len() > MAX_LEN {
        return Err(Malformed("too long"));
    }
    if !text
        .bytes()
        .all(|b| b == b'\n' || (0x21..=0x7e).contains(&b))
    {
        return Err(Malformed("only printable ASCII lines without spaces"));
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let (fixed, digest_line) = match lines.as_slice() {
        [a, b, c, d, e, f] => ([*a, *b, *c, *d, *e, *f], None),
        [a, b, c, d, e, f, g] => ([*a, *b, *c, *d, *e, *f], Some(*g)),
        _ => return Err(Malformed("expected 6 lines (7 to sign a document)")),
    };
    let [version, origin, purpose, id, nonce, expires] = fixed;
    if version != VERSION_LINE {
        return Err(Malformed("first line must be motcua-challenge/1"));
    }
    let origin = field(origin, "origin")?;
    if !is_serialized_origin(origin) {
        return Err(Malformed("origin is not a serialized http(s) origin"));
    }
    let purpose = field(purpose, "purpose")?;
    let id = field(id, "id")?;
    b64url_exact(id, 16).ok_or(Malformed(
        "id must be 16 bytes of base64url without padding",
    ))?;
    let nonce = field(nonce, "nonce")?;
    b64url_exact(nonce, 32).ok_or(Malformed(
        "nonce must be 32 bytes of base64url without padding",
    ))?;
    let expires = parse_instant(field(expires, "expires")?)
        .ok_or(Malformed("expires must be YYYY-MM-DDTHH:MM:SSZ"))?;
    let purpose = Purpose::parse(purpose).ok_or(ChallengeError::UnknownPurpose)?;
    let digest = match (purpose, digest_line) {
        (Purpose::Sign, Some(line)) => {
            let d = field(line, "digest")?;
            if d.len() != 64 || !d.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(Malformed("digest must be 64 lower-case hex digits"));
            }
            Some(d.to_owned())
        }
        (Purpose::Sign, None) => return Err(Malformed("a document signature needs its digest")),
        (_, Some(_)) => return Err(Malformed("only a document signature has a digest")),
        (_, None) => None,
    };
    Ok(Challenge {
        origin: origin.to_owned(),
        purpose,
        id: id.to_owned(),
        nonce: nonce.to_owned(),
        expires,
        digest,
    })
}

fn field<'a>(line: &'a str, name: &'static str) -> Result<&'a str, ChallengeError> {
    let value = line
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('='))
        .ok_or(ChallengeError::Malformed(
            "fields must come in the order origin, purpose, id, nonce, expires",
        ))?;
    if value.is_empty() {
        return Err(ChallengeError::Malformed("empty field"));
    }
    Ok(value)
}

/// Decodes unpadded base64url of exactly `len` bytes, canonical form only.
fn b64url_exact(s: &str, len: usize) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
    (bytes.len() == len && URL_SAFE_NO_PAD.encode(&bytes) == s).then_some(bytes)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, UTC, nothing else.
pub fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || b[10] != b'T'
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
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
    Some(date.with_time(t).assume_utc())
}

/// Formats an instant the way challenges write it.
pub fn format_instant(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// True for an origin as a browser serialises it in the `Origin` header:
/// `http` or `https`, lower-case host (DNS name, IPv4 or bracketed IPv6), an
/// optional port without leading zeros, and nothing after it (no path, no
/// trailing slash, no user info).
pub fn is_serialized_origin(s: &str) -> bool {
    let (scheme, rest) = if let Some(r) = s.strip_prefix("https://") {
        ("https", r)
    } else if let Some(r) = s.strip_prefix("http://") {
        ("http", r)
    } else {
        return false;
    };
    let (host, port) = if rest.starts_with('[') {
        let Some(end) = rest.find(']') else {
            return false;
        };
        let (h, p) = rest.split_at(end + 1);
        let inner = &h[1..h.len() - 1];
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b':' || b == b'.')
        {
            return false;
        }
        (h, p)
    } else {
        match rest.find(':') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        }
    };
    if !host.starts_with('[') {
        let ok_label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if host.is_empty() || host.len() > 253 || !host.split('.').all(ok_label) {
            return false;
        }
    }
    if !port.is_empty() {
        let Some(p) = port.strip_prefix(':') else {
            return false;
        };
        if p.is_empty()
            || p.len() > 5
            || p.starts_with('0')
            || !p.bytes().all(|b| b.is_ascii_digit())
        {
            return false;
        }
        match p.parse::<u32>() {
            // Browsers omit the default port from the serialised origin.
            Ok(n) if n <= 65535 => {
                if (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "AAECAwQFBgcICQoLDA0ODw"; // 16 bytes
    const NONCE: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"; // 32 bytes

    fn text(origin: &str, purpose: &str, id: &str, nonce: &str, expires: &str) -> String {
        format!(
            "motcua-challenge/1\norigin={origin}\npurpose={purpose}\nid={id}\nnonce={nonce}\nexpires={expires}"
        )
    }

    fn good() -> String {
        text(
            "https://portal.example",
            "login",
            ID,
            NONCE,
            "2026-12-01T08:30:00Z",
        )
    }

    #[test]
    fn parses_the_documented_form() {
        let c = parse(&good()).unwrap();
        assert_eq!(c.origin, "https://portal.example");
        assert_eq!(c.purpose, Purpose::Login);
        assert_eq!(c.id, ID);
        assert_eq!(c.nonce, NONCE);
        assert_eq!(format_instant(c.expires), "2026-12-01T08:30:00Z");
        for (p, want) in [
            ("register", Purpose::Register),
            ("login", Purpose::Login),
            ("step_up", Purpose::StepUp),
        ] {
            let c = parse(&text(
                "http://127.0.0.1:8080",
                p,
                ID,
                NONCE,
                "2026-12-01T08:30:00Z",
            ))
            .unwrap();
            assert_eq!(c.purpose, want);
            assert_eq!(c.purpose.as_str(), p);
        }
    }

    #[test]
    fn a_document_signature_names_its_digest() {
        let d = "ab".repeat(32);
        let base = text(
            "https://portal.example",
            "sign",
            ID,
            NONCE,
            "2026-12-01T08:30:00Z",
        );
        let c = parse(&format!("{base}\ndigest={d}")).unwrap();
        assert_eq!(c.purpose, Purpose::Sign);
        assert_eq!(c.digest.as_deref(), Some(d.as_str()));
        for bad in [
            base.clone(),
            format!("{base}\ndigest={}", d.to_uppercase()),
            format!("{base}\ndigest={}", &d[..63]),
            format!("{base}\ndigest={d}\n"),
            format!("{}\ndigest={d}", good()),
        ] {
            assert!(
                matches!(parse(&bad), Err(ChallengeError::Malformed(_))),
                "accepted {bad:?}"
            );
        }
        assert_eq!(parse(&good()).unwrap().digest, None);
    }

    #[test]
    fn unknown_purpose_is_its_own_error() {
        let t = text(
            "https://portal.example",
            "payment",
            ID,
            NONCE,
            "2026-12-01T08:30:00Z",
        );
        assert_eq!(parse(&t), Err(ChallengeError::UnknownPurpose));
    }

    #[test]
    fn refuses_anything_else() {
        let g = good();
        let bad = [
            format!("{g}\n"),
            format!("\n{g}"),
            g.replace('\n', "\r\n"),
            g.replace("motcua-challenge/1", "motcua-challenge/2"),
            g.replace("origin=", "origin ="),
            g.replace(
                "origin=https://portal.example",
                "origin=https://portal.example/",
            ),
            g.replace(
                "origin=https://portal.example",
                "origin=https://Portal.example",
            ),
            g.replace(
                "origin=https://portal.example",
                "origin=https://portal.example:443",
            ),
            g.replace(
                "origin=https://portal.example",
                "origin=ftp://portal.example",
            ),
            g.replace(
                "origin=https://portal.example",
                "origin=https://u@portal.example",
            ),
            g.replace("origin=https://portal.example", "origin=null"),
            g.replace("origin=https://portal.example", "origin="),
            g.replace(ID, &format!("{ID}==")),
            g.replace(ID, "AAECAwQFBgcICQoLDA0ODx"), // non-canonical last char
            g.replace(ID, NONCE),
            g.replace(NONCE, ID),
            g.replace(NONCE, &NONCE.replace('A', "+")),
            g.replace("2026-12-01T08:30:00Z", "2026-12-01T08:30:00+00:00"),
            g.replace("2026-12-01T08:30:00Z", "2026-12-01 08:30:00Z"),
            g.replace("2026-12-01T08:30:00Z", "2026-13-01T08:30:00Z"),
            g.replace("2026-12-01T08:30:00Z", "2026-02-30T08:30:00Z"),
            g.replace("2026-12-01T08:30:00Z", "2026-12-01T24:00:00Z"),
            g.replace("2026-12-01T08:30:00Z", "2026-12-01T08:30:00.5Z"),
            // Fields in another order.
            text(
                "https://portal.example",
                "login",
                ID,
                NONCE,
                "2026-12-01T08:30:00Z",
            )
            .replace("purpose=login\nid=", "id=")
            .replace(
                &format!("nonce={NONCE}"),
                &format!("purpose=login\nnonce={NONCE}"),
            ),
            // A duplicated line.
            format!("{g}\nexpires=2026-12-01T08:30:00Z"),
            g.replace("portal", "pörtal"),
            "x".repeat(MAX_LEN + 1),
            String::new(),
        ];
        for t in bad {
            assert!(
                matches!(parse(&t), Err(ChallengeError::Malformed(_))),
                "accepted {t:?}"
            );
        }
    }

    #[test]
    fn origins() {
        for ok in [
            "https://portal.example",
            "https://dichvucong.gov.vn",
            "http://127.0.0.1:8080",
            "http://localhost:3000",
            "https://[::1]:8443",
            "https://xn--dchvcng-k0a.vn",
        ] {
            assert!(is_serialized_origin(ok), "{ok}");
        }
        for bad in [
            "https://",
            "https://portal.example/",
            "https://portal.example:",
            "https://portal.example:080",
            "https://portal.example:70000",
            "http://portal.example:80",
            "https://-portal.example",
            "https://portal..example",
            "https://portal.example#x",
            "https://portal.example?x",
            "HTTPS://portal.example",
            "*",
            "null",
            "https://[]",
        ] {
            assert!(!is_serialized_origin(bad), "{bad}");
        }
    }

    #[test]
    fn instants_round_trip() {
        let t = parse_instant("2024-02-29T23:59:59Z").unwrap();
        assert_eq!(format_instant(t), "2024-02-29T23:59:59Z");
        assert!(parse_instant("2023-02-29T00:00:00Z").is_none());
    }
}
