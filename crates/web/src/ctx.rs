//! The request context every page handler takes: who is asking (session
//! and account), in which language, from where, and the CSRF token to put
//! in forms.
use crate::error::AppError;
use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use motcua_domain::Role;
use motcua_identity::Account;
use motcua_identity::Session;
use motcua_mail::Locale;
use motcua_store::audit;
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};

pub const SESSION_COOKIE: &str = "motcua_session";
pub const PRE_COOKIE: &str = "motcua_pre";
pub const LANG_COOKIE: &str = "lang";

/// Random id carried through logs and the audit trail.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A fresh pre-session token the middleware minted for this request.
#[derive(Debug, Clone)]
pub struct PreToken(pub String);

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
pub use motcua_domain::token::{random_token, sha256_hex};

/// The value of the request cookie `name`, parsed by `axum-extra`'s cookie
/// jar (the `cookie` crate: RFC 6265 pairs across every `Cookie` header).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(name)
        .map(|c| c.value().to_string())
}

/// A `Set-Cookie` value: path `/`, `HttpOnly`, `SameSite=Lax`, an optional
/// `Max-Age`, and `Secure` when the portal is served over HTTPS.
pub fn set_cookie(name: &str, value: &str, max_age_secs: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = Cookie::build((name.to_string(), value.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    if let Some(a) = max_age_secs {
        c = c.max_age(time::Duration::seconds(a));
    }
    HeaderValue::from_str(&c.build().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

pub fn csrf_for(secret: &[u8], binding: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(b"csrf|");
    mac.update(binding.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The interface language: the visitor's explicit choice (the language
/// switch sets a cookie), else Vietnamese — the portal's first language,
/// whatever the browser's own settings.
pub fn locale_from(headers: &HeaderMap) -> Locale {
    match cookie(headers, LANG_COOKIE) {
        Some(l) => Locale::parse(&l),
        None => Locale::Vi,
    }
}

pub fn client_ip(parts: &Parts, trusted: &[ipnet::IpNet]) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let Some(peer) = peer else {
        return "unknown".into();
    };
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    real_client(peer, forwarded, trusted).to_string()
}

/// The client's address behind trusted reverse proxies (the convention of
/// nginx's `real_ip_recursive`): if the peer is a trusted proxy, walk
/// `X-Forwarded-For` from the right (the entries the trusted proxies
/// appended) and take the first address that is not a trusted proxy. The
/// left part of the header is whatever the client sent and is never
/// believed. An entry that is not an address stops the walk at the last
/// hop known good. IPv4-mapped IPv6 addresses count as IPv4.
pub fn real_client<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    let mut client = canonical(peer);
    if !is_trusted(&client) {
        return client;
    }
    let entries: Vec<&str> = forwarded.flat_map(|h| h.split(',')).collect();
    for entry in entries.iter().rev() {
        let Some(ip) = parse_forwarded(entry) else {
            return client;
        };
        client = canonical(ip);
        if !is_trusted(&client) {
            return client;
        }
    }
    client
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, optionally `[v6]` or with a port.
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    if let Ok(ip) = e.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = e.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    e.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse::<IpAddr>().ok())
}

#[derive(Clone)]
pub struct Viewer {
    pub session: Session,
    /// Unread notifications (up to 100), for the header.
    pub unread: i64,
    /// The raw cookie token (to rotate or end this session).
    pub token: String,
    pub account: Account,
    /// The account accepted an earlier version of the terms or the privacy
    /// notice and not the current one ([`terms_gate`]).
    pub terms_pending: bool,
}

#[derive(Clone)]
pub struct Ctx {
    pub locale: Locale,
    pub ip: String,
    pub user_agent: String,
    pub request_id: String,
    pub viewer: Option<Viewer>,
    pub csrf: String,
    pub path: String,
    /// SHA-256 of the session (or pre-session) cookie token: what signing
    /// challenges and sign-ups are bound to, so only this browser can use them.
    pub binding_hash: String,
}

impl Ctx {
    pub fn audit(&self) -> audit::Ctx {
        audit::Ctx {
            actor: match &self.viewer {
                Some(v) => format!("account:{}", v.account.id),
                None => "anonymous".into(),
            },
            ip: self.ip.clone(),
            request_id: self.request_id.clone(),
        }
    }

    /// The logged-in viewer, or a redirect to the login page that returns here.
    // The error is the response itself, handed straight back to axum.
    #[allow(clippy::result_large_err)]
    pub fn user(&self) -> Result<&Viewer, Response> {
        match &self.viewer {
            Some(v) => Ok(v),
            None => {
                let next = urlencode(&self.path);
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
        }
    }

    // The error is the response itself, handed straight back to axum.
    #[allow(clippy::result_large_err)]
    pub fn operator(&self) -> Result<&Viewer, Response> {
        let v = self.user()?;
        if v.account.has_role(Role::Operator) {
            Ok(v)
        } else {
            Err(AppError::Forbidden.into_response())
        }
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A local path to return to (after login, a language switch, a step-up):
/// see [`crate::redirect::local_target`]; anything else becomes "/".
pub fn safe_next(state: &AppState, next: Option<&str>) -> String {
    crate::redirect::local_target(&state.config.public_url, next)
}

/// A request of a logged-in account. As an extractor placed before the
/// body's, it sends anonymous visitors to the login page before any form
/// or upload is read (a missing field must not answer before the check).
pub struct LoggedIn(pub Ctx);

/// A logged-in request with its viewer at hand (the same check as
/// [`LoggedIn`], for handlers that act as the viewer).
pub struct Me(pub Ctx, pub Viewer);

/// New terms or a new privacy notice since the account accepted them
/// (issue #11 §4): accepted before any other page of the account. The
/// viewer's flag is read with the session, once per request; both `Me`
/// and `auth::ready_user` ask here.
#[allow(clippy::result_large_err)]
pub fn terms_gate(ctx: &Ctx) -> Result<(), Response> {
    let pending = ctx.viewer.as_ref().is_some_and(|v| v.terms_pending);
    if !pending || ctx.path.starts_with("/policy/accept") {
        return Ok(());
    }
    let next: String = url::form_urlencoded::byte_serialize(ctx.path.as_bytes()).collect();
    Err(Redirect::to(&format!("/policy/accept?next={next}")).into_response())
}

impl FromRequestParts<AppState> for Me {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let v = ctx.user()?.clone();
        terms_gate(&ctx)?;
        Ok(Me(ctx, v))
    }
}

impl FromRequestParts<AppState> for LoggedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        ctx.user()?;
        Ok(LoggedIn(ctx))
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Built once per request: a layer that needed it (the console
        // gate) leaves it for the handler, so the session is read once.
        if let Some(ctx) = parts.extensions.get::<Ctx>() {
            return Ok(ctx.clone());
        }
        let now = state.now();
        let locale = locale_from(&parts.headers);
        let ip = client_ip(parts, &state.config.trusted_proxies);
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(300)
            .collect();
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let mut viewer = None;
        if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
            viewer = load_viewer(state, &token, now)
                .await
                .map_err(IntoResponse::into_response)?;
        }
        // A logged-in user without a language cookie gets the account's language.
        let locale = match (&viewer, cookie(&parts.headers, LANG_COOKIE)) {
            (Some(v), None) => Locale::parse(&v.account.locale),
            _ => locale,
        };
        let binding = match &viewer {
            Some(v) => v.token.clone(),
            None => parts
                .extensions
                .get::<PreToken>()
                .map(|p| p.0.clone())
                .or_else(|| cookie(&parts.headers, PRE_COOKIE))
                .unwrap_or_default(),
        };
        let csrf = csrf_for(&state.config.secret_key, &binding);
        let binding_hash = sha256_hex(&binding);
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let ctx = Ctx {
            locale,
            ip,
            user_agent,
            request_id,
            viewer,
            csrf,
            path,
            binding_hash,
        };
        parts.extensions.insert(ctx.clone());
        Ok(ctx)
    }
}

async fn load_viewer(state: &AppState, token: &str, now: i64) -> Result<Option<Viewer>, AppError> {
    let Some((session, account)) =
        motcua_identity::service::resume_session(state, token, now).await?
    else {
        return Ok(None);
    };
    let unread = motcua_dossiers::queries::unread(state, account.id.get()).await?;
    let terms_pending = !motcua_identity::portal::to_accept(state, account.id)
        .await?
        .is_empty();
    Ok(Some(Viewer {
        session,
        unread,
        token: token.to_string(),
        account,
        terms_pending,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use motcua_kernel::settings::parse_proxy;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(v: &[&str]) -> Vec<ipnet::IpNet> {
        v.iter().map(|s| parse_proxy(s).unwrap()).collect()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let got = real_client(ip("203.0.113.9"), ["1.2.3.4"].into_iter(), &[]);
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn an_untrusted_peer_cannot_forward() {
        let t = nets(&["10.0.0.0/8"]);
        let got = real_client(ip("203.0.113.9"), ["1.2.3.4"].into_iter(), &t);
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let t = nets(&["10.0.0.0/8", "127.0.0.1"]);
        // The client forged 6.6.6.6; the proxy appended the real 198.51.100.7.
        let got = real_client(ip("127.0.0.1"), ["6.6.6.6, 198.51.100.7"].into_iter(), &t);
        assert_eq!(got, ip("198.51.100.7"));
        // Two proxies in a row, several header lines.
        let got = real_client(
            ip("10.0.0.2"),
            ["6.6.6.6", "198.51.100.7, 10.0.0.1"].into_iter(),
            &t,
        );
        assert_eq!(got, ip("198.51.100.7"));
    }

    #[test]
    fn garbage_stops_at_the_last_good_hop() {
        let t = nets(&["127.0.0.1"]);
        let got = real_client(ip("127.0.0.1"), ["1.2.3.4, not-an-ip"].into_iter(), &t);
        assert_eq!(got, ip("127.0.0.1"));
        let got = real_client(ip("127.0.0.1"), [""].into_iter(), &t);
        assert_eq!(got, ip("127.0.0.1"));
        let got = real_client(ip("127.0.0.1"), ["[2001:db8::1]"].into_iter(), &t);
        assert_eq!(got, ip("2001:db8::1"));
        let got = real_client(ip("127.0.0.1"), ["192.0.2.1:5555"].into_iter(), &t);
        assert_eq!(got, ip("192.0.2.1"));
    }

    #[test]
    fn mapped_addresses_and_networks() {
        let t = nets(&["10.1.2.3"]);
        assert!(parse_proxy("banana").is_err());
        assert!(parse_proxy("10.0.0.0/33").is_err());
        let got = real_client(ip("::ffff:10.1.2.3"), ["198.51.100.7"].into_iter(), &t);
        assert_eq!(got, ip("198.51.100.7"));
    }
}
