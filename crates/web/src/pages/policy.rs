//! Pages: the terms of use and the privacy notice (issue 10, §7), in the
//! visitor's language, with their version.
use super::{render, Chrome};
use crate::ctx::{Ctx, Me};
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/terms", get(terms))
        .route("/privacy", get(privacy))
        .route("/policy/accept", get(renew_form).post(renew))
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "policy_renew.html")]
struct RenewPage {
    c: Chrome,
    /// (link, title key, version) of each document to accept.
    docs: Vec<(&'static str, &'static str, String)>,
    next: String,
    error: bool,
}

async fn renew_page(
    state: &AppState,
    ctx: &Ctx,
    account: motcua_domain::AccountId,
    next: String,
    error: bool,
) -> Response {
    let docs = match motcua_identity::portal::to_accept(state, account).await {
        Ok(d) => d,
        Err(e) => return AppError::from(e).into_response(),
    };
    if docs.is_empty() {
        return Redirect::to(&next).into_response();
    }
    let docs = docs
        .into_iter()
        .map(|d| {
            if d == "terms" {
                (
                    "/terms",
                    "policy.terms.title",
                    state.portal.terms.version.clone(),
                )
            } else {
                (
                    "/privacy",
                    "policy.privacy.title",
                    state.portal.privacy.version.clone(),
                )
            }
        })
        .collect();
    let mut r = render(&RenewPage {
        c: Chrome::new(state, ctx),
        docs,
        next,
        error,
    });
    if error {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// `GET /policy/accept?next=`: the documents with a new version the
/// account has not accepted yet (none: straight on).
async fn renew_form(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = crate::ctx::safe_next(&state, q.next.as_deref());
    renew_page(&state, &ctx, v.account.id, next, false).await
}

#[derive(Deserialize)]
pub struct RenewForm {
    accept_terms: Option<String>,
    next: Option<String>,
}

/// `POST /policy/accept`: the acceptance recorded (audited), then on.
async fn renew(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Form(f): Form<RenewForm>,
) -> Response {
    let next = crate::ctx::safe_next(&state, f.next.as_deref());
    if !motcua_identity::portal::accepted(f.accept_terms.as_deref()) {
        return renew_page(&state, &ctx, v.account.id, next, true).await;
    }
    match motcua_identity::portal::renew(&state, &super::auth::origin(&ctx), v.account.id).await {
        Ok(()) => Redirect::to(&next).into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    c: Chrome,
    name: &'static str,
    title: &'static str,
    version: String,
    body: String,
    other: (&'static str, &'static str),
}

fn page(state: &AppState, ctx: &Ctx, name: &'static str) -> Response {
    let (title, other) = if name == "terms" {
        ("policy.terms.title", ("/privacy", "policy.privacy.title"))
    } else {
        ("policy.privacy.title", ("/terms", "policy.terms.title"))
    };
    let doc = if name == "terms" {
        &state.portal.terms
    } else {
        &state.portal.privacy
    };
    render(&PolicyPage {
        c: Chrome::new(state, ctx),
        name,
        title,
        version: doc.version.clone(),
        body: doc.html(ctx.locale).to_string(),
        other,
    })
}

pub async fn terms(State(state): State<AppState>, ctx: Ctx) -> Response {
    page(&state, &ctx, "terms")
}

pub async fn privacy(State(state): State<AppState>, ctx: Ctx) -> Response {
    page(&state, &ctx, "privacy")
}
