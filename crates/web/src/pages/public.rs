use super::{render, Chrome};
use crate::ctx::{self, Ctx, LANG_COOKIE};
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use motcua_mail::Locale;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    c: Chrome,
}

#[derive(Deserialize)]
pub struct FlashQuery {
    pub m: Option<String>,
}

pub async fn home(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<FlashQuery>,
) -> Response {
    render(&Home {
        c: Chrome::new(&state, &ctx).with_flash(q.m.as_deref()),
    })
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Switches the interface language; a logged-in user's choice is also
/// kept on the account for the mail they receive.
pub async fn set_lang(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(lang): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let locale = match lang.as_str() {
        "vi" => Locale::Vi,
        "en" => Locale::En,
        _ => return AppError::NotFound.into_response(),
    };
    if let Some(v) = &ctx.viewer {
        if v.account.locale != locale.as_str() {
            let origin = crate::pages::auth::origin(&ctx);
            if let Err(e) =
                motcua_identity::service::set_locale(&state, &origin, v.account.id, locale).await
            {
                return AppError::from(e).into_response();
            }
        }
    }
    let mut r = Redirect::to(&ctx::safe_next(&state, q.next.as_deref())).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        ctx::set_cookie(
            LANG_COOKIE,
            locale.as_str(),
            Some(365 * 86400),
            state.config.secure_cookies(),
        ),
    );
    r
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match motcua_kernel::records::ready(&state).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// `/metrics` on the public listener: only with the configured bearer
/// token (compared in constant time); without a token configured it does
/// not exist there.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = &state.config.metrics_token else {
        return AppError::NotFound.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_bytes(),
        expected.as_bytes(),
    )) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
            "metrics need the bearer token\n",
        )
            .into_response();
    }
    metrics_open(State(state)).await
}

/// `/metrics` without a check: for the admin listener only.
pub async fn metrics_open(State(state): State<AppState>) -> Response {
    // A gauge that cannot be read is left out (and logged): the metrics
    // still answer while the database is down, /readyz says so.
    fn or_default<T: Default>(what: &str, r: Result<T, impl std::fmt::Display>) -> T {
        r.unwrap_or_else(|e| {
            tracing::warn!(gauge = what, error = %e, "metrics gauge unavailable");
            T::default()
        })
    }
    let gauges = motcua_kernel::metrics::Gauges {
        jobs: or_default("jobs", motcua_kernel::records::job_counts(&state).await),
        deliveries: or_default(
            "deliveries",
            motcua_kernel::records::delivery_counts(&state).await,
        ),
        accounts: or_default(
            "accounts",
            motcua_identity::queries::count_accounts(&state).await,
        ),
        sla: or_default("sla", state.sla_counts().await),
    };
    let mut body = state.metrics.render(&gauges);
    // The back office (issue #9): open, waiting and late dossiers.
    if let Some((open, paused, late)) = or_default(
        "dossiers",
        motcua_handling::queries::gauges(&state).await.map(Some),
    ) {
        use std::fmt::Write;
        let _ = writeln!(body, "# HELP motcua_dossiers_in_progress Dossiers at agencies by state (open: being handled; paused: waiting for the applicant).");
        let _ = writeln!(body, "# TYPE motcua_dossiers_in_progress gauge");
        let _ = writeln!(body, "motcua_dossiers_in_progress{{state=\"open\"}} {open}");
        let _ = writeln!(
            body,
            "motcua_dossiers_in_progress{{state=\"paused\"}} {paused}"
        );
        let _ = writeln!(
            body,
            "# HELP motcua_dossiers_overdue Dossiers being handled past their legal deadline."
        );
        let _ = writeln!(body, "# TYPE motcua_dossiers_overdue gauge");
        let _ = writeln!(body, "motcua_dossiers_overdue {late}");
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

const APP_CSS: &str = include_str!("../../static/app.css");
const HTMX: &str = include_str!("../../static/htmx.min.js");
const TOKEN_JS: &str = include_str!("../../static/token.js");
const AUTOSAVE_JS: &str = include_str!("../../static/autosave.js");

pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, ctype) = match file.as_str() {
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        "token.js" => (TOKEN_JS, "text/javascript; charset=utf-8"),
        "autosave.js" => (AUTOSAVE_JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

pub async fn not_found() -> Response {
    AppError::NotFound.into_response()
}
