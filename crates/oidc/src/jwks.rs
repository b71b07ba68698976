//! The provider's signing keys (JWKS, RFC 7517): parsing, choosing the key
//! for an ID token, and the cache with its rotation rule.
use crate::{OidcError, SigningAlg};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use motcua_domain::Millis;
use serde::Deserialize;

/// One public signing key of the provider. Only RSA and EC keys are kept:
/// symmetric (`oct`) keys in a JWKS are dropped, so HMAC can never verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub kid: Option<String>,
    /// The `alg` the key is restricted to, if the JWKS says.
    pub alg: Option<String>,
    pub material: KeyMaterial,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// Base64url modulus and exponent.
    Rsa { n: String, e: String },
    /// Curve name (`P-256`, `P-384`) and base64url coordinates.
    Ec { crv: String, x: String, y: String },
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawKey {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    alg: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// Smallest accepted RSA modulus, in bytes (2048 bits).
const MIN_RSA_BYTES: usize = 256;
/// Most keys kept from one JWKS.
const MAX_KEYS: usize = 100;

/// Reads a JWKS, keeping the RSA and EC signature keys it can use and
/// silently skipping the others (encryption keys, unknown types).
pub fn parse_jwks(body: &[u8]) -> Result<Vec<PublicKey>, String> {
    let set: RawSet = serde_json::from_slice(body).map_err(|e| format!("not a JWKS: {e}"))?;
    let mut out = Vec::new();
    for v in set.keys.into_iter().take(MAX_KEYS) {
        let Ok(k) = serde_json::from_value::<RawKey>(v) else {
            continue;
        };
        if k.use_.as_deref().is_some_and(|u| u != "sig") {
            continue;
        }
        if k.key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|o| o == "verify"))
        {
            continue;
        }
        let material = match (k.kty.as_str(), k.n, k.e, k.crv, k.x, k.y) {
            ("RSA", Some(n), Some(e), ..) => {
                let Ok(nb) = URL_SAFE_NO_PAD.decode(n.as_bytes()) else {
                    continue;
                };
                let significant = nb.iter().skip_while(|b| **b == 0).count();
                if significant < MIN_RSA_BYTES || URL_SAFE_NO_PAD.decode(e.as_bytes()).is_err() {
                    continue;
                }
                KeyMaterial::Rsa { n, e }
            }
            ("EC", _, _, Some(crv), Some(x), Some(y)) => {
                let len = match crv.as_str() {
                    "P-256" => 32,
                    "P-384" => 48,
                    _ => continue,
                };
                let ok = |c: &str| URL_SAFE_NO_PAD.decode(c).is_ok_and(|b| b.len() == len);
                if !ok(&x) || !ok(&y) {
                    continue;
                }
                KeyMaterial::Ec { crv, x, y }
            }
            _ => continue,
        };
        out.push(PublicKey {
            kid: k.kid,
            alg: k.alg,
            material,
        });
    }
    Ok(out)
}

impl PublicKey {
    /// Whether this key can verify a signature made with `alg`.
    pub fn fits(&self, alg: SigningAlg) -> bool {
        if self.alg.as_deref().is_some_and(|a| a != alg.as_str()) {
            return false;
        }
        match (&self.material, alg) {
            (
                KeyMaterial::Rsa { .. },
                SigningAlg::RS256
                | SigningAlg::RS384
                | SigningAlg::RS512
                | SigningAlg::PS256
                | SigningAlg::PS384
                | SigningAlg::PS512,
            ) => true,
            (KeyMaterial::Ec { crv, .. }, SigningAlg::ES256) => crv == "P-256",
            (KeyMaterial::Ec { crv, .. }, SigningAlg::ES384) => crv == "P-384",
            _ => false,
        }
    }

    pub(crate) fn decoding_key(&self) -> Result<jsonwebtoken::DecodingKey, OidcError> {
        match &self.material {
            KeyMaterial::Rsa { n, e } => jsonwebtoken::DecodingKey::from_rsa_components(n, e),
            KeyMaterial::Ec { x, y, .. } => jsonwebtoken::DecodingKey::from_ec_components(x, y),
        }
        .map_err(|e| OidcError::Jwks(format!("unusable key: {e}")))
    }
}

/// Chooses the key for an ID token: `Ok(None)` when no key has the `kid`
/// (or, without a `kid`, when no key fits) — the caller may refetch.
pub fn pick(
    keys: &[PublicKey],
    alg: SigningAlg,
    kid: Option<&str>,
) -> Result<Option<PublicKey>, OidcError> {
    match kid {
        Some(kid) => {
            let mut with_kid = keys
                .iter()
                .filter(|k| k.kid.as_deref() == Some(kid))
                .peekable();
            if with_kid.peek().is_none() {
                return Ok(None);
            }
            match with_kid.find(|k| k.fits(alg)) {
                Some(k) => Ok(Some(k.clone())),
                None => Err(OidcError::BadIdToken(format!(
                    "key {kid:?} cannot verify {alg}"
                ))),
            }
        }
        None => {
            let fitting: Vec<&PublicKey> = keys.iter().filter(|k| k.fits(alg)).collect();
            match fitting.as_slice() {
                [] => Ok(None),
                [one] => Ok(Some((*one).clone())),
                _ => Err(OidcError::BadIdToken(
                    "no kid in the header and several keys fit".into(),
                )),
            }
        }
    }
}

/// The cached JWKS of the provider.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    pub keys: Vec<PublicKey>,
    pub fetched_at: Millis,
    /// When the JWKS was last fetched because of an unknown `kid`.
    pub last_refetch: Option<Millis>,
}

impl KeyCache {
    /// May an unknown `kid` make us fetch the JWKS again now?
    pub fn may_refetch(&self, now: Millis, interval: Millis) -> bool {
        self.last_refetch
            .is_none_or(|t| now < t || now.saturating_sub(t) >= interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: &str = "AQAB";

    fn rsa_n() -> String {
        URL_SAFE_NO_PAD.encode([0xC5u8; 256])
    }

    fn ec_coord() -> String {
        URL_SAFE_NO_PAD.encode([7u8; 32])
    }

    #[test]
    fn keeps_only_usable_signature_keys() {
        let body = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "r1", "n": rsa_n(), "e": N},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": rsa_n(), "e": N},
            {"kty": "RSA", "kid": "small", "n": URL_SAFE_NO_PAD.encode([0xC5u8; 128]), "e": N},
            {"kty": "oct", "kid": "h", "k": "c2VjcmV0"},
            {"kty": "EC", "kid": "e1", "crv": "P-256", "x": ec_coord(), "y": ec_coord()},
            {"kty": "EC", "kid": "e2", "crv": "P-521", "x": ec_coord(), "y": ec_coord()},
            {"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": ec_coord()},
            "garbage",
        ]});
        let keys = parse_jwks(body.to_string().as_bytes()).unwrap();
        let kids: Vec<_> = keys.iter().filter_map(|k| k.kid.as_deref()).collect();
        assert_eq!(kids, ["r1", "e1"]);
        assert!(parse_jwks(b"{}").is_err());
        assert!(parse_jwks(b"not json").is_err());
    }

    #[test]
    fn picks_by_kid_and_algorithm() {
        let body = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "r1", "n": rsa_n(), "e": N, "alg": "RS256"},
            {"kty": "EC", "kid": "e1", "crv": "P-256", "x": ec_coord(), "y": ec_coord()},
        ]});
        let keys = parse_jwks(body.to_string().as_bytes()).unwrap();
        let pick_kid = |alg, kid| pick(&keys, alg, kid).map(|k| k.and_then(|k| k.kid));
        assert_eq!(
            pick_kid(SigningAlg::RS256, Some("r1")).unwrap().as_deref(),
            Some("r1")
        );
        assert_eq!(
            pick_kid(SigningAlg::ES256, None).unwrap().as_deref(),
            Some("e1")
        );
        assert_eq!(pick_kid(SigningAlg::RS256, Some("zz")).unwrap(), None);
        // The key's own alg restricts it; an EC key never verifies RSA.
        assert!(pick(&keys, SigningAlg::PS256, Some("r1")).is_err());
        assert!(pick(&keys, SigningAlg::RS256, Some("e1")).is_err());
        assert!(pick(&keys, SigningAlg::ES384, None).unwrap().is_none());
    }

    #[test]
    fn refetch_at_most_once_per_interval() {
        let mut c = KeyCache::default();
        assert!(c.may_refetch(1_000, 60_000));
        c.last_refetch = Some(1_000);
        assert!(!c.may_refetch(30_000, 60_000));
        assert!(c.may_refetch(61_000, 60_000));
    }
}
