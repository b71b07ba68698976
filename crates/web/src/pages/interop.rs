//! The interop API for ministry and provincial systems (issue #12 §2;
//! docs/INTEROP.md). Every route under `/api/v1/sync/` goes through
//! [`gate`]: a client-credentials access token of an active system client
//! (sso), the client's rate limit (reserved before the work, shared by
//! every node), and the call log. Every write needs an `Idempotency-Key`
//! ([`idempotent`]). Errors are RFC 9457 problem documents in the
//! caller's language (`Accept-Language`), with the field at fault.
use super::api::{locale_of, problem_document};
use super::Operator;
use super::{render, Chrome};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Redirect;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Form;
use axum::{Extension, Router};
use base64::Engine;
use motcua_dossiers::forwarding;
use motcua_dossiers::sync::{self, Pushed, Pusher};
use motcua_interop::caller::Caller;
use motcua_interop::idempotency::{self, Claim};
use motcua_kernel::service::{Origin, ServiceError};
use motcua_store::audit;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/sync/dossiers/{code}",
            get(read_dossier).put(push_dossier),
        )
        .route("/api/v1/sync/dossiers/{code}/progress", post(push_progress))
        .route("/api/v1/sync/forwarded/{code}", get(read_forwarded))
        .route(
            "/api/v1/sync/forwarded/{code}/files/{file}",
            get(forwarded_file),
        )
        .route("/api/v1/sync/forwarded/{code}/answers", post(answer))
        .route("/api/v1/sync/forwarded/{code}/results", post(add_result))
        .route("/api/v1/sync/catalog/procedures", get(catalog_export))
        .route(
            "/api/v1/sync/catalog/procedures/{code}",
            get(catalog_record).put(catalog_put),
        )
        .route("/api/v1/sync/catalog/agencies", get(catalog_agencies))
        .route("/api/v1/sync/statistics/progress", get(statistics_progress))
        .route_layer(axum::middleware::from_fn_with_state(state, gate))
}

/// The operator's page of procedures handled on specialized systems.
pub fn console_routes() -> Router<AppState> {
    Router::new()
        .route("/console/routes", get(routes_page).post(route_set))
        .route("/console/routes/{procedure}/remove", post(route_remove))
}

/// The answer to a system: JSON, or a problem document.
fn json_response(status: StatusCode, v: &serde_json::Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        v.to_string(),
    )
        .into_response()
}

/// A problem document titled `api.problem.<kind>` in the caller's
/// language.
fn problem(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    kind: &str,
    extra: serde_json::Value,
) -> Response {
    let title = state
        .i18n
        .get(locale_of(headers), &format!("api.problem.{kind}"));
    problem_document(status, kind, title, extra)
}

/// A service's refusal as a problem document: the message in the
/// caller's language as `detail`, and the field at fault.
fn refused(state: &AppState, headers: &HeaderMap, e: ServiceError) -> Response {
    let locale = locale_of(headers);
    let (status, kind) = match &e {
        ServiceError::NotFound => (StatusCode::NOT_FOUND, "not-found"),
        ServiceError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        ServiceError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
        ServiceError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        ServiceError::Internal(m) => {
            tracing::error!(error = %m, "interop call failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    };
    let mut extra = json!({});
    match &e {
        ServiceError::Invalid { field, key } => {
            extra = json!({ "detail": state.i18n.get(locale, key) });
            if let Some(f) = field {
                extra["field"] = json!(f);
            }
        }
        ServiceError::Conflict(key) => extra = json!({ "detail": state.i18n.get(locale, key) }),
        _ => {}
    }
    problem(state, headers, status, kind, extra)
}

/// Checks the caller of every `/api/v1/sync/` route, takes one call of
/// its rate limit, and logs the call with its answer.
pub async fn gate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let realm = "Bearer realm=\"motcua\"";
    let challenge = |r: &mut Response, v: String| {
        if let Ok(h) = HeaderValue::from_str(&v) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, h);
        }
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        let mut r = problem(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            json!({}),
        );
        challenge(&mut r, realm.to_string());
        return r;
    };
    let now = state.now();
    let caller = match motcua_interop::caller::of_token(&state, token, now).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            let mut r = problem(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                "invalid-token",
                json!({}),
            );
            challenge(&mut r, format!("{realm}, error=\"invalid_token\""));
            return r;
        }
        Err(e) => return refused(&state, &headers, e),
    };
    let method = req.method().to_string();
    let path = call_path(&req);
    let request_id = request_id(&req);
    let limit = motcua_domain::throttle::RateLimit {
        max: state.interop.per_minute.max(1),
        window: motcua_domain::MINUTE,
    };
    let keys = [(format!("rl:api:{}", caller.client_id), limit)];
    match motcua_identity::service::rate_limit(&state, &keys).await {
        Ok(Ok(())) => {}
        Ok(Err(until)) => {
            let secs = ((until - now).max(0) + 999) / 1000;
            let mut r = problem(
                &state,
                &headers,
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                json!({ "limit_per_minute": limit.max }),
            );
            if let Ok(h) = HeaderValue::from_str(&secs.max(1).to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, h);
            }
            let call = motcua_interop::calls::Entry {
                client_id: caller.client_id.clone(),
                method,
                path,
                status: 429,
                at: now,
                request_id,
            };
            log_call(&state, &call).await;
            return r;
        }
        Err(e) => return refused(&state, &headers, e),
    }
    req.extensions_mut().insert(caller.clone());
    let res = next.run(req).await;
    let call = motcua_interop::calls::Entry {
        client_id: caller.client_id,
        method,
        path,
        status: i64::from(res.status().as_u16()),
        at: now,
        request_id,
    };
    log_call(&state, &call).await;
    res
}

/// The route's template and the path asked, at most 300 characters.
fn call_path(req: &Request) -> String {
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    format!("{template} {}", req.uri().path())
        .chars()
        .take(300)
        .collect()
}

fn request_id(req: &Request) -> String {
    req.extensions()
        .get::<crate::ctx::RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// Logs a call; a failure to log is reported, not turned into an error
/// of a call that was answered.
async fn log_call(state: &AppState, call: &motcua_interop::calls::Entry) {
    if let Err(e) = motcua_interop::calls::log(state, call).await {
        tracing::warn!(error = %e, "interop call not logged");
    }
}

/// `insufficient_scope` unless the caller has `scope`.
#[allow(clippy::result_large_err)]
fn need(
    state: &AppState,
    headers: &HeaderMap,
    caller: &Caller,
    scope: &str,
) -> Result<(), Response> {
    if caller.has(scope) {
        return Ok(());
    }
    let mut r = problem(
        state,
        headers,
        StatusCode::FORBIDDEN,
        "insufficient-scope",
        json!({ "scope": scope }),
    );
    if let Ok(h) = HeaderValue::from_str(&format!(
        "Bearer realm=\"motcua\", error=\"insufficient_scope\", scope=\"{scope}\""
    )) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, h);
    }
    Err(r)
}

/// Runs a write at most once per `Idempotency-Key`: a retry with the same
/// key and request gets the stored answer (`Idempotent-Replayed: true`);
/// the same key with another request is 422; while the first still runs,
/// 409. A 5xx is not kept (the retry may do the work).
async fn idempotent<F, Fut>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    (method, path, body): (&Method, &str, &[u8]),
    work: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = (StatusCode, String)>,
{
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    if key.is_empty() {
        return problem(
            state,
            headers,
            StatusCode::BAD_REQUEST,
            "idempotency-key-missing",
            json!({}),
        );
    }
    if !idempotency::valid_key(&key) {
        return problem(
            state,
            headers,
            StatusCode::BAD_REQUEST,
            "idempotency-key-invalid",
            json!({}),
        );
    }
    let hash = idempotency::fingerprint(method.as_str(), path, body);
    let client = &caller.client_id;
    match idempotency::claim(state, client, &key, &hash, state.now()).await {
        Err(e) => return refused(state, headers, e),
        Ok(Claim::Mismatch) => {
            return problem(
                state,
                headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                json!({}),
            )
        }
        Ok(Claim::InFlight) => {
            let mut r = problem(
                state,
                headers,
                StatusCode::CONFLICT,
                "idempotency-key-in-flight",
                json!({}),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return r;
        }
        Ok(Claim::Replay(status, body)) => {
            let mut r = stored(status, body);
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return r;
        }
        Ok(Claim::Fresh) => {}
    }
    let (status, body) = work().await;
    if status.is_server_error() {
        if let Err(e) = idempotency::release(state, client, &key).await {
            tracing::warn!(error = %e, "idempotency key not released");
        }
    } else if let Err(e) = idempotency::finish(state, client, &key, status.as_u16(), &body).await {
        // The change is made; a retry will find the claim in flight, then
        // take it over after a minute and redo a change that is safe to
        // redo.
        tracing::warn!(error = %e, "idempotent answer not kept");
    }
    stored(status.as_u16(), body)
}

/// One write of a system: the request's parts, for [`Call::write`].
struct Call<'a> {
    state: &'a AppState,
    caller: &'a Caller,
    headers: &'a HeaderMap,
    request: (&'a Method, &'a str, &'a [u8]),
}

impl<'a> Call<'a> {
    fn new(
        state: &'a AppState,
        caller: &'a Caller,
        headers: &'a HeaderMap,
        request: (&'a Method, &'a str, &'a [u8]),
    ) -> Call<'a> {
        Call {
            state,
            caller,
            headers,
            request,
        }
    }

    /// The audit context of the call.
    fn origin(&self) -> Origin {
        origin(self.caller, self.headers)
    }

    /// Every write: the `scope` checked, the body parsed as `T` (a 400
    /// problem naming what is wrong), `work` run once per
    /// `Idempotency-Key` ([`idempotent`]), a service's refusal turned
    /// into its problem document.
    async fn write<T, F, Fut>(&self, scope: &str, work: F) -> Response
    where
        T: serde::de::DeserializeOwned,
        F: FnOnce(T) -> Fut,
        Fut: std::future::Future<Output = Result<(StatusCode, String), ServiceError>>,
    {
        let (state, headers) = (self.state, self.headers);
        if let Err(r) = need(state, headers, self.caller, scope) {
            return r;
        }
        idempotent(state, self.caller, headers, self.request, || async {
            let t: T = match parse(state, headers, self.request.2) {
                Ok(t) => t,
                Err(r) => return parts(r).await,
            };
            match work(t).await {
                Ok(answer) => answer,
                Err(e) => parts(refused(state, headers, e)).await,
            }
        })
        .await
    }
}

/// A write's answer: 201 when it made something, else 200.
fn answer_of<T: Serialize>(created: bool, v: &T) -> (StatusCode, String) {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, to_body(v))
}

/// A stored answer: JSON for a success, a problem document otherwise.
fn stored(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let kind = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(kind))],
        body,
    )
        .into_response()
}

/// A response's status and body, for [`idempotent`] to keep.
async fn parts(r: Response) -> (StatusCode, String) {
    let status = r.status();
    let bytes = axum::body::to_bytes(r.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// The audit context of a system's call.
fn origin(caller: &Caller, headers: &HeaderMap) -> Origin {
    Origin {
        audit: audit::Ctx {
            actor: format!("client:{}", caller.client_id),
            ip: String::new(),
            request_id: headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .chars()
                .take(100)
                .collect(),
        },
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect(),
    }
}

/// A JSON body, or a 400 problem naming what is wrong with it.
#[allow(clippy::result_large_err)]
fn parse<T: serde::de::DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| {
        let detail: String = e.to_string().chars().take(300).collect();
        problem(
            state,
            headers,
            StatusCode::BAD_REQUEST,
            "bad-json",
            json!({ "detail": detail }),
        )
    })
}

/// `PUT /api/v1/sync/dossiers/{code}` (scope `dossiers`): a provincial
/// one-stop system creates or replaces its dossier. 201 created, 200
/// replaced; the body says how many progress entries were added.
#[utoipa::path(put, path = "/api/v1/sync/dossiers/{code}", tag = "dossier sync",
    params(("code" = String, Path, description = "The dossier code"), ("Idempotency-Key" = String, Header, description = "1-255 visible ASCII characters; a retry with the same key gets the first answer")),
    request_body(content = motcua_dossiers::sync::Pushed, content_type = "application/json"),
    responses((status = 201, description = "Created", body = PushAnswer), (status = 200, description = "Replaced", body = PushAnswer), (status = "default", description = "An RFC 9457 problem: unauthorized, invalid token, insufficient scope, forbidden, not found, conflict, invalid (with `field`), too many requests", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("bearer" = ["dossiers"])))]
pub async fn push_dossier(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/api/v1/sync/dossiers/{code}");
    let (state, caller, code, headers) = (&state, &caller, &code, &headers);
    let call = Call::new(state, caller, headers, (&Method::PUT, &path, &body));
    let origin = call.origin();
    call.write("dossiers", |p: Pushed| async move {
        let number = sync::identity_number(&p.applicant_id)?;
        let holder = motcua_identity::queries::holder_of_number(state, &number)
            .await?
            .map_or(0, |a| a.get());
        let who = Pusher {
            client_id: &caller.client_id,
            agency: &caller.agency,
        };
        let o = sync::push(state, &origin, &who, code, &p, holder, state.now()).await?;
        Ok(answer_of(
            o.created,
            &PushAnswer {
                code: code.clone(),
                created: o.created,
                entries_added: o.appended,
            },
        ))
    })
    .await
}

/// Progress entries to append.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressBody {
    /// 1 to 200 entries.
    entries: Vec<sync::Entry>,
}

/// What a push did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PushAnswer {
    code: String,
    created: bool,
    entries_added: usize,
}

/// What appending did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProgressAnswer {
    code: String,
    entries_added: usize,
}

/// What an answer did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AnswerAnswer {
    code: String,
    status: i64,
    changed: bool,
}

/// What giving a result did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResultAnswer {
    code: String,
    added: bool,
}

/// What publishing a record did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CatalogAnswer {
    code: String,
    version: i64,
    created: bool,
}

/// An agency of the catalog.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SyncAgency {
    code: String,
    parent: Option<String>,
    /// central, province or commune.
    level: String,
    name: String,
    address: String,
    phone: String,
    email: String,
    hours: String,
}

fn to_body<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// `POST /api/v1/sync/dossiers/{code}/progress` (scope `dossiers`):
/// progress entries of a dossier the caller pushed; the dossier takes the
/// status of the newest.
#[utoipa::path(post, path = "/api/v1/sync/dossiers/{code}/progress", tag = "dossier sync",
    params(("code" = String, Path, description = "The dossier code"), ("Idempotency-Key" = String, Header, description = "1-255 visible ASCII characters; a retry with the same key gets the first answer")),
    request_body(content = ProgressBody, content_type = "application/json"),
    responses((status = 200, description = "Appended (entries already recorded are skipped)", body = ProgressAnswer), (status = "default", description = "An RFC 9457 problem: unauthorized, invalid token, insufficient scope, forbidden, not found, conflict, invalid (with `field`), too many requests", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("bearer" = ["dossiers"])))]
pub async fn push_progress(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/api/v1/sync/dossiers/{code}/progress");
    let (state, caller, code, headers) = (&state, &caller, &code, &headers);
    let call = Call::new(state, caller, headers, (&Method::POST, &path, &body));
    let origin = call.origin();
    call.write("dossiers", |p: ProgressBody| async move {
        let who = Pusher {
            client_id: &caller.client_id,
            agency: &caller.agency,
        };
        let o = sync::append(state, &origin, &who, code, &p.entries, state.now()).await?;
        Ok(answer_of(
            false,
            &ProgressAnswer {
                code: code.clone(),
                entries_added: o.appended,
            },
        ))
    })
    .await
}

/// `GET /api/v1/sync/dossiers/{code}` (scope `dossiers`): a dossier as
/// the system that pushed it reads it back; another system's is 404.
#[utoipa::path(get, path = "/api/v1/sync/dossiers/{code}", tag = "dossier sync",
    params(("code" = String, Path, description = "The dossier code")),
    responses((status = 200, description = "The dossier as stored", body = motcua_dossiers::sync::View), (status = "default", description = "An RFC 9457 problem: unauthorized, invalid token, insufficient scope, forbidden, not found, conflict, invalid (with `field`), too many requests", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("bearer" = ["dossiers"])))]
pub async fn read_dossier(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = need(&state, &headers, &caller, "dossiers") {
        return r;
    }
    match sync::view(&state, &caller.client_id, &code).await {
        Ok(v) => json_response(StatusCode::OK, &json!(v)),
        Err(e) => refused(&state, &headers, e),
    }
}

// ------------------------------------------------- forwarded dossiers (§2)

/// The caller's agency name (the timeline shows it as the actor).
async fn agency_name(state: &AppState, caller: &Caller) -> String {
    match motcua_catalog::queries::agency(state, &caller.agency).await {
        Ok(Some(a)) => a.name,
        _ => caller.agency.clone(),
    }
}

/// `GET /api/v1/sync/forwarded/{code}` (scope `dossiers`): a dossier
/// forwarded to the caller's system, as the event carried it, with its
/// current status; another system's is 404.
#[utoipa::path(get, path = "/api/v1/sync/forwarded/{code}", tag = "single window",
    params(("code" = String, Path, description = "The dossier code")),
    responses((status = 200, description = "The dossier forwarded to the caller's system", body = super::openapi::Forwarded), (status = "default", description = "An RFC 9457 problem: unauthorized, invalid token, insufficient scope, forbidden, not found, conflict, invalid (with `field`), too many requests", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("bearer" = ["dossiers"])))]
pub async fn read_forwarded(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = need(&state, &headers, &caller, "dossiers") {
        return r;
    }
    match forwarding::forwarded(&state, &caller.client_id, &code).await {
        Ok((d, files)) => json_response(StatusCode::OK, &forwarding::payload(&state, &d, &files)),
        Err(e) => refused(&state, &headers, e),
    }
}

/// `GET /api/v1/sync/forwarded/{code}/files/{file}`: one of its files.
#[utoipa::path(get, path = "/api/v1/sync/forwarded/{code}/files/{file}", tag = "single window",
    params(("code" = String, Path, description = "The dossier code"), ("file" = String, Path, description = "The file's id")),
    responses((status = 200, description = "The file (PDF, JPEG or PNG)", content_type = "application/octet-stream", body = super::openapi::Binary), (status = "default", description = "An RFC 9457 problem: unauthorized, invalid token, insufficient scope, forbidden, not found, conflict, invalid (with `field`), too many requests", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("bearer" = ["dossiers"])))]
pub async fn forwarded_file(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((code, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = need(&state, &headers, &caller, "dossiers") {
        return r;
    }
    let Ok(file) = file.parse::<i64>() else {
        return refused(&state, &headers, ServiceError::NotFound);
    };
    match forwarding::file(&state, &caller.client_id, &code, file).await {
        Ok((f, bytes)) => (
            [
                (header::CONTENT_TYPE, f.content_type),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}\"",
                        f.file_name.replace(['"', '\\', '\r', '\n'], "_")
                    ),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => refused(&state, &headers, e),
    }
}

/// `POST /api/v1/sync/forwarded/{code}/answers` (scope `dossiers`,
/// `Idempotency-Key`): the system's answer — a status (2, 3, 4, 8, 9,
/// 10), a note, a new appointment — reaching the applicant as an
/// agency's here does.
#[utoipa::path(post, path = "/api/v1/sync/forwarded/{code}/answers", tag = "single window",
    params(("code" = String, Path, description = "The dossier code"), ("Idempotency-Key" = String, Header, description = "1-255 visible ASCII characters; a retry with the same key gets the first answer")),
    request_body(content = motcua_dossiers::forwarding::Answer, content_type = "application/json"),
    responses((status = 200, description = "Applied (`changed` false: the status was already so)", body = AnswerAnswer), (status = "default", description = "An RFC 9457 problem: unauthorized, invalid token, insufficient scope, forbidden, not found, conflict, invalid (with `field`), too many requests", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("bearer" = ["dossiers"])))]
pub async fn answer(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/api/v1/sync/forwarded/{code}/answers");
    let (state, caller, code, headers) = (&state, &caller, &code, &headers);
    let call = Call::new(state, caller, headers, (&Method::POST, &path, &body));
    let origin = call.origin();
    call.write("dossiers", |a: forwarding::Answer| async move {
        let actor = agency_name(state, caller).await;
        let changed = forwarding::answer(
            state,
            &origin,
            &caller.client_id,
            &actor,
            code,
            &a,
            state.now(),
        )
        .await?;
        Ok(answer_of(
            false,
            &AnswerAnswer {
                code: code.clone(),
                status: a.status,
                changed,
            },
        ))
    })
    .await
}

/// A result document.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultBody {
    title: String,
    file_name: String,
    /// The document, base64 (standard alphabet).
    content: String,
}

/// `POST /api/v1/sync/forwarded/{code}/results` (scope `dossiers`,
/// `Idempotency-Key`): a result document (PDF, JPEG or PNG, at most
/// 10 MB) the applicant downloads from the dossier's page. 201 when new,
/// 200 when the same document was already given.
#[utoipa::path(post, path = "/api/v1/sync/forwarded/{code}/results", tag = "single window",
    params(("code" = String, Path, description = "The dossier code"), ("Idempotency-Key" = String, Header, description = "1-255 visible ASCII characters; a retry with the same key gets the first answer")),
    request_body(content = ResultBody, content_type = "application/json"),
    responses((status = 201, description = "Kept for the applicant", body = ResultAnswer), (status = 200, description = "The same document was given before", body = ResultAnswer), (status = "default", description = "An RFC 9457 problem: unauthorized, invalid token, insufficient scope, forbidden, not found, conflict, invalid (with `field`), too many requests", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("bearer" = ["dossiers"])))]
pub async fn add_result(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/api/v1/sync/forwarded/{code}/results");
    let (state, caller, code, headers) = (&state, &caller, &code, &headers);
    let call = Call::new(state, caller, headers, (&Method::POST, &path, &body));
    let origin = call.origin();
    call.write("dossiers", |r: ResultBody| async move {
        let data = base64::engine::general_purpose::STANDARD
            .decode(r.content.trim())
            .map_err(|_| ServiceError::field("content", "dossiers.route_error_type"))?;
        let actor = agency_name(state, caller).await;
        let added = forwarding::add_result(
            state,
            &origin,
            &caller.client_id,
            &actor,
            code,
            &r.title,
            &r.file_name,
            &data,
            state.now(),
        )
        .await?;
        Ok(answer_of(
            added,
            &ResultAnswer {
                code: code.clone(),
                added,
            },
        ))
    })
    .await
}

// ------------------------------------------------------------ the operator

#[derive(Template)]
#[template(path = "dossiers/routes.html")]
struct RoutesPage {
    c: Chrome,
    routes: Vec<forwarding::RouteRow>,
    f: RouteForm,
    error: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct RouteForm {
    #[serde(default)]
    procedure: String,
    #[serde(default)]
    system_code: String,
    #[serde(default)]
    client_id: String,
}

async fn routes_view(
    state: &AppState,
    ctx: &Ctx,
    f: RouteForm,
    error: Option<&'static str>,
) -> Response {
    let routes = tri!(forwarding::routes(state).await);
    let mut r = render(&RoutesPage {
        c: Chrome::new(state, ctx),
        routes,
        f,
        error,
    });
    if error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// `GET /console/routes`: procedures handled on specialized systems.
pub async fn routes_page(State(state): State<AppState>, Operator(ctx): Operator) -> Response {
    routes_view(&state, &ctx, RouteForm::default(), None).await
}

/// `POST /console/routes`: routes a procedure (the answering client must
/// be an active system client).
pub async fn route_set(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Form(f): Form<RouteForm>,
) -> Response {
    let client = f.client_id.trim().to_string();
    let ok_client = matches!(
        motcua_sso::clients::get(&state, &client).await,
        Ok(Some(k)) if k.kind == "system" && k.status == "active"
    );
    if !ok_client {
        return routes_view(&state, &ctx, f, Some("dossiers.route_error_client")).await;
    }
    let origin = super::auth::origin(&ctx);
    match forwarding::set_route(
        &state,
        &origin,
        &f.procedure,
        &f.system_code,
        &client,
        state.now(),
    )
    .await
    {
        Ok(()) => Redirect::to("/console/routes").into_response(),
        Err(ServiceError::Invalid { key, .. }) => routes_view(&state, &ctx, f, Some(key)).await,
        Err(e) => AppError::from(e).into_response(),
    }
}

/// `POST /console/routes/{procedure}/remove`: handled here again.
pub async fn route_remove(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(procedure): Path<String>,
) -> Response {
    let origin = super::auth::origin(&ctx);
    tri!(forwarding::remove_route(&state, &origin, &procedure, state.now()).await);
    Redirect::to("/console/routes").into_response()
}

// ------------------------------------------------------ catalog sync (§2)

/// `GET /api/v1/sync/catalog/procedures` (scope `catalog`): every
/// published procedure in the national exchange format (`MaTTHC`,
/// `TENTTHC`, …), each exactly as imported or saved.
#[utoipa::path(get, path = "/api/v1/sync/catalog/procedures", tag = "catalog sync",
    responses((status = 200, description = "Every published record in the national exchange format", body = Vec<super::openapi::NationalRecord>), (status = "default", description = "An RFC 9457 problem: unauthorized, invalid token, insufficient scope, forbidden, not found, conflict, invalid (with `field`), too many requests", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("bearer" = ["catalog"])))]
pub async fn catalog_export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = need(&state, &headers, &caller, "catalog") {
        return r;
    }
    match motcua_catalog::service::export(&state).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            text,
        )
            .into_response(),
        Err(e) => refused(&state, &headers, e),
    }
}

/// `GET /api/v1/sync/catalog/procedures/{code}`: one published record in
/// the national format.
#[utoipa::path(get, path = "/api/v1/sync/catalog/procedures/{code}", tag = "catalog sync",
    params(("code" = String, Path, description = "The procedure code (MaTTHC)")),
    responses((status = 200, description = "The published record in the national format", body = super::openapi::NationalRecord), (status = "default", description = "An RFC 9457 problem: unauthorized, invalid token, insufficient scope, forbidden, not found, conflict, invalid (with `field`), too many requests", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("bearer" = ["catalog"])))]
pub async fn catalog_record(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = need(&state, &headers, &caller, "catalog") {
        return r;
    }
    match motcua_catalog::queries::procedure(&state, &code).await {
        Ok(Some(e)) => json_response(StatusCode::OK, &json!(e.record)),
        Ok(None) => refused(&state, &headers, ServiceError::NotFound),
        Err(e) => refused(&state, &headers, e),
    }
}

/// `PUT /api/v1/sync/catalog/procedures/{code}` (scope `catalog`,
/// `Idempotency-Key`): the owning ministry publishes its record (national
/// format, one object). 201 a new version, 200 the same as the newest;
/// 422 with each problem's path; 403 another ministry's procedure.
#[utoipa::path(put, path = "/api/v1/sync/catalog/procedures/{code}", tag = "catalog sync",
    params(("code" = String, Path, description = "The procedure code (MaTTHC)"), ("Idempotency-Key" = String, Header, description = "1-255 visible ASCII characters; a retry with the same key gets the first answer")),
    request_body(content = super::openapi::NationalRecord, content_type = "application/json"),
    responses((status = 201, description = "Published as a new version", body = CatalogAnswer), (status = 200, description = "The same as the newest version", body = CatalogAnswer), (status = "default", description = "An RFC 9457 problem: unauthorized, invalid token, insufficient scope, forbidden, not found, conflict, invalid (with `field`), too many requests", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("bearer" = ["catalog"])))]
pub async fn catalog_put(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/api/v1/sync/catalog/procedures/{code}");
    let (state, caller, code, headers) = (&state, &caller, &code, &headers);
    let call = Call::new(state, caller, headers, (&Method::PUT, &path, &body));
    let origin = call.origin();
    call.write("catalog", |record: serde_json::Value| async move {
        let text = record.to_string();
        match motcua_catalog::service::put_owned(state, &origin, &caller.agency, code, &text)
            .await?
        {
            Ok((version, created)) => Ok(answer_of(
                created,
                &CatalogAnswer {
                    code: code.clone(),
                    version,
                    created,
                },
            )),
            Err(problems) => {
                let locale = locale_of(headers);
                let list: Vec<_> = problems
                    .iter()
                    .map(|p| {
                        json!({
                            "path": p.path,
                            "detail": format!("{} {}", state.i18n.get(locale, p.key), p.detail).trim().to_string(),
                        })
                    })
                    .collect();
                Ok(parts(problem(
                    state,
                    headers,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    json!({ "problems": list }),
                ))
                .await)
            }
        }
    })
    .await
}

/// `GET /api/v1/sync/catalog/agencies` (scope `catalog`): every agency
/// (code, parent, level, name, address, phone, e-mail, hours).
#[utoipa::path(get, path = "/api/v1/sync/catalog/agencies", tag = "catalog sync",
    responses((status = 200, description = "Every agency", body = Vec<SyncAgency>), (status = "default", description = "An RFC 9457 problem: unauthorized, invalid token, insufficient scope, forbidden, not found, conflict, invalid (with `field`), too many requests", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("bearer" = ["catalog"])))]
pub async fn catalog_agencies(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = need(&state, &headers, &caller, "catalog") {
        return r;
    }
    match motcua_catalog::queries::all_agencies(&state).await {
        Ok(all) => json_response(
            StatusCode::OK,
            &json!(all
                .into_iter()
                .map(|a| SyncAgency {
                    code: a.code,
                    parent: a.parent_code,
                    level: a.level,
                    name: a.name,
                    address: a.address,
                    phone: a.phone,
                    email: a.email,
                    hours: a.hours,
                })
                .collect::<Vec<_>>()),
        ),
        Err(e) => refused(&state, &headers, e),
    }
}

#[derive(Deserialize)]
pub struct PullQuery {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    by: String,
}

/// `GET /api/v1/sync/statistics/progress?scope=&period=&by=` (scope
/// `statistics`): the progress report of the caller's agency (default) or
/// an agency under it; another's is 403.
#[utoipa::path(get, path = "/api/v1/sync/statistics/progress", tag = "statistics",
    params(("scope" = Option<String>, Query, description = "An agency at or under the caller's (default: the caller's)"),
           ("period" = Option<String>, Query, description = "2026, 2026-Q4, 2026-11 (default: this year)"),
           ("by" = Option<String>, Query, description = "agency (default) or procedure")),
    responses((status = 200, description = "The progress report (docs/STATISTICS.md)", body = super::openapi::Report), (status = "default", description = "An RFC 9457 problem: unauthorized, invalid token, insufficient scope, forbidden, not found, conflict, invalid (with `field`), too many requests", body = super::openapi::Problem, content_type = "application/problem+json")),
    security(("bearer" = ["statistics"])))]
pub async fn statistics_progress(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<PullQuery>,
) -> Response {
    if let Err(r) = need(&state, &headers, &caller, "statistics") {
        return r;
    }
    let scope = match q.scope.trim() {
        "" => caller.agency.clone(),
        s => s.to_string(),
    };
    match motcua_catalog::queries::within(&state, &caller.agency, &scope).await {
        Ok(true) => {}
        Ok(false) => return refused(&state, &headers, ServiceError::Forbidden),
        Err(e) => return refused(&state, &headers, e),
    }
    match super::stats::progress_json(&state, &scope, &q.period, &q.by).await {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => e.into_response(),
    }
}
