//! The citizen's side of a public service (R-PS-3, R-PS-5, R-PS-14,
//! R-PS-15): start a dossier from a procedure's page, fill its e-form a
//! page at a time (server-rendered, works without JavaScript, GOV.UK
//! patterns: error summary, "check your answers"), save and leave, resume
//! anywhere, submit (stepping up when the procedure needs a higher
//! level), follow "my dossiers", withdraw, and read notifications. Every
//! rule is in `motcua-dossiers` and `motcua-forms`; this is HTTP only.
use super::auth::origin;
use super::{cursor_pager, parse_after, render, Chrome};
use crate::ctx::{Ctx, Me, Viewer};
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use motcua_dossiers::drafts::{self, Draft, Holder};
use motcua_dossiers::files::{self, Component};
use motcua_dossiers::queries;
use motcua_dossiers::queries::{DossierRow, Filter};
use motcua_dossiers::store::files::FileRow;
use motcua_dossiers::submission::{self, Submission};
use motcua_forms::answers::{self, Posted, RowAction};
use motcua_forms::definition::Field;
use motcua_forms::validate::FieldError;
use serde::Deserialize;
use serde_json::{Map, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/procedures/{code}/start", post(start))
        .route("/account/drafts", get(my_drafts))
        .route("/account/drafts/{id}", get(resume))
        .route("/account/drafts/{id}/check", get(check))
        .route("/account/drafts/{id}/submit", post(submit))
        .route("/account/drafts/{id}/sign/challenge", post(sign_challenge))
        .route("/account/drafts/{id}/sign/sim", post(sign_sim))
        .route("/account/drafts/{id}/files/reuse", post(reuse_file))
        .route("/account/documents", get(documents_page))
        .route("/account/documents/{doc}", get(document_file))
        .route("/account/documents/{doc}/delete", post(document_delete))
        .route("/account/drafts/{id}/delete", post(delete))
        .route(
            "/account/drafts/{id}/step/{step}",
            get(step_page).post(step_save),
        )
        .route(
            "/account/drafts/{id}/step/{step}/autosave",
            post(step_autosave),
        )
        .route("/account/drafts/{id}/fill-from", post(fill_from))
        .route("/account/drafts/{id}/files", get(files_page).post(attach))
        .route("/account/drafts/{id}/files/{file}", get(draft_file))
        .route(
            "/account/drafts/{id}/files/{file}/delete",
            post(remove_file),
        )
        .route("/account/dossiers/{code}/files/{file}", get(dossier_file))
        .route("/account/dossiers/{code}/supplement", post(supplement))
        .route("/lookup", get(lookup))
        .route("/account/dossiers", get(my_dossiers))
        .route("/account/dossiers/{code}", get(dossier_page))
        .route("/account/dossiers/{code}/withdraw", post(withdraw))
        .route("/account/dossiers/{code}/receipt.pdf", get(receipt))
        .route("/account/notifications", get(inbox))
        .route("/account/notifications/read", post(mark_read))
        .route(
            "/account/notifications/settings",
            get(preferences_page).post(preferences_save),
        )
}

fn holder(v: &Viewer, ctx: &Ctx) -> Holder {
    Holder {
        account_id: v.account.id.get(),
        full_name: v.account.full_name.clone(),
        email: v.account.email.clone().unwrap_or_default(),
        locale: ctx.locale.as_str().to_string(),
        level: v.session.assurance_level,
    }
}

fn lang(ctx: &Ctx) -> &'static str {
    if ctx.locale == motcua_domain::Locale::En {
        "en"
    } else {
        "vi"
    }
}

/// `POST /procedures/{code}/start`: a new draft with the person's
/// consented data filled in (the reuse is logged by the identity context
/// and shown on `/account/data`).
pub async fn start(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(code): Path<String>,
) -> Response {
    let data = tri!(
        motcua_identity::profile::prefill(
            &state.identity_ctx,
            &v.account,
            &format!("dossier:{code}"),
            &ctx.request_id,
            motcua_forms::definition::PREFILL_SOURCES,
        )
        .await
    );
    let id = tri!(
        drafts::start(
            &state,
            &origin(&ctx),
            &state.dossier_rules,
            &holder(&v, &ctx),
            &code,
            &data
        )
        .await
    );
    Redirect::to(&format!("/account/drafts/{id}/step/0")).into_response()
}

#[derive(Template)]
#[template(path = "dossiers/drafts.html")]
struct DraftsPage {
    c: Chrome,
    drafts: Vec<(String, String, String, String)>,
}

#[derive(Deserialize, Default)]
pub struct FlashQuery {
    flash: Option<String>,
}

/// `/account/drafts`: the person's open drafts.
pub async fn my_drafts(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Query(q): Query<FlashQuery>,
) -> Response {
    let rows = tri!(drafts::open_drafts(&state, v.account.id.get()).await);
    render(&DraftsPage {
        c: Chrome::new(&state, &ctx).with_flash(q.flash.as_deref()),
        drafts: rows
            .into_iter()
            .map(|r| {
                (
                    r.public_id,
                    r.procedure_name,
                    motcua_domain::clock::format_vn(r.updated_at),
                    motcua_domain::clock::format_vn(r.expires_at),
                )
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "dossiers/moved.html")]
struct MovedPage {
    c: Chrome,
    id: String,
    dropped: Vec<String>,
}

/// `/account/drafts/{id}`: back to where the person stopped (told first
/// when the form changed since).
pub async fn resume(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(id): Path<String>,
) -> Response {
    let opened = tri!(drafts::open(&state, v.account.id.get(), &id).await);
    let d = &opened.draft;
    if let Some(code) = &d.row.dossier_code {
        return Redirect::to(&format!("/account/dossiers/{code}")).into_response();
    }
    if let Some(dropped) = opened.moved {
        return moved_page(&state, &ctx, d, dropped);
    }
    let steps = d.form.definition.steps.len() as i64;
    if d.row.step >= steps {
        return Redirect::to(&format!("/account/drafts/{id}/check")).into_response();
    }
    Redirect::to(&format!("/account/drafts/{id}/step/{}", d.row.step.max(0))).into_response()
}

fn moved_page(state: &AppState, ctx: &Ctx, d: &Draft, dropped: Vec<String>) -> Response {
    let l = lang(ctx);
    render(&MovedPage {
        c: Chrome::new(state, ctx),
        id: d.row.public_id.clone(),
        dropped: dropped
            .iter()
            .map(|n| {
                d.form
                    .definition
                    .field(n)
                    .map_or(n.clone(), |f| f.label.get(l).to_string())
            })
            .collect(),
    })
}

/// One input of a page.
pub struct Input {
    pub name: String,
    pub id: String,
    pub kind: String,
    pub label: String,
    pub hint: String,
    pub value: String,
    pub options: Vec<(String, String, bool)>,
    pub error: Option<String>,
    pub prefilled: bool,
    pub optional: bool,
    /// A condition on another input of the same page, for the page's
    /// script to show the input only when it holds: (its name, the values
    /// separated by spaces). Without script the input is always shown,
    /// its condition in the hint.
    pub show_if: Option<(String, String)>,
    /// Suggestions (a `datalist`): the communes of the chosen province.
    pub list: Vec<String>,
}

/// A block of a page: one input, an address, or a repeating group.
pub enum Block {
    One(Input),
    Address {
        id: String,
        legend: String,
        hint: String,
        error: Option<String>,
        inputs: Vec<Input>,
    },
    Group {
        name: String,
        legend: String,
        hint: String,
        rows: Vec<Vec<Input>>,
        can_add: bool,
    },
}

fn html_id(name: &str) -> String {
    format!("f-{}", name.replace('.', "-"))
}

fn input(
    f: &Field,
    name: String,
    value: String,
    l: &str,
    errors: &[FieldError],
    prefilled: bool,
    optional: bool,
) -> Input {
    let error = errors
        .iter()
        .find(|e| e.input == name)
        .map(|e| e.message.clone());
    let options = f
        .options
        .iter()
        .map(|o| {
            (
                o.value.clone(),
                o.label.get(l).to_string(),
                o.value == value,
            )
        })
        .collect();
    Input {
        id: html_id(&name),
        name,
        kind: f.kind.clone(),
        label: f.label.get(l).to_string(),
        hint: f
            .hint
            .as_ref()
            .map(|h| h.get(l).to_string())
            .unwrap_or_default(),
        value,
        options,
        error,
        prefilled,
        optional,
        show_if: None,
        list: Vec::new(),
    }
}

fn required_of(schema: &Value) -> Vec<String> {
    schema
        .get("required")
        .and_then(|r| r.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The blocks of page `step`, filled with `answers` and `errors`.
pub(super) fn blocks(
    c: &Chrome,
    def: &motcua_forms::definition::Definition,
    prefilled: &[String],
    step: usize,
    answers: &Map<String, Value>,
    errors: &[FieldError],
    l: &str,
) -> Vec<Block> {
    let required = required_of(&def.schema);
    let page = &def.steps[step];
    let mut out = Vec::new();
    for f in &page.fields {
        // A condition on an earlier page is known: hide the field. One on
        // this page is not (no script needed): the field is shown with
        // its condition in the hint, and dropped on save if it does not
        // hold.
        let same_page = f
            .show_if
            .as_ref()
            .is_some_and(|s| page.fields.iter().any(|g| g.name == s.field));
        if !same_page && !answers::visible(f, answers) {
            continue;
        }
        let optional = !required.contains(&f.name);
        match f.kind.as_str() {
            "address" => {
                let provinces = motcua_forms::seed::provinces();
                let mut inputs = Vec::new();
                for part in ["province", "commune", "street"] {
                    let name = format!("{}.{part}", f.name);
                    let value = answers::shown(answers, &[&f.name, part]);
                    let mut i = input(f, name, value.clone(), l, errors, false, false);
                    i.label = c.t(&format!("forms.address_{part}")).to_string();
                    i.hint = String::new();
                    i.kind = if part == "province" {
                        "choice".into()
                    } else {
                        "text".into()
                    };
                    if part == "province" {
                        i.options = provinces
                            .iter()
                            .map(|p| (p.clone(), p.clone(), *p == value))
                            .collect();
                    } else if part == "commune" {
                        let province = answers::shown(answers, &[&f.name, "province"]);
                        i.list = motcua_forms::seed::communes(&province).to_vec();
                    }
                    inputs.push(i);
                }
                out.push(Block::Address {
                    id: html_id(&f.name),
                    legend: f.label.get(l).to_string(),
                    hint: f
                        .hint
                        .as_ref()
                        .map(|h| h.get(l).to_string())
                        .unwrap_or_default(),
                    error: errors
                        .iter()
                        .find(|e| e.input == f.name)
                        .map(|e| e.message.clone()),
                    inputs,
                });
            }
            "group" => {
                let n = answers::rows_of(f, answers);
                let sub_required = def
                    .schema
                    .pointer(&format!("/properties/{}/items", f.name))
                    .map(required_of)
                    .unwrap_or_default();
                let rows = (0..n)
                    .map(|i| {
                        f.fields
                            .iter()
                            .map(|g| {
                                let name = format!("{}.{i}.{}", f.name, g.name);
                                let value =
                                    answers::shown(answers, &[&f.name, &i.to_string(), &g.name]);
                                input(
                                    g,
                                    name,
                                    value,
                                    l,
                                    errors,
                                    false,
                                    !sub_required.contains(&g.name),
                                )
                            })
                            .collect()
                    })
                    .collect();
                out.push(Block::Group {
                    name: f.name.clone(),
                    legend: f.label.get(l).to_string(),
                    hint: f
                        .hint
                        .as_ref()
                        .map(|h| h.get(l).to_string())
                        .unwrap_or_default(),
                    rows,
                    can_add: n < f
                        .max_rows
                        .unwrap_or(motcua_forms::definition::DEFAULT_MAX_ROWS),
                });
            }
            _ => {
                let mut i = input(
                    f,
                    f.name.clone(),
                    answers::shown(answers, &[&f.name]),
                    l,
                    errors,
                    prefilled.contains(&f.name),
                    optional,
                );
                if let Some(s) = &f.show_if {
                    if same_page {
                        let on = def
                            .field(&s.field)
                            .map_or(s.field.clone(), |g| g.label.get(l).to_string());
                        let values = def
                            .field(&s.field)
                            .map(|g| {
                                g.options
                                    .iter()
                                    .filter(|o| s.one_of.contains(&o.value))
                                    .map(|o| o.label.get(l).to_string())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            })
                            .filter(|v| !v.is_empty())
                            .unwrap_or_else(|| c.t("dossiers.yes").to_string());
                        let cond = c
                            .t("dossiers.only_if")
                            .replace("{field}", &on)
                            .replace("{value}", &values);
                        i.hint = if i.hint.is_empty() {
                            cond
                        } else {
                            format!("{} {cond}", i.hint)
                        };
                        i.show_if = Some((s.field.clone(), s.one_of.join(" ")));
                    }
                }
                out.push(Block::One(i));
            }
        }
    }
    out
}

#[derive(Template)]
#[template(path = "dossiers/step.html")]
struct StepPage {
    c: Chrome,
    id: String,
    title: String,
    procedure: String,
    step: usize,
    steps: usize,
    step_title: String,
    revision: i64,
    blocks: Vec<Block>,
    errors: Vec<FieldError>,
    stale: bool,
    saved_at: String,
    /// The person's earlier dossiers to fill this one from: (code, label).
    earlier: Vec<(String, String)>,
}

fn step_response(
    state: &AppState,
    ctx: &Ctx,
    d: &Draft,
    step: usize,
    errors: Vec<FieldError>,
    stale: bool,
) -> Response {
    step_with_flash(state, ctx, d, step, errors, stale, None, Vec::new())
}

#[allow(clippy::too_many_arguments)]
fn step_with_flash(
    state: &AppState,
    ctx: &Ctx,
    d: &Draft,
    step: usize,
    errors: Vec<FieldError>,
    stale: bool,
    flash: Option<&str>,
    earlier: Vec<(String, String)>,
) -> Response {
    let l = lang(ctx);
    let c = Chrome::new(state, ctx).with_flash(flash);
    let def = &d.form.definition;
    let blocks = blocks(&c, def, &d.prefilled, step, &d.answers, &errors, l);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = StepPage {
        id: d.row.public_id.clone(),
        title: def.title.get(l).to_string(),
        procedure: d.row.procedure_name.clone(),
        step,
        steps: def.steps.len(),
        step_title: def.steps[step].title.get(l).to_string(),
        revision: d.row.revision,
        blocks,
        errors,
        stale,
        saved_at: motcua_domain::clock::format_vn(d.row.updated_at),
        earlier,
        c,
    };
    (status, render(&page)).into_response()
}

/// `GET /account/drafts/{id}/step/{n}`.
#[derive(Deserialize)]
pub struct StepQuery {
    /// A page parked when the session had ended, to apply now.
    parked: Option<String>,
    flash: Option<String>,
}

pub async fn step_page(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path((id, step)): Path<(String, usize)>,
    Query(q): Query<StepQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    if let Some(token) = q.parked.as_deref().filter(|t| !t.is_empty()) {
        // The pre-session cookie names the browser the page was parked by.
        let browser = crate::ctx::cookie(&headers, crate::ctx::PRE_COOKIE)
            .map(|b| motcua_domain::token::sha256_hex(&b))
            .unwrap_or_default();
        let restored = tri!(
            drafts::restore(
                &state,
                &state.dossier_rules,
                v.account.id.get(),
                &browser,
                token
            )
            .await
        );
        let flash = if restored.is_some() {
            "answers_restored"
        } else {
            "answers_lost"
        };
        let (id, step) = restored.unwrap_or((id, step));
        return Redirect::to(&format!("/account/drafts/{id}/step/{step}?flash={flash}"))
            .into_response();
    }
    let opened = tri!(drafts::open(&state, v.account.id.get(), &id).await);
    let d = opened.draft;
    if let Some(code) = &d.row.dossier_code {
        return Redirect::to(&format!("/account/dossiers/{code}")).into_response();
    }
    if let Some(dropped) = opened.moved {
        return moved_page(&state, &ctx, &d, dropped);
    }
    if step >= d.form.definition.steps.len() {
        return AppError::NotFound.into_response();
    }
    // Offered on the first page: fill from an earlier dossier (newest
    // first, the same procedure's first).
    let earlier = if step == 0 {
        let (mut rows, _) =
            tri!(queries::my_dossiers(&state, v.account.id.get(), &Filter::default(), None).await);
        rows.sort_by_key(|r| r.procedure_code != d.row.procedure_code);
        rows.into_iter()
            .take(10)
            .map(|r| {
                let label = format!(
                    "{} — {} ({})",
                    r.code,
                    r.procedure_name,
                    motcua_domain::clock::format_vn(r.submitted_at)
                );
                (r.code, label)
            })
            .collect()
    } else {
        Vec::new()
    };
    step_with_flash(
        &state,
        &ctx,
        &d,
        step,
        Vec::new(),
        false,
        q.flash.as_deref(),
        earlier,
    )
}

#[derive(Deserialize)]
pub struct FillFromForm {
    #[serde(default)]
    dossier: String,
}

/// `POST /account/drafts/{id}/fill-from`: the empty fields take the
/// answers of the person's earlier dossier (their choice, logged as a
/// reuse on /account/data).
pub async fn fill_from(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(id): Path<String>,
    Form(f): Form<FillFromForm>,
) -> Response {
    let d = tri!(drafts::get(&state, v.account.id.get(), &id).await);
    let filled = tri!(
        drafts::fill_from_dossier(
            &state,
            &state.dossier_rules,
            v.account.id.get(),
            &id,
            f.dossier.trim()
        )
        .await
    );
    if filled.is_empty() {
        return Redirect::to(&format!("/account/drafts/{id}/step/0?flash=nothing_filled"))
            .into_response();
    }
    tri!(
        motcua_identity::profile::log_reuse(
            &state.identity_ctx,
            v.account.id,
            &["earlier_dossier"],
            &format!("dossier:{}", d.row.procedure_code),
            &ctx.request_id,
        )
        .await
    );
    Redirect::to(&format!(
        "/account/drafts/{id}/step/0?flash=filled_from_dossier"
    ))
    .into_response()
}

/// The page's buttons: `continue`, `save` (and leave), `add:GROUP`,
/// `remove:GROUP:ROW`.
fn action_of(posted: &Posted) -> Result<(RowAction, bool), ()> {
    match posted
        .get("action")
        .map(String::as_str)
        .unwrap_or("continue")
    {
        "continue" => Ok((RowAction::None, false)),
        "save" => Ok((RowAction::None, true)),
        a => {
            let mut parts = a.split(':');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some("add"), Some(g), None, None) => Ok((RowAction::Add(g.to_string()), false)),
                (Some("remove"), Some(g), Some(i), None) => match i.parse() {
                    Ok(i) => Ok((RowAction::Remove(g.to_string(), i), false)),
                    Err(_) => Err(()),
                },
                _ => Err(()),
            }
        }
    }
}

/// `POST /account/drafts/{id}/step/{n}`: saves the page (always), then
/// goes on, stays with the errors, or leaves.
pub async fn step_save(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path((id, step)): Path<(String, usize)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let Some(v) = ctx.viewer.clone() else {
        if crate::ctx::cookie(&headers, crate::ctx::SESSION_COOKIE).is_none() {
            // Never logged in here: nothing to keep.
            return ctx
                .user()
                .err()
                .unwrap_or_else(|| AppError::NotFound.into_response());
        }
        // The session ended while the page was open: keep what was typed
        // for this browser and bring it back after logging in.
        let token = tri!(drafts::park(&state, &ctx.binding_hash, &id, step, &fields).await);
        let back = match token {
            Some(t) => format!("/account/drafts/{id}/step/{step}?parked={t}"),
            None => format!("/account/drafts/{id}/step/{step}"),
        };
        return Redirect::to(&format!(
            "/login?m=answers_parked&next={}",
            crate::ctx::urlencode(&back)
        ))
        .into_response();
    };
    let posted: Posted = fields.into_iter().collect();
    let Ok((action, leave)) = action_of(&posted) else {
        return AppError::BadRequest("error.bad_request").into_response();
    };
    let revision = posted
        .get("revision")
        .and_then(|r| r.parse::<i64>().ok())
        .unwrap_or(0);
    let saved = tri!(
        drafts::save(
            &state,
            &state.dossier_rules,
            v.account.id.get(),
            &id,
            step,
            revision,
            &posted,
            &action
        )
        .await
    );
    if leave {
        return Redirect::to("/account/drafts?flash=draft_saved").into_response();
    }
    if action != RowAction::None {
        let anchor = match &action {
            RowAction::Add(g) | RowAction::Remove(g, _) => html_id(g),
            RowAction::None => String::new(),
        };
        return Redirect::to(&format!("/account/drafts/{id}/step/{step}#{anchor}")).into_response();
    }
    if !saved.errors.is_empty() || saved.stale {
        return step_response(&state, &ctx, &saved.draft, step, saved.errors, saved.stale);
    }
    if step + 1 < saved.draft.form.definition.steps.len() {
        Redirect::to(&format!("/account/drafts/{id}/step/{}", step + 1)).into_response()
    } else if tri!(files::components(&state, &saved.draft).await).is_empty() {
        Redirect::to(&format!("/account/drafts/{id}/check")).into_response()
    } else {
        Redirect::to(&format!("/account/drafts/{id}/files")).into_response()
    }
}

/// `POST /account/drafts/{id}/step/{step}/autosave`: the page's script
/// sends the page as it stands after each change (JSON answer: the new
/// revision, when it was saved, whether another device had saved since).
/// No session: 401, and the page's own buttons keep what was typed.
pub async fn step_autosave(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    Path((id, step)): Path<(String, usize)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let Some(v) = ctx.viewer.as_ref() else {
        if crate::ctx::cookie(&headers, crate::ctx::SESSION_COOKIE).is_none() {
            return ctx
                .user()
                .err()
                .unwrap_or_else(|| AppError::NotFound.into_response());
        }
        // The session ended: the script says so; the page's buttons
        // keep what was typed (parked until the person logs in).
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({ "error": "session_ended" })),
        )
            .into_response();
    };
    let posted: Posted = fields.into_iter().collect();
    let revision = posted
        .get("revision")
        .and_then(|r| r.parse::<i64>().ok())
        .unwrap_or(0);
    let saved = tri!(
        drafts::autosave(
            &state,
            &state.dossier_rules,
            v.account.id.get(),
            &id,
            step,
            revision,
            &posted
        )
        .await
    );
    let mut r = axum::Json(serde_json::json!({
        "revision": saved.draft.row.revision,
        "saved_at": motcua_domain::clock::format_vn(saved.draft.row.updated_at),
        "stale": saved.stale,
        "errors": saved.errors.len(),
    }))
    .into_response();
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

/// One answer on the "check your answers" page.
pub struct Answer {
    pub label: String,
    pub value: String,
    pub prefilled: bool,
}

/// One page's answers, with the link to change them.
pub struct Section {
    pub step: usize,
    pub title: String,
    pub answers: Vec<Answer>,
}

fn shown_value(c: &Chrome, f: &Field, v: &Value, l: &str) -> String {
    match (f.kind.as_str(), v) {
        ("choice", Value::String(s)) => f
            .options
            .iter()
            .find(|o| &o.value == s)
            .map_or(s.clone(), |o| o.label.get(l).to_string()),
        ("checkbox", Value::Bool(b)) => c
            .t(if *b { "dossiers.yes" } else { "dossiers.no" })
            .to_string(),
        ("money", Value::Number(n)) => format!("{} ₫", group_digits(&n.to_string())),
        ("date", Value::String(s)) => {
            let p: Vec<&str> = s.split('-').collect();
            if p.len() == 3 {
                format!("{}/{}/{}", p[2], p[1], p[0])
            } else {
                s.clone()
            }
        }
        ("address", Value::Object(o)) => ["street", "commune", "province"]
            .iter()
            .filter_map(|k| o.get(*k).and_then(|v| v.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
        ("group", Value::Array(rows)) => rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let parts: Vec<String> = f
                    .fields
                    .iter()
                    .filter_map(|g| {
                        r.get(&g.name)
                            .map(|x| format!("{}: {}", g.label.get(l), shown_value(c, g, x, l)))
                    })
                    .collect();
                format!("{}. {}", i + 1, parts.join("; "))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.to_string(),
        (_, Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn group_digits(s: &str) -> String {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 && ch.is_ascii_digit() {
            out.push('.');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push(',');
        out.push_str(frac);
    }
    out
}

#[derive(Template)]
#[template(path = "dossiers/check.html")]
struct CheckPage {
    c: Chrome,
    id: String,
    title: String,
    procedure: String,
    procedure_code: String,
    revision: i64,
    sections: Vec<Section>,
    errors: Vec<(String, String)>,
    stale: bool,
    /// (component, the files attached to it: name and link).
    files: Vec<(String, Vec<(String, String)>)>,
    /// Components with nothing attached.
    missing: Vec<String>,
    has_components: bool,
    /// The session's level is below the procedure's: the button leads to
    /// step-up first (the level needed).
    needs_level: Option<i64>,
    /// The form asks for a signature ("required") or offers one.
    sign: bool,
    sign_required: bool,
    /// The digest the signature covers (the draft as shown).
    digest: String,
    port: u16,
    sign_error: Option<String>,
    /// The SIM signature is configured: offer it too.
    sim: bool,
    /// The holder's phone, to prefill the SIM form.
    phone: String,
    /// The public postal service: the choice and its postage.
    postal: super::postal::PostalForm,
}

async fn check_response(
    state: &AppState,
    ctx: &Ctx,
    d: &Draft,
    errors: Vec<FieldError>,
    stale: bool,
) -> Response {
    check_page(state, ctx, d, errors, stale, None).await
}

async fn check_page(
    state: &AppState,
    ctx: &Ctx,
    d: &Draft,
    errors: Vec<FieldError>,
    stale: bool,
    sign_error: Option<String>,
) -> Response {
    let postal = super::postal::form_of(state, d.row.account_id, &d.row.public_id).await;
    check_page_with(state, ctx, d, errors, stale, sign_error, postal).await
}

/// The check page with the postal choice as typed and what is wrong
/// with it.
pub(super) async fn check_page_postal(
    state: &AppState,
    ctx: &Ctx,
    d: &Draft,
    postal: super::postal::PostalForm,
) -> Response {
    let mut r = check_page_with(state, ctx, d, Vec::new(), false, None, postal).await;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
}

#[allow(clippy::too_many_arguments)]
async fn check_page_with(
    state: &AppState,
    ctx: &Ctx,
    d: &Draft,
    errors: Vec<FieldError>,
    stale: bool,
    sign_error: Option<String>,
    postal: super::postal::PostalForm,
) -> Response {
    let l = lang(ctx);
    let c = Chrome::new(state, ctx);
    let level = ctx.viewer.as_ref().map_or(0, |v| v.session.assurance_level);
    let needed = tri!(motcua_catalog::queries::procedure(state, &d.row.procedure_code).await)
        .map_or(1, |e| e.record.assurance);
    let def = &d.form.definition;
    let comps = tri!(files::components(state, d).await);
    let attached = tri!(files::of_draft(state, d.row.id).await);
    let digest = if def.signature_offered() && d.row.status == "open" {
        tri!(submission::draft_digest(d, &attached))
    } else {
        String::new()
    };
    let has_components = !comps.is_empty();
    let mut file_groups = Vec::new();
    let mut missing = Vec::new();
    for comp in comps {
        let mine: Vec<(String, String)> = attached
            .iter()
            .filter(|f| f.component == comp.key)
            .map(|f| {
                (
                    if f.reused_from.is_some() {
                        format!("{} ({})", f.file_name, c.t("dossiers.reused_tag"))
                    } else {
                        f.file_name.clone()
                    },
                    format!("/account/drafts/{}/files/{}", d.row.public_id, f.id),
                )
            })
            .collect();
        if mine.is_empty() {
            missing.push(comp.name);
        } else {
            file_groups.push((comp.name, mine));
        }
    }
    let sections = def
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| Section {
            step: i,
            title: s.title.get(l).to_string(),
            answers: s
                .fields
                .iter()
                .filter(|f| answers::visible(f, &d.answers))
                .map(|f| Answer {
                    label: f.label.get(l).to_string(),
                    value: d
                        .answers
                        .get(&f.name)
                        .map(|v| shown_value(&c, f, v, l))
                        .unwrap_or_default(),
                    prefilled: d.prefilled.contains(&f.name),
                })
                .collect(),
        })
        .collect();
    let status = if errors.is_empty() && !stale && sign_error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let errors = errors
        .into_iter()
        .map(|e| {
            (
                format!(
                    "/account/drafts/{}/step/{}#{}",
                    d.row.public_id,
                    e.step.unwrap_or(0),
                    html_id(&e.input)
                ),
                e.message,
            )
        })
        .collect();
    let page = CheckPage {
        id: d.row.public_id.clone(),
        title: def.title.get(l).to_string(),
        procedure: d.row.procedure_name.clone(),
        procedure_code: d.row.procedure_code.clone(),
        revision: d.row.revision,
        sections,
        errors,
        stale,
        files: file_groups,
        missing,
        has_components,
        needs_level: (level < needed).then_some(needed),
        sign: def.signature_offered(),
        sign_required: def.signature_required(),
        digest,
        port: state.identity.signer_port,
        sign_error,
        sim: state.identity.sim.is_some(),
        phone: ctx
            .viewer
            .as_ref()
            .and_then(|v| v.account.phone.clone())
            .unwrap_or_default(),
        postal,
        c,
    };
    (status, render(&page)).into_response()
}

/// `GET /account/drafts/{id}/check`: every answer, what is still missing,
/// and the submit button.
pub async fn check(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(id): Path<String>,
) -> Response {
    let opened = tri!(drafts::open(&state, v.account.id.get(), &id).await);
    let d = opened.draft;
    if let Some(code) = &d.row.dossier_code {
        return Redirect::to(&format!("/account/dossiers/{code}")).into_response();
    }
    if let Some(dropped) = opened.moved {
        return moved_page(&state, &ctx, &d, dropped);
    }
    let validator = tri!(motcua_forms::service::validator(&d.form));
    let errors = motcua_forms::validate::errors(
        &d.form.definition,
        &validator,
        &d.answers,
        None,
        &state.i18n,
        ctx.locale,
    );
    check_response(&state, &ctx, &d, errors, false).await
}

#[derive(Deserialize)]
pub struct SubmitForm {
    /// Text, so that a malformed one gets the page's own refusal.
    revision: String,
    /// A signed challenge from the signing tool (a signed submission):
    /// its text, certificate, chain and signature.
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    certificate: String,
    #[serde(default)]
    chain: String,
    #[serde(default)]
    signature: String,
}

#[derive(Deserialize)]
pub struct SignSimForm {
    #[serde(default)]
    phone: String,
}

/// `POST /account/drafts/{id}/sign/sim`: asks the mobile-signature
/// provider for the holder's signature over the draft's digest; the
/// waiting page submits the dossier once the phone has signed. Each
/// request rings a phone: limited per IP and per number, reserved first.
pub async fn sign_sim(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(id): Path<String>,
    Form(f): Form<SignSimForm>,
) -> Response {
    let d = tri!(drafts::get(&state, v.account.id.get(), &id).await);
    if d.row.status != "open" {
        return AppError::Conflict("dossiers.error_draft_closed").into_response();
    }
    let attached = tri!(files::of_draft(&state, d.row.id).await);
    let digest = tri!(submission::draft_digest(&d, &attached));
    let phone: String = f.phone.trim().chars().take(20).collect();
    let limits = motcua_identity::sim::limits(&ctx.ip, &phone);
    match tri!(motcua_identity::service::rate_limit(&state, &limits).await) {
        Ok(()) => {}
        Err(_) => {
            let msg = Chrome::new(&state, &ctx)
                .t("error.rate_limited_hour")
                .to_string();
            return check_page(&state, &ctx, &d, Vec::new(), false, Some(msg)).await;
        }
    }
    match motcua_identity::sim::start_document(
        &state,
        &ctx.binding_hash,
        v.account.id,
        &digest,
        &format!("/account/drafts/{id}/check"),
        &phone,
    )
    .await
    {
        Ok(txn) => Redirect::to(&format!("/auth/sim/{txn}")).into_response(),
        Err(motcua_identity::sim::SimError::Token(
            motcua_identity::token::TokenError::Service(e),
        )) => AppError::from(e).into_response(),
        Err(e) => {
            let msg = Chrome::new(&state, &ctx).t(e.message_key()).to_string();
            check_page(&state, &ctx, &d, Vec::new(), false, Some(msg)).await
        }
    }
}

/// `POST /account/drafts/{id}/sign/challenge`: the text the applicant's
/// token signs — a challenge naming the draft's digest as it is now,
/// bound to this browser and account (the page's script calls it with
/// the CSRF header and hands the text to the signing tool).
pub async fn sign_challenge(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(id): Path<String>,
) -> Response {
    let digest = tri!(submission::digest_of(&state, v.account.id.get(), &id).await);
    let ch = motcua_identity::token::issue_document_challenge(
        &state,
        &ctx.binding_hash,
        v.account.id,
        &digest,
    );
    let mut r = axum::Json(serde_json::json!({
        "id": ch.id,
        "challenge": ch.to_text(),
        "digest": digest,
        "expires": motcua_pki::rfc3339(ch.expires),
    }))
    .into_response();
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

/// `POST /account/drafts/{id}/submit`.
pub async fn submit(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(id): Path<String>,
    Form(f): Form<SubmitForm>,
) -> Response {
    let account = v.account.id.get();
    let Ok(revision) = f.revision.trim().parse::<i64>() else {
        return AppError::BadRequest("error.bad_request").into_response();
    };
    // A signed submission: the signature is checked against the draft as
    // it is now, before anything is written.
    let signature = if f.challenge.trim().is_empty() {
        None
    } else {
        let signed = motcua_identity::token::SignedChallenge {
            challenge: f.challenge.clone(),
            certificate: f.certificate.clone(),
            chain: f.chain.clone(),
            signature: f.signature.clone(),
        };
        let digest = tri!(submission::digest_of(&state, account, &id).await);
        match motcua_identity::token::verify_document_signature(
            &state,
            &ctx.binding_hash,
            v.account.id,
            &digest,
            &signed,
        )
        .await
        {
            Ok(s) => Some(signature_of(s)),
            Err(motcua_identity::token::TokenError::Service(e)) => {
                return AppError::from(e).into_response()
            }
            Err(e) => {
                tracing::info!(reason = %e, "dossier signature refused");
                let d = tri!(drafts::get(&state, account, &id).await);
                let msg = Chrome::new(&state, &ctx).t(e.message_key()).to_string();
                return check_page(&state, &ctx, &d, Vec::new(), false, Some(msg)).await;
            }
        }
    };
    let channel = tri!(motcua_postal::service::channel_of(&state, account, &id).await);
    let outcome = submission::submit(
        &state,
        &origin(&ctx),
        &state.dossier_rules,
        &holder(&v, &ctx),
        &id,
        revision,
        signature.as_ref(),
        channel,
    )
    .await;
    outcome_response(&state, &ctx, account, &id, outcome).await
}

/// The page after a submission: the dossier, step-up, or the check page
/// with what stopped it.
async fn outcome_response(
    state: &AppState,
    ctx: &Ctx,
    account: i64,
    id: &str,
    outcome: motcua_kernel::service::Result<Submission>,
) -> Response {
    match outcome {
        Ok(Submission::Submitted(code)) => {
            // The post office is asked to collect the paper dossier; a
            // failure here is repaired by the postal context's worker task.
            if let Err(e) =
                motcua_postal::service::attach(state, &state.postal(), account, id, &code).await
            {
                tracing::warn!(error = %e, %code, "postal order not placed yet");
            }
            Redirect::to(&format!("/account/dossiers/{code}?flash=dossier_submitted"))
                .into_response()
        }
        Ok(Submission::NeedsLevel(n)) => {
            let next = crate::ctx::urlencode(&format!("/account/drafts/{id}/check"));
            Redirect::to(&format!("/auth/step-up?level={n}&next={next}")).into_response()
        }
        Ok(Submission::Incomplete(errors)) => {
            let d = tri!(drafts::get(state, account, id).await);
            check_response(state, ctx, &d, errors, false).await
        }
        Ok(Submission::FormChanged(dropped)) => {
            let d = tri!(drafts::get(state, account, id).await);
            moved_page(state, ctx, &d, dropped)
        }
        Ok(Submission::Supplement(ready)) => {
            let rules = super::agency::rules(state);
            match motcua_handling::cases::complete_supplement(state, &origin(ctx), &rules, &ready)
                .await
            {
                Ok(_) => Redirect::to(&format!(
                    "/account/dossiers/{}?flash=dossier_supplemented",
                    ready.code
                ))
                .into_response(),
                Err(motcua_kernel::ServiceError::Conflict("dossiers.error_draft_changed")) => {
                    let d = tri!(drafts::get(state, account, id).await);
                    if d.row.dossier_code.is_some() {
                        // Submitted by the other press of the button.
                        return Redirect::to(&format!(
                            "/account/dossiers/{}?flash=dossier_supplemented",
                            ready.code
                        ))
                        .into_response();
                    }
                    check_response(state, ctx, &d, Vec::new(), true).await
                }
                Err(e) => AppError::from(e).into_response(),
            }
        }
        Ok(Submission::NeedsSignature(_)) => {
            let d = tri!(drafts::get(state, account, id).await);
            let msg = Chrome::new(state, ctx)
                .t("dossiers.sign_needed")
                .to_string();
            check_page(state, ctx, &d, Vec::new(), false, Some(msg)).await
        }
        Err(motcua_kernel::ServiceError::Conflict("dossiers.error_signature_stale")) => {
            let d = tri!(drafts::get(state, account, id).await);
            let msg = Chrome::new(state, ctx)
                .t("dossiers.error_signature_stale")
                .to_string();
            check_page(state, ctx, &d, Vec::new(), false, Some(msg)).await
        }
        Err(motcua_kernel::ServiceError::Conflict("dossiers.error_draft_changed")) => {
            let d = tri!(drafts::get(state, account, id).await);
            check_response(state, ctx, &d, Vec::new(), true).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

/// What the dossiers context keeps of a signature the identity context
/// verified.
fn signature_of(s: motcua_identity::token::DocumentSignature) -> submission::Signature {
    submission::Signature {
        digest: s.digest,
        signed_text: s.signed_text,
        signature: s.signature,
        certificate: s.certificate,
        signer: s.signer,
        issuer_dn: s.issuer_dn,
        serial_hex: s.serial_hex,
        method: s.method,
        signed_at: s.signed_at,
    }
}

/// A dossier signed with the SIM signature: the waiting page of the SIM
/// flow hands the verified signature here; the draft is the one whose
/// check page started it, submitted at its current revision (the
/// signature's digest must match the draft as it is).
pub async fn submit_sim_signed(
    state: &AppState,
    ctx: &Ctx,
    s: motcua_identity::token::DocumentSignature,
    next: &str,
) -> Response {
    let v = match ctx.user() {
        Ok(v) => v.clone(),
        Err(r) => return r,
    };
    let Some(id) = next
        .strip_prefix("/account/drafts/")
        .and_then(|r| r.strip_suffix("/check"))
    else {
        return AppError::NotFound.into_response();
    };
    let account = v.account.id.get();
    let d = tri!(drafts::get(state, account, id).await);
    let signature = signature_of(s);
    let channel = tri!(motcua_postal::service::channel_of(state, account, id).await);
    let outcome = submission::submit(
        state,
        &origin(ctx),
        &state.dossier_rules,
        &holder(&v, ctx),
        id,
        d.row.revision,
        Some(&signature),
        channel,
    )
    .await;
    outcome_response(state, ctx, account, id, outcome).await
}

/// `POST /account/drafts/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(id): Path<String>,
) -> Response {
    tri!(drafts::delete(&state, &origin(&ctx), v.account.id.get(), &id).await);
    Redirect::to("/account/drafts?flash=draft_deleted").into_response()
}

/// One row of "my dossiers".
pub struct Row {
    pub code: String,
    pub procedure: String,
    pub agency: String,
    pub status_key: &'static str,
    pub submitted: String,
    pub appointment: String,
    pub days_left: String,
}

#[derive(Template)]
#[template(path = "dossiers/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    status: String,
    procedure: String,
    from: String,
    until: String,
    pager: String,
    drafts: usize,
    statuses: Vec<(String, &'static str)>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    procedure: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    after: Option<String>,
}

fn parse_day(s: &str) -> Result<Option<motcua_domain::Millis>, ()> {
    if s.is_empty() {
        return Ok(None);
    }
    let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| ())?;
    Ok(Some(motcua_domain::clock::from_vn_datetime(d.midnight())))
}

async fn row_of(
    state: &AppState,
    c: &Chrome,
    d: DossierRow,
) -> Result<Row, motcua_kernel::ServiceError> {
    let days_left = match d.appointment_at {
        Some(a) if d.status <= 6 => super::registration::left_text(state, c, a).await?.0,
        _ => String::new(),
    };
    Ok(Row {
        status_key: motcua_dossiers::status_key(d.status),
        submitted: motcua_domain::clock::format_vn(d.submitted_at),
        appointment: d
            .appointment_at
            .map(motcua_domain::clock::format_vn)
            .unwrap_or_default(),
        days_left,
        code: d.code,
        procedure: d.procedure_name,
        agency: d.agency_name,
    })
}

/// `/account/dossiers`: the person's dossiers, newest first, filtered.
pub async fn my_dossiers(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Query(q): Query<ListQuery>,
) -> Response {
    // Dossiers another one-stop system pushed before this person had an
    // account (or before their identity number was verified) are theirs
    // from the first look (issue #12 §2).
    let numbers: Vec<&str> = [&v.account.personal_id, &v.account.tax_code]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    tri!(motcua_dossiers::sync::adopt(&state, v.account.id.get(), &numbers).await);
    let c = Chrome::new(&state, &ctx);
    let after = match parse_after(&state, &c, q.after.as_deref()) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let status = match q.status.as_str() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(n) if (1..=10).contains(&n) => Some(n),
            _ => return AppError::BadRequest("error.bad_request").into_response(),
        },
    };
    let (Ok(from), Ok(until)) = (parse_day(&q.from), parse_day(&q.until)) else {
        return AppError::BadRequest("dossiers.error_date").into_response();
    };
    let procedure = Some(q.procedure.trim().to_string()).filter(|p| !p.is_empty());
    if procedure
        .as_deref()
        .is_some_and(|p| !motcua_forms::service::is_procedure_code(p))
    {
        return AppError::BadRequest("error.bad_request").into_response();
    }
    let filter = Filter {
        status,
        procedure,
        from,
        until: until.map(|u| u + 86_400_000),
    };
    let account = v.account.id.get();
    let (list, next) = tri!(queries::my_dossiers(&state, account, &filter, after).await);
    let mut rows = Vec::new();
    for d in list {
        rows.push(tri!(row_of(&state, &c, d).await));
    }
    let drafts = tri!(drafts::open_drafts(&state, account).await).len();
    let base = format!(
        "/account/dossiers?status={}&procedure={}&from={}&until={}",
        crate::ctx::urlencode(&q.status),
        crate::ctx::urlencode(&q.procedure),
        crate::ctx::urlencode(&q.from),
        crate::ctx::urlencode(&q.until)
    );
    let pager = cursor_pager(&c, &base, after.is_some(), next);
    render(&ListPage {
        c,
        rows,
        status: q.status,
        procedure: q.procedure,
        from: q.from,
        until: q.until,
        pager,
        drafts,
        statuses: (1..=10)
            .map(|n| (n.to_string(), motcua_dossiers::status_key(n)))
            .collect(),
    })
}

/// What a provincial one-stop system sent beyond the columns.
pub struct PushedView {
    /// (document code, digitised, reused).
    documents: Vec<(String, bool, bool)>,
    /// (name, amount in đồng, paid).
    fees: Vec<(String, String, bool)>,
    /// (title, number, issued).
    results: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "dossiers/dossier.html")]
struct DossierPage {
    c: Chrome,
    row: Row,
    code: String,
    procedure_code: String,
    withdrawable: bool,
    timeline: Vec<(String, &'static str, String, String)>,
    answers: Vec<Answer>,
    next_key: &'static str,
    /// (file name, link, size in KB, reused from the document store).
    files: Vec<(String, String, i64, bool)>,
    /// (signer, certificate serial, issuer, signed at, digest).
    signature: Option<(String, String, String, String, String)>,
    /// The agency asked for a supplement: what it asked.
    supplement: Option<String>,
    /// The notices the agency issued: (id, title key, issued at).
    notices: Vec<(i64, &'static str, String)>,
    /// The signed result documents: (id, title, signed at).
    results: Vec<(i64, String, String)>,
    /// The key for the public lookup.
    lookup_key: String,
    /// The applicant's evaluation given: (total of 18, satisfaction key).
    evaluation: Option<(i64, &'static str)>,
    /// The evaluation may be given or changed now.
    can_evaluate: bool,
    /// The nine indices' keys, in order.
    indices: Vec<(usize, &'static str)>,
    /// What the dossier is asked to pay.
    payments: Vec<super::payments::PayBox>,
    /// Awaiting payment, and nothing can be paid online.
    payments_offline: bool,
    /// Pushed by a provincial one-stop system: what it sent.
    pushed: Option<PushedView>,
    /// Forwarded to a ministry's specialized system: the results it
    /// returned (document id, title, when).
    forwarded: Option<Vec<(i64, String, String)>>,
    /// The public postal service: the choice, the orders.
    postal: super::postal::PostalView,
}

/// What the person must do next, per status.
fn next_key(status: i64) -> &'static str {
    match status {
        1 => "dossiers.next_1",
        5 => "dossiers.next_5",
        6 => "dossiers.next_6",
        9 => "dossiers.next_9",
        _ => "dossiers.next_none",
    }
}

/// `/account/dossiers/{code}`: the dossier, its timeline and answers.
pub async fn dossier_page(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(code): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Response {
    let view = tri!(queries::dossier(&state, v.account.id.get(), &code).await);
    let c = Chrome::new(&state, &ctx).with_flash(q.flash.as_deref());
    let l = lang(&ctx);
    let answers = match tri!(motcua_forms::service::by_id(&state, view.dossier.form_id).await) {
        Some(form) => {
            let data: Map<String, Value> =
                serde_json::from_str(&view.dossier.data).unwrap_or_default();
            form.definition
                .fields()
                .filter_map(|(_, f)| {
                    data.get(&f.name).map(|v| Answer {
                        label: f.label.get(l).to_string(),
                        value: shown_value(&c, f, v, l),
                        prefilled: false,
                    })
                })
                .collect()
        }
        None => Vec::new(),
    };
    let timeline = view
        .events
        .iter()
        .map(|e| {
            (
                motcua_domain::clock::format_vn(e.at),
                motcua_dossiers::status_key(e.status),
                if e.actor == "applicant" {
                    c.t("dossiers.by_applicant").to_string()
                } else {
                    e.actor.clone()
                },
                e.note.clone(),
            )
        })
        .collect();
    let d = view.dossier;
    let files = tri!(files::of_draft(&state, d.draft_id).await)
        .into_iter()
        .map(|f| {
            (
                f.file_name,
                format!("/account/dossiers/{}/files/{}", d.code, f.id),
                f.size / 1024,
                f.reused_from.is_some(),
            )
        })
        .collect();
    let signature = view.signature.map(|s| {
        (
            s.signer,
            s.serial_hex,
            s.issuer_dn,
            motcua_domain::clock::format_vn(s.signed_at),
            s.digest,
        )
    });
    let notices = tri!(motcua_handling::notices::of_holder_dossier(&state, &d).await)
        .into_iter()
        .map(|n| {
            (
                n.id,
                motcua_handling::notices::title_key(n.form),
                motcua_domain::clock::format_vn(n.issued_at),
            )
        })
        .collect();
    let results = tri!(motcua_handling::results::of_holder_dossier(&state, &d).await)
        .into_iter()
        .map(|r| {
            (
                r.id,
                r.title,
                r.signed_at
                    .map(motcua_domain::clock::format_vn)
                    .unwrap_or_default(),
            )
        })
        .collect();
    let pushed = (!d.origin.is_empty()).then(|| {
        let x = motcua_dossiers::sync::extra(&d);
        PushedView {
            documents: x.documents,
            fees: x
                .fees
                .into_iter()
                .map(|(n, a, p)| (n, super::payments::vnd(a), p))
                .collect(),
            results: x
                .results
                .into_iter()
                .map(|(t, n, at)| (t, n, motcua_domain::clock::format_vn(at)))
                .collect(),
        }
    });
    // What another system handles is acted on there, not here.
    let here = d.origin.is_empty() && d.handled_by.is_empty();
    let forwarded = if d.handled_by.is_empty() {
        None
    } else {
        Some(
            tri!(motcua_dossiers::forwarding::results(&state, v.account.id.get(), &d.code).await)
                .into_iter()
                .map(|r| (r.id, r.title, motcua_domain::clock::format_vn(r.created_at)))
                .collect::<Vec<_>>(),
        )
    };
    let withdrawable = here && d.status == submission::NEW;
    let supplement = (here && d.status == motcua_dossiers::progress::SUPPLEMENT).then(|| {
        view.events
            .iter()
            .rev()
            .find(|e| e.status == motcua_dossiers::progress::SUPPLEMENT)
            .map(|e| e.note.clone())
            .unwrap_or_default()
    });
    let status = d.status;
    let code = d.code.clone();
    let lookup_key = motcua_dossiers::lookup::key(&state, &code);
    let (given, can_evaluate) = tri!(
        motcua_handling::evaluation::of_dossier(&state, &super::agency::rules(&state), &d).await
    );
    let evaluation = given.map(|e| {
        (
            e.total,
            motcua_handling::evaluation::SATISFACTION
                .iter()
                .find(|(n, _)| *n == e.satisfaction)
                .map_or("handling.unknown", |(_, k)| *k),
        )
    });
    let procedure_code = d.procedure_code.clone();
    let payments = super::payments::boxes(
        &state,
        d.status,
        tri!(motcua_payments::service::of_dossier(&state, &state.payments(), &d).await),
    );
    let payments_offline =
        d.status == motcua_dossiers::progress::PAYMENT && !payments.iter().any(|p| p.can_pay);
    let handed_over = tri!(motcua_dossiers::queries::handed_over_at(&state, d.id).await);
    let postal = tri!(super::postal::view_of(&state, &d.code, handed_over).await);
    let row = tri!(row_of(&state, &c, d).await);
    render(&DossierPage {
        c,
        row,
        code,
        procedure_code,
        withdrawable,
        timeline,
        answers,
        next_key: next_key(status),
        files,
        signature,
        supplement,
        notices,
        results,
        lookup_key,
        evaluation,
        can_evaluate,
        indices: motcua_handling::evaluation::INDICES
            .iter()
            .copied()
            .enumerate()
            .collect(),
        payments,
        payments_offline,
        postal,
        pushed,
        forwarded,
    })
}

/// `POST /account/dossiers/{code}/supplement`: opens the draft in which
/// the applicant completes the dossier the agency asked more for.
pub async fn supplement(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(code): Path<String>,
) -> Response {
    let id = tri!(
        drafts::start_supplement(
            &state,
            &origin(&ctx),
            &state.dossier_rules,
            &holder(&v, &ctx),
            &code
        )
        .await
    );
    Redirect::to(&format!("/account/drafts/{id}/step/0")).into_response()
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    reason: String,
}

/// `POST /account/dossiers/{code}/withdraw`.
pub async fn withdraw(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(code): Path<String>,
    Form(f): Form<WithdrawForm>,
) -> Response {
    tri!(
        motcua_handling::cases::withdraw(
            &state,
            &origin(&ctx),
            v.account.id.get(),
            &code,
            &f.reason
        )
        .await
    );
    Redirect::to(&format!("/account/dossiers/{code}?flash=dossier_withdrawn")).into_response()
}

#[derive(Template)]
#[template(path = "dossiers/inbox.html")]
struct InboxPage {
    c: Chrome,
    items: Vec<(String, String, String, bool)>,
}

/// `/account/notifications`: the inbox, newest first.
pub async fn inbox(State(state): State<AppState>, Me(ctx, v): Me) -> Response {
    let rows = tri!(queries::inbox(&state, v.account.id.get(), None).await);
    let c = Chrome::new(&state, &ctx);
    let items = rows
        .into_iter()
        .map(|n| {
            let key = format!("dossiers.notify.{}", n.kind);
            let text = match state.i18n.static_key(&key) {
                Some(k) => c.t(k),
                None => c.t("dossiers.notify.unknown"),
            }
            .replace("{ref}", &n.reference);
            (
                motcua_domain::clock::format_vn(n.at),
                text,
                n.link,
                n.read_at.is_none(),
            )
        })
        .collect();
    render(&InboxPage { c, items })
}

/// `POST /account/notifications/read`.
pub async fn mark_read(State(state): State<AppState>, Me(_, v): Me) -> Response {
    tri!(queries::mark_read(&state, v.account.id.get()).await);
    Redirect::to("/account/notifications").into_response()
}

#[derive(Template)]
#[template(path = "dossiers/preferences.html")]
struct PreferencesPage {
    c: Chrome,
    /// (category, its label, mail wanted).
    categories: Vec<(&'static str, &'static str, bool)>,
}

/// `/account/notifications/settings`: mail per kind of notification.
pub async fn preferences_page(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Query(q): Query<FlashQuery>,
) -> Response {
    let c = Chrome::new(&state, &ctx).with_flash(q.flash.as_deref());
    let categories = tri!(queries::mail_preferences(&state, v.account.id.get()).await)
        .into_iter()
        .map(|(cat, on)| (cat, c.t(&format!("dossiers.preferences_{cat}")), on))
        .collect();
    render(&PreferencesPage { c, categories })
}

/// `POST /account/notifications/settings`: the categories ticked get mail.
pub async fn preferences_save(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let wanted: Vec<String> = fields
        .into_iter()
        .filter(|(k, _)| k == "mail")
        .map(|(_, v)| v)
        .collect();
    tri!(queries::set_mail_preferences(&state, &origin(&ctx), v.account.id.get(), &wanted).await);
    Redirect::to("/account/notifications/settings?flash=preferences_saved").into_response()
}

/// `/account/dossiers/{code}/receipt.pdf`: the receipt (Form 01).
pub async fn receipt(
    State(state): State<AppState>,
    Me(_, v): Me,
    Path(code): Path<String>,
) -> Response {
    let view = tri!(queries::dossier(&state, v.account.id.get(), &code).await);
    // The portal gives no receipt for what another system received.
    if !view.dossier.origin.is_empty() {
        return AppError::NotFound.into_response();
    }
    let title = tri!(motcua_forms::service::by_id(&state, view.dossier.form_id).await)
        .map(|f| f.definition.title.vi)
        .unwrap_or_else(|| view.dossier.procedure_name.clone());
    let key = motcua_dossiers::lookup::key(&state, &view.dossier.code);
    let pdf = match motcua_dossiers::receipt::render(&view.dossier, &title, &key) {
        Ok(pdf) => pdf,
        Err(e) => return AppError::Internal(e).into_response(),
    };
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"giay-tiep-nhan-{}.pdf\"",
                    view.dossier.code.replace(['/', '"'], "-")
                ),
            ),
        ],
        pdf,
    )
        .into_response()
}

/// One component on the files page, with what is attached to it.
pub struct ComponentView {
    pub c: Component,
    pub anchor: String,
    pub files: Vec<FileRow>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "dossiers/files.html")]
struct FilesPage {
    c: Chrome,
    id: String,
    procedure: String,
    lead: String,
    components: Vec<ComponentView>,
    error: Option<(String, String)>,
    /// The holder's document store, to choose from: (id, label).
    documents: Vec<(i64, String)>,
}

fn anchor_of(key: &str) -> String {
    format!(
        "tp-{}",
        key.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
    )
}

async fn files_response(
    state: &AppState,
    ctx: &Ctx,
    d: &Draft,
    refused: Option<(String, &'static str)>,
) -> Response {
    let c = Chrome::new(state, ctx);
    let comps = tri!(files::components(state, d).await);
    let attached = tri!(files::of_draft(state, d.row.id).await);
    let mut error = None;
    let components = comps
        .into_iter()
        .map(|comp| {
            let anchor = anchor_of(&comp.key);
            let e = refused
                .as_ref()
                .filter(|(k, _)| *k == comp.key)
                .map(|(_, key)| format!("{}: {}", comp.name, c.t(*key)));
            if let Some(m) = &e {
                error = Some((anchor.clone(), m.clone()));
            }
            ComponentView {
                files: attached
                    .iter()
                    .filter(|f| f.component == comp.key)
                    .cloned()
                    .collect(),
                anchor,
                error: e,
                c: comp,
            }
        })
        .collect();
    if error.is_none() {
        if let Some((_, key)) = &refused {
            error = Some((String::new(), c.t(*key).to_string()));
        }
    }
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mb = (state.config.max_upload_bytes / (1024 * 1024)).max(1);
    let documents = tri!(motcua_dossiers::documents::list(state, d.row.account_id).await)
        .into_iter()
        .map(|doc| {
            (
                doc.id,
                format!(
                    "{} — {} ({}, {})",
                    doc.title,
                    doc.file_name,
                    doc.dossier_code,
                    motcua_domain::clock::format_vn(doc.created_at)
                ),
            )
        })
        .collect();
    let page = FilesPage {
        documents,
        id: d.row.public_id.clone(),
        procedure: d.row.procedure_name.clone(),
        lead: c.t("dossiers.files_lead").replace("{mb}", &mb.to_string()),
        components,
        error,
        c,
    };
    (status, render(&page)).into_response()
}

/// `/account/drafts/{id}/files`: the procedure's components, what is
/// attached to each, an upload per component.
pub async fn files_page(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(id): Path<String>,
) -> Response {
    let d = tri!(drafts::get(&state, v.account.id.get(), &id).await);
    if let Some(code) = &d.row.dossier_code {
        return Redirect::to(&format!("/account/dossiers/{code}")).into_response();
    }
    files_response(&state, &ctx, &d, None).await
}

/// `POST /account/drafts/{id}/files` (multipart: `component`, then `file`).
pub async fn attach(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> Response {
    let account = v.account.id.get();
    let d = tri!(drafts::get(&state, account, &id).await);
    let mut component = String::new();
    let mut upload: Option<(String, Vec<u8>)> = None;
    let mut too_large = false;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                if name == "file" {
                    let file_name = field.file_name().unwrap_or_default().to_string();
                    match field.bytes().await {
                        Ok(b) => upload = Some((file_name, b.to_vec())),
                        Err(_) => {
                            too_large = true;
                            break;
                        }
                    }
                } else if name == "component" {
                    component = field
                        .text()
                        .await
                        .unwrap_or_default()
                        .chars()
                        .take(100)
                        .collect();
                }
            }
            Ok(None) => break,
            Err(_) => {
                too_large = true;
                break;
            }
        }
    }
    if too_large {
        return files_response(
            &state,
            &ctx,
            &d,
            Some((component, files::Refusal::TooLarge.key())),
        )
        .await;
    }
    let (file_name, bytes) = upload.unwrap_or_default();
    let outcome = tri!(
        files::attach(
            &state,
            &origin(&ctx),
            &state.dossier_rules,
            account,
            &id,
            &component,
            &file_name,
            &bytes
        )
        .await
    );
    match outcome {
        Ok(_) => Redirect::to(&format!(
            "/account/drafts/{id}/files#{}",
            anchor_of(&component)
        ))
        .into_response(),
        Err(refusal) => files_response(&state, &ctx, &d, Some((component, refusal.key()))).await,
    }
}

#[derive(Deserialize)]
pub struct ReuseForm {
    #[serde(default)]
    component: String,
    #[serde(default)]
    document: String,
}

/// `POST /account/drafts/{id}/files/reuse`: attaches a document from the
/// holder's document store to a component, marked as reused.
pub async fn reuse_file(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(id): Path<String>,
    Form(f): Form<ReuseForm>,
) -> Response {
    let account = v.account.id.get();
    let d = tri!(drafts::get(&state, account, &id).await);
    let Ok(document) = f.document.trim().parse::<i64>() else {
        return files_response(
            &state,
            &ctx,
            &d,
            Some((f.component, "dossiers.document_choose")),
        )
        .await;
    };
    let outcome = tri!(
        files::reuse(
            &state,
            &origin(&ctx),
            &state.dossier_rules,
            account,
            &id,
            &f.component,
            document
        )
        .await
    );
    match outcome {
        Ok(_) => Redirect::to(&format!(
            "/account/drafts/{id}/files#{}",
            anchor_of(&f.component)
        ))
        .into_response(),
        Err(refusal) => files_response(&state, &ctx, &d, Some((f.component, refusal.key()))).await,
    }
}

#[derive(Template)]
#[template(path = "dossiers/documents.html")]
struct DocumentsPage {
    c: Chrome,
    documents: Vec<motcua_dossiers::documents::DocumentRow>,
}

impl DocumentsPage {
    fn when(&self, at: &i64) -> String {
        motcua_domain::clock::format_vn(*at)
    }
}

/// `/account/documents`: the holder's document store (kho dữ liệu).
pub async fn documents_page(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Query(q): Query<FlashQuery>,
) -> Response {
    let documents = tri!(motcua_dossiers::documents::list(&state, v.account.id.get()).await);
    let c = Chrome::new(&state, &ctx).with_flash(q.flash.as_deref());
    render(&DocumentsPage { c, documents })
}

/// `/account/documents/{doc}`: one of the holder's documents.
pub async fn document_file(
    State(state): State<AppState>,
    Me(_, v): Me,
    Path(doc): Path<i64>,
) -> Response {
    let (d, data) =
        tri!(motcua_dossiers::documents::download(&state, v.account.id.get(), doc).await);
    file_response(&d.file_name, &d.content_type, data)
}

/// `POST /account/documents/{doc}/delete`.
pub async fn document_delete(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(doc): Path<i64>,
) -> Response {
    tri!(motcua_dossiers::documents::remove(&state, &origin(&ctx), v.account.id.get(), doc).await);
    Redirect::to("/account/documents?flash=document_removed").into_response()
}

/// `POST /account/drafts/{id}/files/{file}/delete`.
pub async fn remove_file(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path((id, file)): Path<(String, i64)>,
) -> Response {
    tri!(
        files::remove(
            &state,
            &origin(&ctx),
            &state.dossier_rules,
            v.account.id.get(),
            &id,
            file
        )
        .await
    );
    Redirect::to(&format!("/account/drafts/{id}/files")).into_response()
}

/// A download under the file's own name (ASCII fallback and RFC 5987),
/// never kept by shared caches.
pub(super) fn file_response(file_name: &str, content_type: &str, data: Vec<u8>) -> Response {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    crate::ctx::urlencode(file_name)
                ),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_string(),
            ),
        ],
        data,
    )
        .into_response()
}

/// `/account/drafts/{id}/files/{file}`: a file of the holder's draft.
pub async fn draft_file(
    State(state): State<AppState>,
    Me(_, v): Me,
    Path((id, file)): Path<(String, i64)>,
) -> Response {
    let (f, data) = tri!(files::download(&state, v.account.id.get(), &id, file).await);
    file_response(&f.file_name, &f.content_type, data)
}

/// `/account/dossiers/{code}/files/{file}`: a file of the holder's dossier.
pub async fn dossier_file(
    State(state): State<AppState>,
    Me(_, v): Me,
    Path((code, file)): Path<(String, i64)>,
) -> Response {
    let (f, data) = tri!(files::dossier_file(&state, v.account.id.get(), &code, file).await);
    file_response(&f.file_name, &f.content_type, data)
}

#[derive(Deserialize, Default)]
pub struct LookupQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    check: String,
}

#[derive(Template)]
#[template(path = "dossiers/lookup.html")]
struct LookupPage {
    c: Chrome,
    code: String,
    check: String,
    /// (procedure, agency, status key, submitted, appointment)
    found: Option<(String, String, &'static str, String, String)>,
    error: Option<&'static str>,
}

/// `GET /lookup?code=&check=`: the public lookup of a dossier by its code
/// and lookup key; status and dates only; rate limited per client.
pub async fn lookup(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LookupQuery>,
) -> Response {
    let code: String = q.code.trim().chars().take(60).collect();
    let check: String = q.check.trim().chars().take(20).collect();
    let asked = !code.is_empty() || !check.is_empty();
    let mut page = LookupPage {
        c: Chrome::new(&state, &ctx),
        code: code.clone(),
        check: check.clone(),
        found: None,
        error: None,
    };
    if !asked {
        return render(&page);
    }
    // The attempt is counted before the lookup (a script cannot try
    // keys faster than the limit, found or not).
    let limits = [(
        format!("rl:lookup:ip:{}", ctx.ip),
        motcua_domain::throttle::RateLimit::LOOKUP_PER_IP,
    )];
    if tri!(motcua_identity::service::rate_limit(&state, &limits).await).is_err() {
        page.error = Some("error.rate_limited_hour");
        let mut r = render(&page);
        *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return r;
    }
    match tri!(motcua_dossiers::lookup::find(&state, &code, &check).await) {
        Some(p) => {
            page.found = Some((
                p.procedure_name,
                p.agency_name,
                motcua_dossiers::status_key(p.status),
                motcua_domain::clock::format_vn(p.submitted_at),
                p.appointment_at
                    .map(motcua_domain::clock::format_vn)
                    .unwrap_or_default(),
            ));
            render(&page)
        }
        None => {
            page.error = Some("dossiers.lookup_none");
            let mut r = render(&page);
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    }
}
