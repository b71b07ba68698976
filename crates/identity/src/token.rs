//! Signed-challenge login and registration (USB token through the signing
//! tool; the SIM flow reuses the same checks). R-ID-9, R-ID-11.
//!
//! 1. The page asks for a challenge ([`issue_challenge`]): its nonce is an
//!    HMAC binding it to this browser, purpose, method and expiry, so
//!    issuing writes nothing.
//! 2. The signing tool signs its exact text with the chosen certificate.
//! 3. [`verify_signed`] parses it, checks origin, purpose, expiry and the
//!    HMAC, spends it (a row keyed by its id: single use across nodes; the
//!    login spends it in its own transaction), verifies the signature, the
//!    certificate path and its revocation status at `now`.
//! 4. Login finds the account the certificate is bound to
//!    ([`login_with_certificate`]); registration opens a sign-up prefilled
//!    from the certificate ([`start_signup`]) that the email code completes.
use crate::logins::{LoginWrite, WriteError};
use crate::service::{self, account_target, Origin, ServiceError, SessionSpec};
use crate::store::accounts;
use crate::store::credentials::{self as store, CertificateRow, ChallengeRow, Signup};
use crate::IdentityContext;
use base64::engine::general_purpose::STANDARD as B64;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64_URL;
use base64::Engine;
use motcua_domain::token::{random_token, sha256_hex};
use motcua_domain::{
    AccountId, AccountStatus, AuthMethod, CertificateId, CertificateStatus, Millis, Role, MINUTE,
};
use motcua_pki::challenge::{Challenge, ChallengeError, Purpose};
use motcua_pki::{Chain, PkiError};
use motcua_store::{audit, AnyConnection};
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// How long a sign-up waits for its form and then its email code.
pub const SIGNUP_TTL: Millis = 30 * MINUTE;
/// Wrong codes before the sign-up must start again.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// Why a signed challenge was not accepted. Each has one message.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}")]
    Challenge(#[from] ChallengeError),
    #[error("{0}")]
    Pki(#[from] PkiError),
    #[error("the signing tool's answer is malformed")]
    Malformed,
    /// A valid certificate that no account holds.
    #[error("certificate not registered")]
    NotRegistered,
    #[error("certificate already registered")]
    AlreadyRegistered,
    /// An account with this tax code or personal ID exists already.
    #[error("an account exists for this identity")]
    IdentityTaken,
    /// The certificate names no tax code nor personal ID.
    #[error("certificate without identifier")]
    NoIdentifier,
    #[error("account not active")]
    AccountLocked,
    /// Step-up with a certificate of another account.
    #[error("certificate of another account")]
    OtherAccount,
    /// A document signed with a certificate not registered to the account.
    #[error("certificate not registered to this account")]
    NotYours,
    /// The document changed between the challenge and the signature.
    #[error("the document changed since it was signed")]
    DigestChanged,
    #[error("{0}")]
    Service(#[from] ServiceError),
}

impl From<motcua_store::StoreError> for TokenError {
    fn from(e: motcua_store::StoreError) -> Self {
        TokenError::Service(e.into())
    }
}

impl TokenError {
    /// The i18n key of the user's message.
    pub fn message_key(&self) -> &'static str {
        match self {
            TokenError::Challenge(e) => e.message_key(),
            TokenError::Pki(e) => e.message_key(),
            TokenError::Malformed => "token.malformed",
            TokenError::NotRegistered => "token.not_registered",
            TokenError::AlreadyRegistered => "token.already_registered",
            TokenError::IdentityTaken => "token.identity_taken",
            TokenError::NoIdentifier => "token.no_identifier",
            TokenError::AccountLocked => "login.locked",
            TokenError::OtherAccount => "token.other_account",
            TokenError::NotYours => "token.not_yours",
            TokenError::DigestChanged => "token.digest_changed",
            TokenError::Service(_) => "error.internal",
        }
    }
}

/// The public origin the challenges name (scheme://host[:port]).
pub fn portal_origin(state: &IdentityContext) -> String {
    let url = state.config.public_url.trim_end_matches('/');
    match url.find("://") {
        Some(i) => match url[i + 3..].find('/') {
            Some(j) => url[..i + 3 + j].to_string(),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// The challenge's nonce: an HMAC (the portal's secret) over everything
/// the challenge is for — id, purpose, origin, expiry, method, this
/// browser, the account (step-up). Nothing is stored when a challenge is
/// issued; the signed text proves itself, and only spending it writes.
fn challenge_mac(
    state: &IdentityContext,
    ch: &Challenge,
    method: AuthMethod,
    binding_hash: &str,
    account_id: Option<AccountId>,
) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&state.config.secret_key) else {
        return String::new();
    };
    mac.update(
        format!(
            "motcua-challenge-mac/1\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
            ch.id,
            ch.purpose.as_str(),
            ch.origin,
            ch.expires,
            method.as_str(),
            binding_hash,
            account_id.map(|a| a.to_string()).unwrap_or_default(),
            ch.digest.as_deref().unwrap_or_default()
        )
        .as_bytes(),
    );
    B64_URL.encode(mac.finalize().into_bytes())
}

/// Creates a challenge for this browser (no write: see [`challenge_mac`]).
pub fn issue_challenge(
    state: &IdentityContext,
    binding_hash: &str,
    purpose: Purpose,
    method: AuthMethod,
    account_id: Option<AccountId>,
) -> Challenge {
    let now = state.now();
    let mut ch = Challenge::new(
        &portal_origin(state),
        purpose,
        now,
        state.identity.challenge_ttl,
    );
    ch.nonce = challenge_mac(state, &ch, method, binding_hash, account_id);
    ch
}

/// A challenge for the logged-in `account_id` to sign the document whose
/// SHA-256 is `digest` (64 hex) with a USB token (or, with `method`, a
/// SIM), from this browser.
pub fn issue_document_challenge(
    state: &IdentityContext,
    binding_hash: &str,
    account_id: AccountId,
    digest: &str,
) -> Challenge {
    issue_document_challenge_for(
        state,
        binding_hash,
        account_id,
        digest,
        AuthMethod::UsbToken,
    )
}

/// [`issue_document_challenge`] for a given signing method.
pub fn issue_document_challenge_for(
    state: &IdentityContext,
    binding_hash: &str,
    account_id: AccountId,
    digest: &str,
    method: AuthMethod,
) -> Challenge {
    let mut ch = Challenge::for_digest(
        &portal_origin(state),
        digest,
        state.now(),
        state.identity.challenge_ttl,
    );
    ch.nonce = challenge_mac(state, &ch, method, binding_hash, Some(account_id));
    ch
}

/// A verified signature over a document (R-PS-3): what is kept with it
/// so that anyone can check it again later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSignature {
    /// The document's SHA-256 (64 hex), as signed.
    pub digest: String,
    /// The exact text signed (the challenge with the digest).
    pub signed_text: String,
    /// Base64 signature (ECDSA: DER).
    pub signature: String,
    /// Base64 DER of the signing certificate.
    pub certificate: String,
    /// The certificate's subject in words (organization or holder).
    pub signer: String,
    pub issuer_dn: String,
    pub serial_hex: String,
    pub method: String,
    pub signed_at: Millis,
}

/// Checks a signed document challenge: issued to this browser for this
/// account and `expected_digest` (the document as it is now), signed with
/// a valid certificate bound to the account. The challenge is spent.
pub async fn verify_document_signature(
    state: &IdentityContext,
    binding_hash: &str,
    account_id: AccountId,
    expected_digest: &str,
    signed: &SignedChallenge,
) -> Result<DocumentSignature, TokenError> {
    let text = signed.challenge.replace("\r\n", "\n");
    let ch = Challenge::parse(&text)?;
    if ch.digest.as_deref() != Some(expected_digest) {
        return Err(TokenError::DigestChanged);
    }
    verify_document_with(
        state,
        binding_hash,
        account_id,
        signed,
        AuthMethod::UsbToken,
    )
    .await
}

/// Checks a signed document challenge for `method` (the SIM flow checks
/// the digest against the document when it submits). See
/// [`verify_document_signature`].
pub async fn verify_document_with(
    state: &IdentityContext,
    binding_hash: &str,
    account_id: AccountId,
    signed: &SignedChallenge,
    method: AuthMethod,
) -> Result<DocumentSignature, TokenError> {
    let text = signed.challenge.replace("\r\n", "\n");
    let ch = Challenge::parse(&text)?;
    let digest = ch.digest.clone().ok_or(TokenError::Malformed)?;
    let v = verify_signed(
        state,
        binding_hash,
        Purpose::Sign,
        method,
        Some(account_id),
        signed,
        false,
    )
    .await?;
    let leaf = v.chain.leaf();
    let bound = {
        let mut c = state.store.conn().await?;
        store::find_certificate(&mut c, &leaf.issuer_dn, &leaf.serial_hex).await?
    };
    match bound {
        Some(b) if b.status == CertificateStatus::Active && b.account_id == account_id => {}
        _ => return Err(TokenError::NotYours),
    }
    let signer = leaf
        .identity
        .organization
        .clone()
        .or_else(|| leaf.identity.holder_name.clone())
        .unwrap_or_else(|| leaf.subject_dn.clone());
    Ok(DocumentSignature {
        digest,
        signed_text: text,
        signature: signed.signature.trim().to_string(),
        certificate: signed.certificate.trim().to_string(),
        signer,
        issuer_dn: leaf.issuer_dn.clone(),
        serial_hex: leaf.serial_hex.clone(),
        method: method.as_str().to_string(),
        signed_at: state.now(),
    })
}

/// What the signing tool (or the SIM provider) returned.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SignedChallenge {
    pub challenge: String,
    /// Base64 DER of the signing certificate.
    pub certificate: String,
    /// Base64 DER of other certificates, separated by whitespace or commas.
    #[serde(default)]
    pub chain: String,
    /// Base64 signature (ECDSA: DER).
    pub signature: String,
}

/// A verified signature: the challenge (spent unless `spent` is false:
/// the login spends it in its own transaction) and the validated chain.
pub struct Verified {
    pub row: ChallengeRow,
    pub chain: Chain,
    pub spent: bool,
}

/// Checks a signed challenge for `purpose`, issued to this browser for
/// `method` (and `account_id` for add/step-up). It is spent at once, or,
/// with `defer_spend`, by the caller's login write ([`crate::logins`]).
pub async fn verify_signed(
    state: &IdentityContext,
    binding_hash: &str,
    purpose: Purpose,
    method: AuthMethod,
    account_id: Option<AccountId>,
    signed: &SignedChallenge,
    defer_spend: bool,
) -> Result<Verified, TokenError> {
    let now = state.now();
    // Normalise line ends a form post may have changed.
    let text = signed.challenge.replace("\r\n", "\n");
    let ch = Challenge::parse(&text)?;
    ch.check(&portal_origin(state), purpose, now)?;
    // Issued by this portal, to this browser, for this method and account.
    let expected = challenge_mac(state, &ch, method, binding_hash, account_id);
    if expected.is_empty()
        || !bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            ch.nonce.as_bytes(),
        ))
    {
        return Err(ChallengeError::Spent.into());
    }
    let decode = |s: &str| B64.decode(s.trim()).map_err(|_| TokenError::Malformed);
    let cert = decode(&signed.certificate)?;
    let sig = decode(&signed.signature)?;
    let chain = signed
        .chain
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .take(motcua_pki::verify::MAX_PRESENTED)
        .map(decode)
        .collect::<Result<Vec<_>, _>>()?;
    if cert.is_empty() || sig.is_empty() || cert.len() > 16 * 1024 || sig.len() > 2048 {
        return Err(TokenError::Malformed);
    }
    let row = ChallengeRow {
        id: ch.id.clone(),
        nonce: ch.nonce.clone(),
        purpose: purpose.as_str().into(),
        origin: ch.origin.clone(),
        method: method.as_str().into(),
        binding_hash: binding_hash.to_string(),
        account_id,
        created_at: now,
        expires_at: ch.expires,
    };
    if !defer_spend {
        // Spend before the (slower) certificate checks: a replay gets
        // nothing, and a failed attempt needs a new challenge.
        spend(state, row.clone(), now).await?;
    }
    let chain = state
        .identity
        .verifier
        .verify(&cert, &chain, text.as_bytes(), &sig, now)
        .await?;
    Ok(Verified {
        row,
        chain,
        spent: !defer_spend,
    })
}

/// Spends a challenge on its own (through the login writer, as logins
/// do): the first caller, on any node, records it; a replay is refused.
async fn spend(state: &IdentityContext, row: ChallengeRow, now: Millis) -> Result<(), TokenError> {
    state
        .logins
        .spend(&state.store, row, now)
        .await
        .map_err(TokenError::from)
}

impl From<WriteError> for TokenError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Spent => ChallengeError::Spent.into(),
            WriteError::Service(e) => e.into(),
        }
    }
}

/// The method a challenge row was issued for.
pub fn method_of(row: &ChallengeRow) -> AuthMethod {
    AuthMethod::parse(&row.method).unwrap_or(AuthMethod::UsbToken)
}

/// Logs in the holder of the verified certificate. Returns the session
/// token and the account.
pub async fn login_with_certificate(
    state: &IdentityContext,
    origin: &Origin,
    v: &Verified,
    old_session: Option<&str>,
) -> Result<(String, AccountId), TokenError> {
    let now = state.now();
    let leaf = v.chain.leaf();
    // The binding and the account's status are read before the write
    // transaction (the portal's one serial section on SQLite). A lock or a
    // removal that commits in between is no worse than one committed just
    // after this login: a locked account's sessions are refused on every
    // request, and removing a certificate ends no session.
    let bound = {
        let mut c = state.store.conn().await?;
        store::login_binding(&mut c, &leaf.issuer_dn, &leaf.serial_hex).await?
    };
    let refused = match &bound {
        Some(b) if b.status == CertificateStatus::Active && b.spki_sha256 == leaf.spki_sha256 => {
            (b.account_status != AccountStatus::Active).then_some(TokenError::AccountLocked)
        }
        _ => Some(TokenError::NotRegistered),
    };
    let (Some(bound), None) = (bound, refused.as_ref()) else {
        // A refused login spends its challenge all the same.
        if !v.spent {
            spend(state, v.row.clone(), now).await?;
        }
        return Err(refused.unwrap_or(TokenError::NotRegistered));
    };
    // The writes go to the login writer (group commit on SQLite).
    let write = LoginWrite {
        challenge: (!v.spent).then(|| v.row.clone()),
        session: Some(SessionSpec::new(
            state,
            origin,
            bound.account_id,
            method_of(&v.row),
            old_session,
            "login",
        )),
        now,
    };
    let token = state.logins.write(&state.store, write).await?;
    motcua_kernel::metrics::inc(&state.metrics.login_success);
    Ok((token, bound.account_id))
}

/// What the registration form shows, read from the certificate.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Prefill {
    /// business or citizen.
    pub kind: String,
    pub organization: Option<String>,
    pub tax_code: Option<String>,
    pub holder_name: Option<String>,
    pub personal_id: Option<String>,
    pub issuer: String,
    pub serial: String,
    pub valid_until: Millis,
    /// Filled in by the user.
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

/// Opens a sign-up from a verified certificate (R-ID-9, R-ID-11).
pub async fn start_signup(
    state: &IdentityContext,
    binding_hash: &str,
    v: &Verified,
) -> Result<String, TokenError> {
    let now = state.now();
    let leaf = v.chain.leaf();
    let id = &leaf.identity;
    let primary = id.primary().ok_or(TokenError::NoIdentifier)?;
    let mut c = state.store.conn().await?;
    if store::find_certificate(&mut c, &leaf.issuer_dn, &leaf.serial_hex)
        .await?
        .is_some_and(|b| b.status == CertificateStatus::Active)
    {
        return Err(TokenError::AlreadyRegistered);
    }
    if identity_taken(&mut c, primary.kind(), primary.value()).await? {
        return Err(TokenError::IdentityTaken);
    }
    let business = id.is_organization();
    let prefill = Prefill {
        kind: if business { "business" } else { "citizen" }.into(),
        organization: id.organization.clone(),
        tax_code: id.tax_code().map(str::to_string),
        holder_name: id.holder_name.clone(),
        personal_id: id.personal_id().map(str::to_string),
        issuer: leaf.issuer_dn.clone(),
        serial: leaf.serial_hex.clone(),
        valid_until: leaf.not_after,
        full_name: if business {
            String::new()
        } else {
            id.holder_name.clone().unwrap_or_default()
        },
        email: String::new(),
        phone: String::new(),
    };
    let signup_id = random_token();
    store::insert_signup(
        &mut c,
        &Signup {
            id: signup_id.clone(),
            method: method_of(&v.row).as_str().into(),
            kind: prefill.kind.clone(),
            identity_kind: primary.kind().into(),
            identity_value: primary.value().into(),
            prefill: serde_json::to_string(&prefill)
                .map_err(|e| ServiceError::Internal(format!("sign-up prefill: {e}")))?,
            cert_der: Some(B64.encode(&leaf.der)),
            email: None,
            code_hash: None,
            attempts: 0,
            binding_hash: binding_hash.to_string(),
            created_at: now,
            expires_at: now + SIGNUP_TTL,
            status: motcua_domain::SignupStatus::Pending,
            account_id: None,
        },
    )
    .await?;
    Ok(signup_id)
}

/// Whether an account already has this tax code or personal ID.
pub(crate) async fn identity_taken(
    c: &mut AnyConnection,
    kind: &str,
    value: &str,
) -> Result<bool, TokenError> {
    let by_cert = !store::accounts_with_identity(c, kind, value)
        .await?
        .is_empty();
    let by_account = match kind {
        "tax_code" => accounts::by_tax_code(c, value).await?.is_some(),
        "personal_id" => accounts::by_personal_id(c, value).await?.is_some(),
        _ => false,
    };
    Ok(by_cert || by_account)
}

/// A 6-digit code and its stored hash.
pub fn new_code(signup_id: &str) -> (String, String) {
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000));
    let hash = code_hash(signup_id, &code);
    (code, hash)
}

pub fn code_hash(signup_id: &str, code: &str) -> String {
    sha256_hex(&format!("{signup_id}\n{}", code.trim()))
}

/// The sign-up `id` if it is still open for this browser (`binding_hash`)
/// at `now`, with its prefilled form (`Prefill`, or the e-ID's). A stored
/// prefill that does not read is an error, never an empty form.
pub async fn open_signup<P: serde::de::DeserializeOwned>(
    core: &motcua_kernel::Core,
    id: &str,
    binding_hash: &str,
    now: Millis,
) -> Result<Option<(Signup, P)>, ServiceError> {
    let mut c = core.store.conn().await?;
    let Some(s) = store::open_signup(&mut c, id, binding_hash, now).await? else {
        return Ok(None);
    };
    let p = serde_json::from_str(&s.prefill)
        .map_err(|e| ServiceError::Internal(format!("sign-up {id}: prefill: {e}")))?;
    Ok(Some((s, p)))
}

/// Records the email and the form as submitted, the terms the holder
/// accepted (claimed by the account when it exists) and queues the mail
/// with the code, in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn send_signup_code(
    state: &IdentityContext,
    signup_id: &str,
    p: &Prefill,
    code_hash: &str,
    mail: &motcua_mail::Template,
    locale: motcua_mail::Locale,
    ip: &str,
    now: Millis,
) -> Result<(), ServiceError> {
    let prefill = serde_json::to_string(p)
        .map_err(|e| ServiceError::Internal(format!("sign-up prefill: {e}")))?;
    let mut tx = state.store.begin().await?;
    store::signup_code_sent(
        &mut tx,
        signup_id,
        &p.email,
        &prefill,
        code_hash,
        now + SIGNUP_TTL,
    )
    .await?;
    crate::portal::record(
        &mut tx,
        &state.portal,
        None,
        Some(&pending_ref(signup_id)),
        ip,
        now,
    )
    .await?;
    service::queue_mail(&mut tx, state, &p.email, mail, locale, now).await?;
    tx.commit().await?;
    state.jobs_notify.notify_one();
    Ok(())
}

/// Counts a wrong email code; the attempts so far.
pub async fn wrong_code(core: &motcua_kernel::Core, signup_id: &str) -> Result<i64, ServiceError> {
    let mut c = core.store.conn().await?;
    Ok(store::signup_wrong_code(&mut c, signup_id).await?)
}

/// Records, before the account exists, that the sign-up's holder accepted
/// the portal's documents; the account claims the record.
pub async fn accept_terms_pending(
    state: &IdentityContext,
    signup_id: &str,
    ip: &str,
    now: Millis,
) -> Result<(), ServiceError> {
    let mut c = state.store.conn().await?;
    crate::portal::record(
        &mut c,
        &state.portal,
        None,
        Some(&pending_ref(signup_id)),
        ip,
        now,
    )
    .await?;
    Ok(())
}

/// Unbinds one of the holder's certificates; audited. `false` if the
/// holder has no such certificate.
pub async fn remove_certificate(
    core: &motcua_kernel::Core,
    origin: &Origin,
    account_id: AccountId,
    certificate_id: CertificateId,
    now: Millis,
) -> Result<bool, ServiceError> {
    let mut tx = core.store.begin().await?;
    let ok = store::remove_certificate(&mut tx, certificate_id, account_id, now).await?;
    if ok {
        audit::append(
            &mut tx,
            &origin.audit,
            "certificate.remove",
            &account_target(account_id),
            &serde_json::json!({ "certificate": certificate_id }).to_string(),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ok)
}

/// Completes a sign-up whose email code was right: creates the account,
/// binds the certificate, and logs the holder in at the method's level.
/// What a sign-up's terms acceptance waits under until its account exists.
pub fn pending_ref(signup_id: &str) -> String {
    format!("signup:{signup_id}")
}

pub async fn complete_signup(
    state: &IdentityContext,
    origin: &Origin,
    signup: &Signup,
    prefill: &Prefill,
    old_session: Option<&str>,
) -> Result<(String, AccountId), TokenError> {
    let now = state.now();
    let der = signup
        .cert_der
        .as_deref()
        .and_then(|d| B64.decode(d).ok())
        .ok_or(TokenError::Malformed)?;
    let cert = motcua_pki::Certificate::from_der(&der)?;
    let business = signup.kind == "business";
    let username = match (&prefill.tax_code, &prefill.personal_id) {
        (Some(t), _) if business => format!("mst{}", t.replace('-', "")),
        (_, Some(p)) => format!("cccd{p}"),
        _ => format!(
            "{}{}",
            signup.identity_kind.replace('_', ""),
            signup.identity_value
        ),
    };
    let input = service::NewAccountInput {
        username,
        full_name: if business {
            prefill.organization.clone().unwrap_or_default()
        } else {
            prefill.full_name.clone()
        },
        email: Some(prefill.email.clone()),
        phone: (!prefill.phone.is_empty()).then(|| prefill.phone.clone()),
        tax_code: prefill.tax_code.clone().filter(|_| business),
        personal_id: prefill.personal_id.clone(),
        roles: vec![if business {
            Role::Business
        } else {
            Role::Citizen
        }],
        initial_password: None,
        locale: None,
        permanent: false,
    };
    let prepared = service::prepare_passwordless(input)?;
    let mut tx = state.store.begin().await?;
    if identity_taken(&mut tx, &signup.identity_kind, &signup.identity_value).await? {
        return Err(TokenError::IdentityTaken);
    }
    let account_id = service::insert_account(&mut tx, state, origin, &prepared, now)
        .await
        .map_err(|e| match e {
            ServiceError::Conflict("error.username_taken") => TokenError::IdentityTaken,
            other => other.into(),
        })?;
    bind_certificate(
        &mut tx,
        origin,
        account_id,
        &cert,
        (&signup.identity_kind, &signup.identity_value),
        "registration",
        now,
    )
    .await?;
    let source_ref = format!("{} / {}", cert.issuer_dn, cert.serial_hex);
    let method = AuthMethod::parse(&signup.method).unwrap_or(AuthMethod::UsbToken);
    let source = if method == AuthMethod::Sim {
        "sim"
    } else {
        "certificate"
    };
    crate::profile::record(
        &mut tx,
        account_id,
        source,
        &source_ref,
        &[
            ("organization", prefill.organization.as_deref()),
            ("tax_code", prefill.tax_code.as_deref()),
            ("personal_id", prefill.personal_id.as_deref()),
            (
                "full_name",
                prefill.holder_name.as_deref().filter(|_| !business),
            ),
        ],
        now,
    )
    .await?;
    crate::profile::record(
        &mut tx,
        account_id,
        "self",
        "registration",
        &[
            ("email", Some(prefill.email.as_str())),
            ("phone", Some(prefill.phone.as_str())),
            (
                "full_name",
                Some(prefill.full_name.as_str()).filter(|_| !business),
            ),
        ],
        now,
    )
    .await?;
    if !store::signup_done(&mut tx, &signup.id, account_id).await? {
        return Err(ChallengeError::Spent.into());
    }
    crate::portal::claim(&mut tx, &pending_ref(&signup.id), account_id).await?;
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

/// Step-up (R-ID-13): the logged-in holder signs with a certificate of
/// theirs; the session is replaced by one at the certificate's level (the
/// cookie rotates). A certificate of the same holder that is not bound yet
/// (a renewal, or the first one of a password account) is bound on the way;
/// one of another holder is refused.
pub async fn step_up(
    state: &IdentityContext,
    origin: &Origin,
    account_id: AccountId,
    old_session: &str,
    v: &Verified,
) -> Result<String, TokenError> {
    if v.row.account_id != Some(account_id) {
        return Err(TokenError::OtherAccount);
    }
    let now = state.now();
    let leaf = v.chain.leaf();
    let bound = {
        let mut c = state.store.conn().await?;
        store::find_certificate(&mut c, &leaf.issuer_dn, &leaf.serial_hex).await?
    };
    let mut tx = state.store.begin().await?;
    match bound {
        Some(b) if b.status == CertificateStatus::Active && b.account_id == account_id => {}
        Some(b) if b.status == CertificateStatus::Active => return Err(TokenError::OtherAccount),
        // A new certificate of the same holder is bound in the same
        // transaction as the session it opens.
        _ => {
            add_certificate_in(&mut tx, origin, account_id, v, now).await?;
        }
    }
    let token = service::open_session(
        &mut tx,
        state,
        origin,
        account_id,
        method_of(&v.row),
        Some(old_session),
        "step_up",
        now,
    )
    .await?;
    tx.commit().await.map_err(ServiceError::from)?;
    Ok(token)
}

/// Binds a verified certificate to an account (in the caller's
/// transaction) with the registration record Decree 85/2019 Art. 12(4)
/// asks for (issuer, serial, validity, key hash) and its audit record; a
/// certificate bound before is `AlreadyRegistered`.
#[allow(clippy::too_many_arguments)]
async fn bind_certificate(
    tx: &mut AnyConnection,
    origin: &Origin,
    account_id: AccountId,
    cert: &motcua_pki::Certificate,
    (identity_kind, identity_value): (&str, &str),
    via: &str,
    now: Millis,
) -> Result<CertificateId, TokenError> {
    let id = store::add_certificate(
        &mut *tx,
        &CertificateRow {
            id: CertificateId::default(),
            account_id,
            issuer_dn: cert.issuer_dn.clone(),
            serial_hex: cert.serial_hex.clone(),
            subject_dn: cert.subject_dn.clone(),
            not_before: cert.not_before,
            not_after: cert.not_after,
            spki_sha256: cert.spki_sha256.clone(),
            fingerprint: cert.fingerprint.clone(),
            cert_der: B64.encode(&cert.der),
            identity_kind: identity_kind.into(),
            identity_value: identity_value.into(),
            status: CertificateStatus::Active,
            added_at: now,
            removed_at: None,
        },
    )
    .await
    .map_err(|e| match e {
        motcua_store::StoreError::Conflict(_) => TokenError::AlreadyRegistered,
        other => other.into(),
    })?;
    let mut ctx = origin.audit.clone();
    ctx.actor = account_target(account_id);
    audit::append(
        &mut *tx,
        &ctx,
        "certificate.bind",
        &account_target(account_id),
        &serde_json::json!({
            "issuer": cert.issuer_dn, "serial": cert.serial_hex,
            "not_after": cert.not_after, "spki_sha256": cert.spki_sha256,
            "via": via,
        })
        .to_string(),
        now,
    )
    .await?;
    Ok(id)
}

/// Binds another certificate (a renewal) to the logged-in account: the new
/// certificate must name the same holder (Decree 85/2019 Art. 12(4)).
pub async fn add_certificate(
    state: &IdentityContext,
    origin: &Origin,
    account_id: AccountId,
    v: &Verified,
) -> Result<CertificateId, TokenError> {
    let mut tx = state.store.begin().await?;
    let id = add_certificate_in(&mut tx, origin, account_id, v, state.now()).await?;
    tx.commit().await.map_err(ServiceError::from)?;
    Ok(id)
}

/// Binds a certificate already checked by the caller (an administrative
/// enrolment: the CLI, the load bench) to `account_id`, in the caller's
/// transaction, with the same registration record and audit as a login
/// binding (`via: "enrolment"`). The certificate's primary identifier is
/// recorded; one without an identifier is `NoIdentifier`.
pub async fn enrol_certificate(
    tx: &mut AnyConnection,
    origin: &Origin,
    account_id: AccountId,
    cert: &motcua_pki::Certificate,
    now: Millis,
) -> Result<CertificateId, TokenError> {
    let primary = cert.identity.primary().ok_or(TokenError::NoIdentifier)?;
    bind_certificate(
        tx,
        origin,
        account_id,
        cert,
        (primary.kind(), primary.value()),
        "enrolment",
        now,
    )
    .await
}

/// [`add_certificate`] in the caller's transaction.
async fn add_certificate_in(
    tx: &mut AnyConnection,
    origin: &Origin,
    account_id: AccountId,
    v: &Verified,
    now: Millis,
) -> Result<CertificateId, TokenError> {
    let leaf = v.chain.leaf();
    let primary = leaf.identity.primary().ok_or(TokenError::NoIdentifier)?;
    let account = accounts::get(tx, account_id)
        .await?
        .ok_or(TokenError::NotRegistered)?;
    let same_holder = match primary.kind() {
        "tax_code" => account.tax_code.as_deref() == Some(primary.value()),
        "personal_id" => account.personal_id.as_deref() == Some(primary.value()),
        _ => false,
    } || store::accounts_with_identity(tx, primary.kind(), primary.value())
        .await?
        .contains(&account_id);
    if !same_holder {
        return Err(TokenError::OtherAccount);
    }
    bind_certificate(
        tx,
        origin,
        account_id,
        leaf,
        (primary.kind(), primary.value()),
        "renewal",
        now,
    )
    .await
}
