//! Account lifecycle (issue #3 part 4; Decree 85/2019 Art. 11(4)–(6)).
//!
//! - **Scheduled lock**: the holder asks, at least 5 calendar days ahead,
//!   for the account to be locked from a date (until an optional end
//!   date). The worker ([`run_due`]) locks it when the date comes (the
//!   operator may also carry it out from that date, or refuse it) and
//!   unlocks it at the end date.
//! - **Emergency lock**: the account is locked at once and every session
//!   ends; the operator confirms and notifies the holder within 5 working
//!   hours.
//! - **Operator lock on detected risk**: [`motcua_identity::service::lock_account`].
//! - **Reactivation**: the operator records the holder's request (a
//!   locked holder cannot log in) and reactivates within 1 working day.
//! - **Revocation**: on the holder's request, or on a ministry's notice
//!   that a declarant is dissolved, bankrupt or suspended (with the
//!   notice's reference and effective date); the operator revokes within
//!   3 working days and the holder gets the written result by mail. A
//!   revoked account never logs in again and cannot be unlocked.
//! - **Inactivity**: an account with no successful login for 2 years (or
//!   never, since its creation) is warned by mail 30 and 7 days before,
//!   then locked. Operators' accounts are left alone.
//!
//! Every change is one transaction with its audit record, the holder's
//! activity entry, the mail and the `account.*` event.
use crate::store::lifecycle::{self as store, NewRequest, Request};
use crate::NswContext;
use motcua_domain::clock::{format_vn, from_vn_datetime, vn_datetime};
use motcua_domain::{
    AccountId, AccountStatus, LifecycleRequestId, LifecycleStatus, Millis, Role, DAY,
};
use motcua_identity::directory::{self, Account, NewActivity};
use motcua_identity::service::{self, Origin, ServiceError};
use motcua_mail::{Locale, Template};
use motcua_store::{audit, AnyConnection, StoreError};
use time::{Date, PrimitiveDateTime, Time};

/// A scheduled lock is asked at least this many calendar days ahead.
pub const SCHEDULE_MIN_DAYS: i64 = 5;
/// Working hours the operator has to confirm an emergency lock.
pub const EMERGENCY_WORKING_HOURS: u32 = 5;
/// Working days to reactivate an account.
pub const REACTIVATION_WORKING_DAYS: u32 = 1;
/// Working days to revoke an account.
pub const REVOCATION_WORKING_DAYS: u32 = 3;
/// Years without a login after which an account is locked.
pub const INACTIVE_YEARS: i32 = 2;
/// Days before the inactivity lock when a warning is mailed.
pub const WARNING_DAYS: [i64; 2] = [30, 7];
/// The lock reason of an unused account.
pub const INACTIVE_REASON: &str = "Tài khoản không sử dụng 2 năm";

pub const KINDS: &[&str] = &[
    "scheduled_lock",
    "emergency_lock",
    "reactivation",
    "revocation",
];
/// Grounds of a revocation on a ministry's notice.
pub const MINISTRY_GROUNDS: &[&str] = &["dissolved", "bankrupt", "suspended"];

/// The reference people read, e.g. `TK-000012`.
pub fn reference(id: LifecycleRequestId) -> String {
    format!("TK-{id:06}")
}

/// Declarants and civil servants manage their accounts' lifecycle here.
pub fn may_request(a: &Account) -> bool {
    a.has_role(Role::Declarant) || a.has_role(Role::CivilServant)
}

fn l(state: &NswContext, locale: Locale, key: &str) -> String {
    state.i18n.get(locale, key).to_string()
}

fn clean(s: &str, max: usize) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

fn required_reason(s: &str) -> Result<String, ServiceError> {
    let r = clean(s, 1000);
    if r.chars().count() < 3 {
        return Err(ServiceError::invalid("lc.error_reason"));
    }
    Ok(r)
}

fn parse_date(s: &str) -> Option<Date> {
    Date::parse(
        s.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// 00:00 Vietnam time of a date.
fn start_of_day(d: Date) -> Millis {
    from_vn_datetime(PrimitiveDateTime::new(d, Time::MIDNIGHT))
}

fn today(now: Millis) -> Date {
    vn_datetime(now).date()
}

/// The same moment `years` later (29 February becomes 28 February).
fn add_years(at: Millis, years: i32) -> Millis {
    let dt = vn_datetime(at);
    let d = dt.date();
    let y = d.year() + years;
    let nd = Date::from_calendar_date(y, d.month(), d.day())
        .or_else(|_| Date::from_calendar_date(y, d.month(), 28))
        .unwrap_or(d);
    from_vn_datetime(PrimitiveDateTime::new(nd, dt.time()))
}

fn account_origin(origin: &Origin, account_id: AccountId) -> Origin {
    let mut o = origin.clone();
    o.audit.actor = service::account_target(account_id);
    o
}

fn system_origin() -> Origin {
    Origin {
        audit: audit::Ctx::system("lifecycle"),
        user_agent: "motcua-worker".into(),
    }
}

/// A localized notice to the account's address, in its language.
/// `facts`: (label key, value, whether the value is an i18n key too).
async fn notify(
    c: &mut AnyConnection,
    state: &NswContext,
    a: &Account,
    key: &str,
    facts: Vec<(&str, String, bool)>,
    now: Millis,
) -> Result<(), ServiceError> {
    let Some(email) = &a.email else {
        return Ok(());
    };
    let loc = Locale::parse(&a.locale);
    let facts = facts
        .into_iter()
        .map(|(k, v, tr)| {
            let v = if tr { l(state, loc, &v) } else { v };
            (l(state, loc, k), v)
        })
        .collect();
    let t = Template::Notice {
        full_name: a.full_name.clone(),
        subject: l(state, loc, &format!("{key}.subject")),
        heading: l(state, loc, &format!("{key}.heading")),
        body: l(state, loc, &format!("{key}.body")),
        facts,
        link_label: l(state, loc, "lc.link_portal"),
        link: format!("{}/", state.config.public_url),
    };
    service::queue_mail(c, state, email, &t, loc, now).await
}

fn kind_key(kind: &str) -> String {
    format!("lc.kind_{kind}")
}

async fn record_activity(
    c: &mut AnyConnection,
    origin: &Origin,
    account_id: AccountId,
    kind: &str,
    detail: &str,
    now: Millis,
) -> Result<(), ServiceError> {
    directory::record_activity(
        c,
        &NewActivity {
            account_id,
            kind,
            method: None,
            ip: &origin.audit.ip,
            user_agent: &origin.user_agent,
            detail,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Creates a request with its audit record, the holder's activity entry
/// and the acknowledgement mail, in the caller's transaction.
async fn create_request(
    c: &mut AnyConnection,
    state: &NswContext,
    origin: &Origin,
    a: &Account,
    n: &NewRequest<'_>,
    now: Millis,
) -> Result<LifecycleRequestId, ServiceError> {
    let id = store::create(c, n, now).await?;
    let r = reference(id);
    audit::append(
        c,
        &origin.audit,
        "lifecycle.request",
        &service::account_target(a.id),
        &serde_json::json!({
            "request": id, "reference": r, "kind": n.kind, "requested_by": n.requested_by,
            "reason": n.reason, "grounds": n.grounds, "notice_ref": n.notice_ref,
            "effective_at": n.effective_at, "until_at": n.until_at, "due_at": n.due_at,
        })
        .to_string(),
        now,
    )
    .await?;
    record_activity(
        c,
        origin,
        a.id,
        "lifecycle_requested",
        &format!("{r} ({})", n.kind),
        now,
    )
    .await?;
    let mut facts = vec![
        ("lc.reference", r, false),
        ("lc.kind", kind_key(n.kind), true),
        ("lc.due", format_vn(n.due_at), false),
    ];
    if let Some(e) = n.effective_at {
        facts.push(("lc.effective", format_vn(e), false));
    }
    notify(c, state, a, "lc.mail_received", facts, now).await?;
    Ok(id)
}

async fn ensure_none_open(
    c: &mut AnyConnection,
    account_id: AccountId,
    kind: &str,
) -> Result<(), ServiceError> {
    if store::open_of_kind(c, account_id, kind).await?.is_some() {
        return Err(ServiceError::Conflict("lc.error_open"));
    }
    Ok(())
}

/// The holder asks for the account to be locked from `from` (a date at
/// least [`SCHEDULE_MIN_DAYS`] calendar days ahead) until `until`
/// (optional, after `from`).
pub async fn request_scheduled_lock(
    state: &NswContext,
    origin: &Origin,
    account: &Account,
    from: &str,
    until: &str,
    reason: &str,
) -> Result<LifecycleRequestId, ServiceError> {
    if !may_request(account) {
        return Err(ServiceError::invalid("lc.error_role"));
    }
    let now = state.now();
    let Some(from) = parse_date(from) else {
        return Err(ServiceError::invalid("lc.error_date"));
    };
    if (from - today(now)).whole_days() < SCHEDULE_MIN_DAYS {
        return Err(ServiceError::invalid("lc.error_too_soon"));
    }
    let until = if until.trim().is_empty() {
        None
    } else {
        match parse_date(until) {
            Some(u) if u > from => Some(start_of_day(u)),
            _ => return Err(ServiceError::invalid("lc.error_until")),
        }
    };
    let reason = clean(reason, 1000);
    let effective = start_of_day(from);
    let origin = account_origin(origin, account.id);
    let mut tx = state.store.begin().await?;
    ensure_none_open(&mut tx, account.id, "scheduled_lock").await?;
    let by = service::account_target(account.id);
    let id = create_request(
        &mut tx,
        state,
        &origin,
        account,
        &NewRequest {
            kind: "scheduled_lock",
            account_id: account.id,
            requested_by: &by,
            reason: &reason,
            effective_at: Some(effective),
            until_at: until,
            due_at: effective,
            ..Default::default()
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(id)
}

/// The holder locks the account at once: every session ends, and the
/// operator must confirm and notify within [`EMERGENCY_WORKING_HOURS`].
pub async fn request_emergency_lock(
    state: &NswContext,
    origin: &Origin,
    account: &Account,
    reason: &str,
) -> Result<LifecycleRequestId, ServiceError> {
    if !may_request(account) {
        return Err(ServiceError::invalid("lc.error_role"));
    }
    let now = state.now();
    let due = motcua_kernel::calendar::deadline_hours(state, now, EMERGENCY_WORKING_HOURS).await?;
    let reason = clean(reason, 1000);
    let origin = account_origin(origin, account.id);
    let by = service::account_target(account.id);
    let mut tx = state.store.begin().await?;
    let id = create_request(
        &mut tx,
        state,
        &origin,
        account,
        &NewRequest {
            kind: "emergency_lock",
            account_id: account.id,
            requested_by: &by,
            reason: &reason,
            effective_at: Some(now),
            due_at: due,
            ..Default::default()
        },
        now,
    )
    .await?;
    let lock_reason = format!(
        "Khóa khẩn cấp theo yêu cầu của chủ tài khoản ({})",
        reference(id)
    );
    service::lock_in_tx(
        &mut tx,
        state,
        &origin,
        account,
        &lock_reason,
        "lifecycle.emergency_lock",
        serde_json::json!({ "request": id, "reason": reason }),
        now,
    )
    .await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    state.events_notify.notify_one();
    Ok(id)
}

/// The holder asks for the account to be revoked (`confirmed`: they ticked
/// that they understand it is final).
pub async fn request_revocation(
    state: &NswContext,
    origin: &Origin,
    account: &Account,
    reason: &str,
    confirmed: bool,
) -> Result<LifecycleRequestId, ServiceError> {
    if !may_request(account) {
        return Err(ServiceError::invalid("lc.error_role"));
    }
    if !confirmed {
        return Err(ServiceError::invalid("lc.error_confirm"));
    }
    let now = state.now();
    let due =
        motcua_kernel::calendar::deadline_days(state, now, REVOCATION_WORKING_DAYS, None).await?;
    let reason = clean(reason, 1000);
    let origin = account_origin(origin, account.id);
    let by = service::account_target(account.id);
    let mut tx = state.store.begin().await?;
    ensure_none_open(&mut tx, account.id, "revocation").await?;
    let id = create_request(
        &mut tx,
        state,
        &origin,
        account,
        &NewRequest {
            kind: "revocation",
            account_id: account.id,
            requested_by: &by,
            reason: &reason,
            grounds: Some("holder_request"),
            due_at: due,
            ..Default::default()
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(id)
}

/// What the operator enters from a ministry's notice.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MinistryNotice {
    #[serde(default)]
    pub ministry: String,
    #[serde(default)]
    pub grounds: String,
    #[serde(default)]
    pub notice_ref: String,
    /// `YYYY-MM-DD`, not in the future.
    #[serde(default)]
    pub effective_date: String,
    #[serde(default)]
    pub note: String,
}

async fn account_for_operator(
    c: &mut AnyConnection,
    account_id: AccountId,
) -> Result<Account, ServiceError> {
    match directory::account(c, account_id).await? {
        None => Err(ServiceError::NotFound),
        Some(a) if a.status == AccountStatus::Revoked => {
            Err(ServiceError::Conflict("lc.error_revoked"))
        }
        Some(a) => Ok(a),
    }
}

/// The operator records a ministry's notice that a declarant is
/// dissolved, bankrupt or suspended: a revocation request due in
/// [`REVOCATION_WORKING_DAYS`].
pub async fn record_ministry_notice(
    state: &NswContext,
    origin: &Origin,
    account_id: AccountId,
    n: &MinistryNotice,
) -> Result<LifecycleRequestId, ServiceError> {
    let ministry = clean(&n.ministry, 200);
    if ministry.chars().count() < 2 {
        return Err(ServiceError::invalid("lc.error_ministry"));
    }
    let Some(grounds) = MINISTRY_GROUNDS.iter().find(|g| **g == n.grounds.trim()) else {
        return Err(ServiceError::invalid("lc.error_grounds"));
    };
    let notice_ref = clean(&n.notice_ref, 100);
    if notice_ref.is_empty() {
        return Err(ServiceError::invalid("lc.error_notice_ref"));
    }
    let now = state.now();
    let Some(effective) = parse_date(&n.effective_date) else {
        return Err(ServiceError::invalid("lc.error_date"));
    };
    if effective > today(now) {
        return Err(ServiceError::invalid("lc.error_future"));
    }
    let note = clean(&n.note, 1000);
    let due =
        motcua_kernel::calendar::deadline_days(state, now, REVOCATION_WORKING_DAYS, None).await?;
    let mut tx = state.store.begin().await?;
    let a = account_for_operator(&mut tx, account_id).await?;
    ensure_none_open(&mut tx, account_id, "revocation").await?;
    let by = format!("ministry:{ministry}");
    let id = create_request(
        &mut tx,
        state,
        origin,
        &a,
        &NewRequest {
            kind: "revocation",
            account_id,
            requested_by: &by,
            reason: &note,
            grounds: Some(grounds),
            notice_ref: Some(&notice_ref),
            effective_at: Some(start_of_day(effective)),
            due_at: due,
            ..Default::default()
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(id)
}

/// The operator records the holder's request to reactivate a locked
/// account (received by mail or in writing: a locked holder cannot log
/// in); due in [`REACTIVATION_WORKING_DAYS`].
pub async fn record_reactivation(
    state: &NswContext,
    origin: &Origin,
    account_id: AccountId,
    reason: &str,
) -> Result<LifecycleRequestId, ServiceError> {
    let reason = required_reason(reason)?;
    let now = state.now();
    let due =
        motcua_kernel::calendar::deadline_days(state, now, REACTIVATION_WORKING_DAYS, None).await?;
    let mut tx = state.store.begin().await?;
    let a = account_for_operator(&mut tx, account_id).await?;
    if a.status != AccountStatus::Locked {
        return Err(ServiceError::invalid("lc.error_not_locked"));
    }
    ensure_none_open(&mut tx, account_id, "reactivation").await?;
    let by = service::account_target(account_id);
    let id = create_request(
        &mut tx,
        state,
        origin,
        &a,
        &NewRequest {
            kind: "reactivation",
            account_id,
            requested_by: &by,
            reason: &reason,
            due_at: due,
            ..Default::default()
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(id)
}

/// The operator's decision on a pending request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Lock (scheduled), confirm (emergency), reactivate, revoke.
    CarryOut,
    Refuse,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "carry_out" => Some(Action::CarryOut),
            "refuse" => Some(Action::Refuse),
            _ => None,
        }
    }
}

async fn close(
    c: &mut AnyConnection,
    id: LifecycleRequestId,
    status: LifecycleStatus,
    origin: &Origin,
    note: &str,
    effective_at: Option<Millis>,
    now: Millis,
) -> Result<(), ServiceError> {
    if !store::close(c, id, status, &origin.audit.actor, note, effective_at, now).await? {
        return Err(ServiceError::Conflict("lc.error_decided"));
    }
    Ok(())
}

fn scheduled_reason(r: &Request) -> String {
    format!(
        "Khóa theo yêu cầu của chủ tài khoản từ {} ({})",
        r.effective_at.map(format_vn).unwrap_or_default(),
        reference(r.id)
    )
}

/// Carries out a scheduled lock (the worker, or the operator from its
/// start date) in the caller's transaction.
async fn execute_scheduled(
    c: &mut AnyConnection,
    state: &NswContext,
    origin: &Origin,
    r: &Request,
    note: &str,
    now: Millis,
) -> Result<(), ServiceError> {
    close(c, r.id, LifecycleStatus::Done, origin, note, None, now).await?;
    let Some(a) = directory::account(c, r.account_id).await? else {
        return Err(ServiceError::NotFound);
    };
    audit::append(
        c,
        &origin.audit,
        "lifecycle.done",
        &service::account_target(a.id),
        &serde_json::json!({ "request": r.id, "kind": r.kind, "note": note }).to_string(),
        now,
    )
    .await?;
    if a.status == AccountStatus::Active {
        let reason = scheduled_reason(r);
        service::lock_in_tx(
            c,
            state,
            origin,
            &a,
            &reason,
            "lifecycle.scheduled_lock",
            serde_json::json!({ "request": r.id, "reason": reason, "until_at": r.until_at }),
            now,
        )
        .await?;
    }
    Ok(())
}

/// Revokes an account in the caller's transaction: status, sessions and
/// reset links ended, other open requests cancelled, activity, audit,
/// `account.revoked`, and the written result by mail.
async fn revoke(
    c: &mut AnyConnection,
    state: &NswContext,
    origin: &Origin,
    r: &Request,
    a: &Account,
    note: &str,
    now: Millis,
) -> Result<(), ServiceError> {
    let effective = r.effective_at.unwrap_or(now);
    close(
        c,
        r.id,
        LifecycleStatus::Done,
        origin,
        note,
        Some(effective),
        now,
    )
    .await?;
    let grounds = r.grounds.clone().unwrap_or_else(|| "holder_request".into());
    let reason = format!(
        "Thu hồi tài khoản ({}, {})",
        state.i18n.get(Locale::Vi, &format!("lc.grounds_{grounds}")),
        reference(r.id)
    );
    directory::revoke(c, a.id, &reason, now).await?;
    store::cancel_open(c, a.id, &origin.audit.actor, "revoked", now).await?;
    record_activity(c, origin, a.id, "revoked", &reason, now).await?;
    audit::append(
        c,
        &origin.audit,
        "account.revoke",
        &service::account_target(a.id),
        &serde_json::json!({
            "request": r.id, "grounds": grounds, "requested_by": r.requested_by,
            "notice_ref": r.notice_ref, "effective_at": effective, "note": note,
        })
        .to_string(),
        now,
    )
    .await?;
    motcua_identity::events::emit_account(c, state, "account.revoked", a.id, Some(&grounds), now)
        .await?;
    let mut facts = vec![
        ("lc.reference", reference(r.id), false),
        ("lc.grounds", format!("lc.grounds_{grounds}"), true),
        ("lc.effective", format_vn(effective), false),
        ("lc.decided_at", format_vn(now), false),
    ];
    if let Some(n) = &r.notice_ref {
        facts.push(("lc.notice_ref", n.clone(), false));
    }
    if !note.is_empty() {
        facts.push(("lc.note", note.to_string(), false));
    }
    notify(c, state, a, "lc.mail_revoked", facts, now).await
}

/// The operator decides a pending request. A decided request changes
/// nothing (`lc.error_decided`).
pub async fn decide(
    state: &NswContext,
    origin: &Origin,
    id: LifecycleRequestId,
    action: Action,
    note: &str,
) -> Result<(), ServiceError> {
    let now = state.now();
    let note = match action {
        Action::Refuse => required_reason(note)?,
        Action::CarryOut => clean(note, 1000),
    };
    let mut tx = state.store.begin().await?;
    let Some(r) = store::get(&mut tx, id).await? else {
        return Err(ServiceError::NotFound);
    };
    if r.status != LifecycleStatus::Pending {
        return Err(ServiceError::Conflict("lc.error_decided"));
    }
    let Some(a) = directory::account(&mut tx, r.account_id).await? else {
        return Err(ServiceError::NotFound);
    };
    let target = service::account_target(a.id);
    let facts = |extra: Option<(&'static str, String)>| {
        let mut f = vec![
            ("lc.reference", reference(r.id), false),
            ("lc.kind", kind_key(&r.kind), true),
            ("lc.decided_at", format_vn(now), false),
        ];
        if let Some((k, v)) = extra {
            f.push((k, v, false));
        }
        f
    };
    match (action, r.kind.as_str()) {
        (Action::Refuse, "emergency_lock") => return Err(ServiceError::invalid("lc.error_action")),
        (Action::Refuse, _) => {
            close(
                &mut tx,
                id,
                LifecycleStatus::Refused,
                origin,
                &note,
                None,
                now,
            )
            .await?;
            audit::append(
                &mut tx,
                &origin.audit,
                "lifecycle.refuse",
                &target,
                &serde_json::json!({ "request": id, "kind": r.kind, "reason": note }).to_string(),
                now,
            )
            .await?;
            record_activity(
                &mut tx,
                origin,
                a.id,
                "lifecycle_refused",
                &reference(id),
                now,
            )
            .await?;
            let f = facts(Some(("lc.reason", note.clone())));
            notify(&mut tx, state, &a, "lc.mail_refused", f, now).await?;
        }
        (Action::CarryOut, "scheduled_lock") => {
            if r.effective_at.is_some_and(|e| e > now) {
                return Err(ServiceError::invalid("lc.error_not_yet"));
            }
            execute_scheduled(&mut tx, state, origin, &r, &note, now).await?;
        }
        (Action::CarryOut, "emergency_lock") => {
            close(&mut tx, id, LifecycleStatus::Done, origin, &note, None, now).await?;
            audit::append(
                &mut tx,
                &origin.audit,
                "lifecycle.emergency_confirm",
                &target,
                &serde_json::json!({ "request": id, "note": note }).to_string(),
                now,
            )
            .await?;
            let extra = (!note.is_empty()).then(|| ("lc.note", note.clone()));
            notify(&mut tx, state, &a, "lc.mail_emergency", facts(extra), now).await?;
        }
        (Action::CarryOut, "reactivation") => {
            if a.status == AccountStatus::Revoked {
                return Err(ServiceError::Conflict("lc.error_revoked"));
            }
            close(&mut tx, id, LifecycleStatus::Done, origin, &note, None, now).await?;
            let reason = format!("Kích hoạt lại theo yêu cầu ({})", reference(id));
            service::unlock_in_tx(
                &mut tx,
                state,
                origin,
                a.id,
                &reason,
                "lifecycle.reactivate",
                serde_json::json!({ "request": id, "reason": reason, "note": note }),
                now,
            )
            .await?;
            let extra = (!note.is_empty()).then(|| ("lc.note", note.clone()));
            notify(&mut tx, state, &a, "lc.mail_reactivated", facts(extra), now).await?;
        }
        (Action::CarryOut, "revocation") => {
            if a.status == AccountStatus::Revoked {
                return Err(ServiceError::Conflict("lc.error_revoked"));
            }
            revoke(&mut tx, state, origin, &r, &a, &note, now).await?;
        }
        _ => return Err(ServiceError::invalid("lc.error_action")),
    }
    tx.commit().await?;
    state.jobs_notify.notify_one();
    state.events_notify.notify_one();
    Ok(())
}

/// What one [`run_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub scheduled_locked: usize,
    pub scheduled_ended: usize,
    pub warnings: usize,
    pub inactive_locked: usize,
}

/// The worker's periodic part: carries out scheduled locks whose date has
/// come, ends those whose end date has come, warns and locks unused
/// accounts. Idempotent: a second run at the same time does nothing.
pub async fn run_due(state: &NswContext) -> Result<RunSummary, ServiceError> {
    let now = state.now();
    let origin = system_origin();
    let mut out = RunSummary::default();
    let due = {
        let mut c = state.store.conn().await?;
        store::scheduled_due(&mut c, now).await?
    };
    for r in due {
        let mut tx = state.store.begin().await?;
        match execute_scheduled(&mut tx, state, &origin, &r, "", now).await {
            Ok(()) => {
                tx.commit().await?;
                out.scheduled_locked += 1;
            }
            // The account is gone or revoked meanwhile, or the request
            // was decided: nothing to carry out (the transaction rolls back).
            Err(
                ServiceError::Invalid { .. } | ServiceError::Conflict(_) | ServiceError::NotFound,
            ) => {}
            Err(e) => return Err(e),
        }
    }
    let ends = {
        let mut c = state.store.conn().await?;
        store::scheduled_ends_due(&mut c, now).await?
    };
    for r in ends {
        let mut tx = state.store.begin().await?;
        if !store::mark_ended(&mut tx, r.id, now).await? {
            continue;
        }
        let Some(a) = directory::account(&mut tx, r.account_id).await? else {
            continue;
        };
        // Only our own lock is lifted: not an operator's or a revocation.
        if a.status == AccountStatus::Locked
            && a.lock_reason.as_deref() == Some(scheduled_reason(&r).as_str())
        {
            let reason = format!("Hết thời hạn khóa theo yêu cầu ({})", reference(r.id));
            service::unlock_in_tx(
                &mut tx,
                state,
                &origin,
                a.id,
                &reason,
                "lifecycle.scheduled_unlock",
                serde_json::json!({ "request": r.id, "reason": reason }),
                now,
            )
            .await?;
            out.scheduled_ended += 1;
        }
        tx.commit().await?;
    }
    inactivity(state, &origin, now, &mut out).await?;
    if out != RunSummary::default() {
        state.jobs_notify.notify_one();
        state.events_notify.notify_one();
    }
    Ok(out)
}

async fn inactivity(
    state: &NswContext,
    origin: &Origin,
    now: Millis,
    out: &mut RunSummary,
) -> Result<(), ServiceError> {
    // Everything whose 30-day warning may be due (a year has ≥ 365 days);
    // the exact date is checked below.
    let first_warning = WARNING_DAYS[0];
    let threshold = now - (i64::from(INACTIVE_YEARS) * 365 - first_warning) * DAY;
    let last_warning = WARNING_DAYS[WARNING_DAYS.len() - 1];
    // A bounded share of the candidates per run, from where the last run
    // stopped: accounts already warned and waiting for their lock do not
    // hold back the ones behind them, and a run's work does not grow with
    // the population. At the end of the list the next run starts over.
    let poisoned = |_| ServiceError::Internal("inactivity sweep state".into());
    let sweep = *state.sweep.lock().map_err(poisoned)?;
    let mut cursor = sweep.cursor;
    let mut candidates = Vec::new();
    {
        let mut c = state.store.conn().await?;
        for _ in 0..sweep.pages {
            let page = directory::unused_since(&mut c, threshold, cursor, sweep.page).await?;
            let full = page.len() as i64 == sweep.page;
            cursor = page.last().map(|(id, at)| (*at, *id));
            candidates.extend(page);
            if !full {
                cursor = None;
                break;
            }
        }
    }
    state.sweep.lock().map_err(poisoned)?.cursor = cursor;
    for (id, last_use) in candidates {
        let lock_at = add_years(last_use, INACTIVE_YEARS);
        if now < lock_at - first_warning * DAY {
            continue;
        }
        let mut tx = state.store.begin().await?;
        let Some(a) = directory::account(&mut tx, id).await? else {
            continue;
        };
        if a.status != AccountStatus::Active {
            continue;
        }
        let first = store::first_warning(&mut tx, id, last_use).await?;
        if now >= lock_at && first.is_some_and(|f| f <= now - last_warning * DAY) {
            service::lock_in_tx(
                &mut tx,
                state,
                origin,
                &a,
                INACTIVE_REASON,
                "account.inactivity_lock",
                serde_json::json!({ "reason": INACTIVE_REASON, "last_use_at": last_use }),
                now,
            )
            .await?;
            tx.commit().await?;
            out.inactive_locked += 1;
            continue;
        }
        // The stage now due: 7 days before (or later: the lock then waits
        // 7 days from the warning), else 30 days before.
        let stage = if now >= lock_at - last_warning * DAY {
            last_warning
        } else {
            first_warning
        };
        if !store::record_warning(&mut tx, id, stage, last_use, now).await? {
            continue;
        }
        let lock_on = lock_at.max(now + last_warning * DAY);
        audit::append(
            &mut tx,
            &origin.audit,
            "account.inactivity_warning",
            &service::account_target(id),
            &serde_json::json!({ "stage_days": stage, "last_use_at": last_use, "lock_at": lock_on })
                .to_string(),
            now,
        )
        .await?;
        record_activity(
            &mut tx,
            origin,
            id,
            "inactivity_warning",
            &format_vn(lock_on),
            now,
        )
        .await?;
        notify(
            &mut tx,
            state,
            &a,
            "lc.mail_inactive",
            vec![
                ("lc.last_use", format_vn(last_use), false),
                ("lc.lock_on", format_vn(lock_on), false),
            ],
            now,
        )
        .await?;
        tx.commit().await?;
        out.warnings += 1;
    }
    Ok(())
}

/// An account's requests, newest first.
pub async fn for_account(
    state: &NswContext,
    account_id: AccountId,
) -> Result<Vec<Request>, ServiceError> {
    let mut c = state.store.conn().await?;
    let requests = store::for_account(&mut c, account_id).await?;
    Ok(with_usernames(&mut c, requests).await?)
}

motcua_kernel::sla_source!(
    /// This context's deadlines, for the operator's overview.
    Sla,
    "lifecycle",
    sla_items,
    sla_count
);

/// The pending requests with the earliest deadlines, for the SLA overview.
pub async fn sla_items(
    c: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<motcua_kernel::sla::SlaItem>, StoreError> {
    let (pending, _) = store::pending(c, None, limit).await?;
    Ok(with_usernames(c, pending)
        .await?
        .into_iter()
        .map(|r| motcua_kernel::sla::SlaItem {
            kind_key: "sla.kind_lifecycle",
            kind: "lifecycle",
            link: format!("/console/lifecycle/{}", r.id),
            subject: r.username,
            reference: reference(r.id),
            received_at: r.received_at,
            due_at: r.due_at,
        })
        .collect())
}

/// How many requests are pending and overdue at `now`.
pub async fn sla_count(
    c: &mut AnyConnection,
    now: Millis,
) -> Result<motcua_kernel::sla::SlaCount, StoreError> {
    let (pending, overdue) = store::pending_count(c, now).await?;
    Ok(motcua_kernel::sla::SlaCount { pending, overdue })
}

/// This module's user-facing messages (key, Vietnamese, English).
pub const MESSAGES: &[motcua_kernel::i18n::Message] = &[
    ("lc.title", "Khóa, mở khóa và thu hồi tài khoản", "Lock, reactivate or revoke the account"),
    ("lc.lead", "Theo Điều 11 Nghị định 85/2019/NĐ-CP, người khai và cán bộ, công chức có thể đề nghị khóa tài khoản theo lịch (gửi trước ít nhất 05 ngày), khóa khẩn cấp (có hiệu lực ngay) hoặc thu hồi tài khoản. Đơn vị quản lý Cổng xử lý và thông báo kết quả qua thư điện tử.", "Under Art. 11 of Decree 85/2019, declarants and civil servants may ask for a scheduled lock (at least 5 days ahead), an emergency lock (immediate) or the revocation of their account. The Portal Management Unit handles the request and tells you the result by email."),
    ("lc.account_link", "Khóa, kích hoạt lại, thu hồi", "Lock, reactivate, revoke"),
    ("lc.console_title", "Vòng đời tài khoản", "Account lifecycle"),
    ("lc.queue_lead", "Yêu cầu khóa, kích hoạt lại và thu hồi tài khoản đang chờ xử lý, hạn gần nhất trước. Khóa khẩn cấp: xác nhận trong 05 giờ làm việc; kích hoạt lại: 01 ngày làm việc; thu hồi: 03 ngày làm việc; khóa theo lịch: từ ngày đề nghị.", "Pending lock, reactivation and revocation requests, nearest deadline first. Emergency lock: confirm within 5 working hours; reactivation: 1 working day; revocation: 3 working days; scheduled lock: from the requested date."),
    ("lc.queue_empty", "Không có yêu cầu nào đang chờ xử lý.", "No pending requests."),
    ("lc.recent", "Đã xử lý gần đây", "Recently decided"),
    ("lc.views", "Danh sách yêu cầu", "Request lists"),
    ("lc.pending_view", "Đang chờ xử lý", "Pending"),
    ("lc.decided_none", "Chưa có yêu cầu nào đã xử lý.", "No decided requests yet."),
    ("lc.scheduled_title", "Khóa tài khoản theo lịch", "Scheduled lock"),
    ("lc.scheduled_lead", "Tài khoản sẽ bị khóa từ ngày bạn chọn (ít nhất 05 ngày kể từ hôm nay) đến ngày kết thúc nếu có.", "The account will be locked from the date you choose (at least 5 days from today) until the end date, if any."),
    ("lc.from", "Khóa từ ngày", "Lock from"),
    ("lc.until", "Đến ngày (không bắt buộc)", "Until (optional)"),
    ("lc.reason_label", "Lý do", "Reason"),
    ("lc.scheduled_submit", "Gửi yêu cầu khóa theo lịch", "Request the scheduled lock"),
    ("lc.emergency_title", "Khóa khẩn cấp", "Emergency lock"),
    ("lc.emergency_lead", "Tài khoản bị khóa ngay lập tức và mọi phiên đăng nhập kết thúc. Đơn vị quản lý Cổng xác nhận và thông báo cho bạn trong vòng 05 giờ làm việc. Để mở lại, hãy gửi yêu cầu kích hoạt lại tới Đơn vị quản lý Cổng.", "The account is locked at once and every session ends. The Portal Management Unit confirms and tells you within 5 working hours. To open it again, send a reactivation request to the Portal Management Unit."),
    ("lc.emergency_submit", "Khóa tài khoản ngay", "Lock the account now"),
    ("lc.revocation_title", "Thu hồi tài khoản", "Revoke the account"),
    ("lc.revocation_lead", "Tài khoản bị thu hồi sẽ không thể đăng nhập lại, không thể mở khóa và tên truy cập không được cấp lại. Đơn vị quản lý Cổng xử lý trong 03 ngày làm việc và gửi kết quả bằng văn bản qua thư điện tử.", "A revoked account can never log in again nor be unlocked, and its username is never reissued. The Portal Management Unit handles it within 3 working days and sends the written result by email."),
    ("lc.revocation_confirm", "Tôi hiểu rằng việc thu hồi tài khoản là không thể hoàn tác.", "I understand that revoking the account cannot be undone."),
    ("lc.revocation_submit", "Gửi yêu cầu thu hồi", "Request revocation"),
    ("lc.requests", "Yêu cầu của tài khoản", "The account's requests"),
    ("lc.none", "Chưa có yêu cầu nào.", "No requests yet."),
    ("lc.reference", "Mã yêu cầu", "Reference"),
    ("lc.kind", "Loại yêu cầu", "Request"),
    ("lc.kind_scheduled_lock", "Khóa theo lịch", "Scheduled lock"),
    ("lc.kind_emergency_lock", "Khóa khẩn cấp", "Emergency lock"),
    ("lc.kind_reactivation", "Kích hoạt lại", "Reactivation"),
    ("lc.kind_revocation", "Thu hồi", "Revocation"),
    ("lc.state", "Trạng thái", "Status"),
    ("lc.status_pending", "Đang chờ xử lý", "Pending"),
    ("lc.status_done", "Đã thực hiện", "Done"),
    ("lc.status_refused", "Bị từ chối", "Refused"),
    ("lc.status_cancelled", "Đã hủy", "Cancelled"),
    ("lc.received", "Tiếp nhận", "Received"),
    ("lc.due", "Hạn xử lý", "Deadline"),
    ("lc.time_left", "Thời gian còn lại", "Time left"),
    ("lc.effective", "Ngày có hiệu lực", "Effective date"),
    ("lc.account", "Tài khoản", "Account"),
    ("lc.requested_by", "Người đề nghị", "Requested by"),
    ("lc.grounds", "Căn cứ", "Grounds"),
    ("lc.grounds_holder_request", "Theo đề nghị của chủ tài khoản", "At the holder's request"),
    ("lc.grounds_dissolved", "Người khai đã giải thể", "The declarant is dissolved"),
    ("lc.grounds_bankrupt", "Người khai bị tuyên bố phá sản", "The declarant is declared bankrupt"),
    ("lc.grounds_suspended", "Người khai bị tạm ngừng hoạt động", "The declarant's activity is suspended"),
    ("lc.notice_ref", "Số văn bản thông báo", "Notice reference"),
    ("lc.ministry", "Bộ quản lý ngành, lĩnh vực", "Line ministry"),
    ("lc.note", "Ghi chú", "Note"),
    ("lc.reason", "Lý do", "Reason"),
    ("lc.result", "Kết quả", "Result"),
    ("lc.decided_at", "Ngày xử lý", "Decided on"),
    ("lc.last_use", "Lần sử dụng gần nhất", "Last used"),
    ("lc.lock_on", "Ngày khóa tài khoản", "Lock date"),
    ("lc.decide", "Xử lý yêu cầu", "Decide"),
    ("lc.carry_out_scheduled_lock", "Khóa tài khoản", "Lock the account"),
    ("lc.carry_out_emergency_lock", "Xác nhận và thông báo", "Confirm and notify"),
    ("lc.carry_out_reactivation", "Kích hoạt lại tài khoản", "Reactivate the account"),
    ("lc.carry_out_revocation", "Thu hồi tài khoản", "Revoke the account"),
    ("lc.refuse", "Từ chối", "Refuse"),
    ("lc.note_label", "Ghi chú kết quả hoặc lý do từ chối", "Result note, or the reason for refusing"),
    ("lc.ministry_title", "Ghi nhận văn bản thông báo của Bộ (thu hồi tài khoản người khai)", "Record a ministry's notice (revoke a declarant's account)"),
    ("lc.ministry_submit", "Ghi nhận và chuyển xử lý thu hồi", "Record and start the revocation"),
    ("lc.reactivation_title", "Ghi nhận yêu cầu kích hoạt lại", "Record a reactivation request"),
    ("lc.reactivation_lead", "Yêu cầu của chủ tài khoản nhận qua thư điện tử hoặc văn bản; kích hoạt lại trong 01 ngày làm việc.", "The holder's request received by email or in writing; reactivate within 1 working day."),
    ("lc.reactivation_reason", "Nội dung yêu cầu (cách nhận, số văn bản…)", "The request (how it came, its reference…)"),
    ("lc.reactivation_submit", "Ghi nhận yêu cầu", "Record the request"),
    ("lc.effective_date", "Ngày có hiệu lực (theo văn bản)", "Effective date (from the notice)"),
    ("lc.choose", "— Chọn —", "— Choose —"),
    ("lc.back_queue", "Về danh sách yêu cầu", "Back to the requests"),
    ("lc.link_portal", "Truy cập Cổng thông tin một cửa quốc gia", "Open the National Single Window"),
    ("lc.error_role", "Chức năng này dành cho tài khoản người khai và cán bộ, công chức.", "This is for declarant and civil-servant accounts."),
    ("lc.error_date", "Ngày không hợp lệ (định dạng năm-tháng-ngày).", "Invalid date (year-month-day)."),
    ("lc.error_too_soon", "Yêu cầu khóa theo lịch phải gửi trước ít nhất 05 ngày: hãy chọn ngày bắt đầu khóa từ 05 ngày sau hôm nay trở đi.", "A scheduled lock must be requested at least 5 days ahead: choose a start date 5 or more days from today."),
    ("lc.error_until", "Ngày kết thúc phải sau ngày bắt đầu khóa.", "The end date must be after the start date."),
    ("lc.error_open", "Tài khoản đã có một yêu cầu cùng loại đang chờ xử lý.", "The account already has a pending request of this kind."),
    ("lc.error_confirm", "Vui lòng xác nhận rằng bạn hiểu việc thu hồi là không thể hoàn tác.", "Please confirm that you understand revocation cannot be undone."),
    ("lc.error_reason", "Vui lòng nhập lý do (3–1000 ký tự).", "Please give a reason (3–1000 characters)."),
    ("lc.error_decided", "Yêu cầu này đã được xử lý; không có thay đổi nào.", "This request has already been decided; nothing was changed."),
    ("lc.error_action", "Thao tác không hợp lệ với yêu cầu này.", "This action is not valid for this request."),
    ("lc.error_not_yet", "Chưa đến ngày bắt đầu khóa theo yêu cầu.", "The requested lock date has not come yet."),
    ("lc.error_revoked", "Tài khoản đã bị thu hồi: không thể mở khóa, khóa lại hay kích hoạt lại.", "The account is revoked: it cannot be unlocked, locked again or reactivated."),
    ("lc.error_not_locked", "Tài khoản không ở trạng thái bị khóa.", "The account is not locked."),
    ("lc.error_ministry", "Vui lòng nhập tên Bộ gửi văn bản.", "Please give the ministry that sent the notice."),
    ("lc.error_grounds", "Vui lòng chọn căn cứ thu hồi.", "Please choose the grounds."),
    ("lc.error_notice_ref", "Vui lòng nhập số văn bản thông báo.", "Please give the notice's reference."),
    ("lc.error_future", "Ngày có hiệu lực không được sau ngày hôm nay.", "The effective date cannot be after today."),
    ("lc.emergency_done_title", "Tài khoản đã được khóa", "The account is locked"),
    ("lc.emergency_done", "Tài khoản của bạn đã bị khóa và mọi phiên đăng nhập đã kết thúc. Đơn vị quản lý Cổng sẽ xác nhận và thông báo cho bạn qua thư điện tử trong vòng 05 giờ làm việc.", "Your account is locked and every session has ended. The Portal Management Unit will confirm and tell you by email within 5 working hours."),
    ("flash.lc_requested", "Đã gửi yêu cầu. Kết quả sẽ được thông báo qua thư điện tử.", "Request sent. You will be told the result by email."),
    ("status.revoked", "Đã thu hồi", "Revoked"),
    ("activity.kind.revoked", "Tài khoản bị thu hồi", "Account revoked"),
    ("activity.kind.lifecycle_requested", "Gửi yêu cầu khóa, kích hoạt lại hoặc thu hồi", "Lock, reactivation or revocation requested"),
    ("activity.kind.lifecycle_refused", "Yêu cầu bị từ chối", "Request refused"),
    ("activity.kind.inactivity_warning", "Cảnh báo tài khoản không sử dụng", "Unused-account warning"),
    ("lc.mail_received.subject", "Đã tiếp nhận yêu cầu về tài khoản", "Your account request was received"),
    ("lc.mail_received.heading", "Yêu cầu đã được tiếp nhận", "Request received"),
    ("lc.mail_received.body", "Đơn vị quản lý Cổng thông tin một cửa quốc gia đã tiếp nhận yêu cầu về tài khoản của bạn như dưới đây. Kết quả sẽ được thông báo qua thư điện tử.", "The Portal Management Unit of the National Single Window has received the request about your account below. You will be told the result by email."),
    ("lc.mail_refused.subject", "Yêu cầu về tài khoản không được chấp thuận", "Your account request was refused"),
    ("lc.mail_refused.heading", "Yêu cầu không được chấp thuận", "Request refused"),
    ("lc.mail_refused.body", "Đơn vị quản lý Cổng đã xem xét yêu cầu về tài khoản của bạn và không chấp thuận, với lý do dưới đây.", "The Portal Management Unit has considered the request about your account and refused it, for the reason below."),
    ("lc.mail_emergency.subject", "Xác nhận khóa khẩn cấp tài khoản", "Emergency lock of your account confirmed"),
    ("lc.mail_emergency.heading", "Tài khoản đã được khóa khẩn cấp", "Your account is locked"),
    ("lc.mail_emergency.body", "Đơn vị quản lý Cổng xác nhận tài khoản của bạn đã bị khóa theo yêu cầu khóa khẩn cấp. Để sử dụng lại, hãy gửi yêu cầu kích hoạt lại tới Đơn vị quản lý Cổng.", "The Portal Management Unit confirms that your account has been locked as you asked. To use it again, send a reactivation request to the Portal Management Unit."),
    ("lc.mail_reactivated.subject", "Tài khoản đã được kích hoạt lại", "Your account has been reactivated"),
    ("lc.mail_reactivated.heading", "Tài khoản đã được kích hoạt lại", "Account reactivated"),
    ("lc.mail_reactivated.body", "Đơn vị quản lý Cổng đã kích hoạt lại tài khoản của bạn theo yêu cầu. Bạn có thể đăng nhập lại.", "The Portal Management Unit has reactivated your account as requested. You can log in again."),
    ("lc.mail_revoked.subject", "Thông báo thu hồi tài khoản", "Notice of the revocation of your account"),
    ("lc.mail_revoked.heading", "Thông báo thu hồi tài khoản", "Account revocation notice"),
    ("lc.mail_revoked.body", "Đơn vị quản lý Cổng thông tin một cửa quốc gia thông báo: tài khoản của bạn đã bị thu hồi theo Điều 11 Nghị định 85/2019/NĐ-CP, với căn cứ và ngày có hiệu lực dưới đây. Tài khoản không thể đăng nhập lại và tên truy cập không được cấp lại.", "The Portal Management Unit of the National Single Window gives notice that your account has been revoked under Art. 11 of Decree 85/2019, on the grounds and from the date below. The account can never log in again and its username is never reissued."),
    ("lc.mail_inactive.subject", "Tài khoản sắp bị khóa do không sử dụng", "Your account will be locked for non-use"),
    ("lc.mail_inactive.heading", "Tài khoản không được sử dụng trong thời gian dài", "Your account has not been used for a long time"),
    ("lc.mail_inactive.body", "Tài khoản của bạn chưa đăng nhập gần 2 năm. Tài khoản không sử dụng 2 năm sẽ bị khóa vào ngày dưới đây. Để giữ tài khoản, hãy đăng nhập trước ngày đó.", "Your account has not logged in for almost 2 years. Accounts unused for 2 years are locked, on the date below. To keep it, log in before then."),
];

/// [`run_due`] as the worker's periodic task.
pub struct Scheduled(pub NswContext);

impl motcua_kernel::worker::Periodic for Scheduled {
    fn name(&self) -> &'static str {
        "account lifecycle run"
    }

    fn run<'a>(
        &'a self,
        _core: &'a motcua_kernel::Core,
        _now: Millis,
    ) -> futures::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            run_due(&self.0).await.map_err(|e| e.to_string())?;
            Ok(())
        })
    }
}

/// Fills the requests' usernames from identity's directory (the store
/// leaves them empty: accounts are identity's table).
pub(crate) async fn with_usernames(
    c: &mut AnyConnection,
    mut requests: Vec<Request>,
) -> Result<Vec<Request>, StoreError> {
    let mut ids: Vec<AccountId> = requests.iter().map(|r| r.account_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let names = directory::usernames(c, &ids).await?;
    for r in &mut requests {
        if let Some(n) = names.get(&r.account_id) {
            r.username = n.clone();
        }
    }
    Ok(requests)
}
