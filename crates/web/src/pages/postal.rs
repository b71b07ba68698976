//! The public postal service (issue #10 §3): the applicant's choice on
//! the check page, the postal boxes of the dossier and case pages, and
//! the postal operator's signed status reports. Every rule is in
//! `motcua_postal`.
use crate::ctx::Me;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use motcua_domain::clock::format_vn;
use motcua_postal::service::{self as postal, ChoiceInput, Report};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/drafts/{id}/postal", post(choose))
        .route("/api/v1/postal/events", post(events))
}

/// The postal part of the check page.
#[derive(Default)]
pub(crate) struct PostalForm {
    pub offered: bool,
    pub send: bool,
    pub result: bool,
    pub name: String,
    pub phone: String,
    pub province: String,
    pub commune: String,
    pub street: String,
    /// The postage quoted (empty: none chosen).
    pub postage_send: String,
    pub postage_result: String,
    pub saved: bool,
    pub error: Option<&'static str>,
    pub provinces: Vec<String>,
}

pub(crate) async fn form_of(state: &AppState, account: i64, draft: &str) -> PostalForm {
    let mut f = PostalForm {
        offered: state.post.is_some(),
        provinces: motcua_forms::seed::provinces(),
        ..Default::default()
    };
    if let Ok(Some(c)) = postal::choice_of_draft(state, account, draft).await {
        f.send = c.send_by_post;
        f.result = c.result_by_post;
        f.name = c.name;
        f.phone = c.phone;
        f.province = c.province;
        f.commune = c.commune;
        f.street = c.street;
        f.postage_send = if c.send_by_post {
            super::payments::vnd(c.postage_send)
        } else {
            String::new()
        };
        f.postage_result = if c.result_by_post {
            super::payments::vnd(c.postage_result)
        } else {
            String::new()
        };
        f.saved = true;
    }
    f
}

#[derive(Deserialize)]
struct ChoiceForm {
    #[serde(default)]
    send: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    commune: String,
    #[serde(default)]
    street: String,
}

/// `POST /account/drafts/{id}/postal`: the choice, with the postage
/// quoted; a bad one comes back as typed with the reason.
async fn choose(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(id): Path<String>,
    Form(f): Form<ChoiceForm>,
) -> Response {
    let account = v.account.id.get();
    let input = ChoiceInput {
        send: !f.send.is_empty(),
        result: !f.result.is_empty(),
        name: f.name,
        phone: f.phone,
        province: f.province,
        commune: f.commune,
        street: f.street,
    };
    match postal::choose(&state, &state.postal(), account, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/account/drafts/{id}/check#postal")).into_response(),
        Err(motcua_kernel::ServiceError::Invalid { key, .. })
        | Err(motcua_kernel::ServiceError::Conflict(key)) => {
            let d = tri!(motcua_dossiers::drafts::get(&state, account, &id).await);
            let typed = PostalForm {
                offered: state.post.is_some(),
                send: input.send,
                result: input.result,
                name: input.name,
                phone: input.phone,
                province: input.province,
                commune: input.commune,
                street: input.street,
                error: Some(key),
                provinces: motcua_forms::seed::provinces(),
                ..Default::default()
            };
            super::dossiers::check_page_postal(&state, &ctx, &d, typed).await
        }
        Err(e) => crate::error::AppError::from(e).into_response(),
    }
}

/// A dossier's postal facts, as its pages show them.
#[derive(Default)]
pub(crate) struct PostalView {
    pub chosen: bool,
    pub send: bool,
    pub result: bool,
    pub address: String,
    pub handed_over: String,
    pub orders: Vec<OrderLine>,
}

/// (direction key, waybill, state key, postage, [(state key, at)])
pub(crate) type OrderLine = (
    &'static str,
    String,
    &'static str,
    String,
    Vec<(&'static str, String)>,
);

pub(crate) async fn view_of(
    state: &AppState,
    code: &str,
    handed_over: Option<i64>,
) -> Result<PostalView, crate::error::AppError> {
    let (choice, orders) = postal::of_dossier(state, code).await?;
    let mut v = PostalView {
        handed_over: handed_over.map(format_vn).unwrap_or_default(),
        ..Default::default()
    };
    if let Some(c) = choice {
        v.chosen = true;
        v.send = c.send_by_post;
        v.result = c.result_by_post;
        v.address = format!(
            "{} · {} · {}, {}, {}",
            c.name, c.phone, c.street, c.commune, c.province
        );
    }
    v.orders = orders
        .into_iter()
        .map(|(o, ev)| {
            (
                if o.direction == postal::SEND {
                    "postal.direction_send"
                } else {
                    "postal.direction_result"
                },
                o.waybill,
                motcua_postal::state_key(&o.state),
                super::payments::vnd(o.postage),
                ev.into_iter()
                    .map(|(s, at)| (motcua_postal::state_key(&s), format_vn(at)))
                    .collect(),
            )
        })
        .collect();
    Ok(v)
}

/// `POST /api/v1/postal/events`: the operator's status report, signed
/// with HMAC-SHA256 (no session, no CSRF: the signature is the
/// credential).
#[utoipa::path(post, path = "/api/v1/postal/events", tag = "callbacks",
    request_body(content = super::openapi::Callback, description = "The postal operator's signed report (its protocol: docs/POSTAL.md)", content_type = "application/json"),
    params(("X-Postal-Signature" = Option<String>, Header, description = "The report's signature")),
    responses((status = 200, description = "Applied", body = super::openapi::PostalAnswer), (status = "default", description = "An RFC 9457 problem", body = super::openapi::Problem, content_type = "application/problem+json")))]
async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let sig = headers
        .get(motcua_postal::client::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match postal::report(&state, &state.postal(), &body, sig).await {
        Ok(Report::Applied) | Ok(Report::Repeated) => {
            Json(serde_json::json!({ "status": "ok" })).into_response()
        }
        Ok(Report::BadSignature) => super::api::problem_document(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The report's signature is not the postal operator's.",
            serde_json::json!({}),
        ),
        Ok(Report::Unknown) => super::api::problem_document(
            StatusCode::NOT_FOUND,
            "not-found",
            "No such order.",
            serde_json::json!({}),
        ),
        Ok(Report::Unreadable) => super::api::problem_document(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The report is unreadable.",
            serde_json::json!({}),
        ),
        Err(e) => crate::error::AppError::from(e).into_response(),
    }
}
