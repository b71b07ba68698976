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
    /// (slug, title) of the announcements shown now.
    announcements: Vec<(String, String)>,
    /// (code, name) of the life events.
    life_events: Vec<(String, String)>,
    /// (code, name) of the procedures most received this year.
    popular: Vec<(String, String)>,
    /// This year's figures nationwide: received, finished, on time (‰).
    year: i64,
    received: i64,
    done: i64,
    on_time: String,
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
    let c = Chrome::new(&state, &ctx).with_flash(q.m.as_deref());
    let now = state.now();
    let announcements = tri!(motcua_content::search(&state, &["announcement"], "", now, 3).await)
        .into_iter()
        .map(|i| (i.slug, i.title))
        .collect();
    let en = c.lang() == "en";
    let life_events = tri!(motcua_catalog::queries::life_events(&state).await)
        .into_iter()
        .map(|e| {
            let name = if en && !e.name_en.is_empty() {
                e.name_en
            } else {
                e.name
            };
            (e.code, name)
        })
        .collect();
    // This year, from the report's summary (not the dossiers): the
    // nationwide strip and the procedures most received.
    let year = motcua_stats::Period::holding(motcua_stats::Kind::Year, now);
    let (from, to) = year.months();
    let lines = tri!(motcua_handling::queries::report(&state, &[], from, to, now).await);
    let mut total = motcua_handling::queries::ReportLine::default();
    let mut by_procedure: std::collections::BTreeMap<String, i64> = Default::default();
    for l in &lines {
        total.add(l);
        *by_procedure.entry(l.procedure_code.clone()).or_default() +=
            l.received_in_person + l.received_online + l.received_postal;
    }
    let mut ranked: Vec<(String, i64)> = by_procedure.into_iter().filter(|(_, n)| *n > 0).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut popular = Vec::new();
    for (code, _) in ranked.into_iter().take(6) {
        if let Some(e) = tri!(motcua_catalog::queries::procedure(&state, &code).await) {
            popular.push((code, e.record.name));
        }
    }
    let done = total.done_early + total.done_on_time + total.done_late;
    let on_time = if done > 0 {
        let p = (total.done_early + total.done_on_time) * 1000 / done;
        let sep = if en { "." } else { "," };
        format!("{}{sep}{}%", p / 10, p % 10)
    } else {
        "—".into()
    };
    render(&Home {
        c,
        announcements,
        life_events,
        popular,
        year: year.year,
        received: total.received_in_person + total.received_online + total.received_postal,
        done,
        on_time,
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
