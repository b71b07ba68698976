//! The portal as OpenID Provider (issue #12 §1; docs/SSO.md): discovery,
//! the authorization page (login, step-up, consent), and the endpoints
//! ministry and provincial portals call from their servers (under
//! `/api/oidc/`: token, userinfo, introspection, revocation, JWKS); the
//! operator's client register; the person's list of portals with revoke.
use super::auth::origin;
use super::{render, Chrome, Operator};
use crate::ctx::{Ctx, Me};
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use motcua_kernel::ServiceError;
use motcua_sso::authorize::{self, Request, Step, Who};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oidc/authorize", get(authorize_page).post(consent))
        .route("/oidc/logout", get(end_session).post(end_session_confirmed))
        .route("/api/oidc/jwks", get(jwks))
        .route("/api/oidc/token", post(token))
        .route("/api/oidc/userinfo", get(userinfo).post(userinfo))
        .route("/api/oidc/introspect", post(introspect))
        .route("/api/oidc/revoke", post(revoke))
        .route("/account/portals", get(portals))
        .route("/account/portals/{client}/revoke", post(revoke_portal))
        .route("/console/sso", get(console).post(register))
        .route("/console/sso/{client}", post(change))
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        v.to_string(),
    )
        .into_response()
}

/// `GET /.well-known/openid-configuration`.
async fn discovery(State(state): State<AppState>) -> Response {
    let iss = motcua_sso::issuer(&state);
    let scopes: Vec<&str> = motcua_sso::SCOPES
        .iter()
        .map(|(s, _)| *s)
        .chain(motcua_sso::SYSTEM_SCOPES.iter().copied())
        .collect();
    let claims: Vec<&str> = motcua_sso::SCOPES
        .iter()
        .flat_map(|(_, c)| c.iter().copied())
        .chain([
            "acr",
            "auth_time",
            "iss",
            "aud",
            "exp",
            "iat",
            "nonce",
            "sid",
        ])
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "issuer": iss,
            "authorization_endpoint": format!("{iss}/oidc/authorize"),
            "token_endpoint": format!("{iss}/api/oidc/token"),
            "userinfo_endpoint": format!("{iss}/api/oidc/userinfo"),
            "jwks_uri": format!("{iss}/api/oidc/jwks"),
            "introspection_endpoint": format!("{iss}/api/oidc/introspect"),
            "revocation_endpoint": format!("{iss}/api/oidc/revoke"),
            "end_session_endpoint": format!("{iss}/oidc/logout"),
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": scopes,
            "claims_supported": claims,
            "acr_values_supported": (1..=4).map(motcua_sso::acr).collect::<Vec<_>>(),
            "prompt_values_supported": ["none", "login", "consent"],
            "authorization_response_iss_parameter_supported": true,
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
        }),
    )
}

/// `GET /api/oidc/jwks`.
async fn jwks(State(state): State<AppState>) -> Response {
    match motcua_sso::keys::jwks(&state, state.now()).await {
        Ok(v) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "max-age=300"),
            ],
            v.to_string(),
        )
            .into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "sso/consent.html")]
struct ConsentPage {
    c: Chrome,
    client_name: String,
    /// (scope, its words)
    scopes: Vec<(String, String)>,
    r: Request,
}

#[derive(Template)]
#[template(path = "sso/refused.html")]
struct RefusedPage {
    c: Chrome,
    key: &'static str,
}

#[derive(Template)]
#[template(path = "sso/logout.html")]
struct LogoutPage {
    c: Chrome,
    client_name: String,
    /// The request again, for the confirmation form.
    q: motcua_sso::logout::EndSession,
    /// Signed out already (nowhere to go back to).
    done: bool,
}

/// Where an end-session request ends: the portal's registered address
/// (with `state`), or a page saying the person is signed out; the
/// session cookie cleared.
fn ended(state: &AppState, ctx: &Ctx, e: &motcua_sso::logout::Ending) -> Response {
    let mut r = match &e.redirect {
        Some(to) => Redirect::to(to).into_response(),
        None => render(&LogoutPage {
            c: Chrome::new(state, ctx),
            client_name: e.client_name.clone(),
            q: Default::default(),
            done: true,
        }),
    };
    if ctx.viewer.is_some() {
        r.headers_mut()
            .append(header::SET_COOKIE, super::auth::clear_session_cookie(state));
    }
    r
}

/// Checks an end-session request; a refusal is a page (never a redirect).
async fn checked(
    state: &AppState,
    ctx: &Ctx,
    q: &motcua_sso::logout::EndSession,
) -> Result<motcua_sso::logout::Ending, Response> {
    match motcua_sso::logout::request(state, q, state.now()).await {
        Ok(Ok(e)) => Ok(e),
        Ok(Err(why)) => {
            let key = match why {
                motcua_sso::logout::Refused::Hint => "sso.error_logout_hint",
                motcua_sso::logout::Refused::Redirect => "sso.error_redirect",
            };
            let mut r = render(&RefusedPage {
                c: Chrome::new(state, ctx),
                key,
            });
            *r.status_mut() = StatusCode::BAD_REQUEST;
            Err(r)
        }
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

/// `GET /oidc/logout` (RP-Initiated Logout): with an ID token of the
/// current session as hint, the session ends at once; otherwise the
/// person confirms (a link cannot sign anyone out).
async fn end_session(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<motcua_sso::logout::EndSession>,
) -> Response {
    let e = match checked(&state, &ctx, &q).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let Some(v) = &ctx.viewer else {
        return ended(&state, &ctx, &e);
    };
    let sid = &v.session.id_hash[..v.session.id_hash.len().min(32)];
    if e.sid.as_deref() == Some(sid) {
        if let Err(err) = super::auth::end_session(&state, &ctx).await {
            return err.into_response();
        }
        return ended(&state, &ctx, &e);
    }
    render(&LogoutPage {
        c: Chrome::new(&state, &ctx),
        client_name: e.client_name,
        q,
        done: false,
    })
}

/// `POST /oidc/logout`: the person confirmed.
async fn end_session_confirmed(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(q): Form<motcua_sso::logout::EndSession>,
) -> Response {
    let e = match checked(&state, &ctx, &q).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    if let Err(err) = super::auth::end_session(&state, &ctx).await {
        return err.into_response();
    }
    ended(&state, &ctx, &e)
}

/// The logged-in person as the provider sees them.
fn who(ctx: &Ctx) -> Option<Who> {
    ctx.viewer.as_ref().map(|v| Who {
        account_id: v.account.id.get(),
        session_hash: v.session.id_hash.clone(),
        level: v.session.assurance_level,
        auth_time: v.session.created_at,
    })
}

async fn follow(state: &AppState, ctx: &Ctx, uri: &Uri, r: &Request, step: Step) -> Response {
    let here = uri
        .path_and_query()
        .map_or("/oidc/authorize", |p| p.as_str())
        .to_string();
    let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
    match step {
        Step::Refuse(key) => {
            let mut resp = render(&RefusedPage {
                c: Chrome::new(state, ctx),
                key,
            });
            *resp.status_mut() = StatusCode::BAD_REQUEST;
            resp
        }
        Step::Redirect(to) => Redirect::to(&to).into_response(),
        Step::Login => Redirect::to(&format!("/login?next={next}")).into_response(),
        Step::StepUp(level) => {
            Redirect::to(&format!("/auth/step-up?level={level}&next={next}")).into_response()
        }
        Step::Consent { client, scopes } => {
            let c = Chrome::new(state, ctx);
            let scopes = scopes
                .into_iter()
                .map(|s| {
                    let words = c.t(&format!("sso.scope_{s}")).to_string();
                    (s, words)
                })
                .collect();
            render(&ConsentPage {
                c,
                client_name: client.name,
                scopes,
                r: r.clone(),
            })
        }
    }
}

/// `GET /oidc/authorize?…`: the authorization request.
async fn authorize_page(
    State(state): State<AppState>,
    ctx: Ctx,
    uri: Uri,
    Query(r): Query<Request>,
) -> Response {
    if let Err(resp) = crate::ctx::terms_gate(&ctx) {
        return resp;
    }
    let step = tri!(
        authorize::step(
            &state,
            &state.sso,
            &origin(&ctx),
            &r,
            who(&ctx).as_ref(),
            false,
            state.now()
        )
        .await
    );
    follow(&state, &ctx, &uri, &r, step).await
}

#[derive(Deserialize, Default)]
pub struct ConsentForm {
    #[serde(flatten)]
    r: Request,
    #[serde(default)]
    decision: String,
}

/// `POST /oidc/authorize`: the person's answer on the consent page.
async fn consent(
    State(state): State<AppState>,
    Me(ctx, _): Me,
    uri: Uri,
    Form(f): Form<ConsentForm>,
) -> Response {
    let step = if f.decision == "allow" {
        tri!(
            authorize::step(
                &state,
                &state.sso,
                &origin(&ctx),
                &f.r,
                who(&ctx).as_ref(),
                true,
                state.now()
            )
            .await
        )
    } else {
        tri!(authorize::denied(&state, &f.r).await)
    };
    follow(&state, &ctx, &uri, &f.r, step).await
}

/// The client's credentials of an `Authorization: Basic` header (the
/// id and secret form-urlencoded inside, RFC 6749 §2.3.1).
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))?;
    let raw = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (id, secret) = raw.split_once(':')?;
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((dec(id)?, dec(secret)?))
}

fn oauth_error(status: StatusCode, code: &str) -> Response {
    let mut r = json_response(status, &json!({ "error": code }));
    r.extensions_mut().insert(crate::error::ProtocolError);
    if status == StatusCode::UNAUTHORIZED {
        if let Ok(v) = "Basic realm=\"motcua\"".parse() {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
    }
    r
}

/// `POST /api/oidc/token`.
async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Ok(f) = serde_urlencoded::from_bytes::<motcua_sso::token::Form>(&body) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let endpoint = format!("{}/api/oidc/token", motcua_sso::issuer(&state));
    let client = match motcua_sso::token::client(
        &state,
        basic(&headers),
        &f,
        &endpoint,
        state.now(),
    )
    .await
    {
        Ok(Some(c)) => c,
        Ok(None) => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client"),
        Err(e) => return AppError::from(e).into_response(),
    };
    match motcua_sso::token::grant(&state, &state.sso, &client, &f, state.now()).await {
        Ok(Ok(v)) => json_response(StatusCode::OK, &v),
        Ok(Err(e)) => oauth_error(StatusCode::BAD_REQUEST, e.code()),
        Err(e) => AppError::from(e).into_response(),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .map(|t| t.trim().to_string())
}

fn invalid_token() -> Response {
    let mut r = json_response(
        StatusCode::UNAUTHORIZED,
        &json!({ "error": "invalid_token" }),
    );
    r.extensions_mut().insert(crate::error::ProtocolError);
    if let Ok(v) = "Bearer error=\"invalid_token\"".parse() {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

/// `GET|POST /api/oidc/userinfo` (Bearer): the claims of the token's
/// scope; every release is logged in the person's data-reuse log.
async fn userinfo(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Response {
    let Some(t) = bearer(&headers) else {
        return invalid_token();
    };
    match motcua_sso::token::userinfo(&state, &t, state.now()).await {
        Ok(Some((uid, client, claims, released))) => {
            let service = format!("sso:{client}");
            if let Err(e) = motcua_identity::profile::log_reuse(
                &state.identity_ctx,
                motcua_domain::AccountId::new(uid),
                &released,
                &service,
                &ctx.request_id,
            )
            .await
            {
                return AppError::from(e).into_response();
            }
            json_response(StatusCode::OK, &claims)
        }
        Ok(None) => invalid_token(),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize, Default)]
pub struct TokenParam {
    #[serde(default)]
    token: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    client_assertion_type: String,
    #[serde(default)]
    client_assertion: String,
}

/// The client of an introspection or revocation request at `path`
/// (a secret or a signed assertion, as at the token endpoint).
async fn authenticated(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    path: &str,
) -> Result<(motcua_sso::store::clients::Client, TokenParam), Response> {
    let p: TokenParam = serde_urlencoded::from_bytes(body)
        .map_err(|_| oauth_error(StatusCode::BAD_REQUEST, "invalid_request"))?;
    let f = motcua_sso::token::Form {
        client_id: p.client_id.clone(),
        client_secret: p.client_secret.clone(),
        client_assertion_type: p.client_assertion_type.clone(),
        client_assertion: p.client_assertion.clone(),
        ..Default::default()
    };
    let endpoint = format!("{}{path}", motcua_sso::issuer(state));
    match motcua_sso::token::client(state, basic(headers), &f, &endpoint, state.now()).await {
        Ok(Some(c)) => Ok((c, p)),
        Ok(None) => Err(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client")),
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

/// `POST /api/oidc/introspect` (RFC 7662), client-authenticated.
async fn introspect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (client, p) = match authenticated(&state, &headers, &body, "/api/oidc/introspect").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match motcua_sso::token::introspect(&state, &client, &p.token, state.now()).await {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// `POST /api/oidc/revoke` (RFC 7009), client-authenticated.
async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (client, p) = match authenticated(&state, &headers, &body, "/api/oidc/revoke").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match motcua_sso::token::revoke(&state, &client, &p.token, state.now()).await {
        Ok(()) => json_response(StatusCode::OK, &json!({})),
        Err(e) => AppError::from(e).into_response(),
    }
}

// ------------------------------------------------------------ the person

pub struct PortalRow {
    pub client_id: String,
    pub name: String,
    pub scopes: String,
    pub last: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "sso/portals.html")]
struct PortalsPage {
    c: Chrome,
    rows: Vec<PortalRow>,
}

/// `GET /account/portals`: the portals this person signed in to.
async fn portals(State(state): State<AppState>, Me(ctx, v): Me) -> Response {
    let list = tri!(motcua_sso::grants::of_account(&state, v.account.id.get()).await);
    let rows = list
        .into_iter()
        .map(|p| PortalRow {
            client_id: p.client_id,
            name: p.name,
            scopes: p.scope,
            last: motcua_domain::clock::format_vn(p.last_used_at),
            revoked: p.revoked,
        })
        .collect();
    render(&PortalsPage {
        c: Chrome::new(&state, &ctx),
        rows,
    })
}

/// `POST /account/portals/{client}/revoke`.
async fn revoke_portal(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(client): Path<String>,
) -> Response {
    tri!(
        motcua_sso::grants::revoke(
            &state,
            &origin(&ctx),
            v.account.id.get(),
            &client,
            state.now()
        )
        .await
    );
    Redirect::to("/account/portals").into_response()
}

// ------------------------------------------------------------ the operator

#[derive(Template)]
#[template(path = "sso/console.html")]
struct ConsolePage {
    c: Chrome,
    clients: Vec<motcua_sso::store::clients::Client>,
    f: RegisterForm,
    error: Option<(&'static str, &'static str)>,
    /// A secret to show once: (client, secret).
    secret: Option<(String, String)>,
    scopes: Vec<&'static str>,
    system_scopes: Vec<&'static str>,
}

#[derive(Deserialize, Default, Clone)]
pub struct RegisterForm {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    agency_code: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_uris: String,
    #[serde(default)]
    backchannel_logout_uri: String,
    #[serde(default)]
    auth_method: String,
    #[serde(default)]
    jwks: String,
    #[serde(default)]
    max_level: String,
}

async fn console_page(
    state: &AppState,
    ctx: &Ctx,
    f: RegisterForm,
    error: Option<(&'static str, &'static str)>,
    secret: Option<(String, String)>,
) -> Response {
    let clients = tri!(motcua_sso::clients::all(state).await);
    let mut r = render(&ConsolePage {
        c: Chrome::new(state, ctx),
        clients,
        f,
        error,
        secret,
        scopes: motcua_sso::SCOPES.iter().map(|(s, _)| *s).collect(),
        system_scopes: motcua_sso::SYSTEM_SCOPES.to_vec(),
    });
    if error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// `GET /console/sso`: the registered portals and systems.
async fn console(State(state): State<AppState>, Operator(ctx): Operator) -> Response {
    console_page(&state, &ctx, RegisterForm::default(), None, None).await
}

/// `POST /console/sso`: registers one; its secret shown once.
async fn register(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    body: axum::body::Bytes,
) -> Response {
    // Scopes come as repeated fields.
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| super::first(&pairs, k);
    let f = RegisterForm {
        client_id: get("client_id"),
        name: get("name"),
        kind: get("kind"),
        agency_code: get("agency_code"),
        redirect_uris: get("redirect_uris"),
        post_logout_uris: get("post_logout_uris"),
        backchannel_logout_uri: get("backchannel_logout_uri"),
        auth_method: get("auth_method"),
        jwks: get("jwks"),
        max_level: get("max_level"),
    };
    let input = motcua_sso::clients::NewClient {
        client_id: f.client_id.clone(),
        name: f.name.clone(),
        kind: f.kind.clone(),
        agency_code: f.agency_code.clone(),
        redirect_uris: f.redirect_uris.clone(),
        post_logout_uris: f.post_logout_uris.clone(),
        backchannel_logout_uri: f.backchannel_logout_uri.clone(),
        auth_method: f.auth_method.clone(),
        jwks: f.jwks.clone(),
        scopes: pairs
            .iter()
            .filter(|(k, _)| k == "scopes")
            .map(|(_, v)| v.clone())
            .collect(),
        max_level: f.max_level.clone(),
    };
    match motcua_sso::clients::register(&state, &origin(&ctx), &input, state.now()).await {
        Ok(secret) => {
            let id = f.client_id.trim().to_string();
            console_page(
                &state,
                &ctx,
                RegisterForm::default(),
                None,
                Some((id, secret)),
            )
            .await
        }
        Err(ServiceError::Invalid { field, key }) => {
            console_page(
                &state,
                &ctx,
                f,
                Some((field.unwrap_or("client_id"), key)),
                None,
            )
            .await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize, Default)]
pub struct ChangeForm {
    #[serde(default)]
    action: String,
}

/// `POST /console/sso/{client}`: suspend, resume, or a new secret.
async fn change(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(client): Path<String>,
    Form(f): Form<ChangeForm>,
) -> Response {
    match motcua_sso::clients::change(&state, &origin(&ctx), &client, &f.action, state.now()).await
    {
        Ok(Some(secret)) => {
            console_page(
                &state,
                &ctx,
                RegisterForm::default(),
                None,
                Some((client, secret)),
            )
            .await
        }
        Ok(None) => Redirect::to("/console/sso").into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}
