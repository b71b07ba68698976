//! Password-reset tokens: stored hashed, single use, short-lived.
use motcua_domain::{AccountId, Millis};
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

pub async fn create(
    c: &mut AnyConnection,
    token_hash: &str,
    account_id: AccountId,
    now: Millis,
    expires_at: Millis,
) -> Result<()> {
    sqlx::query("INSERT INTO password_resets (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(account_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The account a still-valid token belongs to (does not consume it).
pub async fn peek(
    c: &mut AnyConnection,
    token_hash: &str,
    now: Millis,
) -> Result<Option<AccountId>> {
    let row = sqlx::query("SELECT account_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("account_id")?),
        None => None,
    })
}

/// Consumes the token atomically: only one caller ever gets the account.
pub async fn consume(
    c: &mut AnyConnection,
    token_hash: &str,
    now: Millis,
) -> Result<Option<AccountId>> {
    let row = sqlx::query(
        "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING account_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *c)
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("account_id")?),
        None => None,
    })
}

/// Invalidates every open token of an account (after a reset or a lock).
pub async fn revoke_all(c: &mut AnyConnection, account_id: AccountId, now: Millis) -> Result<()> {
    sqlx::query(
        "UPDATE password_resets SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Links created for an account since `since` (to cap reset mail).
pub async fn recent_count(
    c: &mut AnyConnection,
    account_id: AccountId,
    since: Millis,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM password_resets WHERE account_id = $1 AND created_at >= $2",
    )
    .bind(account_id)
    .bind(since)
    .fetch_one(&mut *c)
    .await?)
}
