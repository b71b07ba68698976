//! Pages: declarant registration (public: form, email verification,
//! status and correction) and the operator's review queue (R-ID-1…4).
use super::auth::origin;
use super::{render, Chrome, MessagePage, Operator};
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form as AxForm, Router};
use motcua_domain::clock::format_vn;
use motcua_domain::{RegistrationId, RegistrationStatus, Workflow};
use motcua_identity::service::ServiceError;
use motcua_nsw::registration::{self as reg, Decision, FieldErrors, Form, RegError, Upload};
use motcua_nsw::store::registrations::Registration;
use motcua_nsw::store::registrations::QUEUE_COUNT_CAP;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/register/declarant", get(new_form).post(submit))
        .route("/register/verify/{token}", get(verify_page))
        .route("/register/verify", post(verify))
        .route("/register/status/{token}", get(status))
        .route(
            "/register/status/{token}/edit",
            get(edit_form).post(resubmit),
        )
        .route("/console/registrations", get(queue))
        .route("/console/registrations/{id}", get(detail))
        .route("/console/registrations/{id}/document", get(document))
        .route("/console/registrations/{id}/decide", post(decide))
}

pub struct Opt {
    pub value: String,
    pub label_key: String,
    pub selected: bool,
}

pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub required: bool,
    pub error: Option<&'static str>,
    pub described_by: String,
    pub autocomplete: &'static str,
    pub options: Vec<Opt>,
}

pub struct Section {
    pub legend: &'static str,
    pub fields: Vec<FieldView>,
}

fn sections(f: &Form, errors: &FieldErrors, document_required: bool) -> Vec<Section> {
    let err = |n: &str| errors.iter().find(|(k, _)| *k == n).map(|(_, e)| *e);
    let field = |name: &'static str,
                 label: &'static str,
                 hint: &'static str,
                 kind: &'static str,
                 value: &str,
                 required: bool,
                 autocomplete: &'static str| {
        let error = err(name);
        let mut by = Vec::new();
        if !hint.is_empty() {
            by.push(format!("{name}-hint"));
        }
        if error.is_some() {
            by.push(format!("{name}-error"));
        }
        FieldView {
            name,
            label,
            hint,
            kind,
            value: value.to_string(),
            required,
            error,
            described_by: by.join(" "),
            autocomplete,
            options: Vec::new(),
        }
    };
    let mut org_type = field("org_type", "reg.org_type", "", "select", "", true, "");
    org_type.options = reg::ORG_TYPES
        .iter()
        .map(|t| Opt {
            value: t.to_string(),
            label_key: format!("reg.org_type_{t}"),
            selected: f.org_type == *t,
        })
        .collect();
    let mut province = field("province", "reg.province", "", "select", "", true, "");
    province.options = reg::PROVINCES
        .iter()
        .map(|p| Opt {
            value: p.to_string(),
            label_key: String::new(),
            selected: f.province == *p,
        })
        .collect();
    vec![
        Section {
            legend: "reg.section_org",
            fields: vec![
                field(
                    "tax_code",
                    "reg.tax_code",
                    "reg.tax_code_hint",
                    "text",
                    &f.tax_code,
                    true,
                    "",
                ),
                field(
                    "org_name",
                    "reg.org_name",
                    "",
                    "text",
                    &f.org_name,
                    true,
                    "organization",
                ),
                field(
                    "org_name_en",
                    "reg.org_name_en",
                    "",
                    "text",
                    &f.org_name_en,
                    false,
                    "",
                ),
                org_type,
            ],
        },
        Section {
            legend: "reg.section_address",
            fields: vec![
                province,
                field(
                    "ward",
                    "reg.ward",
                    "reg.ward_hint",
                    "text",
                    &f.ward,
                    true,
                    "",
                ),
                field(
                    "address",
                    "reg.address",
                    "reg.address_hint",
                    "text",
                    &f.address,
                    true,
                    "street-address",
                ),
                field("phone", "reg.phone", "", "tel", &f.phone, true, "tel"),
                field(
                    "email",
                    "reg.email",
                    "reg.email_hint",
                    "email",
                    &f.email,
                    true,
                    "email",
                ),
            ],
        },
        Section {
            legend: "reg.section_rep",
            fields: vec![
                field(
                    "rep_name",
                    "reg.rep_name",
                    "",
                    "text",
                    &f.rep_name,
                    true,
                    "",
                ),
                field(
                    "rep_title",
                    "reg.rep_title",
                    "",
                    "text",
                    &f.rep_title,
                    true,
                    "",
                ),
                field(
                    "rep_personal_id",
                    "reg.rep_personal_id",
                    "reg.personal_id_hint",
                    "text",
                    &f.rep_personal_id,
                    true,
                    "",
                ),
            ],
        },
        Section {
            legend: "reg.section_contact",
            fields: vec![
                field(
                    "contact_name",
                    "reg.contact_name",
                    "",
                    "text",
                    &f.contact_name,
                    true,
                    "name",
                ),
                field(
                    "contact_phone",
                    "reg.contact_phone",
                    "",
                    "tel",
                    &f.contact_phone,
                    true,
                    "tel",
                ),
                field(
                    "contact_email",
                    "reg.contact_email",
                    "",
                    "email",
                    &f.contact_email,
                    true,
                    "email",
                ),
            ],
        },
        Section {
            legend: "reg.section_existing",
            fields: vec![field(
                "existing_accounts",
                "reg.existing_accounts",
                "reg.existing_hint",
                "textarea",
                &f.existing_accounts,
                false,
                "",
            )],
        },
        Section {
            legend: "reg.section_document",
            fields: vec![field(
                "document",
                "reg.document",
                if document_required {
                    "reg.document_hint"
                } else {
                    "reg.document_keep_hint"
                },
                "file",
                "",
                document_required,
                "",
            )],
        },
    ]
}

#[derive(Template)]
#[template(path = "register/form.html")]
struct FormPage {
    c: Chrome,
    title: &'static str,
    lead: &'static str,
    submit: &'static str,
    action: String,
    reference: Option<String>,
    note: Option<String>,
    /// The error summary: (field id, "Label: message"), in form order.
    errors: Vec<(&'static str, String)>,
    sections: Vec<Section>,
    /// Some fields come from data the holder allowed to be reused.
    prefilled: bool,
    /// The captcha of a new registration (none when correcting one through
    /// its secret link: the address is proven already).
    captcha: Option<motcua_identity::captcha::Issued>,
    /// The terms checkbox (a new registration only).
    accept: Option<motcua_identity::portal::AcceptView>,
}

fn form_page(
    state: &AppState,
    ctx: &Ctx,
    form: &Form,
    errors: FieldErrors,
    edit: Option<(&Registration, String)>,
) -> Response {
    form_page_full(state, ctx, form, errors, edit, false, None)
}

/// The form of a new registration, with a fresh captcha.
async fn new_form_page(
    state: &AppState,
    ctx: &Ctx,
    form: &Form,
    errors: FieldErrors,
    prefilled: bool,
) -> Response {
    let captcha = match motcua_identity::captcha::issue(state, ctx.locale).await {
        Ok(c) => c,
        Err(e) => return AppError::from(e).into_response(),
    };
    form_page_full(state, ctx, form, errors, None, prefilled, Some(captcha))
}

fn form_page_full(
    state: &AppState,
    ctx: &Ctx,
    form: &Form,
    errors: FieldErrors,
    edit: Option<(&Registration, String)>,
    prefilled: bool,
    captcha: Option<motcua_identity::captcha::Issued>,
) -> Response {
    let has_errors = !errors.is_empty();
    let (title, lead, submit, action, reference, note) = match &edit {
        None => (
            "reg.title",
            "reg.lead",
            "reg.submit",
            "/register/declarant".to_string(),
            None,
            None,
        ),
        Some((r, token)) => (
            "reg.edit_title",
            "reg.edit_lead",
            "reg.resubmit",
            format!("/register/status/{token}/edit"),
            Some(r.reference.clone()),
            r.decision_reason.clone(),
        ),
    };
    let c = Chrome::new(state, ctx);
    let sections = sections(form, &errors, edit.is_none());
    // Each entry names its field, so two equal messages can be told apart.
    let mut summary: Vec<(&'static str, String)> = sections
        .iter()
        .flat_map(|s| s.fields.iter())
        .filter_map(|f| {
            f.error.map(|e| {
                let text = c
                    .t("form.error_in")
                    .replace("{label}", c.t(f.label))
                    .replace("{message}", c.t(e));
                (f.name, text)
            })
        })
        .collect();
    for (name, e) in &errors {
        if !summary.iter().any(|(n, _)| n == name) {
            summary.push((name, c.t(e).to_string()));
        }
    }
    let mut resp = render(&FormPage {
        c,
        title,
        lead,
        submit,
        action,
        reference,
        note,
        sections,
        accept: edit.is_none().then(|| motcua_identity::portal::AcceptView {
            checked: motcua_identity::portal::accepted(Some(form.accept_terms.as_str())),
            error: errors
                .iter()
                .any(|(f, _)| *f == motcua_identity::portal::ACCEPT_FIELD),
        }),
        errors: summary,
        prefilled,
        captcha,
    });
    if has_errors && resp.status() == StatusCode::OK {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    resp
}

/// The empty form; for a logged-in holder, prefilled with the items they
/// allowed to be reused (R-ID-15), the reuse being logged.
pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    let mut f = Form::default();
    let mut prefilled = false;
    if let Some(v) = &ctx.viewer {
        let wanted = ["organization", "tax_code", "email", "phone", "full_name"];
        match motcua_identity::profile::prefill(
            &state,
            &v.account,
            "register.declarant",
            &ctx.request_id,
            &wanted,
        )
        .await
        {
            Ok(m) => {
                let get = |k: &str| m.get(k).cloned().unwrap_or_default();
                f.org_name = get("organization");
                f.tax_code = get("tax_code");
                f.email = get("email");
                f.phone = get("phone");
                f.contact_name = get("full_name");
                prefilled = !m.is_empty();
            }
            Err(e) => return AppError::from(e).into_response(),
        }
    }
    new_form_page(&state, &ctx, &f, Vec::new(), prefilled).await
}

/// Reads the multipart form: text fields into a [`Form`], the `document`
/// file (if one was chosen) into an [`Upload`].
async fn read_multipart(
    mut mp: Multipart,
) -> Result<(Form, Option<Upload>, Vec<(String, String)>), FieldErrors> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut upload = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(vec![("document", "reg.error_doc_size")]),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "document" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let bytes = match field.bytes().await {
                Ok(b) => b.to_vec(),
                Err(_) => return Err(vec![("document", "reg.error_doc_size")]),
            };
            if !(bytes.is_empty() && file_name.is_empty()) {
                upload = Some(Upload { file_name, bytes });
            }
        } else {
            let text = field.text().await.unwrap_or_default();
            pairs.push((name, text));
        }
    }
    let get = |k: &str| super::first(&pairs, k);
    let form = Form {
        tax_code: get("tax_code"),
        org_name: get("org_name"),
        org_name_en: get("org_name_en"),
        org_type: get("org_type"),
        province: get("province"),
        ward: get("ward"),
        address: get("address"),
        phone: get("phone"),
        email: get("email"),
        rep_name: get("rep_name"),
        rep_title: get("rep_title"),
        rep_personal_id: get("rep_personal_id"),
        contact_name: get("contact_name"),
        contact_phone: get("contact_phone"),
        contact_email: get("contact_email"),
        existing_accounts: get("existing_accounts"),
        accept_terms: get("accept_terms"),
    };
    let rest = pairs
        .into_iter()
        .filter(|(k, _)| k.starts_with("captcha"))
        .collect();
    Ok((form, upload, rest))
}

fn message(
    state: &AppState,
    ctx: &Ctx,
    title: &'static str,
    body: &'static str,
    status: StatusCode,
) -> Response {
    let mut r = render(&MessagePage {
        c: Chrome::new(state, ctx),
        title,
        body,
        link: None,
    });
    *r.status_mut() = status;
    r
}

#[derive(Template)]
#[template(path = "register/submitted.html")]
struct Submitted {
    c: Chrome,
    reference: String,
    email: String,
}

/// A new registration: the captcha, then the rate limits (per IP and per
/// address, reserved before anything is stored or mailed), then the form.
pub async fn submit(State(state): State<AppState>, ctx: Ctx, mp: Multipart) -> Response {
    let (form, upload, extra) = match read_multipart(mp).await {
        Ok(x) => x,
        Err(errors) => return new_form_page(&state, &ctx, &Form::default(), errors, false).await,
    };
    let field = |k: &str| {
        extra
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    match motcua_identity::captcha::check(&state, field("captcha_id"), field("captcha")).await {
        Ok(true) => {}
        Ok(false) => {
            // Every error at once: the fields', then the captcha's.
            let mut errors = reg::field_errors(&form, upload.as_ref());
            errors.push(("captcha", "token.captcha_wrong"));
            return new_form_page(&state, &ctx, &form, errors, false).await;
        }
        Err(e) => return AppError::from(e).into_response(),
    }
    let limits = motcua_identity::service::form_limits("register", &ctx.ip, Some(&form.email));
    match motcua_identity::service::rate_limit(&state, &limits).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => {
            let errors = vec![("captcha", "error.rate_limited_hour")];
            let mut r = new_form_page(&state, &ctx, &form, errors, false).await;
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            return r;
        }
        Err(e) => return AppError::from(e).into_response(),
    }
    match reg::submit(&state, &origin(&ctx), &form, upload.as_ref(), ctx.locale).await {
        Ok(s) => render(&Submitted {
            c: Chrome::new(&state, &ctx),
            reference: s.reference,
            email: form.email.trim().to_string(),
        }),
        Err(RegError::Fields(errors)) => {
            if let Err(e) = motcua_identity::service::rate_release(&state, &limits).await {
                return AppError::from(e).into_response();
            }
            new_form_page(&state, &ctx, &form, errors, false).await
        }
        Err(RegError::Service(e)) => AppError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "register/verify.html")]
struct VerifyPage {
    c: Chrome,
    reference: String,
    org_name: String,
    token: String,
}

/// The link in the mail opens a page with a button: opening it (as mail
/// scanners do) verifies nothing.
pub async fn verify_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Response {
    match tri!(reg::verify_link(&state, &token).await) {
        Some(r) => render(&VerifyPage {
            c: Chrome::new(&state, &ctx),
            reference: r.reference,
            org_name: r.profile.org_name,
            token,
        }),
        None => message(
            &state,
            &ctx,
            "reg.link_title",
            "reg.error_link",
            StatusCode::NOT_FOUND,
        ),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

pub async fn verify(
    State(state): State<AppState>,
    ctx: Ctx,
    AxForm(f): AxForm<TokenForm>,
) -> Response {
    match reg::verify(&state, &origin(&ctx), &f.token).await {
        Ok(r) => {
            let link = reg::status_link(&state, &r);
            let path = link
                .strip_prefix(&state.config.public_url)
                .unwrap_or(&link)
                .to_string();
            Redirect::to(&format!("{path}?done=verified")).into_response()
        }
        Err(ServiceError::Conflict(k)) => {
            message(&state, &ctx, "reg.link_title", k, StatusCode::CONFLICT)
        }
        Err(ServiceError::Invalid { key: k, .. }) => {
            message(&state, &ctx, "reg.link_title", k, StatusCode::NOT_FOUND)
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

fn status_key(s: RegistrationStatus) -> String {
    format!("reg.status_{s}")
}

#[derive(Template)]
#[template(path = "register/status.html")]
struct StatusPage {
    c: Chrome,
    r: Registration,
    status_key: String,
    reason_key: &'static str,
    due: Option<String>,
    history: Vec<(String, String, String)>,
    edit_link: String,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn history_rows(
    state: &AppState,
    id: RegistrationId,
) -> Result<Vec<(String, String, String)>, ServiceError> {
    Ok(reg::history(state, id)
        .await?
        .into_iter()
        .map(|h| (format_vn(h.at), status_key(h.status), h.note))
        .collect())
}

pub async fn status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let Some(r) = tri!(reg::by_status_token(&state, &token).await) else {
        return message(
            &state,
            &ctx,
            "reg.link_title",
            "reg.error_link",
            StatusCode::NOT_FOUND,
        );
    };
    let history = tri!(history_rows(&state, r.id).await);
    let notice = match q.done.as_str() {
        "verified" => Some("reg.verified_notice"),
        "resubmitted" => Some("reg.resubmitted_notice"),
        _ => None,
    };
    render(&StatusPage {
        c: Chrome::new(&state, &ctx),
        status_key: status_key(r.status),
        reason_key: if r.status == RegistrationStatus::Returned {
            "reg.to_fix"
        } else {
            "reg.reason"
        },
        due: (r.status == RegistrationStatus::Pending)
            .then(|| r.due_at.map(format_vn))
            .flatten(),
        history,
        edit_link: format!("/register/status/{token}/edit"),
        notice,
        r,
    })
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Response {
    let Some(r) = tri!(reg::by_status_token(&state, &token).await) else {
        return message(
            &state,
            &ctx,
            "reg.link_title",
            "reg.error_link",
            StatusCode::NOT_FOUND,
        );
    };
    if r.status != RegistrationStatus::Returned {
        return message(
            &state,
            &ctx,
            "reg.link_title",
            "reg.error_not_returned",
            StatusCode::CONFLICT,
        );
    }
    let form = Form::from_profile(&r.profile);
    form_page(&state, &ctx, &form, Vec::new(), Some((&r, token)))
}

pub async fn resubmit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    mp: Multipart,
) -> Response {
    let Some(r) = tri!(reg::by_status_token(&state, &token).await) else {
        return message(
            &state,
            &ctx,
            "reg.link_title",
            "reg.error_link",
            StatusCode::NOT_FOUND,
        );
    };
    let (form, upload, _) = match read_multipart(mp).await {
        Ok(x) => x,
        Err(errors) => {
            return form_page(
                &state,
                &ctx,
                &Form::from_profile(&r.profile),
                errors,
                Some((&r, token)),
            )
        }
    };
    match reg::resubmit(&state, &origin(&ctx), &token, &form, upload.as_ref()).await {
        Ok(_) => {
            Redirect::to(&format!("/register/status/{token}?done=resubmitted")).into_response()
        }
        Err(RegError::Fields(errors)) => form_page(&state, &ctx, &form, errors, Some((&r, token))),
        Err(RegError::Service(
            ServiceError::Invalid { key: k, .. } | ServiceError::Conflict(k),
        )) => message(&state, &ctx, "reg.link_title", k, StatusCode::CONFLICT),
        Err(RegError::Service(e)) => AppError::from(e).into_response(),
    }
}

// --- The operator's queue -------------------------------------------------

pub struct QueueRow {
    pub id: RegistrationId,
    pub reference: String,
    pub org_name: String,
    pub tax_code: String,
    pub status_key: String,
    pub received: String,
    pub due: String,
    pub left: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "console/registrations.html")]
struct QueuePage {
    c: Chrome,
    q: String,
    status: String,
    statuses: Vec<(&'static str, String)>,
    summary: String,
    rows: Vec<QueueRow>,
    pager: String,
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    /// The cursor: `KEY.ID` of the last profile shown.
    after: Option<String>,
}

const PER_PAGE: i64 = 25;

/// "2 working days left (13.5 h)" / "overdue by …" in the viewer's language.
pub async fn left_text(
    state: &AppState,
    c: &Chrome,
    due: i64,
) -> Result<(String, bool), ServiceError> {
    let r = motcua_kernel::calendar::time_left(state, due).await?;
    let text = super::remaining_text(c, &r);
    Ok((text, r.overdue))
}

pub async fn queue(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Query(q): Query<QueueQuery>,
) -> Response {
    let c = Chrome::new(&state, &ctx);
    // An unknown filter shows the open profiles, as no filter does.
    let filter = RegistrationStatus::parse(&q.status);
    let status = filter.map(|s| s.to_string()).unwrap_or_default();
    let after = match super::parse_after(&state, &c, q.after.as_deref()) {
        Ok(after) => after,
        Err(bad) => return bad,
    };
    let folded = motcua_domain::text::fold(&q.q);
    let (items, next, total) =
        tri!(motcua_nsw::queries::registrations(&state, filter, &folded, after, PER_PAGE).await);
    let mut rows = Vec::with_capacity(items.len());
    for r in items {
        let (left, overdue) = match (r.status, r.due_at) {
            (RegistrationStatus::Pending, Some(d)) => tri!(left_text(&state, &c, d).await),
            _ => ("—".to_string(), false),
        };
        rows.push(QueueRow {
            id: r.id,
            reference: r.reference,
            org_name: r.profile.org_name,
            tax_code: r.profile.tax_code,
            status_key: status_key(r.status),
            received: r.received_at.map(format_vn).unwrap_or_else(|| "—".into()),
            due: r.due_at.map(format_vn).unwrap_or_else(|| "—".into()),
            left,
            overdue,
        });
    }
    let base = format!(
        "/console/registrations?q={}&status={}",
        crate::ctx::urlencode(&q.q),
        status
    );
    render(&QueuePage {
        summary: if total > QUEUE_COUNT_CAP {
            c.t("reg.queue_found_more")
                .replace("{n}", &crate::plain::thousands(QUEUE_COUNT_CAP, c.locale()))
        } else {
            c.t("reg.queue_found").replace("{n}", &total.to_string())
        },
        pager: super::cursor_pager(&c, &base, after.is_some(), next),
        statuses: RegistrationStatus::ALL
            .iter()
            .map(|s| (s.as_str(), status_key(*s)))
            .collect(),
        q: q.q,
        status,
        rows,
        c,
    })
}

#[derive(Template)]
#[template(path = "console/registration.html")]
struct DetailPage {
    c: Chrome,
    r: Registration,
    status_key: String,
    org_type_key: String,
    due: Option<String>,
    left: String,
    overdue: bool,
    history: Vec<(String, String, String)>,
    error: Option<&'static str>,
}

async fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    id: RegistrationId,
    error: Option<&'static str>,
) -> Response {
    let Some(r) = tri!(motcua_nsw::queries::registration(state, id).await) else {
        return AppError::NotFound.into_response();
    };
    let c = Chrome::new(state, ctx);
    let (left, overdue) = match (r.status, r.due_at) {
        (RegistrationStatus::Pending, Some(d)) => tri!(left_text(state, &c, d).await),
        _ => (String::new(), false),
    };
    let history = tri!(history_rows(state, r.id).await);
    let mut resp = render(&DetailPage {
        status_key: status_key(r.status),
        org_type_key: format!("reg.org_type_{}", r.profile.org_type),
        due: (r.status == RegistrationStatus::Pending)
            .then(|| r.due_at.map(format_vn))
            .flatten(),
        left,
        overdue,
        history,
        error,
        r,
        c,
    });
    if error.is_some() && resp.status() == StatusCode::OK {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    resp
}

pub async fn detail(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<RegistrationId>,
) -> Response {
    detail_page(&state, &ctx, id, None).await
}

pub async fn document(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<RegistrationId>,
) -> Response {
    let Some((r, a)) = tri!(motcua_nsw::queries::registration_document(&state, id).await) else {
        return AppError::NotFound.into_response();
    };
    let name: String = r
        .profile
        .doc_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (
                header::HeaderName::from_static("x-content-type-options"),
                "nosniff".to_string(),
            ),
        ],
        a.data,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

pub async fn decide(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<RegistrationId>,
    AxForm(f): AxForm<DecideForm>,
) -> Response {
    let Some(d) = Decision::parse(&f.action) else {
        return detail_page(&state, &ctx, id, Some("reg.error_action")).await;
    };
    match reg::decide(&state, &origin(&ctx), id, d, &f.reason).await {
        Ok(()) => Redirect::to(&format!("/console/registrations/{id}")).into_response(),
        Err(ServiceError::NotFound) => AppError::NotFound.into_response(),
        Err(ServiceError::Conflict(k)) => {
            let mut r = detail_page(&state, &ctx, id, Some(k)).await;
            *r.status_mut() = StatusCode::CONFLICT;
            r
        }
        Err(ServiceError::Invalid { key: k, .. }) => detail_page(&state, &ctx, id, Some(k)).await,
        Err(e) => AppError::from(e).into_response(),
    }
}
