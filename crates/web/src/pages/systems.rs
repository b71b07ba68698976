//! Operator console: specialized processing systems (R-ID-5) and the
//! deliveries of account events to them, with redelivery of dead letters.
use super::auth::origin;
use super::{render, Chrome, Operator};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use motcua_domain::clock::format_vn;
use motcua_domain::{DeliveryId, DeliveryStatus, SystemId};
use motcua_identity::service::ServiceError;
use motcua_kernel::outbox::EVENT_TYPES;
use motcua_nsw::systems::SystemInput;
use motcua_store::events::{Delivery, System};
use serde::Deserialize;

/// The form's fields; `event_types` repeats (one per ticked box), which
/// `Form<struct>` cannot read, so the pairs are collected by hand.
fn input_from(pairs: &[(String, String)]) -> (SystemInput, bool) {
    let mut i = SystemInput::default();
    let mut rotate = false;
    for (k, v) in pairs {
        match k.as_str() {
            "code" => i.code = v.clone(),
            "name" => i.name = v.clone(),
            "ministry" => i.ministry = v.clone(),
            "endpoint_url" => i.endpoint_url = v.clone(),
            "event_types" => i.event_types.push(v.clone()),
            "active" => i.active = v == "on" || v == "1" || v == "true",
            "rotate" => rotate = v == "on" || v == "1" || v == "true",
            _ => {}
        }
    }
    (i, rotate)
}

pub struct TypeBox {
    pub name: &'static str,
    pub checked: bool,
}

fn type_boxes(selected: &[String]) -> Vec<TypeBox> {
    EVENT_TYPES
        .iter()
        .map(|t| TypeBox {
            name: t,
            checked: selected.iter().any(|s| s == t),
        })
        .collect()
}

pub struct SystemRow {
    pub id: SystemId,
    pub code: String,
    pub name: String,
    pub ministry: String,
    pub endpoint_url: String,
    pub event_types: String,
    pub active: bool,
}

fn row(s: System) -> SystemRow {
    SystemRow {
        id: s.id,
        code: s.code,
        name: s.name,
        ministry: s.ministry,
        endpoint_url: s.endpoint_url,
        event_types: s.event_types,
        active: s.active,
    }
}

#[derive(Template)]
#[template(path = "console/systems.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<SystemRow>,
    form: SystemInput,
    types: Vec<TypeBox>,
    error: Option<&'static str>,
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    form: SystemInput,
    error: Option<&'static str>,
) -> Response {
    let rows = tri!(motcua_nsw::queries::systems(state).await)
        .into_iter()
        .map(row)
        .collect();
    let types = if error.is_none() && form.event_types.is_empty() {
        type_boxes(
            &EVENT_TYPES
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        )
    } else {
        type_boxes(&form.event_types)
    };
    let mut r = render(&ListPage {
        c: Chrome::new(state, ctx),
        rows,
        form,
        types,
        error,
    });
    if error.is_some() && r.status() == StatusCode::OK {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

pub async fn list(State(state): State<AppState>, Operator(ctx): Operator) -> Response {
    let form = SystemInput {
        active: true,
        ..SystemInput::default()
    };
    list_page(&state, &ctx, form, None).await
}

pub async fn register(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (input, _) = input_from(&pairs);
    match motcua_nsw::systems::register_system(&state, &origin(&ctx), &input).await {
        Ok((id, secret)) => system_page(&state, &ctx, id, Some(secret), None, None).await,
        Err(ServiceError::Invalid { key: k, .. } | ServiceError::Conflict(k)) => {
            list_page(&state, &ctx, input, Some(k)).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

pub struct DeliveryRow {
    pub id: DeliveryId,
    pub event_id: String,
    pub event_type: String,
    pub system_code: String,
    pub system_id: SystemId,
    pub subject: String,
    pub status: DeliveryStatus,
    pub status_key: String,
    pub attempts: i64,
    pub last: String,
    pub next: String,
    pub at: String,
}

fn delivery_row(d: Delivery) -> DeliveryRow {
    let last = match (d.last_status, d.last_error) {
        (_, Some(e)) => e,
        (Some(s), None) => format!("HTTP {s}"),
        (None, None) => String::new(),
    };
    DeliveryRow {
        next: if d.status == DeliveryStatus::Pending {
            format_vn(d.next_attempt_at)
        } else {
            "—".into()
        },
        id: d.id,
        event_id: d.event_id,
        event_type: d.event_type,
        system_code: d.system_code,
        system_id: d.system_id,
        subject: d.subject,
        status_key: format!("deliveries.status_{}", d.status),
        status: d.status,
        attempts: d.attempts,
        last,
        at: format_vn(d.event_created_at),
    }
}

#[derive(Template)]
#[template(path = "console/system.html")]
struct SystemPage {
    c: Chrome,
    s: SystemRow,
    types: Vec<TypeBox>,
    secret: Option<String>,
    error: Option<&'static str>,
    deliveries: Vec<DeliveryRow>,
}

async fn system_page(
    state: &AppState,
    ctx: &Ctx,
    id: SystemId,
    secret: Option<String>,
    form: Option<SystemInput>,
    error: Option<&'static str>,
) -> Response {
    let Some((sys, deliveries)) = tri!(motcua_nsw::queries::system(state, id, 100).await) else {
        return AppError::NotFound.into_response();
    };
    let deliveries = deliveries.into_iter().map(delivery_row).collect();
    let mut s = row(sys);
    let selected: Vec<String> = match &form {
        Some(f) => f.event_types.clone(),
        None => s.event_types.split_whitespace().map(String::from).collect(),
    };
    if let Some(f) = form {
        s.name = f.name;
        s.ministry = f.ministry;
        s.endpoint_url = f.endpoint_url;
        s.active = f.active;
    }
    let mut r = render(&SystemPage {
        c: Chrome::new(state, ctx),
        types: type_boxes(&selected),
        s,
        secret,
        error,
        deliveries,
    });
    if error.is_some() && r.status() == StatusCode::OK {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

pub async fn show(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<SystemId>,
) -> Response {
    system_page(&state, &ctx, id, None, None, None).await
}

pub async fn update(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<SystemId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (input, rotate) = input_from(&pairs);
    match motcua_nsw::systems::update_system(&state, &origin(&ctx), id, &input, rotate).await {
        Ok(Some(secret)) => system_page(&state, &ctx, id, Some(secret), None, None).await,
        Ok(None) => Redirect::to(&format!("/console/systems/{id}")).into_response(),
        Err(ServiceError::NotFound) => AppError::NotFound.into_response(),
        Err(ServiceError::Invalid { key: k, .. } | ServiceError::Conflict(k)) => {
            system_page(&state, &ctx, id, None, Some(input), Some(k)).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct DeliveriesQuery {
    #[serde(default)]
    status: String,
    /// The cursor: `KEY.ID` of the last delivery shown.
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "console/deliveries.html")]
struct DeliveriesPage {
    c: Chrome,
    status: String,
    counts: Vec<(String, String, i64)>,
    rows: Vec<DeliveryRow>,
    pager: String,
}

pub async fn deliveries(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Query(q): Query<DeliveriesQuery>,
) -> Response {
    // An unknown status filter shows all.
    let filter = <DeliveryStatus as motcua_domain::Workflow>::parse(&q.status);
    let c = Chrome::new(&state, &ctx);
    let after = match super::parse_after(&state, &c, q.after.as_deref()) {
        Ok(after) => after,
        Err(bad) => return bad,
    };
    let (counts, rows, next) =
        tri!(motcua_nsw::queries::deliveries(&state, filter, after, 100).await);
    let status = filter.map_or("", DeliveryStatus::as_str).to_string();
    let base = if status.is_empty() {
        "/console/deliveries".to_string()
    } else {
        format!("/console/deliveries?status={status}")
    };
    let pager = super::cursor_pager(&c, &base, after.is_some(), next);
    let counts = counts
        .into_iter()
        .map(|(s, n)| (format!("deliveries.status_{s}"), s.as_str().to_string(), n))
        .collect();
    let rows = rows.into_iter().map(delivery_row).collect();
    render(&DeliveriesPage {
        c,
        status,
        counts,
        rows,
        pager,
    })
}

pub async fn redeliver(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<DeliveryId>,
) -> Response {
    match motcua_nsw::systems::redeliver(&state, &origin(&ctx), id).await {
        Ok(true) => Redirect::to("/console/deliveries?status=dead").into_response(),
        Ok(false) => AppError::NotFound.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}
