//! Feedback and petitions (issue #11 §1; R-PS-6): the public list of
//! answers (searchable without accents) and each published answer; the
//! form for logged-in people (captcha, per-person and per-IP limits
//! reserved before anything is kept, files checked by their bytes); the
//! sender's own items with their timeline and the reply when asked; the
//! agency's items with time left, its actions and the overdue board; the
//! open-data API `GET /api/v1/feedback`.
use super::agency::Staffer;
use super::auth::origin;
use super::{remaining_text, render, Chrome, Operator};
use crate::ctx::{Ctx, Me};
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use motcua_domain::clock::format_vn;
use motcua_domain::throttle::RateLimit;
use motcua_domain::{DAY, HOUR};
use motcua_feedback::queries::{self, Feedback, Full};
use motcua_feedback::service::{self, Act, Guest, NewFeedback, Owner, Sender, Upload};
use motcua_kernel::ServiceError;
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/feedback", get(list))
        .route("/feedback/new", get(new_form).post(submit))
        .route("/feedback/confirm/{token}", get(confirm_form).post(confirm))
        .route("/feedback/track", get(track))
        .route("/feedback/track/reply", post(track_reply))
        .route("/feedback/track/files/{id}", get(track_file))
        .route("/feedback/{code}", get(public_item))
        .route("/account/feedback", get(mine))
        .route("/account/feedback/{code}", get(own))
        .route("/account/feedback/{code}/reply", post(reply))
        .route("/account/feedback/{code}/files/{id}", get(own_file))
        .route("/agency/feedback", get(agency_inbox))
        .route("/agency/feedback/{code}", get(agency_item))
        .route("/agency/feedback/{code}/act", post(agency_act))
        .route("/agency/feedback/{code}/files/{id}", get(agency_file))
        .route("/console/feedback", get(console_board))
        .route("/api/v1/feedback", get(api_list))
}

pub struct Row {
    pub code: String,
    pub title: String,
    pub agency: String,
    pub state_key: &'static str,
    pub at: String,
    /// Time left (or overdue by) for the next deadline, if one runs.
    pub left: String,
    pub overdue: bool,
}

async fn agency_name(state: &AppState, code: &str) -> String {
    motcua_catalog::queries::agency(state, code)
        .await
        .ok()
        .flatten()
        .map_or_else(|| code.to_string(), |a| a.name)
}

/// The deadline that runs now: the answer's while at the agency, the
/// publication's once answered; none otherwise.
fn next_due(i: &Feedback) -> Option<i64> {
    match i.state.as_str() {
        "received" => Some(i.answer_by),
        "answered" => i.publish_by,
        _ => None,
    }
}

/// The rows of a list, each dated by `at`; each agency's name read once.
async fn list_rows(
    state: &AppState,
    c: &Chrome,
    items: &[Feedback],
    at: impl Fn(&Feedback) -> i64,
) -> Result<Vec<Row>, AppError> {
    let mut names: std::collections::BTreeMap<String, String> = Default::default();
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        let (left, overdue) = match next_due(i) {
            Some(due) => {
                let r = motcua_kernel::calendar::time_left(state, due).await?;
                (remaining_text(c, &r), r.overdue)
            }
            None => (String::new(), false),
        };
        if !names.contains_key(&i.agency_code) {
            names.insert(
                i.agency_code.clone(),
                agency_name(state, &i.agency_code).await,
            );
        }
        out.push(Row {
            code: i.code.clone(),
            title: i.title.clone(),
            agency: names.get(&i.agency_code).cloned().unwrap_or_default(),
            state_key: motcua_feedback::state_key(&i.state),
            at: format_vn(at(i)),
            left,
            overdue,
        });
    }
    Ok(out)
}

pub struct Step {
    pub at: String,
    pub key: &'static str,
    pub actor: String,
    pub note: String,
    pub late: bool,
}

fn steps(f: &Full) -> Vec<Step> {
    f.events
        .iter()
        .map(|e| Step {
            at: format_vn(e.at),
            key: motcua_feedback::step_key(&e.kind),
            actor: e.actor.clone(),
            note: e.note.clone(),
            late: e.late,
        })
        .collect()
}

// ---------------------------------------------------------------- public

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    procedure: String,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "feedback/list.html")]
struct ListPage {
    c: Chrome,
    q: String,
    procedure: String,
    rows: Vec<Row>,
    page: i64,
    more: bool,
}

/// `GET /feedback?q=&procedure=&page=`: the published answers.
async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> Response {
    let c = Chrome::new(&state, &ctx);
    let page = q.page.unwrap_or(1).clamp(1, 500);
    let procedure = Some(q.procedure.trim()).filter(|p| !p.is_empty());
    let (found, more) = tri!(queries::search(&state, &q.q, procedure, page).await);
    let rows = tri!(
        list_rows(&state, &c, &found, |i| i
            .published_at
            .unwrap_or(i.created_at))
        .await
    );
    render(&ListPage {
        c,
        q: q.q.chars().take(200).collect(),
        procedure: q.procedure.chars().take(40).collect(),
        rows,
        page,
        more,
    })
}

#[derive(Template)]
#[template(path = "feedback/item.html")]
struct ItemPage {
    c: Chrome,
    code: String,
    title: String,
    content: String,
    agency: String,
    state_key: &'static str,
    sender: Option<String>,
    answer: String,
    answered_by: String,
    answered_at: String,
    procedure_code: String,
    steps: Vec<Step>,
    /// The sender's own view: files, reply form, time left.
    own: bool,
    files: Vec<(i64, String, i64)>,
    can_reply: bool,
    reason: String,
    left: String,
    error: Option<&'static str>,
    reply_text: String,
    /// A sender without an account: the tracking key in the links.
    track_key: String,
}

/// One item: public, or the sender's own (`own`; `track_key` for a
/// sender without an account).
async fn item_page(
    state: &AppState,
    ctx: &Ctx,
    f: &Full,
    own: bool,
    track_key: &str,
    error: Option<&'static str>,
    reply_text: String,
) -> Response {
    let c = Chrome::new(state, ctx);
    let i = &f.item;
    let left = match next_due(i).filter(|_| own) {
        Some(due) => match motcua_kernel::calendar::time_left(state, due).await {
            Ok(r) => remaining_text(&c, &r),
            Err(e) => return AppError::from(e).into_response(),
        },
        None => String::new(),
    };
    let mut r = render(&ItemPage {
        code: i.code.clone(),
        title: i.title.clone(),
        content: i.content.clone(),
        agency: agency_name(state, &i.agency_code).await,
        state_key: motcua_feedback::state_key(&i.state),
        sender: if own {
            Some(i.sender_name.clone())
        } else {
            queries::public_name(i).map(str::to_string)
        },
        answer: if own || i.published_at.is_some() {
            i.answer.clone()
        } else {
            String::new()
        },
        answered_by: i.answered_by.clone(),
        answered_at: i.answered_at.map(format_vn).unwrap_or_default(),
        procedure_code: i.procedure_code.clone(),
        steps: steps(f),
        own,
        files: f
            .files
            .iter()
            .map(|x| (x.id, x.name.clone(), x.size))
            .collect(),
        can_reply: own && i.state == "more_info",
        reason: i.reason.clone(),
        left,
        error,
        reply_text,
        track_key: track_key.to_string(),
        c,
    });
    if error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// `GET /feedback/{code}`: a published answer.
async fn public_item(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Response {
    let f = tri!(queries::public(&state, &code).await);
    item_page(&state, &ctx, &f, false, "", None, String::new()).await
}

#[derive(Deserialize, Default)]
pub struct ApiQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    procedure: String,
    page: Option<i64>,
}

/// `GET /api/v1/feedback?q=&procedure=&page=`: published answers as
/// open data (no contact details, the name only when the sender allowed).
#[utoipa::path(get, path = "/api/v1/feedback", tag = "feedback",
    params(("q" = Option<String>, Query, description = "Words to find"),
           ("procedure" = Option<String>, Query, description = "A procedure code"),
           ("page" = Option<i64>, Query, description = "From 1")),
    responses((status = 200, description = "Published answers (open data)", body = super::openapi::FeedbackPage), (status = "default", description = "An RFC 9457 problem", body = super::openapi::Problem, content_type = "application/problem+json")))]
async fn api_list(State(state): State<AppState>, Query(q): Query<ApiQuery>) -> Response {
    let page = q.page.unwrap_or(1).clamp(1, 500);
    let procedure = Some(q.procedure.trim()).filter(|p| !p.is_empty());
    let (found, more) = tri!(queries::search(&state, &q.q, procedure, page).await);
    let items: Vec<_> = found
        .iter()
        .map(|i| {
            json!({
                "code": i.code,
                "about": i.about,
                "procedure": i.procedure_code,
                "agency": i.agency_code,
                "title": i.title,
                "content": i.content,
                "sender": queries::public_name(i),
                "answer": i.answer,
                "answered_by": i.answered_by,
                "answered_at": i.answered_at,
                "published_at": i.published_at,
                "url": format!("/feedback/{}", i.code),
            })
        })
        .collect();
    (
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "page": page, "per_page": queries::PER_PAGE, "more": more, "items": items })
            .to_string(),
    )
        .into_response()
}

// ---------------------------------------------------------------- sending

#[derive(Template)]
#[template(path = "feedback/new.html")]
struct NewPage {
    c: Chrome,
    f: FormView,
    /// No one is logged in: the sender's name and e-mail are asked, and
    /// the codes confirm them.
    guest: bool,
    captcha: motcua_identity::captcha::Issued,
    error: Option<(&'static str, &'static str)>,
}

#[derive(Default, Clone)]
pub struct FormView {
    pub name: String,
    pub email: String,
    pub about: String,
    pub procedure_code: String,
    pub agency_code: String,
    pub title: String,
    pub content: String,
    pub phone: String,
    pub address: String,
    pub hide_name: bool,
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    procedure: String,
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    f: FormView,
    error: Option<(&'static str, &'static str)>,
    status: StatusCode,
) -> Response {
    let captcha = tri!(motcua_identity::captcha::issue(state, ctx.locale).await);
    let mut r = render(&NewPage {
        c: Chrome::new(state, ctx),
        guest: ctx.viewer.is_none(),
        f,
        captcha,
        error,
    });
    *r.status_mut() = status;
    r
}

/// `GET /feedback/new?procedure=`: the form; without an account, with
/// the sender's name and e-mail (confirmed by codes after sending).
async fn new_form(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NewQuery>) -> Response {
    if ctx.viewer.is_some() {
        if let Err(r) = ctx.user() {
            return r;
        }
        if let Err(r) = crate::ctx::terms_gate(&ctx) {
            return r;
        }
    }
    let procedure: String = q
        .procedure
        .chars()
        .filter(|c| !c.is_control())
        .take(40)
        .collect();
    let f = FormView {
        about: if procedure.is_empty() {
            String::new()
        } else {
            "procedure".into()
        },
        procedure_code: procedure,
        ..Default::default()
    };
    new_page(&state, &ctx, f, None, StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "feedback/sent.html")]
struct SentPage {
    c: Chrome,
    code: String,
}

/// The limits of sending feedback: per person a day, per address an hour.
fn limits(state: &AppState, account_id: i64, ip: &str) -> Vec<(String, RateLimit)> {
    let r = &state.feedback_rules;
    vec![
        (
            format!("feedback:account:{account_id}"),
            RateLimit {
                max: r.per_person_per_day,
                window: DAY,
            },
        ),
        (
            format!("feedback:ip:{ip}"),
            RateLimit {
                max: r.per_ip_per_hour,
                window: HOUR,
            },
        ),
    ]
}

/// The limits of a sender without an account: per address an hour, and
/// per e-mail address and per phone a day (each confirmation request
/// sends a mail and an SMS).
fn guest_limits(state: &AppState, ip: &str, email: &str, phone: &str) -> Vec<(String, RateLimit)> {
    let r = &state.feedback_rules;
    let day = RateLimit {
        max: r.per_contact_per_day,
        window: DAY,
    };
    let mut v = vec![
        (
            format!("feedback:ip:{ip}"),
            RateLimit {
                max: r.per_ip_per_hour,
                window: HOUR,
            },
        ),
        (
            format!("feedback:email:{}", email.trim().to_lowercase()),
            day,
        ),
    ];
    if let Some(p) = motcua_kernel::sms::normalize_phone(phone) {
        v.push((format!("feedback:phone:{p}"), day));
    }
    v
}

/// `POST /feedback/new` (multipart): the captcha, then the limits
/// (reserved before anything is kept; given back when the form had
/// mistakes), then the feedback; without an account, the request for
/// the two codes.
async fn submit(State(state): State<AppState>, ctx: Ctx, mut mp: Multipart) -> Response {
    let viewer = match &ctx.viewer {
        Some(_) => match ctx.user() {
            Ok(v) => Some(v.clone()),
            Err(r) => return r,
        },
        None => None,
    };
    if let Err(r) = crate::ctx::terms_gate(&ctx) {
        return r;
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut files = Vec::new();
    let mut too_big = false;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                too_big = true;
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "files" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            match field.bytes().await {
                Ok(b) if b.is_empty() && file_name.is_empty() => {}
                Ok(b) => files.push(Upload {
                    name: file_name,
                    data: b.to_vec(),
                }),
                Err(_) => {
                    too_big = true;
                    break;
                }
            }
        } else {
            pairs.push((name, field.text().await.unwrap_or_default()));
        }
    }
    let get = |k: &str| super::first(&pairs, k);
    let f = FormView {
        name: get("name"),
        email: get("email"),
        about: get("about"),
        procedure_code: get("procedure_code"),
        agency_code: get("agency_code"),
        title: get("title"),
        content: get("content"),
        phone: get("phone"),
        address: get("address"),
        hide_name: get("hide_name") == "on",
    };
    if too_big {
        return new_page(
            &state,
            &ctx,
            f,
            Some(("files", "feedback.error_file_size")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match tri!(motcua_identity::captcha::check(&state, &get("captcha_id"), &get("captcha")).await) {
        true => {}
        false => {
            return new_page(
                &state,
                &ctx,
                f,
                Some(("captcha", "token.captcha_wrong")),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
    let keys = match &viewer {
        Some(v) => limits(&state, v.account.id.get(), &ctx.ip),
        None => guest_limits(&state, &ctx.ip, &f.email, &f.phone),
    };
    match tri!(motcua_identity::service::rate_limit(&state, &keys).await) {
        Ok(()) => {}
        Err(_) => {
            return new_page(
                &state,
                &ctx,
                f,
                Some(("captcha", "error.rate_limited_hour")),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
        }
    }
    let input = NewFeedback {
        about: f.about.clone(),
        procedure_code: f.procedure_code.clone(),
        agency_code: f.agency_code.clone(),
        title: f.title.clone(),
        content: f.content.clone(),
        phone: f.phone.clone(),
        address: f.address.clone(),
        hide_name: f.hide_name,
    };
    let sent = match &viewer {
        Some(v) => {
            let sender = Sender {
                account_id: v.account.id.get(),
                name: v.account.full_name.clone(),
                email: v.account.email.clone().unwrap_or_default(),
                locale: ctx.locale,
            };
            service::submit(
                &state,
                &origin(&ctx),
                &state.feedback_rules,
                &sender,
                &input,
                &files,
                state.now(),
            )
            .await
        }
        None => {
            let guest = Guest {
                name: f.name.clone(),
                email: f.email.clone(),
            };
            match service::request(
                &state,
                &origin(&ctx),
                &state.feedback_rules,
                &guest,
                &input,
                &files,
                state.now(),
            )
            .await
            {
                Ok(token) => {
                    return Redirect::to(&format!("/feedback/confirm/{token}")).into_response()
                }
                Err(e) => Err(e),
            }
        }
    };
    match sent {
        Ok(code) => render(&SentPage {
            c: Chrome::new(&state, &ctx),
            code,
        }),
        Err(ServiceError::Invalid { field, key }) => {
            tri!(motcua_identity::service::rate_release(&state, &keys).await);
            let field = field.unwrap_or("content");
            new_page(
                &state,
                &ctx,
                f,
                Some((field, key)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

// ------------------------------------------------- senders without account

#[derive(Template)]
#[template(path = "feedback/confirm.html")]
struct ConfirmPage {
    c: Chrome,
    token: String,
    minutes: i64,
    /// The request is gone (expired, confirmed, or too many tries).
    gone: Option<&'static str>,
    error: Option<&'static str>,
}

fn confirm_page(
    state: &AppState,
    ctx: &Ctx,
    token: &str,
    gone: Option<&'static str>,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let mut r = render(&ConfirmPage {
        c: Chrome::new(state, ctx),
        token: if gone.is_some() {
            String::new()
        } else {
            token.to_string()
        },
        minutes: state.feedback_rules.confirm_minutes,
        gone,
        error,
    });
    *r.status_mut() = status;
    r
}

/// `GET /feedback/confirm/{token}`: where the two codes are typed.
async fn confirm_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Response {
    if tri!(service::waiting(&state, &token, state.now()).await) {
        confirm_page(&state, &ctx, &token, None, None, StatusCode::OK)
    } else {
        let gone = Some("feedback.error_confirm_gone");
        confirm_page(&state, &ctx, &token, gone, None, StatusCode::NOT_FOUND)
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    mailed: String,
    #[serde(default)]
    texted: String,
}

/// `POST /feedback/confirm/{token}`: the codes; right, the feedback goes
/// to its agency and the sender follows it with the tracking link.
async fn confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    match service::confirm(
        &state,
        &origin(&ctx),
        &state.feedback_rules,
        &token,
        &f.mailed,
        &f.texted,
        state.now(),
    )
    .await
    {
        Ok(code) => Redirect::to(&service::track_link(&state, &code)).into_response(),
        Err(ServiceError::Invalid { key, .. }) => confirm_page(
            &state,
            &ctx,
            &token,
            None,
            Some(key),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(ServiceError::Conflict(key)) => {
            confirm_page(&state, &ctx, &token, Some(key), None, StatusCode::CONFLICT)
        }
        Err(ServiceError::NotFound) => confirm_page(
            &state,
            &ctx,
            &token,
            Some("feedback.error_confirm_gone"),
            None,
            StatusCode::NOT_FOUND,
        ),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "feedback/track.html")]
struct TrackPage {
    c: Chrome,
    code: String,
    key: String,
    error: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct TrackQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    key: String,
}

/// The item `code` opened by tracking key `key`; the attempt counted per
/// client first (a script cannot try keys faster than the limit) and
/// given back when the key was right. `Err`: the page to show instead.
async fn tracked(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    key: &str,
) -> Result<(Owner, Full), Response> {
    let limits = [(
        format!("rl:feedback-track:ip:{}", ctx.ip),
        motcua_domain::throttle::RateLimit::LOOKUP_PER_IP,
    )];
    let page = |error, status| {
        let mut r = render(&TrackPage {
            c: Chrome::new(state, ctx),
            code: code.to_string(),
            key: key.to_string(),
            error: Some(error),
        });
        *r.status_mut() = status;
        r
    };
    match motcua_identity::service::rate_limit(state, &limits).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => {
            return Err(page(
                "error.rate_limited_hour",
                StatusCode::TOO_MANY_REQUESTS,
            ))
        }
        Err(e) => return Err(AppError::from(e).into_response()),
    }
    let owner = Owner::Key(key.to_string());
    match queries::own(state, &owner, code).await {
        Ok(f) => {
            if let Err(e) = motcua_identity::service::rate_release(state, &limits).await {
                return Err(AppError::from(e).into_response());
            }
            Ok((owner, f))
        }
        Err(ServiceError::NotFound) => Err(page("feedback.track_none", StatusCode::NOT_FOUND)),
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

/// `GET /feedback/track?code=&key=`: a sender without an account follows
/// their item (the link in every mail); without both, the form.
async fn track(State(state): State<AppState>, ctx: Ctx, Query(q): Query<TrackQuery>) -> Response {
    let code: String = q.code.trim().chars().take(40).collect();
    let key: String = q.key.trim().chars().take(40).collect();
    if code.is_empty() && key.is_empty() {
        return render(&TrackPage {
            c: Chrome::new(&state, &ctx),
            code,
            key,
            error: None,
        });
    }
    match tracked(&state, &ctx, &code, &key).await {
        Ok((_, f)) => {
            let key = service::track_key(&state, &f.item.code);
            item_page(&state, &ctx, &f, true, &key, None, String::new()).await
        }
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct TrackReplyForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    text: String,
}

/// `POST /feedback/track/reply`: the information asked for, from a
/// sender without an account.
async fn track_reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(r): Form<TrackReplyForm>,
) -> Response {
    let (owner, f) = match tracked(&state, &ctx, r.code.trim(), r.key.trim()).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let code = f.item.code.clone();
    let key = service::track_key(&state, &code);
    let back = service::track_link(&state, &code);
    reply_as(&state, &ctx, &owner, &code, &key, &r.text, &back).await
}

/// `GET /feedback/track/files/{id}?code=&key=`: a file the sender attached.
async fn track_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<TrackQuery>,
) -> Response {
    let (owner, f) = match tracked(&state, &ctx, q.code.trim(), q.key.trim()).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let (file, data) = tri!(queries::file(&state, Some(&owner), None, &f.item.code, id).await);
    file_response(file, data)
}

// ---------------------------------------------------------------- sender

#[derive(Template)]
#[template(path = "feedback/mine.html")]
struct MinePage {
    c: Chrome,
    rows: Vec<Row>,
}

/// `GET /account/feedback`: the person's items.
async fn mine(State(state): State<AppState>, Me(ctx, v): Me) -> Response {
    let c = Chrome::new(&state, &ctx);
    let items = tri!(queries::mine(&state, v.account.id.get()).await);
    let rows = tri!(list_rows(&state, &c, &items, |i| i.created_at).await);
    render(&MinePage { c, rows })
}

/// `GET /account/feedback/{code}`: the sender's own item.
async fn own(State(state): State<AppState>, Me(ctx, v): Me, Path(code): Path<String>) -> Response {
    let owner = Owner::Account(v.account.id.get());
    let f = tri!(queries::own(&state, &owner, &code).await);
    item_page(&state, &ctx, &f, true, "", None, String::new()).await
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    text: String,
}

/// `POST /account/feedback/{code}/reply`: the information asked for.
async fn reply(
    State(state): State<AppState>,
    Me(ctx, v): Me,
    Path(code): Path<String>,
    Form(r): Form<ReplyForm>,
) -> Response {
    let owner = Owner::Account(v.account.id.get());
    let back = format!("/account/feedback/{code}");
    reply_as(&state, &ctx, &owner, &code, "", &r.text, &back).await
}

/// The reply of `owner`; back to `back`, or the page again with the
/// mistake and the text kept.
async fn reply_as(
    state: &AppState,
    ctx: &Ctx,
    owner: &Owner,
    code: &str,
    track_key: &str,
    text: &str,
    back: &str,
) -> Response {
    match service::reply(
        state,
        &origin(ctx),
        &state.feedback_rules,
        owner,
        code,
        text,
        state.now(),
    )
    .await
    {
        Ok(()) => Redirect::to(back).into_response(),
        Err(ServiceError::Invalid { key, .. }) => {
            let f = tri!(queries::own(state, owner, code).await);
            item_page(state, ctx, &f, true, track_key, Some(key), text.to_string()).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

fn file_response(f: motcua_feedback::queries::Attached, data: Vec<u8>) -> Response {
    let name: String = f
        .name
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
            (header::CONTENT_TYPE, f.content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        data,
    )
        .into_response()
}

async fn own_file(
    State(state): State<AppState>,
    Me(_, v): Me,
    Path((code, id)): Path<(String, i64)>,
) -> Response {
    let (f, data) = tri!(
        queries::file(
            &state,
            Some(&Owner::Account(v.account.id.get())),
            None,
            &code,
            id
        )
        .await
    );
    file_response(f, data)
}

// ---------------------------------------------------------------- agency

#[derive(Template)]
#[template(path = "feedback/agency.html")]
struct AgencyPage {
    c: Chrome,
    rows: Vec<Row>,
    overdue: Vec<Row>,
    console: bool,
}

/// `GET /agency/feedback`: the agencies' items and their overdue board.
async fn agency_inbox(State(state): State<AppState>, Staffer(ctx, staff): Staffer) -> Response {
    let c = Chrome::new(&state, &ctx);
    let items = tri!(queries::inbox(&state, &staff).await);
    let late = tri!(queries::overdue(&state, &staff, state.now()).await);
    let rows = tri!(list_rows(&state, &c, &items, |i| i.received_at).await);
    let overdue = tri!(list_rows(&state, &c, &late, |i| i.received_at).await);
    render(&AgencyPage {
        c,
        rows,
        overdue,
        console: false,
    })
}

/// `GET /console/feedback`: the overdue board of every agency.
async fn console_board(State(state): State<AppState>, Operator(ctx): Operator) -> Response {
    let c = Chrome::new(&state, &ctx);
    let staff = motcua_handling::people::Staff {
        account_id: 0,
        operator: true,
        memberships: Vec::new(),
    };
    let late = tri!(queries::overdue(&state, &staff, state.now()).await);
    let overdue = tri!(list_rows(&state, &c, &late, |i| i.received_at).await);
    render(&AgencyPage {
        c,
        rows: Vec::new(),
        overdue,
        console: true,
    })
}

#[derive(Template)]
#[template(path = "feedback/agency_item.html")]
struct AgencyItemPage {
    c: Chrome,
    code: String,
    title: String,
    content: String,
    about_key: String,
    procedure_code: String,
    sender: String,
    phone: String,
    email: String,
    address: String,
    hide_name: bool,
    state: String,
    state_key: &'static str,
    answer: String,
    reason: String,
    deadlines: Vec<(&'static str, String)>,
    left: String,
    files: Vec<(i64, String, i64)>,
    steps: Vec<Step>,
    seen: i64,
    asked: bool,
    error: Option<&'static str>,
    note: String,
}

async fn agency_page(
    state: &AppState,
    ctx: &Ctx,
    f: &Full,
    error: Option<&'static str>,
    note: String,
    status: StatusCode,
) -> Response {
    let c = Chrome::new(state, ctx);
    let i = &f.item;
    let left = match next_due(i) {
        Some(due) => match motcua_kernel::calendar::time_left(state, due).await {
            Ok(r) => remaining_text(&c, &r),
            Err(e) => return AppError::from(e).into_response(),
        },
        None => String::new(),
    };
    let mut deadlines = vec![
        ("feedback.act_refuse", format_vn(i.refuse_by)),
        ("feedback.act_ask", format_vn(i.ask_by)),
        ("feedback.answer_by", format_vn(i.answer_by)),
    ];
    if let Some(p) = i.publish_by {
        deadlines.push(("feedback.act_publish", format_vn(p)));
    }
    let mut r = render(&AgencyItemPage {
        code: i.code.clone(),
        title: i.title.clone(),
        content: i.content.clone(),
        about_key: format!("feedback.about_{}", i.about),
        procedure_code: i.procedure_code.clone(),
        sender: i.sender_name.clone(),
        phone: i.sender_phone.clone(),
        email: i.sender_email.clone(),
        address: i.sender_address.clone(),
        hide_name: i.hide_name,
        state: i.state.clone(),
        state_key: motcua_feedback::state_key(&i.state),
        answer: i.answer.clone(),
        reason: i.reason.clone(),
        deadlines,
        left,
        files: f
            .files
            .iter()
            .map(|x| (x.id, x.name.clone(), x.size))
            .collect(),
        steps: steps(f),
        seen: i.updated_at,
        asked: i.asked > 0,
        error,
        note,
        c,
    });
    *r.status_mut() = status;
    r
}

/// `GET /agency/feedback/{code}`.
async fn agency_item(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Path(code): Path<String>,
) -> Response {
    let f = tri!(queries::for_staff(&state, &staff, &code).await);
    agency_page(&state, &ctx, &f, None, String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    seen: String,
}

/// `POST /agency/feedback/{code}/act`: answer, publish, ask, transfer or
/// refuse; a mistake comes back beside the form, as typed.
async fn agency_act(
    State(state): State<AppState>,
    Staffer(ctx, staff): Staffer,
    Path(code): Path<String>,
    Form(a): Form<ActForm>,
) -> Response {
    let act = Act {
        kind: a.kind.clone(),
        note: a.note.clone(),
        target: a.target.clone(),
        seen: a.seen.trim().parse().ok(),
    };
    match service::act(
        &state,
        &origin(&ctx),
        &state.feedback_rules,
        &staff,
        &code,
        &act,
        state.now(),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/agency/feedback/{code}")).into_response(),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            let (key, status) = match e {
                ServiceError::Invalid { key, .. } => (key, StatusCode::UNPROCESSABLE_ENTITY),
                ServiceError::Conflict(key) => (key, StatusCode::CONFLICT),
                _ => ("error.internal", StatusCode::INTERNAL_SERVER_ERROR),
            };
            let f = tri!(queries::for_staff(&state, &staff, &code).await);
            agency_page(&state, &ctx, &f, Some(key), a.note, status).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

async fn agency_file(
    State(state): State<AppState>,
    Staffer(_, staff): Staffer,
    Path((code, id)): Path<(String, i64)>,
) -> Response {
    let (f, data) = tri!(queries::file(&state, None, Some(&staff), &code, id).await);
    file_response(f, data)
}
