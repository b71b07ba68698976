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
use axum::{Form, Router};
use motcua_stats::export::{self, COLUMNS};
use motcua_stats::{By, Kind, Period, Progress};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/statistics", get(page))
        .route("/statistics/index", get(index_page))
        .route("/statistics/online", get(online_page))
        .route("/statistics/index/{code}", get(index_detail))
        .route("/statistics/dossiers", get(dossiers_page))
        .route("/statistics/{file}", get(download))
        .route("/api/v1/statistics/progress", get(api_progress))
        .route("/api/v1/statistics/index", get(api_index))
        .route(
            "/console/statistics/index",
            get(console_formulas).post(publish_formulas),
        )
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

/// The progress report of `scope` as JSON (the interop API's pull).
pub(super) async fn progress_json(
    state: &AppState,
    scope: &str,
    period: &str,
    by: &str,
) -> Result<serde_json::Value, AppError> {
    let q = StatsQuery {
        scope: scope.to_string(),
        period: period.to_string(),
        by: by.to_string(),
    };
    Ok(export::json(&load(state, &q).await?))
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
    /// Each figure, and the list of its dossiers when the viewer may see
    /// them.
    pub cells: Vec<(i64, Option<String>)>,
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
    let scopes = tri!(scope_choices(&state, &c, p.scope.as_ref()).await);
    // The periods offered: this year's and last year's that have begun.
    let now = state.now();
    let periods = period_choices(now, period, vi);
    let t = |k: &str| c.t(k).to_string();
    let chart = motcua_stats::chart::bars(&p, 15, "stats-chart-title", &t);
    // The operator and the agencies' people follow a figure to its
    // dossiers (their own agencies' only).
    let access = tri!(access(&state, &ctx).await);
    let current = p.as_of >= now;
    let cells = |f: &motcua_stats::progress::Figures, agency: &str, procedure: &str| {
        let may = match &access {
            Some(motcua_stats::behind::Access::All) => true,
            Some(motcua_stats::behind::Access::Agencies(mine)) => mine.contains(agency),
            None => false,
        };
        COLUMNS
            .iter()
            .map(|(col, _)| {
                let v = export::value(f, col);
                let to = motcua_stats::behind::column_measure(col, current)
                    .filter(|_| may && v > 0)
                    .map(|m| behind_link(agency, &p.period, m, procedure));
                (v, to)
            })
            .collect()
    };
    let rows = p
        .rows
        .iter()
        .map(|r| {
            let (agency, procedure) = match p.by {
                By::Agency => (r.code.as_str(), ""),
                By::Procedure => (scope.as_str(), r.code.as_str()),
            };
            RowView {
                code: r.code.clone(),
                name: r.name.clone(),
                link: (p.by == By::Agency && r.code != scope)
                    .then(|| format!("/statistics{}", link(&r.code, &p.period, By::Agency))),
                cells: cells(&r.figures, agency, procedure),
                rate: rate(&c, r.figures.on_time_permille),
            }
        })
        .collect();
    let total = RowView {
        code: String::new(),
        name: c.t("stats.total").to_string(),
        link: None,
        cells: cells(&p.total, &scope, ""),
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

/// Whose dossiers the viewer may list: the operator every agency's, a
/// civil servant their agencies'; anyone else none.
async fn access(
    state: &AppState,
    ctx: &Ctx,
) -> Result<Option<motcua_stats::behind::Access>, AppError> {
    use motcua_domain::Role;
    use motcua_stats::behind::Access;
    let Some(v) = &ctx.viewer else {
        return Ok(None);
    };
    if v.account.has_role(Role::Operator) {
        return Ok(Some(Access::All));
    }
    if !v.account.has_role(Role::CivilServant) {
        return Ok(None);
    }
    let staff = motcua_handling::people::staff(state, v.account.id.get(), false).await?;
    let mine = staff.agencies();
    Ok((!mine.is_empty()).then_some(Access::Agencies(mine)))
}

fn behind_link(scope: &str, period: &str, measure: &str, procedure: &str) -> String {
    let mut s = format!("/statistics/dossiers?period={period}&measure={measure}");
    if !scope.is_empty() {
        s.push_str(&format!("&scope={scope}"));
    }
    if !procedure.is_empty() {
        s.push_str(&format!("&procedure={procedure}"));
    }
    s
}

#[derive(Deserialize, Default)]
pub struct BehindQuery {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    procedure: String,
    /// The next page: `time.dossier_id` of the last row shown.
    #[serde(default)]
    after: String,
}

pub struct BehindRow {
    pub code: String,
    /// The agency's page of the dossier, for its own people.
    pub link: Option<String>,
    pub procedure: String,
    pub agency: String,
    pub received_at: String,
    pub deadline: String,
    pub done_at: String,
    pub status_key: &'static str,
}

#[derive(Template)]
#[template(path = "stats/dossiers.html")]
struct BehindPage {
    c: Chrome,
    scope_name: String,
    period_label: String,
    measure_key: String,
    back: String,
    rows: Vec<BehindRow>,
    next: Option<String>,
}

/// `GET /statistics/dossiers?scope=&period=&measure=&procedure=&after=`:
/// the dossiers behind a figure of the progress report, for the operator
/// and the agencies' own people (anyone else: 403; anonymous: login).
async fn dossiers_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<BehindQuery>,
) -> Response {
    if let Err(r) = ctx.user() {
        return r;
    }
    if let Err(r) = crate::ctx::terms_gate(&ctx) {
        return r;
    }
    let Some(access) = tri!(access(&state, &ctx).await) else {
        return AppError::Forbidden.into_response();
    };
    let sq = StatsQuery {
        scope: q.scope.clone(),
        period: q.period.clone(),
        by: String::new(),
    };
    let (scope, period, _) = tri!(filters(&state, &sq));
    let after = if q.after.is_empty() {
        None
    } else {
        let parsed = q
            .after
            .split_once('.')
            .and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.parse::<i64>().ok()?)));
        Some(tri!(parsed.ok_or(AppError::BadRequest("error.bad_input"))))
    };
    let procedure: String = q.procedure.trim().chars().take(40).collect();
    if procedure.chars().any(char::is_control) {
        return AppError::BadRequest("error.bad_input").into_response();
    }
    let b = tri!(
        motcua_stats::behind::behind(
            &state,
            &access,
            &scope,
            period,
            &q.measure,
            &procedure,
            after,
            state.now()
        )
        .await
    );
    let c = Chrome::new(&state, &ctx);
    let all = access.clone();
    let name_of = |code: &str| {
        b.agency_names
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    };
    let rows = b
        .rows
        .iter()
        .map(|r| BehindRow {
            code: r.code.clone(),
            link: match &all {
                motcua_stats::behind::Access::Agencies(_) => {
                    Some(format!("/agency/dossiers/{}", r.code))
                }
                motcua_stats::behind::Access::All => None,
            },
            procedure: r.procedure_name.clone(),
            agency: name_of(&r.agency_code),
            received_at: r
                .received_at
                .map(motcua_domain::clock::format_vn)
                .unwrap_or_default(),
            deadline: r
                .deadline_at
                .map(motcua_domain::clock::format_vn)
                .unwrap_or_default(),
            done_at: r
                .done_at
                .map(motcua_domain::clock::format_vn)
                .unwrap_or_default(),
            status_key: motcua_dossiers::status_key(r.status),
        })
        .collect();
    let vi = c.lang() == "vi";
    let base = behind_link(&scope, &period.code(), &q.measure, &procedure);
    render(&BehindPage {
        scope_name: b
            .scope
            .as_ref()
            .map_or_else(|| c.t("stats.scope_all").to_string(), |a| a.name.clone()),
        period_label: period.label(vi),
        measure_key: format!("stats.measure_{}", q.measure),
        back: format!("/statistics{}", link(&scope, &period.code(), By::Agency)),
        rows,
        next: b.next.map(|(t, id)| format!("{base}&after={t}.{id}")),
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
#[utoipa::path(get, path = "/api/v1/statistics/progress", tag = "statistics",
    params(("scope" = Option<String>, Query, description = "An agency code (default: nationwide)"),
           ("period" = Option<String>, Query, description = "2026, 2026-Q4, 2026-11 (default: this year)"),
           ("by" = Option<String>, Query, description = "agency (default) or procedure")),
    responses((status = 200, description = "The progress report (docs/STATISTICS.md)", body = super::openapi::Report), (status = "default", description = "An RFC 9457 problem", body = super::openapi::Problem, content_type = "application/problem+json")))]
async fn api_progress(State(state): State<AppState>, Query(q): Query<StatsQuery>) -> Response {
    let p = tri!(load(&state, &q).await);
    (
        [(header::CONTENT_TYPE, "application/json")],
        export::json(&p).to_string(),
    )
        .into_response()
}

// ------------------------------------------------------------- the index

fn points(c: &Chrome, x: Option<f64>) -> String {
    match x {
        None => "—".into(),
        Some(v) => {
            let s = format!("{v:.2}");
            if c.lang() == "vi" {
                s.replace('.', ",")
            } else {
                s
            }
        }
    }
}

pub struct IndexRowView {
    pub code: String,
    pub name: String,
    pub groups: Vec<String>,
    pub total: String,
}

#[derive(Template)]
#[template(path = "stats/index.html")]
struct IndexPage {
    c: Chrome,
    scope_name: String,
    scope: String,
    period: String,
    period_label: String,
    periods: Vec<Choice>,
    scopes: Vec<Choice>,
    version: i64,
    groups: Vec<(String, String)>,
    rows: Vec<IndexRowView>,
}

/// The scopes offered: nationwide, every ministry and province, and the
/// one shown when it is another.
async fn scope_choices(
    state: &AppState,
    c: &Chrome,
    shown: Option<&motcua_catalog::queries::Agency>,
) -> Result<Vec<Choice>, AppError> {
    let roots = motcua_catalog::queries::agencies(state, None, "").await?;
    let code = shown.map(|a| a.code.as_str()).unwrap_or_default();
    let mut scopes = vec![Choice {
        value: String::new(),
        label: c.t("stats.scope_all").to_string(),
        selected: code.is_empty(),
    }];
    for a in &roots {
        scopes.push(Choice {
            value: a.code.clone(),
            label: a.name.clone(),
            selected: a.code == code,
        });
    }
    if let Some(a) = shown.filter(|a| !roots.iter().any(|r| r.code == a.code)) {
        scopes.push(Choice {
            value: a.code.clone(),
            label: a.name.clone(),
            selected: true,
        });
    }
    Ok(scopes)
}

/// The periods offered (this year's and last year's that have begun).
fn period_choices(now: i64, selected: Period, vi: bool) -> Vec<Choice> {
    let this_year = Period::holding(Kind::Year, now).year;
    let mut out = Vec::new();
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
            out.push(Choice {
                value: x.code(),
                label: x.label(vi),
                selected: x == selected,
            });
        }
    }
    if !out.iter().any(|x| x.selected) {
        out.insert(
            0,
            Choice {
                value: selected.code(),
                label: selected.label(vi),
                selected: true,
            },
        );
    }
    out
}

async fn load_index(
    state: &AppState,
    q: &StatsQuery,
    english: bool,
) -> Result<(Period, motcua_stats::index::Index), AppError> {
    let (scope, period, _) = filters(state, q)?;
    let i = motcua_stats::index::index(state, &scope, period, english, state.now()).await?;
    Ok((period, i))
}

/// `GET /statistics/index?scope=&period=`: the six groups per ministry
/// and province (or per agency under one).
async fn index_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<StatsQuery>,
) -> Response {
    let c = Chrome::new(&state, &ctx);
    let vi = c.lang() == "vi";
    let (period, idx) = tri!(load_index(&state, &q, !vi).await);
    let scope = idx.scope.clone().unwrap_or_default();
    let scope_agency = if scope.is_empty() {
        None
    } else {
        tri!(motcua_catalog::queries::agency(&state, &scope).await)
    };
    let scopes = tri!(scope_choices(&state, &c, scope_agency.as_ref()).await);
    let scope_name = scope_agency.map_or_else(|| c.t("stats.scope_all").to_string(), |a| a.name);
    let groups = idx
        .rows
        .first()
        .map(|r| {
            r.scored
                .groups
                .iter()
                .map(|g| (g.key.clone(), format!("{} ({})", g.name, g.points)))
                .collect()
        })
        .unwrap_or_else(|| {
            let f = motcua_stats::index::parse(motcua_stats::index::DEFAULT).ok();
            f.map(|f| {
                f.groups
                    .iter()
                    .map(|g| {
                        let name = if vi || g.name_en.is_empty() {
                            &g.name
                        } else {
                            &g.name_en
                        };
                        (g.key.clone(), format!("{name} ({})", g.points))
                    })
                    .collect()
            })
            .unwrap_or_default()
        });
    let rows = idx
        .rows
        .iter()
        .map(|r| IndexRowView {
            code: r.code.clone(),
            name: r.name.clone(),
            groups: r
                .scored
                .groups
                .iter()
                .map(|g| points(&c, g.score))
                .collect(),
            total: points(&c, r.scored.total),
        })
        .collect();
    render(&IndexPage {
        periods: period_choices(state.now(), period, vi),
        period_label: period.label(vi),
        period: period.code(),
        scope_name,
        scope,
        scopes,
        version: idx.version,
        groups,
        rows,
        c,
    })
}

pub struct CriterionView {
    pub name: String,
    pub points: String,
    pub numerator: String,
    pub denominator: String,
    pub score: String,
}

pub struct GroupView {
    pub key: String,
    pub name: String,
    pub points: String,
    pub score: String,
    pub criteria: Vec<CriterionView>,
}

#[derive(Template)]
#[template(path = "stats/index_detail.html")]
struct IndexDetailPage {
    c: Chrome,
    code: String,
    name: String,
    period: String,
    period_label: String,
    version: i64,
    groups: Vec<GroupView>,
    total: String,
}

/// `GET /statistics/index/{code}?period=`: a row's criteria with the
/// figures behind each, linked to the progress report that counts them.
async fn index_detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Response {
    let c = Chrome::new(&state, &ctx);
    let vi = c.lang() == "vi";
    let agency = tri!(motcua_catalog::queries::agency(&state, &code).await);
    let Some(agency) = agency else {
        return AppError::NotFound.into_response();
    };
    // The row sits in its parent's index (or the nationwide one).
    let q2 = StatsQuery {
        scope: agency.parent_code.clone().unwrap_or_default(),
        period: q.period.clone(),
        by: String::new(),
    };
    let (period, idx) = tri!(load_index(&state, &q2, !vi).await);
    let row = idx.rows.iter().find(|r| r.code == code);
    let groups = row
        .map(|r| {
            r.scored
                .groups
                .iter()
                .map(|g| GroupView {
                    key: g.key.clone(),
                    name: g.name.clone(),
                    points: points(&c, Some(g.points)),
                    score: points(&c, g.score),
                    criteria: g
                        .criteria
                        .iter()
                        .map(|k| CriterionView {
                            name: k.name.clone(),
                            points: points(&c, Some(k.points)),
                            numerator: k.numerator.to_string(),
                            denominator: k.denominator.to_string(),
                            score: match k.score {
                                Some(_) => points(&c, k.score),
                                None => c.t("stats.index_na").to_string(),
                            },
                        })
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    render(&IndexDetailPage {
        code: code.clone(),
        name: agency.name,
        period: period.code(),
        period_label: period.label(vi),
        version: idx.version,
        total: points(&c, row.and_then(|r| r.scored.total)),
        groups,
        c,
    })
}

/// `GET /api/v1/statistics/index?scope=&period=`: the index as open
/// data, with the figures behind each row.
#[utoipa::path(get, path = "/api/v1/statistics/index", tag = "statistics",
    params(("scope" = Option<String>, Query, description = "An agency code (default: nationwide)"),
           ("period" = Option<String>, Query, description = "2026, 2026-Q4, 2026-11 (default: this year)"),
           ("by" = Option<String>, Query, description = "agency (default) or procedure")),
    responses((status = 200, description = "The service index (docs/STATISTICS.md)", body = super::openapi::Report), (status = "default", description = "An RFC 9457 problem", body = super::openapi::Problem, content_type = "application/problem+json")))]
async fn api_index(State(state): State<AppState>, Query(q): Query<StatsQuery>) -> Response {
    let (_, idx) = tri!(load_index(&state, &q, false).await);
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&idx).unwrap_or_default(),
    )
        .into_response()
}

pub struct VersionView {
    pub version: i64,
    pub note: String,
    pub by: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "stats/formulas.html")]
struct FormulasPage {
    c: Chrome,
    body: String,
    note: String,
    error: Option<&'static str>,
    history: Vec<VersionView>,
    measures: Vec<&'static str>,
}

async fn formulas_page(
    state: &AppState,
    ctx: &Ctx,
    body: Option<String>,
    note: String,
    error: Option<&'static str>,
) -> Response {
    let (history, current) = tri!(motcua_stats::index::history(state).await);
    let mut r = render(&FormulasPage {
        c: Chrome::new(state, ctx),
        body: body.unwrap_or(current),
        note,
        error,
        history: history
            .into_iter()
            .map(|v| VersionView {
                version: v.version,
                note: v.note,
                by: v.created_by,
                at: motcua_domain::clock::format_vn(v.created_at),
            })
            .collect(),
        measures: motcua_stats::index::MEASURES.to_vec(),
    });
    if error.is_some() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// `GET /console/statistics/index`: the formulas in force and their
/// versions.
async fn console_formulas(
    State(state): State<AppState>,
    super::Operator(ctx): super::Operator,
) -> Response {
    formulas_page(&state, &ctx, None, String::new(), None).await
}

#[derive(Deserialize)]
pub struct FormulasForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/statistics/index`: a new version, checked first; the
/// text comes back as typed with the problem.
async fn publish_formulas(
    State(state): State<AppState>,
    super::Operator(ctx): super::Operator,
    Form(f): Form<FormulasForm>,
) -> Response {
    let origin = super::auth::origin(&ctx);
    match motcua_stats::index::publish(&state, &origin, &f.body, &f.note, state.now()).await {
        Ok(_) => axum::response::Redirect::to("/console/statistics/index").into_response(),
        Err(motcua_kernel::ServiceError::Invalid { key, .. }) => {
            formulas_page(&state, &ctx, Some(f.body), f.note, Some(key)).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

// ------------------------------------------------- the online-service table

#[derive(Template)]
#[template(path = "stats/online.html")]
struct OnlinePage {
    c: Chrome,
    scope_name: String,
    scopes: Vec<Choice>,
    rows: Vec<motcua_stats::online::Row>,
    total: motcua_stats::online::Row,
}

/// `GET /statistics/online?scope=`: procedures per agency by online level.
async fn online_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<StatsQuery>,
) -> Response {
    let c = Chrome::new(&state, &ctx);
    let (scope, _, _) = tri!(filters(&state, &q));
    let (rows, total) = tri!(motcua_stats::online::table(&state, &scope).await);
    let scope_agency = if scope.is_empty() {
        None
    } else {
        tri!(motcua_catalog::queries::agency(&state, &scope).await)
    };
    let scopes = tri!(scope_choices(&state, &c, scope_agency.as_ref()).await);
    render(&OnlinePage {
        scope_name: scope_agency.map_or_else(|| c.t("stats.scope_all").to_string(), |a| a.name),
        scopes,
        rows,
        total,
        c,
    })
}
