//! Registered clients: the operator registers a ministry's or province's
//! portal (it signs people in) or system (client credentials, scoped to
//! its agency). The secret is 256 random bits, shown once and kept as its
//! SHA-256. Every change is audited.
use crate::store::clients::{self as store, Client};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use motcua_domain::Millis;
use motcua_kernel::service::{Origin, Result, ServiceError};
use motcua_kernel::Core;
use rand::Rng;
use sha2::{Digest, Sha256};

/// The registration form, as typed.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    pub client_id: String,
    pub name: String,
    pub kind: String,
    pub agency_code: String,
    /// One a line.
    pub redirect_uris: String,
    pub post_logout_uris: String,
    /// Where back-channel logout tokens go (a portal; optional).
    pub backchannel_logout_uri: String,
    /// `client_secret` (default) or `private_key_jwt`.
    pub auth_method: String,
    /// The client's public keys (a JWKS), for `private_key_jwt`.
    pub jwks: String,
    pub scopes: Vec<String>,
    pub max_level: String,
}

pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// A redirect URI as registered: an absolute https URL (http only for a
/// loopback host, for development), without a fragment; parsed as a
/// WHATWG URL and kept exactly as typed (matching is exact).
pub fn check_uri(s: &str) -> bool {
    let Ok(u) = url::Url::parse(s) else {
        return false;
    };
    let loopback = u.host().is_some_and(|h| match h {
        url::Host::Domain(d) => d == "localhost",
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    });
    let scheme_ok = u.scheme() == "https" || (u.scheme() == "http" && loopback);
    scheme_ok
        && u.fragment().is_none()
        && u.host().is_some()
        && u.username().is_empty()
        && u.password().is_none()
        && s.len() <= 500
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn lines(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    v.dedup();
    v
}

/// Registers a client; its secret (shown once).
pub async fn register(core: &Core, origin: &Origin, f: &NewClient, now: Millis) -> Result<String> {
    let id = f.client_id.trim();
    if !(3..=64).contains(&id.len())
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
    {
        return Err(ServiceError::field("client_id", "sso.error_client_id"));
    }
    let name = f.name.trim();
    if !(2..=200).contains(&name.chars().count()) || name.chars().any(char::is_control) {
        return Err(ServiceError::field("name", "sso.error_name"));
    }
    let system = match f.kind.as_str() {
        "portal" => false,
        "system" => true,
        _ => return Err(ServiceError::field("kind", "sso.error_kind")),
    };
    let redirects = lines(&f.redirect_uris);
    let logouts = lines(&f.post_logout_uris);
    if (!system && redirects.is_empty())
        || redirects.len() > 20
        || logouts.len() > 20
        || !redirects.iter().chain(logouts.iter()).all(|u| check_uri(u))
    {
        return Err(ServiceError::field(
            "redirect_uris",
            "sso.error_redirect_uri",
        ));
    }
    let backchannel = f.backchannel_logout_uri.trim().to_string();
    if !backchannel.is_empty() && (system || !check_uri(&backchannel)) {
        return Err(ServiceError::field(
            "backchannel_logout_uri",
            "sso.error_redirect_uri",
        ));
    }
    let auth_method = match f.auth_method.trim() {
        "" | "client_secret" => "client_secret",
        "private_key_jwt" => "private_key_jwt",
        _ => return Err(ServiceError::field("auth_method", "sso.error_kind")),
    };
    let jwks = if auth_method == "private_key_jwt" {
        let j = f.jwks.trim();
        if j.len() > 20_000 || !crate::assertion::valid_jwks(j) {
            return Err(ServiceError::field("jwks", "sso.error_jwks"));
        }
        j.to_string()
    } else {
        String::new()
    };
    let mut scopes: Vec<String> = f.scopes.iter().map(|s| s.trim().to_string()).collect();
    scopes.sort();
    scopes.dedup();
    let known = |s: &str| {
        if system {
            crate::SYSTEM_SCOPES.contains(&s)
        } else {
            crate::SCOPES.iter().any(|(k, _)| *k == s)
        }
    };
    if !scopes.iter().all(|s| known(s)) || (!system && !scopes.iter().any(|s| s == "openid")) {
        return Err(ServiceError::field("scopes", "sso.error_scopes"));
    }
    let max_level = f
        .max_level
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=4).contains(n))
        .ok_or(ServiceError::field("max_level", "sso.error_level"))?;
    let agency = f.agency_code.trim().to_string();
    if (system || !agency.is_empty())
        && motcua_catalog::queries::agency(core, &agency)
            .await?
            .is_none()
    {
        return Err(ServiceError::field("agency_code", "sso.error_agency"));
    }
    let secret = new_secret();
    let client = Client {
        client_id: id.to_string(),
        name: name.to_string(),
        kind: f.kind.clone(),
        agency_code: agency,
        secret_hash: secret_hash(&secret),
        redirect_uris: if system { Vec::new() } else { redirects },
        post_logout_uris: if system { Vec::new() } else { logouts },
        backchannel_logout_uri: backchannel,
        auth_method: auth_method.to_string(),
        jwks,
        scopes,
        max_level,
        status: "active".into(),
        created_at: now,
        updated_at: now,
    };
    let mut tx = core.store.begin().await?;
    if store::get(&mut tx, id).await?.is_some() {
        return Err(ServiceError::field("client_id", "sso.error_taken"));
    }
    store::insert(&mut tx, &client).await?;
    let detail = serde_json::to_string(&client).unwrap_or_default();
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        "sso.client_registered",
        &format!("sso-client:{id}"),
        &detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// Suspends or resumes a client, or gives it a new secret (returned).
pub async fn change(
    core: &Core,
    origin: &Origin,
    client_id: &str,
    action: &str,
    now: Millis,
) -> Result<Option<String>> {
    let mut tx = core.store.begin().await?;
    let c = store::get(&mut tx, client_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (status, secret) = match action {
        "disable" => ("disabled", None),
        "enable" => ("active", None),
        "new_secret" => (c.status.as_str(), Some(new_secret())),
        _ => return Err(ServiceError::field("action", "sso.error_kind")),
    };
    store::update(
        &mut tx,
        client_id,
        status,
        secret.as_deref().map(secret_hash).as_deref(),
        now,
    )
    .await?;
    motcua_store::audit::append(
        &mut tx,
        &origin.audit,
        &format!("sso.client_{action}"),
        &format!("sso-client:{client_id}"),
        "{}",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

pub async fn all(core: &Core) -> Result<Vec<Client>> {
    let mut c = core.store.conn().await?;
    Ok(store::all(&mut c).await?)
}

pub async fn get(core: &Core, client_id: &str) -> Result<Option<Client>> {
    let mut c = core.store.conn().await?;
    Ok(store::get(&mut c, client_id).await?)
}

/// The active client `client_id` if `secret` is its secret (compared in
/// constant time); None otherwise, whatever was wrong — also for a client
/// that authenticates with its key (`private_key_jwt`).
pub async fn authenticate(core: &Core, client_id: &str, secret: &str) -> Result<Option<Client>> {
    if client_id.is_empty() || client_id.len() > 64 || secret.is_empty() || secret.len() > 200 {
        return Ok(None);
    }
    let Some(c) = get(core, client_id).await? else {
        return Ok(None);
    };
    let ok =
        subtle::ConstantTimeEq::ct_eq(secret_hash(secret).as_bytes(), c.secret_hash.as_bytes());
    Ok((bool::from(ok) && c.status == "active" && c.auth_method == "client_secret").then_some(c))
}
