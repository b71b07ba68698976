//! Digital identity records (migration 0006, identity's tables): certificates bound to
//! accounts, signing challenges, captchas and strong-method sign-ups.
use motcua_domain::account::AccountStatus;
use motcua_domain::{AccountId, CertificateId, CertificateStatus, Millis, SignupStatus, SimStatus};
use motcua_store::{conflict, Result, StoreError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

// ---------------------------------------------------------------- challenges

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRow {
    pub id: String,
    pub nonce: String,
    pub purpose: String,
    pub origin: String,
    pub method: String,
    pub binding_hash: String,
    pub account_id: Option<AccountId>,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// Records a stateless challenge as spent (used_at = now): the first
/// caller, on any node, succeeds; a replay is `Conflict`.
pub async fn record_spent_challenge(
    c: &mut AnyConnection,
    r: &ChallengeRow,
    now: Millis,
) -> Result<()> {
    let done = sqlx::query(
        "INSERT INTO auth_challenges (id, nonce, purpose, origin, method, binding_hash, account_id, created_at, expires_at, used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&r.id)
    .bind(&r.nonce)
    .bind(&r.purpose)
    .bind(&r.origin)
    .bind(&r.method)
    .bind(&r.binding_hash)
    .bind(r.account_id)
    .bind(r.created_at)
    .bind(r.expires_at)
    .bind(now)
    .execute(&mut *c)
    .await?;
    // No error from the database on a replay: inside a PostgreSQL
    // transaction an error would abort the whole transaction.
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict("challenge"));
    }
    Ok(())
}

/// Deletes challenges, captchas and sign-ups expired before `before`.
pub async fn purge_expired(c: &mut AnyConnection, before: Millis) -> Result<u64> {
    let mut n = 0;
    for sql in [
        "DELETE FROM auth_challenges WHERE expires_at < $1",
        "DELETE FROM captchas WHERE expires_at < $1",
        "DELETE FROM identity_signups WHERE expires_at < $1 AND status <> 'done'",
        "DELETE FROM sim_transactions WHERE expires_at < $1",
        "DELETE FROM oidc_auth_requests WHERE expires_at < $1",
        "DELETE FROM eid_link_requests WHERE expires_at < $1",
    ] {
        n += sqlx::query(sql)
            .bind(before)
            .execute(&mut *c)
            .await?
            .rows_affected();
    }
    Ok(n)
}

// -------------------------------------------------------------- certificates

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRow {
    pub id: CertificateId,
    pub account_id: AccountId,
    pub issuer_dn: String,
    pub serial_hex: String,
    pub subject_dn: String,
    pub not_before: Millis,
    pub not_after: Millis,
    pub spki_sha256: String,
    pub fingerprint: String,
    /// Base64 DER.
    pub cert_der: String,
    pub identity_kind: String,
    pub identity_value: String,
    pub status: CertificateStatus,
    pub added_at: Millis,
    pub removed_at: Option<Millis>,
}

const CERT_COLS: &str = "id, account_id, issuer_dn, serial_hex, subject_dn, not_before, not_after, spki_sha256, fingerprint, cert_der, identity_kind, identity_value, status, added_at, removed_at";

fn cert_row(r: &AnyRow) -> Result<CertificateRow> {
    Ok(CertificateRow {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        issuer_dn: r.try_get("issuer_dn")?,
        serial_hex: r.try_get("serial_hex")?,
        subject_dn: r.try_get("subject_dn")?,
        not_before: r.try_get("not_before")?,
        not_after: r.try_get("not_after")?,
        spki_sha256: r.try_get("spki_sha256")?,
        fingerprint: r.try_get("fingerprint")?,
        cert_der: r.try_get("cert_der")?,
        identity_kind: r.try_get("identity_kind")?,
        identity_value: r.try_get("identity_value")?,
        status: motcua_store::status::<CertificateStatus>(r, "status")?,
        added_at: r.try_get("added_at")?,
        removed_at: r.try_get("removed_at")?,
    })
}

/// Binds a certificate to an account (status active); a certificate can be
/// bound once (issuer + serial are unique).
pub async fn add_certificate(c: &mut AnyConnection, r: &CertificateRow) -> Result<CertificateId> {
    let row = sqlx::query(
        "INSERT INTO account_certificates (account_id, issuer_dn, serial_hex, subject_dn, not_before, not_after, spki_sha256, fingerprint, cert_der, identity_kind, identity_value, status, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', $12) RETURNING id",
    )
    .bind(r.account_id)
    .bind(&r.issuer_dn)
    .bind(&r.serial_hex)
    .bind(&r.subject_dn)
    .bind(r.not_before)
    .bind(r.not_after)
    .bind(&r.spki_sha256)
    .bind(&r.fingerprint)
    .bind(&r.cert_der)
    .bind(&r.identity_kind)
    .bind(&r.identity_value)
    .bind(r.added_at)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("certificate"))?;
    Ok(row.try_get("id")?)
}

/// The binding of exactly this certificate (issuer + serial), any status.
pub async fn find_certificate(
    c: &mut AnyConnection,
    issuer_dn: &str,
    serial_hex: &str,
) -> Result<Option<CertificateRow>> {
    let sql = format!(
        "SELECT {CERT_COLS} FROM account_certificates WHERE issuer_dn = $1 AND serial_hex = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(issuer_dn)
        .bind(serial_hex)
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| cert_row(&r)).transpose()
}

/// What a certificate login needs, in one statement: the account the
/// certificate (`issuer_dn`, `serial_hex`) is bound to, the binding's status
/// and key hash, and the account's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginBinding {
    pub account_id: AccountId,
    pub status: CertificateStatus,
    pub spki_sha256: String,
    pub account_status: AccountStatus,
}

pub async fn login_binding(
    c: &mut AnyConnection,
    issuer_dn: &str,
    serial_hex: &str,
) -> Result<Option<LoginBinding>> {
    let row = sqlx::query(
        "SELECT c.account_id, c.status, c.spki_sha256, a.status AS account_status \
         FROM account_certificates c JOIN accounts a ON a.id = c.account_id \
         WHERE c.issuer_dn = $1 AND c.serial_hex = $2",
    )
    .bind(issuer_dn)
    .bind(serial_hex)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| {
        Ok(LoginBinding {
            account_id: r.try_get("account_id")?,
            status: motcua_store::status::<CertificateStatus>(&r, "status")?,
            spki_sha256: r.try_get("spki_sha256")?,
            account_status: AccountStatus::parse(&r.try_get::<String, _>("account_status")?),
        })
    })
    .transpose()
}

/// Active certificates of an account, newest first.
pub async fn certificates_of(
    c: &mut AnyConnection,
    account_id: AccountId,
) -> Result<Vec<CertificateRow>> {
    let sql = format!(
        "SELECT {CERT_COLS} FROM account_certificates WHERE account_id = $1 AND status = 'active' ORDER BY not_after DESC, id DESC"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(account_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(cert_row).collect()
}

/// Accounts holding an active certificate for this identity (a renewal
/// of the same holder's certificate finds the account this way).
pub async fn accounts_with_identity(
    c: &mut AnyConnection,
    identity_kind: &str,
    identity_value: &str,
) -> Result<Vec<AccountId>> {
    let rows = sqlx::query(
        "SELECT DISTINCT account_id FROM account_certificates WHERE identity_kind = $1 AND identity_value = $2 AND status = 'active' ORDER BY account_id",
    )
    .bind(identity_kind)
    .bind(identity_value)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("account_id")?)).collect()
}

/// Unbinds a certificate (the holder removed it, or it was replaced).
pub async fn remove_certificate(
    c: &mut AnyConnection,
    id: CertificateId,
    account_id: AccountId,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE account_certificates SET status = 'removed', removed_at = $1 WHERE id = $2 AND account_id = $3 AND status = 'active'",
    )
    .bind(now)
    .bind(id)
    .bind(account_id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

// ------------------------------------------------------------------ captchas

pub async fn insert_captcha(
    c: &mut AnyConnection,
    id: &str,
    answer_hash: &str,
    now: Millis,
    expires_at: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO captchas (id, answer_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(answer_hash)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Spends a captcha whatever the answer (one try each); true when the
/// answer was right and the captcha unexpired and unused.
pub async fn spend_captcha(
    c: &mut AnyConnection,
    id: &str,
    answer_hash: &str,
    now: Millis,
) -> Result<bool> {
    let row = sqlx::query(
        "UPDATE captchas SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1 RETURNING answer_hash",
    )
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(match row {
        Some(r) => {
            let stored: String = r.try_get("answer_hash")?;
            stored == answer_hash
        }
        None => false,
    })
}

// ------------------------------------------------------------------- sign-ups

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signup {
    pub id: String,
    /// usb_token, sim, eid_l1, eid_l2, eid_org.
    pub method: String,
    /// business or citizen.
    pub kind: String,
    pub identity_kind: String,
    pub identity_value: String,
    /// JSON of the prefilled fields.
    pub prefill: String,
    pub cert_der: Option<String>,
    pub email: Option<String>,
    pub code_hash: Option<String>,
    pub attempts: i64,
    pub binding_hash: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub status: SignupStatus,
    pub account_id: Option<AccountId>,
}

const SIGNUP_COLS: &str = "id, method, kind, identity_kind, identity_value, prefill, cert_der, email, code_hash, attempts, binding_hash, created_at, expires_at, status, account_id";

fn signup_row(r: &AnyRow) -> Result<Signup> {
    Ok(Signup {
        id: r.try_get("id")?,
        method: r.try_get("method")?,
        kind: r.try_get("kind")?,
        identity_kind: r.try_get("identity_kind")?,
        identity_value: r.try_get("identity_value")?,
        prefill: r.try_get("prefill")?,
        cert_der: r.try_get("cert_der")?,
        email: r.try_get("email")?,
        code_hash: r.try_get("code_hash")?,
        attempts: r.try_get("attempts")?,
        binding_hash: r.try_get("binding_hash")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        status: motcua_store::status::<SignupStatus>(r, "status")?,
        account_id: r.try_get("account_id")?,
    })
}

pub async fn insert_signup(c: &mut AnyConnection, s: &Signup) -> Result<()> {
    sqlx::query(
        "INSERT INTO identity_signups (id, method, kind, identity_kind, identity_value, prefill, cert_der, email, code_hash, attempts, binding_hash, created_at, expires_at, status, account_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&s.id)
    .bind(&s.method)
    .bind(&s.kind)
    .bind(&s.identity_kind)
    .bind(&s.identity_value)
    .bind(&s.prefill)
    .bind(&s.cert_der)
    .bind(&s.email)
    .bind(&s.code_hash)
    .bind(s.attempts)
    .bind(&s.binding_hash)
    .bind(s.created_at)
    .bind(s.expires_at)
    .bind(s.status.as_str())
    .bind(s.account_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// A sign-up still open at `now` for this browser.
pub async fn open_signup(
    c: &mut AnyConnection,
    id: &str,
    binding_hash: &str,
    now: Millis,
) -> Result<Option<Signup>> {
    let sql = format!(
        "SELECT {SIGNUP_COLS} FROM identity_signups WHERE id = $1 AND binding_hash = $2 AND expires_at > $3 AND status <> 'done'"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .bind(binding_hash)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| signup_row(&r)).transpose()
}

/// Records the email, the prefilled form as submitted and the code sent.
pub async fn signup_code_sent(
    c: &mut AnyConnection,
    id: &str,
    email: &str,
    prefill: &str,
    code_hash: &str,
    expires_at: Millis,
) -> Result<()> {
    sqlx::query(
        "UPDATE identity_signups SET email = $1, prefill = $2, code_hash = $3, attempts = 0, expires_at = $4, status = 'code_sent' WHERE id = $5 AND status <> 'done'",
    )
    .bind(email)
    .bind(prefill)
    .bind(code_hash)
    .bind(expires_at)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Counts a wrong code; returns the attempts so far.
pub async fn signup_wrong_code(c: &mut AnyConnection, id: &str) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE identity_signups SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
    )
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(match row {
        Some(r) => r.try_get("attempts")?,
        None => 0,
    })
}

/// Closes the sign-up once (true for the one caller that did).
pub async fn signup_done(c: &mut AnyConnection, id: &str, account_id: AccountId) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE identity_signups SET status = 'done', account_id = $1 WHERE id = $2 AND status <> 'done'",
    )
    .bind(account_id)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

// ----------------------------------------------------------- SIM signature

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimTransaction {
    pub id: String,
    pub challenge: String,
    pub purpose: String,
    pub next_path: String,
    pub msisdn: String,
    pub ap_trans_id: String,
    pub mssp_trans_id: String,
    /// A short code shown on the page and on the phone, to match them.
    pub code: String,
    pub binding_hash: String,
    pub status: SimStatus,
    pub outcome: Option<String>,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub updated_at: Millis,
}

const SIM_COLS: &str = "id, challenge, purpose, next_path, msisdn, ap_trans_id, mssp_trans_id, code, binding_hash, status, outcome, created_at, expires_at, updated_at";

pub async fn insert_sim(c: &mut AnyConnection, t: &SimTransaction) -> Result<()> {
    sqlx::query(
        "INSERT INTO sim_transactions (id, challenge, purpose, next_path, msisdn, ap_trans_id, mssp_trans_id, code, binding_hash, status, outcome, created_at, expires_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&t.id)
    .bind(&t.challenge)
    .bind(&t.purpose)
    .bind(&t.next_path)
    .bind(&t.msisdn)
    .bind(&t.ap_trans_id)
    .bind(&t.mssp_trans_id)
    .bind(&t.code)
    .bind(&t.binding_hash)
    .bind(t.status.as_str())
    .bind(&t.outcome)
    .bind(t.created_at)
    .bind(t.expires_at)
    .bind(t.updated_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The transaction, for the browser that started it.
pub async fn sim_of(
    c: &mut AnyConnection,
    id: &str,
    binding_hash: &str,
) -> Result<Option<SimTransaction>> {
    let sql =
        format!("SELECT {SIM_COLS} FROM sim_transactions WHERE id = $1 AND binding_hash = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .bind(binding_hash)
        .fetch_optional(&mut *c)
        .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(SimTransaction {
        id: r.try_get("id")?,
        challenge: r.try_get("challenge")?,
        purpose: r.try_get("purpose")?,
        next_path: r.try_get("next_path")?,
        msisdn: r.try_get("msisdn")?,
        ap_trans_id: r.try_get("ap_trans_id")?,
        mssp_trans_id: r.try_get("mssp_trans_id")?,
        code: r.try_get("code")?,
        binding_hash: r.try_get("binding_hash")?,
        status: motcua_store::status::<SimStatus>(&r, "status")?,
        outcome: r.try_get("outcome")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        updated_at: r.try_get("updated_at")?,
    }))
}

/// Closes a pending transaction with its outcome; true for the one caller
/// that closed it (two nodes polling at once finish it once).
pub async fn close_sim(
    c: &mut AnyConnection,
    id: &str,
    status: SimStatus,
    outcome: &str,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE sim_transactions SET status = $1, outcome = $2, updated_at = $3 WHERE id = $4 AND status = 'pending'",
    )
    .bind(status.as_str())
    .bind(outcome)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

// -------------------------------------------------------------------- e-ID

pub async fn insert_oidc_request(
    c: &mut AnyConnection,
    state_hash: &str,
    pending: &str,
    next_path: &str,
    binding_hash: &str,
    now: Millis,
    expires_at: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO oidc_auth_requests (state_hash, pending, next_path, binding_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(state_hash)
    .bind(pending)
    .bind(next_path)
    .bind(binding_hash)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Spends a started login once, for the browser that started it:
/// `(pending JSON, next path)`.
pub async fn spend_oidc_request(
    c: &mut AnyConnection,
    state_hash: &str,
    binding_hash: &str,
    now: Millis,
) -> Result<Option<(String, String)>> {
    let row = sqlx::query(
        "UPDATE oidc_auth_requests SET used_at = $1 WHERE state_hash = $2 AND binding_hash = $3 AND used_at IS NULL AND expires_at > $1 RETURNING pending, next_path",
    )
    .bind(now)
    .bind(state_hash)
    .bind(binding_hash)
    .fetch_optional(&mut *c)
    .await?;
    match row {
        Some(r) => Ok(Some((r.try_get("pending")?, r.try_get("next_path")?))),
        None => Ok(None),
    }
}

/// The account an e-ID is linked to.
pub async fn eid_account(
    c: &mut AnyConnection,
    issuer: &str,
    subject: &str,
) -> Result<Option<AccountId>> {
    let row = sqlx::query("SELECT account_id FROM eid_links WHERE issuer = $1 AND subject = $2")
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&mut *c)
        .await?;
    match row {
        Some(r) => Ok(Some(r.try_get("account_id")?)),
        None => Ok(None),
    }
}

/// Links an e-ID to an account (an e-ID links to one account only).
pub async fn link_eid(
    c: &mut AnyConnection,
    account_id: AccountId,
    issuer: &str,
    subject: &str,
    method: &str,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO eid_links (account_id, issuer, subject, method, linked_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(account_id)
    .bind(issuer)
    .bind(subject)
    .bind(method)
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(motcua_store::conflict("e-ID link"))?;
    Ok(())
}

// ------------------------------------------------- e-ID links to be proven

/// An e-ID login that found an account with the holder's personal ID but
/// no link: the link waits until the browser logs in to that account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EidLinkRequest {
    /// SHA-256 of the secret in the browser's cookie.
    pub id_hash: String,
    pub account_id: AccountId,
    /// eid_l1, eid_l2.
    pub method: String,
    /// JSON of the e-ID's claims.
    pub prefill: String,
    pub created_at: Millis,
    pub expires_at: Millis,
}

fn link_request_row(r: &AnyRow) -> Result<EidLinkRequest> {
    Ok(EidLinkRequest {
        id_hash: r.try_get("id_hash")?,
        account_id: r.try_get("account_id")?,
        method: r.try_get("method")?,
        prefill: r.try_get("prefill")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

pub async fn insert_eid_link_request(c: &mut AnyConnection, r: &EidLinkRequest) -> Result<()> {
    sqlx::query(
        "INSERT INTO eid_link_requests (id_hash, account_id, method, prefill, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&r.id_hash)
    .bind(r.account_id)
    .bind(&r.method)
    .bind(&r.prefill)
    .bind(r.created_at)
    .bind(r.expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The request, if not spent and not expired at `now`.
pub async fn open_eid_link_request(
    c: &mut AnyConnection,
    id_hash: &str,
    now: Millis,
) -> Result<Option<EidLinkRequest>> {
    let row = sqlx::query(
        "SELECT id_hash, account_id, method, prefill, created_at, expires_at FROM eid_link_requests WHERE id_hash = $1 AND spent_at IS NULL AND expires_at > $2",
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| link_request_row(&r)).transpose()
}

/// Spends the request once: the one caller that did gets it.
pub async fn spend_eid_link_request(
    c: &mut AnyConnection,
    id_hash: &str,
    now: Millis,
) -> Result<Option<EidLinkRequest>> {
    let row = sqlx::query(
        "UPDATE eid_link_requests SET spent_at = $1 WHERE id_hash = $2 AND spent_at IS NULL AND expires_at > $1 \
         RETURNING id_hash, account_id, method, prefill, created_at, expires_at",
    )
    .bind(now)
    .bind(id_hash)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| link_request_row(&r)).transpose()
}
