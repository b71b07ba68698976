//! `sso_keys`: the signing keys.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct Key {
    pub kid: String,
    pub wrapped: String,
    pub public_x: String,
    pub public_y: String,
    pub created_at: Millis,
    pub retired_at: Option<Millis>,
    pub expires_at: Option<Millis>,
}

const COLS: &str = "kid, wrapped, public_x, public_y, created_at, retired_at, expires_at";

fn key(r: &AnyRow) -> Result<Key> {
    Ok(Key {
        kid: r.try_get("kid")?,
        wrapped: r.try_get("wrapped")?,
        public_x: r.try_get("public_x")?,
        public_y: r.try_get("public_y")?,
        created_at: r.try_get("created_at")?,
        retired_at: r.try_get("retired_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

pub async fn insert(c: &mut AnyConnection, k: &Key) -> Result<()> {
    sqlx::query(
        "INSERT INTO sso_keys (kid, wrapped, public_x, public_y, created_at, retired_at, expires_at) VALUES ($1, $2, $3, $4, $5, NULL, NULL)",
    )
    .bind(&k.kid)
    .bind(&k.wrapped)
    .bind(&k.public_x)
    .bind(&k.public_y)
    .bind(k.created_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Retires every active key at `now`; they leave the JWKS at `expires`.
pub async fn retire_all(c: &mut AnyConnection, now: Millis, expires: Millis) -> Result<()> {
    sqlx::query("UPDATE sso_keys SET retired_at = $1, expires_at = $2 WHERE retired_at IS NULL")
        .bind(now)
        .bind(expires)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The newest active key.
pub async fn active(c: &mut AnyConnection) -> Result<Option<Key>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM sso_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid LIMIT 1"
    )))
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(key).transpose()
}

/// Every key still published at `now`, newest first.
pub async fn published(c: &mut AnyConnection, now: Millis) -> Result<Vec<Key>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM sso_keys WHERE expires_at IS NULL OR expires_at > $1 ORDER BY created_at DESC, kid"
    )))
    .bind(now)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(key).collect()
}

/// Key `kid` if still published at `now`.
pub async fn published_key(c: &mut AnyConnection, kid: &str, now: Millis) -> Result<Option<Key>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM sso_keys WHERE kid = $1 AND (expires_at IS NULL OR expires_at > $2)"
    )))
    .bind(kid)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(key).transpose()
}
