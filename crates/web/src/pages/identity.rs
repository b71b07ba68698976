//! Pages: login and registration with a USB signing token through the
//! local signing tool (R-ID-9, R-ID-11), the signing tool's download, and
//! the holder's certificates.
use super::auth::{origin, session_cookie};
use super::{render, Chrome};
use crate::ctx::{self, Ctx};
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use motcua_domain::clock::format_vn;
use motcua_domain::{AssuranceLevel, AuthMethod, CertificateId, Email, SignupStatus};
use motcua_identity::captcha;
use motcua_identity::service::{self, ServiceError};
use motcua_identity::token::{self, Prefill, SignedChallenge, TokenError};
use motcua_mail::Template as Mail;
use motcua_pki::challenge::Purpose;

use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/token", get(token_page))
        .route("/auth/step-up", get(step_up_page))
        .route("/auth/sim", get(sim_page).post(sim_start))
        .route("/auth/eid", get(eid_begin))
        .route("/auth/eid/callback", get(eid_callback))
        .route("/auth/eid/link", get(eid_link_page).post(eid_link_submit))
        .route("/signup", get(signup_ways))
        .route(
            "/register",
            get(|| async { Redirect::permanent("/signup") }),
        )
        .route("/register/eid/{id}", get(eid_consent).post(eid_confirm))
        .route("/auth/sim/{id}", get(sim_wait))
        .route("/auth/token/challenge", post(challenge))
        .route("/auth/token/verify", post(verify))
        .route(
            "/register/certificate/{id}",
            get(signup_form).post(signup_submit),
        )
        .route(
            "/register/certificate/{id}/confirm",
            get(confirm_form).post(confirm_submit),
        )
        .route("/downloads/motcua-signer", get(downloads))
        .route("/downloads/motcua-signer/{file}", get(download_file))
        .route("/account/data", get(data_page).post(data_save))
        .route("/account/certificates", get(certificates))
        .route(
            "/account/certificates/{id}/remove",
            post(remove_certificate),
        )
}

/// `login`, `register`, `step_up` or `add` (a renewed certificate, logged
/// in: signed as a registration).
fn purpose_of(s: Option<&str>) -> (&'static str, Purpose) {
    match s {
        Some("add") => ("add", Purpose::Register),
        other => sim_purpose(other),
    }
}

#[derive(Template)]
#[template(path = "identity/token.html")]
struct TokenPage {
    c: Chrome,
    purpose: &'static str,
    title_key: String,
    lead_key: String,
    submit_key: String,
    next: String,
    port: u16,
    error: Option<String>,
    /// Offer registration (the certificate is valid but not registered).
    offer_register: bool,
    /// The sign-up the refused login's signature opened (no second
    /// signature needed).
    signup: Option<String>,
    /// Step-up: the level the page needs, the session's level, and the
    /// methods that reach it (i18n keys).
    step_up: Option<(u8, i64, Vec<&'static str>)>,
    /// Step-up: the national e-ID is configured and one of its levels
    /// reaches the page's.
    eid_step_up: bool,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    purpose: Option<String>,
    next: Option<String>,
}

pub async fn token_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TokenQuery>,
) -> Response {
    let (purpose, _) = purpose_of(q.purpose.as_deref());
    if purpose == "add" || purpose == "step_up" {
        if let Err(r) = ctx.user() {
            return r;
        }
    }
    render(&TokenPage {
        c: Chrome::new(&state, &ctx),
        title_key: format!("token.{purpose}.title"),
        lead_key: format!("token.{purpose}.lead"),
        submit_key: format!("token.{purpose}.submit"),
        purpose,
        next: ctx::safe_next(&state, q.next.as_deref()),
        port: state.identity.signer_port,
        error: None,
        offer_register: false,
        signup: None,
        step_up: None,
        eid_step_up: false,
    })
}

#[derive(Deserialize)]
pub struct StepUpQuery {
    next: Option<String>,
    level: Option<u8>,
}

/// "This page needs a stronger login" (R-ID-13): the methods that reach
/// the level, and the token flow with purpose `step_up`.
pub async fn step_up_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<StepUpQuery>,
) -> Response {
    let v = match ctx.user() {
        Ok(v) => v,
        Err(r) => return r,
    };
    let next = ctx::safe_next(&state, q.next.as_deref());
    let needed = q
        .level
        .and_then(AssuranceLevel::new)
        .unwrap_or(AssuranceLevel::HIGH);
    if v.session.assurance_level >= i64::from(needed.get()) {
        return Redirect::to(&next).into_response();
    }
    let reaching = state.identity.levels.methods_reaching(needed);
    let eid_step_up = state.identity.eid.is_some()
        && reaching.iter().any(|m| {
            matches!(
                m,
                AuthMethod::EidL1 | AuthMethod::EidL2 | AuthMethod::EidOrg
            )
        });
    let methods = reaching
        .into_iter()
        .filter_map(|m| state.i18n.static_key(&format!("method.{}", m.as_str())))
        .collect();
    render(&TokenPage {
        c: Chrome::new(&state, &ctx),
        title_key: "token.step_up.title".into(),
        lead_key: "token.step_up.lead".into(),
        submit_key: "token.step_up.submit".into(),
        purpose: "step_up",
        next,
        port: state.identity.signer_port,
        error: None,
        offer_register: false,
        signup: None,
        step_up: Some((needed.get(), v.session.assurance_level, methods)),
        eid_step_up,
    })
}

/// The logged-in holder, once the initial password is replaced and the
/// session reaches the level page `key` needs; otherwise the response that
/// sends them where they must go (change form, login, step-up).
async fn holder_at<'a>(
    state: &AppState,
    ctx: &'a Ctx,
    key: &str,
    level: AssuranceLevel,
) -> Result<&'a crate::ctx::Viewer, Response> {
    super::auth::ready_user(state, ctx).await?;
    require_level(state, ctx, key, level)?;
    ctx.viewer
        .as_ref()
        .ok_or_else(|| AppError::NotFound.into_response())
}

/// Redirects to the step-up page unless the session reaches the level the
/// page `key` needs (declared by the page, overridable in
/// `[identity.required_levels]`). Not logged in: to the login page.
#[allow(clippy::result_large_err)]
pub fn require_level(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    default: AssuranceLevel,
) -> Result<(), Response> {
    let v = ctx.user()?;
    let needed = state.identity.required_level(key, default);
    if v.session.assurance_level >= i64::from(needed.get()) {
        return Ok(());
    }
    Err(Redirect::to(&format!(
        "/auth/step-up?level={}&next={}",
        needed.get(),
        ctx::urlencode(&ctx.path)
    ))
    .into_response())
}

#[derive(Deserialize)]
pub struct ChallengeForm {
    purpose: Option<String>,
}

/// A fresh challenge for this browser (the page's script calls this with
/// the CSRF header, then hands the text to the signing tool).
pub async fn challenge(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ChallengeForm>,
) -> Response {
    let (name, purpose) = purpose_of(f.purpose.as_deref());
    let account = match name {
        "add" | "step_up" => match &ctx.viewer {
            Some(v) => Some(v.account.id),
            None => return StatusCode::UNAUTHORIZED.into_response(),
        },
        _ => None,
    };
    let ch = token::issue_challenge(
        &state,
        &ctx.binding_hash,
        purpose,
        AuthMethod::UsbToken,
        account,
    );
    let mut r = Json(serde_json::json!({
        "id": ch.id,
        "challenge": ch.to_text(),
        "expires": motcua_pki::rfc3339(ch.expires),
    }))
    .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Deserialize)]
pub struct VerifyForm {
    purpose: Option<String>,
    next: Option<String>,
    #[serde(flatten)]
    signed: SignedChallenge,
}

/// The signed challenge comes back: log in, open a sign-up, or add the
/// certificate to the logged-in account.
pub async fn verify(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<VerifyForm>,
) -> Response {
    let (name, purpose) = purpose_of(f.purpose.as_deref());
    let next = ctx::safe_next(&state, f.next.as_deref());
    let account = match name {
        "add" | "step_up" => ctx.viewer.as_ref().map(|v| v.account.id),
        _ => None,
    };
    let signed = token::verify_signed(
        &state,
        &ctx.binding_hash,
        purpose,
        AuthMethod::UsbToken,
        account,
        &f.signed,
        name == "login",
    )
    .await;
    let (outcome, signup) = match signed {
        Err(e) => (Err(e), None),
        Ok(v) => finish_or_signup(&state, &ctx, name, &next, &v).await,
    };
    match outcome {
        Ok(r) => r,
        Err(TokenError::Service(e)) => AppError::from(e).into_response(),
        Err(e) => {
            tracing::info!(reason = %e, purpose = name, "signed challenge refused");
            let c = Chrome::new(&state, &ctx);
            let offer_register = matches!(e, TokenError::NotRegistered);
            let mut msg = c.t(e.message_key()).to_string();
            if let TokenError::Pki(p) = &e {
                tracing::info!(detail = %p, "certificate refused");
            }
            if msg == "…" {
                msg = c.t("token.failed").to_string();
            }
            let mut r = render(&TokenPage {
                c,
                title_key: format!("token.{name}.title"),
                lead_key: format!("token.{name}.lead"),
                submit_key: format!("token.{name}.submit"),
                purpose: name,
                next,
                port: state.identity.signer_port,
                error: Some(msg),
                offer_register,
                signup,
                step_up: None,
                eid_step_up: false,
            });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

/// [`finish`]; and a login refused because no account holds the (valid)
/// certificate opens the sign-up from that same signature, so the person
/// does not sign a second time to register: the refusal comes with the
/// sign-up's id. A certificate that cannot register (its identity has an
/// account, it names none) gets that reason instead.
async fn finish_or_signup(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    next: &str,
    v: &token::Verified,
) -> (Result<Response, TokenError>, Option<String>) {
    match finish(state, ctx, name, next, v).await {
        Err(TokenError::NotRegistered) if name == "login" => {
            match token::start_signup(state, &ctx.binding_hash, v).await {
                Ok(id) => (Err(TokenError::NotRegistered), Some(id)),
                Err(e) => (Err(e), None),
            }
        }
        other => (other, None),
    }
}

/// What a verified signature (token or SIM) does for each purpose: log in,
/// step up, add a certificate, or open a sign-up.
async fn finish(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    next: &str,
    v: &token::Verified,
) -> Result<Response, TokenError> {
    // Stored targets were checked when stored; check again where they are used.
    let next = &ctx::safe_next(state, Some(next));
    match name {
        "login" => {
            let old = ctx.viewer.as_ref().map(|v| v.token.as_str());
            token::login_with_certificate(state, &origin(ctx), v, old)
                .await
                .map(|(tok, _)| {
                    let mut r = Redirect::to(next).into_response();
                    r.headers_mut()
                        .append(header::SET_COOKIE, session_cookie(state, &tok));
                    r
                })
        }
        "step_up" => match &ctx.viewer {
            Some(viewer) => {
                token::step_up(state, &origin(ctx), viewer.account.id, &viewer.token, v)
                    .await
                    .map(|tok| {
                        let mut r = Redirect::to(next).into_response();
                        r.headers_mut()
                            .append(header::SET_COOKIE, session_cookie(state, &tok));
                        r
                    })
            }
            None => Err(TokenError::OtherAccount),
        },
        "add" => match &ctx.viewer {
            Some(viewer) if v.row.account_id == Some(viewer.account.id) => {
                token::add_certificate(state, &origin(ctx), viewer.account.id, v)
                    .await
                    .map(|_| {
                        Redirect::to("/account/certificates?m=certificate_added").into_response()
                    })
            }
            _ => Err(TokenError::OtherAccount),
        },
        _ => token::start_signup(state, &ctx.binding_hash, v)
            .await
            .map(|id| Redirect::to(&format!("/register/certificate/{id}")).into_response()),
    }
}

// ------------------------------------------------------------------ sign-up

#[derive(Template)]
#[template(path = "identity/signup.html")]
struct SignupPage {
    c: Chrome,
    id: String,
    p: Prefill,
    valid_until: String,
    captcha: captcha::Issued,
    errors: Vec<&'static str>,
    accept: motcua_identity::portal::AcceptView,
}

async fn open_signup(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<Option<(motcua_identity::Signup, Prefill)>, AppError> {
    Ok(token::open_signup(state, id, &ctx.binding_hash, state.now()).await?)
}

fn signup_gone(state: &AppState, ctx: &Ctx) -> Response {
    let mut r = super::message_page(
        state,
        ctx,
        "token.signup_gone.title",
        "token.signup_gone.body",
        Some(("/auth/token?purpose=register", "token.register.start")),
    );
    *r.status_mut() = StatusCode::GONE;
    r
}

async fn render_signup(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: Prefill,
    errors: Vec<&'static str>,
    accept: motcua_identity::portal::AcceptView,
) -> Response {
    let captcha = match captcha::issue(state, ctx.locale).await {
        Ok(c) => c,
        Err(e) => return AppError::from(e).into_response(),
    };
    let mut r = render(&SignupPage {
        c: Chrome::new(state, ctx),
        id: id.to_string(),
        valid_until: format_vn(p.valid_until),
        p,
        captcha,
        errors: errors.clone(),
        accept,
    });
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The sign-up form again, with what was typed, after a rate limit (429).
async fn render_signup_limited(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    p: Prefill,
    accept: motcua_identity::portal::AcceptView,
) -> Response {
    let mut r = render_signup(state, ctx, id, p, vec!["error.rate_limited_hour"], accept).await;
    *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    r
}

pub async fn signup_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    match open_signup(&state, &ctx, &id).await {
        Ok(Some((_, p))) => render_signup(&state, &ctx, &id, p, vec![], Default::default()).await,
        Ok(None) => signup_gone(&state, &ctx),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct SignupForm {
    full_name: Option<String>,
    email: String,
    phone: Option<String>,
    captcha_id: String,
    captcha: String,
    accept_terms: Option<String>,
}

pub async fn signup_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<SignupForm>,
) -> Response {
    let (signup, mut p) = match open_signup(&state, &ctx, &id).await {
        Ok(Some(x)) => x,
        Ok(None) => return signup_gone(&state, &ctx),
        Err(e) => return e.into_response(),
    };
    let now = state.now();
    let mut errors = Vec::new();
    if p.kind == "business" {
        // The contact person of the business.
        p.full_name = f
            .full_name
            .unwrap_or_default()
            .trim()
            .chars()
            .take(200)
            .collect();
    }
    if motcua_domain::account::parse_full_name(&p.full_name).is_err() {
        errors.push("error.full_name");
    }
    match Email::parse(&f.email) {
        Ok(e) => p.email = e.to_string(),
        Err(_) => {
            p.email = f.email.trim().chars().take(254).collect();
            errors.push("error.email");
        }
    }
    p.phone = f
        .phone
        .unwrap_or_default()
        .trim()
        .chars()
        .take(20)
        .collect();
    let captcha_ok = match captcha::check(&state, &f.captcha_id, &f.captcha).await {
        Ok(ok) => ok,
        Err(e) => return AppError::from(e).into_response(),
    };
    if !captcha_ok {
        errors.push("token.captcha_wrong");
    }
    let accept = motcua_identity::portal::AcceptView {
        checked: motcua_identity::portal::accepted(f.accept_terms.as_deref()),
        error: !motcua_identity::portal::accepted(f.accept_terms.as_deref()),
    };
    if accept.error {
        errors.push(motcua_identity::portal::ACCEPT_ERROR);
    }
    if errors.is_empty() {
        let limits = service::form_limits("signup", &ctx.ip, Some(&p.email));
        match service::rate_limit(&state, &limits).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return render_signup_limited(&state, &ctx, &id, p, accept).await,
            Err(e) => return AppError::from(e).into_response(),
        }
    }
    if !errors.is_empty() {
        return render_signup(&state, &ctx, &id, p, errors, accept).await;
    }
    let (code, hash) = token::new_code(&signup.id);
    let c = Chrome::new(&state, &ctx);
    let mail = Mail::Notice {
        full_name: p.full_name.clone(),
        subject: c.t("token.mail.subject").to_string(),
        heading: c.t("token.mail.heading").to_string(),
        body: c.t("token.mail.body").to_string(),
        facts: vec![
            (c.t("token.mail.code").to_string(), code),
            (
                c.t("token.mail.valid").to_string(),
                "30 phút / 30 minutes".to_string(),
            ),
        ],
        link_label: c.t("token.mail.link").to_string(),
        link: format!(
            "{}/register/certificate/{}/confirm",
            state.config.public_url, signup.id
        ),
    };
    if let Err(e) = token::send_signup_code(
        &state, &signup.id, &p, &hash, &mail, ctx.locale, &ctx.ip, now,
    )
    .await
    {
        return AppError::from(e).into_response();
    }
    Redirect::to(&format!("/register/certificate/{}/confirm", signup.id)).into_response()
}

#[derive(Template)]
#[template(path = "identity/confirm.html")]
struct ConfirmPage {
    c: Chrome,
    id: String,
    email: String,
    error: Option<&'static str>,
}

pub async fn confirm_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    match open_signup(&state, &ctx, &id).await {
        Ok(Some((s, _))) if s.status == SignupStatus::CodeSent => render(&ConfirmPage {
            c: Chrome::new(&state, &ctx),
            id,
            email: s.email.unwrap_or_default(),
            error: None,
        }),
        Ok(Some(_)) => Redirect::to(&format!("/register/certificate/{id}")).into_response(),
        Ok(None) => signup_gone(&state, &ctx),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    code: String,
}

pub async fn confirm_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let (signup, p) = match open_signup(&state, &ctx, &id).await {
        Ok(Some(x)) if x.0.status == SignupStatus::CodeSent => x,
        Ok(Some(_)) => return Redirect::to(&format!("/register/certificate/{id}")).into_response(),
        Ok(None) => return signup_gone(&state, &ctx),
        Err(e) => return e.into_response(),
    };
    let right = signup.code_hash.as_deref() == Some(token::code_hash(&signup.id, &f.code).as_str());
    if !right || signup.attempts >= token::MAX_CODE_ATTEMPTS {
        let attempts = tri!(token::wrong_code(&state, &signup.id).await);
        if attempts >= token::MAX_CODE_ATTEMPTS {
            return signup_gone(&state, &ctx);
        }
        let mut r = render(&ConfirmPage {
            c: Chrome::new(&state, &ctx),
            id,
            email: signup.email.unwrap_or_default(),
            error: Some("token.code_wrong"),
        });
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return r;
    }
    let old = ctx.viewer.as_ref().map(|v| v.token.as_str());
    match token::complete_signup(&state, &origin(&ctx), &signup, &p, old).await {
        Ok((tok, _)) => {
            state.events_notify.notify_one();
            let mut r = Redirect::to("/account?m=registered_certificate").into_response();
            r.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&state, &tok));
            r
        }
        Err(TokenError::Service(e)) => AppError::from(e).into_response(),
        Err(e) => {
            let mut r = super::message_page(
                &state,
                &ctx,
                "token.refused.title",
                e.message_key(),
                Some(("/login", "nav.login")),
            );
            *r.status_mut() = StatusCode::CONFLICT;
            r
        }
    }
}

// --------------------------------------------------------------- downloads

#[derive(Template)]
#[template(path = "identity/downloads.html")]
struct DownloadsPage {
    c: Chrome,
    files: Vec<DownloadView>,
    origin: String,
}

struct DownloadView {
    name: String,
    size: String,
    sha256: String,
}

/// The files offered: regular files (no links, no hidden files) whose
/// names are plain; only these can be downloaded.
fn download_files(state: &AppState) -> Vec<(String, u64)> {
    let Some(dir) = &state.identity.signer_download_dir else {
        return vec![];
    };
    let mut out: Vec<(String, u64)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let ok = !name.starts_with('.')
                && name.len() <= 200
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.+~".contains(&b));
            ok.then(|| (name, e.metadata().map(|m| m.len()).unwrap_or(0)))
        })
        .collect();
    out.sort();
    out
}

/// SHA-256 of a file, remembered while its size and modification time
/// stay the same (installers are large; the page lists them often).
fn file_sha256(path: &std::path::Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::collections::HashMap;
    use std::io::Read;
    use std::sync::{Mutex, OnceLock};
    type Key = (std::path::PathBuf, u64, Option<std::time::SystemTime>);
    static CACHE: OnceLock<Mutex<HashMap<Key, String>>> = OnceLock::new();
    let meta = std::fs::metadata(path)?;
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(h) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(h);
    }
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let h = hex::encode(hasher.finalize());
    if let Ok(mut c) = cache.lock() {
        if c.len() > 256 {
            c.clear();
        }
        c.insert(key, h.clone());
    }
    Ok(h)
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1_048_576 {
        format!("{:.1} MB", bytes as f64 / 1_048_576.0)
    } else if bytes >= 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

pub async fn downloads(State(state): State<AppState>, ctx: Ctx) -> Response {
    let listed = download_files(&state);
    let dir = state.identity.signer_download_dir.clone();
    let files = tokio::task::spawn_blocking(move || {
        listed
            .into_iter()
            .filter_map(|(name, size)| {
                let sha256 = file_sha256(&dir.as_ref()?.join(&name)).ok()?;
                Some(DownloadView {
                    size: human_size(size),
                    name,
                    sha256,
                })
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    render(&DownloadsPage {
        c: Chrome::new(&state, &ctx),
        files,
        origin: token::portal_origin(&state),
    })
}

/// One listed file, as an attachment; any other name is 404.
pub async fn download_file(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(dir) = &state.identity.signer_download_dir else {
        return AppError::NotFound.into_response();
    };
    if !download_files(&state).iter().any(|(n, _)| *n == file) {
        return AppError::NotFound.into_response();
    }
    match tokio::fs::read(dir.join(&file)).await {
        Ok(bytes) => {
            let mut r = bytes.into_response();
            let h = r.headers_mut();
            let kind = if file.ends_with(".deb") {
                "application/vnd.debian.binary-package"
            } else if file.ends_with(".txt") || file.ends_with("SHA256SUMS") {
                "text/plain; charset=utf-8"
            } else {
                "application/octet-stream"
            };
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Err(_) => AppError::NotFound.into_response(),
    }
}

// ------------------------------------------------------------ certificates

pub struct CertView {
    pub id: CertificateId,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub valid: String,
    pub expired: bool,
}

#[derive(Template)]
#[template(path = "identity/certificates.html")]
struct CertificatesPage {
    c: Chrome,
    certs: Vec<CertView>,
}

#[derive(Deserialize)]
pub struct FlashQuery {
    m: Option<String>,
}

pub async fn certificates(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FlashQuery>,
) -> Response {
    let v = match holder_at(&state, &ctx, "account.certificates", AssuranceLevel::HIGH).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let now = state.now();
    let rows = tri!(motcua_identity::queries::certificates(&state, v.account.id).await);
    let certs = rows
        .into_iter()
        .map(|r| CertView {
            id: r.id,
            subject: r.subject_dn,
            issuer: r.issuer_dn,
            serial: r.serial_hex,
            valid: format!("{} – {}", format_vn(r.not_before), format_vn(r.not_after)),
            expired: r.not_after < now,
        })
        .collect();
    render(&CertificatesPage {
        c: Chrome::new(&state, &ctx).with_flash(q.m.as_deref()),
        certs,
    })
}

pub async fn remove_certificate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CertificateId>,
) -> Response {
    let v = match holder_at(&state, &ctx, "account.certificates", AssuranceLevel::HIGH).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let now = state.now();
    let result = token::remove_certificate(&state, &origin(&ctx), v.account.id, id, now).await;
    match result {
        Ok(true) => Redirect::to("/account/certificates?m=certificate_removed").into_response(),
        Ok(false) => AppError::NotFound.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

// ------------------------------------------------------------ personal data

pub struct HeldView {
    pub attr: String,
    pub label: &'static str,
    pub value: String,
    /// Every source that gave this value: (source key, where from), the
    /// latter already in words when it is one of ours.
    pub sources: Vec<(&'static str, String)>,
    pub recorded: String,
    /// First row of its item: carries the consent switch.
    pub first: bool,
    pub allowed: bool,
}

pub struct ReuseView {
    pub at: String,
    /// In the viewer's language ("the dossier of procedure 1.001193").
    pub service: String,
    pub items: String,
}

#[derive(Template)]
#[template(path = "identity/data.html")]
struct DataPage {
    c: Chrome,
    rows: Vec<HeldView>,
    log: Vec<ReuseView>,
}

/// What the portal holds about the holder, from where, the consent to
/// reuse each item, and every reuse (R-ID-15).
pub async fn data_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FlashQuery>,
) -> Response {
    let v = match holder_at(&state, &ctx, "account.data", AssuranceLevel::LOW).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let loaded: Result<_, ServiceError> = async {
        let held = motcua_identity::profile::held_of(&state, &v.account).await?;
        let (consented, log) = motcua_identity::queries::consents(&state, v.account.id, 50).await?;
        Ok((held, consented, log))
    }
    .await;
    let (held, consented, log) = match loaded {
        Ok(x) => x,
        Err(e) => return AppError::from(e).into_response(),
    };
    let key = |prefix: &str, k: &str| {
        state
            .i18n
            .static_key(&format!("{prefix}.{k}"))
            .unwrap_or("method.unknown")
    };
    let c = Chrome::new(&state, &ctx).with_flash(q.m.as_deref());
    // One row per item and value: the same name or ID from the
    // certificate, the e-ID and the account is shown once, with its sources.
    let same = |a: &str, b: &str| {
        let norm = |s: &str| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        norm(a) == norm(b)
    };
    let mut rows: Vec<HeldView> = Vec::new();
    for h in held {
        let source = (
            key("data.source", &h.source),
            match state.i18n.static_key(&format!("data.ref.{}", h.source_ref)) {
                Some(k) => c.t(k).to_string(),
                None => h.source_ref,
            },
        );
        if let Some(r) = rows
            .iter_mut()
            .find(|r| r.attr == h.attr && same(&r.value, &h.value))
        {
            if !r.sources.contains(&source) {
                r.sources.push(source);
            }
            continue;
        }
        let first = !rows.iter().any(|r| r.attr == h.attr);
        rows.push(HeldView {
            label: key("data.attr", &h.attr),
            allowed: consented.contains(&h.attr),
            first,
            sources: vec![source],
            recorded: format_vn(h.recorded_at),
            value: h.value,
            attr: h.attr,
        });
    }
    let log = log
        .into_iter()
        .map(|r| ReuseView {
            at: format_vn(r.at),
            service: match r.service.strip_prefix("dossier:") {
                Some(code) => c.t("dossiers.reuse_service").replace("{code}", code),
                None => c.t(key("data.service", &r.service)).to_string(),
            },
            items: r
                .attrs
                .split(',')
                .map(|a| c.t(key("data.attr", a)))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    render(&DataPage { c, rows, log })
}

pub async fn data_save(
    State(state): State<AppState>,
    ctx: Ctx,
    body: axum::body::Bytes,
) -> Response {
    let v = match holder_at(&state, &ctx, "account.data", AssuranceLevel::LOW).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    // Repeated `allow` fields (checkboxes).
    let allowed: Vec<String> = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k == "allow")
        .map(|(_, v)| v)
        .collect();
    match motcua_identity::profile::set_consents(&state, &origin(&ctx), v.account.id, &allowed)
        .await
    {
        Ok(()) => Redirect::to("/account/data?m=consent_saved").into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

// ------------------------------------------------------------ SIM signature

#[derive(Template)]
#[template(path = "identity/sim.html")]
struct SimPage {
    c: Chrome,
    purpose: &'static str,
    title_key: String,
    next: String,
    phone: String,
    error: Option<&'static str>,
    /// Waiting: the code shown on the phone too, and the masked number.
    waiting: Option<(String, String)>,
    enabled: bool,
    /// The sign-up the refused login's signature opened.
    signup: Option<String>,
}

fn sim_render(
    state: &AppState,
    ctx: &Ctx,
    name: &'static str,
    next: &str,
    phone: &str,
    error: Option<&'static str>,
    waiting: Option<(String, String)>,
) -> Response {
    sim_render_with(state, ctx, name, next, phone, error, waiting, None)
}

#[allow(clippy::too_many_arguments)]
fn sim_render_with(
    state: &AppState,
    ctx: &Ctx,
    name: &'static str,
    next: &str,
    phone: &str,
    error: Option<&'static str>,
    waiting: Option<(String, String)>,
    signup: Option<String>,
) -> Response {
    let mut r = render(&SimPage {
        c: Chrome::new(state, ctx),
        purpose: name,
        title_key: format!("sim.{name}.title"),
        next: next.to_string(),
        phone: phone.to_string(),
        error,
        waiting,
        enabled: state.identity.sim.is_some(),
        signup,
    });
    if error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// `login`, `register` or `step_up`; anything else is a login.
fn sim_purpose(s: Option<&str>) -> (&'static str, Purpose) {
    let p = s.and_then(Purpose::parse).unwrap_or(Purpose::Login);
    (p.as_str(), p)
}

pub async fn sim_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<TokenQuery>,
) -> Response {
    let (name, _) = sim_purpose(q.purpose.as_deref());
    // A dossier is signed from its check page only.
    if name == "sign" {
        return AppError::NotFound.into_response();
    }
    if name == "step_up" {
        if let Err(r) = ctx.user() {
            return r;
        }
    }
    sim_render(
        &state,
        &ctx,
        name,
        &ctx::safe_next(&state, q.next.as_deref()),
        "",
        None,
        None,
    )
}

#[derive(Deserialize)]
pub struct SimForm {
    purpose: Option<String>,
    next: Option<String>,
    phone: String,
}

pub async fn sim_start(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<SimForm>,
) -> Response {
    let (name, purpose) = sim_purpose(f.purpose.as_deref());
    if name == "sign" {
        return AppError::NotFound.into_response();
    }
    let next = ctx::safe_next(&state, f.next.as_deref());
    let phone: String = f.phone.trim().chars().take(20).collect();
    let account = match name {
        "step_up" => match &ctx.viewer {
            Some(v) => Some(v.account.id),
            None => return Redirect::to("/login").into_response(),
        },
        _ => None,
    };
    // Each request rings a phone: limited per IP and per number, reserved
    // before the provider is asked.
    let limits = motcua_identity::sim::limits(&ctx.ip, &phone);
    match service::rate_limit(&state, &limits).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => {
            let mut r = sim_render(
                &state,
                &ctx,
                name,
                &next,
                &phone,
                Some("error.rate_limited_hour"),
                None,
            );
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            return r;
        }
        Err(e) => return AppError::from(e).into_response(),
    }
    match motcua_identity::sim::start(
        &state,
        &ctx.binding_hash,
        name,
        purpose,
        &next,
        &phone,
        account,
    )
    .await
    {
        Ok(id) => Redirect::to(&format!("/auth/sim/{id}")).into_response(),
        Err(motcua_identity::sim::SimError::Token(TokenError::Service(e))) => {
            AppError::from(e).into_response()
        }
        Err(e) => sim_render(
            &state,
            &ctx,
            name,
            &next,
            &phone,
            Some(e.message_key()),
            None,
        ),
    }
}

/// The waiting page: polls the provider once per visit and refreshes
/// itself every two seconds until the user answers on the phone.
pub async fn sim_wait(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    use motcua_identity::sim::{self, Progress, SimError};
    let viewer = ctx.viewer.as_ref().map(|v| v.account.id);
    match sim::poll(&state, &ctx.binding_hash, &id, viewer).await {
        Ok(Progress::Waiting(t)) => {
            let (name, _) = sim_purpose(Some(t.purpose.as_str()));
            let masked = format!("…{}", &t.msisdn[t.msisdn.len().saturating_sub(3)..]);
            let mut r = sim_render(
                &state,
                &ctx,
                name,
                &t.next_path,
                "",
                None,
                Some((t.code, masked)),
            );
            r.headers_mut()
                .insert(header::REFRESH, HeaderValue::from_static("2"));
            r
        }
        Ok(Progress::Verified(v, t)) => {
            let (name, _) = sim_purpose(Some(t.purpose.as_str()));
            let (outcome, signup) = finish_or_signup(&state, &ctx, name, &t.next_path, &v).await;
            match outcome {
                Ok(r) => r,
                Err(TokenError::Service(e)) => AppError::from(e).into_response(),
                Err(e) => {
                    let offer = matches!(e, TokenError::NotRegistered);
                    let mut r = sim_render_with(
                        &state,
                        &ctx,
                        name,
                        &t.next_path,
                        "",
                        Some(e.message_key()),
                        None,
                        signup,
                    );
                    if offer {
                        r.headers_mut()
                            .insert("x-motcua-offer", HeaderValue::from_static("register"));
                    }
                    r
                }
            }
        }
        Ok(Progress::Document(sig, t)) => {
            super::dossiers::submit_sim_signed(&state, &ctx, *sig, &t.next_path).await
        }
        Err(SimError::Token(TokenError::Service(e))) => AppError::from(e).into_response(),
        Err(e) => sim_render(&state, &ctx, "login", "/", "", Some(e.message_key()), None),
    }
}

// --------------------------------------------------------------- e-ID

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn eid_refused(state: &AppState, ctx: &Ctx, key: &'static str) -> Response {
    let mut r = super::message_page(
        state,
        ctx,
        "eid.refused.title",
        key,
        Some(("/login", "nav.login")),
    );
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
}

/// Sends the browser to the national e-ID provider (R-ID-12).
pub async fn eid_begin(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = ctx::safe_next(&state, q.next.as_deref());
    match motcua_identity::eid::begin(&state, &ctx.binding_hash, &next).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "e-ID login not started");
            eid_refused(&state, &ctx, e.message_key())
        }
    }
}

pub async fn eid_callback(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(cb): Query<motcua_oidc::Callback>,
) -> Response {
    use motcua_identity::eid::{self, EidError, Outcome};
    let current = ctx
        .viewer
        .as_ref()
        .map(|v| (v.account.id, v.token.as_str()));
    match eid::callback(&state, &origin(&ctx), &ctx.binding_hash, &cb, current).await {
        Ok(Outcome::LoggedIn(tok, next)) => {
            let mut r = Redirect::to(&ctx::safe_next(&state, Some(&next))).into_response();
            r.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&state, &tok));
            r
        }
        Ok(Outcome::Consent(id)) => Redirect::to(&format!("/register/eid/{id}")).into_response(),
        Ok(Outcome::Link(secret)) => {
            let mut r = Redirect::to("/auth/eid/link").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                ctx::set_cookie(
                    eid::LINK_COOKIE,
                    &secret,
                    Some(eid::LINK_TTL / 1000),
                    state.config.secure_cookies(),
                ),
            );
            r
        }
        Err(EidError::Token(TokenError::Service(e))) => AppError::from(e).into_response(),
        Err(e) => {
            tracing::info!(error = %e, "e-ID login refused");
            eid_refused(&state, &ctx, e.message_key())
        }
    }
}

#[derive(Template)]
#[template(path = "identity/eid_consent.html")]
struct EidConsentPage {
    c: Chrome,
    id: String,
    p: motcua_identity::eid::EidPrefill,
    error: Option<&'static str>,
    accept: motcua_identity::portal::AcceptView,
}

async fn eid_signup(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
) -> Result<Option<(motcua_identity::Signup, motcua_identity::eid::EidPrefill)>, AppError> {
    Ok(
        token::open_signup(state, id, &ctx.binding_hash, state.now())
            .await?
            .filter(|(s, _): &(motcua_identity::Signup, _)| s.status == SignupStatus::Consent),
    )
}

/// The consent screen of a first e-ID login: what will be stored.
pub async fn eid_consent(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    match eid_signup(&state, &ctx, &id).await {
        Ok(Some((_, p))) => render(&EidConsentPage {
            c: Chrome::new(&state, &ctx),
            id,
            p,
            error: None,
            accept: Default::default(),
        }),
        Ok(None) => signup_gone(&state, &ctx),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct EidConsentForm {
    email: Option<String>,
    agree: Option<String>,
    accept_terms: Option<String>,
}

pub async fn eid_confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<EidConsentForm>,
) -> Response {
    let (signup, mut p) = match eid_signup(&state, &ctx, &id).await {
        Ok(Some(x)) => x,
        Ok(None) => return signup_gone(&state, &ctx),
        Err(e) => return e.into_response(),
    };
    let email = f
        .email
        .unwrap_or_default()
        .trim()
        .chars()
        .take(254)
        .collect::<String>();
    let accepted = motcua_identity::portal::accepted(f.accept_terms.as_deref());
    let error = if f.agree.as_deref() != Some("yes") {
        Some("eid.must_agree")
    } else if !email.is_empty() && Email::parse(&email).is_err() {
        Some("error.email")
    } else if !accepted {
        Some(motcua_identity::portal::ACCEPT_ERROR)
    } else {
        None
    };
    p.email = email;
    if let Some(e) = error {
        let mut r = render(&EidConsentPage {
            c: Chrome::new(&state, &ctx),
            id,
            p,
            error: Some(e),
            accept: motcua_identity::portal::AcceptView {
                checked: accepted,
                error: !accepted,
            },
        });
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return r;
    }
    // Accepted before the account exists; the account claims it.
    tri!(token::accept_terms_pending(&state, &signup.id, &ctx.ip, state.now()).await);
    let old = ctx.viewer.as_ref().map(|v| v.token.as_str());
    match motcua_identity::eid::confirm(&state, &origin(&ctx), &signup, &p, old).await {
        Ok((tok, _)) => {
            state.events_notify.notify_one();
            let to = if p.next == "/" {
                "/account?m=registered_eid".to_string()
            } else {
                ctx::safe_next(&state, Some(&p.next))
            };
            let mut r = Redirect::to(&to).into_response();
            r.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&state, &tok));
            r
        }
        Err(motcua_identity::eid::EidError::Token(TokenError::Service(e))) => {
            AppError::from(e).into_response()
        }
        Err(e) => eid_refused(&state, &ctx, e.message_key()),
    }
}

// ------------------------------------------------------ e-ID link proof

#[derive(Template)]
#[template(path = "identity/eid_link.html")]
struct EidLinkPage {
    c: Chrome,
    p: motcua_identity::eid::EidPrefill,
    /// Logged in to the account the e-ID names: its name (the confirm
    /// button shows); not logged in: the ways to prove it.
    account: Option<String>,
    sim: bool,
}

fn link_secret(headers: &HeaderMap) -> String {
    ctx::cookie(headers, motcua_identity::eid::LINK_COOKIE)
        .unwrap_or_default()
        .chars()
        .take(128)
        .collect()
}

fn clear_link_cookie(state: &AppState, r: &mut Response) {
    r.headers_mut().append(
        header::SET_COOKIE,
        ctx::set_cookie(
            motcua_identity::eid::LINK_COOKIE,
            "",
            Some(0),
            state.config.secure_cookies(),
        ),
    );
}

fn link_refused(state: &AppState, ctx: &Ctx, key: &'static str, status: StatusCode) -> Response {
    let mut r = super::message_page(
        state,
        ctx,
        "eid.refused.title",
        key,
        Some(("/auth/eid?next=/account", "login.with_eid")),
    );
    *r.status_mut() = status;
    clear_link_cookie(state, &mut r);
    r
}

/// "An account with your personal ID exists: log in to it to link your
/// e-ID" (R-ID-12). Once this browser is logged in to that account the
/// page offers the link; logged in to another account, the link is
/// refused and the request spent.
pub async fn eid_link_page(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
) -> Response {
    use motcua_identity::eid;
    let secret = link_secret(&headers);
    let (req, p) = match eid::open_link(&state, &secret).await {
        Ok(Some(x)) => x,
        Ok(None) => return link_refused(&state, &ctx, "eid.link.gone", StatusCode::GONE),
        Err(eid::EidError::Token(TokenError::Service(e))) => {
            return AppError::from(e).into_response()
        }
        Err(e) => {
            return link_refused(
                &state,
                &ctx,
                e.message_key(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let account = match &ctx.viewer {
        None => None,
        Some(v) if v.account.id == req.account_id => Some(v.account.full_name.clone()),
        Some(v) => {
            // Proven with another account: refused, and the request spent.
            return match eid::prove_link(&state, &origin(&ctx), &secret, v.account.id).await {
                Err(eid::EidError::Token(TokenError::Service(e))) => {
                    AppError::from(e).into_response()
                }
                Err(e) => link_refused(
                    &state,
                    &ctx,
                    e.message_key(),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                Ok(_) => link_refused(&state, &ctx, "eid.link.gone", StatusCode::GONE),
            };
        }
    };
    let mut r = render(&EidLinkPage {
        c: Chrome::new(&state, &ctx),
        p,
        account,
        sim: state.identity.sim.is_some(),
    });
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The logged-in holder links the e-ID to the account they proved.
pub async fn eid_link_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
) -> Response {
    use motcua_identity::eid;
    let Some(v) = &ctx.viewer else {
        return Redirect::to("/auth/eid/link").into_response();
    };
    let secret = link_secret(&headers);
    if secret.is_empty() {
        return link_refused(&state, &ctx, "eid.link.gone", StatusCode::GONE);
    }
    match eid::prove_link(&state, &origin(&ctx), &secret, v.account.id).await {
        Ok(next) => {
            let to = if next == "/" || next == "/account" {
                "/account?m=eid_linked".to_string()
            } else {
                next
            };
            let mut r = Redirect::to(&to).into_response();
            clear_link_cookie(&state, &mut r);
            r
        }
        Err(eid::EidError::Token(TokenError::Service(e))) => AppError::from(e).into_response(),
        Err(eid::EidError::Spent) => link_refused(&state, &ctx, "eid.link.gone", StatusCode::GONE),
        Err(e) => link_refused(
            &state,
            &ctx,
            e.message_key(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

// ------------------------------------------------------------ sign-up ways

#[derive(Template)]
#[template(path = "identity/ways.html")]
struct WaysPage {
    c: Chrome,
    ways: Vec<motcua_identity::onboarding::Way>,
}

/// "Create an account": each way explained, with its start link.
pub async fn signup_ways(State(state): State<AppState>, ctx: Ctx) -> Response {
    render(&WaysPage {
        c: Chrome::new(&state, &ctx),
        ways: motcua_identity::onboarding::ways(&state),
    })
}
