//! The procedure catalog's public pages and open-data API (R-PS-1,
//! R-PS-2): browse and search (any accents, any order of words, ranked),
//! a procedure's page, agencies; `GET /api/v1/procedures`,
//! `/api/v1/procedures/{code}` and `/api/v1/agencies` (JSON, no login).
use super::auth::origin;
use super::{render, Chrome, Operator};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use motcua_catalog::queries::{self, Entry, Filters, PER_PAGE};
use motcua_catalog::record::{Procedure, Time};
use motcua_catalog::store::agencies::Agency;
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/procedures", get(index))
        .route("/procedures/{code}", get(procedure))
        .route("/agencies", get(agencies))
        .route("/agencies/{code}", get(agency))
        .route("/api/v1/procedures", get(api_search))
        .route("/api/v1/procedures/{code}", get(api_procedure))
        .route("/api/v1/agencies", get(api_agencies))
        .route("/api/v1/communes", get(api_communes))
        .route("/console/catalog", get(console_index))
        .route("/console/catalog/import", post(console_import))
        .route("/console/catalog/export", get(console_export))
        .route("/console/catalog/go", get(console_go))
        .route("/console/catalog/{code}", get(console_procedure))
        .route("/console/catalog/{code}/draft", post(console_draft))
        .route("/console/catalog/{code}/{version}", get(console_preview))
        .route(
            "/console/catalog/{code}/{version}/publish",
            post(console_publish),
        )
}

/// The query of a catalog search, as typed; every filter optional.
#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    life_event: String,
    #[serde(default)]
    applicant: String,
    #[serde(default)]
    online_level: String,
    /// From 1.
    page: Option<i64>,
}

impl SearchQuery {
    fn filters(&self) -> Filters {
        let some = |s: &String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Filters {
            field: some(&self.field),
            agency: some(&self.agency),
            level: some(&self.level),
            life_event: some(&self.life_event),
            applicant: some(&self.applicant),
            online_level: some(&self.online_level),
        }
    }

    /// The query string without the page (for the pager's links).
    fn base(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("field", &self.field),
            ("agency", &self.agency),
            ("level", &self.level),
            ("life_event", &self.life_event),
            ("applicant", &self.applicant),
            ("online_level", &self.online_level),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", crate::ctx::urlencode(v)));
            }
        }
        parts.join("&")
    }
}

/// "5 ngày làm việc" / "5 working days".
fn time_words(c: &Chrome, t: &Time) -> String {
    let n = if t.amount.fract() == 0.0 {
        format!("{}", t.amount as i64)
    } else {
        format!("{}", t.amount).replace('.', if c.lang() == "vi" { "," } else { "." })
    };
    format!("{n} {}", c.t(&format!("catalog.unit_{}", t.unit)))
}

/// "Miễn phí" or "50.000 đồng".
fn fee_words(c: &Chrome, t: &Time) -> String {
    let total: i64 = t.fees.iter().map(|f| f.amount).sum();
    if total == 0 {
        c.t("catalog.free").to_string()
    } else {
        format!(
            "{} {}",
            crate::plain::thousands(total, c.locale()),
            c.t("catalog.dong")
        )
    }
}

/// The words of coded values (`prefix` + value is the message key),
/// joined: "Cấp tỉnh, Cấp xã".
fn labels(c: &Chrome, prefix: &str, values: &[String]) -> String {
    values
        .iter()
        .map(|v| c.t(&format!("{prefix}{v}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One result of a search, as the list shows it.
pub struct Hit {
    pub code: String,
    pub name: String,
    pub fields: String,
    pub levels: String,
    pub online_key: String,
    pub online: bool,
    pub time: String,
    pub fee: String,
}

fn hit(c: &Chrome, e: &Entry) -> Hit {
    let p = &e.record;
    let time = p
        .online_time()
        .or_else(|| p.channels.first().and_then(|ch| ch.times.first()));
    Hit {
        code: p.code.clone(),
        name: p.name.clone(),
        fields: p
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        levels: labels(c, "catalog.level_", &p.levels),
        online_key: format!("catalog.online_{}", p.online_level),
        online: p.online_level != "none",
        time: time.map(|t| time_words(c, t)).unwrap_or_default(),
        fee: time.map(|t| fee_words(c, t)).unwrap_or_default(),
    }
}

/// A choice of a filter: value, label, how many procedures have it, chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub count: i64,
    pub chosen: bool,
}

#[derive(Template)]
#[template(path = "catalog/index.html")]
struct IndexPage {
    c: Chrome,
    q: String,
    total: i64,
    hits: Vec<Hit>,
    fields: Vec<Choice>,
    levels: Vec<Choice>,
    online: Vec<Choice>,
    life_events: Vec<Choice>,
    pager: String,
}

async fn choices(
    state: &AppState,
    facet: &str,
    chosen: &str,
    label: impl Fn(&str) -> String,
) -> Result<Vec<Choice>, motcua_kernel::ServiceError> {
    Ok(queries::facet_counts(state, facet)
        .await?
        .into_iter()
        .map(|(value, count)| Choice {
            label: label(&value),
            chosen: value == chosen,
            value,
            count,
        })
        .collect())
}

/// `/procedures`: browse and search the published procedures.
pub async fn index(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> Response {
    let c = Chrome::new(&state, &ctx);
    let page = q.page.unwrap_or(1).clamp(1, 500);
    let (found, total) = tri!(queries::search(&state, &q.q, &q.filters(), page).await);
    let hits = found.iter().map(|e| hit(&c, e)).collect();
    // Field names from the catalog's field table (every stored record's
    // fields are in it); levels and online levels from the message
    // catalog; life events from their table.
    let all_fields = tri!(queries::field_names(&state).await);
    let fields = tri!(
        choices(&state, "field", &q.field, |v| all_fields
            .get(v)
            .cloned()
            .unwrap_or_else(|| v.to_string()))
        .await
    );
    let levels = tri!(
        choices(&state, "level", &q.level, |v| c
            .t(&format!("catalog.level_{v}"))
            .to_string())
        .await
    );
    let online = tri!(
        choices(&state, "online_level", &q.online_level, |v| c
            .t(&format!("catalog.online_{v}"))
            .to_string())
        .await
    );
    let events = tri!(queries::life_events(&state).await);
    let en = c.lang() == "en";
    let life_events = tri!(
        choices(&state, "life_event", &q.life_event, |v| events
            .iter()
            .find(|e| e.code == v)
            .map(|e| if en && !e.name_en.is_empty() {
                e.name_en.clone()
            } else {
                e.name.clone()
            })
            .unwrap_or_else(|| v.to_string()))
        .await
    );
    let base = q.base();
    let link = |p: i64| {
        if base.is_empty() {
            format!("/procedures?page={p}")
        } else {
            format!("/procedures?{base}&page={p}")
        }
    };
    // Pages past 500 are not served (the query is too broad to page).
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).min(500);
    let mut pager = String::new();
    if pages > 1 {
        pager.push_str(&format!(
            "<nav class=\"pager\" aria-label=\"{}\"><ul>",
            c.t("pager.label")
        ));
        if page > 1 {
            pager.push_str(&format!(
                "<li><a href=\"{}\" rel=\"prev\">{}</a></li>",
                link(page - 1),
                c.t("pager.prev")
            ));
        }
        pager.push_str(&format!(
            "<li>{}</li>",
            c.t("catalog.page_of")
                .replace("{n}", &page.to_string())
                .replace("{m}", &pages.to_string())
        ));
        if page < pages {
            pager.push_str(&format!(
                "<li><a href=\"{}\" rel=\"next\">{}</a></li>",
                link(page + 1),
                c.t("pager.next")
            ));
        }
        pager.push_str("</ul></nav>");
    }
    render(&IndexPage {
        q: q.q.clone(),
        total,
        hits,
        fields,
        levels,
        online,
        life_events,
        pager,
        c,
    })
}

pub struct ChannelView {
    pub name_key: String,
    pub time: String,
    pub fee: String,
    pub fee_notes: String,
}

#[derive(Template)]
#[template(path = "catalog/procedure.html")]
struct ProcedurePage {
    c: Chrome,
    /// Operators' preview of a version: the banner saying which.
    preview: Option<String>,
    p: Procedure,
    version: i64,
    levels: String,
    applicants: String,
    online_key: String,
    online: bool,
    channels: Vec<ChannelView>,
    /// The agencies named, with whether each has a page here.
    agencies: Vec<(String, String, bool)>,
    /// Offered online with a published e-form (never on a preview).
    can_start: bool,
    /// Answered feedback about the procedure (code, title), newest first.
    feedback: Vec<(String, String)>,
}

/// `/procedures/{code}`: everything a person needs before starting.
pub async fn procedure(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Response {
    let Some(e) = tri!(queries::procedure(&state, &code).await) else {
        return AppError::NotFound.into_response();
    };
    procedure_page(&state, Chrome::new(&state, &ctx), e, None).await
}

/// A version's page: the public one, or an operator's preview.
async fn procedure_page(
    state: &AppState,
    c: Chrome,
    e: Entry,
    preview: Option<String>,
) -> Response {
    let p = e.record;
    let channels = p
        .channels
        .iter()
        .flat_map(|ch| {
            ch.times.iter().map(|t| ChannelView {
                name_key: format!("catalog.channel_{}", ch.channel),
                time: time_words(&c, t),
                fee: fee_words(&c, t),
                fee_notes: t
                    .fees
                    .iter()
                    .map(|f| f.description.as_str())
                    .filter(|d| !d.is_empty())
                    .collect::<Vec<_>>()
                    .join("; "),
            })
        })
        .collect();
    let mut agencies = Vec::new();
    for a in p.implementing.iter().chain(&p.competent) {
        let known = tri!(queries::agency(state, &a.code).await).is_some();
        agencies.push((a.code.clone(), a.name.clone(), known));
    }
    let can_start = preview.is_none()
        && p.online_level != "none"
        && p.online_time().is_some()
        && tri!(motcua_dossiers::drafts::current_form(state, &p.code).await).is_some();
    let feedback = tri!(motcua_feedback::queries::search(state, "", Some(&p.code), 1).await)
        .0
        .into_iter()
        .take(5)
        .map(|i| (i.code, i.title))
        .collect();
    render(&ProcedurePage {
        feedback,
        can_start,
        preview,
        version: e.version,
        levels: labels(&c, "catalog.level_", &p.levels),
        applicants: labels(&c, "catalog.applicant_", &p.applicants),
        online_key: format!("catalog.online_{}", p.online_level),
        online: p.online_level != "none",
        channels,
        agencies,
        p,
        c,
    })
}

#[derive(Deserialize, Default)]
pub struct AgencyQuery {
    #[serde(default)]
    q: String,
    parent: Option<String>,
}

#[derive(Template)]
#[template(path = "catalog/agencies.html")]
struct AgenciesPage {
    c: Chrome,
    q: String,
    parent: Option<Agency>,
    agencies: Vec<Agency>,
}

/// `/agencies`: the tree, a level at a time, or a search over it.
pub async fn agencies(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AgencyQuery>,
) -> Response {
    let parent = match q.parent.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(code) => match tri!(queries::agency(&state, code).await) {
            Some(a) => Some(a),
            None => return AppError::NotFound.into_response(),
        },
    };
    let list =
        tri!(queries::agencies(&state, parent.as_ref().map(|a| a.code.as_str()), &q.q).await);
    render(&AgenciesPage {
        c: Chrome::new(&state, &ctx),
        q: q.q,
        parent,
        agencies: list,
    })
}

#[derive(Template)]
#[template(path = "catalog/agency.html")]
struct AgencyPage {
    c: Chrome,
    level_key: String,
    a: Agency,
    children: Vec<Agency>,
    hits: Vec<Hit>,
    total: i64,
    /// The directory: the officials the agency publishes.
    officials: Vec<motcua_catalog::queries::Official>,
    /// Its one-stop unit's name, if it has one.
    one_stop: Option<String>,
}

/// `/agencies/{code}`: an agency, the agencies under it and the
/// procedures it carries out.
pub async fn agency(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> Response {
    let Some(a) = tri!(queries::agency(&state, &code).await) else {
        return AppError::NotFound.into_response();
    };
    let c = Chrome::new(&state, &ctx);
    let children = tri!(queries::agencies(&state, Some(&a.code), "").await);
    let filters = Filters {
        agency: Some(a.code.clone()),
        ..Default::default()
    };
    let (found, total) = tri!(queries::search(&state, "", &filters, 1).await);
    let hits = found.iter().map(|e| hit(&c, e)).collect();
    let officials = tri!(queries::officials(&state, &a.code).await);
    let one_stop = tri!(motcua_handling::people::units(&state, &a.code).await)
        .into_iter()
        .find(|u| u.kind == "one_stop")
        .map(|u| u.name);
    render(&AgencyPage {
        officials,
        one_stop,
        level_key: format!("catalog.level_{}", a.level),
        a,
        children,
        hits,
        total,
        c,
    })
}

// ------------------------------------------------------------------ API

fn json_ok(v: serde_json::Value) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        v.to_string(),
    )
        .into_response()
}

/// `GET /api/v1/procedures`: a page of the published procedures matching
/// `q` and the filters, best first.
#[utoipa::path(get, path = "/api/v1/procedures", tag = "catalog",
    params(("q" = Option<String>, Query, description = "Words to find (Vietnamese, with or without marks)"),
           ("field" = Option<String>, Query, description = "A field code"),
           ("agency" = Option<String>, Query, description = "An agency code"),
           ("level" = Option<String>, Query, description = "central, province or commune"),
           ("life_event" = Option<String>, Query, description = "A life event code"),
           ("applicant" = Option<String>, Query, description = "citizen, business or organisation"),
           ("online_level" = Option<String>, Query, description = "full or partial"),
           ("page" = Option<i64>, Query, description = "From 1")),
    responses((status = 200, description = "A page of published procedures, best first", body = super::openapi::ProcedurePage), (status = "default", description = "An RFC 9457 problem", body = super::openapi::Problem, content_type = "application/problem+json")))]
pub async fn api_search(State(state): State<AppState>, Query(q): Query<SearchQuery>) -> Response {
    let page = q.page.unwrap_or(1).clamp(1, 500);
    let (found, total) = match queries::search(&state, &q.q, &q.filters(), page).await {
        Ok(r) => r,
        Err(e) => return AppError::from(e).into_response(),
    };
    let items: Vec<serde_json::Value> = found
        .iter()
        .map(|e| {
            let p = &e.record;
            json!({
                "code": p.code,
                "name": p.name,
                "version": e.version,
                "levels": p.levels,
                "fields": p.fields,
                "online_level": p.online_level,
                "assurance_level": p.assurance,
                "url": format!("/api/v1/procedures/{}", p.code),
            })
        })
        .collect();
    json_ok(json!({ "total": total, "page": page, "per_page": PER_PAGE, "items": items }))
}

/// `GET /api/v1/procedures/{code}`: the published record in the national
/// format, with its version.
#[utoipa::path(get, path = "/api/v1/procedures/{code}", tag = "catalog",
    params(("code" = String, Path, description = "The procedure code (MaTTHC)")),
    responses((status = 200, description = "The published record with its version", body = super::openapi::PublishedRecord), (status = "default", description = "An RFC 9457 problem", body = super::openapi::Problem, content_type = "application/problem+json")))]
pub async fn api_procedure(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    match queries::procedure(&state, &code).await {
        Ok(Some(e)) => json_ok(json!({
            "version": e.version,
            "published_at": e.published_at,
            "record": e.record,
        })),
        Ok(None) => AppError::NotFound.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// `GET /api/v1/agencies?parent=&q=`: agencies under `parent` (the top
/// level without), or matching `q` anywhere in the tree.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "catalog",
    params(("parent" = Option<String>, Query, description = "The agencies under this one (default: the top level)"),
           ("q" = Option<String>, Query, description = "Words of the name, anywhere in the tree")),
    responses((status = 200, description = "Agencies", body = super::openapi::AgencyList), (status = "default", description = "An RFC 9457 problem", body = super::openapi::Problem, content_type = "application/problem+json")))]
pub async fn api_agencies(State(state): State<AppState>, Query(q): Query<AgencyQuery>) -> Response {
    let parent = q.parent.as_deref().filter(|p| !p.is_empty());
    match queries::agencies(&state, parent, &q.q).await {
        Ok(list) => json_ok(json!({ "items": list })),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct CommuneQuery {
    #[serde(default)]
    province: String,
}

/// `GET /api/v1/communes?province=`: the communes and wards of a province
/// after the 2025 rearrangement (what the forms' address lists offer);
/// an unknown province is 404.
#[utoipa::path(get, path = "/api/v1/communes", tag = "catalog",
    params(("province" = Option<String>, Query, description = "The province's name")),
    responses((status = 200, description = "Its communes and wards (after the 2025 rearrangement)", body = super::openapi::CommuneList), (status = "default", description = "An RFC 9457 problem", body = super::openapi::Problem, content_type = "application/problem+json")))]
pub async fn api_communes(Query(q): Query<CommuneQuery>) -> Response {
    let list = motcua_forms::seed::communes(q.province.trim());
    if list.is_empty() {
        return AppError::NotFound.into_response();
    }
    json_ok(json!({ "province": q.province.trim(), "items": list }))
}

// -------------------------------------------------------------- console

#[derive(Template)]
#[template(path = "catalog/console.html")]
struct ConsolePage {
    c: Chrome,
    /// (code, name, version, made by, made at)
    drafts: Vec<(String, String, i64, String, String)>,
    import_text: String,
    notice: Option<String>,
    problems: Vec<String>,
}

async fn console_page(
    state: &AppState,
    ctx: &Ctx,
    import_text: String,
    notice: Option<String>,
    problems: Vec<String>,
) -> Response {
    let c = Chrome::new(state, ctx);
    let drafts = tri!(queries::drafts(state).await)
        .into_iter()
        .map(|(by, at, e)| {
            (
                e.record.code,
                e.record.name,
                e.version,
                by,
                motcua_domain::clock::format_vn(at),
            )
        })
        .collect();
    render(&ConsolePage {
        c,
        drafts,
        import_text,
        notice,
        problems,
    })
}

/// `/console/catalog`: drafts awaiting publication, import, export.
pub async fn console_index(State(state): State<AppState>, Operator(ctx): Operator) -> Response {
    console_page(&state, &ctx, String::new(), None, Vec::new()).await
}

/// Each problem of an import in the operator's language: which record,
/// which field, what is wrong.
fn problem_lines(c: &Chrome, problems: &[motcua_catalog::service::RecordProblem]) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            let mut line = c
                .t("catalog.record_n")
                .replace("{n}", &(p.index + 1).to_string());
            if !p.code.is_empty() {
                line.push_str(&format!(" ({})", p.code));
            }
            if !p.path.is_empty() {
                line.push_str(&format!(", {}", p.path));
            }
            line.push_str(&format!(": {}", c.t(p.key)));
            if !p.detail.is_empty() {
                line.push_str(&format!(" [{}]", p.detail));
            }
            line
        })
        .collect()
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    file_text: String,
    #[serde(default)]
    draft: String,
}

pub async fn console_import(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Form(f): Form<ImportForm>,
) -> Response {
    use motcua_catalog::service::ImportOutcome;
    let c = Chrome::new(&state, &ctx);
    let publish = f.draft.is_empty();
    let r = motcua_catalog::service::import(&state, &origin(&ctx), &f.file_text, publish).await;
    match tri!(r) {
        ImportOutcome::Imported { created, unchanged } => {
            let notice = c
                .t("catalog.imported")
                .replace("{created}", &created.to_string())
                .replace("{unchanged}", &unchanged.to_string());
            console_page(&state, &ctx, String::new(), Some(notice), Vec::new()).await
        }
        ImportOutcome::Refused(problems) => {
            let lines = problem_lines(&c, &problems);
            let mut r = console_page(&state, &ctx, f.file_text, None, lines).await;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

pub async fn console_export(State(state): State<AppState>, _: Operator) -> Response {
    let text = tri!(motcua_catalog::service::export(&state).await);
    (
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"motcua-catalog.json\"",
            ),
        ],
        text,
    )
        .into_response()
}

pub struct VersionRow {
    pub version: i64,
    pub status_key: String,
    pub draft: bool,
    pub created: String,
    pub created_by: String,
    pub published: String,
}

#[derive(Template)]
#[template(path = "catalog/console_procedure.html")]
struct ConsoleProcedurePage {
    c: Chrome,
    code: String,
    name: String,
    versions: Vec<VersionRow>,
    edit_text: String,
    problems: Vec<String>,
}

async fn console_procedure_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    flash: Option<&str>,
    edit_text: Option<String>,
    problems: Vec<String>,
) -> Response {
    let history = tri!(queries::history(state, code).await);
    let Some(latest) = history.first() else {
        return AppError::NotFound.into_response();
    };
    let value = serde_json::from_str::<serde_json::Value>(&latest.record).ok();
    let pretty = value
        .as_ref()
        .and_then(|v| serde_json::to_string_pretty(v).ok())
        .unwrap_or_else(|| latest.record.clone());
    let name = value
        .as_ref()
        .and_then(|v| v["TENTTHC"].as_str().map(str::to_string))
        .unwrap_or_default();
    let versions = history
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
    render(&ConsoleProcedurePage {
        c: Chrome::new(state, ctx).with_flash(flash),
        code: code.to_string(),
        name,
        versions,
        edit_text: edit_text.unwrap_or(pretty),
        problems,
    })
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `/console/catalog/{code}`: the versions of a procedure, the editor.
pub async fn console_procedure(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    console_procedure_page(&state, &ctx, &code, q.done.as_deref(), None, Vec::new()).await
}

#[derive(Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    record: String,
}

/// The editor's page again with `lines` as its errors and `status`.
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    record: Option<String>,
    lines: Vec<String>,
    status: StatusCode,
) -> Response {
    let mut r = console_procedure_page(state, ctx, code, None, record, lines).await;
    *r.status_mut() = status;
    r
}

pub async fn console_draft(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(code): Path<String>,
    Form(f): Form<DraftForm>,
) -> Response {
    if tri!(queries::history(&state, &code).await).is_empty() {
        return AppError::NotFound.into_response();
    }
    let c = Chrome::new(&state, &ctx);
    match motcua_catalog::service::save_draft(&state, &origin(&ctx), &code, &f.record).await {
        Ok(Ok(_)) => axum::response::Redirect::to(&format!(
            "/console/catalog/{}?done=catalog_saved",
            crate::ctx::urlencode(&code)
        ))
        .into_response(),
        Ok(Err(problems)) => {
            let lines = problem_lines(&c, &problems);
            refused(
                &state,
                &ctx,
                &code,
                Some(f.record),
                lines,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(motcua_kernel::ServiceError::Invalid { key, .. }) => {
            let lines = vec![c.t(key).to_string()];
            refused(
                &state,
                &ctx,
                &code,
                Some(f.record),
                lines,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

/// `/console/catalog/{code}/{version}`: a version as the public would see
/// it, drafts included (operators only).
pub async fn console_preview(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path((code, version)): Path<(String, i64)>,
) -> Response {
    let Some(e) = tri!(queries::version(&state, &code, version).await) else {
        return AppError::NotFound.into_response();
    };
    let c = Chrome::new(&state, &ctx);
    let banner = c
        .t("catalog.preview_banner")
        .replace("{n}", &e.version.to_string())
        .replace("{status}", c.t(&format!("catalog.status_{}", e.status)));
    procedure_page(&state, c, e, Some(banner)).await
}

pub async fn console_publish(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path((code, version)): Path<(String, i64)>,
) -> Response {
    match motcua_catalog::service::publish(&state, &origin(&ctx), &code, version).await {
        Ok(()) => axum::response::Redirect::to(&format!(
            "/console/catalog/{}?done=catalog_published",
            crate::ctx::urlencode(&code)
        ))
        .into_response(),
        Err(motcua_kernel::ServiceError::Conflict(key)) => {
            let c = Chrome::new(&state, &ctx);
            let lines = vec![c.t(key).to_string()];
            refused(&state, &ctx, &code, None, lines, StatusCode::CONFLICT).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize, Default)]
pub struct GoQuery {
    #[serde(default)]
    code: String,
}

/// The "open by code" form: to the procedure's console page.
pub async fn console_go(_: Operator, Query(q): Query<GoQuery>) -> Response {
    axum::response::Redirect::to(&format!(
        "/console/catalog/{}",
        crate::ctx::urlencode(q.code.trim())
    ))
    .into_response()
}
