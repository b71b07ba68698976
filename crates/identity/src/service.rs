//! Application services: each public function is one use case, run as one
//! transaction that also writes the audit record (and the activity entry
//! the account holder sees, and any mail to send). Handlers and the CLI
//! both call these; neither touches the store directly for changes.
use crate::store::accounts::{self, Account, NewAccount};
use crate::store::{activity, resets, sessions};
use crate::IdentityContext;
use motcua_domain::account::{parse_full_name, AccountStatus};
use motcua_domain::throttle::{self, Decision, Policy};
use motcua_domain::token::{random_token, sha256_hex};
use motcua_domain::{
    password, AuthMethod, Email, Millis, PersonalId, Role, TaxCode, Username, DAY, MINUTE,
};
use motcua_domain::{AccountId, JobId, ReportId};
use motcua_mail::{Locale, Template};
use motcua_store::{audit, jobs, AnyConnection, StoreError};

pub use motcua_kernel::service::{queue_mail, Origin, Result, ServiceError};

pub fn account_target(id: AccountId) -> String {
    format!("account:{id}")
}

#[derive(Debug, Clone, Default)]
pub struct NewAccountInput {
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_code: Option<String>,
    pub personal_id: Option<String>,
    pub roles: Vec<Role>,
    /// None: generate one.
    pub initial_password: Option<String>,
    pub locale: Option<Locale>,
    /// A password chosen by the holder rather than given to them (demo
    /// data, migrations): no forced change, no expiry.
    pub permanent: bool,
}

impl PreparedAccount {
    pub fn username(&self) -> &str {
        &self.new.username
    }

    /// Changes the username (e.g. to a free one found inside the
    /// transaction). The password was generated, not chosen, so no
    /// password rule depends on the username.
    pub fn set_username(&mut self, username: &Username) {
        self.new.username = username.to_string();
    }

    /// The initial password given to the holder.
    pub fn initial_password(&self) -> &str {
        &self.initial
    }
}

/// A checked account with its password hashed, ready to insert in the
/// caller's transaction ([`insert_account`]).
pub struct PreparedAccount {
    pub new: NewAccount,
    pub hash: String,
    /// The initial password in clear, to hand to the holder once.
    pub initial: String,
    pub permanent: bool,
}

/// Checks the input and hashes the password (off the async runtime);
/// touches no data.
pub async fn prepare_account(
    state: &IdentityContext,
    input: NewAccountInput,
) -> Result<PreparedAccount> {
    let new = validate_account(&input)?;
    let operator = input.roles.contains(&Role::Operator);
    let initial = match input.initial_password {
        Some(p) => {
            password::check(&p, &new.username, operator)?;
            p
        }
        None => password::generate_initial(),
    };
    let hash = state.hasher.hash(&initial).await?;
    Ok(PreparedAccount {
        new,
        hash,
        initial,
        permanent: input.permanent,
    })
}

/// Checks the input of an account that logs in only with a strong method
/// (certificate, SIM, e-ID): no password is set.
pub fn prepare_passwordless(input: NewAccountInput) -> Result<PreparedAccount> {
    Ok(PreparedAccount {
        new: validate_account(&input)?,
        hash: String::new(),
        initial: String::new(),
        permanent: true,
    })
}

fn validate_account(input: &NewAccountInput) -> Result<NewAccount> {
    let username = Username::parse(&input.username)?;
    let full_name = parse_full_name(&input.full_name)?;
    let email = input
        .email
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(Email::parse)
        .transpose()?;
    let tax_code = input
        .tax_code
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(TaxCode::parse)
        .transpose()?;
    let personal_id = input
        .personal_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(PersonalId::parse)
        .transpose()?;
    if input.roles.is_empty() {
        return Err(ServiceError::invalid("error.role"));
    }
    Ok(NewAccount {
        username: username.to_string(),
        full_name,
        email: email.map(|e| e.to_string()),
        phone: input.phone.clone().filter(|s| !s.trim().is_empty()),
        tax_code: tax_code.map(|t| t.to_string()),
        personal_id: personal_id.map(|p| p.to_string()),
        locale: input.locale.unwrap_or(Locale::Vi).as_str().to_string(),
        roles: input.roles.clone(),
    })
}

/// Inserts a prepared account in the caller's transaction, with its
/// password (an initial one expires and must be changed at first login),
/// the audit record and the `account.created` event. A taken username is
/// `Conflict("error.username_taken")`.
pub async fn insert_account(
    c: &mut AnyConnection,
    state: &IdentityContext,
    origin: &Origin,
    p: &PreparedAccount,
    now: Millis,
) -> Result<AccountId> {
    let id = match accounts::create(c, &p.new, now).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => return Err(ServiceError::Conflict("error.username_taken")),
        Err(e) => return Err(e.into()),
    };
    if !p.hash.is_empty() {
        let expires = (!p.permanent).then_some(now + state.config.initial_password_days * DAY);
        accounts::set_password(c, id, &p.hash, expires, now).await?;
    }
    let roles: Vec<&str> = p.new.roles.iter().map(|r| r.as_str()).collect();
    let detail = serde_json::json!({ "username": p.new.username, "roles": roles }).to_string();
    audit::append(
        c,
        &origin.audit,
        "account.create",
        &account_target(id),
        &detail,
        now,
    )
    .await?;
    crate::events::emit_account(c, state, "account.created", id, None, now).await?;
    Ok(id)
}

/// Creates an account with an initial password, which expires after the
/// configured days and must be changed at first login (R-ID-4). Returns
/// the account id and the initial password.
pub async fn create_account(
    state: &IdentityContext,
    origin: &Origin,
    input: NewAccountInput,
) -> Result<(AccountId, String)> {
    let p = prepare_account(state, input).await?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let id = insert_account(&mut tx, state, origin, &p, now).await?;
    tx.commit().await?;
    state.events_notify.notify_one();
    Ok((id, p.initial))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Logged in; the new session's cookie token.
    Success {
        token: String,
        account_id: AccountId,
        must_change_password: bool,
    },
    Invalid,
    /// Too many recent failures: try again at this time.
    Wait(Millis),
    /// Temporarily locked after repeated failures, until this time.
    Throttled(Millis),
    /// Locked by an operator or by the holder's report.
    AccountLocked,
    InitialPasswordExpired,
}

fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// The throttle key of a login name, whether or not an account has it:
/// unknown names are throttled exactly like existing ones, so answers and
/// delays do not tell which usernames exist.
pub fn user_key(username: &str) -> String {
    let norm: String = username
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    format!("user:{norm}")
}

/// An attempt counted as a failure before the password is checked, with
/// the throttle states before and after (see [`reserve_attempt`]).
struct Reservation {
    ip_key: String,
    user_key: String,
    ip_before: throttle::State,
    ip_after: throttle::State,
    user_before: throttle::State,
    user_after: throttle::State,
}

/// Decides whether an attempt may be checked and, if so, counts it as a
/// failure at once, in one transaction holding both throttle rows (the IP
/// and the name, locked in that order by every caller). Concurrent
/// attempts — on this node or another on the same database — therefore see
/// each other: at most the policy's number are ever checked before a lock,
/// and a burst cannot push the lock further than one failure does. A right
/// password gives its reservation back ([`crate::store::throttle::release`]).
async fn reserve_attempt(
    state: &IdentityContext,
    ip: &str,
    username: &str,
    now: Millis,
) -> Result<std::result::Result<Reservation, LoginOutcome>> {
    let (ip_k, user_k) = (ip_key(ip), user_key(username));
    let mut tx = state.store.begin().await?;
    let ip_before = crate::store::throttle::lock(&mut tx, &ip_k).await?;
    let user_before = crate::store::throttle::lock(&mut tx, &user_k).await?;
    let refused = match throttle::decide(&ip_before, &Policy::IP, now) {
        Decision::Wait(t) => Some(LoginOutcome::Wait(t)),
        Decision::Locked(t) => Some(LoginOutcome::Throttled(t)),
        Decision::Allow => match throttle::decide(&user_before, &Policy::ACCOUNT, now) {
            Decision::Allow => None,
            Decision::Wait(t) => Some(LoginOutcome::Wait(t)),
            Decision::Locked(t) => Some(LoginOutcome::Throttled(t)),
        },
    };
    if let Some(outcome) = refused {
        tx.commit().await?;
        return Ok(Err(outcome));
    }
    let ip_after = throttle::on_failure(&ip_before, &Policy::IP, now);
    let user_after = throttle::on_failure(&user_before, &Policy::ACCOUNT, now);
    crate::store::throttle::put(&mut tx, &ip_k, &ip_after).await?;
    crate::store::throttle::put(&mut tx, &user_k, &user_after).await?;
    tx.commit().await?;
    Ok(Ok(Reservation {
        ip_key: ip_k,
        user_key: user_k,
        ip_before,
        ip_after,
        user_before,
        user_after,
    }))
}

/// Password login with per-name and per-IP throttling kept in the
/// database (so it holds across nodes). The attempt is reserved before the
/// password is hashed ([`reserve_attempt`]). Existing and unknown names get
/// the same answers, delays and locks; only a holder is told by mail. A
/// success rotates the session: the old one (if any) ends and a new token
/// is issued.
pub async fn login_password(
    state: &IdentityContext,
    origin: &Origin,
    username: &str,
    password_given: &str,
    old_session: Option<&str>,
) -> Result<LoginOutcome> {
    let now = state.now();
    let ip = origin.audit.ip.clone();
    let reservation = match reserve_attempt(state, &ip, username, now).await? {
        Ok(r) => r,
        Err(refused) => return Ok(refused),
    };
    let (account, credential) = {
        let mut c = state.store.conn().await?;
        let account = accounts::by_username(&mut c, username).await?;
        let credential = match &account {
            Some(a) => accounts::password(&mut c, a.id).await?,
            None => None,
        };
        (account, credential)
    };
    let ok = match &credential {
        Some(cred) => state.hasher.verify(password_given, &cred.hash).await?,
        None => state.hasher.verify_dummy(password_given).await?,
    };
    let (Some(account), Some(credential), true) = (account.clone(), credential, ok) else {
        return login_failed(state, origin, account, &reservation, now).await;
    };
    let mut tx = state.store.begin().await?;
    crate::store::throttle::release(&mut tx, &reservation.ip_key).await?;
    if account.status != AccountStatus::Active {
        crate::store::throttle::release(&mut tx, &reservation.user_key).await?;
        tx.commit().await?;
        return Ok(LoginOutcome::AccountLocked);
    }
    if credential.is_initial && credential.expires_at.is_some_and(|e| e <= now) {
        crate::store::throttle::release(&mut tx, &reservation.user_key).await?;
        tx.commit().await?;
        return Ok(LoginOutcome::InitialPasswordExpired);
    }
    crate::store::throttle::clear(&mut tx, &reservation.user_key).await?;
    let token = open_session(
        &mut tx,
        state,
        origin,
        account.id,
        AuthMethod::Password,
        old_session,
        "login",
        now,
    )
    .await?;
    tx.commit().await?;
    motcua_kernel::metrics::inc(&state.metrics.login_success);
    Ok(LoginOutcome::Success {
        token,
        account_id: account.id,
        must_change_password: credential.is_initial,
    })
}

/// A session to open: whose, how they logged in, from where, and the
/// session it replaces (see [`open_session_as`]).
#[derive(Debug, Clone)]
pub struct SessionSpec {
    pub account_id: AccountId,
    pub method: AuthMethod,
    /// The assurance level of `method` in the operator's mapping.
    pub level: u8,
    /// Idle lifetime in milliseconds.
    pub idle: Millis,
    pub origin: Origin,
    pub old_session: Option<String>,
    /// Activity kind: `login` or `step_up`.
    pub kind: &'static str,
}

impl SessionSpec {
    pub fn new(
        state: &IdentityContext,
        origin: &Origin,
        account_id: AccountId,
        method: AuthMethod,
        old_session: Option<&str>,
        kind: &'static str,
    ) -> SessionSpec {
        SessionSpec {
            account_id,
            method,
            level: state.identity.levels.level(method).get(),
            idle: state.config.session_idle_minutes * MINUTE,
            origin: origin.clone(),
            old_session: old_session.map(str::to_string),
            kind,
        }
    }
}

/// Opens a session for `account_id` after a login (or a step-up) by
/// `method`, in the caller's transaction (see [`open_session_as`]).
#[allow(clippy::too_many_arguments)]
pub async fn open_session(
    tx: &mut AnyConnection,
    state: &IdentityContext,
    origin: &Origin,
    account_id: AccountId,
    method: AuthMethod,
    old_session: Option<&str>,
    kind: &'static str,
    now: Millis,
) -> Result<String> {
    let spec = SessionSpec::new(state, origin, account_id, method, old_session, kind);
    open_session_as(tx, &spec, now).await
}

/// Opens the session `spec` in the caller's transaction: the old session,
/// if any, ends (the cookie rotates), the level follows the operator's
/// mapping, and the login goes to the holder's activity history and the
/// audit trail with its method (R-ID-13). Returns the new cookie token.
pub async fn open_session_as(
    tx: &mut AnyConnection,
    spec: &SessionSpec,
    now: Millis,
) -> Result<String> {
    let (account_id, method, origin) = (spec.account_id, spec.method, &spec.origin);
    let token = random_token();
    if let Some(old) = &spec.old_session {
        sessions::delete(&mut *tx, &sha256_hex(old)).await?;
    }
    sessions::create(
        &mut *tx,
        &sessions::Session {
            id_hash: sha256_hex(&token),
            account_id,
            method: method.as_str().into(),
            assurance_level: i64::from(spec.level),
            ip: origin.audit.ip.clone(),
            user_agent: origin.user_agent.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + spec.idle,
        },
    )
    .await?;
    activity::record(
        &mut *tx,
        &activity::NewActivity {
            account_id,
            kind: spec.kind,
            method: Some(method.as_str()),
            ip: &origin.audit.ip,
            user_agent: &origin.user_agent,
            detail: "",
        },
        now,
    )
    .await?;
    if spec.kind == "login" {
        accounts::touch_last_used(&mut *tx, account_id, now).await?;
    }
    let mut audit_ctx = origin.audit.clone();
    audit_ctx.actor = account_target(account_id);
    let action = if spec.kind == "step_up" {
        "session.step_up"
    } else {
        "session.create"
    };
    audit::append(
        &mut *tx,
        &audit_ctx,
        action,
        &account_target(account_id),
        &serde_json::json!({"method": method.as_str(), "level": spec.level}).to_string(),
        now,
    )
    .await?;
    Ok(token)
}

/// A wrong password (or an unknown name): the reserved failure stands.
/// What it locked is audited, and the holder (if the name is an account)
/// sees the failure in the history and is told of a lock by mail.
async fn login_failed(
    state: &IdentityContext,
    origin: &Origin,
    account: Option<Account>,
    r: &Reservation,
    now: Millis,
) -> Result<LoginOutcome> {
    motcua_kernel::metrics::inc(&state.metrics.login_failure);
    let ip = origin.audit.ip.clone();
    let mut tx = state.store.begin().await?;
    if r.ip_after.locked_until > now && r.ip_before.locked_until <= now {
        audit::append(
            &mut tx,
            &origin.audit,
            "throttle.lock",
            &r.ip_key,
            "{}",
            now,
        )
        .await?;
    }
    let locked = r.user_after.locked_until > now && r.user_before.locked_until <= now;
    let mut outcome = LoginOutcome::Invalid;
    if locked {
        outcome = LoginOutcome::Throttled(r.user_after.locked_until);
    }
    let detail = serde_json::json!({
        "until": r.user_after.locked_until,
        "failures": r.user_after.failures,
    })
    .to_string();
    match account {
        None if locked => {
            audit::append(
                &mut tx,
                &origin.audit,
                "throttle.lock",
                &r.user_key,
                &detail,
                now,
            )
            .await?;
        }
        None => {}
        Some(a) => {
            let nf = activity::NewActivity {
                account_id: a.id,
                kind: "login_failed",
                method: Some("password"),
                ip: &ip,
                user_agent: &origin.user_agent,
                detail: "",
            };
            activity::record(&mut tx, &nf, now).await?;
            if locked {
                let until = motcua_domain::clock::format_vn(r.user_after.locked_until);
                activity::record(
                    &mut tx,
                    &activity::NewActivity {
                        kind: "throttle_locked",
                        detail: &until,
                        ..nf
                    },
                    now,
                )
                .await?;
                audit::append(
                    &mut tx,
                    &origin.audit,
                    "account.throttle_lock",
                    &account_target(a.id),
                    &detail,
                    now,
                )
                .await?;
                if let Some(email) = &a.email {
                    let t = Template::AccountLocked {
                        full_name: a.full_name.clone(),
                        reason: reason_text(Locale::parse(&a.locale), "throttle", &until),
                        at: motcua_domain::clock::format_vn(now),
                    };
                    queue_mail(&mut tx, state, email, &t, Locale::parse(&a.locale), now).await?;
                }
            }
        }
    }
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(outcome)
}

fn reason_text(locale: Locale, why: &str, until: &str) -> String {
    match (locale, why) {
        (Locale::Vi, "throttle") => format!("Nhập sai mật khẩu nhiều lần liên tiếp. Tài khoản tạm khóa đến {until}."),
        (Locale::En, "throttle") => format!("Too many wrong passwords in a row. The account is locked until {until} (Vietnam time)."),
        (Locale::Vi, _) => "Chủ tài khoản báo cáo việc sử dụng trái phép.".into(),
        (Locale::En, _) => "The holder reported unauthorized use.".into(),
    }
}

/// The session of the cookie `token` and its account, if both are still
/// good at `now`: a session of an account that is no longer active is
/// ended. The idle expiry slides (capped by the absolute lifetime) and is
/// written at most once a minute to keep reads cheap.
pub async fn resume_session(
    core: &motcua_kernel::Core,
    token: &str,
    now: Millis,
) -> Result<Option<(sessions::Session, Account)>> {
    let id_hash = sha256_hex(token);
    let mut c = core.store.conn().await?;
    let Some(session) = sessions::get(&mut c, &id_hash, now).await? else {
        return Ok(None);
    };
    let Some(account) = accounts::get(&mut c, session.account_id).await? else {
        return Ok(None);
    };
    if account.status != AccountStatus::Active {
        sessions::delete(&mut c, &id_hash).await?;
        return Ok(None);
    }
    if now - session.last_seen_at > 60_000 {
        let idle = now + core.config.session_idle_minutes * 60_000;
        let cap = session.created_at + core.config.session_max_hours * 3_600_000;
        sessions::touch(&mut c, &id_hash, now, idle.min(cap)).await?;
    }
    Ok(Some((session, account)))
}

/// Ends one session.
pub async fn logout(
    state: &IdentityContext,
    origin: &Origin,
    account_id: AccountId,
    token: &str,
) -> Result<()> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    sessions::delete(&mut tx, &sha256_hex(token)).await?;
    activity::record(
        &mut tx,
        &activity::NewActivity {
            account_id,
            kind: "logout",
            method: None,
            ip: &origin.audit.ip,
            user_agent: &origin.user_agent,
            detail: "",
        },
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        &origin.audit,
        "session.end",
        &account_target(account_id),
        "{}",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of the account, on every device.
pub async fn logout_everywhere(
    state: &IdentityContext,
    origin: &Origin,
    account_id: AccountId,
) -> Result<u64> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let n = sessions::delete_all(&mut tx, account_id).await?;
    activity::record(
        &mut tx,
        &activity::NewActivity {
            account_id,
            kind: "logout_all",
            method: None,
            ip: &origin.audit.ip,
            user_agent: &origin.user_agent,
            detail: &n.to_string(),
        },
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        &origin.audit,
        "session.end_all",
        &account_target(account_id),
        &format!("{{\"sessions\":{n}}}"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Changes the password after checking the current one. Other sessions
/// end; the caller's session is rotated (the new token is returned).
/// A password change or first password: the holder's history (`kind`)
/// and the audit trail (`action`), in the caller's transaction.
async fn record_password_event(
    tx: &mut AnyConnection,
    origin: &Origin,
    account_id: AccountId,
    kind: &str,
    action: &str,
    now: Millis,
) -> Result<()> {
    activity::record(
        &mut *tx,
        &activity::NewActivity {
            account_id,
            kind,
            method: None,
            ip: &origin.audit.ip,
            user_agent: &origin.user_agent,
            detail: "",
        },
        now,
    )
    .await?;
    audit::append(
        &mut *tx,
        &origin.audit,
        action,
        &account_target(account_id),
        "{}",
        now,
    )
    .await?;
    Ok(())
}

pub async fn change_password(
    state: &IdentityContext,
    origin: &Origin,
    account: &Account,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<String> {
    let now = state.now();
    let cred = {
        let mut c = state.store.conn().await?;
        accounts::password(&mut c, account.id).await?
    };
    let Some(cred) = cred else {
        return Err(ServiceError::invalid("password.wrong_current"));
    };
    if !state.hasher.verify(current, &cred.hash).await? {
        return Err(ServiceError::invalid("password.wrong_current"));
    }
    if new != confirm {
        return Err(ServiceError::invalid("password.mismatch"));
    }
    if new == current {
        return Err(ServiceError::invalid("password.same"));
    }
    password::check(new, &account.username, account.has_role(Role::Operator))?;
    let hash = state.hasher.hash(new).await?;
    let token = random_token();
    let mut tx = state.store.begin().await?;
    accounts::set_password(&mut tx, account.id, &hash, None, now).await?;
    sessions::delete_all(&mut tx, account.id).await?;
    sessions::create(
        &mut tx,
        &sessions::Session {
            id_hash: sha256_hex(&token),
            account_id: account.id,
            method: "password".into(),
            assurance_level: 1,
            ip: origin.audit.ip.clone(),
            user_agent: origin.user_agent.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + state.config.session_idle_minutes * MINUTE,
        },
    )
    .await?;
    let kind = if cred.is_initial {
        "initial_password_changed"
    } else {
        "password_changed"
    };
    record_password_event(&mut tx, origin, account.id, kind, "password.change", now).await?;
    notify_password_changed(&mut tx, state, account, now).await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(token)
}

async fn notify_password_changed(
    c: &mut AnyConnection,
    state: &IdentityContext,
    account: &Account,
    now: Millis,
) -> Result<()> {
    if let Some(email) = &account.email {
        let t = Template::PasswordChanged {
            full_name: account.full_name.clone(),
            at: motcua_domain::clock::format_vn(now),
            report_link: format!("{}/account/report", state.config.public_url),
        };
        queue_mail(c, state, email, &t, Locale::parse(&account.locale), now).await?;
    }
    Ok(())
}

/// Sends a reset link to the account(s) with this username or email. The
/// answer never says whether an account exists. At most 3 links per
/// account per hour.
pub async fn request_password_reset(
    state: &IdentityContext,
    origin: &Origin,
    who: &str,
) -> Result<()> {
    let now = state.now();
    let who = who.trim();
    if who.is_empty() || who.len() > 254 {
        return Err(ServiceError::invalid("reset.who_required"));
    }
    let mut targets = Vec::new();
    {
        let mut c = state.store.conn().await?;
        if who.contains('@') {
            targets = accounts::by_email(&mut c, who).await?;
        } else if let Some(a) = accounts::by_username(&mut c, who).await? {
            targets.push(a);
        }
    }
    let mut tx = state.store.begin().await?;
    for a in targets
        .into_iter()
        .filter(|a| a.status == AccountStatus::Active)
    {
        let Some(email) = a.email.clone() else {
            continue;
        };
        if resets::recent_count(&mut tx, a.id, now - 60 * MINUTE).await? >= 3 {
            continue;
        }
        let token = random_token();
        let minutes = state.config.reset_link_minutes;
        resets::create(
            &mut tx,
            &sha256_hex(&token),
            a.id,
            now,
            now + minutes * MINUTE,
        )
        .await?;
        audit::append(
            &mut tx,
            &origin.audit,
            "password.reset_request",
            &account_target(a.id),
            "{}",
            now,
        )
        .await?;
        let t = Template::PasswordReset {
            full_name: a.full_name.clone(),
            link: format!("{}/password/reset/{token}", state.config.public_url),
            minutes,
        };
        queue_mail(&mut tx, state, &email, &t, Locale::parse(&a.locale), now).await?;
    }
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(())
}

/// Whether a reset link is still usable (opening the page consumes nothing:
/// mail scanners that pre-open links must not spend it).
pub async fn reset_link_valid(state: &IdentityContext, token: &str) -> Result<bool> {
    let mut c = state.store.conn().await?;
    Ok(resets::peek(&mut c, &sha256_hex(token), state.now())
        .await?
        .is_some())
}

/// Sets a new password through a reset link: consumes the link, ends all
/// sessions, lifts a failed-login lock (the holder proved their email).
/// An unknown, used or expired link is `NotFound`.
pub async fn complete_password_reset(
    state: &IdentityContext,
    origin: &Origin,
    token: &str,
    new: &str,
    confirm: &str,
) -> Result<()> {
    let now = state.now();
    if new != confirm {
        return Err(ServiceError::invalid("password.mismatch"));
    }
    let account_id = {
        let mut c = state.store.conn().await?;
        resets::peek(&mut c, &sha256_hex(token), now).await?
    };
    let Some(account_id) = account_id else {
        return Err(ServiceError::NotFound);
    };
    let account = {
        let mut c = state.store.conn().await?;
        accounts::get(&mut c, account_id).await?
    };
    let Some(account) = account else {
        return Err(ServiceError::NotFound);
    };
    password::check(new, &account.username, account.has_role(Role::Operator))?;
    let hash = state.hasher.hash(new).await?;
    let mut tx = state.store.begin().await?;
    if resets::consume(&mut tx, &sha256_hex(token), now).await? != Some(account_id) {
        return Err(ServiceError::NotFound);
    }
    resets::revoke_all(&mut tx, account_id, now).await?;
    accounts::set_password(&mut tx, account_id, &hash, None, now).await?;
    sessions::delete_all(&mut tx, account_id).await?;
    crate::store::throttle::clear(&mut tx, &user_key(&account.username)).await?;
    activity::record(
        &mut tx,
        &activity::NewActivity {
            account_id,
            kind: "password_reset",
            method: Some("email"),
            ip: &origin.audit.ip,
            user_agent: &origin.user_agent,
            detail: "",
        },
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        &origin.audit,
        "password.reset",
        &account_target(account_id),
        "{}",
        now,
    )
    .await?;
    notify_password_changed(&mut tx, state, &account, now).await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(())
}

/// The holder reports unauthorized use (R-ID-14): the account is locked at
/// once, every session ends, open reset links die, operators are told.
pub async fn report_compromise(
    state: &IdentityContext,
    origin: &Origin,
    account: &Account,
    note: &str,
) -> Result<()> {
    let now = state.now();
    let note: String = note.trim().chars().take(2000).collect();
    let locale = Locale::parse(&account.locale);
    let reason = reason_text(locale, "report", "");
    let mut tx = state.store.begin().await?;
    accounts::set_status(
        &mut tx,
        account.id,
        AccountStatus::Locked,
        Some(&reason),
        now,
    )
    .await?;
    sessions::delete_all(&mut tx, account.id).await?;
    resets::revoke_all(&mut tx, account.id, now).await?;
    activity::report_compromise(&mut tx, account.id, &note, &origin.audit.ip, now).await?;
    activity::record(
        &mut tx,
        &activity::NewActivity {
            account_id: account.id,
            kind: "compromise_reported",
            method: None,
            ip: &origin.audit.ip,
            user_agent: &origin.user_agent,
            detail: &note,
        },
        now,
    )
    .await?;
    audit::append(
        &mut tx,
        &origin.audit,
        "account.compromise_report",
        &account_target(account.id),
        &serde_json::json!({ "note": note }).to_string(),
        now,
    )
    .await?;
    crate::events::emit_account(
        &mut tx,
        state,
        "account.locked",
        account.id,
        Some("compromise_report"),
        now,
    )
    .await?;
    let mut recipients: Vec<(String, Locale)> = accounts::operators(&mut tx)
        .await?
        .into_iter()
        .filter_map(|o| o.email.map(|e| (e, Locale::parse(&o.locale))))
        .collect();
    if let Some(e) = &state.config.operator_email {
        recipients.push((e.clone(), Locale::Vi));
    }
    recipients.sort_by(|a, b| a.0.cmp(&b.0));
    recipients.dedup_by(|a, b| a.0 == b.0);
    for (email, l) in recipients {
        let t = Template::CompromiseReported {
            username: account.username.clone(),
            full_name: account.full_name.clone(),
            at: motcua_domain::clock::format_vn(now),
            ip: origin.audit.ip.clone(),
            note: note.clone(),
            console_link: format!(
                "{}/console/accounts/{}",
                state.config.public_url, account.id
            ),
        };
        queue_mail(&mut tx, state, &email, &t, l, now).await?;
    }
    if let Some(email) = &account.email {
        let t = Template::AccountLocked {
            full_name: account.full_name.clone(),
            reason,
            at: motcua_domain::clock::format_vn(now),
        };
        queue_mail(&mut tx, state, email, &t, locale, now).await?;
    }
    tx.commit().await?;
    state.jobs_notify.notify_one();
    state.events_notify.notify_one();
    Ok(())
}

fn check_reason(reason: &str) -> Result<String> {
    let r = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if r.chars().count() < 3 || r.chars().count() > 500 {
        return Err(ServiceError::invalid("console.reason_required"));
    }
    Ok(r)
}

/// An operator (or the CLI) locks an account — e.g. on a detected risk
/// (Decree 85/2019 Art. 11); a reason is mandatory. A revoked account
/// stays revoked.
pub async fn lock_account(
    state: &IdentityContext,
    origin: &Origin,
    account_id: AccountId,
    reason: &str,
) -> Result<()> {
    let now = state.now();
    let reason = check_reason(reason)?;
    let mut tx = state.store.begin().await?;
    let Some(account) = accounts::get(&mut tx, account_id).await? else {
        return Err(ServiceError::NotFound);
    };
    if account.status == AccountStatus::Revoked {
        return Err(ServiceError::invalid("lc.error_revoked"));
    }
    lock_in_tx(
        &mut tx,
        state,
        origin,
        &account,
        &reason,
        "account.lock",
        serde_json::json!({ "reason": reason, "by": "operator" }),
        now,
    )
    .await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    state.events_notify.notify_one();
    Ok(())
}

/// Locks an account in the caller's transaction: status, every session
/// and reset link ended, the holder's activity, the audit record
/// (`action` with `detail`), the `account.locked` event and the mail to
/// the holder.
#[allow(clippy::too_many_arguments)]
pub async fn lock_in_tx(
    c: &mut AnyConnection,
    state: &IdentityContext,
    origin: &Origin,
    account: &Account,
    reason: &str,
    action: &str,
    detail: serde_json::Value,
    now: Millis,
) -> Result<()> {
    let account_id = account.id;
    accounts::set_status(c, account_id, AccountStatus::Locked, Some(reason), now).await?;
    sessions::delete_all(c, account_id).await?;
    resets::revoke_all(c, account_id, now).await?;
    activity::record(
        c,
        &activity::NewActivity {
            account_id,
            kind: "locked",
            method: None,
            ip: &origin.audit.ip,
            user_agent: &origin.user_agent,
            detail: reason,
        },
        now,
    )
    .await?;
    audit::append(
        c,
        &origin.audit,
        action,
        &account_target(account_id),
        &detail.to_string(),
        now,
    )
    .await?;
    crate::events::emit_account(c, state, "account.locked", account_id, Some(reason), now).await?;
    if let Some(email) = &account.email {
        let t = Template::AccountLocked {
            full_name: account.full_name.clone(),
            reason: reason.to_string(),
            at: motcua_domain::clock::format_vn(now),
        };
        queue_mail(c, state, email, &t, Locale::parse(&account.locale), now).await?;
    }
    Ok(())
}

/// Lifts an operator lock, a report lock and any failed-login lock, and
/// tells the holder by mail (as the lock did). A revoked account cannot be
/// unlocked.
pub async fn unlock_account(
    state: &IdentityContext,
    origin: &Origin,
    account_id: AccountId,
    reason: &str,
) -> Result<()> {
    let now = state.now();
    let reason = check_reason(reason)?;
    let mut tx = state.store.begin().await?;
    let Some(account) = accounts::get(&mut tx, account_id).await? else {
        return Err(ServiceError::NotFound);
    };
    if account.status == AccountStatus::Revoked {
        return Err(ServiceError::invalid("lc.error_revoked"));
    }
    let throttled = crate::store::throttle::get(&mut tx, &user_key(&account.username))
        .await?
        .locked_until
        > now;
    unlock_in_tx(
        &mut tx,
        state,
        origin,
        account_id,
        &reason,
        "account.unlock",
        serde_json::json!({ "reason": reason }),
        now,
    )
    .await?;
    // The holder learns of the unlock as of the lock (only if there was one).
    if let (Some(email), true) = (
        &account.email,
        account.status == AccountStatus::Locked || throttled,
    ) {
        let t = Template::AccountUnlocked {
            full_name: account.full_name.clone(),
            reason: reason.clone(),
            at: motcua_domain::clock::format_vn(now),
        };
        queue_mail(
            &mut tx,
            state,
            email,
            &t,
            Locale::parse(&account.locale),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    state.jobs_notify.notify_one();
    state.events_notify.notify_one();
    Ok(())
}

/// Unlocks an account in the caller's transaction, with the activity, the
/// audit record and the `account.unlocked` event.
#[allow(clippy::too_many_arguments)]
pub async fn unlock_in_tx(
    c: &mut AnyConnection,
    state: &IdentityContext,
    origin: &Origin,
    account_id: AccountId,
    reason: &str,
    action: &str,
    detail: serde_json::Value,
    now: Millis,
) -> Result<()> {
    accounts::set_status(c, account_id, AccountStatus::Active, None, now).await?;
    // An unlock also lifts a failed-login lock of the account's name.
    if let Some(a) = accounts::get(&mut *c, account_id).await? {
        crate::store::throttle::clear(c, &user_key(&a.username)).await?;
    }
    activity::record(
        c,
        &activity::NewActivity {
            account_id,
            kind: "unlocked",
            method: None,
            ip: &origin.audit.ip,
            user_agent: &origin.user_agent,
            detail: reason,
        },
        now,
    )
    .await?;
    audit::append(
        c,
        &origin.audit,
        action,
        &account_target(account_id),
        &detail.to_string(),
        now,
    )
    .await?;
    crate::events::emit_account(c, state, "account.unlocked", account_id, Some(reason), now)
        .await?;
    Ok(())
}

/// Takes one use of every `(key, limit)` at once, or none: the keys' rows
/// are locked in sorted order and every limit checked before any count
/// moves, in one transaction, so concurrent requests on any node see each
/// other (the limit is reserved before the mail or the row is made).
/// `Ok(Err(t))`: refused until `t`.
pub async fn rate_limit(
    state: &IdentityContext,
    keys: &[(String, throttle::RateLimit)],
) -> Result<std::result::Result<(), Millis>> {
    let now = state.now();
    let mut sorted: Vec<&(String, throttle::RateLimit)> = keys.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted.dedup_by(|a, b| a.0 == b.0);
    let mut tx = state.store.begin().await?;
    let mut next = Vec::with_capacity(sorted.len());
    let mut refused_until = None;
    for (key, limit) in sorted {
        let st = crate::store::throttle::lock(&mut tx, key).await?;
        match limit.take(&st, now) {
            Ok(n) => next.push((key, n)),
            Err(t) => refused_until = Some(refused_until.map_or(t, |u: Millis| u.max(t))),
        }
    }
    if let Some(t) = refused_until {
        tx.commit().await?;
        return Ok(Err(t));
    }
    for (key, n) in next {
        crate::store::throttle::put(&mut tx, key, &n).await?;
    }
    tx.commit().await?;
    Ok(Ok(()))
}

/// Gives back the uses [`rate_limit`] took when the request turned out to
/// make nothing (the form had errors): typing mistakes do not use up the
/// limit; only what is stored or mailed counts.
pub async fn rate_release(
    state: &IdentityContext,
    keys: &[(String, throttle::RateLimit)],
) -> Result<()> {
    let mut sorted: Vec<&String> = keys.iter().map(|(k, _)| k).collect();
    sorted.sort();
    sorted.dedup();
    let mut tx = state.store.begin().await?;
    for key in sorted {
        crate::store::throttle::release(&mut tx, key).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The rate-limit keys of an unauthenticated `form` sent from `ip` for
/// `address` (a mail address or phone number, normalised), if any.
pub fn form_limits(
    form: &str,
    ip: &str,
    address: Option<&str>,
) -> Vec<(String, throttle::RateLimit)> {
    let mut v = vec![(
        format!("rl:{form}:ip:{ip}"),
        throttle::RateLimit::FORM_PER_IP,
    )];
    if let Some(a) = address {
        let a: String = a.trim().to_lowercase().chars().take(254).collect();
        if !a.is_empty() {
            v.push((
                format!("rl:{form}:to:{a}"),
                throttle::RateLimit::PER_ADDRESS,
            ));
        }
    }
    v
}

/// Operator: lift a failed-login lock of a name (`user:…`) or an address
/// (`ip:…`) and forget its failures. Audited with the state it had.
pub async fn clear_throttle(state: &IdentityContext, origin: &Origin, key: &str) -> Result<()> {
    let now = state.now();
    if !(key.starts_with("user:") || key.starts_with("ip:") || key.starts_with("rl:"))
        || key.len() > 300
    {
        return Err(ServiceError::invalid("error.bad_input"));
    }
    let mut tx = state.store.begin().await?;
    let before = crate::store::throttle::get(&mut tx, key).await?;
    crate::store::throttle::clear(&mut tx, key).await?;
    let detail = serde_json::json!({
        "failures": before.failures,
        "locked_until": before.locked_until,
    })
    .to_string();
    audit::append(&mut tx, &origin.audit, "throttle.clear", key, &detail, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Operator: put a dead job back in the queue.
pub async fn requeue_job(state: &IdentityContext, origin: &Origin, job_id: JobId) -> Result<bool> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let ok = jobs::requeue(&mut tx, job_id, now).await?;
    if ok {
        audit::append(
            &mut tx,
            &origin.audit,
            "job.requeue",
            &format!("job:{job_id}"),
            "{}",
            now,
        )
        .await?;
    }
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(ok)
}

/// Sets the account's preferred language (used for its mail).
pub async fn set_locale(
    state: &IdentityContext,
    origin: &Origin,
    account_id: AccountId,
    locale: Locale,
) -> Result<()> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    accounts::set_locale(&mut tx, account_id, locale.as_str(), now).await?;
    audit::append(
        &mut tx,
        &origin.audit,
        "account.locale",
        &account_target(account_id),
        &format!("{{\"locale\":\"{}\"}}", locale.as_str()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What an operator may change on an account: name, contact details and
/// roles (the username, tax code and personal ID are fixed).
#[derive(Debug, Clone, Default)]
pub struct AccountUpdate {
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub roles: Vec<Role>,
}

/// An operator edits an account; audited with before and after, and
/// `account.updated` goes to the specialized systems (R-ID-5). An operator
/// cannot take the operator role away from themself (no lock-out).
pub async fn update_account(
    state: &IdentityContext,
    origin: &Origin,
    account_id: AccountId,
    u: &AccountUpdate,
) -> Result<bool> {
    let full_name = parse_full_name(&u.full_name)?;
    let email = Some(u.email.trim())
        .filter(|s| !s.is_empty())
        .map(Email::parse)
        .transpose()?
        .map(|e| e.to_string());
    let phone: Option<String> =
        Some(u.phone.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|s| !s.is_empty());
    if phone.as_ref().is_some_and(|p| p.chars().count() > 30) {
        return Err(ServiceError::invalid("console.error_phone"));
    }
    let mut roles = u.roles.clone();
    roles.sort_by_key(|r| r.as_str());
    roles.dedup();
    if roles.is_empty() {
        return Err(ServiceError::invalid("error.role"));
    }
    if origin.audit.actor == account_target(account_id) && !roles.contains(&Role::Operator) {
        return Err(ServiceError::invalid("console.error_own_operator"));
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let Some(before) = accounts::get(&mut tx, account_id).await? else {
        return Err(ServiceError::NotFound);
    };
    let mut old_roles: Vec<&str> = before.roles.iter().map(|r| r.as_str()).collect();
    old_roles.sort_unstable();
    let new_roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    if before.full_name == full_name
        && before.email == email
        && before.phone == phone
        && old_roles == new_roles
    {
        return Ok(false);
    }
    accounts::update_profile(
        &mut tx,
        account_id,
        &full_name,
        email.as_deref(),
        phone.as_deref(),
        &roles,
        now,
    )
    .await?;
    let detail = serde_json::json!({
        "before": { "full_name": before.full_name, "email": before.email, "phone": before.phone, "roles": old_roles },
        "after": { "full_name": full_name, "email": email, "phone": phone, "roles": new_roles },
    });
    audit::append(
        &mut tx,
        &origin.audit,
        "account.update",
        &account_target(account_id),
        &detail.to_string(),
        now,
    )
    .await?;
    crate::events::emit_account(&mut tx, state, "account.updated", account_id, None, now).await?;
    tx.commit().await?;
    state.events_notify.notify_one();
    Ok(true)
}

/// Sets a first password on an account that has none (one created with a
/// certificate, a SIM signature or the e-ID), under the same policy as a
/// change. The caller's session stays as it is; the holder gets a mail
/// like after a change, the history and the audit trail record it.
pub async fn set_password(
    state: &IdentityContext,
    origin: &Origin,
    account: &Account,
    new: &str,
    confirm: &str,
) -> Result<()> {
    let now = state.now();
    if new != confirm {
        return Err(ServiceError::invalid("password.mismatch"));
    }
    password::check(new, &account.username, account.has_role(Role::Operator))?;
    let hash = state.hasher.hash(new).await?;
    let mut tx = state.store.begin().await?;
    if accounts::password(&mut tx, account.id).await?.is_some() {
        return Err(ServiceError::invalid("pwset.already"));
    }
    accounts::set_password(&mut tx, account.id, &hash, None, now).await?;
    record_password_event(
        &mut tx,
        origin,
        account.id,
        "password_set",
        "password.set",
        now,
    )
    .await?;
    if let Some(email) = &account.email {
        let locale = Locale::parse(&account.locale);
        let t = |k: &str| state.i18n.get(locale, k).to_string();
        let m = Template::Notice {
            full_name: account.full_name.clone(),
            subject: t("pwset.mail_subject"),
            heading: t("pwset.mail_subject"),
            body: t("pwset.mail_body"),
            facts: vec![
                (t("account.username"), account.username.clone()),
                (t("pwset.mail_at"), motcua_domain::clock::format_vn(now)),
            ],
            link_label: t("pwset.mail_link"),
            link: format!("{}/account/report", state.config.public_url),
        };
        queue_mail(&mut tx, state, email, &m, locale, now).await?;
    }
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(())
}

/// An operator marks an unauthorized-use report handled: it leaves the
/// deadlines overview. Audited against the report's account. `false` if
/// there is no such open report.
pub async fn handle_report(
    state: &IdentityContext,
    origin: &Origin,
    report_id: ReportId,
) -> Result<bool> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let Some(account_id) = activity::mark_report_handled(&mut tx, report_id, now).await? else {
        return Ok(false);
    };
    audit::append(
        &mut tx,
        &origin.audit,
        "report.handled",
        &account_target(account_id),
        &serde_json::json!({ "report": report_id }).to_string(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
