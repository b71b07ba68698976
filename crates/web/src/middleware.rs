//! Cross-cutting request handling: request ids, metrics and logs, security
//! headers, the pre-session cookie, CSRF enforcement on every
//! state-changing request, and friendly error pages.
use crate::ctx::{self, PreToken, RequestId, PRE_COOKIE, SESSION_COOKIE};
use crate::error::ErrorInfo;
use crate::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use subtle::ConstantTimeEq;

/// The pages' Content-Security-Policy; `connect-src` adds the signing
/// tool on the user's own computer (127.0.0.1), which the token pages call.
///
/// `form-action` adds the payment platform's origin: the "pay" form's
/// answer is a redirect there, which Chromium checks against it.
fn csp(state: &AppState) -> String {
    let platform = state
        .platform
        .as_ref()
        .map(|p| format!(" {}", p.origin()))
        .unwrap_or_default();
    format!(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         connect-src 'self' {}; frame-ancestors 'none'; form-action 'self'{platform}; base-uri 'none'; \
         object-src 'none'",
        state.identity.signer_origins()
    )
}

pub(crate) fn is_page_path(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics"
        || path.starts_with("/static/"))
}

/// Outermost layer: request id, timing, metrics, security headers.
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let start = std::time::Instant::now();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_string)
        .unwrap_or_else(|| {
            let mut b = [0u8; 8];
            rand::rng().fill_bytes(&mut b);
            hex::encode(b)
        });
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut res = next.run(req).await;
    let status = res.status().as_u16();
    state.metrics.record_status(status);
    tracing::debug!(%method, %path, status, request_id = %id, micros = start.elapsed().as_micros() as u64, "request");
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("x-request-id", v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // Browsers keep to HTTPS for a year once they have seen the portal
    // over HTTPS (they ignore the header on plain HTTP anyway).
    if state.config.secure_cookies() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // A page may ask for a stricter policy (the reset-link page sends
    // none, so its token never leaks in a Referer); keep it.
    if !h.contains_key("referrer-policy") {
        h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    }
    if is_page_path(&path) {
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        if let Ok(v) = HeaderValue::from_str(&csp(&state)) {
            h.insert("content-security-policy", v);
        }
        if !h.contains_key(header::CACHE_CONTROL) {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    res
}

/// Gives every browser a pre-session token (the CSRF binding before login)
/// and checks the CSRF token of every state-changing request: the form
/// field `csrf` or the `X-CSRF-Token` header must equal the HMAC of the
/// browser's session or pre-session cookie.
pub async fn csrf(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if !is_page_path(&path) {
        return next.run(req).await;
    }
    if req.uri().query().is_some_and(|q| has_nul(q.as_bytes())) {
        return error_response(StatusCode::BAD_REQUEST, "error.bad_input");
    }
    let mut minted = None;
    if ctx::cookie(req.headers(), PRE_COOKIE).is_none() {
        let t = ctx::random_token();
        req.extensions_mut().insert(PreToken(t.clone()));
        minted = Some(t);
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        if !same_origin_request(&state, req.headers()) {
            tracing::info!(%path, "cross-site state-changing request refused");
            return error_response(StatusCode::FORBIDDEN, "error.csrf");
        }
        let secret = &state.config.secret_key;
        let bindings: Vec<String> = [SESSION_COOKIE, PRE_COOKIE]
            .iter()
            .filter_map(|n| ctx::cookie(req.headers(), n))
            .map(|b| ctx::csrf_for(secret, &b))
            .collect();
        let header_token = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (parts, body) = req.into_parts();
        let multipart = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let limit = if multipart {
            state.config.max_upload_bytes
        } else {
            state.config.max_body_bytes
        };
        let bytes = match read_limited(body, limit).await {
            Some(b) => b,
            None => return error_response(StatusCode::PAYLOAD_TOO_LARGE, "error.too_large"),
        };
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let fields = if is_form {
            serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).unwrap_or_default()
        } else {
            Vec::new()
        };
        let boundary = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| multer::parse_boundary(v).ok());
        let form_token = match &boundary {
            Some(b) => multipart_csrf(bytes.clone(), b).await,
            None => fields
                .iter()
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.clone()),
        };
        let given = form_token.or(header_token).unwrap_or_default();
        let ok = !given.is_empty()
            && bindings
                .iter()
                .any(|b| bool::from(b.as_bytes().ct_eq(given.as_bytes())));
        if !ok {
            tracing::info!(%path, "CSRF check failed");
            return error_response(StatusCode::FORBIDDEN, "error.csrf");
        }
        if fields
            .iter()
            .any(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return error_response(StatusCode::BAD_REQUEST, "error.bad_input");
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    let mut res = next.run(req).await;
    if let Some(t) = minted {
        res.headers_mut().append(
            header::SET_COOKIE,
            ctx::set_cookie(PRE_COOKIE, &t, None, state.config.secure_cookies()),
        );
    }
    res
}

/// The second line beside the CSRF token: a browser that says where a
/// state-changing request comes from must say it comes from the portal.
/// `Sec-Fetch-Site` (sent by current browsers) must be `same-origin` (or
/// `none`: typed by the user); otherwise an `Origin` header, when present,
/// must be the portal's public origin or the origin of the `Host` the
/// request was sent to. Clients that send neither (curl, API clients, old
/// browsers) rely on the CSRF token alone.
fn same_origin_request(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Ok(given) = url::Url::parse(origin) else {
        // Includes the opaque origin "null" (sandboxed frames, data: URLs).
        return false;
    };
    let given = given.origin();
    if let Ok(public) = url::Url::parse(&state.config.public_url) {
        if public.origin() == given {
            return true;
        }
    }
    // Same host and port as the request itself (e.g. the demo opened as
    // localhost while its public URL says 127.0.0.1).
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    ["http", "https"].iter().any(|scheme| {
        url::Url::parse(&format!("{scheme}://{host}"))
            .is_ok_and(|u| u.has_host() && u.origin() == given)
    })
}

/// Whether URL-encoded `pairs` hold a NUL character. No field of ours has
/// a use for one, and PostgreSQL text cannot store it: such input is
/// refused up front (400) instead of failing in the database (500) on one
/// backend and being stored on the other.
fn has_nul(pairs: &[u8]) -> bool {
    pairs.contains(&0)
        || serde_urlencoded::from_bytes::<Vec<(String, String)>>(pairs)
            .unwrap_or_default()
            .iter()
            .any(|(k, v)| k.contains('\0') || v.contains('\0'))
}

fn error_response(status: StatusCode, key: &'static str) -> Response {
    let mut r = status.into_response();
    r.extensions_mut().insert(ErrorInfo { key });
    r
}

/// The `csrf` field of a multipart form (file uploads); the body is
/// already buffered (within the size limit), so field order is free.
async fn multipart_csrf(body: bytes::Bytes, boundary: &str) -> Option<String> {
    let stream = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut mp = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("csrf") {
            return field.text().await.ok();
        }
    }
    None
}

/// Reads a body of at most `limit` bytes. A larger one is read on and
/// thrown away (up to 4 × `limit` more), so that the client, still
/// sending, gets the 413 page rather than a reset connection; `None`.
async fn read_limited(body: Body, limit: usize) -> Option<bytes::Bytes> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut buf = bytes::BytesMut::new();
    let mut seen = 0usize;
    let drain_cap = limit.saturating_mul(5);
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { return None };
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen <= limit {
                buf.extend_from_slice(&data);
            } else if seen > drain_cap {
                return None;
            }
        }
    }
    (seen <= limit).then(|| buf.freeze())
}
