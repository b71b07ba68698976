use super::auth::{origin, ready_user};
use super::public::FlashQuery;
use super::{render, role_key, Chrome, MessagePage};
use crate::ctx::{self, Ctx, SESSION_COOKIE};
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use motcua_domain::assurance::AuthMethod;
use motcua_identity::queries;
use motcua_identity::service;
use motcua_identity::Account;
use motcua_identity::Activity;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account.html")]
struct Overview {
    c: Chrome,
    a: Account,
    roles: Vec<&'static str>,
    method: &'static str,
    level: i64,
    /// What the level means, in words.
    level_words: String,
    sessions: i64,
    /// Offer "change password" (with the current one) or "set a password".
    has_password: bool,
    /// The lifecycle requests page is for declarants and civil servants.
    lifecycle: bool,
}

macro_rules! ready {
    ($state:expr, $ctx:expr) => {{
        if let Err(r) = ready_user(&$state, &$ctx).await {
            return r;
        }
        match $ctx.viewer.as_ref() {
            Some(v) => v,
            None => return Redirect::to("/login").into_response(),
        }
    }};
}

pub async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FlashQuery>,
) -> Response {
    let v = ready!(state, ctx);
    let n = tri!(queries::session_count(&state, v.account.id, state.now()).await);
    let (has_password, _) = tri!(queries::password_state(&state, v.account.id).await);
    let method = state
        .i18n
        .static_key(&format!("method.{}", v.session.method))
        .unwrap_or("method.unknown");
    let c = Chrome::new(&state, &ctx).with_flash(q.m.as_deref());
    render(&Overview {
        level_words: crate::plain::level_words(
            &state.i18n,
            c.locale(),
            &state.identity.levels,
            v.session.assurance_level,
        ),
        c,
        a: v.account.clone(),
        roles: v.account.roles.iter().map(|r| role_key(*r)).collect(),
        method,
        level: v.session.assurance_level,
        sessions: n,
        has_password,
        lifecycle: motcua_nsw::lifecycle::may_request(&v.account),
    })
}

pub struct ActivityRow {
    pub at: String,
    pub kind: String,
    pub kind_key: &'static str,
    pub method_key: &'static str,
    /// For a login or step-up: the level its method reaches, in words.
    pub level: String,
    pub ip: String,
    pub user_agent: String,
    pub detail: String,
}

pub fn activity_rows(state: &AppState, c: &Chrome, items: Vec<Activity>) -> Vec<ActivityRow> {
    let cat = &state.i18n;
    items
        .into_iter()
        .map(|a| ActivityRow {
            at: motcua_domain::clock::format_vn(a.at),
            kind_key: cat
                .static_key(&format!("activity.kind.{}", a.kind))
                .unwrap_or("activity.kind.other"),
            method_key: match &a.method {
                Some(m) => cat
                    .static_key(&format!("method.{m}"))
                    .unwrap_or("method.unknown"),
                None => "method.none",
            },
            level: match a.method.as_deref().and_then(AuthMethod::parse) {
                Some(m) => crate::plain::level_short(
                    cat,
                    c.locale(),
                    i64::from(state.identity.levels.level(m).get()),
                ),
                None => String::new(),
            },
            kind: a.kind,
            ip: a.ip,
            user_agent: a.user_agent,
            detail: a.detail,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    c: Chrome,
    rows: Vec<ActivityRow>,
    pager: String,
}

#[derive(Deserialize)]
pub struct PageQuery {
    /// The cursor: the last activity id of the previous page.
    after: Option<i64>,
}

const PER_PAGE: i64 = 25;

/// The holder's own history of what was done with the account (R-ID-14).
pub async fn activity(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PageQuery>,
) -> Response {
    let v = ready!(state, ctx);
    let (items, next) = tri!(queries::activity(&state, v.account.id, q.after, PER_PAGE).await);
    let c = Chrome::new(&state, &ctx);
    let pager = super::cursor_pager(&c, "/account/activity", q.after.is_some(), next);
    render(&ActivityPage {
        rows: activity_rows(&state, &c, items),
        c,
        pager,
    })
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    c: Chrome,
}

pub async fn report_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    // Reachable even before the initial password is changed: whoever holds
    // the account must always be able to raise the alarm.
    if let Err(r) = ctx.user() {
        return r;
    }
    render(&ReportPage {
        c: Chrome::new(&state, &ctx),
    })
}

#[derive(Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    note: String,
}

pub async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<ReportForm>,
) -> Response {
    let v = match ctx.user() {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(e) = service::report_compromise(&state, &origin(&ctx), &v.account, &f.note).await {
        return AppError::from(e).into_response();
    }
    let mut c = Chrome::new(&state, &ctx);
    c.user = None;
    let mut r = render(&MessagePage {
        c,
        title: "report.done_title",
        body: "report.done",
        link: None,
    });
    r.headers_mut().append(
        header::SET_COOKIE,
        ctx::set_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies()),
    );
    r
}

pub async fn logout_all(State(state): State<AppState>, ctx: Ctx) -> Response {
    let v = match ctx.user() {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(e) = service::logout_everywhere(&state, &origin(&ctx), v.account.id).await {
        return AppError::from(e).into_response();
    }
    let mut r = Redirect::to("/login?m=logged_out_all").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        ctx::set_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies()),
    );
    r
}
