//! Guidance, Q&A and announcements (issue #11 §4–5; R-PS-4, R-PS-9):
//! the public help pages, the operators' console with every version
//! kept, one search across procedures, help and answered feedback, and
//! the contact page (owner, operator, hotline, call centre, agencies).
use super::{render, Chrome, Operator};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use motcua_content::{Content, Save};
use motcua_domain::clock::format_vn;
use motcua_kernel::ServiceError;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/help", get(help))
        .route("/help/{slug}", get(help_item))
        .route("/search", get(search))
        .route("/contact", get(contact))
        .route("/console/content", get(console_list).post(console_save))
        .route("/console/content/{slug}", get(console_item))
}

#[derive(Deserialize, Default)]
pub struct HelpQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
}

pub struct ItemView {
    pub slug: String,
    pub title: String,
    pub kind_key: String,
    pub updated: String,
}

fn view(i: &Content) -> ItemView {
    ItemView {
        slug: i.slug.clone(),
        title: i.title.clone(),
        kind_key: format!("content.kind_{}", i.kind),
        updated: format_vn(i.updated_at),
    }
}

#[derive(Template)]
#[template(path = "content/help.html")]
struct HelpPage {
    c: Chrome,
    q: String,
    kind: String,
    items: Vec<ItemView>,
}

/// `GET /help?q=&kind=`: guidance and Q&A, searchable without accents.
async fn help(State(state): State<AppState>, ctx: Ctx, Query(q): Query<HelpQuery>) -> Response {
    let kinds: &[&str] = match q.kind.as_str() {
        "guide" => &["guide"],
        "faq" => &["faq"],
        _ => &["guide", "faq"],
    };
    let found = tri!(motcua_content::search(&state, kinds, &q.q, state.now(), 100).await);
    render(&HelpPage {
        c: Chrome::new(&state, &ctx),
        q: q.q.chars().take(200).collect(),
        kind: if kinds.len() == 1 {
            kinds[0].to_string()
        } else {
            String::new()
        },
        items: found.iter().map(view).collect(),
    })
}

#[derive(Template)]
#[template(path = "content/item.html")]
struct ItemPage {
    c: Chrome,
    title: String,
    kind_key: String,
    updated: String,
    version: i64,
    body: String,
}

/// `GET /help/{slug}`: one published item.
async fn help_item(State(state): State<AppState>, ctx: Ctx, Path(slug): Path<String>) -> Response {
    let i = tri!(motcua_content::public(&state, &slug, state.now()).await);
    render(&ItemPage {
        c: Chrome::new(&state, &ctx),
        title: i.title.clone(),
        kind_key: format!("content.kind_{}", i.kind),
        updated: format_vn(i.updated_at),
        version: i.version,
        body: motcua_content::html(&i.body),
    })
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "content/search.html")]
struct SearchPage {
    c: Chrome,
    q: String,
    procedures: Vec<(String, String)>,
    procedures_total: i64,
    help: Vec<ItemView>,
    answers: Vec<(String, String)>,
}

/// `GET /search?q=`: one box over procedures, guidance and Q&A, and
/// answered feedback (the home page's search).
async fn search(State(state): State<AppState>, ctx: Ctx, Query(q): Query<SearchQuery>) -> Response {
    let text: String = q.q.chars().take(200).collect();
    let (procs, total) = tri!(
        motcua_catalog::queries::search(
            &state,
            &text,
            &motcua_catalog::queries::Filters::default(),
            1
        )
        .await
    );
    let help =
        tri!(motcua_content::search(&state, &["guide", "faq"], &text, state.now(), 10).await);
    let (answers, _) = tri!(motcua_feedback::queries::search(&state, &text, None, 1).await);
    render(&SearchPage {
        c: Chrome::new(&state, &ctx),
        procedures: procs
            .iter()
            .take(10)
            .map(|e| (e.record.code.clone(), e.record.name.clone()))
            .collect(),
        procedures_total: total,
        help: help.iter().map(view).collect(),
        answers: answers
            .into_iter()
            .take(10)
            .map(|i| (i.code, i.title))
            .collect(),
        q: text,
    })
}

#[derive(Template)]
#[template(path = "content/contact.html")]
struct ContactPage {
    c: Chrome,
    roots: Vec<(String, String)>,
}

/// `GET /contact`: who owns and operates the portal, its hotline and call
/// centre, and the directory of agencies.
async fn contact(State(state): State<AppState>, ctx: Ctx) -> Response {
    let roots = tri!(motcua_catalog::queries::agencies(&state, None, "").await);
    render(&ContactPage {
        c: Chrome::new(&state, &ctx),
        roots: roots.into_iter().map(|a| (a.code, a.name)).collect(),
    })
}

// ---------------------------------------------------------------- console

pub struct ConsoleRow {
    pub slug: String,
    pub title: String,
    pub kind_key: String,
    pub state_key: String,
    pub version: i64,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "content/console.html")]
struct ConsolePage {
    c: Chrome,
    rows: Vec<ConsoleRow>,
    form: FormView,
    error: Option<(&'static str, &'static str)>,
    history: Vec<(i64, String, String, String)>,
}

#[derive(Default, Clone)]
pub struct FormView {
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub note: String,
    pub state: String,
    pub until: String,
    pub seen: String,
}

async fn console_page(
    state: &AppState,
    ctx: &Ctx,
    form: FormView,
    error: Option<(&'static str, &'static str)>,
    history: Vec<(i64, String, String, String)>,
    status: StatusCode,
) -> Response {
    let all = tri!(motcua_content::all(state).await);
    let mut r = render(&ConsolePage {
        c: Chrome::new(state, ctx),
        rows: all
            .iter()
            .map(|i| ConsoleRow {
                slug: i.slug.clone(),
                title: i.title.clone(),
                kind_key: format!("content.kind_{}", i.kind),
                state_key: format!("content.state_{}", i.state),
                version: i.version,
                updated: format_vn(i.updated_at),
            })
            .collect(),
        form,
        error,
        history,
    });
    *r.status_mut() = status;
    r
}

/// `GET /console/content`: every item and the form for a new one.
async fn console_list(State(state): State<AppState>, Operator(ctx): Operator) -> Response {
    let form = FormView {
        kind: "guide".into(),
        state: "published".into(),
        ..Default::default()
    };
    console_page(&state, &ctx, form, None, Vec::new(), StatusCode::OK).await
}

/// `GET /console/content/{slug}`: the item in the form (a new version)
/// and its versions.
async fn console_item(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(slug): Path<String>,
) -> Response {
    let (i, versions) = tri!(motcua_content::history(&state, &slug).await);
    let form = FormView {
        kind: i.kind.clone(),
        slug: i.slug.clone(),
        title: i.title.clone(),
        body: i.body.clone(),
        note: String::new(),
        state: i.state.clone(),
        until: i
            .until_at
            .map(|u| motcua_domain::clock::vn_datetime(u - 1).date().to_string())
            .unwrap_or_default(),
        seen: i.version.to_string(),
    };
    let history = versions
        .into_iter()
        .map(|v| (v.version, format_vn(v.created_at), v.created_by, v.note))
        .collect();
    console_page(&state, &ctx, form, None, history, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    seen: String,
}

/// `POST /console/content`: a new item or version; a mistake comes back
/// beside the form, as typed.
async fn console_save(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Form(f): Form<SaveForm>,
) -> Response {
    let s = Save {
        kind: f.kind.clone(),
        slug: f.slug.clone(),
        title: f.title.clone(),
        body: f.body.clone(),
        note: f.note.clone(),
        state: f.state.clone(),
        until: f.until.clone(),
        seen: f.seen.trim().parse().ok(),
    };
    match motcua_content::save(&state, &super::auth::origin(&ctx), &s, state.now()).await {
        Ok(slug) => Redirect::to(&format!("/console/content/{slug}")).into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            let (field, key, status) = match e {
                ServiceError::Invalid { field, key } => (
                    field.unwrap_or("body"),
                    key,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                ServiceError::Conflict(key) => ("body", key, StatusCode::CONFLICT),
                _ => ("body", "error.internal", StatusCode::INTERNAL_SERVER_ERROR),
            };
            let form = FormView {
                kind: f.kind,
                slug: f.slug,
                title: f.title,
                body: f.body,
                note: f.note,
                state: f.state,
                until: f.until,
                seen: f.seen,
            };
            console_page(&state, &ctx, form, Some((field, key)), Vec::new(), status).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}
