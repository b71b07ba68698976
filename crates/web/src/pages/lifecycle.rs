//! Pages: account lifecycle (Decree 85/2019 Art. 11(4)–(6)) — the
//! holder's requests (scheduled lock, emergency lock, revocation) and the
//! operator's queue, decisions, ministry notices and reactivation requests.
use super::auth::{origin, ready_user};
use super::registration::left_text;
use super::{render, Chrome, MessagePage, Operator};
use crate::ctx::{self, Ctx, SESSION_COOKIE};
use crate::error::{AppError, Refusal};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use motcua_domain::clock::format_vn;
use motcua_domain::{AccountId, LifecycleRequestId, LifecycleStatus};
use motcua_identity::service::ServiceError;
use motcua_identity::Account;
use motcua_nsw::lifecycle::{self as lc, Action, MinistryNotice};
use motcua_nsw::store::lifecycle::Request;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/lifecycle", get(holder_page))
        .route("/account/lifecycle/scheduled", post(scheduled))
        .route("/account/lifecycle/emergency", post(emergency))
        .route("/account/lifecycle/revocation", post(revocation))
        .route("/console/lifecycle", get(queue))
        .route("/console/lifecycle/{id}", get(detail))
        .route("/console/lifecycle/{id}/decide", post(decide))
        .route("/console/lifecycle/accounts/{id}", get(account_page))
        .route(
            "/console/lifecycle/accounts/{id}/ministry-notice",
            post(ministry_notice),
        )
        .route(
            "/console/lifecycle/accounts/{id}/reactivation",
            post(reactivation),
        )
}

/// One request as the pages show it.
pub struct Row {
    pub id: LifecycleRequestId,
    pub reference: String,
    pub kind: String,
    pub kind_key: String,
    pub status: LifecycleStatus,
    pub status_key: String,
    pub account_id: AccountId,
    pub username: String,
    pub requested_by: String,
    pub reason: String,
    pub grounds_key: Option<String>,
    pub notice_ref: String,
    pub received: String,
    pub due: String,
    pub effective: String,
    pub until: String,
    pub left: String,
    pub overdue: bool,
    pub result: String,
    pub decided: String,
}

async fn rows(state: &AppState, c: &Chrome, reqs: Vec<Request>) -> Result<Vec<Row>, ServiceError> {
    let mut out = Vec::with_capacity(reqs.len());
    for r in reqs {
        let (left, overdue) = if r.status == LifecycleStatus::Pending {
            left_text(state, c, r.due_at).await?
        } else {
            (String::new(), false)
        };
        out.push(Row {
            id: r.id,
            reference: lc::reference(r.id),
            kind_key: format!("lc.kind_{}", r.kind),
            kind: r.kind,
            status_key: format!("lc.status_{}", r.status),
            status: r.status,
            account_id: r.account_id,
            username: r.username,
            requested_by: r.requested_by,
            reason: r.reason,
            grounds_key: r.grounds.map(|g| format!("lc.grounds_{g}")),
            notice_ref: r.notice_ref.unwrap_or_default(),
            received: format_vn(r.received_at),
            due: format_vn(r.due_at),
            effective: r.effective_at.map(format_vn).unwrap_or_default(),
            until: r.until_at.map(format_vn).unwrap_or_default(),
            left,
            overdue,
            result: r.result_note.unwrap_or_default(),
            decided: r.decided_at.map(format_vn).unwrap_or_default(),
        });
    }
    Ok(out)
}

fn with_status(mut r: Response, error: bool, status: StatusCode) -> Response {
    if error && r.status() == StatusCode::OK {
        *r.status_mut() = status;
    }
    r
}

// --- The holder -----------------------------------------------------------

#[derive(Template)]
#[template(path = "lifecycle/account.html")]
struct HolderPage {
    c: Chrome,
    error: Option<&'static str>,
    min_date: String,
    rows: Vec<Row>,
}

/// A logged-in account that may ask for lifecycle changes, with no
/// pending password change; anyone else is refused before the handler
/// runs (login redirect, password change redirect, or a 403 page).
pub struct Holder {
    ctx: Ctx,
    account: Account,
}

impl axum::extract::FromRequestParts<AppState> for Holder {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        ready_user(state, &ctx).await?;
        let Some(v) = ctx.viewer.as_ref() else {
            return Err(Redirect::to("/login").into_response());
        };
        if !lc::may_request(&v.account) {
            let mut r = render(&MessagePage {
                c: Chrome::new(state, &ctx),
                title: "lc.title",
                body: "lc.error_role",
                link: None,
            });
            *r.status_mut() = StatusCode::FORBIDDEN;
            return Err(r);
        }
        let account = v.account.clone();
        Ok(Holder { ctx, account })
    }
}

async fn holder_render(
    state: &AppState,
    ctx: &Ctx,
    account: &Account,
    error: Option<Refusal>,
    flash: Option<&str>,
) -> Response {
    let c = Chrome::new(state, ctx).with_flash(flash);
    let reqs = tri!(lc::for_account(state, account.id).await);
    let rows = tri!(rows(state, &c, reqs).await);
    let min = motcua_domain::clock::vn_datetime(state.now()).date()
        + time::Duration::days(lc::SCHEDULE_MIN_DAYS);
    let page = HolderPage {
        c,
        error: error.map(|r| r.key),
        min_date: motcua_kernel::calendar::date_str(min),
        rows,
    };
    with_status(
        render(&page),
        error.is_some(),
        error.map_or(StatusCode::OK, |r| r.status),
    )
}

#[derive(Deserialize, Default)]
pub struct FlashQuery {
    m: Option<String>,
}

pub async fn holder_page(
    State(state): State<AppState>,
    Holder { ctx, account }: Holder,
    Query(q): Query<FlashQuery>,
) -> Response {
    holder_render(&state, &ctx, &account, None, q.m.as_deref()).await
}

#[derive(Deserialize)]
pub struct ScheduledForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
}

async fn after_request(
    state: &AppState,
    ctx: &Ctx,
    account: &Account,
    r: Result<LifecycleRequestId, ServiceError>,
) -> Response {
    match r {
        Ok(_) => Redirect::to("/account/lifecycle?m=lc_requested").into_response(),
        Err(e) => match Refusal::of(e) {
            Ok(r) => holder_render(state, ctx, account, Some(r), None).await,
            Err(e) => AppError::from(e).into_response(),
        },
    }
}

pub async fn scheduled(
    State(state): State<AppState>,
    Holder { ctx, account }: Holder,
    Form(f): Form<ScheduledForm>,
) -> Response {
    let r = lc::request_scheduled_lock(
        &state,
        &origin(&ctx),
        &account,
        &f.from,
        &f.until,
        &f.reason,
    )
    .await;
    after_request(&state, &ctx, &account, r).await
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: String,
}

pub async fn emergency(
    State(state): State<AppState>,
    Holder { ctx, account }: Holder,
    Form(f): Form<ReasonForm>,
) -> Response {
    match lc::request_emergency_lock(&state, &origin(&ctx), &account, &f.reason).await {
        Ok(_) => {
            let mut c = Chrome::new(&state, &ctx);
            c.user = None;
            let mut r = render(&MessagePage {
                c,
                title: "lc.emergency_done_title",
                body: "lc.emergency_done",
                link: None,
            });
            r.headers_mut().append(
                header::SET_COOKIE,
                ctx::set_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies()),
            );
            r
        }
        Err(e) => match Refusal::of(e) {
            Ok(r) => holder_render(&state, &ctx, &account, Some(r), None).await,
            Err(e) => AppError::from(e).into_response(),
        },
    }
}

pub async fn revocation(
    State(state): State<AppState>,
    Holder { ctx, account }: Holder,
    Form(f): Form<ReasonForm>,
) -> Response {
    let r = lc::request_revocation(
        &state,
        &origin(&ctx),
        &account,
        &f.reason,
        !f.confirm.is_empty(),
    )
    .await;
    after_request(&state, &ctx, &account, r).await
}

// --- The operator ---------------------------------------------------------

#[derive(Template)]
#[template(path = "console/lifecycle.html")]
struct QueuePage {
    c: Chrome,
    /// The decided requests (`?status=decided`) instead of the pending.
    decided: bool,
    rows: Vec<Row>,
    pager: String,
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
    /// The cursor: `KEY.ID` of the last request shown.
    after: Option<String>,
}

const PER_PAGE: i64 = 50;

/// The pending requests nearest deadline first, or the decided ones
/// newest first; a page at a time (keyset).
pub async fn queue(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Query(q): Query<QueueQuery>,
) -> Response {
    let c = Chrome::new(&state, &ctx);
    let decided = q.status == "decided";
    let after = match super::parse_after(&state, &c, q.after.as_deref()) {
        Ok(after) => after,
        Err(bad) => return bad,
    };
    let (found, next) =
        tri!(motcua_nsw::queries::lifecycle_queue(&state, decided, after, PER_PAGE).await);
    let rows = tri!(rows(&state, &c, found).await);
    let base = if decided {
        "/console/lifecycle?status=decided"
    } else {
        "/console/lifecycle"
    };
    let pager = super::cursor_pager(&c, base, after.is_some(), next);
    render(&QueuePage {
        c,
        decided,
        rows,
        pager,
    })
}

#[derive(Template)]
#[template(path = "console/lifecycle_request.html")]
struct DetailPage {
    c: Chrome,
    r: Row,
    carry_key: String,
    can_refuse: bool,
    error: Option<&'static str>,
}

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    id: LifecycleRequestId,
    error: Option<Refusal>,
) -> Response {
    let Some(r) = tri!(motcua_nsw::queries::lifecycle_request(state, id).await) else {
        return AppError::NotFound.into_response();
    };
    let c = Chrome::new(state, ctx);
    let mut rs = tri!(rows(state, &c, vec![r]).await);
    let Some(r) = rs.pop() else {
        return AppError::NotFound.into_response();
    };
    let page = DetailPage {
        carry_key: format!("lc.carry_out_{}", r.kind),
        can_refuse: r.kind != "emergency_lock",
        r,
        error: error.map(|r| r.key),
        c,
    };
    with_status(
        render(&page),
        error.is_some(),
        error.map_or(StatusCode::OK, |r| r.status),
    )
}

pub async fn detail(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<LifecycleRequestId>,
) -> Response {
    detail_page(&state, &ctx, id, None).await
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
}

pub async fn decide(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<LifecycleRequestId>,
    Form(f): Form<DecideForm>,
) -> Response {
    let Some(action) = Action::parse(&f.action) else {
        return detail_page(&state, &ctx, id, Some(Refusal::invalid("lc.error_action"))).await;
    };
    match lc::decide(&state, &origin(&ctx), id, action, &f.note).await {
        Ok(()) => Redirect::to(&format!("/console/lifecycle/{id}")).into_response(),
        Err(e) => match Refusal::of(e) {
            Ok(r) => detail_page(&state, &ctx, id, Some(r)).await,
            Err(e) => AppError::from(e).into_response(),
        },
    }
}

#[derive(Template)]
#[template(path = "console/lifecycle_account.html")]
struct AccountPage {
    c: Chrome,
    a: Account,
    status_key: &'static str,
    rows: Vec<Row>,
    grounds: Vec<(&'static str, String)>,
    today: String,
    error: Option<&'static str>,
}

async fn account_render(
    state: &AppState,
    ctx: &Ctx,
    id: AccountId,
    error: Option<Refusal>,
) -> Response {
    let Some((a, reqs)) = tri!(motcua_nsw::queries::account_requests(state, id).await) else {
        return AppError::NotFound.into_response();
    };
    let c = Chrome::new(state, ctx);
    let rows = tri!(rows(state, &c, reqs).await);
    let page = AccountPage {
        status_key: match a.status {
            motcua_domain::AccountStatus::Active => "status.active",
            motcua_domain::AccountStatus::Locked => "status.locked",
            motcua_domain::AccountStatus::Revoked => "status.revoked",
        },
        a,
        rows,
        grounds: lc::MINISTRY_GROUNDS
            .iter()
            .map(|g| (*g, format!("lc.grounds_{g}")))
            .collect(),
        today: motcua_kernel::calendar::date_str(
            motcua_domain::clock::vn_datetime(state.now()).date(),
        ),
        error: error.map(|r| r.key),
        c,
    };
    with_status(
        render(&page),
        error.is_some(),
        error.map_or(StatusCode::OK, |r| r.status),
    )
}

pub async fn account_page(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<AccountId>,
) -> Response {
    account_render(&state, &ctx, id, None).await
}

async fn after_record(
    state: &AppState,
    ctx: &Ctx,
    account_id: AccountId,
    r: Result<LifecycleRequestId, ServiceError>,
) -> Response {
    match r {
        Ok(id) => Redirect::to(&format!("/console/lifecycle/{id}")).into_response(),
        Err(e) => match Refusal::of(e) {
            Ok(r) => account_render(state, ctx, account_id, Some(r)).await,
            Err(e) => AppError::from(e).into_response(),
        },
    }
}

pub async fn ministry_notice(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<AccountId>,
    Form(f): Form<MinistryNotice>,
) -> Response {
    let r = lc::record_ministry_notice(&state, &origin(&ctx), id, &f).await;
    after_record(&state, &ctx, id, r).await
}

#[derive(Deserialize)]
pub struct ReactivationForm {
    #[serde(default)]
    reason: String,
}

pub async fn reactivation(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<AccountId>,
    Form(f): Form<ReactivationForm>,
) -> Response {
    let r = lc::record_reactivation(&state, &origin(&ctx), id, &f.reason).await;
    after_record(&state, &ctx, id, r).await
}
