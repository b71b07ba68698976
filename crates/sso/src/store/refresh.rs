//! `sso_refresh`: refresh tokens (their SHA-256), rotated on use.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct Refresh {
    pub token_hash: String,
    pub family: String,
    pub client_id: String,
    pub account_id: i64,
    pub scope: String,
    pub level: i64,
    pub auth_time: Millis,
    pub session_hash: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub used_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

pub async fn insert(c: &mut AnyConnection, k: &Refresh) -> Result<()> {
    sqlx::query(
        "INSERT INTO sso_refresh (token_hash, family, client_id, account_id, scope, level, auth_time, session_hash, created_at, expires_at, used_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL)",
    )
    .bind(&k.token_hash)
    .bind(&k.family)
    .bind(&k.client_id)
    .bind(k.account_id)
    .bind(&k.scope)
    .bind(k.level)
    .bind(k.auth_time)
    .bind(&k.session_hash)
    .bind(k.created_at)
    .bind(k.expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, hash: &str) -> Result<Option<Refresh>> {
    let r = sqlx::query(
        "SELECT token_hash, family, client_id, account_id, scope, level, auth_time, session_hash, created_at, expires_at, used_at, revoked_at FROM sso_refresh WHERE token_hash = $1",
    )
    .bind(hash)
    .fetch_optional(&mut *c)
    .await?;
    r.map(|r| {
        Ok(Refresh {
            token_hash: r.try_get("token_hash")?,
            family: r.try_get("family")?,
            client_id: r.try_get("client_id")?,
            account_id: r.try_get("account_id")?,
            scope: r.try_get("scope")?,
            level: r.try_get("level")?,
            auth_time: r.try_get("auth_time")?,
            session_hash: r.try_get("session_hash")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
            used_at: r.try_get("used_at")?,
            revoked_at: r.try_get("revoked_at")?,
        })
    })
    .transpose()
}

/// Marks token `hash` used at `now` if it was not (one caller wins).
pub async fn spend(c: &mut AnyConnection, hash: &str, now: Millis) -> Result<bool> {
    let n = sqlx::query("UPDATE sso_refresh SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL")
        .bind(now)
        .bind(hash)
        .execute(&mut *c)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Revokes a whole family (a used token presented again).
pub async fn revoke_family(c: &mut AnyConnection, family: &str, now: Millis) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE sso_refresh SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(family)
    .execute(&mut *c)
    .await?
    .rows_affected())
}

/// Revokes every token of a person for a client (consent withdrawn).
pub async fn revoke_grant(
    c: &mut AnyConnection,
    account_id: i64,
    client_id: &str,
    now: Millis,
) -> Result<u64> {
    Ok(sqlx::query("UPDATE sso_refresh SET revoked_at = $1 WHERE account_id = $2 AND client_id = $3 AND revoked_at IS NULL")
        .bind(now)
        .bind(account_id)
        .bind(client_id)
        .execute(&mut *c)
        .await?
        .rows_affected())
}
