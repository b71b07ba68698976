//! The provider's signing keys: ES256 (P-256), made here with `ring`.
//! The private key is kept in the database wrapped with AES-256-GCM under
//! a key derived from the portal's secret (`secret_key`), so a copy of the
//! database alone cannot sign. The newest active key signs; a rotated key
//! stays in the JWKS until every token it signed has expired.
use crate::store::keys::{self as store, Key};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use motcua_domain::Millis;
use motcua_kernel::service::{Result, ServiceError};
use motcua_kernel::Core;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use serde_json::{json, Value};

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

/// The wrapping key: HMAC-SHA256 of a fixed label under the secret.
fn wrapping_key(core: &Core) -> Result<LessSafeKey> {
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(&core.config.secret_key).map_err(internal)?;
    mac.update(b"motcua-sso-signing-key-wrap");
    let k = mac.finalize().into_bytes();
    let unbound = UnboundKey::new(&AES_256_GCM, &k).map_err(|_| internal("wrapping key"))?;
    Ok(LessSafeKey::new(unbound))
}

fn wrap(core: &Core, kid: &str, pkcs8: &[u8]) -> Result<String> {
    let key = wrapping_key(core)?;
    let mut nonce = [0u8; 12];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| internal("random"))?;
    let mut data = pkcs8.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(kid.as_bytes()),
        &mut data,
    )
    .map_err(|_| internal("seal"))?;
    Ok(format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(nonce),
        URL_SAFE_NO_PAD.encode(data)
    ))
}

fn unwrap(core: &Core, kid: &str, wrapped: &str) -> Result<EcdsaKeyPair> {
    let (n, d) = wrapped.split_once('.').ok_or(internal("wrapped key"))?;
    let nonce: [u8; 12] = URL_SAFE_NO_PAD
        .decode(n)
        .map_err(internal)?
        .try_into()
        .map_err(|_| internal("nonce"))?;
    let mut data = URL_SAFE_NO_PAD.decode(d).map_err(internal)?;
    let key = wrapping_key(core)?;
    let plain = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(kid.as_bytes()),
            &mut data,
        )
        // The secret changed since the key was made.
        .map_err(|_| internal("the signing key cannot be opened with this secret_key"))?;
    EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        plain,
        &SystemRandom::new(),
    )
    .map_err(|_| internal("signing key"))
}

/// Makes a new signing key at `now` and retires the others: they stop
/// signing and leave the JWKS at `now + keep` (the longest lifetime of
/// what they signed). Its `kid`.
pub async fn rotate(core: &Core, now: Millis, keep: Millis) -> Result<String> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| internal("key generation"))?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(|_| internal("key"))?;
    let point = pair.public_key().as_ref();
    // Uncompressed point: 0x04 || x (32) || y (32).
    if point.len() != 65 {
        return Err(internal("public key"));
    }
    let mut id = [0u8; 12];
    rng.fill(&mut id).map_err(|_| internal("random"))?;
    let kid = URL_SAFE_NO_PAD.encode(id);
    let key = Key {
        kid: kid.clone(),
        wrapped: wrap(core, &kid, pkcs8.as_ref())?,
        public_x: URL_SAFE_NO_PAD.encode(&point[1..33]),
        public_y: URL_SAFE_NO_PAD.encode(&point[33..65]),
        created_at: now,
        retired_at: None,
        expires_at: None,
    };
    let mut tx = core.store.begin().await?;
    store::retire_all(&mut tx, now, now + keep).await?;
    store::insert(&mut tx, &key).await?;
    motcua_store::audit::append(
        &mut tx,
        &motcua_kernel::service::Origin::cli().audit,
        "sso.key_rotated",
        &format!("sso-key:{kid}"),
        "{}",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(kid)
}

/// Rotates when the signing key is `cfg.key_days` old (none yet: nothing
/// to do, the first signature makes one). The new key's `kid`, if made.
/// Two nodes at once may both rotate: both keys are published, the newest
/// signs.
pub async fn rotate_if_due(
    core: &Core,
    cfg: &crate::Config,
    now: Millis,
) -> Result<Option<String>> {
    let active = {
        let mut c = core.store.conn().await?;
        store::active(&mut c).await?
    };
    match active {
        Some(k) if k.created_at + cfg.key_days.max(1) * motcua_domain::DAY <= now => {
            Ok(Some(rotate(core, now, cfg.key_keep()).await?))
        }
        _ => Ok(None),
    }
}

/// Keys already opened in this process, by `kid` (a `kid` is 96 random
/// bits, made once): signing does not decrypt and parse the key each time.
fn opened(
) -> &'static std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<EcdsaKeyPair>>> {
    static OPENED: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<EcdsaKeyPair>>>,
    > = std::sync::OnceLock::new();
    OPENED.get_or_init(Default::default)
}

/// The key that signs now (read each time: another node may have rotated
/// it), made on first use.
async fn current(
    core: &Core,
    now: Millis,
    keep: Millis,
) -> Result<(String, std::sync::Arc<EcdsaKeyPair>)> {
    let found = {
        let mut c = core.store.conn().await?;
        store::active(&mut c).await?
    };
    let key = match found {
        Some(k) => k,
        None => {
            rotate(core, now, keep).await?;
            let mut c = core.store.conn().await?;
            store::active(&mut c)
                .await?
                .ok_or(internal("no signing key"))?
        }
    };
    let cached = opened()
        .lock()
        .map_err(|_| internal("key cache"))?
        .get(&key.kid)
        .cloned();
    let pair = match cached {
        Some(p) => p,
        None => {
            let p = std::sync::Arc::new(unwrap(core, &key.kid, &key.wrapped)?);
            opened()
                .lock()
                .map_err(|_| internal("key cache"))?
                .insert(key.kid.clone(), p.clone());
            p
        }
    };
    Ok((key.kid, pair))
}

/// A compact JWS (ES256) of `claims` with the current key; `typ` in the
/// header (`JWT`, `at+jwt`, `logout+jwt`).
pub async fn sign(
    core: &Core,
    typ: &str,
    claims: &Value,
    now: Millis,
    keep: Millis,
) -> Result<String> {
    let (kid, pair) = current(core, now, keep).await?;
    let header = json!({ "alg": "ES256", "typ": typ, "kid": kid });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = pair
        .sign(&SystemRandom::new(), input.as_bytes())
        .map_err(|_| internal("sign"))?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref())))
}

/// The claims of a JWS signed by one of our keys still published, with
/// header `typ`; None when anything is wrong (the caller checks `exp`).
pub async fn verify(core: &Core, typ: &str, jws: &str, now: Millis) -> Result<Option<Value>> {
    let mut parts = jws.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(None);
    };
    let decode = |x: &str| URL_SAFE_NO_PAD.decode(x).ok();
    let Some(header) = decode(h).and_then(|b| serde_json::from_slice::<Value>(&b).ok()) else {
        return Ok(None);
    };
    if header["alg"] != "ES256" || header["typ"] != typ {
        return Ok(None);
    }
    let Some(kid) = header["kid"].as_str() else {
        return Ok(None);
    };
    let key = {
        let mut c = core.store.conn().await?;
        store::published_key(&mut c, kid, now).await?
    };
    let Some(key) = key else { return Ok(None) };
    let (Some(x), Some(y), Some(sig)) = (decode(&key.public_x), decode(&key.public_y), decode(s))
    else {
        return Ok(None);
    };
    let mut point = vec![4u8];
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    let input = format!("{h}.{p}");
    if UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(input.as_bytes(), &sig)
        .is_err()
    {
        return Ok(None);
    }
    Ok(decode(p).and_then(|b| serde_json::from_slice(&b).ok()))
}

/// The JWKS: every key not yet expired at `now`.
pub async fn jwks(core: &Core, now: Millis) -> Result<Value> {
    let mut c = core.store.conn().await?;
    let keys: Vec<Value> = store::published(&mut c, now)
        .await?
        .into_iter()
        .map(|k| {
            json!({
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256",
                "kid": k.kid, "x": k.public_x, "y": k.public_y,
            })
        })
        .collect();
    Ok(json!({ "keys": keys }))
}
