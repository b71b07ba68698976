use super::{render, Chrome, MessagePage};
use crate::ctx::{self, Ctx, SESSION_COOKIE};
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use motcua_domain::{password, AccountId, Role};
use motcua_identity::service::{self, LoginOutcome, Origin, ServiceError};
use serde::Deserialize;

pub fn origin(ctx: &Ctx) -> Origin {
    Origin {
        audit: ctx.audit(),
        user_agent: ctx.user_agent.clone(),
    }
}

pub(super) fn session_cookie(state: &AppState, token: &str) -> axum::http::HeaderValue {
    ctx::set_cookie(SESSION_COOKIE, token, None, state.config.secure_cookies())
}

pub(super) fn clear_session_cookie(state: &AppState) -> axum::http::HeaderValue {
    ctx::set_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies())
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    error: Option<String>,
    username: String,
    next: String,
    /// The national e-ID login is configured.
    eid: bool,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    m: Option<String>,
}

pub async fn login_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LoginQuery>,
) -> Response {
    if ctx.viewer.is_some() {
        return Redirect::to(&ctx::safe_next(&state, q.next.as_deref())).into_response();
    }
    let c = Chrome::new(&state, &ctx).with_flash(q.m.as_deref());
    render(&LoginPage {
        c,
        error: None,
        username: String::new(),
        next: ctx::safe_next(&state, q.next.as_deref()),
        eid: state.identity.eid.is_some(),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// "HH:MM dd/mm/yyyy" in Vietnam time, for "try again at …".
fn at(ms: i64) -> String {
    motcua_domain::clock::format_vn(ms)
}

pub async fn login(State(state): State<AppState>, ctx: Ctx, Form(f): Form<LoginForm>) -> Response {
    let next = ctx::safe_next(&state, f.next.as_deref());
    let c = Chrome::new(&state, &ctx);
    let old = ctx.viewer.as_ref().map(|v| v.token.clone());
    let outcome =
        if f.username.trim().is_empty() || f.password.is_empty() || f.password.len() > 1024 {
            Ok(LoginOutcome::Invalid)
        } else {
            service::login_password(
                &state,
                &origin(&ctx),
                &f.username,
                &f.password,
                old.as_deref(),
            )
            .await
        };
    let error = match outcome {
        Ok(LoginOutcome::Success {
            token,
            must_change_password,
            ..
        }) => {
            let to = if must_change_password {
                "/password/change".to_string()
            } else {
                next
            };
            let mut r = Redirect::to(&to).into_response();
            r.headers_mut()
                .append(header::SET_COOKIE, session_cookie(&state, &token));
            return r;
        }
        Ok(LoginOutcome::Invalid) => c.t("login.invalid").to_string(),
        Ok(LoginOutcome::Wait(t)) => {
            motcua_kernel::metrics::inc(&state.metrics.login_throttled);
            let secs = ((t - state.now()) / 1000).max(1);
            c.t("login.wait").replace("{secs}", &secs.to_string())
        }
        Ok(LoginOutcome::Throttled(t)) => {
            motcua_kernel::metrics::inc(&state.metrics.login_throttled);
            c.t("login.throttled").replace("{until}", &at(t))
        }
        Ok(LoginOutcome::AccountLocked) => c.t("login.locked").to_string(),
        Ok(LoginOutcome::InitialPasswordExpired) => c.t("login.initial_expired").to_string(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let username: String = f.username.chars().take(64).collect();
    let mut r = render(&LoginPage {
        c,
        error: Some(error),
        username,
        next,
        eid: state.identity.eid.is_some(),
    });
    *r.status_mut() = axum::http::StatusCode::OK;
    r
}

/// Ends the visitor's session, and tells the portals it signed in to
/// (back-channel logout, issue #12 §1). The caller clears the cookie.
pub(super) async fn end_session(state: &AppState, ctx: &Ctx) -> Result<(), AppError> {
    if let Some(v) = &ctx.viewer {
        service::logout(state, &origin(ctx), v.account.id, &v.token).await?;
        motcua_sso::logout::ended(
            state,
            &origin(ctx),
            &v.session.id_hash,
            &state.sso,
            state.now(),
        )
        .await?;
    }
    Ok(())
}

pub async fn logout(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Err(e) = end_session(&state, &ctx).await {
        return e.into_response();
    }
    let mut r = Redirect::to("/?m=logged_out").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, clear_session_cookie(&state));
    r
}

#[derive(Template)]
#[template(path = "password_change.html")]
struct ChangePage {
    c: Chrome,
    forced: bool,
    /// `false`: the account has no password (created with a certificate,
    /// SIM or e-ID): the form sets one, without a current password.
    has_password: bool,
    /// For setting: what it means, with the username to log in with.
    set_lead: String,
    /// The refusal, and the field it is about (`current`, `new`,
    /// `confirm`), if any.
    error: Option<String>,
    error_field: Option<&'static str>,
    /// The refusal without the field's label, shown at the field.
    message: String,
    min_len: usize,
    hint: String,
}

/// The field a refusal is about, and that field's label.
fn error_field(key: &str) -> Option<(&'static str, &'static str)> {
    match key {
        "password.wrong_current" => Some(("current", "pwchange.current")),
        "password.mismatch" => Some(("confirm", "pwchange.confirm")),
        "password.same"
        | "password.too_short"
        | "password.too_long"
        | "password.common"
        | "password.contains_username" => Some(("new", "pwchange.new")),
        _ => None,
    }
}

fn min_len(operator: bool) -> usize {
    if operator {
        password::MIN_LEN_OPERATOR
    } else {
        password::MIN_LEN
    }
}

fn hint(c: &Chrome, operator: bool) -> String {
    c.t("password.hint")
        .replace("{min}", &min_len(operator).to_string())
}

/// Whether the account still has to replace its initial password.
pub async fn must_change(state: &AppState, account_id: AccountId) -> Result<bool, AppError> {
    Ok(motcua_identity::queries::password_state(state, account_id)
        .await?
        .1)
}

/// The logged-in user, once the initial password has been replaced: until
/// then every page sends the user to the change form (R-ID-4).
pub async fn ready_user(state: &AppState, ctx: &Ctx) -> Result<(), Response> {
    let v = ctx.user()?;
    match must_change(state, v.account.id).await {
        Ok(true) => Err(Redirect::to("/password/change").into_response()),
        Ok(false) => crate::ctx::terms_gate(ctx),
        Err(e) => Err(e.into_response()),
    }
}

/// Whether the account has a password at all.
async fn has_password(state: &AppState, account_id: AccountId) -> Result<bool, AppError> {
    Ok(motcua_identity::queries::password_state(state, account_id)
        .await?
        .0)
}

/// The change form, or for an account without a password the form that
/// sets one; `error` is an i18n key.
async fn change_page(state: &AppState, ctx: &Ctx, error: Option<&'static str>) -> Response {
    let Ok(v) = ctx.user() else {
        return Redirect::to("/login").into_response();
    };
    // One read answers both: whether a password exists, and whether it is
    // the initial one.
    let (has_password, forced) =
        match motcua_identity::queries::password_state(state, v.account.id).await {
            Ok(x) => x,
            Err(e) => return AppError::from(e).into_response(),
        };
    let op = v.account.has_role(Role::Operator);
    let c = Chrome::new(state, ctx);
    let hint = hint(&c, op);
    let message = error
        .map(|k| c.t(k).replace("{min}", &min_len(op).to_string()))
        .unwrap_or_default();
    let (error, error_field) = match error.map(|k| (k, error_field(k))) {
        Some((_, Some((field, label)))) => (
            Some(
                c.t("form.error_in")
                    .replace("{label}", c.t(label))
                    .replace("{message}", &message),
            ),
            Some(field),
        ),
        Some((_, None)) => (Some(message.clone()), None),
        None => (None, None),
    };
    let set_lead = c.t("pwset.lead").replace("{username}", &v.account.username);
    render(&ChangePage {
        c,
        forced,
        has_password,
        set_lead,
        error,
        error_field,
        message,
        min_len: min_len(op),
        hint,
    })
}

pub async fn change_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Err(r) = ctx.user() {
        return r;
    }
    change_page(&state, &ctx, None).await
}

#[derive(Deserialize)]
pub struct ChangeForm {
    /// Absent when the account sets its first password.
    #[serde(default)]
    current: String,
    new: String,
    confirm: String,
}

pub async fn change(
    State(state): State<AppState>,
    crate::ctx::LoggedIn(ctx): crate::ctx::LoggedIn,
    Form(f): Form<ChangeForm>,
) -> Response {
    let v = match ctx.user() {
        Ok(v) => v,
        Err(r) => return r,
    };
    let has = match has_password(&state, v.account.id).await {
        Ok(h) => h,
        Err(e) => return e.into_response(),
    };
    let result = if has {
        service::change_password(
            &state,
            &origin(&ctx),
            &v.account,
            &f.current,
            &f.new,
            &f.confirm,
        )
        .await
        .map(|token| (Some(token), "/account?m=password_changed"))
    } else {
        service::set_password(&state, &origin(&ctx), &v.account, &f.new, &f.confirm)
            .await
            .map(|()| (None, "/account?m=password_set"))
    };
    match result {
        Ok((token, to)) => {
            let mut r = Redirect::to(to).into_response();
            if let Some(token) = token {
                r.headers_mut()
                    .append(header::SET_COOKIE, session_cookie(&state, &token));
            }
            r
        }
        Err(ServiceError::Invalid { key, .. } | ServiceError::Conflict(key)) => {
            change_page(&state, &ctx, Some(key)).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    c: Chrome,
    error: Option<String>,
    who: String,
    captcha: motcua_identity::captcha::Issued,
}

async fn forgot_page(
    state: &AppState,
    ctx: &Ctx,
    who: &str,
    error: Option<String>,
    status: axum::http::StatusCode,
) -> Response {
    let captcha = match motcua_identity::captcha::issue(state, ctx.locale).await {
        Ok(c) => c,
        Err(e) => return AppError::from(e).into_response(),
    };
    let mut r = render(&ForgotPage {
        c: Chrome::new(state, ctx),
        error,
        who: who.chars().take(254).collect(),
        captcha,
    });
    *r.status_mut() = status;
    r
}

pub async fn forgot_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    forgot_page(&state, &ctx, "", None, axum::http::StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct ForgotForm {
    who: String,
    #[serde(default)]
    captcha_id: String,
    #[serde(default)]
    captcha: String,
}

/// Mails a reset link (to the account's own address only). A person
/// answers the captcha; per IP and per name or address the requests are
/// rate-limited before anything is looked up or mailed.
pub async fn forgot(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ForgotForm>,
) -> Response {
    use axum::http::StatusCode;
    let c = Chrome::new(&state, &ctx);
    match motcua_identity::captcha::check(&state, &f.captcha_id, &f.captcha).await {
        Ok(true) => {}
        Ok(false) => {
            let e = c.t("token.captcha_wrong").to_string();
            return forgot_page(
                &state,
                &ctx,
                &f.who,
                Some(e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(e) => return AppError::from(e).into_response(),
    }
    let limits = service::form_limits("reset", &ctx.ip, Some(&f.who));
    match service::rate_limit(&state, &limits).await {
        Ok(Ok(())) => {}
        Ok(Err(until)) => {
            let e = c
                .t("error.rate_limited")
                .replace("{until}", &motcua_domain::clock::format_vn(until));
            return forgot_page(&state, &ctx, &f.who, Some(e), StatusCode::TOO_MANY_REQUESTS).await;
        }
        Err(e) => return AppError::from(e).into_response(),
    }
    match service::request_password_reset(&state, &origin(&ctx), &f.who).await {
        Ok(()) => render(&MessagePage {
            c,
            title: "forgot.title",
            body: "forgot.sent",
            link: Some(("/login", "nav.login")),
        }),
        Err(ServiceError::Invalid { key: k, .. } | ServiceError::Conflict(k)) => {
            if let Err(e) = service::rate_release(&state, &limits).await {
                return AppError::from(e).into_response();
            }
            let e = c.t(k).to_string();
            forgot_page(
                &state,
                &ctx,
                &f.who,
                Some(e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    c: Chrome,
    token: String,
    error: Option<String>,
    hint: String,
}

fn invalid_link(state: &AppState, ctx: &Ctx) -> Response {
    let mut r = render(&MessagePage {
        c: Chrome::new(state, ctx),
        title: "reset.title",
        body: "reset.invalid_link",
        link: Some(("/password/forgot", "forgot.title")),
    });
    *r.status_mut() = axum::http::StatusCode::GONE;
    r
}

/// Opening the link only shows a form: a mail scanner that fetches it
/// does not use it up. The token is spent by the POST.
pub async fn reset_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Response {
    match service::reset_link_valid(&state, &token).await {
        Ok(true) => {
            let c = Chrome::new(&state, &ctx);
            let hint = hint(&c, false);
            let mut r = render(&ResetPage {
                c,
                token,
                error: None,
                hint,
            });
            r.headers_mut().insert(
                "referrer-policy",
                axum::http::HeaderValue::from_static("no-referrer"),
            );
            r
        }
        Ok(false) => invalid_link(&state, &ctx),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: String,
    new: String,
    confirm: String,
}

pub async fn reset(State(state): State<AppState>, ctx: Ctx, Form(f): Form<ResetForm>) -> Response {
    match service::complete_password_reset(&state, &origin(&ctx), &f.token, &f.new, &f.confirm)
        .await
    {
        Ok(()) => {
            let mut r = Redirect::to("/login?m=password_reset").into_response();
            r.headers_mut()
                .append(header::SET_COOKIE, clear_session_cookie(&state));
            r
        }
        // The link is unknown, used or expired (or its account is gone).
        Err(ServiceError::NotFound) => invalid_link(&state, &ctx),
        Err(ServiceError::Invalid { key: k, .. } | ServiceError::Conflict(k)) => {
            let c = Chrome::new(&state, &ctx);
            let error = Some(c.t(k).replace("{min}", &password::MIN_LEN.to_string()));
            let hint = hint(&c, false);
            render(&ResetPage {
                c,
                token: f.token,
                error,
                hint,
            })
        }
        Err(e) => AppError::from(e).into_response(),
    }
}
