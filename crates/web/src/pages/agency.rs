//! The agencies' back office (issue #9; R-PS-5, R-OP-3, R-OP-4): a civil
//! servant's inbox and their units' inboxes, a dossier at the agency with
//! the actions its workflow allows them, its control slip, claim and
//! assignment; the agency admin's people page and the operator's units
//! page. Every rule is in `motcua-handling`; this is HTTP only.
use super::auth::{self, origin};
use super::{render, Chrome, Operator};
use crate::ctx::{Ctx, Me};
use crate::error::{AppError, Refusal};
use crate::AppState;
use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use motcua_domain::clock::format_vn;
use motcua_domain::Role;
use motcua_handling::cases::{self, Act, Handled};
use motcua_handling::people::{self, Staff};
use motcua_handling::queries::{self, Scope};
use motcua_handling::workflow as wf;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agency", get(home))
        .route("/agency/units/{unit}", get(unit_inbox))
        .route("/agency/units/{unit}/log", get(unit_log))
        .route("/agency/units/{unit}/log.csv", get(unit_log_csv))
        .route("/agency/dossiers/{code}", get(case_page))
        .route("/agency/dossiers/{code}/act", post(act))
        .route(
            "/agency/dossiers/{code}/payment-request",
            post(raise_payment),
        )
        .route("/agency/dossiers/{code}/assign", post(assign))
        .route("/agency/dossiers/{code}/files/{file}", get(case_file))
        .route("/agency/dossiers/{code}/slip.pdf", get(slip_pdf))
        .route("/agency/dossiers/{code}/notices/{id}", get(case_notice))
        .route("/agency/staff", get(staff_page))
        .route("/agency/board", get(board))
        .route("/agency/staff/grant", post(grant))
        .route("/agency/staff/{id}/revoke", post(revoke))
        .route("/account/dossiers/{code}/evaluation", post(evaluate))
        .route(
            "/account/dossiers/{code}/notices/{id}",
            get(applicant_notice),
        )
        .route("/console/workflows", get(console_workflows))
        .route(
            "/console/workflows/{procedure}",
            get(console_workflow).post(console_workflow_publish),
        )
        .route(
            "/console/agencies/{agency}/units",
            get(console_units).post(console_add_unit),
        )
}

/// An optional id from a form field: `Ok(None)` when empty, the page's
/// 400 (`key`) when not a number.
fn optional_id(s: &str, key: &'static str) -> Result<Option<i64>, AppError> {
    match s.trim() {
        "" => Ok(None),
        s => s.parse().map(Some).map_err(|_| AppError::BadRequest(key)),
    }
}

/// A page shown again with a service's refusal: its status (422 bad
/// input, 409 changed state), or the error page for anything else.
pub(super) async fn refused<T: Template>(
    e: motcua_kernel::ServiceError,
    page: impl std::future::Future<Output = Result<T, AppError>>,
) -> Response {
    match Refusal::of(e) {
        Ok(r) => match page.await {
            Ok(p) => {
                let mut resp = render(&p);
                *resp.status_mut() = r.status;
                resp
            }
            Err(e) => e.into_response(),
        },
        Err(e) => AppError::from(e).into_response(),
    }
}

/// The operator as staff of every agency (the console's pages).
async fn operator_staff(state: &AppState, ctx: &Ctx) -> Result<Staff, AppError> {
    let v = ctx.user().map_err(|_| AppError::Forbidden)?;
    Ok(people::staff(state, v.account.id.get(), true).await?)
}

/// The handling context's rules, from the portal's configuration.
pub fn rules(state: &AppState) -> motcua_handling::Rules {
    motcua_handling::Rules {
        cutoff: state.dossier_rules.cutoff,
        seals: state.seals.clone(),
        ..Default::default()
    }
}

/// A logged-in civil servant holding a role in some agency's unit: as a
/// handler argument it refuses everyone else (login redirect, 403)
/// before the handler runs.
pub struct Staffer(pub Ctx, pub Staff);

impl FromRequestParts<AppState> for Staffer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Me(ctx, v) = Me::from_request_parts(parts, state).await?;
        auth::ready_user(state, &ctx).await?;
        if !v.account.has_role(Role::CivilServant) {
            return Err(AppError::Forbidden.into_response());
        }
        let staff = people::staff(state, v.account.id.get(), false)
            .await
            .map_err(|e| AppError::from(e).into_response())?;
        if !staff.is_staff() {
            return Err(AppError::Forbidden.into_response());
        }
        Ok(Staffer(ctx, staff))
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct InboxQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    procedure: String,
    #[serde(default)]
    unassigned: String,
    #[serde(default)]
    after: String,
    #[serde(default)]
    flash: Option<String>,
}

/// One line of an inbox.
pub struct Line {
    code: String,
    applicant: String,
    procedure: String,
    step: String,
    status_key: &'static str,
    state_key: &'static str,
    due: String,
    overdue: bool,
    assignee: bool,
}

/// A count the store stopped at [`queries::COUNT_CAP`], as shown.
fn capped(n: i64) -> String {
    if n >= queries::COUNT_CAP {
        format!("{}+", queries::COUNT_CAP)
    } else {
        n.to_string()
    }
}

fn state_key(s: &str) -> &'static str {
    match s {
        "open" => "handling.state_open",
        "paused" => "handling.state_paused",
        _ => "handling.state_closed",
    }
}

fn lines(rows: &[cases::Case], now: i64) -> Vec<Line> {
    rows.iter()
        .map(|k| Line {
            code: k.code.clone(),
            applicant: k.applicant_name.clone(),
            procedure: k.procedure_name.clone(),
            step: k.step.clone(),
            status_key: motcua_dossiers::status_key(k.status),
            state_key: state_key(&k.state),
            due: format_vn(k.step_due_at),
            overdue: k.state == "open" && k.step_due_at < now,
            assignee: k.assignee_id.is_some(),
        })
        .collect()
}

fn query_of(q: &InboxQuery) -> Result<queries::Query, AppError> {
    let after = match q.after.as_str() {
        "" => None,
        s => {
            let c = motcua_store::keyset::Cursor::parse(s)
                .ok_or(AppError::BadRequest("error.bad_cursor"))?;
            Some((c.key, c.id))
        }
    };
    Ok(queries::Query {
        q: q.q.chars().take(200).collect(),
        due: q.due.clone(),
        procedure: Some(q.procedure.trim().to_string()),
        state: Some(q.state.clone()).filter(|s| !s.is_empty()),
        unassigned: q.unassigned == "1",
        after,
    })
}

fn next_link(base: &str, q: &InboxQuery, rows: &[cases::Case]) -> String {
    if rows.len() < queries::PAGE as usize {
        return String::new();
    }
    let Some(last) = rows.last() else {
        return String::new();
    };
    let enc = crate::ctx::urlencode;
    format!(
        "{base}?q={}&due={}&state={}&procedure={}&unassigned={}&after={}.{}",
        enc(&q.q),
        enc(&q.due),
        enc(&q.state),
        enc(&q.procedure),
        enc(&q.unassigned),
        last.step_due_at,
        last.dossier_id
    )
}

#[derive(Template)]
#[template(path = "agency/home.html")]
struct HomePage {
    c: Chrome,
    title: String,
    action: String,
    units: Vec<(i64, String, String, &'static str)>,
    admin_agencies: Vec<String>,
    leader_agencies: Vec<String>,
    /// Counts, "10000+" past the cap.
    open: String,
    overdue: String,
    paused: String,
    awaiting: Vec<(String, String, String, String)>,
    rows: Vec<Line>,
    q: String,
    due: String,
    state: String,
    procedure: String,
    unassigned: bool,
    next: String,
}

fn units_of(s: &Staff) -> Vec<(i64, String, String, &'static str)> {
    s.memberships
        .iter()
        .map(|m| {
            (
                m.unit_id,
                m.unit_name.clone(),
                m.agency_code.clone(),
                motcua_handling::role_key(&m.role),
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "agency/none.html")]
struct NoRolePage {
    c: Chrome,
}

/// `GET /agency`: the person's own inbox, new dossiers awaiting receipt,
/// their units. A civil servant without a role yet reads how to get one
/// (the link is in every civil servant's menu); everyone else gets 403.
async fn home(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Query(q): Query<InboxQuery>,
) -> Response {
    if let Err(r) = auth::ready_user(&state, &ctx).await {
        return r;
    }
    if !v.account.has_role(Role::CivilServant) {
        return AppError::Forbidden.into_response();
    }
    let staff = tri!(people::staff(&state, v.account.id.get(), false).await);
    if !staff.is_staff() {
        return render(&NoRolePage {
            c: Chrome::new(&state, &ctx),
        });
    }
    let query = tri!(query_of(&q));
    let rows = tri!(queries::inbox(&state, &staff, &Scope::Mine, &query).await);
    let (open, overdue, paused) = tri!(queries::counts(&state, &staff).await);
    let awaiting = tri!(queries::awaiting_receipt(&state, &staff).await)
        .into_iter()
        .map(|d| {
            (
                d.code,
                d.applicant_name,
                d.procedure_name,
                format_vn(d.submitted_at),
            )
        })
        .collect();
    let c = Chrome::new(&state, &ctx).with_flash(q.flash.as_deref());
    let title = c.t("handling.inbox_mine").to_string();
    render(&HomePage {
        title,
        action: "/agency".into(),
        units: units_of(&staff),
        admin_agencies: staff
            .agencies()
            .into_iter()
            .filter(|a| staff.admin_of(a))
            .collect(),
        leader_agencies: staff
            .memberships
            .iter()
            .filter(|m| m.role == wf::APPROVER || m.role == wf::ADMIN)
            .map(|m| m.agency_code.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        open: capped(open),
        overdue: capped(overdue),
        paused: capped(paused),
        awaiting,
        next: next_link("/agency", &q, &rows),
        rows: lines(&rows, state.now()),
        q: q.q,
        due: q.due,
        state: q.state,
        procedure: q.procedure,
        unassigned: q.unassigned == "1",
        c,
    })
}

/// `GET /agency/units/{unit}`: a unit's inbox (its people only).
async fn unit_inbox(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Path(unit): Path<i64>,
    Query(q): Query<InboxQuery>,
) -> Response {
    let query = tri!(query_of(&q));
    let rows = tri!(queries::inbox(&state, &staff, &Scope::Unit(unit), &query).await);
    let u = tri!(people::unit(&state, unit)
        .await
        .and_then(|u| u.ok_or(motcua_kernel::ServiceError::NotFound)));
    let (open, overdue, paused) = tri!(queries::counts(&state, &staff).await);
    let c = Chrome::new(&state, &ctx);
    let base = format!("/agency/units/{unit}");
    render(&HomePage {
        title: format!("{} — {}", u.name, u.agency_code),
        next: next_link(&base, &q, &rows),
        action: base,
        units: units_of(&staff),
        admin_agencies: Vec::new(),
        leader_agencies: Vec::new(),
        open: capped(open),
        overdue: capped(overdue),
        paused: capped(paused),
        awaiting: Vec::new(),
        rows: lines(&rows, state.now()),
        q: q.q,
        due: q.due,
        state: q.state,
        procedure: q.procedure,
        unassigned: q.unassigned == "1",
        c,
    })
}

#[derive(Template)]
#[template(path = "agency/case.html")]
pub(super) struct CasePage {
    c: Chrome,
    code: String,
    applicant: String,
    procedure: String,
    procedure_code: String,
    agency: String,
    status_key: &'static str,
    state_key: &'static str,
    step: String,
    unit: String,
    submitted: String,
    deadline: String,
    step_due: String,
    overdue: bool,
    assignee: String,
    seen: String,
    reason: String,
    answers: Vec<(String, String)>,
    files: Vec<(String, String, i64)>,
    timeline: Vec<(String, &'static str, String, String)>,
    slip: Vec<SlipLine>,
    actions: Vec<(String, String, &'static str, String)>,
    departments: Vec<(i64, String)>,
    /// Departments of other agencies (a transfer between agencies).
    elsewhere: Vec<(i64, String)>,
    can_claim: bool,
    can_assign: Vec<(i64, String)>,
    error: Option<&'static str>,
    note: String,
    notices: Vec<(i64, &'static str, String)>,
    results: Vec<ResultLine>,
    /// The person may add and remove results now.
    can_prepare: bool,
    /// The procedure's result template filled with the dossier's answers
    /// (what the result form starts with).
    result_title: String,
    result_text: String,
    /// What the dossier is asked to pay.
    payments: Vec<super::payments::PayBox>,
    /// The payment request form as typed: kind, name, amount, note.
    pay_form: [String; 4],
    /// The public postal service: the choice, the orders.
    postal: super::postal::PostalView,
}

struct ResultLine {
    id: i64,
    title: String,
    source_key: &'static str,
    kb: i64,
    /// When signed (empty: not yet).
    signed: String,
    signer: String,
}

struct SlipLine {
    step: String,
    unit: String,
    from: String,
    until: String,
    due: String,
    action_key: &'static str,
    who: String,
    on_time_key: &'static str,
    note: String,
}

pub(super) async fn case_view(
    state: &AppState,
    ctx: &Ctx,
    staff: &Staff,
    code: &str,
    error: Option<&'static str>,
    note: String,
    flash: Option<&str>,
) -> Result<CasePage, AppError> {
    let h: Handled = cases::get(state, staff, code).await?;
    let c = Chrome::new(state, ctx).with_flash(flash);
    let l = c.lang();
    let now = state.now();
    let units = people::units(
        state,
        h.case
            .as_ref()
            .map_or(&h.facts.agency_code, |k| &k.agency_code),
    )
    .await?;
    let unit_name = |id: i64| {
        units
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| id.to_string(), |u| u.name.clone())
    };
    let step = h.step();
    let step_name = step.map_or_else(String::new, |s| s.name.clone());
    let actions = cases::actions(staff, &h)
        .into_iter()
        .map(|(kind, to)| {
            let target = h
                .workflow
                .step(&to)
                .map_or_else(String::new, |s| s.name.clone());
            let key = motcua_handling::action_key(&kind);
            (kind, to, key, target)
        })
        .collect();
    let current_unit = h.case.as_ref().map(|k| k.unit_id);
    let departments = units
        .iter()
        .filter(|u| u.kind == wf::DEPARTMENT && Some(u.id) != current_unit)
        .map(|u| (u.id, u.name.clone()))
        .collect();
    let may_transfer = cases::actions(staff, &h)
        .iter()
        .any(|(k, _)| k == wf::TRANSFER);
    let elsewhere = if may_transfer {
        people::departments_elsewhere(
            state,
            h.case
                .as_ref()
                .map_or(&h.facts.agency_code, |k| &k.agency_code),
        )
        .await?
        .into_iter()
        .map(|u| (u.id, format!("{} — {}", u.agency_code, u.name)))
        .collect()
    } else {
        Vec::new()
    };
    let form = motcua_forms::service::by_id(state, h.facts.form_id).await?;
    // Each answer as people read it (a choice by its label, a date as
    // dd/mm/yyyy): shown on the page under its label, and by field name
    // for the procedure's result template.
    let mut values = std::collections::BTreeMap::new();
    let mut answers = Vec::new();
    if let Some(form) = &form {
        let data: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&h.facts.data).unwrap_or_default();
        for (_, f) in form.definition.fields() {
            let Some(v) = data.get(&f.name) else {
                continue;
            };
            let text = match v {
                serde_json::Value::String(s) => match f.kind.as_str() {
                    "choice" => f
                        .options
                        .iter()
                        .find(|o| &o.value == s)
                        .map_or_else(|| s.clone(), |o| o.label.get(l).to_string()),
                    "date" => {
                        let p: Vec<&str> = s.split('-').collect();
                        if p.len() == 3 {
                            format!("{}/{}/{}", p[2], p[1], p[0])
                        } else {
                            s.clone()
                        }
                    }
                    _ => s.clone(),
                },
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                other => {
                    answers.push((f.label.get(l).to_string(), other.to_string()));
                    continue;
                }
            };
            answers.push((f.label.get(l).to_string(), text.clone()));
            values.insert(f.name.clone(), text);
        }
    }
    let (result_title, result_text) =
        h.workflow
            .result
            .as_ref()
            .map_or_else(Default::default, |t| {
                (
                    // Within the form's limits (a long answer would make the
                    // prefilled result refused on submit).
                    wf::fill(&t.title, &values).chars().take(200).collect(),
                    wf::fill(&t.text, &values).chars().take(8000).collect(),
                )
            });
    let files = motcua_dossiers::files::of_draft(state, h.facts.draft_id)
        .await?
        .into_iter()
        .map(|f| {
            (
                f.file_name,
                format!("/agency/dossiers/{code}/files/{}", f.id),
                f.size / 1024,
            )
        })
        .collect();
    let timeline = cases::timeline(state, &h)
        .await?
        .into_iter()
        .map(|e| {
            (
                format_vn(e.at),
                motcua_dossiers::status_key(e.status),
                if e.actor == "applicant" {
                    c.t("dossiers.by_applicant").to_string()
                } else {
                    e.actor
                },
                e.note,
            )
        })
        .collect();
    let slip_rows = cases::slip(state, &h).await?;
    // Who acted and who holds the case, by name.
    let named: Vec<i64> = slip_rows
        .iter()
        .filter_map(|s| s.actor_id)
        .chain(h.case.as_ref().and_then(|k| k.assignee_id))
        .collect();
    let names = people::names(state, &named).await?;
    let name_of = |id: i64| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
    let slip = slip_rows
        .into_iter()
        .map(|s| SlipLine {
            step: if s.step == cases::WAITING {
                c.t("handling.slip_waiting").to_string()
            } else {
                h.workflow
                    .step(&s.step)
                    .map_or_else(|| s.step.clone(), |st| st.name.clone())
            },
            unit: unit_name(s.unit_id),
            from: format_vn(s.started_at),
            until: s.ended_at.map(format_vn).unwrap_or_default(),
            due: if s.step == cases::WAITING {
                String::new()
            } else {
                format_vn(s.due_at)
            },
            action_key: if s.action.is_empty() {
                "handling.slip_current"
            } else {
                motcua_handling::action_key(&s.action)
            },
            who: s.actor_id.map(name_of).unwrap_or_default(),
            on_time_key: match (s.step == cases::WAITING, s.on_time, s.ended_at) {
                (true, _, _) => "handling.slip_not_counted",
                (_, Some(true), _) => "handling.slip_on_time",
                (_, Some(false), _) => "handling.slip_late",
                (_, None, None) if now > s.due_at => "handling.slip_late",
                _ => "handling.slip_running",
            },
            note: s.note,
        })
        .collect();
    let (can_claim, can_assign) = match (&h.case, step) {
        (Some(k), Some(st)) if k.state != "closed" => {
            let claim = staff.holds(k.unit_id, &st.role) && k.assignee_id != Some(staff.account_id);
            let leader = staff.holds(k.unit_id, wf::APPROVER) || staff.holds(k.unit_id, wf::ADMIN);
            let people = if leader {
                people::people_of_unit(state, k.unit_id, &st.role).await?
            } else {
                Vec::new()
            };
            (claim, people)
        }
        _ => (false, Vec::new()),
    };
    let notices = cases::notices(state, &h)
        .await?
        .into_iter()
        .map(|n| {
            (
                n.id,
                motcua_handling::notices::title_key(n.form),
                format_vn(n.issued_at),
            )
        })
        .collect();
    let results = motcua_handling::results::of_dossier(state, &h)
        .await?
        .into_iter()
        .map(|r| ResultLine {
            id: r.id,
            title: r.title,
            source_key: if r.source == motcua_handling::results::GENERATED {
                "handling.result_generated"
            } else {
                "handling.result_uploaded"
            },
            kb: (r.size + 1023) / 1024,
            signed: r.signed_at.map(format_vn).unwrap_or_default(),
            signer: r.signer,
        })
        .collect();
    let k = h.case.as_ref();
    let can_prepare = match (k, step) {
        (Some(k), Some(st)) => {
            k.state == "open" && matches!(h.facts.status, 2 | 4) && staff.holds(k.unit_id, &st.role)
        }
        _ => false,
    };
    let payments = super::payments::boxes(
        state,
        h.facts.status,
        motcua_payments::service::of_case(state, &state.payments(), &h).await?,
    );
    let handed_over = motcua_dossiers::queries::handed_over_at(state, h.facts.id).await?;
    let postal = super::postal::view_of(state, &h.facts.code, handed_over).await?;
    Ok(CasePage {
        postal,
        pay_form: Default::default(),
        payments,
        results,
        can_prepare,
        result_title,
        result_text,
        notices,
        code: h.facts.code.clone(),
        applicant: h.facts.applicant_name.clone(),
        procedure: h.facts.procedure_name.clone(),
        procedure_code: h.facts.procedure_code.clone(),
        agency: h.facts.agency_name.clone(),
        status_key: motcua_dossiers::status_key(h.facts.status),
        state_key: k.map_or("handling.state_new", |k| state_key(&k.state)),
        step: step_name,
        unit: k.map(|k| unit_name(k.unit_id)).unwrap_or_default(),
        submitted: format_vn(h.facts.submitted_at),
        deadline: k
            .and_then(|k| k.deadline_at)
            .map(format_vn)
            .unwrap_or_default(),
        step_due: k.map(|k| format_vn(k.step_due_at)).unwrap_or_default(),
        overdue: k.is_some_and(|k| k.state == "open" && k.step_due_at < now),
        assignee: k
            .and_then(|k| k.assignee_id)
            .map(name_of)
            .unwrap_or_default(),
        seen: k.map(|k| k.updated_at.to_string()).unwrap_or_default(),
        reason: k.map(|k| k.reason.clone()).unwrap_or_default(),
        answers,
        files,
        timeline,
        slip,
        actions,
        departments,
        elsewhere,
        can_claim,
        can_assign,
        error,
        note,
        c,
    })
}

#[derive(Deserialize)]
pub struct FlashQuery {
    flash: Option<String>,
}

/// `GET /agency/dossiers/{code}`.
async fn case_page(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Path(code): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Response {
    let page = tri!(
        case_view(
            &state,
            &ctx,
            &staff,
            &code,
            None,
            String::new(),
            q.flash.as_deref()
        )
        .await
    );
    render(&page)
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    seen: String,
}

/// `POST /agency/dossiers/{code}/act`: an action of the workflow; a
/// refusal shows the page again with the message and what was typed.
async fn act(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Path(code): Path<String>,
    Form(f): Form<ActForm>,
) -> Response {
    let unit = tri!(optional_id(&f.unit, "handling.error_unit"));
    let date = match f.date.trim() {
        "" => None,
        s => {
            match time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")) {
                Ok(d) => Some(d),
                Err(_) => return AppError::BadRequest("handling.error_date").into_response(),
            }
        }
    };
    let seen = tri!(optional_id(&f.seen, "handling.error_changed"));
    let a = Act {
        kind: f.kind.clone(),
        to: f.to.clone(),
        unit,
        note: f.note.clone(),
        date,
        seen,
    };
    // A result is handed over only when nothing is owed (the payments
    // context says).
    let guard = if a.kind == wf::RETURN {
        motcua_payments::service::return_guard(&state, &state.payments(), &staff, &code).await
    } else {
        Ok(())
    };
    // A result the applicant chose to receive by post goes to the post
    // office (the postal context says); it is returned when delivered.
    let posted = match guard {
        Ok(()) if a.kind == wf::RETURN => {
            motcua_postal::service::hand_over_result(
                &state,
                &state.postal(),
                &origin(&ctx),
                &staff,
                &code,
            )
            .await
        }
        Ok(()) => Ok(false),
        Err(e) => Err(e),
    };
    if let Ok(true) = posted {
        return Redirect::to(&format!("/agency/dossiers/{code}?flash=result_posted"))
            .into_response();
    }
    let done = match posted {
        Ok(_) => cases::act(&state, &origin(&ctx), &rules(&state), &staff, &code, &a).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => {
            Redirect::to(&format!("/agency/dossiers/{code}?flash=handling_done")).into_response()
        }
        Err(e) => {
            let key = e.message_key();
            refused(
                e,
                case_view(&state, &ctx, &staff, &code, Some(key), f.note, None),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    person: String,
    #[serde(default)]
    seen: String,
}

/// `POST /agency/dossiers/{code}/assign`: claim (no person) or assign.
async fn assign(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Path(code): Path<String>,
    Form(f): Form<AssignForm>,
) -> Response {
    let person = tri!(optional_id(&f.person, "handling.error_assignee"));
    let Ok(seen) = f.seen.trim().parse::<i64>() else {
        return AppError::Conflict("handling.error_changed").into_response();
    };
    tri!(cases::assign(&state, &origin(&ctx), &staff, &code, person, seen).await);
    Redirect::to(&format!("/agency/dossiers/{code}?flash=handling_assigned")).into_response()
}

/// `GET /agency/dossiers/{code}/files/{file}`: a file of the dossier, for
/// the agency's people only.
async fn case_file(
    State(state): State<AppState>,
    Staffer(_ctx, staff): Staffer,
    Path((code, file)): Path<(String, i64)>,
) -> Response {
    let (f, bytes) = tri!(cases::file(&state, &staff, &code, file).await);
    super::dossiers::file_response(&f.file_name, &f.content_type, bytes)
}

#[derive(Template)]
#[template(path = "agency/staff.html")]
struct StaffPage {
    c: Chrome,
    agency: String,
    agency_name: String,
    operator: bool,
    units: Vec<(i64, String, String, &'static str)>,
    people: Vec<(i64, String, String, &'static str, String)>,
    roles: Vec<(&'static str, &'static str)>,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct AgencyQuery {
    #[serde(default)]
    agency: String,
    flash: Option<String>,
}

async fn staff_view(
    state: &AppState,
    ctx: &Ctx,
    who: &Staff,
    agency: &str,
    error: Option<&'static str>,
    flash: Option<&str>,
) -> Result<StaffPage, AppError> {
    let people_rows = people::people(state, who, agency).await?;
    let a = motcua_catalog::queries::agency(state, agency)
        .await?
        .ok_or(AppError::NotFound)?;
    let units = people::units(state, agency)
        .await?
        .into_iter()
        .map(|u| {
            let kind = if u.kind == wf::ONE_STOP {
                "handling.unit_one_stop"
            } else {
                "handling.unit_department"
            };
            (u.id, u.code, u.name, kind)
        })
        .collect();
    let ids: Vec<i64> = people_rows.iter().map(|m| m.account_id).collect();
    let names = people::names(state, &ids).await?;
    let people = people_rows
        .into_iter()
        .map(|m| {
            (
                m.id,
                names.get(&m.account_id).cloned().unwrap_or_default(),
                m.unit_name,
                motcua_handling::role_key(&m.role),
                m.granted_by,
            )
        })
        .collect();
    Ok(StaffPage {
        c: Chrome::new(state, ctx).with_flash(flash),
        agency: agency.to_string(),
        agency_name: a.name,
        operator: who.operator,
        units,
        people,
        roles: wf::ROLES
            .iter()
            .map(|r| (*r, motcua_handling::role_key(r)))
            .collect(),
        error,
    })
}

/// `GET /agency/staff?agency=`: the agency admin's people page.
async fn staff_page(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Query(q): Query<AgencyQuery>,
) -> Response {
    let agency = staff.agency_or_first_administered(&q.agency);
    let page = tri!(staff_view(&state, &ctx, &staff, &agency, None, q.flash.as_deref()).await);
    render(&page)
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
}

/// The viewer as staff, the operator included (for the people pages,
/// which the operator also uses).
pub(crate) async fn staff_or_operator(state: &AppState, ctx: &Ctx) -> Result<Staff, Response> {
    let v = ctx.user()?;
    auth::ready_user(state, ctx).await?;
    let operator = v.account.has_role(Role::Operator);
    if !operator && !v.account.has_role(Role::CivilServant) {
        return Err(AppError::Forbidden.into_response());
    }
    let s = people::staff(state, v.account.id.get(), operator)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    if !s.operator && !s.is_staff() {
        return Err(AppError::Forbidden.into_response());
    }
    Ok(s)
}

/// `POST /agency/staff/grant` (an agency admin, or the operator).
async fn grant(State(state): State<AppState>, ctx: Ctx, Form(f): Form<GrantForm>) -> Response {
    let staff = match staff_or_operator(&state, &ctx).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(unit) = f.unit.trim().parse::<i64>() else {
        return AppError::BadRequest("handling.error_unit").into_response();
    };
    let u = tri!(people::unit(&state, unit).await);
    let back = |agency: &str| {
        if staff.operator && !staff.admin_of(agency) {
            format!("/console/agencies/{agency}/units")
        } else {
            format!("/agency/staff?agency={agency}")
        }
    };
    match people::grant(&state, &origin(&ctx), &staff, unit, &f.username, &f.role).await {
        Ok(()) => {
            let agency = u.map(|u| u.agency_code).unwrap_or_default();
            let to = back(&agency);
            let sep = if to.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{to}{sep}flash=handling_granted")).into_response()
        }
        Err(e) => match u {
            Some(u) => {
                let key = e.message_key();
                refused(
                    e,
                    staff_view(&state, &ctx, &staff, &u.agency_code, Some(key), None),
                )
                .await
            }
            None => AppError::from(e).into_response(),
        },
    }
}

/// `POST /agency/staff/{id}/revoke`.
async fn revoke(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> Response {
    let staff = match staff_or_operator(&state, &ctx).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    tri!(people::revoke(&state, &origin(&ctx), &staff, id).await);
    Redirect::to("/agency/staff?flash=handling_revoked").into_response()
}

/// `GET /console/agencies/{agency}/units`: the operator's page of an
/// agency's units and people.
async fn console_units(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(agency): Path<String>,
    Query(q): Query<AgencyQuery>,
) -> Response {
    let staff = tri!(operator_staff(&state, &ctx).await);
    let page = tri!(staff_view(&state, &ctx, &staff, &agency, None, q.flash.as_deref()).await);
    render(&page)
}

#[derive(Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

/// `POST /console/agencies/{agency}/units`: adds a unit.
async fn console_add_unit(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(agency): Path<String>,
    Form(f): Form<UnitForm>,
) -> Response {
    let staff = tri!(operator_staff(&state, &ctx).await);
    match people::add_unit(
        &state,
        &origin(&ctx),
        &staff,
        &agency,
        &f.code,
        &f.name,
        &f.kind,
    )
    .await
    {
        Ok(_) => Redirect::to(&format!(
            "/console/agencies/{agency}/units?flash=handling_unit_added"
        ))
        .into_response(),
        Err(e) => {
            let key = e.message_key();
            refused(
                e,
                staff_view(&state, &ctx, &staff, &agency, Some(key), None),
            )
            .await
        }
    }
}

fn pdf_response(bytes: Vec<u8>, name: &str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}\"", name.replace(['"', '\\'], "_")),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /agency/dossiers/{code}/slip.pdf`: the control slip (Form 06).
async fn slip_pdf(
    State(state): State<AppState>,
    Staffer(_ctx, staff): Staffer,
    Path(code): Path<String>,
) -> Response {
    let bytes = tri!(cases::slip_pdf(&state, &staff, &code).await);
    pdf_response(bytes, &format!("phieu-kiem-soat-{code}.pdf"))
}

/// `GET /agency/dossiers/{code}/notices/{id}`: a notice issued on it.
async fn case_notice(
    State(state): State<AppState>,
    Staffer(_ctx, staff): Staffer,
    Path((code, id)): Path<(String, i64)>,
) -> Response {
    let h = tri!(cases::get(&state, &staff, &code).await);
    let list = tri!(cases::notices(&state, &h).await);
    let Some(n) = list.into_iter().find(|n| n.id == id) else {
        return AppError::NotFound.into_response();
    };
    let bytes = tri!(motcua_handling::notices::pdf(&n).map_err(AppError::Internal));
    pdf_response(bytes, &format!("thong-bao-{:02}-{code}.pdf", n.form))
}

/// `GET /account/dossiers/{code}/notices/{id}`: the applicant's copy.
pub async fn applicant_notice(
    State(state): State<AppState>,
    Me(_ctx, v): Me,
    Path((code, id)): Path<(String, i64)>,
) -> Response {
    let list =
        tri!(motcua_handling::notices::of_applicant(&state, v.account.id.get(), &code).await);
    let Some(n) = list.into_iter().find(|n| n.id == id) else {
        return AppError::NotFound.into_response();
    };
    let bytes = tri!(motcua_handling::notices::pdf(&n).map_err(AppError::Internal));
    pdf_response(bytes, &format!("thong-bao-{:02}-{code}.pdf", n.form))
}

#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    agency: String,
}

#[derive(Template)]
#[template(path = "agency/workflows.html")]
struct WorkflowsPage {
    c: Chrome,
    own: Vec<(String, i64)>,
}

/// `GET /console/workflows`: the default workflow and the procedures
/// with one of their own.
async fn console_workflows(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Query(q): Query<CodeQuery>,
) -> Response {
    let agency = q.agency.trim();
    if !agency.is_empty() {
        if agency.len() > 40
            || !agency
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        {
            return AppError::BadRequest("catalog.error_code").into_response();
        }
        return Redirect::to(&format!("/console/agencies/{agency}/units")).into_response();
    }
    let code = q.code.trim();
    if !code.is_empty() {
        // The code is a path segment: only what a procedure code holds.
        if code.len() > 40
            || !code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return AppError::BadRequest("catalog.error_code").into_response();
        }
        return Redirect::to(&format!("/console/workflows/{code}")).into_response();
    }
    let own = tri!(motcua_handling::workflows::procedures(&state).await)
        .into_iter()
        .filter(|(p, _)| !p.is_empty())
        .collect();
    render(&WorkflowsPage {
        c: Chrome::new(&state, &ctx),
        own,
    })
}

/// A step as the workflow page shows it: key, name, role key, unit key,
/// share, and its actions (action key, target step's name).
type StepRow = (
    String,
    String,
    &'static str,
    &'static str,
    u32,
    Vec<(&'static str, String)>,
);

#[derive(Template)]
#[template(path = "agency/workflow.html")]
struct WorkflowPage {
    c: Chrome,
    /// The path segment: a procedure code or `default`.
    key: String,
    procedure: String,
    text: String,
    /// (version, status, by, at)
    versions: Vec<(i64, String, String, String)>,
    /// (key, name, role key, unit key, share, [(action key, target)])
    steps: Vec<StepRow>,
    problems: Vec<(String, &'static str)>,
}

fn unit_key(u: &str) -> &'static str {
    if u == wf::ONE_STOP {
        "handling.unit_one_stop"
    } else {
        "handling.unit_department"
    }
}

async fn workflow_page(
    state: &AppState,
    ctx: &Ctx,
    key: &str,
    text: Option<String>,
    problems: Vec<wf::Problem>,
) -> Result<WorkflowPage, AppError> {
    let procedure = if key == "default" {
        String::new()
    } else {
        key.to_string()
    };
    if !procedure.is_empty()
        && motcua_catalog::queries::procedure(state, &procedure)
            .await?
            .is_none()
    {
        return Err(AppError::NotFound);
    }
    let versions = motcua_handling::workflows::versions(state, &procedure).await?;
    let current = match versions.iter().find(|v| v.status == "published") {
        Some(v) => motcua_handling::workflows::parse_stored(v)?,
        None => match motcua_handling::workflows::versions(state, "")
            .await?
            .iter()
            .find(|v| v.status == "published")
        {
            Some(v) => motcua_handling::workflows::parse_stored(v)?,
            None => wf::Definition::standard(),
        },
    };
    let text = match text {
        Some(t) => t,
        None => {
            serde_json::to_string_pretty(&current).map_err(|e| AppError::Internal(e.to_string()))?
        }
    };
    let steps = current
        .steps
        .iter()
        .map(|st| {
            (
                st.key.clone(),
                st.name.clone(),
                motcua_handling::role_key(&st.role),
                unit_key(&st.unit),
                st.share,
                st.actions
                    .iter()
                    .map(|a| {
                        (
                            motcua_handling::action_key(&a.kind),
                            current
                                .step(&a.to)
                                .map_or_else(String::new, |t| t.name.clone()),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    Ok(WorkflowPage {
        c: Chrome::new(state, ctx),
        key: key.to_string(),
        procedure,
        text,
        versions: versions
            .into_iter()
            .map(|v| (v.version, v.status, v.created_by, format_vn(v.created_at)))
            .collect(),
        steps,
        problems: problems.into_iter().map(|p| (p.step, p.key)).collect(),
    })
}

/// `GET /console/workflows/{procedure}` (`default`: the portal's default).
async fn console_workflow(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(key): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Response {
    let mut page = tri!(workflow_page(&state, &ctx, &key, None, Vec::new()).await);
    page.c = Chrome::new(&state, &ctx).with_flash(q.flash.as_deref());
    render(&page)
}

#[derive(Deserialize)]
pub struct WorkflowForm {
    #[serde(default)]
    definition: String,
}

/// `POST /console/workflows/{procedure}`: publishes a checked version; a
/// refused one comes back with every problem and the text as typed.
async fn console_workflow_publish(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(key): Path<String>,
    Form(f): Form<WorkflowForm>,
) -> Response {
    let procedure = if key == "default" { "" } else { key.as_str() };
    match tri!(
        motcua_handling::workflows::publish(&state, &origin(&ctx), procedure, &f.definition).await
    ) {
        motcua_handling::workflows::Published::Version(_) => Redirect::to(&format!(
            "/console/workflows/{key}?flash=workflow_published"
        ))
        .into_response(),
        motcua_handling::workflows::Published::Refused(problems) => {
            let page = tri!(workflow_page(&state, &ctx, &key, Some(f.definition), problems).await);
            let mut r = render(&page);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

#[derive(Deserialize)]
pub struct EvaluationForm {
    #[serde(default)]
    s0: String,
    #[serde(default)]
    s1: String,
    #[serde(default)]
    s2: String,
    #[serde(default)]
    s3: String,
    #[serde(default)]
    s4: String,
    #[serde(default)]
    s5: String,
    #[serde(default)]
    s6: String,
    #[serde(default)]
    s7: String,
    #[serde(default)]
    s8: String,
    #[serde(default)]
    satisfaction: String,
}

/// `POST /account/dossiers/{code}/evaluation`: the applicant's evaluation.
async fn evaluate(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(code): Path<String>,
    Form(f): Form<EvaluationForm>,
) -> Response {
    let raw = [
        &f.s0, &f.s1, &f.s2, &f.s3, &f.s4, &f.s5, &f.s6, &f.s7, &f.s8,
    ];
    // Anything but 0, 1 or 2 is refused by the service (-1).
    let scores: Vec<i64> = raw.iter().map(|s| s.trim().parse().unwrap_or(-1)).collect();
    let satisfaction = f.satisfaction.trim().parse().unwrap_or(0);
    tri!(
        motcua_handling::evaluation::give(
            &state,
            &origin(&ctx),
            &rules(&state),
            v.account.id.get(),
            &code,
            &scores,
            satisfaction
        )
        .await
    );
    Redirect::to(&format!("/account/dossiers/{code}?flash=evaluation_saved")).into_response()
}

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// The period asked for (local dates, both included): by default the
/// current month. Refused when unreadable, reversed or over a year.
fn period(
    state: &AppState,
    q: &PeriodQuery,
) -> Result<(time::Date, time::Date, i64, i64), AppError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let today = motcua_domain::clock::vn_datetime(state.now()).date();
    let from = match q.from.trim() {
        "" => today
            .replace_day(1)
            .map_err(|_| AppError::BadRequest("handling.error_period"))?,
        s => {
            time::Date::parse(s, fmt).map_err(|_| AppError::BadRequest("handling.error_period"))?
        }
    };
    let to = match q.to.trim() {
        "" => today,
        s => {
            time::Date::parse(s, fmt).map_err(|_| AppError::BadRequest("handling.error_period"))?
        }
    };
    // Both dates included: at most 366 days.
    if to < from || (to - from).whole_days() >= 366 {
        return Err(AppError::BadRequest("handling.error_period"));
    }
    let start = motcua_handling::clock::local(from, time::Time::MIDNIGHT);
    let end = motcua_handling::clock::local(to, time::Time::MIDNIGHT) + motcua_domain::DAY;
    Ok((from, to, start, end))
}

/// A line of the log page: code, procedure, applicant, received, due,
/// status key, closed, result key.
type LogRow = (
    String,
    String,
    String,
    String,
    String,
    &'static str,
    String,
    &'static str,
);

#[derive(Template)]
#[template(path = "agency/log.html")]
struct LogPage {
    c: Chrome,
    unit: i64,
    unit_name: String,
    from: String,
    to: String,
    lines: Vec<LogRow>,
    full: bool,
}

/// `GET /agency/units/{unit}/log?from=&to=`: the unit's log (Form 07).
async fn unit_log(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Path(unit): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let (from, to, start, end) = tri!(period(&state, &q));
    let lines = tri!(queries::log(&state, &staff, unit, start, end).await);
    let u = tri!(people::unit(&state, unit)
        .await
        .and_then(|u| u.ok_or(motcua_kernel::ServiceError::NotFound)));
    let t = |at: Option<i64>| at.map(format_vn).unwrap_or_default();
    render(&LogPage {
        c: Chrome::new(&state, &ctx),
        unit,
        unit_name: format!("{} — {}", u.name, u.agency_code),
        from: from.to_string(),
        to: to.to_string(),
        full: lines.len() as i64 >= queries::LOG_LIMIT,
        lines: lines
            .into_iter()
            .map(|l| {
                (
                    l.code,
                    l.procedure,
                    l.applicant,
                    t(l.received_at.or(Some(l.submitted_at))),
                    t(l.deadline_at),
                    motcua_dossiers::status_key(l.status),
                    t(l.closed_at),
                    match l.timeliness {
                        "early" => "handling.log_early",
                        "on_time" => "handling.slip_on_time",
                        "late" => "handling.slip_late",
                        _ => "handling.log_open",
                    },
                )
            })
            .collect(),
    })
}

/// `GET /agency/units/{unit}/log.csv?from=&to=`: the same, as CSV.
async fn unit_log_csv(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Path(unit): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let (from, to, start, end) = tri!(period(&state, &q));
    let lines = tri!(queries::log(&state, &staff, unit, start, end).await);
    let c = Chrome::new(&state, &ctx);
    let csv = queries::log_csv(&lines, |s| c.t(motcua_dossiers::status_key(s)).to_string());
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"so-theo-doi-{unit}-{from}-{to}.csv\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        csv,
    )
        .into_response()
}

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    #[serde(default)]
    agency: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

#[derive(Template)]
#[template(path = "agency/board.html")]
struct BoardPage {
    c: Chrome,
    agency: String,
    from: String,
    to: String,
    lines: Vec<queries::BoardLine>,
    total: queries::BoardLine,
}

/// `GET /agency/board?agency=&from=&to=`: the leaders' board of an agency.
async fn board(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Query(q): Query<BoardQuery>,
) -> Response {
    let agency = if q.agency.is_empty() {
        staff
            .memberships
            .iter()
            .find(|m| m.role == wf::APPROVER || m.role == wf::ADMIN)
            .map(|m| m.agency_code.clone())
            .unwrap_or_default()
    } else {
        q.agency.clone()
    };
    let (from, to, start, end) = tri!(period(
        &state,
        &PeriodQuery {
            from: q.from.clone(),
            to: q.to.clone()
        }
    ));
    let lines = tri!(queries::board(&state, &staff, &agency, start, end, state.now()).await);
    let mut total = queries::BoardLine::default();
    for l in &lines {
        total.add(l);
    }
    render(&BoardPage {
        c: Chrome::new(&state, &ctx),
        agency,
        from: from.to_string(),
        to: to.to_string(),
        lines,
        total,
    })
}

#[derive(Deserialize)]
pub struct RaiseForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    note: String,
}

/// `POST /agency/dossiers/{code}/payment-request`: the handler asks the
/// applicant to pay during handling (status 6, the clock stopped).
async fn raise_payment(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Path(code): Path<String>,
    Form(f): Form<RaiseForm>,
) -> Response {
    // Whole đồng; "18.000" and "18000" alike. Anything else: -1, refused.
    let digits: String = f
        .amount
        .chars()
        .filter(|c| !matches!(c, '.' | ' ' | ','))
        .collect();
    let amount = digits.parse::<i64>().unwrap_or(-1);
    let raised = motcua_payments::service::raise(
        &state,
        &state.payments(),
        &origin(&ctx),
        &staff,
        &code,
        &motcua_payments::service::Raise {
            kind: f.kind.trim(),
            name: &f.name,
            amount,
            note: &f.note,
        },
    )
    .await;
    match raised {
        Ok(()) => Redirect::to(&format!("/agency/dossiers/{code}?flash=payment_requested"))
            .into_response(),
        Err(e) => {
            // The form comes back as typed, the reason beside it.
            let key = e.message_key();
            let page = async {
                let mut page =
                    case_view(&state, &ctx, &staff, &code, Some(key), String::new(), None).await?;
                page.pay_form = [f.kind, f.name, f.amount, f.note];
                Ok::<_, AppError>(page)
            };
            refused(e, page).await
        }
    }
}
