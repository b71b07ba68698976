//! ID token validation (OpenID Connect Core §3.1.3.7), as pure functions:
//! the key lookup (and its network) is the caller's.
use crate::jwks::PublicKey;
use crate::{OidcError, SigningAlg};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use motcua_domain::Millis;
use serde_json::{Map, Value};
use sha2::Digest;
use subtle::ConstantTimeEq;

/// Largest ID token read (real ones are a few kilobytes).
const MAX_TOKEN: usize = 64 * 1024;

/// A compact JWS split and decoded, its signature not yet checked.
#[derive(Debug)]
pub struct Unverified<'a> {
    pub alg: SigningAlg,
    pub kid: Option<String>,
    pub claims: Map<String, Value>,
    signing_input: &'a str,
    signature: &'a str,
}

fn b64_json(part: &str, what: &str) -> Result<Map<String, Value>, OidcError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.as_bytes())
        .map_err(|_| OidcError::BadIdToken(format!("{what} is not base64url")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(OidcError::BadIdToken(format!(
            "{what} is not a JSON object"
        ))),
    }
}

/// Splits and decodes an ID token, refusing any `alg` outside `allowed`
/// (so `none` and `HS*` always) and any critical header extension.
pub fn parse<'a>(token: &'a str, allowed: &[SigningAlg]) -> Result<Unverified<'a>, OidcError> {
    if token.len() > MAX_TOKEN {
        return Err(OidcError::BadIdToken("too large".into()));
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err(OidcError::BadIdToken(if parts.len() == 5 {
            "encrypted ID tokens (JWE) are not supported".into()
        } else {
            "not a compact JWS".into()
        }));
    };
    let header_map = b64_json(header, "header")?;
    let alg_name = match header_map.get("alg") {
        Some(Value::String(a)) => a.as_str(),
        _ => return Err(OidcError::BadIdToken("no alg in the header".into())),
    };
    let alg = SigningAlg::parse(alg_name)
        .filter(|a| allowed.contains(a))
        .ok_or_else(|| OidcError::AlgorithmNotAllowed(alg_name.to_owned()))?;
    if header_map.contains_key("crit") {
        return Err(OidcError::BadIdToken(
            "critical header extensions are not supported".into(),
        ));
    }
    let kid = match header_map.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(OidcError::BadIdToken("kid is not a string".into())),
    };
    if signature.is_empty() {
        return Err(OidcError::BadSignature);
    }
    let claims = b64_json(payload, "payload")?;
    let signing_input = &token[..header.len() + 1 + payload.len()];
    Ok(Unverified {
        alg,
        kid,
        claims,
        signing_input,
        signature,
    })
}

impl Unverified<'_> {
    /// Checks the signature with the provider's key.
    pub fn verify(self, key: &PublicKey) -> Result<Map<String, Value>, OidcError> {
        if !key.fits(self.alg) {
            return Err(OidcError::BadIdToken(format!(
                "the key cannot verify {}",
                self.alg
            )));
        }
        let dk = key.decoding_key()?;
        match jsonwebtoken::crypto::verify(
            self.signature,
            self.signing_input.as_bytes(),
            &dk,
            self.alg.jwt(),
        ) {
            Ok(true) => Ok(self.claims),
            Ok(false) | Err(_) => Err(OidcError::BadSignature),
        }
    }
}

/// What the claims of a verified ID token must say.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: Millis,
    pub leeway: Millis,
}

/// A NumericDate (seconds, possibly fractional) as milliseconds.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i128>, OidcError> {
    let Some(v) = claims.get(name) else {
        return Ok(None);
    };
    let secs = if let Some(i) = v.as_i64() {
        i as i128 * 1000
    } else if let Some(f) = v.as_f64().filter(|f| f.is_finite() && f.abs() < 1e15) {
        (f * 1000.0) as i128
    } else {
        return Err(OidcError::BadIdToken(format!("{name} is not a number")));
    };
    Ok(Some(secs))
}

/// Checks `iss`, `aud`, `azp`, `exp`, `iat`, `nbf`, `nonce` and `sub`.
pub fn check_claims(claims: &Map<String, Value>, want: &Expected<'_>) -> Result<(), OidcError> {
    match claims.get("iss") {
        Some(Value::String(iss)) if iss == want.issuer => {}
        Some(Value::String(iss)) => {
            return Err(OidcError::IssuerMismatch {
                expected: want.issuer.to_owned(),
                found: iss.clone(),
            })
        }
        _ => return Err(OidcError::BadIdToken("no iss".into())),
    }

    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => return Err(OidcError::BadIdToken("no aud".into())),
    };
    if !audiences.contains(&want.client_id) {
        return Err(OidcError::WrongAudience);
    }
    match claims.get("azp") {
        Some(Value::String(azp)) if azp == want.client_id => {}
        Some(_) => return Err(OidcError::AzpMismatch),
        None if audiences.len() > 1 => return Err(OidcError::AzpMismatch),
        None => {}
    }

    let now = want.now as i128;
    let leeway = want.leeway as i128;
    let exp = numeric_date(claims, "exp")?.ok_or_else(|| OidcError::BadIdToken("no exp".into()))?;
    if now >= exp + leeway {
        return Err(OidcError::Expired);
    }
    let iat = numeric_date(claims, "iat")?.ok_or_else(|| OidcError::BadIdToken("no iat".into()))?;
    if iat > now + leeway {
        return Err(OidcError::NotYetValid);
    }
    if let Some(nbf) = numeric_date(claims, "nbf")? {
        if nbf > now + leeway {
            return Err(OidcError::NotYetValid);
        }
    }

    match claims.get("nonce") {
        Some(Value::String(n)) if bool::from(n.as_bytes().ct_eq(want.nonce.as_bytes())) => {}
        _ => return Err(OidcError::NonceMismatch),
    }

    match claims.get("sub") {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 255 => Ok(()),
        _ => Err(OidcError::BadIdToken(
            "sub missing, empty or too long".into(),
        )),
    }
}

/// Checks `at_hash` against the access token when the ID token has one
/// (the left half of the token's SHA-2 digest, base64url).
pub fn check_at_hash(
    claims: &Map<String, Value>,
    alg: SigningAlg,
    access_token: &str,
) -> Result<(), OidcError> {
    let Some(v) = claims.get("at_hash") else {
        return Ok(());
    };
    let digest: Vec<u8> = match alg.hash_bits() {
        256 => sha2::Sha256::digest(access_token.as_bytes()).to_vec(),
        384 => sha2::Sha384::digest(access_token.as_bytes()).to_vec(),
        _ => sha2::Sha512::digest(access_token.as_bytes()).to_vec(),
    };
    let expected = URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2]);
    match v {
        Value::String(s) if bool::from(s.as_bytes().ct_eq(expected.as_bytes())) => Ok(()),
        _ => Err(OidcError::AccessTokenHashMismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn enc(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    fn claims(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    const NOW: Millis = 1_800_000_000_000;

    fn want() -> Expected<'static> {
        Expected {
            issuer: "https://id.example",
            client_id: "motcua",
            nonce: "n-123",
            now: NOW,
            leeway: 60_000,
        }
    }

    fn good() -> Value {
        json!({"iss": "https://id.example", "aud": "motcua", "sub": "001", "nonce": "n-123",
               "iat": NOW / 1000, "exp": NOW / 1000 + 300})
    }

    fn with(k: &str, v: Value) -> Map<String, Value> {
        let mut c = claims(good());
        c.insert(k.into(), v);
        c
    }

    #[test]
    fn accepts_good_claims() {
        assert!(check_claims(&claims(good()), &want()).is_ok());
        // Several audiences with the right azp.
        let mut c = with("aud", json!(["motcua", "other"]));
        c.insert("azp".into(), json!("motcua"));
        assert!(check_claims(&c, &want()).is_ok());
        // Fractional times, and exp just inside the leeway.
        assert!(check_claims(&with("exp", json!(NOW as f64 / 1000.0 - 30.5)), &want()).is_ok());
    }

    #[test]
    fn refuses_bad_claims() {
        let w = want();
        let err = |c: Map<String, Value>| check_claims(&c, &w).err().map(|e| e.code());
        assert_eq!(
            err(with("iss", json!("https://evil.example"))),
            Some("issuer_mismatch")
        );
        assert_eq!(err(with("aud", json!("other"))), Some("wrong_audience"));
        assert_eq!(
            err(with("aud", json!(["other", "x"]))),
            Some("wrong_audience")
        );
        assert_eq!(
            err(with("aud", json!(["motcua", "other"]))),
            Some("azp_mismatch")
        );
        assert_eq!(err(with("azp", json!("other"))), Some("azp_mismatch"));
        assert_eq!(err(with("exp", json!(NOW / 1000 - 61))), Some("expired"));
        assert_eq!(err(with("exp", json!("tomorrow"))), Some("bad_id_token"));
        assert_eq!(
            err(with("iat", json!(NOW / 1000 + 120))),
            Some("not_yet_valid")
        );
        assert_eq!(
            err(with("nbf", json!(NOW / 1000 + 120))),
            Some("not_yet_valid")
        );
        assert_eq!(err(with("nonce", json!("n-124"))), Some("nonce_mismatch"));
        assert_eq!(err(with("nonce", json!(5))), Some("nonce_mismatch"));
        assert_eq!(err(with("sub", json!(""))), Some("bad_id_token"));
        assert_eq!(err(with("exp", json!(1e300))), Some("bad_id_token"));
        for missing in ["iss", "aud", "exp", "iat", "nonce", "sub"] {
            let mut c = claims(good());
            c.remove(missing);
            assert!(check_claims(&c, &w).is_err(), "{missing}");
        }
    }

    #[test]
    fn parse_refuses_none_hmac_and_garbage() {
        let body = enc(&good());
        let algs = SigningAlg::DEFAULT;
        let t = |h: Value| format!("{}.{body}.c2ln", enc(&h));
        let code = |tok: &str| parse(tok, &algs).err().map(|e| e.code());
        assert_eq!(
            code(&t(json!({"alg": "none"}))),
            Some("algorithm_not_allowed")
        );
        assert_eq!(
            code(&t(json!({"alg": "HS256"}))),
            Some("algorithm_not_allowed")
        );
        assert_eq!(
            code(&t(json!({"alg": "RS512"}))),
            Some("algorithm_not_allowed")
        );
        assert_eq!(code(&t(json!({"typ": "JWT"}))), Some("bad_id_token"));
        assert_eq!(
            code(&t(json!({"alg": "RS256", "crit": ["x"]}))),
            Some("bad_id_token")
        );
        assert_eq!(
            code(&format!("{}.{body}.", enc(&json!({"alg": "RS256"})))),
            Some("bad_signature")
        );
        assert_eq!(code("a.b"), Some("bad_id_token"));
        assert_eq!(code("a.b.c.d.e"), Some("bad_id_token"));
        assert_eq!(code("!!.??.##"), Some("bad_id_token"));
        assert_eq!(code(""), Some("bad_id_token"));
        let tok = t(json!({"alg": "ES256", "kid": "k1"}));
        let ok = parse(&tok, &algs).unwrap();
        assert_eq!((ok.alg, ok.kid.as_deref()), (SigningAlg::ES256, Some("k1")));
    }

    #[test]
    fn at_hash() {
        // Expected value computed independently (Python hashlib/base64).
        let at = "jHkWEdUXMU1BwAsC4vtUsZwnNVc4bwQ6ddkCSjW3qVbE";
        let c = claims(json!({"at_hash": "Y67ivpLyfVccO9SO7btKmg"}));
        assert!(check_at_hash(&c, SigningAlg::RS256, at).is_ok());
        assert!(check_at_hash(&c, SigningAlg::RS256, "other").is_err());
        assert!(check_at_hash(&Map::new(), SigningAlg::RS256, at).is_ok());
    }
}
