//! `sso_assertions`: client assertions seen, one use each.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::AnyConnection;

/// Spends assertion `jti_hash` (kept until `expires_at`); false when it
/// was seen before.
pub async fn spend(c: &mut AnyConnection, jti_hash: &str, expires_at: Millis) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO sso_assertions (jti_hash, expires_at) VALUES ($1, $2) ON CONFLICT (jti_hash) DO NOTHING",
    )
    .bind(jti_hash)
    .bind(expires_at)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Forgets assertions expired before `now`.
pub async fn purge(c: &mut AnyConnection, now: Millis) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM sso_assertions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected(),
    )
}
