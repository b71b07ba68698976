//! The operators' e-form authoring (R-PS-3): the versions of a
//! procedure's form, an editor of the definition (JSON: the JSON Schema
//! and the layout), checked before it is stored, a preview of every page
//! as the citizen sees it, and publication of a new version (drafts in
//! progress move to it, answers carried over where the schema allows).
use super::auth::origin;
use super::catalog::VersionRow;
use super::dossiers::{blocks, Block};
use super::{render, Chrome, Operator};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/forms/{code}", get(versions))
        .route("/console/forms/{code}/draft", post(save))
        .route("/console/forms/{code}/{version}", get(preview))
        .route("/console/forms/{code}/{version}/publish", post(publish))
}

#[derive(Template)]
#[template(path = "console/forms.html")]
struct VersionsPage {
    c: Chrome,
    code: String,
    name: String,
    versions: Vec<VersionRow>,
    edit_text: String,
    problems: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn versions_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    flash: Option<&str>,
    edit_text: Option<String>,
    problems: Vec<String>,
) -> Response {
    let Some(procedure) = tri!(motcua_catalog::queries::procedure(state, code).await) else {
        return AppError::NotFound.into_response();
    };
    let rows = tri!(motcua_forms::service::versions(state, code).await);
    let latest = rows.first().map(|r| {
        serde_json::from_str::<serde_json::Value>(&r.definition)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| r.definition.clone())
    });
    let versions = rows
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            status_key: format!("catalog.status_{}", v.status),
            draft: v.status == "draft",
            created: motcua_domain::clock::format_vn(v.created_at),
            created_by: v.created_by.clone(),
            published: v
                .published_at
                .map(motcua_domain::clock::format_vn)
                .unwrap_or_default(),
        })
        .collect();
    render(&VersionsPage {
        c: Chrome::new(state, ctx).with_flash(flash),
        code: code.to_string(),
        name: procedure.record.name,
        versions,
        edit_text: edit_text.or(latest).unwrap_or_default(),
        problems,
    })
}

/// `/console/forms/{code}`.
pub async fn versions(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    versions_page(&state, &ctx, &code, q.done.as_deref(), None, Vec::new()).await
}

#[derive(Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    definition: String,
}

/// `POST /console/forms/{code}/draft`: stores a new draft version if the
/// definition is sound; otherwise the editor again with every problem.
pub async fn save(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(code): Path<String>,
    Form(f): Form<DraftForm>,
) -> Response {
    if tri!(motcua_catalog::queries::procedure(&state, &code).await).is_none() {
        return AppError::NotFound.into_response();
    }
    let c = Chrome::new(&state, &ctx);
    match tri!(
        motcua_forms::service::save_draft(&state, &origin(&ctx), &code, "", &f.definition).await
    ) {
        Ok(version) => Redirect::to(&format!("/console/forms/{code}/{version}?done=form_saved"))
            .into_response(),
        Err(problems) => {
            let lines = problems
                .iter()
                .map(|p| {
                    let mut line = format!(
                        "{}: {}",
                        if p.path.is_empty() { "—" } else { &p.path },
                        c.t(p.key)
                    );
                    if !p.detail.is_empty() {
                        line.push_str(&format!(" ({})", p.detail));
                    }
                    line
                })
                .collect();
            let mut r = versions_page(&state, &ctx, &code, None, Some(f.definition), lines).await;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

/// One page of the preview.
pub struct PreviewStep {
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Template)]
#[template(path = "console/form_preview.html")]
struct PreviewPage {
    c: Chrome,
    code: String,
    version: i64,
    draft: bool,
    title: String,
    status_key: String,
    steps: Vec<PreviewStep>,
}

/// `/console/forms/{code}/{version}`: every page as the citizen sees it.
pub async fn preview(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path((code, version)): Path<(String, i64)>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let Some(form) = tri!(motcua_forms::service::version(&state, &code, "", version).await) else {
        return AppError::NotFound.into_response();
    };
    let c = Chrome::new(&state, &ctx).with_flash(q.done.as_deref());
    let l = if ctx.locale == motcua_domain::Locale::En {
        "en"
    } else {
        "vi"
    };
    let empty = serde_json::Map::new();
    let def = &form.definition;
    let steps = (0..def.steps.len())
        .map(|i| PreviewStep {
            title: def.steps[i].title.get(l).to_string(),
            blocks: blocks(&c, def, &[], i, &empty, &[], l),
        })
        .collect();
    render(&PreviewPage {
        code,
        version,
        draft: form.row.status == "draft",
        title: def.title.get(l).to_string(),
        status_key: format!("catalog.status_{}", form.row.status),
        steps,
        c,
    })
}

/// `POST /console/forms/{code}/{version}/publish`.
pub async fn publish(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path((code, version)): Path<(String, i64)>,
) -> Response {
    if tri!(motcua_forms::service::version(&state, &code, "", version).await).is_none() {
        return AppError::NotFound.into_response();
    }
    tri!(motcua_forms::service::publish(&state, &origin(&ctx), &code, "", version).await);
    Redirect::to(&format!("/console/forms/{code}?done=form_published")).into_response()
}
