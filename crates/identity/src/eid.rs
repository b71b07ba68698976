//! National e-ID federation (R-ID-12): the portal is an OpenID Connect
//! relying party of the national identification and authentication system
//! (`motcua-oidc`: authorization code + PKCE, state and nonce, ID-token
//! validation, JWKS rotation). The first login creates the account from
//! the claims after a consent screen; an organisation e-ID maps to its
//! business account; the `acr` decides the login method (eid_l1, eid_l2,
//! eid_org), whose level the operator's mapping gives.
use crate::service::{self, account_target, Origin, ServiceError};
use crate::store::accounts;
use crate::store::credentials::{self as store, Signup};
use crate::token::TokenError;
use crate::IdentityContext;
use motcua_domain::token::{random_token, sha256_hex};
use motcua_domain::{AccountId, AccountStatus, AuthMethod, Millis, Role, MINUTE};
use motcua_oidc::{Callback, LazyRp, OidcError, Pending};
use motcua_store::audit;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[identity.eid]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EidConfig {
    /// The provider's issuer, exactly as its discovery document says.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Joined to the public URL to make the registered redirect_uri.
    pub redirect_path: String,
    pub scopes: String,
    pub algorithms: Vec<String>,
    pub leeway_secs: i64,
    /// How long a started login may take.
    pub request_ttl_secs: i64,
    pub claims: EidClaims,
    /// acr value → login method (eid_l1, eid_l2, eid_org). A login whose
    /// acr is not listed is refused.
    pub acr_map: BTreeMap<String, String>,
}

impl Default for EidConfig {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            redirect_path: "/auth/eid/callback".into(),
            scopes: "openid profile".into(),
            algorithms: vec!["RS256".into(), "ES256".into(), "PS256".into()],
            leeway_secs: 60,
            request_ttl_secs: 600,
            claims: EidClaims::default(),
            acr_map: BTreeMap::new(),
        }
    }
}

/// Names of the provider's claims (VNeID's are configured when known).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EidClaims {
    pub personal_id: String,
    pub tax_code: String,
    pub full_name: String,
    pub birthdate: String,
}

impl Default for EidClaims {
    fn default() -> Self {
        Self {
            personal_id: "personal_id".into(),
            tax_code: "tax_code".into(),
            full_name: "name".into(),
            birthdate: "birthdate".into(),
        }
    }
}

/// The relying party and its settings.
pub struct Eid {
    pub rp: LazyRp,
    pub cfg: EidConfig,
}

impl Eid {
    pub fn new(cfg: &EidConfig, public_url: &str) -> Result<Self, String> {
        let redirect = format!("{}{}", public_url.trim_end_matches('/'), cfg.redirect_path);
        let mut c =
            motcua_oidc::Config::new(&cfg.issuer, &cfg.client_id, &cfg.client_secret, &redirect);
        c.scopes = cfg.scopes.clone();
        if !cfg.acr_map.is_empty() {
            c.acr_values = Some(cfg.acr_map.keys().cloned().collect::<Vec<_>>().join(" "));
        }
        c.algorithms = cfg
            .algorithms
            .iter()
            .map(|a| {
                a.parse()
                    .map_err(|_| format!("[identity.eid] unknown algorithm {a}"))
            })
            .collect::<Result<_, _>>()?;
        c.leeway = cfg.leeway_secs.clamp(0, 600) * 1000;
        let rp = LazyRp::new(c).map_err(|e| format!("[identity.eid]: {e}"))?;
        Ok(Self {
            rp,
            cfg: cfg.clone(),
        })
    }
}

/// Why an e-ID login did not complete.
#[derive(Debug, thiserror::Error)]
pub enum EidError {
    #[error("e-ID not configured")]
    Disabled,
    #[error("login request unknown, used or expired")]
    Spent,
    #[error("{0}")]
    Oidc(#[from] OidcError),
    #[error("acr not accepted: {0:?}")]
    Acr(Option<String>),
    #[error("claims missing")]
    Claims,
    /// A step-up (the browser is logged in) with another holder's e-ID.
    #[error("e-ID of another account")]
    OtherAccount,
    /// The sign-up would make a second account for a personal ID or tax
    /// code that has one.
    #[error("an account exists for this identity")]
    Exists,
    /// The browser proved an account other than the one the e-ID's
    /// personal ID names: the link is refused.
    #[error("the link was proven with another account")]
    LinkOtherAccount,
    #[error("{0}")]
    Token(#[from] TokenError),
}

impl From<motcua_store::StoreError> for EidError {
    fn from(e: motcua_store::StoreError) -> Self {
        EidError::Token(e.into())
    }
}

impl From<ServiceError> for EidError {
    fn from(e: ServiceError) -> Self {
        EidError::Token(e.into())
    }
}

impl EidError {
    pub fn message_key(&self) -> &'static str {
        match self {
            EidError::Disabled => "eid.disabled",
            EidError::Spent => "eid.spent",
            EidError::Oidc(e) if e.is_user_cancel() => "eid.cancelled",
            EidError::Oidc(e) if e.is_unavailable() => "eid.unavailable",
            EidError::Oidc(_) => "eid.invalid",
            EidError::Acr(_) => "eid.acr",
            EidError::Claims => "eid.claims",
            EidError::OtherAccount => "eid.other_account",
            EidError::Exists => "eid.exists",
            EidError::LinkOtherAccount => "eid.link.other_account",
            EidError::Token(e) => e.message_key(),
        }
    }
}

/// Starts a login: the provider's authorization URL to redirect to.
pub async fn begin(
    state: &IdentityContext,
    binding_hash: &str,
    next: &str,
) -> Result<String, EidError> {
    let eid = state.identity.eid.as_ref().ok_or(EidError::Disabled)?;
    let now = state.now();
    let rp = eid.rp.get(now).await?;
    let (url, pending) = rp.begin();
    let mut c = state.store.conn().await?;
    store::insert_oidc_request(
        &mut c,
        &sha256_hex(&pending.state),
        &serde_json::to_string(&pending).map_err(|e| ServiceError::Internal(e.to_string()))?,
        next,
        binding_hash,
        now,
        now + eid.cfg.request_ttl_secs.clamp(60, 3600) * 1000,
    )
    .await?;
    Ok(url)
}

/// What the callback leads to.
pub enum Outcome {
    /// Logged in (cookie token, where to go).
    LoggedIn(String, String),
    /// First login: the consent screen of this sign-up.
    Consent(String),
    /// No link, but an account with the holder's personal ID exists: the
    /// browser must log in to it before the e-ID is linked (the secret for
    /// its cookie, [`LINK_COOKIE`]).
    Link(String),
}

/// The cookie holding the secret of a pending link ([`Outcome::Link`]).
pub const LINK_COOKIE: &str = "motcua_eid_link";
/// How long the browser has to prove the existing account.
pub const LINK_TTL: Millis = 15 * MINUTE;

/// What the consent screen shows, from the claims.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct EidPrefill {
    pub kind: String,
    pub issuer: String,
    pub subject: String,
    pub full_name: String,
    pub personal_id: Option<String>,
    pub tax_code: Option<String>,
    pub birthdate: Option<String>,
    pub next: String,
    #[serde(default)]
    pub email: String,
}

/// Links the e-ID (issuer, subject, method) to the account and audits it
/// (`via` says how, when not at a login).
async fn link_eid(
    tx: &mut motcua_store::AnyConnection,
    origin: &Origin,
    account_id: AccountId,
    (issuer, subject, method): (&str, &str, AuthMethod),
    via: Option<&str>,
    now: Millis,
) -> Result<(), EidError> {
    store::link_eid(tx, account_id, issuer, subject, method.as_str(), now).await?;
    let mut detail =
        serde_json::json!({ "issuer": issuer, "subject": subject, "method": method.as_str() });
    if let Some(via) = via {
        detail["via"] = via.into();
    }
    let mut ctx = origin.audit.clone();
    ctx.actor = account_target(account_id);
    audit::append(
        tx,
        &ctx,
        "eid.link",
        &account_target(account_id),
        &detail.to_string(),
        now,
    )
    .await?;
    Ok(())
}

/// The provider sent the browser back. `current` is the browser's session
/// (account and cookie token), if it is logged in: the e-ID login is then a
/// step-up (R-ID-13) and must be that account's holder's e-ID.
pub async fn callback(
    state: &IdentityContext,
    origin: &Origin,
    binding_hash: &str,
    cb: &Callback,
    current: Option<(AccountId, &str)>,
) -> Result<Outcome, EidError> {
    let eid = state.identity.eid.as_ref().ok_or(EidError::Disabled)?;
    let now = state.now();
    let returned = cb.state.as_deref().unwrap_or_default();
    let (pending, next) = {
        let mut c = state.store.conn().await?;
        store::spend_oidc_request(&mut c, &sha256_hex(returned), binding_hash, now).await?
    }
    .ok_or(EidError::Spent)?;
    let pending: Pending = serde_json::from_str(&pending).map_err(|_| EidError::Spent)?;
    let rp = eid.rp.get(now).await?;
    let code = rp.check_callback(cb, &pending)?;
    let login = rp.exchange(&code, &pending, now).await?;
    let method = login
        .acr
        .as_deref()
        .and_then(|a| eid.cfg.acr_map.get(a))
        .and_then(|m| AuthMethod::parse(m))
        .filter(|m| {
            matches!(
                m,
                AuthMethod::EidL1 | AuthMethod::EidL2 | AuthMethod::EidOrg
            )
        })
        .ok_or_else(|| EidError::Acr(login.acr.clone()))?;
    let claims = &eid.cfg.claims;
    let personal_id = login
        .claim_str(&claims.personal_id)
        .and_then(|p| motcua_domain::PersonalId::parse(&p).ok())
        .map(|p| p.as_str().to_string());
    let tax_code = login
        .claim_str(&claims.tax_code)
        .and_then(|t| motcua_domain::TaxCode::parse(&t).ok())
        .map(|t| t.as_str().to_string());
    let organisation =
        method == AuthMethod::EidOrg || (tax_code.is_some() && personal_id.is_none());
    let mut tx = state.store.begin().await?;
    let linked = store::eid_account(&mut tx, &login.issuer, &login.subject).await?;
    let existing = match (linked, organisation) {
        (Some(id), _) => Some(
            accounts::get(&mut tx, id)
                .await?
                .ok_or(TokenError::NotRegistered)?,
        ),
        (None, true) => match &tax_code {
            Some(t) => accounts::by_tax_code(&mut tx, t)
                .await?
                .filter(|a| a.has_role(Role::Business) || a.has_role(Role::Declarant)),
            None => return Err(EidError::Claims),
        },
        (None, false) => match &personal_id {
            Some(p) => holder_of_personal_id(&mut tx, p).await?,
            None => return Err(EidError::Claims),
        },
    };
    // A personal e-ID not linked yet whose personal ID names an account:
    // that account is linked only once this browser proves it (a login
    // to it), never by the personal ID alone.
    let must_prove = linked.is_none() && !organisation;
    let existing_id = existing.as_ref().map(|a| a.id);
    if let (Some((current_id, _)), true) = (current, existing_id != current.map(|c| c.0)) {
        tracing::info!(
            %current_id,
            ?existing_id,
            "e-ID step-up with another holder's e-ID"
        );
        return Err(EidError::OtherAccount);
    }
    if let Some(account) = existing {
        let account_id = account.id;
        if account.status != AccountStatus::Active {
            return Err(TokenError::AccountLocked.into());
        }
        if must_prove && current.is_none() {
            drop(tx);
            let prefill = EidPrefill {
                kind: "citizen".into(),
                issuer: login.issuer.clone(),
                subject: login.subject.clone(),
                full_name: login.claim_str(&claims.full_name).unwrap_or_default(),
                personal_id: personal_id.clone(),
                tax_code: tax_code.clone(),
                birthdate: login.claim_str(&claims.birthdate),
                next,
                email: String::new(),
            };
            let secret = random_token();
            let mut c = state.store.conn().await?;
            store::insert_eid_link_request(
                &mut c,
                &store::EidLinkRequest {
                    id_hash: sha256_hex(&secret),
                    account_id,
                    method: method.as_str().into(),
                    prefill: serde_json::to_string(&prefill)
                        .map_err(|e| ServiceError::Internal(e.to_string()))?,
                    created_at: now,
                    expires_at: now + LINK_TTL,
                },
            )
            .await?;
            tracing::info!(%account_id, "e-ID of an existing account: link offered");
            return Ok(Outcome::Link(secret));
        }
        if linked.is_none() {
            let link = (login.issuer.as_str(), login.subject.as_str(), method);
            link_eid(&mut tx, origin, account_id, link, None, now).await?;
        }
        record_claims(
            &mut tx,
            account_id,
            &login.issuer,
            &personal_id,
            &tax_code,
            &login,
            claims,
            now,
        )
        .await?;
        let token = service::open_session(
            &mut tx,
            state,
            origin,
            account_id,
            method,
            current.map(|c| c.1),
            if current.is_some() {
                "step_up"
            } else {
                "login"
            },
            now,
        )
        .await?;
        tx.commit().await.map_err(ServiceError::from)?;
        motcua_kernel::metrics::inc(&state.metrics.login_success);
        return Ok(Outcome::LoggedIn(token, next));
    }
    drop(tx);
    // First login: a sign-up waiting for the holder's consent.
    let prefill = EidPrefill {
        kind: if organisation { "business" } else { "citizen" }.into(),
        issuer: login.issuer.clone(),
        subject: login.subject.clone(),
        full_name: login.claim_str(&claims.full_name).unwrap_or_default(),
        personal_id: personal_id.clone(),
        tax_code: tax_code.clone(),
        birthdate: login.claim_str(&claims.birthdate),
        next,
        email: login.claim_str("email").unwrap_or_default(),
    };
    let (identity_kind, identity_value) = match (organisation, &tax_code, &personal_id) {
        (true, Some(t), _) => ("tax_code", t.clone()),
        (false, _, Some(p)) => ("personal_id", p.clone()),
        _ => return Err(EidError::Claims),
    };
    let id = random_token();
    let mut c = state.store.conn().await?;
    store::insert_signup(
        &mut c,
        &Signup {
            id: id.clone(),
            method: method.as_str().into(),
            kind: prefill.kind.clone(),
            identity_kind: identity_kind.into(),
            identity_value,
            prefill: serde_json::to_string(&prefill)
                .map_err(|e| ServiceError::Internal(e.to_string()))?,
            cert_der: None,
            email: None,
            code_hash: None,
            attempts: 0,
            binding_hash: binding_hash.into(),
            created_at: now,
            expires_at: now + 30 * MINUTE,
            status: motcua_domain::SignupStatus::Consent,
            account_id: None,
        },
    )
    .await?;
    Ok(Outcome::Consent(id))
}

/// The account a personal ID names: the account's own field, else an
/// active certificate bound with it.
async fn holder_of_personal_id(
    c: &mut motcua_store::AnyConnection,
    personal_id: &str,
) -> Result<Option<accounts::Account>, EidError> {
    if let Some(a) = accounts::by_personal_id(c, personal_id).await? {
        return Ok(Some(a));
    }
    match store::accounts_with_identity(c, "personal_id", personal_id)
        .await?
        .first()
    {
        Some(id) => Ok(accounts::get(c, *id).await?),
        None => Ok(None),
    }
}

/// A pending link still open for the browser holding `secret`: the
/// account it names and the e-ID's claims.
pub async fn open_link(
    state: &IdentityContext,
    secret: &str,
) -> Result<Option<(store::EidLinkRequest, EidPrefill)>, EidError> {
    if secret.is_empty() {
        return Ok(None);
    }
    let mut c = state.store.conn().await?;
    let r = store::open_eid_link_request(&mut c, &sha256_hex(secret), state.now()).await?;
    Ok(r.map(|r| {
        let p = serde_json::from_str(&r.prefill).unwrap_or_default();
        (r, p)
    }))
}

/// The browser holding `secret` is logged in to `viewer`: if that is the
/// account the e-ID's personal ID names, the e-ID is linked to it (and
/// audited); any other account is refused (and audited). Either way the
/// pending link is spent. Returns where to go next.
pub async fn prove_link(
    state: &IdentityContext,
    origin: &Origin,
    secret: &str,
    viewer: AccountId,
) -> Result<String, EidError> {
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let r = store::spend_eid_link_request(&mut tx, &sha256_hex(secret), now)
        .await?
        .ok_or(EidError::Spent)?;
    let p: EidPrefill = serde_json::from_str(&r.prefill).map_err(|_| EidError::Spent)?;
    let mut ctx = origin.audit.clone();
    ctx.actor = account_target(viewer);
    if r.account_id != viewer {
        audit::append(
            &mut tx,
            &ctx,
            "eid.link_refused",
            &account_target(r.account_id),
            &serde_json::json!({ "issuer": p.issuer, "subject": p.subject, "proven_by": account_target(viewer) })
                .to_string(),
            now,
        )
        .await?;
        tx.commit().await.map_err(ServiceError::from)?;
        return Err(EidError::LinkOtherAccount);
    }
    let account = accounts::get(&mut tx, viewer)
        .await?
        .ok_or(TokenError::NotRegistered)?;
    if account.status != AccountStatus::Active {
        return Err(TokenError::AccountLocked.into());
    }
    let method = AuthMethod::parse(&r.method).unwrap_or(AuthMethod::EidL1);
    match store::eid_account(&mut tx, &p.issuer, &p.subject).await? {
        // Linked meanwhile (another tab): nothing more to do.
        Some(id) if id == viewer => {}
        Some(_) => return Err(EidError::OtherAccount),
        None => {
            let link = (p.issuer.as_str(), p.subject.as_str(), method);
            link_eid(&mut tx, origin, viewer, link, Some("login_proof"), now).await?;
            record_prefill(&mut tx, viewer, &p, now).await?;
        }
    }
    tx.commit().await.map_err(ServiceError::from)?;
    Ok(p.next)
}

/// Records what the e-ID says about the holder (R-ID-15).
async fn record_prefill(
    c: &mut motcua_store::AnyConnection,
    account_id: AccountId,
    p: &EidPrefill,
    now: Millis,
) -> Result<(), ServiceError> {
    let business = p.kind == "business";
    crate::profile::record(
        c,
        account_id,
        "eid",
        &p.issuer,
        &[
            (
                if business {
                    "organization"
                } else {
                    "full_name"
                },
                Some(p.full_name.as_str()),
            ),
            ("personal_id", p.personal_id.as_deref()),
            ("tax_code", p.tax_code.as_deref()),
            ("birthdate", p.birthdate.as_deref()),
        ],
        now,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn record_claims(
    c: &mut motcua_store::AnyConnection,
    account_id: AccountId,
    issuer: &str,
    personal_id: &Option<String>,
    tax_code: &Option<String>,
    login: &motcua_oidc::Login,
    claims: &EidClaims,
    now: Millis,
) -> Result<(), ServiceError> {
    let name = login.claim_str(&claims.full_name);
    let name_attr = if tax_code.is_some() && personal_id.is_none() {
        "organization"
    } else {
        "full_name"
    };
    crate::profile::record(
        c,
        account_id,
        "eid",
        issuer,
        &[
            (name_attr, name.as_deref()),
            ("personal_id", personal_id.as_deref()),
            ("tax_code", tax_code.as_deref()),
            ("birthdate", login.claim_str(&claims.birthdate).as_deref()),
        ],
        now,
    )
    .await
}

/// The holder agreed: the account is created from the claims, linked to
/// the e-ID, and logged in at the e-ID's level.
pub async fn confirm(
    state: &IdentityContext,
    origin: &Origin,
    signup: &Signup,
    p: &EidPrefill,
    old_session: Option<&str>,
) -> Result<(String, AccountId), EidError> {
    let now = state.now();
    let business = p.kind == "business";
    let username = match (&p.tax_code, &p.personal_id) {
        (Some(t), _) if business => format!("mst{}", t.replace('-', "")),
        (_, Some(pid)) => format!("cccd{pid}"),
        _ => return Err(EidError::Claims),
    };
    let prepared = service::prepare_passwordless(service::NewAccountInput {
        username,
        full_name: p.full_name.clone(),
        email: (!p.email.is_empty()).then(|| p.email.clone()),
        tax_code: p.tax_code.clone().filter(|_| business),
        personal_id: p.personal_id.clone().filter(|_| !business),
        roles: vec![if business {
            Role::Business
        } else {
            Role::Citizen
        }],
        ..Default::default()
    })?;
    let mut tx = state.store.begin().await?;
    // Never a second account for a personal ID or tax code that has one
    // (created since the consent screen opened): checked in the
    // transaction that creates it.
    if crate::token::identity_taken(&mut tx, &signup.identity_kind, &signup.identity_value).await? {
        return Err(EidError::Exists);
    }
    let account_id = service::insert_account(&mut tx, state, origin, &prepared, now)
        .await
        .map_err(|e| match e {
            ServiceError::Conflict("error.username_taken") => {
                EidError::Token(TokenError::IdentityTaken)
            }
            other => other.into(),
        })?;
    let method = AuthMethod::parse(&signup.method).unwrap_or(AuthMethod::EidL1);
    record_prefill(&mut tx, account_id, p, now).await?;
    crate::profile::record(
        &mut tx,
        account_id,
        "self",
        "registration",
        &[("email", Some(p.email.as_str()))],
        now,
    )
    .await?;
    if !store::signup_done(&mut tx, &signup.id, account_id).await? {
        return Err(EidError::Spent);
    }
    crate::portal::claim(&mut tx, &super::token::pending_ref(&signup.id), account_id).await?;
    let link = (p.issuer.as_str(), p.subject.as_str(), method);
    link_eid(&mut tx, origin, account_id, link, Some("registration"), now).await?;
    let token = service::open_session(
        &mut tx,
        state,
        origin,
        account_id,
        method,
        old_session,
        "login",
        now,
    )
    .await?;
    tx.commit().await.map_err(ServiceError::from)?;
    Ok((token, account_id))
}
