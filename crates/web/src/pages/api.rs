//! Personal API tokens and the holder's own API (R-ID-13: services and API
//! scopes declare the assurance level they need). A holder makes a token
//! on `/account/api-tokens` with the scopes their software needs; the token
//! carries the method and level of the login that made it. A scope above
//! the session's level sends the holder to step up first; a token below a
//! scope's level (the operator may raise it later, key `api.<scope>` in
//! `[identity.required_levels]`) is answered as RFC 9470 says:
//! `401`, `WWW-Authenticate: Bearer error="insufficient_user_authentication"`
//! and an RFC 9457 problem document naming the level and where to step up.
use super::{render, Chrome};
use crate::ctx::{self, Ctx};
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use motcua_domain::clock::format_vn;
use motcua_domain::{ApiTokenId, AssuranceLevel};
use motcua_identity::api_tokens::{self, NewToken};
use motcua_identity::store::api_tokens::ApiToken;
use motcua_identity::Account;
use motcua_mail::Locale;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

pub use motcua_identity::api_tokens::{Scope, SCOPES};

/// The level `scope` needs now (declared, or the operator's override).
pub fn scope_level(state: &AppState, scope: &Scope) -> AssuranceLevel {
    motcua_identity::api_tokens::scope_level(&state.identity, scope)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/api-tokens", get(tokens_page).post(create_token))
        .route("/account/api-tokens/{id}/revoke", post(revoke_token))
        .route("/api/v1/me", get(api_me))
        .route("/api/v1/me/activity", get(api_activity))
        .route("/api/v1/me/certificates", get(api_certificates))
}

// ------------------------------------------------------------------ page

pub struct ScopeView {
    pub name: &'static str,
    pub key: &'static str,
    /// "level 3 (high)".
    pub level_short: String,
}

pub struct TokenView {
    pub id: ApiTokenId,
    pub name: String,
    pub scopes: String,
    /// "level 3 (high)".
    pub level_short: String,
    pub method_key: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "identity/api_tokens.html")]
struct TokensPage {
    c: Chrome,
    level: i64,
    /// What the session's level means.
    level_words: String,
    scopes: Vec<ScopeView>,
    tokens: Vec<TokenView>,
    /// A token just made: shown once.
    new_token: Option<String>,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct FlashQuery {
    m: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    flash: Option<&str>,
    new_token: Option<String>,
    error: Option<&'static str>,
) -> Response {
    if let Err(r) = super::auth::ready_user(state, ctx).await {
        return r;
    }
    let Ok(v) = ctx.user() else {
        return AppError::NotFound.into_response();
    };
    let rows = tri!(api_tokens::of_account(state, v.account.id).await);
    let now = state.now();
    let c = Chrome::new(state, ctx).with_flash(flash);
    let short = |l: i64| crate::plain::level_short(&state.i18n, c.locale(), l);
    let tokens = rows
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            active: t.usable_at(now),
            name: t.name,
            scopes: t.scopes,
            level_short: short(t.assurance_level),
            method_key: format!("method.{}", t.method),
            created: format_vn(t.created_at),
            expires: format_vn(t.expires_at),
            last_used: t.last_used_at.map(format_vn).unwrap_or_default(),
        })
        .collect();
    let scopes = SCOPES
        .iter()
        .map(|s| ScopeView {
            name: s.name,
            key: s.key,
            level_short: short(i64::from(scope_level(state, s).get())),
        })
        .collect();
    let level_words = crate::plain::level_words(
        &state.i18n,
        c.locale(),
        &state.identity.levels,
        v.session.assurance_level,
    );
    let mut r = render(&TokensPage {
        c,
        level: v.session.assurance_level,
        level_words,
        scopes,
        tokens,
        new_token,
        error,
    });
    if error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

pub async fn tokens_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FlashQuery>,
) -> Response {
    page(&state, &ctx, q.m.as_deref(), None, None).await
}

/// Makes a token with the chosen scopes (`scope.<name>` fields) at the
/// session's method and level; a scope above that level asks for a
/// step-up first.
pub async fn create_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = super::auth::ready_user(&state, &ctx).await {
        return r;
    }
    let Ok(v) = ctx.user() else {
        return AppError::NotFound.into_response();
    };
    let name: String = f
        .get("name")
        .map(|n| n.trim().chars().take(80).collect())
        .unwrap_or_default();
    let chosen: Vec<&Scope> = SCOPES
        .iter()
        .filter(|s| f.contains_key(&format!("scope.{}", s.name)))
        .collect();
    let days: i64 = match f.get("days").map(String::as_str) {
        Some("30") => 30,
        Some("365") => 365,
        _ => 90,
    };
    if name.is_empty() {
        return page(&state, &ctx, None, None, Some("api.error.name")).await;
    }
    if chosen.is_empty() {
        return page(&state, &ctx, None, None, Some("api.error.scopes")).await;
    }
    let needed = chosen
        .iter()
        .map(|s| scope_level(&state, s))
        .max()
        .unwrap_or(AssuranceLevel::LOW);
    if v.session.assurance_level < i64::from(needed.get()) {
        return Redirect::to(&format!(
            "/auth/step-up?level={}&next={}",
            needed.get(),
            ctx::urlencode("/account/api-tokens")
        ))
        .into_response();
    }
    let made = api_tokens::create(
        &state,
        &super::auth::origin(&ctx),
        NewToken {
            account_id: v.account.id,
            name,
            scopes: chosen.iter().map(|s| s.name).collect(),
            method: &v.session.method,
            assurance_level: v.session.assurance_level,
            days,
        },
        state.now(),
    )
    .await;
    match made {
        Ok(token) => page(&state, &ctx, Some("api_token_created"), Some(token), None).await,
        Err(e) => AppError::from(e).into_response(),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<ApiTokenId>,
) -> Response {
    if let Err(r) = super::auth::ready_user(&state, &ctx).await {
        return r;
    }
    let Ok(v) = ctx.user() else {
        return AppError::NotFound.into_response();
    };
    let now = state.now();
    let done = api_tokens::revoke(&state, &super::auth::origin(&ctx), v.account.id, id, now).await;
    match done {
        Ok(true) => Redirect::to("/account/api-tokens?m=api_token_revoked").into_response(),
        Ok(false) => AppError::NotFound.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

// ------------------------------------------------------------------- API

pub(super) fn locale_of(headers: &HeaderMap) -> Locale {
    let en = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("en"));
    if en {
        Locale::En
    } else {
        Locale::Vi
    }
}

/// An RFC 9457 problem document, with the bearer challenge of RFC 6750 /
/// RFC 9470 when there is one.
fn problem(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    kind: &str,
    challenge: Option<String>,
    extra: serde_json::Value,
) -> Response {
    let title = state
        .i18n
        .get(locale_of(headers), &format!("api.problem.{kind}"));
    let mut r = problem_document(status, kind, title, extra);
    if let Some(c) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, c);
    }
    r
}

/// The RFC 9457 document itself: `type` `urn:motcua:problem:<kind>`, the
/// `title` given, `status`, and the members of `extra`.
pub(super) fn problem_document(
    status: StatusCode,
    kind: &str,
    title: &str,
    extra: serde_json::Value,
) -> Response {
    let mut body = json!({
        "type": format!("urn:motcua:problem:{kind}"),
        "title": title,
        "status": status.as_u16(),
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

/// The token's holder, if the bearer token is valid, has `scope` and was
/// made at the level the scope needs.
async fn bearer(
    state: &AppState,
    headers: &HeaderMap,
    scope: &str,
) -> Result<(ApiToken, Account), Response> {
    let realm = "Bearer realm=\"motcua\"";
    let Some(raw) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 200)
    else {
        return Err(problem(
            state,
            headers,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            Some(realm.into()),
            json!({}),
        ));
    };
    let invalid = || {
        problem(
            state,
            headers,
            StatusCode::UNAUTHORIZED,
            "invalid-token",
            Some(format!("{realm}, error=\"invalid_token\"")),
            json!({}),
        )
    };
    let now = state.now();
    let found = api_tokens::authenticate(state, raw, now)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    let Some((token, account)) = found else {
        return Err(invalid());
    };
    let Some(declared) = SCOPES.iter().find(|s| s.name == scope) else {
        return Err(invalid());
    };
    if !token.has_scope(scope) {
        return Err(problem(
            state,
            headers,
            StatusCode::FORBIDDEN,
            "insufficient-scope",
            Some(format!(
                "{realm}, error=\"insufficient_scope\", scope=\"{scope}\""
            )),
            json!({ "scope": scope }),
        ));
    }
    let needed = scope_level(state, declared);
    if token.assurance_level < i64::from(needed.get()) {
        let step_up = format!(
            "/auth/step-up?level={}&next={}",
            needed.get(),
            ctx::urlencode("/account/api-tokens")
        );
        return Err(problem(
            state,
            headers,
            StatusCode::UNAUTHORIZED,
            "insufficient-user-authentication",
            Some(format!(
                "{realm}, error=\"insufficient_user_authentication\", \
                 error_description=\"assurance level {} required\", acr_values=\"urn:motcua:level:{}\"",
                needed.get(),
                needed.get()
            )),
            json!({
                "scope": scope,
                "required_level": needed.get(),
                "token_level": token.assurance_level,
                "step_up": step_up,
            }),
        ));
    }
    // The last use is shown to the holder; failing to record it does not
    // refuse an authorized call, but is logged.
    if let Err(e) = api_tokens::touch(state, token.id, now).await {
        tracing::warn!(token = %token.id, error = %e, "api token last use not recorded");
    }
    Ok((token, account))
}

fn json_ok(v: serde_json::Value) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        v.to_string(),
    )
        .into_response()
}

/// `profile:read`: who the token's holder is.
#[utoipa::path(get, path = "/api/v1/me", tag = "personal",
    responses((status = 200, description = "With a personal API token of scope `profile:read`", body = super::openapi::Me), (status = "default", description = "An RFC 9457 problem", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("personal_token" = ["profile:read"])))]
pub async fn api_me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match bearer(&state, &headers, "profile:read").await {
        Ok((_, a)) => json_ok(json!({
            "id": a.id,
            "username": a.username,
            "full_name": a.full_name,
            "roles": a.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "status": a.status.as_str(),
        })),
        Err(r) => r,
    }
}

/// `activity:read`: the holder's latest activity (R-ID-14), method included.
#[utoipa::path(get, path = "/api/v1/me/activity", tag = "personal",
    responses((status = 200, description = "With a personal API token of scope `activity:read`", body = super::openapi::ActivityList), (status = "default", description = "An RFC 9457 problem", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("personal_token" = ["activity:read"])))]
pub async fn api_activity(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (_, a) = match bearer(&state, &headers, "activity:read").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let rows = motcua_identity::queries::activity(&state, a.id, None, 50).await;
    match rows {
        Ok((rows, next)) => json_ok(json!({
            "more": next.is_some(),
            "items": rows.iter().map(|r| json!({
                "kind": r.kind, "method": r.method, "ip": r.ip, "at": r.at,
            })).collect::<Vec<_>>(),
        })),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// `certificates:read`: the certificates bound to the account.
#[utoipa::path(get, path = "/api/v1/me/certificates", tag = "personal",
    responses((status = 200, description = "With a personal API token of scope `certificates:read`", body = super::openapi::CertificateList), (status = "default", description = "An RFC 9457 problem", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("personal_token" = ["certificates:read"])))]
pub async fn api_certificates(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (_, a) = match bearer(&state, &headers, "certificates:read").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let rows = motcua_identity::queries::certificates(&state, a.id).await;
    match rows {
        Ok(rows) => json_ok(json!({
            "items": rows.iter().map(|r| json!({
                "subject": r.subject_dn, "issuer": r.issuer_dn, "serial": r.serial_hex,
                "not_before": r.not_before, "not_after": r.not_after,
            })).collect::<Vec<_>>(),
        })),
        Err(e) => AppError::from(e).into_response(),
    }
}
