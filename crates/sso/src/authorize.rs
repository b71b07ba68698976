//! The authorization request (OpenID Connect Core §3.1.2): the code flow
//! only, PKCE S256 required. What cannot be sent back safely (an unknown
//! or suspended client, a redirect URI not registered exactly) is said on
//! the portal's page; every other error goes back to the client's
//! redirect URI with `error`, `state` and `iss` (RFC 9207).
use crate::store::clients::Client;
use crate::store::{codes, grants};
use crate::Config;
use motcua_domain::Millis;
use motcua_kernel::service::Result;
use motcua_kernel::Core;
use sha2::{Digest, Sha256};

/// The request's parameters, as received.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Request {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: String,
    pub scope: String,
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
    pub code_challenge_method: String,
    pub acr_values: String,
    pub prompt: String,
}

/// Who is logged in on the portal.
#[derive(Debug, Clone)]
pub struct Who {
    pub account_id: i64,
    /// SHA-256 of the portal session (for logout).
    pub session_hash: String,
    pub level: i64,
    pub auth_time: Millis,
}

/// What happens next.
#[derive(Debug, Clone)]
pub enum Step {
    /// Nothing may be sent back: the portal's page says why (a message key).
    Refuse(&'static str),
    /// Back to the client (an error or the code).
    Redirect(String),
    /// Log in first, then come back.
    Login,
    /// The session's level is lower than the client asked: step up to it.
    StepUp(i64),
    /// Ask the person.
    Consent {
        client: Box<Client>,
        scopes: Vec<String>,
    },
}

fn back(redirect: &str, pairs: &[(&str, &str)]) -> String {
    let mut u = match url::Url::parse(redirect) {
        Ok(u) => u,
        Err(_) => return redirect.to_string(),
    };
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in pairs {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
    }
    u.to_string()
}

/// The error `code` back to the client.
fn error(core: &Core, r: &Request, code: &str) -> Step {
    Step::Redirect(back(
        &r.redirect_uri,
        &[
            ("error", code),
            ("state", &r.state),
            ("iss", &crate::issuer(core)),
        ],
    ))
}

/// The level the client asks for: the lowest of its `acr_values` that we
/// know (any of them satisfies it), 1 when none.
fn asked_level(acr_values: &str) -> i64 {
    acr_values
        .split(' ')
        .filter_map(crate::level_of)
        .min()
        .unwrap_or(1)
}

/// Decides the next step of request `r` for `who` (None: not logged in);
/// `consented`: the person just allowed it on the consent page.
pub async fn step(
    core: &Core,
    cfg: &Config,
    origin: &motcua_kernel::service::Origin,
    r: &Request,
    who: Option<&Who>,
    consented: bool,
    now: Millis,
) -> Result<Step> {
    let client = match crate::clients::get(core, &r.client_id).await? {
        Some(c) if c.status == "active" && c.kind == "portal" => c,
        _ => return Ok(Step::Refuse("sso.error_client")),
    };
    // Exact match: no prefix, no normalisation.
    if !client.redirect_uris.contains(&r.redirect_uri) {
        return Ok(Step::Refuse("sso.error_redirect"));
    }
    if r.response_type != "code" {
        return Ok(error(core, r, "unsupported_response_type"));
    }
    if r.state.len() > 512 || r.nonce.len() > 512 || r.acr_values.len() > 512 {
        return Ok(error(core, r, "invalid_request"));
    }
    let mut scopes: Vec<String> = r
        .scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    scopes.sort();
    scopes.dedup();
    if !scopes.iter().any(|s| s == "openid") {
        return Ok(error(core, r, "invalid_scope"));
    }
    // A client asking for what it may not have is refused, not trimmed.
    if !scopes.iter().all(|s| client.scopes.contains(s)) {
        return Ok(error(core, r, "invalid_scope"));
    }
    if r.code_challenge_method != "S256"
        || r.code_challenge.len() != 43
        || !r
            .code_challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(error(core, r, "invalid_request"));
    }
    let level = asked_level(&r.acr_values);
    if level > client.max_level {
        return Ok(error(core, r, "invalid_request"));
    }
    let prompts: Vec<&str> = r.prompt.split(' ').filter(|p| !p.is_empty()).collect();
    let none = prompts.contains(&"none");
    let Some(who) = who else {
        return Ok(if none {
            error(core, r, "login_required")
        } else {
            Step::Login
        });
    };
    if prompts.contains(&"login") && !consented && who.auth_time + 60_000 < now {
        // A fresh login was asked for.
        return Ok(if none {
            error(core, r, "login_required")
        } else {
            Step::Login
        });
    }
    if who.level < level {
        return Ok(if none {
            error(core, r, "login_required")
        } else {
            Step::StepUp(level)
        });
    }
    let scope = scopes.join(" ");
    let granted = {
        let mut c = core.store.conn().await?;
        grants::get(&mut c, who.account_id, &client.client_id).await?
    };
    let covered = granted.as_ref().is_some_and(|g| {
        g.revoked_at.is_none() && scopes.iter().all(|s| g.scope.split(' ').any(|x| x == s))
    });
    if !consented && (!covered || prompts.contains(&"consent")) {
        return Ok(if none {
            error(core, r, "consent_required")
        } else {
            Step::Consent {
                client: Box::new(client),
                scopes,
            }
        });
    }
    // The code: 256 random bits, kept as its SHA-256, spent once.
    let code = crate::random();
    let mut tx = core.store.begin().await?;
    if consented || !covered {
        grants::put(&mut tx, who.account_id, &client.client_id, &scope, now).await?;
    } else {
        grants::touch(&mut tx, who.account_id, &client.client_id, now).await?;
    }
    codes::insert(
        &mut tx,
        &codes::Code {
            code_hash: hex::encode(Sha256::digest(code.as_bytes())),
            client_id: client.client_id.clone(),
            account_id: who.account_id,
            session_hash: who.session_hash.clone(),
            redirect_uri: r.redirect_uri.clone(),
            scope,
            nonce: r.nonce.clone(),
            code_challenge: r.code_challenge.clone(),
            level: who.level,
            auth_time: who.auth_time,
            expires_at: now + cfg.code_ttl(),
        },
    )
    .await?;
    if consented {
        motcua_store::audit::append(
            &mut tx,
            &origin.audit,
            "sso.consent",
            &format!("account:{}", who.account_id),
            &serde_json::json!({ "client": client.client_id, "scope": r.scope }).to_string(),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Step::Redirect(back(
        &r.redirect_uri,
        &[
            ("code", &code),
            ("state", &r.state),
            ("iss", &crate::issuer(core)),
        ],
    )))
}

/// The person refused: `access_denied` back to the client (only for a
/// request that may be sent back).
pub async fn denied(core: &Core, r: &Request) -> Result<Step> {
    match crate::clients::get(core, &r.client_id).await? {
        Some(c) if c.status == "active" && c.redirect_uris.contains(&r.redirect_uri) => {
            Ok(error(core, r, "access_denied"))
        }
        Some(_) => Ok(Step::Refuse("sso.error_redirect")),
        None => Ok(Step::Refuse("sso.error_client")),
    }
}
