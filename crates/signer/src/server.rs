//! The HTTP side: Host check, Origin check and CORS for `/v1`, the JSON API,
//! and the popup pages under `/ui`.

use crate::challenge::{self, Challenge, ChallengeError};
use crate::token::{self, SignError, Signed, Token};
use crate::ui::{self, Lang, Notice, Outcome, RequestView};
use crate::Config;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rand::Rng as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use subtle::ConstantTimeEq as _;

/// At most this many requests are kept at once.
const MAX_REQUESTS: usize = 64;
/// A challenge may not expire later than this after it reaches the signer.
const MAX_TTL: time::Duration = time::Duration::hours(1);
/// Largest request body.
const MAX_BODY: usize = 16 * 1024;

const ACAPN: HeaderName = HeaderName::from_static("access-control-allow-private-network");
const ACRPN: HeaderName = HeaderName::from_static("access-control-request-private-network");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReqState {
    Pending,
    Done,
    Cancelled,
    Error,
}

impl ReqState {
    fn as_str(self) -> &'static str {
        match self {
            ReqState::Pending => "pending",
            ReqState::Done => "done",
            ReqState::Cancelled => "cancelled",
            ReqState::Error => "error",
        }
    }
}

#[derive(Debug)]
struct SignRequest {
    /// The `Origin` that created it; the only one that may read it.
    origin: String,
    /// The exact challenge bytes to sign.
    text: String,
    challenge: Challenge,
    /// The per-request secret `t` of the popup URL.
    secret: String,
    state: ReqState,
    error: Option<&'static str>,
    result: Option<Signed>,
    /// A signing attempt is running.
    busy: bool,
}

struct AppState {
    module: PathBuf,
    allow_origins: Vec<String>,
    port: u16,
    clock: crate::Clock,
    requests: Mutex<HashMap<String, SignRequest>>,
}

impl AppState {
    /// The request table, with expired requests dropped.
    fn requests(&self) -> MutexGuard<'_, HashMap<String, SignRequest>> {
        let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.now();
        map.retain(|_, r| r.challenge.expires > now);
        map
    }

    fn host_ok(&self, host: &str) -> bool {
        host.eq_ignore_ascii_case(&format!("127.0.0.1:{}", self.port))
            || host.eq_ignore_ascii_case(&format!("localhost:{}", self.port))
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        self.allow_origins.iter().any(|o| o == origin)
    }
}

pub(crate) fn router(cfg: Config, port: u16) -> Router {
    let state = Arc::new(AppState {
        module: cfg.module,
        allow_origins: cfg.allow_origins,
        port,
        clock: cfg.clock,
        requests: Mutex::new(HashMap::new()),
    });
    tokio::spawn(sweep(Arc::downgrade(&state)));
    let api = Router::new()
        .route("/v1/status", get(status))
        .route("/v1/requests", axum::routing::post(create_request))
        .route("/v1/requests/{id}", get(get_request))
        .layer(middleware::from_fn_with_state(state.clone(), cors));
    Router::new()
        .merge(api)
        .route("/ui/{id}", get(ui_get).post(ui_post))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(state.clone(), host_check))
        .layer(middleware::from_fn(common_headers))
        .with_state(state)
}

/// Drops expired requests every 30 s, so memory is freed while idle too.
async fn sweep(state: Weak<AppState>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
    loop {
        tick.tick().await;
        match state.upgrade() {
            Some(s) => drop(s.requests()),
            None => return,
        }
    }
}

// ---------------------------------------------------------------- middleware

/// `Host` must be `127.0.0.1:<port>` or `localhost:<port>`: a page on
/// another name that resolves to 127.0.0.1 (DNS rebinding) is refused.
async fn host_check(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if request_host(req.headers(), req.uri()).is_some_and(|h| st.host_ok(&h)) {
        next.run(req).await
    } else {
        (
            StatusCode::MISDIRECTED_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "motcua-signer answers only to Host 127.0.0.1:<port> or localhost:<port>\n",
        )
            .into_response()
    }
}

/// The one `Host` header (HTTP/1) or the URI authority (HTTP/2).
fn request_host(headers: &HeaderMap, uri: &axum::http::Uri) -> Option<String> {
    let mut all = headers.get_all(header::HOST).iter();
    match (all.next(), all.next()) {
        (Some(h), None) => h.to_str().ok().map(str::to_owned),
        (None, _) => uri.authority().map(|a| a.as_str().to_owned()),
        (Some(_), Some(_)) => None,
    }
}

async fn common_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    resp
}

/// `/v1`: an allowed `Origin` is required and echoed; anything else gets a
/// 403 with no CORS header at all. Answers the preflight itself.
async fn cors(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| st.origin_allowed(o))
        .and_then(|o| HeaderValue::from_str(o).ok());
    let Some(origin) = origin else {
        return api_error(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "Origin is not allowed",
        );
    };
    if req.method() == Method::OPTIONS {
        let private = req
            .headers()
            .get(ACRPN)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        let mut resp = StatusCode::NO_CONTENT.into_response();
        let h = resp.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        if private {
            h.insert(ACAPN, HeaderValue::from_static("true"));
        }
        h.insert(
            header::VARY,
            HeaderValue::from_static(
                "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, \
                 Access-Control-Request-Private-Network",
            ),
        );
        return resp;
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    resp
}

// ---------------------------------------------------------------- API

fn api_error(status: StatusCode, code: &'static str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

fn origin_of(headers: &HeaderMap) -> String {
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn not_found() -> Response {
    api_error(StatusCode::NOT_FOUND, "not_found", "no such resource")
}

async fn list_tokens(st: &AppState) -> Option<Vec<Token>> {
    let path = st.module.clone();
    let res = tokio::task::spawn_blocking(move || token::module(&path)?.tokens()).await;
    match res {
        Ok(Ok(t)) => Some(t),
        Ok(Err(e)) => {
            tracing::debug!("{e}");
            None
        }
        Err(e) => {
            tracing::warn!("token listing: {e}");
            None
        }
    }
}

async fn status(State(st): State<Arc<AppState>>) -> Response {
    let tokens = list_tokens(&st).await;
    let list: Vec<_> = tokens
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .map(|t| {
            json!({
                "label": t.label,
                "slot": t.slot,
                "certificates": t.signing_certs().count(),
            })
        })
        .collect();
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "module_ok": tokens.is_some(),
        "tokens": list,
    }))
    .into_response()
}

#[derive(Deserialize)]
struct CreateBody {
    challenge: String,
}

fn random_b64(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

async fn create_request(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Response {
    let Ok(Json(body)) = body else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "expected a JSON body {\"challenge\": \"...\"} with Content-Type: application/json",
        );
    };
    let origin = origin_of(&headers);
    let challenge = match challenge::parse(&body.challenge) {
        Ok(c) => c,
        Err(ChallengeError::UnknownPurpose) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "unknown_purpose",
                "unknown purpose",
            )
        }
        Err(e @ ChallengeError::Malformed(_)) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "malformed_challenge",
                &e.to_string(),
            )
        }
    };
    if challenge.origin != origin {
        return api_error(
            StatusCode::BAD_REQUEST,
            "origin_mismatch",
            "the challenge's origin is not the Origin of the request",
        );
    }
    let now = st.clock.now();
    if challenge.expires <= now {
        return api_error(
            StatusCode::BAD_REQUEST,
            "expired",
            "the challenge has expired",
        );
    }
    if challenge.expires > now + MAX_TTL {
        return api_error(
            StatusCode::BAD_REQUEST,
            "expires_too_far",
            "the challenge expires more than an hour from now",
        );
    }
    let id = random_b64(16);
    let secret = random_b64(32);
    let ui_url = format!("http://127.0.0.1:{}/ui/{id}?t={secret}", st.port);
    {
        let mut map = st.requests();
        if map.len() >= MAX_REQUESTS {
            return api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "too many signing requests are open",
            );
        }
        map.insert(
            id.clone(),
            SignRequest {
                origin,
                text: body.challenge,
                challenge,
                secret,
                state: ReqState::Pending,
                error: None,
                result: None,
                busy: false,
            },
        );
    }
    (
        StatusCode::CREATED,
        Json(json!({ "id": id, "ui_url": ui_url })),
    )
        .into_response()
}

async fn get_request(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let origin = origin_of(&headers);
    let map = st.requests();
    // Another portal's request looks the same as a missing one.
    let Some(r) = map.get(&id).filter(|r| r.origin == origin) else {
        return api_error(StatusCode::NOT_FOUND, "not_found", "no such request");
    };
    let res = r.result.as_ref();
    Json(json!({
        "state": r.state.as_str(),
        "error": r.error,
        "certificate": res.map(|s| STANDARD.encode(&s.certificate)),
        "chain": res.map_or_else(Vec::new, |s| s.chain.iter().map(|c| STANDARD.encode(c)).collect()),
        "signature": res.map(|s| STANDARD.encode(&s.signature)),
        "alg": res.map(|s| s.alg.as_str()),
    }))
    .into_response()
}

// ---------------------------------------------------------------- popup

fn html(status: StatusCode, body: String) -> Response {
    let csp = HeaderValue::from_str(&ui::csp())
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CONTENT_SECURITY_POLICY, csp),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            // Not no-referrer: with it, browsers send `Origin: null` on the
            // form POST (Fetch, "serializing a request origin") and the
            // own-origin check below would refuse the user's own popup.
            // same-origin still sends no Referer (with the secret) elsewhere.
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
            (
                HeaderName::from_static("cross-origin-resource-policy"),
                HeaderValue::from_static("same-origin"),
            ),
        ],
        body,
    )
        .into_response()
}

fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

/// A snapshot of a request, taken under the lock.
struct Snapshot {
    origin: String,
    text: String,
    challenge: Challenge,
    secret: String,
    state: ReqState,
    error: Option<&'static str>,
    busy: bool,
}

/// The request `id` if `t` is its secret (compared in constant time).
fn snapshot(st: &AppState, id: &str, t: &str) -> Option<Snapshot> {
    let map = st.requests();
    let r = map.get(id)?;
    if !bool::from(r.secret.as_bytes().ct_eq(t.as_bytes())) {
        return None;
    }
    Some(Snapshot {
        origin: r.origin.clone(),
        text: r.text.clone(),
        challenge: r.challenge.clone(),
        secret: r.secret.clone(),
        state: r.state,
        error: r.error,
        busy: r.busy,
    })
}

fn update(st: &AppState, id: &str, f: impl FnOnce(&mut SignRequest)) {
    if let Some(r) = st.requests().get_mut(id) {
        f(r);
    }
}

fn outcome_page(s: &Snapshot, lang: Lang) -> Response {
    let outcome = match s.state {
        ReqState::Done => Outcome::Signed,
        ReqState::Cancelled => Outcome::Cancelled,
        ReqState::Error if s.error == Some("pin_locked") => Outcome::Failed(Notice::PinLocked),
        _ => Outcome::Failed(Notice::TokenError),
    };
    html(
        StatusCode::OK,
        ui::done_page(&s.challenge.origin, outcome, lang),
    )
}

/// Renders the form (or the no-token / no-certificate message) and records
/// in the request what the portal should know about the tokens.
async fn form_page(
    st: &AppState,
    id: &str,
    s: &Snapshot,
    notice: Option<Notice>,
    selected: Option<&str>,
    status: StatusCode,
    lang: Lang,
) -> Response {
    let tokens = list_tokens(st).await;
    let token_error = match tokens.as_deref() {
        None | Some([]) => Some("no_token"),
        Some(ts) if ts.iter().all(|t| t.signing_certs().next().is_none()) => Some("no_certificate"),
        Some(_) => None,
    };
    update(st, id, |r| {
        if r.state == ReqState::Pending {
            match token_error {
                Some(e) => r.error = Some(e),
                None if matches!(r.error, Some("no_token" | "no_certificate")) => r.error = None,
                None => {}
            }
        }
    });
    let view = RequestView {
        id,
        secret: &s.secret,
        origin: &s.challenge.origin,
        purpose: s.challenge.purpose,
        digest: s.challenge.digest.as_deref(),
    };
    let body = ui::request_page(
        &view,
        tokens.as_deref(),
        notice,
        selected,
        st.clock.now(),
        lang,
    );
    html(status, body)
}

#[derive(Deserialize)]
struct UiQuery {
    t: Option<String>,
    lang: Option<String>,
}

async fn ui_get(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<UiQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::choose(q.lang.as_deref(), accept_language(&headers));
    let Some(s) = snapshot(&st, &id, q.t.as_deref().unwrap_or("")) else {
        return html(StatusCode::NOT_FOUND, ui::not_found_page(lang));
    };
    if s.state != ReqState::Pending {
        return outcome_page(&s, lang);
    }
    form_page(&st, &id, &s, None, None, StatusCode::OK, lang).await
}

#[derive(Deserialize)]
struct UiForm {
    t: String,
    action: String,
    cert: Option<String>,
    pin: Option<SecretString>,
    lang: Option<String>,
}

async fn ui_post(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<UiForm>, FormRejection>,
) -> Response {
    // Only the popup itself may post: its Origin is the signer's own.
    let own = request_host(&headers, &axum::http::Uri::default())
        .map(|h| format!("http://{}", h.to_ascii_lowercase()));
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let lang_hint = Lang::choose(None, accept_language(&headers));
    if own.is_none() || origin != own.as_deref() {
        return html(StatusCode::FORBIDDEN, ui::forbidden_page(lang_hint));
    }
    let Ok(Form(form)) = form else {
        return html(StatusCode::BAD_REQUEST, ui::not_found_page(lang_hint));
    };
    let lang = Lang::choose(form.lang.as_deref(), accept_language(&headers));
    let Some(s) = snapshot(&st, &id, &form.t) else {
        return html(StatusCode::NOT_FOUND, ui::not_found_page(lang));
    };
    if s.state != ReqState::Pending {
        return outcome_page(&s, lang);
    }
    if s.busy {
        return html(StatusCode::CONFLICT, ui::busy_page(lang));
    }
    match form.action.as_str() {
        "cancel" => {
            let mut state = None;
            update(&st, &id, |r| {
                if r.state == ReqState::Pending && !r.busy {
                    r.state = ReqState::Cancelled;
                    r.error = Some("cancelled");
                }
                state = Some((r.state, r.error));
            });
            match state {
                Some((ReqState::Pending, _)) => html(StatusCode::CONFLICT, ui::busy_page(lang)),
                Some((state, error)) => outcome_page(&Snapshot { state, error, ..s }, lang),
                None => html(StatusCode::NOT_FOUND, ui::not_found_page(lang)),
            }
        }
        "sign" => sign(st, id, s, form, lang).await,
        _ => html(StatusCode::BAD_REQUEST, ui::not_found_page(lang)),
    }
}

async fn sign(st: Arc<AppState>, id: String, s: Snapshot, form: UiForm, lang: Lang) -> Response {
    let selected = form.cert.clone();
    let pin = form.pin.filter(|p| !p.expose_secret().is_empty());
    let (Some(pin), Some(fp)) = (pin, form.cert) else {
        return form_page(
            &st,
            &id,
            &s,
            Some(Notice::EmptyPin),
            selected.as_deref(),
            StatusCode::UNPROCESSABLE_ENTITY,
            lang,
        )
        .await;
    };
    let mut claimed = false;
    update(&st, &id, |r| {
        if r.state == ReqState::Pending && !r.busy {
            r.busy = true;
            claimed = true;
        }
    });
    if !claimed {
        return html(StatusCode::CONFLICT, ui::busy_page(lang));
    }
    let path = st.module.clone();
    let text = s.text.clone();
    let res = tokio::task::spawn_blocking(move || {
        let m = token::module(&path).map_err(|_| SignError::NoToken)?;
        m.sign(&fp, pin, text.as_bytes())
    })
    .await
    .unwrap_or_else(|e| Err(SignError::Token(e.to_string())));
    let mut final_state = None;
    update(&st, &id, |r| {
        r.busy = false;
        if r.state != ReqState::Pending {
            return;
        }
        match &res {
            Ok(signed) => {
                r.state = ReqState::Done;
                r.error = None;
                r.result = Some(signed.clone());
            }
            Err(e @ (SignError::PinLocked | SignError::Token(_))) => {
                r.state = ReqState::Error;
                r.error = Some(e.code());
            }
            Err(e) => r.error = Some(e.code()),
        }
        final_state = Some(r.state);
    });
    match res {
        Ok(_) => tracing::info!(origin = %s.origin, "signed"),
        Err(ref e) => tracing::info!(origin = %s.origin, "not signed: {e}"),
    }
    match (final_state, res) {
        // The request expired while the token worked.
        (None, _) => html(StatusCode::NOT_FOUND, ui::not_found_page(lang)),
        (Some(ReqState::Pending), Err(e)) => {
            let notice = match e {
                SignError::WrongPin => Some(Notice::WrongPin),
                _ => None,
            };
            form_page(
                &st,
                &id,
                &s,
                notice,
                selected.as_deref(),
                StatusCode::OK,
                lang,
            )
            .await
        }
        (Some(state), res) => {
            let error = match &res {
                Err(e) => Some(e.code()),
                Ok(_) => None,
            };
            outcome_page(&Snapshot { state, error, ..s }, lang)
        }
    }
}
