//! Fees and charges (issue #10): the applicant pays through the national
//! payment platform and comes back; the platform's confirm callback; the
//! receipts; the operator's fee schedules, payments and reconciliation.
//! Every rule is in `motcua_payments` (and `motcua_catalog::fees`).
use super::auth::origin;
use super::{render, Chrome, Operator};
use crate::ctx::{Ctx, Me};
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use motcua_domain::clock::format_vn;
use motcua_payments::service::{self as pay, PayStart, Settled, View};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/account/dossiers/{code}/payments/{request}/pay",
            post(start),
        )
        .route(
            "/account/dossiers/{code}/payments/{request}/receipts/{kind}",
            get(receipt),
        )
        .route("/account/payments/return", get(returned))
        .route("/api/v1/payments/confirm", post(confirm))
        .route(
            "/console/catalog/{code}/fees",
            get(fees_page).post(fees_publish),
        )
        .route("/console/payments", get(console_page))
        .route("/console/payments/reconcile", post(reconcile))
        .route("/console/payments/requests/{request}/refund", post(refund))
        .route("/console/payments/requests/{request}/cancel", post(cancel))
        .route("/console/payments/mismatches/{id}/resolve", post(resolve))
}

/// `12345` → `12.345 đ`.
pub(crate) fn vnd(n: i64) -> String {
    motcua_domain::text::dong(n)
}

/// A payment request as the dossier pages show it.
pub(crate) struct PayBox {
    pub public_id: String,
    pub state_key: &'static str,
    /// (kind key, name, amount, legal basis).
    pub lines: Vec<(&'static str, String, String, String)>,
    pub fee_total: String,
    pub charge_total: String,
    pub total: String,
    pub due: String,
    pub note: String,
    /// The applicant may pay (or go on paying) now.
    pub can_pay: bool,
    /// An attempt is open: "continue paying".
    pub resume: bool,
    pub paid_at: String,
    pub txn: String,
    /// (kind, label key) of receipts ready to download.
    pub receipts: Vec<(&'static str, &'static str)>,
    /// Paid, receipts not fetched yet.
    pub receipts_pending: bool,
}

pub(crate) fn boxes(state: &AppState, status: i64, views: Vec<View>) -> Vec<PayBox> {
    views
        .into_iter()
        .map(|v| {
            let r = &v.request;
            let paid = v.paid_attempt().cloned();
            let receipts: std::collections::BTreeMap<String, String> = paid
                .as_ref()
                .and_then(|a| serde_json::from_str(&a.receipts).ok())
                .unwrap_or_default();
            let receipts_ready: Vec<(&'static str, &'static str)> = [
                ("phi", "payments.receipt_phi"),
                ("le_phi", "payments.receipt_le_phi"),
            ]
            .into_iter()
            .filter(|(k, _)| receipts.contains_key(*k))
            .collect();
            let open = matches!(r.state.as_str(), pay::UNPAID | pay::AWAITING)
                && pay::payable(&r.origin, status);
            PayBox {
                public_id: r.public_id.clone(),
                state_key: motcua_payments::state_key(&r.state),
                lines: v
                    .lines
                    .iter()
                    .map(|l| {
                        (
                            if l.kind == motcua_catalog::fees::FEE {
                                "payments.fee"
                            } else {
                                "payments.charge"
                            },
                            l.name.clone(),
                            vnd(l.amount),
                            l.legal_basis.clone(),
                        )
                    })
                    .collect(),
                fee_total: vnd(r.fee_total),
                charge_total: vnd(r.charge_total),
                total: vnd(r.total),
                due: format_vn(r.due_at),
                note: r.note.clone(),
                can_pay: open && state.platform.is_some(),
                resume: v.open_attempt().is_some(),
                paid_at: r.paid_at.map(format_vn).unwrap_or_default(),
                txn: paid
                    .as_ref()
                    .map(|a| a.platform_txn_id.clone())
                    .unwrap_or_default(),
                receipts_pending: paid.is_some() && receipts_ready.is_empty(),
                receipts: receipts_ready,
            }
        })
        .collect()
}

/// `POST /account/dossiers/{code}/payments/{request}/pay`: to the
/// platform (303 to its origin only: the client checks the URL INIT
/// answers).
async fn start(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path((code, request)): Path<(String, String)>,
) -> Response {
    let view = tri!(pay::request_of(&state, v.account.id.get(), &request).await);
    if view.request.dossier_code != code {
        return AppError::NotFound.into_response();
    }
    match tri!(
        pay::pay(
            &state,
            &state.payments(),
            &origin(&ctx),
            v.account.id.get(),
            &request
        )
        .await
    ) {
        PayStart::Redirect(url) => Redirect::to(&url).into_response(),
        PayStart::AlreadyPaid => {
            Redirect::to(&format!("/account/dossiers/{code}?flash=payment_paid")).into_response()
        }
    }
}

#[derive(Deserialize)]
struct ReturnQuery {
    #[serde(rename = "ref", default)]
    reference: String,
}

/// `GET /account/payments/return?ref=…`: the payer is back. Nothing in
/// the query is believed: the platform is asked.
async fn returned(
    State(state): State<AppState>,
    Me(_ctx, v): Me,
    Query(q): Query<ReturnQuery>,
) -> Response {
    let reference = q.reference.trim();
    if reference.is_empty() || reference.len() > 64 {
        return AppError::NotFound.into_response();
    }
    let (code, settled) =
        tri!(pay::returned(&state, &state.payments(), v.account.id.get(), reference).await);
    let flash = match settled {
        Settled::Paid | Settled::AlreadyPaid => "payment_paid",
        Settled::NotPaid => "payment_not_paid",
        Settled::AmountMismatch | Settled::Duplicate => "payment_mismatch",
        Settled::Pending | Settled::Unknown => "payment_pending",
    };
    Redirect::to(&format!("/account/dossiers/{code}?flash={flash}")).into_response()
}

/// `GET /account/dossiers/{code}/payments/{request}/receipts/{kind}`.
async fn receipt(
    State(state): State<AppState>,
    Me(_ctx, v): Me,
    Path((code, request, kind)): Path<(String, String, String)>,
) -> Response {
    let kind = match kind.as_str() {
        "phi" | "phi.pdf" => "phi",
        "le_phi" | "le_phi.pdf" => "le_phi",
        _ => return AppError::NotFound.into_response(),
    };
    let view = tri!(pay::request_of(&state, v.account.id.get(), &request).await);
    if view.request.dossier_code != code {
        return AppError::NotFound.into_response();
    }
    let pdf = tri!(pay::receipt(&state, v.account.id.get(), &request, kind).await);
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"bien-lai-{kind}-{code}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response()
}

/// `POST /api/v1/payments/confirm`: the platform's signed callback
/// (no session, no CSRF: the signature is the credential).
#[utoipa::path(post, path = "/api/v1/payments/confirm", tag = "callbacks",
    request_body(content = super::openapi::Callback, description = "The payment platform's signed confirmation (its protocol: docs/PAYMENTS.md)", content_type = "application/json"),
    responses((status = 200, description = "Recorded; `code` is the protocol's answer", body = super::openapi::CallbackAnswer), (status = "default", description = "An RFC 9457 problem", body = super::openapi::Problem, content_type = "application/problem+json")))]
async fn confirm(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let (status, code) = pay::callback(&state, &state.payments(), &body).await;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_success() {
        return (status, Json(serde_json::json!({ "code": code }))).into_response();
    }
    // A refusal is an RFC 9457 problem carrying the protocol's code.
    let (kind, title) = match status {
        StatusCode::BAD_REQUEST => (
            "bad-request",
            "The confirmation is unreadable or its signature is not the platform's.",
        ),
        StatusCode::NOT_FOUND => ("not-found", "The payment platform is not connected."),
        _ => (
            "internal",
            "The confirmation could not be recorded; send it again.",
        ),
    };
    super::api::problem_document(status, kind, title, serde_json::json!({ "code": code }))
}

#[derive(Template)]
#[template(path = "console/fees.html")]
struct FeesPage {
    c: Chrome,
    code: String,
    name: String,
    text: String,
    note: String,
    /// (key, kind key, name, amount, timing key, case, channels, exempt for, legal basis)
    lines: Vec<[String; 8]>,
    problems: Vec<(String, &'static str)>,
    /// (version, by, at, note)
    versions: Vec<(i64, String, String, String)>,
}

async fn fees_view(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    typed: Option<(String, String)>,
    problems: Vec<motcua_catalog::fees::Problem>,
) -> Result<FeesPage, AppError> {
    let procedure = motcua_catalog::queries::procedure(state, code)
        .await?
        .ok_or(AppError::NotFound)?;
    let versions = motcua_catalog::fees::versions(state, code).await?;
    let c = Chrome::new(state, ctx);
    let current = match versions.first() {
        Some(v) => motcua_catalog::fees::parse_stored(v)?,
        None => Default::default(),
    };
    let lines = current
        .lines
        .iter()
        .map(|l| {
            [
                l.key.clone(),
                c.t(if l.kind == motcua_catalog::fees::FEE {
                    "payments.fee"
                } else {
                    "payments.charge"
                })
                .to_string(),
                l.name.clone(),
                vnd(l.amount),
                c.t(match l.timing.as_str() {
                    "before" => "payments.timing_before",
                    "after" => "payments.timing_after",
                    _ => "payments.timing_exempt",
                })
                .to_string(),
                l.case.clone(),
                format!(
                    "{} {}",
                    l.channels
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    l.exempt_for.join(", ")
                ),
                l.legal_basis.clone(),
            ]
        })
        .collect();
    let (text, note) = match typed {
        Some(t) => t,
        None => (
            serde_json::to_string_pretty(&current).unwrap_or_default(),
            String::new(),
        ),
    };
    Ok(FeesPage {
        c,
        code: code.to_string(),
        name: procedure.record.name.clone(),
        text,
        note,
        lines,
        problems: problems.into_iter().map(|p| (p.line, p.key)).collect(),
        versions: versions
            .into_iter()
            .map(|v| (v.version, v.created_by, format_vn(v.created_at), v.note))
            .collect(),
    })
}

#[derive(Deserialize, Default)]
struct FlashQuery {
    #[serde(default)]
    flash: Option<String>,
}

/// `GET /console/catalog/{code}/fees`: the schedule in force, its editor
/// and its history.
async fn fees_page(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(code): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Response {
    let mut page = tri!(fees_view(&state, &ctx, &code, None, Vec::new()).await);
    page.c = page.c.with_flash(q.flash.as_deref());
    render(&page)
}

#[derive(Deserialize)]
struct FeesForm {
    #[serde(default)]
    schedule: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/catalog/{code}/fees`: a checked new version; a refused
/// one comes back with every problem and the text as typed.
async fn fees_publish(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(code): Path<String>,
    Form(f): Form<FeesForm>,
) -> Response {
    match tri!(
        motcua_catalog::fees::publish(&state, &origin(&ctx), &code, &f.schedule, &f.note).await
    ) {
        motcua_catalog::fees::Published::Version(_) => Redirect::to(&format!(
            "/console/catalog/{code}/fees?flash=fees_published"
        ))
        .into_response(),
        motcua_catalog::fees::Published::Refused(problems) => {
            let page =
                tri!(fees_view(&state, &ctx, &code, Some((f.schedule, f.note)), problems).await);
            let mut r = render(&page);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

#[derive(Template)]
#[template(path = "console/payments.html")]
struct PaymentsPage {
    c: Chrome,
    connected: bool,
    state: String,
    requests: Vec<RequestLine>,
    day: String,
    /// (day, state, items, matched, mismatches, error)
    run: Option<(String, String, i64, i64, i64, String)>,
    /// (id, day, kind, reference, txn, ours, theirs, action, state, note, by)
    mismatches: Vec<[String; 11]>,
}

/// (dossier code, state key, total, due, created, public id, paid, open)
type RequestLine = (
    String,
    &'static str,
    String,
    String,
    String,
    String,
    bool,
    bool,
);

#[derive(Deserialize, Default)]
struct ConsoleQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    flash: Option<String>,
}

/// `yyyy-mm-dd` (the date input) → `yyyyMMdd`; None if malformed.
fn day_of(s: &str) -> Option<String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s.trim(), fmt).ok()?;
    Some(format!(
        "{:04}{:02}{:02}",
        d.year(),
        d.month() as u8,
        d.day()
    ))
}

/// `GET /console/payments[?state=…&day=yyyy-mm-dd]`.
async fn console_page(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Query(q): Query<ConsoleQuery>,
) -> Response {
    let filter = match q.state.trim() {
        "" => "",
        s if [
            pay::UNPAID,
            pay::AWAITING,
            pay::PAID,
            pay::REFUNDED,
            pay::CANCELLED,
        ]
        .contains(&s) =>
        {
            s
        }
        _ => return AppError::BadRequest("error.bad_input").into_response(),
    };
    let day = match q.day.trim() {
        "" => String::new(),
        s => match day_of(s) {
            Some(d) => d,
            None => return AppError::BadRequest("payments.error_day").into_response(),
        },
    };
    let c = Chrome::new(&state, &ctx).with_flash(q.flash.as_deref());
    let requests = tri!(pay::recent(&state, filter).await)
        .into_iter()
        .map(|r| {
            (
                r.dossier_code,
                motcua_payments::state_key(&r.state),
                vnd(r.total),
                format_vn(r.due_at),
                format_vn(r.created_at),
                r.public_id,
                r.state == pay::PAID,
                r.state == pay::UNPAID || r.state == pay::AWAITING,
            )
        })
        .collect();
    let run = if day.is_empty() {
        None
    } else {
        tri!(pay::run_of(&state, &day).await)
            .map(|r| (r.day, r.state, r.items, r.matched, r.mismatches, r.error))
    };
    let ms = tri!(pay::mismatches(&state, &day).await);
    let mismatches = ms
        .into_iter()
        .map(|m| {
            [
                m.id.to_string(),
                m.day,
                m.kind,
                m.reference,
                m.platform_txn_id,
                m.our_amount.map(vnd).unwrap_or_default(),
                m.their_amount.map(vnd).unwrap_or_default(),
                m.action,
                m.state,
                m.note,
                m.resolved_by,
            ]
        })
        .collect();
    render(&PaymentsPage {
        c,
        connected: state.platform.is_some(),
        state: filter.to_string(),
        requests,
        day: q.day.trim().to_string(),
        run,
        mismatches,
    })
}

#[derive(Deserialize)]
struct DayForm {
    #[serde(default)]
    day: String,
}

/// `POST /console/payments/reconcile`: (re)runs a past day.
async fn reconcile(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Form(f): Form<DayForm>,
) -> Response {
    let Some(day) = day_of(&f.day) else {
        return AppError::BadRequest("payments.error_day").into_response();
    };
    tri!(
        motcua_payments::jobs::reconcile_now(&state, &state.payments(), &origin(&ctx), &day).await
    );
    Redirect::to(&format!(
        "/console/payments?day={}&flash=reconciled",
        f.day.trim()
    ))
    .into_response()
}

#[derive(Deserialize)]
struct ResolveForm {
    #[serde(default)]
    note: String,
}

/// `POST /console/payments/mismatches/{id}/resolve`.
async fn resolve(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return AppError::NotFound.into_response();
    };
    tri!(pay::resolve(&state, &origin(&ctx), id, &f.note).await);
    Redirect::to("/console/payments?flash=mismatch_resolved").into_response()
}

/// `POST /console/payments/requests/{request}/refund`: the operator
/// records a refund (made outside the portal), saying why.
async fn refund(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(request): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Response {
    tri!(pay::refund(&state, &origin(&ctx), &request, &f.note).await);
    Redirect::to("/console/payments?flash=refunded").into_response()
}

/// `POST /console/payments/requests/{request}/cancel`: the operator
/// cancels an unpaid request, saying why.
async fn cancel(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(request): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Response {
    tri!(pay::cancel(&state, &state.payments(), &origin(&ctx), &request, &f.note).await);
    Redirect::to("/console/payments?flash=request_cancelled").into_response()
}
