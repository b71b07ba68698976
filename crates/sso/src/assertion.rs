//! Client authentication with a signed assertion — `private_key_jwt`
//! (OpenID Connect Core §9, RFC 7523 §3): a client registered with that
//! method and its public keys (a JWKS: P-256 `EC` keys for ES256, `RSA`
//! keys for RS256) proves itself with a JWT it signs: `iss` and `sub` its
//! `client_id`, `aud` the token endpoint (or the issuer), `exp` within
//! ten minutes, a `jti` used once. Such a client cannot use a secret.
use crate::store::{assertions, clients::Client};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use motcua_domain::{Millis, SECOND};
use motcua_kernel::service::Result;
use motcua_kernel::Core;
use ring::signature::{self, UnparsedPublicKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `client_assertion_type` of a JWT assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An assertion may live at most this long.
const MAX_TTL: Millis = 600 * SECOND;

/// At most this many keys in a client's JWKS.
pub const MAX_KEYS: usize = 10;

fn b64(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// Whether `jwks` is a JWKS this portal can use: 1–10 public keys, each
/// an `EC` P-256 or an `RSA` key of at least 2048 bits, no private member.
pub fn valid_jwks(jwks: &str) -> bool {
    let Ok(v) = serde_json::from_str::<Value>(jwks) else {
        return false;
    };
    let Some(keys) = v["keys"].as_array() else {
        return false;
    };
    !keys.is_empty()
        && keys.len() <= MAX_KEYS
        && keys.iter().all(|k| {
            let private = ["d", "p", "q", "dp", "dq", "qi"]
                .iter()
                .any(|m| k.get(*m).is_some());
            !private
                && match k["kty"].as_str() {
                    Some("EC") => ec_point(k).is_some(),
                    Some("RSA") => {
                        k["n"]
                            .as_str()
                            .and_then(b64)
                            .is_some_and(|n| n.len() >= 256)
                            && k["e"].as_str().and_then(b64).is_some()
                    }
                    _ => false,
                }
        })
}

/// The uncompressed point of a P-256 JWK.
fn ec_point(k: &Value) -> Option<Vec<u8>> {
    if k["crv"].as_str() != Some("P-256") {
        return None;
    }
    let (x, y) = (b64(k["x"].as_str()?)?, b64(k["y"].as_str()?)?);
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let mut p = Vec::with_capacity(65);
    p.push(4);
    p.extend_from_slice(&x);
    p.extend_from_slice(&y);
    Some(p)
}

/// Whether `sig` over `msg` verifies with one of `keys` for `alg`
/// (the key `kid` names, else every key of the right type).
fn verified(keys: &[Value], kid: Option<&str>, alg: &str, msg: &[u8], sig: &[u8]) -> bool {
    keys.iter()
        .filter(|k| kid.is_none_or(|id| k["kid"].as_str() == Some(id)))
        .any(|k| match (alg, k["kty"].as_str()) {
            ("ES256", Some("EC")) => ec_point(k).is_some_and(|p| {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, p)
                    .verify(msg, sig)
                    .is_ok()
            }),
            ("RS256", Some("RSA")) => {
                match (k["n"].as_str().and_then(b64), k["e"].as_str().and_then(b64)) {
                    (Some(n), Some(e)) => signature::RsaPublicKeyComponents { n, e }
                        .verify(&signature::RSA_PKCS1_2048_8192_SHA256, msg, sig)
                        .is_ok(),
                    _ => false,
                }
            }
            _ => false,
        })
}

/// The client an assertion authenticates at `now`, for the endpoint at
/// `endpoint` (its `aud` may be that URL or the issuer); `client_id`, if
/// the request names one, must be the assertion's. None whatever was
/// wrong (the caller answers `invalid_client`).
pub async fn authenticate(
    core: &Core,
    client_id: &str,
    assertion: &str,
    endpoint: &str,
    now: Millis,
) -> Result<Option<Client>> {
    if assertion.len() > 8192 {
        return Ok(None);
    }
    let mut parts = assertion.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(None);
    };
    let (Some(header), Some(payload), Some(sig)) = (b64(h), b64(p), b64(s)) else {
        return Ok(None);
    };
    let (Ok(header), Ok(claims)) = (
        serde_json::from_slice::<Value>(&header),
        serde_json::from_slice::<Value>(&payload),
    ) else {
        return Ok(None);
    };
    let alg = header["alg"].as_str().unwrap_or_default();
    if alg != "ES256" && alg != "RS256" {
        return Ok(None);
    }
    let (Some(iss), Some(sub)) = (claims["iss"].as_str(), claims["sub"].as_str()) else {
        return Ok(None);
    };
    if iss != sub || (!client_id.is_empty() && client_id != iss) {
        return Ok(None);
    }
    let Some(client) = ({
        let mut c = core.store.conn().await?;
        crate::store::clients::get(&mut c, iss).await?
    }) else {
        return Ok(None);
    };
    if client.status != "active" || client.auth_method != "private_key_jwt" {
        return Ok(None);
    }
    let issuer = crate::issuer(core);
    let aud_ok = |a: &Value| a.as_str().is_some_and(|a| a == endpoint || a == issuer);
    let aud = &claims["aud"];
    if !(aud_ok(aud) || aud.as_array().is_some_and(|l| l.iter().any(aud_ok))) {
        return Ok(None);
    }
    let Some(exp) = claims["exp"].as_i64().map(|e| e.saturating_mul(1000)) else {
        return Ok(None);
    };
    if exp <= now || exp > now + MAX_TTL {
        return Ok(None);
    }
    if claims["nbf"]
        .as_i64()
        .is_some_and(|n| n.saturating_mul(1000) > now + 60 * SECOND)
    {
        return Ok(None);
    }
    let Some(jti) = claims["jti"]
        .as_str()
        .filter(|j| !j.is_empty() && j.len() <= 256)
    else {
        return Ok(None);
    };
    let keys: Vec<Value> = serde_json::from_str::<Value>(&client.jwks)
        .ok()
        .and_then(|v| v["keys"].as_array().cloned())
        .unwrap_or_default();
    let msg = format!("{h}.{p}");
    if !verified(&keys, header["kid"].as_str(), alg, msg.as_bytes(), &sig) {
        return Ok(None);
    }
    // One use: spent after the signature (a forged one spends nothing).
    let mut h = Sha256::new();
    h.update(client.client_id.as_bytes());
    h.update([0]);
    h.update(jti.as_bytes());
    let mut c = core.store.conn().await?;
    if !assertions::spend(&mut c, &hex::encode(h.finalize()), exp).await? {
        return Ok(None);
    }
    Ok(Some(client))
}
