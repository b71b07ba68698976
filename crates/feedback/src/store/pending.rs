//! Feedback waiting for its sender to confirm the codes (no account).
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub id: i64,
    pub token: String,
    pub payload: String,
    pub email: String,
    pub phone: String,
    pub codes_hash: String,
    pub tries: i64,
    pub expires_at: Millis,
    pub created_at: Millis,
}

pub async fn insert(c: &mut AnyConnection, p: &Pending) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO feedback_pending (token, payload, email, phone, codes_hash, tries, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7) RETURNING id",
    )
    .bind(&p.token)
    .bind(&p.payload)
    .bind(&p.email)
    .bind(&p.phone)
    .bind(&p.codes_hash)
    .bind(p.expires_at)
    .bind(p.created_at)
    .fetch_one(&mut *c)
    .await?)
}

/// The request `token` if it has not expired at `now`.
pub async fn live(c: &mut AnyConnection, token: &str, now: Millis) -> Result<Option<Pending>> {
    let r = sqlx::query(
        "SELECT id, token, payload, email, phone, codes_hash, tries, expires_at, created_at \
         FROM feedback_pending WHERE token = $1 AND expires_at > $2",
    )
    .bind(token)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    r.map(|r| {
        Ok(Pending {
            id: r.try_get("id")?,
            token: r.try_get("token")?,
            payload: r.try_get("payload")?,
            email: r.try_get("email")?,
            phone: r.try_get("phone")?,
            codes_hash: r.try_get("codes_hash")?,
            tries: r.try_get("tries")?,
            expires_at: r.try_get("expires_at")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// Takes one try of request `id` if fewer than `max` were taken (before
/// the codes are compared: concurrent guesses cannot pass the limit).
pub async fn take_try(c: &mut AnyConnection, id: i64, max: i64) -> Result<bool> {
    let n =
        sqlx::query("UPDATE feedback_pending SET tries = tries + 1 WHERE id = $1 AND tries < $2")
            .bind(id)
            .bind(max)
            .execute(&mut *c)
            .await?
            .rows_affected();
    Ok(n == 1)
}

/// Removes request `id`; whether it was there (one confirmation wins).
pub async fn remove(c: &mut AnyConnection, id: i64) -> Result<bool> {
    let n = sqlx::query("DELETE FROM feedback_pending WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Removes the requests expired before `now`; how many.
pub async fn purge(c: &mut AnyConnection, now: Millis) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM feedback_pending WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected(),
    )
}
