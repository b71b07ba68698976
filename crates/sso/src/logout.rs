//! Logout (issue #12 §1): OpenID Connect RP-Initiated Logout 1.0 and
//! Back-Channel Logout 1.0.
//!
//! - Each code exchanged records which portal the session signed in to
//!   (`sso_sessions`, by the session's SHA-256; the ID token's `sid` is
//!   its first 32 characters).
//! - When a session of the national portal ends by logout — its own
//!   button, or a portal's end-session request — every portal it signed in
//!   to that registered a `backchannel_logout_uri` is sent a logout token
//!   (`typ: logout+jwt`, ES256: `iss`, `aud`, `iat`, `exp`, `jti`, `sub`,
//!   `sid`, the back-channel `events` member, no `nonce`), as a form `POST`
//!   queued with the logout and retried by the worker until the portal
//!   answers 2xx.
//! - An end-session request names its portal by `id_token_hint` (an ID
//!   token we signed, expired or not) or `client_id`; a
//!   `post_logout_redirect_uri` must be registered exactly for it.
//!
//! Not covered: sessions that end by expiry, by "log out everywhere" or by
//! a lock are not announced (docs/SSO.md).
use crate::store::{clients as client_store, sessions};
use motcua_domain::{Millis, SECOND};
use motcua_kernel::service::{Origin, Result};
use motcua_kernel::Core;
use serde_json::json;

/// The `events` member of a logout token.
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A logout token lives this long.
const TOKEN_TTL: Millis = 120 * SECOND;

/// Records that the session `session_hash` signed `account_id` in to
/// `client` (when its code is exchanged).
pub async fn signed_in(
    core: &Core,
    session_hash: &str,
    client: &str,
    account_id: i64,
    now: Millis,
) -> Result<()> {
    if session_hash.is_empty() {
        return Ok(());
    }
    let mut c = core.store.conn().await?;
    sessions::insert(&mut c, session_hash, client, account_id, now).await?;
    Ok(())
}

/// The session `session_hash` ended: queues a logout token to every
/// portal it signed in to that listens, in one transaction; how many.
pub async fn ended(
    core: &Core,
    origin: &Origin,
    session_hash: &str,
    cfg: &crate::Config,
    now: Millis,
) -> Result<usize> {
    if session_hash.is_empty() {
        return Ok(0);
    }
    let mut tx = core.store.begin().await?;
    let signed = sessions::take(&mut tx, session_hash).await?;
    let sid = &session_hash[..session_hash.len().min(32)];
    let mut sent = 0;
    for (client_id, account_id) in signed {
        let Some(client) = client_store::get(&mut tx, &client_id).await? else {
            continue;
        };
        if client.status != "active" || client.backchannel_logout_uri.is_empty() {
            continue;
        }
        let token = crate::keys::sign(
            core,
            "logout+jwt",
            &json!({
                "iss": crate::issuer(core), "aud": client.client_id,
                "iat": now / 1000, "exp": (now + TOKEN_TTL) / 1000, "jti": crate::random(),
                "sub": crate::claims::subject(core, account_id), "sid": sid,
                "events": { EVENT: {} },
            }),
            now,
            cfg.key_keep(),
        )
        .await?;
        motcua_kernel::service::queue_post_form(
            &mut tx,
            core,
            &client.backchannel_logout_uri,
            vec![("logout_token".into(), token)],
            now,
        )
        .await?;
        motcua_store::audit::append(
            &mut tx,
            &origin.audit,
            "sso.backchannel_logout",
            &format!("sso-client:{client_id}"),
            &json!({ "sid": sid }).to_string(),
            now,
        )
        .await?;
        sent += 1;
    }
    tx.commit().await?;
    if sent > 0 {
        core.jobs_notify.notify_one();
    }
    Ok(sent)
}

/// An end-session request, as the portal sends it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct EndSession {
    #[serde(default)]
    pub id_token_hint: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub post_logout_redirect_uri: String,
    #[serde(default)]
    pub state: String,
}

/// What an end-session request asks, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// The portal, when named.
    pub client_id: Option<String>,
    pub client_name: String,
    /// The `sid` of the hint, when there is one.
    pub sid: Option<String>,
    /// Where to go afterwards (with `state`), when registered.
    pub redirect: Option<String>,
}

/// Why an end-session request is refused (shown on a page, never
/// redirected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The hint is not an ID token of ours, or names another client.
    Hint,
    /// The redirect is not registered for the client (or none is named).
    Redirect,
}

/// Checks an end-session request at `now`.
pub async fn request(
    core: &Core,
    q: &EndSession,
    now: Millis,
) -> Result<std::result::Result<Ending, Refused>> {
    let mut client_id = Some(q.client_id.trim().to_string()).filter(|c| !c.is_empty());
    let mut sid = None;
    if !q.id_token_hint.trim().is_empty() {
        // Expired hints are fine (the spec's own example): only our
        // signature and our issuer count.
        let claims = if q.id_token_hint.len() > 4096 {
            None
        } else {
            crate::keys::verify(core, "JWT", q.id_token_hint.trim(), now).await?
        };
        let Some(claims) =
            claims.filter(|c| c["iss"].as_str() == Some(crate::issuer(core).as_str()))
        else {
            return Ok(Err(Refused::Hint));
        };
        let aud = claims["aud"].as_str().unwrap_or_default().to_string();
        if client_id.as_ref().is_some_and(|c| *c != aud) {
            return Ok(Err(Refused::Hint));
        }
        sid = claims["sid"].as_str().map(str::to_string);
        client_id = Some(aud);
    }
    let client = match &client_id {
        Some(id) => crate::clients::get(core, id).await?,
        None => None,
    };
    let redirect = q.post_logout_redirect_uri.trim();
    let redirect = if redirect.is_empty() {
        None
    } else {
        match &client {
            Some(c) if c.status == "active" && c.post_logout_uris.iter().any(|u| u == redirect) => {
                let mut u = url::Url::parse(redirect).map_err(|_| {
                    motcua_kernel::ServiceError::Internal("a registered URI does not parse".into())
                })?;
                if !q.state.is_empty() && q.state.len() <= 512 {
                    u.query_pairs_mut().append_pair("state", &q.state);
                }
                Some(u.to_string())
            }
            _ => return Ok(Err(Refused::Redirect)),
        }
    };
    Ok(Ok(Ending {
        client_name: client.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        client_id,
        sid,
        redirect,
    }))
}

/// Forgets sign-in records older than `before` (the worker).
pub async fn purge(core: &Core, before: Millis) -> Result<u64> {
    let mut c = core.store.conn().await?;
    Ok(sessions::purge(&mut c, before).await?)
}
