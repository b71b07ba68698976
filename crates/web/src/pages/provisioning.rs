//! Pages: Civil-servant provisioning by ministries (R-ID-6…8).
//!
//! - Console (operators): `/console/ministries` (ministries, work units,
//!   function catalogs, managers, legal bases) and `/console/provisioning`
//!   (the queue by deadline, per-person decisions, the notice).
//! - Ministry managers: `/ministry/requests` (their ministry's requests
//!   only), a form or a CSV/XLSX upload to submit one, the notice.
use super::auth::{origin, ready_user};
use super::{render, Chrome, Operator};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use motcua_domain::clock::format_vn;
use motcua_domain::{
    AccountId, FunctionId, MinistryId, PersonId, ProvisioningRequestId, ProvisioningStatus, Role,
    WorkUnitId,
};
use motcua_identity::service::ServiceError;
use motcua_identity::Account;
use motcua_mail::Locale;
use motcua_nsw::provisioning::{
    self as prov, upload, CatalogChange, Outcome, Problem, SubmitError,
};
use motcua_nsw::queries as q;
use motcua_nsw::store::provisioning::{self as store, Function, LegalBasis, Ministry, WorkUnit};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/ministries", get(ministries).post(create_ministry))
        .route(
            "/console/ministries/{id}",
            get(ministry).post(change_ministry),
        )
        .route("/console/legal-bases/{code}", post(update_basis))
        .route("/console/provisioning", get(queue))
        .route("/console/provisioning/{id}", get(review))
        .route(
            "/console/provisioning/{id}/persons/{pid}/grant",
            post(grant),
        )
        .route(
            "/console/provisioning/{id}/persons/{pid}/refuse",
            post(refuse),
        )
        .route("/console/provisioning/{id}/notice.pdf", get(console_notice))
        .route("/console/provisioning/{id}/upload", get(uploaded_file))
        .route("/ministry/requests", get(my_requests).post(submit_form))
        .route("/ministry/requests/new", get(new_request))
        .route("/ministry/requests/upload", post(submit_upload))
        .route("/ministry/requests/{id}", get(my_request))
        .route("/ministry/requests/{id}/notice.pdf", get(my_notice))
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

fn with_status(mut r: Response, status: StatusCode) -> Response {
    if r.status() == StatusCode::OK {
        *r.status_mut() = status;
    }
    r
}

// ---------------------------------------------------------------------------
// Console: ministries and legal bases
// ---------------------------------------------------------------------------

pub struct BasisRow {
    pub code: String,
    pub name: String,
    pub working_days: i64,
    pub ministries: String,
}

fn basis_name(b: &LegalBasis, l: Locale) -> String {
    match l {
        Locale::Vi => b.name_vi.clone(),
        Locale::En => b.name_en.clone(),
    }
}

#[derive(Template)]
#[template(path = "console/ministries.html")]
struct MinistriesPage {
    c: Chrome,
    rows: Vec<Ministry>,
    bases: Vec<BasisRow>,
    code: String,
    name: String,
    error: Option<&'static str>,
}

async fn ministries_page(
    state: &AppState,
    ctx: &Ctx,
    code: String,
    name: String,
    error: Option<&'static str>,
    done: Option<&str>,
) -> Response {
    let rows = tri!(q::ministries(state).await);
    let bases = tri!(q::legal_bases(state).await)
        .iter()
        .map(|b| BasisRow {
            code: b.code.clone(),
            name: basis_name(b, ctx.locale),
            working_days: b.working_days,
            ministries: b.ministries.clone(),
        })
        .collect();
    let r = render(&MinistriesPage {
        c: Chrome::new(state, ctx).with_flash(done),
        rows,
        bases,
        code,
        name,
        error,
    });
    if error.is_some() {
        with_status(r, StatusCode::UNPROCESSABLE_ENTITY)
    } else {
        r
    }
}

pub async fn ministries(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Query(q): Query<DoneQuery>,
) -> Response {
    ministries_page(
        &state,
        &ctx,
        String::new(),
        String::new(),
        None,
        q.done.as_deref(),
    )
    .await
}

#[derive(Deserialize)]
pub struct MinistryForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

pub async fn create_ministry(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Form(f): Form<MinistryForm>,
) -> Response {
    match prov::create_ministry(&state, &origin(&ctx), &f.code, &f.name).await {
        Ok(id) => {
            Redirect::to(&format!("/console/ministries/{id}?done=ministry_saved")).into_response()
        }
        Err(ServiceError::Invalid { key: k, .. } | ServiceError::Conflict(k)) => {
            ministries_page(&state, &ctx, f.code, f.name, Some(k), None).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct BasisForm {
    #[serde(default)]
    working_days: String,
    #[serde(default)]
    ministries: String,
}

pub async fn update_basis(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(code): Path<String>,
    Form(f): Form<BasisForm>,
) -> Response {
    match prov::update_legal_basis(&state, &origin(&ctx), &code, &f.working_days, &f.ministries)
        .await
    {
        Ok(()) => Redirect::to("/console/ministries?done=ministry_saved").into_response(),
        Err(ServiceError::NotFound) => AppError::NotFound.into_response(),
        Err(ServiceError::Invalid { key: k, .. } | ServiceError::Conflict(k)) => {
            ministries_page(&state, &ctx, String::new(), String::new(), Some(k), None).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "console/ministry.html")]
struct MinistryPage {
    c: Chrome,
    m: Ministry,
    units: Vec<WorkUnit>,
    functions: Vec<Function>,
    managers: Vec<store::Manager>,
    error: Option<&'static str>,
}

async fn ministry_page(
    state: &AppState,
    ctx: &Ctx,
    id: MinistryId,
    error: Option<&'static str>,
    done: Option<&str>,
) -> Response {
    let Some(q::MinistryView {
        ministry: m,
        units,
        functions,
        managers,
    }) = tri!(q::ministry(state, id).await)
    else {
        return AppError::NotFound.into_response();
    };
    let r = render(&MinistryPage {
        c: Chrome::new(state, ctx).with_flash(done),
        m,
        units,
        functions,
        managers,
        error,
    });
    if error.is_some() {
        with_status(r, StatusCode::UNPROCESSABLE_ENTITY)
    } else {
        r
    }
}

pub async fn ministry(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<MinistryId>,
    Query(q): Query<DoneQuery>,
) -> Response {
    ministry_page(&state, &ctx, id, None, q.done.as_deref()).await
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    id: i64,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    username: String,
}

/// One form target for every change to a ministry: `action` says which.
pub async fn change_ministry(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(mid): Path<MinistryId>,
    Form(f): Form<ChangeForm>,
) -> Response {
    let o = origin(&ctx);
    let catalog = |ch: CatalogChange| {
        let (state, o) = (&state, &o);
        async move { prov::change_catalog(state, o, mid, &ch).await }
    };
    let r = match f.action.as_str() {
        "rename" => prov::rename_ministry(&state, &o, mid, &f.name).await,
        "add_unit" => catalog(CatalogChange::AddUnit { name: f.name }).await,
        "rename_unit" => {
            catalog(CatalogChange::RenameUnit {
                id: WorkUnitId::new(f.id),
                name: f.name,
            })
            .await
        }
        "remove_unit" => {
            catalog(CatalogChange::RemoveUnit {
                id: WorkUnitId::new(f.id),
            })
            .await
        }
        "add_function" => {
            catalog(CatalogChange::AddFunction {
                code: f.code,
                name: f.name,
            })
            .await
        }
        "rename_function" => {
            catalog(CatalogChange::RenameFunction {
                id: FunctionId::new(f.id),
                name: f.name,
            })
            .await
        }
        "remove_function" => {
            catalog(CatalogChange::RemoveFunction {
                id: FunctionId::new(f.id),
            })
            .await
        }
        "add_manager" => prov::add_manager(&state, &o, mid, &f.username)
            .await
            .map(|_| ()),
        "remove_manager" => prov::remove_manager(&state, &o, mid, AccountId::new(f.id)).await,
        _ => Err(ServiceError::invalid("error.bad_input")),
    };
    match r {
        Ok(()) => {
            Redirect::to(&format!("/console/ministries/{mid}?done=ministry_saved")).into_response()
        }
        Err(ServiceError::NotFound) => AppError::NotFound.into_response(),
        Err(ServiceError::Invalid { key: k, .. } | ServiceError::Conflict(k)) => {
            ministry_page(&state, &ctx, mid, Some(k), None).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

// ---------------------------------------------------------------------------
// Shared views of requests and persons
// ---------------------------------------------------------------------------

pub struct RequestRow {
    pub id: ProvisioningRequestId,
    pub reference: String,
    pub ministry: String,
    pub basis: String,
    pub received: String,
    pub due: String,
    /// Working time left (or overdue by), open requests only.
    pub left: String,
    pub overdue: bool,
    pub completed: bool,
    pub status_key: String,
    pub source_key: String,
    pub persons: i64,
    pub result: String,
    pub has_upload: bool,
}

async fn request_row(
    state: &AppState,
    c: &Chrome,
    r: store::Request,
    bases: &[LegalBasis],
    locale: Locale,
) -> Result<RequestRow, ServiceError> {
    let (left, overdue) = if r.status == ProvisioningStatus::Open {
        let t = motcua_kernel::calendar::time_left(state, r.due_at).await?;
        let h = |m: i64| format!("{:.1}", m as f64 / 60.0);
        if t.overdue {
            (
                c.t("provisioning.overdue")
                    .replace("{d}", &(-t.working_days).to_string())
                    .replace("{h}", &h(-t.working_minutes)),
                true,
            )
        } else {
            (
                c.t("provisioning.left")
                    .replace("{d}", &t.working_days.to_string())
                    .replace("{h}", &h(t.working_minutes)),
                false,
            )
        }
    } else {
        (String::new(), false)
    };
    let basis = bases
        .iter()
        .find(|b| b.code == r.legal_basis)
        .map_or(r.legal_basis.clone(), |b| basis_name(b, locale));
    Ok(RequestRow {
        id: r.id,
        ministry: r.ministry_name,
        basis,
        received: format_vn(r.received_at),
        due: format_vn(r.due_at),
        left,
        overdue,
        completed: r.status == ProvisioningStatus::Completed,
        status_key: format!("provisioning.status_{}", r.status),
        source_key: format!("provisioning.source_{}", r.source),
        persons: r.persons,
        result: c
            .t("provisioning.result_counts")
            .replace("{g}", &r.granted.to_string())
            .replace("{r}", &r.refused.to_string()),
        has_upload: r.upload_sha256.is_some(),
        reference: r.reference,
    })
}

async fn request_rows(
    state: &AppState,
    c: &Chrome,
    locale: Locale,
    rows: Vec<store::Request>,
) -> Result<Vec<RequestRow>, ServiceError> {
    let bases = q::legal_bases(state).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(request_row(state, c, r, &bases, locale).await?);
    }
    Ok(out)
}

pub struct PersonRow {
    pub id: PersonId,
    pub row_no: i64,
    pub full_name: String,
    pub job_title: String,
    pub work_unit: String,
    pub email: String,
    pub permissions: String,
    pub pending: bool,
    pub decision_key: String,
    pub username: String,
    pub reason: String,
}

fn person_row(p: store::Person) -> PersonRow {
    PersonRow {
        id: p.id,
        row_no: p.row_no,
        pending: p.decision == "pending",
        decision_key: format!("provisioning.decision_{}", p.decision),
        full_name: p.full_name,
        job_title: p.job_title,
        work_unit: p.work_unit,
        email: p.email,
        permissions: p.permissions,
        username: p.username.unwrap_or_default(),
        reason: p.reason.unwrap_or_default(),
    }
}

fn pdf_response(reference: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"thong-bao-{reference}.pdf\"");
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, private"),
    );
    r
}

// ---------------------------------------------------------------------------
// Console: the queue and the decisions
// ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "console/provisioning.html")]
struct QueuePage {
    c: Chrome,
    /// The completed requests (`?status=completed`) instead of the open.
    completed: bool,
    rows: Vec<RequestRow>,
    pager: String,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    /// The cursor: `KEY.ID` of the last request shown.
    after: Option<String>,
}

const PER_PAGE: i64 = 50;

/// One page of requests (of a ministry, or all) of the status the query
/// names (open by default), with the pager's links under `base`.
async fn request_page(
    state: &AppState,
    c: &Chrome,
    ministry: Option<MinistryId>,
    q: &ListQuery,
    base: &str,
) -> Result<(bool, Vec<RequestRow>, String), Response> {
    let completed = q.status == ProvisioningStatus::Completed.as_str();
    let status = if completed {
        ProvisioningStatus::Completed
    } else {
        ProvisioningStatus::Open
    };
    let after = super::parse_after(state, c, q.after.as_deref())?;
    let (found, next) = q::provisioning_requests(state, ministry, status, after, PER_PAGE)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    let rows = request_rows(state, c, c.locale(), found)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    let base = if completed {
        format!("{base}?status=completed")
    } else {
        base.to_string()
    };
    Ok((
        completed,
        rows,
        super::cursor_pager(c, &base, after.is_some(), next),
    ))
}

pub async fn queue(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Query(q): Query<ListQuery>,
) -> Response {
    let c = Chrome::new(&state, &ctx);
    match request_page(&state, &c, None, &q, "/console/provisioning").await {
        Ok((completed, rows, pager)) => render(&QueuePage {
            c,
            completed,
            rows,
            pager,
        }),
        Err(r) => r,
    }
}

#[derive(Template)]
#[template(path = "console/provisioning_request.html")]
struct ReviewPage {
    c: Chrome,
    r: RequestRow,
    persons: Vec<PersonRow>,
    error: Option<&'static str>,
}

async fn review_page(
    state: &AppState,
    ctx: &Ctx,
    id: ProvisioningRequestId,
    error: Option<&'static str>,
    done: Option<&str>,
) -> Response {
    let Some(r) = tri!(q::provisioning_request(state, id).await) else {
        return AppError::NotFound.into_response();
    };
    let persons = tri!(q::persons(state, id).await);
    let c = Chrome::new(state, ctx).with_flash(done);
    let mut rows = tri!(request_rows(state, &c, ctx.locale, vec![r]).await);
    let Some(r) = rows.pop() else {
        return AppError::NotFound.into_response();
    };
    render(&ReviewPage {
        c,
        r,
        persons: persons.into_iter().map(person_row).collect(),
        error,
    })
}

pub async fn review(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<ProvisioningRequestId>,
    Query(q): Query<DoneQuery>,
) -> Response {
    review_page(&state, &ctx, id, None, q.done.as_deref()).await
}

async fn decided(
    state: &AppState,
    ctx: &Ctx,
    id: ProvisioningRequestId,
    r: Result<Outcome, ServiceError>,
) -> Response {
    match r {
        Ok(Outcome::Decided) => Redirect::to(&format!(
            "/console/provisioning/{id}?done=provisioning_decided"
        ))
        .into_response(),
        Ok(Outcome::Completed) => Redirect::to(&format!(
            "/console/provisioning/{id}?done=provisioning_completed"
        ))
        .into_response(),
        Err(ServiceError::NotFound) => AppError::NotFound.into_response(),
        Err(ServiceError::Conflict(k)) => with_status(
            review_page(state, ctx, id, Some(k), None).await,
            StatusCode::CONFLICT,
        ),
        Err(ServiceError::Invalid { key: k, .. }) => with_status(
            review_page(state, ctx, id, Some(k), None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => AppError::from(e).into_response(),
    }
}

pub async fn grant(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path((id, pid)): Path<(ProvisioningRequestId, PersonId)>,
) -> Response {
    let r = prov::grant(&state, &origin(&ctx), id, pid).await;
    decided(&state, &ctx, id, r).await
}

#[derive(Deserialize)]
pub struct RefuseForm {
    #[serde(default)]
    reason: String,
}

pub async fn refuse(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path((id, pid)): Path<(ProvisioningRequestId, PersonId)>,
    Form(f): Form<RefuseForm>,
) -> Response {
    let r = prov::refuse(&state, &origin(&ctx), id, pid, &f.reason).await;
    decided(&state, &ctx, id, r).await
}

pub async fn console_notice(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<ProvisioningRequestId>,
) -> Response {
    match prov::notice_pdf(&state, &origin(&ctx), id).await {
        Ok((reference, pdf)) => pdf_response(&reference, pdf),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// The file a manager uploaded, as received (operators only).
pub async fn uploaded_file(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<ProvisioningRequestId>,
) -> Response {
    let Some((r, a)) = tri!(q::uploaded_file(&state, id).await) else {
        return AppError::NotFound.into_response();
    };
    let ext = if r.source == "xlsx" { "xlsx" } else { "csv" };
    let mut resp = a.data.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&a.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}.{ext}\"", r.reference))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

// ---------------------------------------------------------------------------
// Ministry managers
// ---------------------------------------------------------------------------

/// The logged-in manager and the ministry they manage; anyone else gets 403.
async fn manager(state: &AppState, ctx: &Ctx) -> Result<(Account, Ministry), Response> {
    ready_user(state, ctx).await?;
    let v = ctx.user()?;
    match q::managed_ministry(state, &v.account).await {
        Ok(Some(m)) => Ok((v.account.clone(), m)),
        // The role without a ministry yet: say so rather than a bare 403.
        Ok(None) if v.account.has_role(Role::MinistryManager) => Err(with_status(
            render(&super::MessagePage {
                c: Chrome::new(state, ctx),
                title: "provisioning.title",
                body: "provisioning.no_ministry",
                link: None,
            }),
            StatusCode::FORBIDDEN,
        )),
        Ok(None) => Err(AppError::Forbidden.into_response()),
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

/// A ministry manager's request with the ministry managed. As an
/// extractor placed before the body's, it refuses everyone else before any
/// form or upload is read.
pub struct Managed {
    pub ctx: Ctx,
    pub account: Account,
    pub ministry: Ministry,
}

impl axum::extract::FromRequestParts<AppState> for Managed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let (account, ministry) = manager(state, &ctx).await?;
        Ok(Managed {
            ctx,
            account,
            ministry,
        })
    }
}

#[derive(Template)]
#[template(path = "ministry/requests.html")]
struct MyRequestsPage {
    c: Chrome,
    ministry: Ministry,
    completed: bool,
    rows: Vec<RequestRow>,
    pager: String,
}

pub async fn my_requests(
    State(state): State<AppState>,
    Managed { ctx, ministry, .. }: Managed,
    Query(q): Query<ListQuery>,
) -> Response {
    let c = Chrome::new(&state, &ctx);
    match request_page(&state, &c, Some(ministry.id), &q, "/ministry/requests").await {
        Ok((completed, rows, pager)) => render(&MyRequestsPage {
            c,
            ministry,
            completed,
            rows,
            pager,
        }),
        Err(r) => r,
    }
}

/// One row of the form, as typed.
#[derive(Default, Clone)]
pub struct FormRow {
    pub i: usize,
    pub full_name: String,
    pub job_title: String,
    pub work_unit: String,
    pub email: String,
    pub permissions: Vec<String>,
}

impl FormRow {
    pub fn has(&self, code: &str) -> bool {
        self.permissions.iter().any(|p| p == code)
    }
    fn is_blank(&self) -> bool {
        self.full_name.trim().is_empty()
            && self.job_title.trim().is_empty()
            && self.work_unit.trim().is_empty()
            && self.email.trim().is_empty()
            && self.permissions.is_empty()
    }
}

pub struct BasisOption {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "ministry/request_new.html")]
struct NewRequestPage {
    c: Chrome,
    ministry: Ministry,
    bases: Vec<BasisOption>,
    units: Vec<WorkUnit>,
    functions: Vec<Function>,
    rows: Vec<FormRow>,
    problems: Vec<String>,
    max_rows: usize,
}

const DEFAULT_ROWS: usize = 3;
const MAX_FORM_ROWS: usize = 50;

async fn new_request_page(
    state: &AppState,
    ctx: &Ctx,
    ministry: Ministry,
    basis: &str,
    mut rows: Vec<FormRow>,
    problems: &[Problem],
) -> Response {
    let (bases, units, functions) = tri!(q::request_form(state, ministry.id).await);
    let c = Chrome::new(state, ctx);
    let bases = bases
        .iter()
        .filter(|b| b.applies_to(&ministry.code))
        .map(|b| BasisOption {
            code: b.code.clone(),
            label: format!(
                "{} — {}",
                basis_name(b, ctx.locale),
                c.t("provisioning.basis_days")
                    .replace("{days}", &b.working_days.to_string())
            ),
            selected: b.code == basis,
        })
        .collect();
    for (i, r) in rows.iter_mut().enumerate() {
        r.i = i + 1;
    }
    let problems: Vec<String> = problems
        .iter()
        .map(|p| p.text(&state.i18n, ctx.locale, &ministry.name))
        .collect();
    let failed = !problems.is_empty();
    let r = render(&NewRequestPage {
        c,
        ministry,
        bases,
        units,
        functions,
        rows,
        problems,
        max_rows: MAX_FORM_ROWS,
    });
    if failed {
        with_status(r, StatusCode::UNPROCESSABLE_ENTITY)
    } else {
        r
    }
}

pub async fn new_request(
    State(state): State<AppState>,
    Managed { ctx, ministry, .. }: Managed,
) -> Response {
    let rows = vec![FormRow::default(); DEFAULT_ROWS];
    new_request_page(&state, &ctx, ministry, "", rows, &[]).await
}

/// Reads the form's rows (`full_name_3`, `permissions_3` repeated, …).
fn form_rows(pairs: &[(String, String)]) -> (String, Vec<FormRow>, bool) {
    let mut basis = String::new();
    let mut more = false;
    let mut count = DEFAULT_ROWS;
    let mut rows: Vec<FormRow> = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "legal_basis" => basis = v.clone(),
            "action" => more = v == "more",
            "rows" => count = v.parse().unwrap_or(DEFAULT_ROWS),
            _ => {
                let Some((field, n)) = k.rsplit_once('_') else {
                    continue;
                };
                let Ok(n) = n.parse::<usize>() else {
                    continue;
                };
                if n == 0 || n > MAX_FORM_ROWS {
                    continue;
                }
                if rows.len() < n {
                    rows.resize(n, FormRow::default());
                }
                let r = &mut rows[n - 1];
                match field {
                    "full_name" => r.full_name = v.clone(),
                    "job_title" => r.job_title = v.clone(),
                    "work_unit" => r.work_unit = v.clone(),
                    "email" => r.email = v.clone(),
                    "permissions" => r.permissions.push(v.clone()),
                    _ => {}
                }
            }
        }
    }
    let count = count.clamp(1, MAX_FORM_ROWS).max(rows.len());
    rows.resize(count, FormRow::default());
    (basis, rows, more)
}

pub async fn submit_form(
    State(state): State<AppState>,
    Managed {
        ctx,
        account,
        ministry,
    }: Managed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (basis, mut rows, more) = form_rows(&pairs);
    if more {
        if rows.len() < MAX_FORM_ROWS {
            rows.push(FormRow::default());
        }
        return new_request_page(&state, &ctx, ministry, &basis, rows, &[]).await;
    }
    let inputs: Vec<prov::PersonInput> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.is_blank())
        .map(|(i, r)| prov::PersonInput {
            row_no: i as i64 + 1,
            full_name: r.full_name.clone(),
            job_title: r.job_title.clone(),
            work_unit: r.work_unit.clone(),
            email: r.email.clone(),
            permissions: r.permissions.join(" "),
        })
        .collect();
    match prov::submit_request(&state, &origin(&ctx), &account, &basis, &inputs, None).await {
        Ok(s) => Redirect::to(&format!(
            "/ministry/requests/{}?done=provisioning_submitted",
            s.id
        ))
        .into_response(),
        Err(SubmitError::Problems(p)) => {
            new_request_page(&state, &ctx, ministry, &basis, rows, &p).await
        }
        Err(SubmitError::Service(e)) => AppError::from(e).into_response(),
    }
}

/// Reads the upload form: the legal basis and the file (at most
/// [`upload::MAX_BYTES`], read no further).
async fn read_upload(mp: &mut Multipart) -> Result<(String, String, Vec<u8>), upload::FileError> {
    let mut basis = String::new();
    let mut name = String::new();
    let mut data = Vec::new();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(upload::FileError::Missing),
        };
        match field.name() {
            Some("legal_basis") => basis = field.text().await.unwrap_or_default(),
            Some("file") => {
                name = field.file_name().unwrap_or_default().to_string();
                let mut field = field;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if data.len() + chunk.len() > upload::MAX_BYTES {
                                return Err(upload::FileError::TooLarge);
                            }
                            data.extend_from_slice(&chunk);
                        }
                        Ok(None) => break,
                        Err(_) => return Err(upload::FileError::Missing),
                    }
                }
            }
            _ => {}
        }
    }
    Ok((basis, name, data))
}

pub async fn submit_upload(
    State(state): State<AppState>,
    Managed {
        ctx,
        account,
        ministry,
    }: Managed,
    mut mp: Multipart,
) -> Response {
    let blank = vec![FormRow::default(); DEFAULT_ROWS];
    let (basis, name, data) = match read_upload(&mut mp).await {
        Ok(x) => x,
        Err(e) => {
            return new_request_page(&state, &ctx, ministry, "", blank, &[Problem::from_file(&e)])
                .await
        }
    };
    let (kind, rows) = match upload::read(&name, &data) {
        Ok(x) => x,
        Err(e) => {
            return new_request_page(
                &state,
                &ctx,
                ministry,
                &basis,
                blank,
                &[Problem::from_file(&e)],
            )
            .await
        }
    };
    let file = prov::Upload { kind, data };
    match prov::submit_request(&state, &origin(&ctx), &account, &basis, &rows, Some(file)).await {
        Ok(s) => Redirect::to(&format!(
            "/ministry/requests/{}?done=provisioning_submitted",
            s.id
        ))
        .into_response(),
        Err(SubmitError::Problems(p)) => {
            new_request_page(&state, &ctx, ministry, &basis, blank, &p).await
        }
        Err(SubmitError::Service(e)) => AppError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "ministry/request.html")]
struct MyRequestPage {
    c: Chrome,
    r: RequestRow,
    persons: Vec<PersonRow>,
}

/// A request of the manager's own ministry; any other is "not found".
async fn own_request(
    state: &AppState,
    ministry: &Ministry,
    id: ProvisioningRequestId,
) -> Result<store::Request, Response> {
    match q::provisioning_request(state, id).await {
        Ok(Some(r)) if r.ministry_id == ministry.id => Ok(r),
        Ok(_) => Err(AppError::NotFound.into_response()),
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

pub async fn my_request(
    State(state): State<AppState>,
    Managed { ctx, ministry, .. }: Managed,
    Path(id): Path<ProvisioningRequestId>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let r = match own_request(&state, &ministry, id).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let persons = tri!(q::persons(&state, id).await);
    let c = Chrome::new(&state, &ctx).with_flash(q.done.as_deref());
    let mut rows = tri!(request_rows(&state, &c, ctx.locale, vec![r]).await);
    let Some(r) = rows.pop() else {
        return AppError::NotFound.into_response();
    };
    render(&MyRequestPage {
        c,
        r,
        persons: persons.into_iter().map(person_row).collect(),
    })
}

pub async fn my_notice(
    State(state): State<AppState>,
    Managed { ctx, ministry, .. }: Managed,
    Path(id): Path<ProvisioningRequestId>,
) -> Response {
    if let Err(resp) = own_request(&state, &ministry, id).await {
        return resp;
    }
    match prov::notice_pdf(&state, &origin(&ctx), id).await {
        Ok((reference, pdf)) => pdf_response(&reference, pdf),
        Err(e) => AppError::from(e).into_response(),
    }
}
