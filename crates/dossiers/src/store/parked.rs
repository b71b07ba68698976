//! Pages of drafts posted after the session ended (`parked_answers`).
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

/// A parked page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parked {
    pub draft_public_id: String,
    pub step: i64,
    /// The posted fields, as JSON pairs.
    pub body: String,
}

/// Parks a page for a browser (replacing what that browser parked
/// before).
#[allow(clippy::too_many_arguments)]
pub async fn park(
    c: &mut AnyConnection,
    token: &str,
    binding_hash: &str,
    p: &Parked,
    now: Millis,
    expires_at: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO parked_answers (token, binding_hash, draft_public_id, step, body, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (binding_hash) DO UPDATE SET token = excluded.token, draft_public_id = excluded.draft_public_id, \
         step = excluded.step, body = excluded.body, created_at = excluded.created_at, expires_at = excluded.expires_at",
    )
    .bind(token)
    .bind(binding_hash)
    .bind(&p.draft_public_id)
    .bind(p.step)
    .bind(&p.body)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Takes (deletes and returns) the page parked under `token` by this
/// browser, unless it has expired.
pub async fn take(
    c: &mut AnyConnection,
    token: &str,
    binding_hash: &str,
    now: Millis,
) -> Result<Option<Parked>> {
    let r = sqlx::query(
        "DELETE FROM parked_answers WHERE token = $1 AND binding_hash = $2 AND expires_at > $3 \
         RETURNING draft_public_id, step, body",
    )
    .bind(token)
    .bind(binding_hash)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    r.map(|r| {
        Ok(Parked {
            draft_public_id: r.try_get("draft_public_id")?,
            step: r.try_get("step")?,
            body: r.try_get("body")?,
        })
    })
    .transpose()
}

/// How many pages are parked (the cap on unauthenticated writes).
pub async fn count(c: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM parked_answers")
        .fetch_one(&mut *c)
        .await?)
}

/// Deletes expired pages; how many.
pub async fn purge(c: &mut AnyConnection, now: Millis) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM parked_answers WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected(),
    )
}
