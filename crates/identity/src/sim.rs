//! SIM signature (R-ID-10): the portal asks the mobile signature provider
//! to have the user sign the challenge on the phone; the waiting page polls
//! the provider (from any node: the transaction is a database row), and the
//! signature and certificate returned go through the same checks as a USB
//! token's ([`super::token::verify_signed`]).
use crate::store::credentials::{self as store, SimTransaction};
use crate::token::{self, SignedChallenge, TokenError, Verified};
use crate::IdentityContext;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use motcua_domain::token::random_token;
use motcua_domain::{AccountId, AuthMethod, SECOND};
use motcua_pki::challenge::Purpose;
use motcua_pki::mss::{MssOutcome, PendingSignature};

/// Why a SIM signature did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("SIM signature is not configured")]
    Disabled,
    #[error("bad phone number")]
    BadNumber,
    /// The provider's final answer (an `mss.*` message key).
    #[error("{0}")]
    Outcome(&'static str),
    #[error("{0}")]
    Token(#[from] TokenError),
}

impl From<motcua_store::StoreError> for SimError {
    fn from(e: motcua_store::StoreError) -> Self {
        SimError::Token(e.into())
    }
}

impl SimError {
    pub fn message_key(&self) -> &'static str {
        match self {
            SimError::Disabled => "sim.disabled",
            SimError::BadNumber => "sim.bad_number",
            SimError::Outcome(k) => k,
            SimError::Token(e) => e.message_key(),
        }
    }
}

/// The limits every SIM signature request is reserved against before the
/// provider is asked (each request rings a phone): per client IP and per
/// number.
pub fn limits(ip: &str, phone: &str) -> [(String, motcua_domain::throttle::RateLimit); 2] {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    [
        (
            format!("rl:sim:ip:{ip}"),
            motcua_domain::throttle::RateLimit::SIM_PER_IP,
        ),
        (
            format!("rl:sim:to:{digits}"),
            motcua_domain::throttle::RateLimit::SIM_PER_PHONE,
        ),
    ]
}

/// Asks the provider for a signature; returns the transaction id for the
/// waiting page.
pub async fn start(
    state: &IdentityContext,
    binding_hash: &str,
    purpose_name: &str,
    purpose: Purpose,
    next: &str,
    phone: &str,
    account_id: Option<AccountId>,
) -> Result<String, SimError> {
    let ch = token::issue_challenge(state, binding_hash, purpose, AuthMethod::Sim, account_id);
    start_with(state, binding_hash, purpose_name, ch, next, phone).await
}

/// Asks the provider for the signature of `account_id` over the document
/// whose SHA-256 is `digest` (a dossier submitted online, R-PS-3); the
/// waiting page hands the verified signature to `next`'s owner.
pub async fn start_document(
    state: &IdentityContext,
    binding_hash: &str,
    account_id: AccountId,
    digest: &str,
    next: &str,
    phone: &str,
) -> Result<String, SimError> {
    let ch = token::issue_document_challenge_for(
        state,
        binding_hash,
        account_id,
        digest,
        AuthMethod::Sim,
    );
    start_with(state, binding_hash, "sign", ch, next, phone).await
}

async fn start_with(
    state: &IdentityContext,
    binding_hash: &str,
    purpose_name: &str,
    ch: motcua_pki::challenge::Challenge,
    next: &str,
    phone: &str,
) -> Result<String, SimError> {
    let client = state.identity.sim.as_ref().ok_or(SimError::Disabled)?;
    let msisdn = motcua_pki::mss::normalize_msisdn(phone).map_err(|_| SimError::BadNumber)?;
    let now = state.now();
    let purpose = ch.purpose;
    // The challenge must outlive the time the user has on the phone.
    let text = ch.to_text();
    let code: String = ch
        .id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(4)
        .collect::<String>()
        .to_uppercase();
    let action = match purpose {
        Purpose::Login => "Đăng nhập",
        Purpose::Register => "Đăng ký tài khoản",
        Purpose::StepUp => "Xác thực bổ sung",
        Purpose::Sign => "Ký số hồ sơ",
    };
    let display = format!("Cổng Dịch vụ công: {action}. Mã {code}");
    let pending = client
        .request_signature(&msisdn, &text, &display, now)
        .await
        .map_err(|e| match e.outcome() {
            Some(o) => SimError::Outcome(o.message_key()),
            None => {
                tracing::warn!(error = %e, "SIM signature request failed");
                SimError::Outcome("mss.failed")
            }
        })?;
    let id = random_token();
    let overall = i64::try_from(client.config().overall_timeout.as_secs()).unwrap_or(120) * SECOND;
    let mut c = state.store.conn().await?;
    store::insert_sim(
        &mut c,
        &SimTransaction {
            id: id.clone(),
            challenge: text,
            purpose: purpose_name.into(),
            next_path: next.into(),
            msisdn,
            ap_trans_id: pending.ap_trans_id,
            mssp_trans_id: pending.mssp_trans_id,
            code,
            binding_hash: binding_hash.into(),
            status: motcua_domain::SimStatus::Pending,
            outcome: None,
            created_at: now,
            expires_at: now + overall.max(state.identity.challenge_ttl),
            updated_at: now,
        },
    )
    .await?;
    Ok(id)
}

/// Where a transaction stands after one poll.
pub enum Progress {
    /// Still waiting for the user.
    Waiting(SimTransaction),
    /// Signed and verified: the caller logs in, registers or steps up.
    Verified(Box<Verified>, SimTransaction),
    /// A document signed and verified (purpose `sign`): the caller
    /// submits it (its digest is checked against the document there).
    Document(Box<token::DocumentSignature>, SimTransaction),
}

/// Polls the provider once for transaction `id` of this browser.
/// `viewer`: the logged-in account (a step-up's challenge names it).
pub async fn poll(
    state: &IdentityContext,
    binding_hash: &str,
    id: &str,
    viewer: Option<AccountId>,
) -> Result<Progress, SimError> {
    let client = state.identity.sim.as_ref().ok_or(SimError::Disabled)?;
    let now = state.now();
    let t = {
        let mut c = state.store.conn().await?;
        store::sim_of(&mut c, id, binding_hash).await?
    }
    .ok_or(SimError::Outcome("mss.expired"))?;
    if t.status != motcua_domain::SimStatus::Pending {
        return Err(SimError::Outcome(match t.outcome.as_deref() {
            Some("mss.cancelled") => "mss.cancelled",
            Some("mss.pin_blocked") => "mss.pin_blocked",
            Some("mss.no_certificate") => "mss.no_certificate",
            Some("mss.unknown_user") => "mss.unknown_user",
            Some("mss.failed") => "mss.failed",
            _ => "mss.expired",
        }));
    }
    let close = |outcome: &'static str| async move {
        let mut c = state.store.conn().await?;
        let status = if outcome == "mss.signed" {
            motcua_domain::SimStatus::Done
        } else {
            motcua_domain::SimStatus::Failed
        };
        store::close_sim(&mut c, id, status, outcome, now).await?;
        Ok::<(), SimError>(())
    };
    if now >= t.expires_at {
        close("mss.expired").await?;
        return Err(SimError::Outcome("mss.expired"));
    }
    let pending = PendingSignature {
        ap_trans_id: t.ap_trans_id.clone(),
        mssp_trans_id: t.mssp_trans_id.clone(),
        msisdn: t.msisdn.clone(),
    };
    let outcome = match client.poll_status(&pending, now).await {
        Ok(o) => o,
        Err(e) if e.is_transient() => return Ok(Progress::Waiting(t)),
        Err(e) => e.outcome().unwrap_or(MssOutcome::Failed(e.to_string())),
    };
    match outcome {
        MssOutcome::Pending => Ok(Progress::Waiting(t)),
        MssOutcome::Signed {
            signature,
            certificate_der,
        } => {
            close("mss.signed").await?;
            let purpose = Purpose::parse(&t.purpose).unwrap_or(Purpose::Login);
            let signed = SignedChallenge {
                challenge: t.challenge.clone(),
                certificate: B64.encode(certificate_der),
                chain: String::new(),
                signature: B64.encode(signature),
            };
            if purpose == Purpose::Sign {
                let account = viewer.ok_or(SimError::Token(TokenError::OtherAccount))?;
                let s = token::verify_document_with(
                    state,
                    binding_hash,
                    account,
                    &signed,
                    AuthMethod::Sim,
                )
                .await?;
                return Ok(Progress::Document(Box::new(s), t));
            }
            let account = (purpose == Purpose::StepUp).then_some(viewer).flatten();
            let v = token::verify_signed(
                state,
                binding_hash,
                purpose,
                AuthMethod::Sim,
                account,
                &signed,
                false,
            )
            .await?;
            Ok(Progress::Verified(Box::new(v), t))
        }
        other => {
            let key = other.message_key();
            close(key).await?;
            Err(SimError::Outcome(key))
        }
    }
}
