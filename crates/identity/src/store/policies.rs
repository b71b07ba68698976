//! Acceptance of the terms of use and the privacy notice (migration
//! 0013): one row per document and version accepted. A sign-up accepts
//! before its account exists; its rows carry a `pending_ref` (e.g.
//! `registration:12`) until [`claim`] gives them the new account.
use motcua_domain::{AccountId, Millis};
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub id: i64,
    pub account_id: Option<AccountId>,
    pub pending_ref: Option<String>,
    /// `terms` or `privacy`.
    pub document: String,
    pub version: String,
    pub accepted_at: Millis,
    pub ip: String,
}

/// Records that `document` at `version` was accepted, for an account or
/// for a sign-up whose account does not exist yet.
pub async fn record(
    c: &mut AnyConnection,
    account_id: Option<AccountId>,
    pending_ref: Option<&str>,
    document: &str,
    version: &str,
    ip: &str,
    now: Millis,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO policy_acceptances (account_id, pending_ref, document, version, accepted_at, ip) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(account_id)
    .bind(pending_ref)
    .bind(document)
    .bind(version)
    .bind(now)
    .bind(ip)
    .fetch_one(&mut *c)
    .await?;
    Ok(id)
}

/// Gives the acceptances recorded for a sign-up to the account it
/// created; returns how many rows moved.
pub async fn claim(c: &mut AnyConnection, pending_ref: &str, account_id: AccountId) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE policy_acceptances SET account_id = $1, pending_ref = NULL \
         WHERE pending_ref = $2 AND account_id IS NULL",
    )
    .bind(account_id)
    .bind(pending_ref)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected())
}

fn row(r: &sqlx::any::AnyRow) -> Result<Acceptance> {
    Ok(Acceptance {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        pending_ref: r.try_get("pending_ref")?,
        document: r.try_get("document")?,
        version: r.try_get("version")?,
        accepted_at: r.try_get("accepted_at")?,
        ip: r.try_get("ip")?,
    })
}

const COLS: &str = "id, account_id, pending_ref, document, version, accepted_at, ip";

/// An account's acceptances, oldest first.
pub async fn for_account(c: &mut AnyConnection, account_id: AccountId) -> Result<Vec<Acceptance>> {
    let sql = format!("SELECT {COLS} FROM policy_acceptances WHERE account_id = $1 ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(account_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(row).collect()
}

/// The acceptances still waiting for their sign-up's account.
pub async fn pending(c: &mut AnyConnection, pending_ref: &str) -> Result<Vec<Acceptance>> {
    let sql = format!("SELECT {COLS} FROM policy_acceptances WHERE pending_ref = $1 ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(pending_ref)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(row).collect()
}
