//! The page routes' own layers: the console gate and the error pages.
//! They live with the pages they guard and render (the generic layers are
//! in `crate::middleware`, which knows nothing of pages).
use crate::ctx;
use crate::error::ErrorInfo;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// The operator's console (`/console`, `/console/…`) is closed to everyone
/// else before any handler or form parsing runs: anonymous visitors go to
/// the login page, other roles get 403. Each handler checks again
/// (the `Operator` extractor), so a route added outside this prefix is not left open.
pub async fn console_gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path != "/console" && !path.starts_with("/console/") {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let ctx = match <ctx::Ctx as axum::extract::FromRequestParts<AppState>>::from_request_parts(
        &mut parts, &state,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    // As the handlers' `Operator` extractor: an initial or expired password is
    // changed first, then the role decides.
    if let Err(r) = super::auth::ready_user(&state, &ctx).await {
        return r;
    }
    if let Err(r) = ctx.operator() {
        return r;
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Turns every error response of a page route — our own errors, axum's
/// extractor rejections (plain text), 404s and 413s — into a page in the
/// visitor's language. Malformed input never reaches the user as a 500.
pub async fn error_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    // Pages speak the visitor's chosen language; the API its caller's
    // Accept-Language, as the API's own problems do.
    let locale = if path.starts_with("/api/") {
        super::api::locale_of(req.headers())
    } else {
        ctx::locale_from(req.headers())
    };
    let res = next.run(req).await;
    let status = res.status();
    if !status.is_client_error() && !status.is_server_error() {
        return res;
    }
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if path.starts_with("/api/") {
        return api_problem(&state, locale, res);
    }
    if !crate::middleware::is_page_path(&path) || is_html {
        return res;
    }
    let key = error_key(&res);
    let mut page = super::error_page(&state, locale, status, key);
    for v in res.headers().get_all(header::SET_COOKIE) {
        page.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    page
}

/// The message key of an error response: the one our error carries, or
/// the generic one of its status (axum's own rejections carry none).
fn error_key(res: &Response) -> &'static str {
    match res.extensions().get::<ErrorInfo>() {
        Some(i) => i.key,
        None => match res.status() {
            StatusCode::NOT_FOUND => "error.not_found",
            StatusCode::METHOD_NOT_ALLOWED => "error.method",
            StatusCode::PAYLOAD_TOO_LARGE => "error.too_large",
            StatusCode::FORBIDDEN => "error.forbidden",
            StatusCode::CONFLICT => "error.conflict",
            StatusCode::TOO_MANY_REQUESTS => "error.rate_limited",
            s if s.is_server_error() => "error.internal",
            _ => "error.bad_input",
        },
    }
}

/// Every error of an `/api/` route is an RFC 9457 problem document: the
/// handlers' own problems, and errors a protocol defines (marked
/// [`crate::error::ProtocolError`]), pass as they are; any other error (a service
/// error mapped by `AppError`, an unknown route, a wrong method, a body too
/// large) becomes one, with the message in the caller's language as title.
fn api_problem(state: &AppState, locale: motcua_mail::Locale, res: Response) -> Response {
    if res
        .extensions()
        .get::<crate::error::ProtocolError>()
        .is_some()
    {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if is_problem {
        return res;
    }
    let status = res.status();
    let kind = match status {
        StatusCode::BAD_REQUEST => "bad-request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::TOO_MANY_REQUESTS => "too-many-requests",
        s if s.is_server_error() => "internal",
        _ => "error",
    };
    let mut out = super::api::problem_document(
        status,
        kind,
        state.i18n.get(locale, error_key(&res)),
        serde_json::json!({}),
    );
    for name in [header::WWW_AUTHENTICATE, header::RETRY_AFTER, header::ALLOW] {
        for v in res.headers().get_all(&name) {
            out.headers_mut().append(name.clone(), v.clone());
        }
    }
    out
}
