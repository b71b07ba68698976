//! Pages: the terms of use and the privacy notice (issue 10, §7), in the
//! visitor's language, with their version.
use super::{render, Chrome};
use crate::ctx::Ctx;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/terms", get(terms))
        .route("/privacy", get(privacy))
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
