//! Statistics (issue #11 §3; R-PS-8): the public progress report per
//! agency or procedure and period, with its chart and the same figures
//! in a table; downloads as CSV, XLSX and JSON; and the open-data API
//! `GET /api/v1/statistics/progress` with the page's filters.
use super::{render, Chrome};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use motcua_stats::export::{self, COLUMNS};
use motcua_stats::{By, Kind, Period, Progress};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/statistics", get(page))
        .route("/statistics/{file}", get(download))
        .route("/api/v1/statistics/progress", get(api_progress))
}

/// The filters of the page, the downloads and the API, as typed.
#[derive(Deserialize, Default)]
pub struct StatsQuery {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    by: String,
}

/// The filters read: the period (default: this year), rows by what.
fn filters(state: &AppState, q: &StatsQuery) -> Result<(String, Period, By), AppError> {
    let period = if q.period.is_empty() {
        Period::holding(Kind::Year, state.now())
    } else {
        Period::parse(&q.period).ok_or(AppError::BadRequest("stats.error_period"))?
    };
    let by = By::parse(&q.by).ok_or(AppError::BadRequest("stats.error_by"))?;
    // An agency code is plain text; control characters are bad input,
    // anything else unknown is not found.
    let scope = q.scope.trim();
    if scope.chars().any(|c| c.is_control()) {
        return Err(AppError::BadRequest("error.bad_input"));
    }
    if scope.len() > 64 {
        return Err(AppError::NotFound);
    }
    Ok((scope.to_string(), period, by))
}

async fn load(state: &AppState, q: &StatsQuery) -> Result<Progress, AppError> {
    let (scope, period, by) = filters(state, q)?;
    Ok(motcua_stats::progress(state, &scope, period, by, state.now()).await?)
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct RowView {
    pub code: String,
    pub name: String,
    /// Where the row's agency is reported on its own (agency rows).
    pub link: Option<String>,
    pub cells: Vec<i64>,
    pub rate: String,
}

#[derive(Template)]
#[template(path = "stats/progress.html")]
struct ProgressPage {
    c: Chrome,
    period_label: String,
    query: String,
    scope_name: String,
    scopes: Vec<Choice>,
    periods: Vec<Choice>,
    by_procedure: bool,
    previous: String,
    next: Option<String>,
    as_of: String,
    columns: Vec<&'static str>,
    rows: Vec<RowView>,
    total: RowView,
    chart: String,
}

fn rate(c: &Chrome, permille: Option<i64>) -> String {
    match permille {
        None => "—".into(),
        Some(p) => {
            let sep = if c.lang() == "vi" { "," } else { "." };
            format!("{}{sep}{}%", p / 10, p % 10)
        }
    }
}

fn link(scope: &str, period: &str, by: By) -> String {
    let mut s = format!("?period={period}");
    if !scope.is_empty() {
        s.push_str(&format!("&scope={scope}"));
    }
    if by == By::Procedure {
        s.push_str("&by=procedure");
    }
    s
}

/// `GET /statistics?scope=&period=&by=`: the progress report.
async fn page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<StatsQuery>) -> Response {
    let c = Chrome::new(&state, &ctx);
    let p = tri!(load(&state, &q).await);
    let vi = c.lang() == "vi";
    let period = tri!(Period::parse(&p.period).ok_or(AppError::BadRequest("stats.error_period")));
    let scope = p.scope.as_ref().map(|a| a.code.clone()).unwrap_or_default();
    // The scopes offered: nationwide and every ministry and province.
    let roots = tri!(motcua_catalog::queries::agencies(&state, None, "").await);
    let mut scopes = vec![Choice {
        value: String::new(),
        label: c.t("stats.scope_all").to_string(),
        selected: scope.is_empty(),
    }];
    for a in &roots {
        scopes.push(Choice {
            value: a.code.clone(),
            label: a.name.clone(),
            selected: a.code == scope,
        });
    }
    if let Some(a) = p
        .scope
        .as_ref()
        .filter(|a| !roots.iter().any(|r| r.code == a.code))
    {
        scopes.push(Choice {
            value: a.code.clone(),
            label: a.name.clone(),
            selected: true,
        });
    }
    // The periods offered: this year's and last year's that have begun.
    let now = state.now();
    let this_year = Period::holding(Kind::Year, now).year;
    let mut periods = Vec::new();
    for year in [this_year, this_year - 1] {
        let mut all = vec![Period {
            kind: Kind::Year,
            year,
            n: 1,
        }];
        all.extend((1..=2).map(|n| Period {
            kind: Kind::Half,
            year,
            n,
        }));
        all.extend((1..=4).map(|n| Period {
            kind: Kind::Quarter,
            year,
            n,
        }));
        all.extend((1..=12).map(|n| Period {
            kind: Kind::Month,
            year,
            n,
        }));
        for x in all.into_iter().filter(|x| x.span().0 <= now) {
            periods.push(Choice {
                value: x.code(),
                label: x.label(vi),
                selected: x == period,
            });
        }
    }
    if !periods.iter().any(|x| x.selected) {
        periods.insert(
            0,
            Choice {
                value: period.code(),
                label: period.label(vi),
                selected: true,
            },
        );
    }
    let t = |k: &str| c.t(k).to_string();
    let chart = motcua_stats::chart::bars(&p, 15, "stats-chart-title", &t);
    let cells = |f: &motcua_stats::progress::Figures| {
        COLUMNS
            .iter()
            .map(|(col, _)| export::value(f, col))
            .collect()
    };
    let rows = p
        .rows
        .iter()
        .map(|r| RowView {
            code: r.code.clone(),
            name: r.name.clone(),
            link: (p.by == By::Agency && r.code != scope)
                .then(|| format!("/statistics{}", link(&r.code, &p.period, By::Agency))),
            cells: cells(&r.figures),
            rate: rate(&c, r.figures.on_time_permille),
        })
        .collect();
    let total = RowView {
        code: String::new(),
        name: c.t("stats.total").to_string(),
        link: None,
        cells: cells(&p.total),
        rate: rate(&c, p.total.on_time_permille),
    };
    let next = period.next();
    render(&ProgressPage {
        period_label: period.label(vi),
        query: link(&scope, &p.period, p.by),
        scope_name: p
            .scope
            .as_ref()
            .map_or_else(|| c.t("stats.scope_all").to_string(), |a| a.name.clone()),
        scopes,
        periods,
        by_procedure: p.by == By::Procedure,
        previous: link(&scope, &period.previous().code(), p.by),
        next: (next.span().0 <= now).then(|| link(&scope, &next.code(), p.by)),
        as_of: motcua_domain::clock::format_vn(p.as_of),
        columns: COLUMNS.iter().map(|(_, k)| *k).collect(),
        rows,
        total,
        chart,
        c,
    })
}

/// `GET /statistics/progress.{csv,xlsx,json}?…`: the page's figures.
async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(file): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Response {
    let format = match file.as_str() {
        "progress.csv" => "csv",
        "progress.xlsx" => "xlsx",
        "progress.json" => "json",
        _ => return AppError::NotFound.into_response(),
    };
    let p = tri!(load(&state, &q).await);
    let c = Chrome::new(&state, &ctx);
    let t = |k: &str| c.t(k).to_string();
    let scope = p.scope.as_ref().map_or("VN", |a| a.code.as_str());
    let name = format!("thong-ke-{scope}-{}.{format}", p.period);
    let (mime, body) = match format {
        "csv" => ("text/csv; charset=utf-8", tri!(export::csv(&p, &t))),
        "xlsx" => {
            let title = format!("{} — {}", c.t("stats.title"), p.period);
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                tri!(export::xlsx(&p, &title, &t)),
            )
        }
        _ => (
            "application/json",
            export::json(&p).to_string().into_bytes(),
        ),
    };
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /api/v1/statistics/progress?scope=&period=&by=`: open data, no
/// login; errors are RFC 9457 problems.
async fn api_progress(State(state): State<AppState>, Query(q): Query<StatsQuery>) -> Response {
    let p = tri!(load(&state, &q).await);
    (
        [(header::CONTENT_TYPE, "application/json")],
        export::json(&p).to_string(),
    )
        .into_response()
}
