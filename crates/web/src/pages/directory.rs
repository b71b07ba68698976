//! The directory (issue #11 §4; R-PS-9): the officials each agency
//! publishes, kept by the agency's administrators (or the operator) at
//! `/agency/officials`; shown on the agency's public page with its
//! one-stop unit.
use super::agency::staff_or_operator;
use super::auth::origin;
use super::{render, Chrome};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use motcua_catalog::queries::Official;
use motcua_catalog::service::NewOfficial;
use motcua_handling::people::Staff;
use motcua_kernel::ServiceError;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agency/officials", get(page))
        .route("/agency/officials/add", post(add))
        .route("/agency/officials/{id}/remove", post(remove))
}

#[derive(Template)]
#[template(path = "agency/officials.html")]
struct OfficialsPage {
    c: Chrome,
    agency: String,
    agency_name: String,
    officials: Vec<Official>,
    f: NewOfficial,
    error: Option<(&'static str, &'static str)>,
    flash: bool,
}

#[derive(Deserialize, Default)]
pub struct AgencyQuery {
    #[serde(default)]
    agency: String,
    #[serde(default)]
    flash: Option<String>,
}

/// The agency (code, name) whose directory the viewer may keep: the one
/// asked for if they administer it (or are the operator), else their
/// first; another agency is not found (its existence is not told);
/// someone who is neither staff nor the operator is refused.
async fn allowed(state: &AppState, ctx: &Ctx, asked: &str) -> Result<(String, String), Response> {
    let staff: Staff = staff_or_operator(state, ctx).await?;
    let code = staff.agency_or_first_administered(asked);
    if !(staff.operator || staff.admin_of(&code)) {
        return Err(AppError::NotFound.into_response());
    }
    match motcua_catalog::queries::agency(state, &code).await {
        Ok(Some(a)) => Ok((a.code, a.name)),
        Ok(None) => Err(AppError::NotFound.into_response()),
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

async fn view(
    state: &AppState,
    ctx: &Ctx,
    agency: (String, String),
    f: NewOfficial,
    error: Option<(&'static str, &'static str)>,
    flash: bool,
) -> Response {
    let officials = tri!(motcua_catalog::queries::officials(state, &agency.0).await);
    let mut r = render(&OfficialsPage {
        c: Chrome::new(state, ctx),
        agency: agency.0,
        agency_name: agency.1,
        officials,
        f,
        error,
        flash,
    });
    if let Some((_, key)) = error {
        *r.status_mut() = if key == "catalog.error_officials_many" {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
    }
    r
}

/// `GET /agency/officials?agency=`: the agency's directory and its form.
async fn page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<AgencyQuery>) -> Response {
    let agency = match allowed(&state, &ctx, &q.agency).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    view(
        &state,
        &ctx,
        agency,
        NewOfficial::default(),
        None,
        q.flash.is_some(),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct AddForm {
    #[serde(default)]
    agency: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    sort: String,
}

/// `POST /agency/officials/add`: one more person in the directory.
async fn add(State(state): State<AppState>, ctx: Ctx, Form(f): Form<AddForm>) -> Response {
    let agency = match allowed(&state, &ctx, &f.agency).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let o = NewOfficial {
        position: f.position,
        full_name: f.full_name,
        phone: f.phone,
        email: f.email,
        sort: f.sort,
    };
    match motcua_catalog::service::add_official(&state, &origin(&ctx), &agency.0, &o).await {
        Ok(_) => {
            Redirect::to(&format!("/agency/officials?agency={}&flash=1", agency.0)).into_response()
        }
        Err(ServiceError::Invalid { field, key }) => {
            view(
                &state,
                &ctx,
                agency,
                o,
                Some((field.unwrap_or("position"), key)),
                false,
            )
            .await
        }
        Err(ServiceError::Conflict(key)) => {
            view(&state, &ctx, agency, o, Some(("position", key)), false).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize, Default)]
pub struct RemoveForm {
    #[serde(default)]
    agency: String,
}

/// `POST /agency/officials/{id}/remove`.
async fn remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<RemoveForm>,
) -> Response {
    let agency = match allowed(&state, &ctx, &f.agency).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    tri!(motcua_catalog::service::remove_official(&state, &origin(&ctx), &agency.0, id).await);
    Redirect::to(&format!("/agency/officials?agency={}&flash=1", agency.0)).into_response()
}
