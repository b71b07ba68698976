//! The token endpoint (RFC 6749 §3.2; OpenID Connect Core §3.1.3),
//! userinfo, introspection (RFC 7662) and revocation (RFC 7009).
//!
//! - `authorization_code`: the client authenticated (secret, Basic or in
//!   the form), the code spent once (a second use revokes what the first
//!   gave), the same redirect URI, the PKCE verifier; an ID token and an
//!   access token (JWT, ES256, `at+jwt`), and a refresh token when
//!   `offline_access` was granted.
//! - `refresh_token`: rotated on every use; presenting a used one revokes
//!   its whole family (a stolen token is then useless to both).
//! - `client_credentials`: a system client's access token, scoped to its
//!   agency and its allowed scopes.
use crate::store::{clients::Client, codes, refresh};
use crate::Config;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use motcua_domain::Millis;
use motcua_kernel::service::Result;
use motcua_kernel::Core;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn sha(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The form of a token request.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Form {
    pub grant_type: String,
    pub code: String,
    pub redirect_uri: String,
    pub code_verifier: String,
    pub refresh_token: String,
    pub scope: String,
    pub client_id: String,
    pub client_secret: String,
    pub client_assertion_type: String,
    pub client_assertion: String,
}

/// An OAuth error (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    UnauthorizedClient,
    UnsupportedGrantType,
}

impl Error {
    pub fn code(self) -> &'static str {
        match self {
            Error::InvalidClient => "invalid_client",
            Error::InvalidGrant => "invalid_grant",
            Error::InvalidRequest => "invalid_request",
            Error::InvalidScope => "invalid_scope",
            Error::UnauthorizedClient => "unauthorized_client",
            Error::UnsupportedGrantType => "unsupported_grant_type",
        }
    }
}

/// The authenticated client of a request to `endpoint`: a signed
/// assertion (`private_key_jwt`), else a secret from the `Authorization:
/// Basic` header or the form. Two methods at once are refused.
pub async fn client(
    core: &Core,
    basic: Option<(String, String)>,
    f: &Form,
    endpoint: &str,
    now: Millis,
) -> Result<Option<Client>> {
    if !f.client_assertion.is_empty() || !f.client_assertion_type.is_empty() {
        if f.client_assertion_type != crate::assertion::JWT_BEARER
            || basic.is_some()
            || !f.client_secret.is_empty()
        {
            return Ok(None);
        }
        return crate::assertion::authenticate(
            core,
            &f.client_id,
            &f.client_assertion,
            endpoint,
            now,
        )
        .await;
    }
    let (id, secret) = basic.unwrap_or_else(|| (f.client_id.clone(), f.client_secret.clone()));
    crate::clients::authenticate(core, &id, &secret).await
}

/// The tokens of a person's sign-in (`account_id`, `scope`, …) for `client`.
#[allow(clippy::too_many_arguments)]
async fn person_tokens(
    core: &Core,
    cfg: &Config,
    client: &Client,
    account_id: i64,
    scope: &str,
    level: i64,
    auth_time: Millis,
    nonce: &str,
    session_hash: &str,
    family: Option<&str>,
    now: Millis,
) -> Result<Value> {
    let iss = crate::issuer(core);
    let sub = crate::claims::subject(core, account_id);
    let (iat, exp) = (now / 1000, (now + cfg.token_ttl()) / 1000);
    let keep = cfg.key_keep();
    let access = crate::keys::sign(
        core,
        "at+jwt",
        &json!({
            "iss": iss, "sub": sub, "aud": client.client_id, "client_id": client.client_id,
            "scope": scope, "acr": crate::acr(level), "auth_time": auth_time / 1000,
            "iat": iat, "exp": exp, "jti": crate::random(), "uid": account_id,
        }),
        now,
        keep,
    )
    .await?;
    // at_hash: the left half of the access token's SHA-256 (ES256).
    let digest = Sha256::digest(access.as_bytes());
    let at_hash = URL_SAFE_NO_PAD.encode(&digest[..16]);
    let mut id_claims = json!({
        "iss": iss, "sub": sub, "aud": client.client_id, "azp": client.client_id,
        "iat": iat, "exp": exp, "auth_time": auth_time / 1000,
        "acr": crate::acr(level), "at_hash": at_hash, "sid": &session_hash[..session_hash.len().min(32)],
    });
    if !nonce.is_empty() {
        id_claims["nonce"] = json!(nonce);
    }
    let id_token = crate::keys::sign(core, "JWT", &id_claims, now, keep).await?;
    let mut out = json!({
        "access_token": access, "token_type": "Bearer", "expires_in": cfg.token_seconds,
        "id_token": id_token, "scope": scope,
    });
    if scope.split(' ').any(|s| s == "offline_access") {
        let token = crate::random();
        let mut c = core.store.conn().await?;
        refresh::insert(
            &mut c,
            &refresh::Refresh {
                token_hash: sha(&token),
                family: family.map_or_else(crate::random, str::to_string),
                client_id: client.client_id.clone(),
                account_id,
                scope: scope.to_string(),
                level,
                auth_time,
                session_hash: session_hash.to_string(),
                created_at: now,
                expires_at: now + cfg.refresh_ttl(),
                used_at: None,
                revoked_at: None,
            },
        )
        .await?;
        out["refresh_token"] = json!(token);
    }
    Ok(out)
}

/// Answers a token request from `client` (already authenticated).
pub async fn grant(
    core: &Core,
    cfg: &Config,
    client: &Client,
    f: &Form,
    now: Millis,
) -> Result<std::result::Result<Value, Error>> {
    match f.grant_type.as_str() {
        "authorization_code" => {
            if client.kind != "portal" {
                return Ok(Err(Error::UnauthorizedClient));
            }
            if f.code.is_empty()
                || f.code.len() > 100
                || f.code_verifier.len() < 43
                || f.code_verifier.len() > 128
            {
                return Ok(Err(if f.code.is_empty() {
                    Error::InvalidRequest
                } else {
                    Error::InvalidGrant
                }));
            }
            let hash = sha(&f.code);
            let spent = {
                let mut c = core.store.conn().await?;
                codes::spend(&mut c, &hash, now).await?
            };
            let code = match spent {
                codes::Spent::Fresh(code) => code,
                codes::Spent::Replayed(k) => {
                    // A code used twice: the refresh tokens it gave are
                    // withdrawn (RFC 6749 §4.1.2).
                    let mut c = core.store.conn().await?;
                    refresh::revoke_grant(&mut c, k.account_id, &k.client_id, now).await?;
                    return Ok(Err(Error::InvalidGrant));
                }
                codes::Spent::Unknown => return Ok(Err(Error::InvalidGrant)),
            };
            if code.client_id != client.client_id || code.redirect_uri != f.redirect_uri {
                return Ok(Err(Error::InvalidGrant));
            }
            let challenge = motcua_oidc::rp::pkce_challenge(&f.code_verifier);
            if !bool::from(subtle::ConstantTimeEq::ct_eq(
                challenge.as_bytes(),
                code.code_challenge.as_bytes(),
            )) {
                return Ok(Err(Error::InvalidGrant));
            }
            if !crate::grants::live(core, code.account_id, &client.client_id, now / 1000).await? {
                return Ok(Err(Error::InvalidGrant));
            }
            // The session is told to this portal when it ends.
            crate::logout::signed_in(
                core,
                &code.session_hash,
                &client.client_id,
                code.account_id,
                now,
            )
            .await?;
            Ok(Ok(person_tokens(
                core,
                cfg,
                client,
                code.account_id,
                &code.scope,
                code.level,
                code.auth_time,
                &code.nonce,
                &code.session_hash,
                None,
                now,
            )
            .await?))
        }
        "refresh_token" => {
            if f.refresh_token.is_empty() || f.refresh_token.len() > 100 {
                return Ok(Err(Error::InvalidRequest));
            }
            let hash = sha(&f.refresh_token);
            let mut c = core.store.conn().await?;
            let Some(t) = refresh::get(&mut c, &hash).await? else {
                return Ok(Err(Error::InvalidGrant));
            };
            if t.client_id != client.client_id {
                return Ok(Err(Error::InvalidGrant));
            }
            if t.used_at.is_some() {
                // Reuse of a rotated token: the whole family goes.
                refresh::revoke_family(&mut c, &t.family, now).await?;
                return Ok(Err(Error::InvalidGrant));
            }
            if t.revoked_at.is_some() || t.expires_at <= now {
                return Ok(Err(Error::InvalidGrant));
            }
            if !refresh::spend(&mut c, &hash, now).await? {
                refresh::revoke_family(&mut c, &t.family, now).await?;
                return Ok(Err(Error::InvalidGrant));
            }
            drop(c);
            if !crate::grants::live(core, t.account_id, &client.client_id, now / 1000).await? {
                return Ok(Err(Error::InvalidGrant));
            }
            // A narrower scope may be asked; never a wider one.
            let scope = if f.scope.trim().is_empty() {
                t.scope.clone()
            } else {
                let asked: Vec<&str> = f.scope.split(' ').filter(|s| !s.is_empty()).collect();
                if !asked.iter().all(|s| t.scope.split(' ').any(|x| x == *s)) {
                    return Ok(Err(Error::InvalidScope));
                }
                asked.join(" ")
            };
            Ok(Ok(person_tokens(
                core,
                cfg,
                client,
                t.account_id,
                &scope,
                t.level,
                t.auth_time,
                "",
                &t.session_hash,
                Some(&t.family),
                now,
            )
            .await?))
        }
        "client_credentials" => {
            if client.kind != "system" {
                return Ok(Err(Error::UnauthorizedClient));
            }
            let scope: Vec<&str> = if f.scope.trim().is_empty() {
                client.scopes.iter().map(String::as_str).collect()
            } else {
                f.scope.split(' ').filter(|s| !s.is_empty()).collect()
            };
            if !scope.iter().all(|s| client.scopes.iter().any(|x| x == s)) {
                return Ok(Err(Error::InvalidScope));
            }
            let scope = scope.join(" ");
            let (iat, exp) = (now / 1000, (now + cfg.token_ttl()) / 1000);
            let access = crate::keys::sign(
                core,
                "at+jwt",
                &json!({
                    "iss": crate::issuer(core), "sub": client.client_id,
                    "aud": crate::issuer(core), "client_id": client.client_id,
                    "agency": client.agency_code, "scope": scope,
                    "iat": iat, "exp": exp, "jti": crate::random(),
                }),
                now,
                cfg.key_keep(),
            )
            .await?;
            Ok(Ok(json!({
                "access_token": access, "token_type": "Bearer",
                "expires_in": cfg.token_seconds, "scope": scope,
            })))
        }
        "" => Ok(Err(Error::InvalidRequest)),
        _ => Ok(Err(Error::UnsupportedGrantType)),
    }
}

/// A live access token's claims: ours, unexpired at `now`, and (for a
/// person's) its grant still live; None otherwise.
pub async fn access(core: &Core, token: &str, now: Millis) -> Result<Option<Value>> {
    if token.len() > 4096 {
        return Ok(None);
    }
    let Some(claims) = crate::keys::verify(core, "at+jwt", token, now).await? else {
        return Ok(None);
    };
    if claims["exp"].as_i64().is_none_or(|e| e * 1000 <= now)
        || claims["iss"].as_str() != Some(crate::issuer(core).as_str())
    {
        return Ok(None);
    }
    if let Some(uid) = claims["uid"].as_i64() {
        let client = claims["client_id"].as_str().unwrap_or_default();
        let iat = claims["iat"].as_i64().unwrap_or_default();
        if !crate::grants::live(core, uid, client, iat).await? {
            return Ok(None);
        }
    }
    Ok(Some(claims))
}

/// Userinfo: the claims of the token's scope (a person's token only);
/// the released claims' names for the reuse log.
pub async fn userinfo(
    core: &Core,
    token: &str,
    now: Millis,
) -> Result<Option<(i64, String, Value, Vec<&'static str>)>> {
    let Some(claims) = access(core, token, now).await? else {
        return Ok(None);
    };
    let Some(uid) = claims["uid"].as_i64() else {
        return Ok(None);
    };
    let scope = claims["scope"].as_str().unwrap_or_default();
    let level = claims["acr"]
        .as_str()
        .and_then(crate::level_of)
        .unwrap_or(1);
    let (m, released) = crate::claims::of(core, uid, scope, level).await?;
    let client = claims["client_id"].as_str().unwrap_or_default().to_string();
    Ok(Some((uid, client, Value::Object(m), released)))
}

/// Introspection by `client` (RFC 7662): active or not; a token of
/// another client is "not active" to it.
pub async fn introspect(core: &Core, client: &Client, token: &str, now: Millis) -> Result<Value> {
    if let Some(c) = access(core, token, now).await? {
        if c["client_id"].as_str() == Some(client.client_id.as_str()) {
            let mut out = json!({
                "active": true, "token_type": "Bearer", "client_id": c["client_id"],
                "scope": c["scope"], "sub": c["sub"], "exp": c["exp"], "iat": c["iat"], "iss": c["iss"],
            });
            if let Some(a) = c.get("acr") {
                out["acr"] = a.clone();
            }
            return Ok(out);
        }
        return Ok(json!({ "active": false }));
    }
    let mut conn = core.store.conn().await?;
    if let Some(t) = refresh::get(&mut conn, &sha(token)).await? {
        if t.client_id == client.client_id
            && t.used_at.is_none()
            && t.revoked_at.is_none()
            && t.expires_at > now
        {
            return Ok(json!({
                "active": true, "token_type": "refresh_token", "client_id": t.client_id,
                "scope": t.scope, "sub": crate::claims::subject(core, t.account_id),
                "exp": t.expires_at / 1000,
            }));
        }
    }
    Ok(json!({ "active": false }))
}

/// Revocation by `client` (RFC 7009): a refresh token's family ends; an
/// access token expires by itself within its short lifetime (its grant
/// may be revoked by the person). Always OK, as the RFC says.
pub async fn revoke(core: &Core, client: &Client, token: &str, now: Millis) -> Result<()> {
    let mut c = core.store.conn().await?;
    if let Some(t) = refresh::get(&mut c, &sha(token)).await? {
        if t.client_id == client.client_id {
            refresh::revoke_family(&mut c, &t.family, now).await?;
        }
    }
    Ok(())
}
