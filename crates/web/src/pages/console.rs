//! The operator console: account search and review, locks, throttling,
//! compromise reports, the job queue's dead letters, the audit trail.
use super::account::activity_rows;
use super::auth::origin;
use super::{cursor_pager, render, role_key, Chrome, Operator};
use crate::ctx::{self, Ctx};
use crate::error::AppError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use motcua_domain::clock::format_vn;
use motcua_domain::{AccountId, AccountStatus, JobId, JobStatus, ReportId};
use motcua_identity::queries::{self, Total, CANDIDATE_WINDOW};
use motcua_identity::service::{self, ServiceError};
use motcua_identity::Account;
use motcua_kernel::records;
use motcua_store::audit;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "console/home.html")]
struct Home {
    c: Chrome,
    accounts: i64,
    reports: usize,
    throttles: usize,
    dead: i64,
}

pub async fn home(State(state): State<AppState>, Operator(ctx): Operator) -> Response {
    let now = state.now();
    let accounts = tri!(queries::count_accounts(&state).await);
    let reports = tri!(queries::compromise_reports(&state, 1000).await).len();
    let throttles = tri!(queries::recent_throttles(&state, now - 86_400_000, 1000).await).len();
    let dead = tri!(records::job_counts(&state).await)
        .into_iter()
        .find(|(s, _)| *s == JobStatus::Dead)
        .map(|(_, n)| n)
        .unwrap_or(0);
    render(&Home {
        c: Chrome::new(&state, &ctx),
        accounts,
        reports,
        throttles,
        dead,
    })
}

pub struct AccountRow {
    pub id: AccountId,
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub roles: String,
    pub status: &'static str,
    pub status_key: &'static str,
}

fn status_key(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Active => "status.active",
        AccountStatus::Locked => "status.locked",
        AccountStatus::Revoked => "status.revoked",
    }
}

#[derive(Template)]
#[template(path = "console/accounts.html")]
struct AccountsPage {
    c: Chrome,
    q: String,
    summary: String,
    rows: Vec<AccountRow>,
    pager: String,
}

#[derive(Template)]
#[template(path = "console/accounts_results.html")]
struct AccountsResults {
    c: Chrome,
    summary: String,
    rows: Vec<AccountRow>,
    pager: String,
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    /// The keyset cursor: the last account id of the previous page.
    after: Option<AccountId>,
}

const PER_PAGE: i64 = 20;

/// Diacritic-insensitive search by username, name, email, phone, tax code
/// or personal ID, paginated; htmx requests get only the results.
pub async fn accounts(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Response {
    let query: String = q.q.chars().take(100).collect();
    let now = state.now();
    let found = tri!(queries::search_accounts(&state, &query, q.after, PER_PAGE, now).await);
    let c = Chrome::new(&state, &ctx);
    let mut rows = Vec::with_capacity(found.rows.len());
    for l in &found.rows {
        // The same status as the account page: an active account under a
        // failed-login lock shows as temporarily locked.
        let (a, throttled) = (&l.account, l.throttled);
        rows.push(AccountRow {
            id: a.id,
            username: a.username.clone(),
            full_name: a.full_name.clone(),
            email: a.email.clone().unwrap_or_default(),
            roles: a
                .roles
                .iter()
                .map(|r| c.t(role_key(*r)))
                .collect::<Vec<_>>()
                .join(", "),
            status: if throttled {
                "throttled"
            } else {
                a.status.as_str()
            },
            status_key: if throttled {
                "status.throttled"
            } else {
                status_key(a.status)
            },
        });
    }
    let mut summary = match found.total {
        Total::Exact(n) => c.t("console.found").replace("{n}", &n.to_string()),
        Total::MoreThan(n) => c
            .t("console.found_more")
            .replace("{n}", &crate::plain::thousands(n, c.locale())),
        Total::About(n) => c
            .t("console.found_about")
            .replace("{n}", &crate::plain::thousands(n, c.locale())),
        Total::AtLeast(n) => c
            .t("console.found_at_least")
            .replace("{n}", &crate::plain::thousands(n, c.locale())),
    };
    if found.window {
        summary.push(' ');
        summary.push_str(&c.t("console.found_window").replace(
            "{n}",
            &crate::plain::thousands(CANDIDATE_WINDOW, c.locale()),
        ));
    }
    let base = format!("/console/accounts?q={}", ctx::urlencode(&query));
    let pager = cursor_pager(&c, &base, q.after.is_some(), found.next);
    if headers.contains_key("hx-request") && !headers.contains_key("hx-history-restore-request") {
        return render(&AccountsResults {
            c,
            summary,
            rows,
            pager,
        });
    }
    render(&AccountsPage {
        c,
        q: query,
        summary,
        rows,
        pager,
    })
}

pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: crate::plain::Party,
    pub action: String,
    pub target: crate::plain::Party,
    pub ip: String,
    /// The detail as `(key, value)` lines.
    pub detail: Vec<(String, String)>,
}

/// Audit records as people read them: Vietnam time, usernames instead of
/// `account:ID` (linked), the detail as key/value text.
async fn audit_rows(
    state: &AppState,
    c: &Chrome,
    entries: Vec<audit::Entry>,
) -> Result<Vec<AuditRow>, ServiceError> {
    let mut ids: Vec<AccountId> = entries
        .iter()
        .flat_map(|e| [&e.actor, &e.target])
        .filter_map(|s| crate::plain::account_id(s))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names = queries::usernames(state, &ids).await?;
    let party = |s: &str| crate::plain::party(c.catalog(), c.locale(), s, &names);
    Ok(entries
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: format_vn(e.at),
            actor: party(&e.actor),
            target: party(&e.target),
            action: e.action,
            ip: e.ip,
            detail: crate::plain::detail_pairs(&e.detail),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    c: Chrome,
    a: Account,
    status: &'static str,
    status_key: &'static str,
    roles: Vec<&'static str>,
    created: String,
    throttle: String,
    activity: Vec<super::account::ActivityRow>,
    audit: Vec<AuditRow>,
    /// Only the action that applies is offered: lock an active account,
    /// unlock a locked (or failed-login locked) one; neither if revoked.
    can_lock: bool,
    can_unlock: bool,
    error: Option<String>,
    /// (value, i18n key, held) for the edit form.
    role_boxes: Vec<(&'static str, &'static str, bool)>,
}

async fn account_page(
    state: &AppState,
    ctx: &Ctx,
    id: AccountId,
    error: Option<String>,
) -> Response {
    let now = state.now();
    let Some(review) = tri!(queries::review(state, id, now).await) else {
        return AppError::NotFound.into_response();
    };
    let (a, t, items) = (
        review.listed.account,
        review.listed.throttle,
        review.activity,
    );
    let c = Chrome::new(state, ctx);
    let audit = tri!(audit_rows(state, &c, review.audit).await);
    let throttle = if t.locked_until > now {
        c.t("console.throttle_locked")
            .replace("{until}", &format_vn(t.locked_until))
            .replace("{n}", &t.failures.to_string())
    } else {
        c.t("console.throttle_failures")
            .replace("{n}", &t.failures.to_string())
    };
    let status = if t.locked_until > now && a.status == AccountStatus::Active {
        "throttled"
    } else {
        a.status.as_str()
    };
    let status_key = if status == "throttled" {
        "status.throttled"
    } else {
        status_key(a.status)
    };
    let has_error = error.is_some();
    let can_lock = a.status == AccountStatus::Active;
    let can_unlock = a.status == AccountStatus::Locked || status == "throttled";
    let mut r = render(&AccountPage {
        status,
        status_key,
        roles: a.roles.iter().map(|r| role_key(*r)).collect(),
        role_boxes: motcua_domain::Role::ALL
            .iter()
            .map(|r| (r.as_str(), role_key(*r), a.has_role(*r)))
            .collect(),
        created: format_vn(a.created_at),
        a,
        throttle,
        activity: activity_rows(state, &c, items),
        can_lock,
        can_unlock,
        audit,
        error: error.map(|k| c.t(&k).to_string()),
        c,
    });
    if r.status() == StatusCode::OK && has_error {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

pub async fn account(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<AccountId>,
) -> Response {
    account_page(&state, &ctx, id, None).await
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

async fn after_change(
    state: &AppState,
    ctx: &Ctx,
    id: AccountId,
    result: Result<(), ServiceError>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/console/accounts/{id}")).into_response(),
        Err(ServiceError::NotFound) => AppError::NotFound.into_response(),
        Err(ServiceError::Invalid { key: k, .. } | ServiceError::Conflict(k)) => {
            account_page(state, ctx, id, Some(k.to_string())).await
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

pub async fn lock(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<AccountId>,
    Form(f): Form<ReasonForm>,
) -> Response {
    let r = service::lock_account(&state, &origin(&ctx), id, &f.reason).await;
    after_change(&state, &ctx, id, r).await
}

pub async fn unlock(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<AccountId>,
    Form(f): Form<ReasonForm>,
) -> Response {
    let r = service::unlock_account(&state, &origin(&ctx), id, &f.reason).await;
    after_change(&state, &ctx, id, r).await
}

pub struct DeadRow {
    pub id: JobId,
    pub kind: String,
    pub attempts: i64,
    pub error: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "console/jobs.html")]
struct JobsPage {
    c: Chrome,
    counts: Vec<(String, i64)>,
    dead: Vec<DeadRow>,
}

pub async fn jobs(State(state): State<AppState>, Operator(ctx): Operator) -> Response {
    let c = Chrome::new(&state, &ctx);
    // Every state and kind in words; an unknown code (a newer node's) as is.
    let say = |what: &str, code: String| match crate::plain::job_key(&state.i18n, what, &code) {
        Some(k) => c.t(k).to_string(),
        None => code,
    };
    let counts = tri!(records::job_counts(&state).await)
        .into_iter()
        .map(|(s, n)| (say("status", s.as_str().to_string()), n))
        .collect();
    let dead = tri!(records::jobs_in(&state, JobStatus::Dead, 200).await)
        .into_iter()
        .map(|j| DeadRow {
            id: j.id,
            kind: say("kind", j.kind),
            attempts: j.attempts,
            error: j.last_error.unwrap_or_default(),
            at: format_vn(j.updated_at),
        })
        .collect();
    render(&JobsPage { c, counts, dead })
}

pub async fn requeue(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<JobId>,
) -> Response {
    match service::requeue_job(&state, &origin(&ctx), id).await {
        Ok(true) => Redirect::to("/console/jobs").into_response(),
        Ok(false) => AppError::NotFound.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    c: Chrome,
    q: AuditQuery,
    entries: Vec<AuditRow>,
    error: Option<String>,
    /// Links to the newest page, newer and older pages (keyset cursors).
    newest: Option<String>,
    newer: Option<String>,
    older: Option<String>,
    verification: Option<(bool, String)>,
}

#[derive(Deserialize, Default, Clone)]
pub struct AuditQuery {
    verify: Option<String>,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    before: Option<i64>,
    after: Option<i64>,
}

const AUDIT_PER_PAGE: i64 = 50;

impl AuditQuery {
    /// The filter part of the query string (no cursor), to build links.
    fn filter_query(&self) -> String {
        [
            ("actor", &self.actor),
            ("target", &self.target),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", ctx::urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
    }

    fn link(&self, cursor: Option<(&str, i64)>) -> String {
        let mut q = self.filter_query();
        if let Some((k, v)) = cursor {
            if !q.is_empty() {
                q.push('&');
            }
            q.push_str(&format!("{k}={v}"));
        }
        if q.is_empty() {
            "/console/audit".into()
        } else {
            format!("/console/audit?{q}")
        }
    }
}

/// A date typed as `yyyy-mm-dd`, as the instant its Vietnam day starts
/// (or the next day starts, for the end of a range).
fn vn_day_start(s: &str, next: bool) -> Result<Option<i64>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| ())?;
    let d = if next { d.next_day().ok_or(())? } else { d };
    Ok(Some(motcua_domain::clock::from_vn_datetime(
        time::PrimitiveDateTime::new(d, time::Time::MIDNIGHT),
    )))
}

/// `account:ID` for a username, the text itself for a code (`cli`,
/// `system:`, `calendar:2027`, `account:7`).
async fn party_filter(
    state: &AppState,
    text: &str,
) -> Result<Result<String, String>, ServiceError> {
    let t = text.trim();
    if t.is_empty() || t.contains(':') || t == "cli" || t == "anonymous" {
        return Ok(Ok(t.to_string()));
    }
    Ok(match queries::account_by_username(state, t).await? {
        Some(a) => Ok(service::account_target(a.id)),
        None => Err(t.to_string()),
    })
}

/// The audit trail, filtered by actor, target, action and Vietnam dates,
/// newest first, 50 a page by sequence number (R-OP-2).
pub async fn audit(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Query(q): Query<AuditQuery>,
) -> Response {
    let c = Chrome::new(&state, &ctx);
    let mut error = None;
    let mut filter = audit::Filter {
        action: q.action.trim().to_string(),
        before: q.before,
        after: q.after,
        ..Default::default()
    };
    for (text, slot) in [
        (&q.actor, &mut filter.actor),
        (&q.target, &mut filter.target),
    ] {
        match tri!(party_filter(&state, text).await) {
            Ok(v) => *slot = v,
            Err(name) => {
                error = Some(c.t("audit.unknown_user").replace("{name}", &name));
            }
        }
    }
    match (vn_day_start(&q.from, false), vn_day_start(&q.to, true)) {
        (Ok(from), Ok(until)) => {
            filter.from = from;
            filter.until = until;
        }
        _ => error = Some(c.t("audit.bad_date").to_string()),
    }
    let (found, more) = if error.is_some() {
        (Vec::new(), false)
    } else {
        let mut found = tri!(records::audit_search(&state, &filter, AUDIT_PER_PAGE + 1).await);
        let more = found.len() as i64 > AUDIT_PER_PAGE;
        if more {
            if filter.after.is_some() {
                found.remove(0);
            } else {
                found.pop();
            }
        }
        (found, more)
    };
    // "Older" exists when this page was cut short going down, or when we
    // came up from older pages; "newer" the other way round.
    let (has_older, has_newer) = match (filter.after, filter.before) {
        (Some(_), _) => (!found.is_empty(), more),
        (None, Some(_)) => (more, true),
        (None, None) => (more, false),
    };
    let older = has_older
        .then(|| found.last().map(|e| q.link(Some(("before", e.seq)))))
        .flatten();
    let newer = has_newer
        .then(|| found.first().map(|e| q.link(Some(("after", e.seq)))))
        .flatten();
    let newest = (filter.before.is_some() || filter.after.is_some()).then(|| q.link(None));
    let entries = tri!(audit_rows(&state, &c, found).await);
    let verification = if q.verify.is_some() {
        let v = tri!(records::audit_verify(&state).await);
        Some(match v.broken {
            None => (
                true,
                c.t("console.verify_ok")
                    .replace("{n}", &v.records.to_string()),
            ),
            Some((seq, why)) => (
                false,
                c.t("console.verify_broken")
                    .replace("{seq}", &seq.to_string())
                    .replace("{why}", &why),
            ),
        })
    } else {
        None
    };
    let has_error = error.is_some();
    let mut r = render(&AuditPage {
        c,
        q,
        entries,
        error,
        newest,
        newer,
        older,
        verification,
    });
    if has_error && r.status() == StatusCode::OK {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

pub struct ThrottleRow {
    pub key: String,
    /// i18n key of what is throttled: a login name or an IP address.
    pub kind_key: &'static str,
    /// The login name or address, without the key's prefix.
    pub name: String,
    pub account_id: Option<AccountId>,
    pub locked: bool,
    pub failures: i64,
    pub last: String,
    pub until: String,
}

#[derive(Template)]
#[template(path = "console/throttles.html")]
struct ThrottlesPage {
    c: Chrome,
    rows: Vec<ThrottleRow>,
}

#[derive(Deserialize)]
pub struct ClearThrottleForm {
    key: String,
}

/// Lifts a failed-login lock (of a name or an address) and forgets its
/// failures; audited.
pub async fn clear_throttle(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Form(f): Form<ClearThrottleForm>,
) -> Response {
    match service::clear_throttle(&state, &super::auth::origin(&ctx), &f.key).await {
        Ok(()) => Redirect::to("/console/throttles?m=throttle_cleared").into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct FlashQuery {
    m: Option<String>,
}

pub async fn throttles(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Query(q): Query<FlashQuery>,
) -> Response {
    let now = state.now();
    let entries = tri!(queries::recent_throttles(&state, now - 86_400_000, 500).await);
    let names: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.key.strip_prefix("user:"))
        .collect();
    let ids = tri!(queries::ids_by_usernames(&state, &names).await);
    let mut rows = Vec::with_capacity(entries.len());
    for e in entries {
        let (kind_key, name, account_id) = if let Some(name) = e.key.strip_prefix("user:") {
            let id = ids.get(name).copied();
            ("console.throttle_kind.user", name.to_string(), id)
        } else if let Some(ip) = e.key.strip_prefix("ip:") {
            ("console.throttle_kind.ip", ip.to_string(), None)
        } else if let Some(rest) = e.key.strip_prefix("rl:") {
            ("console.throttle_kind.rate", rest.to_string(), None)
        } else {
            ("console.throttle_kind.other", e.key.clone(), None)
        };
        rows.push(ThrottleRow {
            kind_key,
            name,
            account_id,
            locked: e.state.locked_until > now,
            key: e.key,
            failures: e.state.failures,
            last: format_vn(e.state.last_failure_at),
            until: if e.state.locked_until > now {
                format_vn(e.state.locked_until)
            } else {
                "—".into()
            },
        });
    }
    render(&ThrottlesPage {
        c: Chrome::new(&state, &ctx).with_flash(q.m.as_deref()),
        rows,
    })
}

pub struct ReportRow {
    pub id: ReportId,
    pub reference: String,
    pub account_id: AccountId,
    pub username: String,
    pub ip: String,
    pub note: String,
    pub at: String,
    /// When it was marked handled; empty while open.
    pub handled: String,
}

#[derive(Template)]
#[template(path = "console/reports.html")]
struct ReportsPage {
    c: Chrome,
    rows: Vec<ReportRow>,
}

pub async fn reports(State(state): State<AppState>, Operator(ctx): Operator) -> Response {
    let rows = tri!(queries::compromise_reports(&state, 500).await)
        .into_iter()
        .map(|r| ReportRow {
            id: r.id,
            reference: motcua_identity::reports::report_reference(r.id),
            account_id: r.account_id,
            username: r.username,
            ip: r.ip,
            note: r.note,
            at: format_vn(r.at),
            handled: r.handled_at.map(format_vn).unwrap_or_default(),
        })
        .collect();
    render(&ReportsPage {
        c: Chrome::new(&state, &ctx),
        rows,
    })
}

/// An operator marks an unauthorized-use report handled.
pub async fn handle_report(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<ReportId>,
) -> Response {
    match service::handle_report(&state, &origin(&ctx), id).await {
        Ok(true) => Redirect::to("/console/reports").into_response(),
        Ok(false) => AppError::NotFound.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

pub struct SlaRow {
    pub kind_key: &'static str,
    pub reference: String,
    pub subject: String,
    pub link: String,
    pub received: String,
    pub due: String,
    pub left: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "console/sla.html")]
struct SlaPage {
    c: Chrome,
    counts: Vec<(String, i64, i64)>,
    rows: Vec<SlaRow>,
    /// Whether more items are open than the page shows.
    more: bool,
}

/// The most items the overview lists (the counts cover every item).
const SLA_SHOWN: i64 = 200;

/// Everything pending with a legal deadline, earliest first, with the
/// working time left (R-OP-3).
pub async fn sla(State(state): State<AppState>, Operator(ctx): Operator) -> Response {
    let c = Chrome::new(&state, &ctx);
    let items = tri!(state.sla_items(SLA_SHOWN).await);
    let counts: Vec<(String, i64, i64)> = tri!(state.sla_counts().await)
        .into_iter()
        .map(|(k, p, o)| (format!("sla.kind_{k}"), p, o))
        .collect();
    let more = counts.iter().map(|(_, p, _)| p).sum::<i64>() > items.len() as i64;
    let mut rows = Vec::with_capacity(items.len());
    for i in items {
        let (left, overdue) = tri!(super::registration::left_text(&state, &c, i.due_at).await);
        rows.push(SlaRow {
            kind_key: i.kind_key,
            reference: i.reference,
            subject: i.subject,
            link: i.link,
            received: format_vn(i.received_at),
            due: format_vn(i.due_at),
            left,
            overdue,
        });
    }
    render(&SlaPage {
        c,
        counts,
        rows,
        more,
    })
}

/// An operator edits an account's name, contact details and roles.
pub async fn edit(
    State(state): State<AppState>,
    Operator(ctx): Operator,
    Path(id): Path<AccountId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| super::first(&pairs, k);
    let mut roles = Vec::new();
    for (k, v) in &pairs {
        if k == "roles" {
            match motcua_domain::Role::parse(v) {
                Ok(r) => roles.push(r),
                Err(_) => return account_page(&state, &ctx, id, Some("error.role".into())).await,
            }
        }
    }
    let u = service::AccountUpdate {
        full_name: get("full_name"),
        email: get("email"),
        phone: get("phone"),
        roles,
    };
    let r = service::update_account(&state, &origin(&ctx), id, &u)
        .await
        .map(|_| ());
    after_change(&state, &ctx, id, r).await
}
