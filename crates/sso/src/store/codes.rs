//! `sso_codes`: authorization codes (their SHA-256), single use.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct Code {
    pub code_hash: String,
    pub client_id: String,
    pub account_id: i64,
    pub session_hash: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: String,
    pub code_challenge: String,
    pub level: i64,
    pub auth_time: Millis,
    pub expires_at: Millis,
}

pub async fn insert(c: &mut AnyConnection, k: &Code) -> Result<()> {
    sqlx::query(
        "INSERT INTO sso_codes (code_hash, client_id, account_id, session_hash, redirect_uri, scope, nonce, code_challenge, level, auth_time, expires_at, used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL)",
    )
    .bind(&k.code_hash)
    .bind(&k.client_id)
    .bind(k.account_id)
    .bind(&k.session_hash)
    .bind(&k.redirect_uri)
    .bind(&k.scope)
    .bind(&k.nonce)
    .bind(&k.code_challenge)
    .bind(k.level)
    .bind(k.auth_time)
    .bind(k.expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// What spending a code found.
#[derive(Debug, Clone)]
pub enum Spent {
    /// Unused and unexpired: spent now (one caller wins).
    Fresh(Code),
    /// Used before: a replay.
    Replayed(Code),
    /// Unknown or expired.
    Unknown,
}

/// Spends code `hash` at `now`.
pub async fn spend(c: &mut AnyConnection, hash: &str, now: Millis) -> Result<Spent> {
    let n = sqlx::query("UPDATE sso_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1")
        .bind(now)
        .bind(hash)
        .execute(&mut *c)
        .await?
        .rows_affected();
    let r = sqlx::query(
        "SELECT code_hash, client_id, account_id, session_hash, redirect_uri, scope, nonce, code_challenge, level, auth_time, expires_at, used_at FROM sso_codes WHERE code_hash = $1",
    )
    .bind(hash)
    .fetch_optional(&mut *c)
    .await?;
    let Some(r) = r else {
        return Ok(Spent::Unknown);
    };
    let code = Code {
        code_hash: r.try_get("code_hash")?,
        client_id: r.try_get("client_id")?,
        account_id: r.try_get("account_id")?,
        session_hash: r.try_get("session_hash")?,
        redirect_uri: r.try_get("redirect_uri")?,
        scope: r.try_get("scope")?,
        nonce: r.try_get("nonce")?,
        code_challenge: r.try_get("code_challenge")?,
        level: r.try_get("level")?,
        auth_time: r.try_get("auth_time")?,
        expires_at: r.try_get("expires_at")?,
    };
    let used: Option<Millis> = r.try_get("used_at")?;
    Ok(match (n, used) {
        (1, _) => Spent::Fresh(code),
        (_, Some(_)) => Spent::Replayed(code),
        _ => Spent::Unknown,
    })
}

/// Removes codes expired before `now`.
pub async fn purge(c: &mut AnyConnection, now: Millis) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sso_codes WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected())
}
