//! `interop_idempotency`: the answer to each keyed write, per client.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct Entry {
    pub request_hash: String,
    /// 0 while the first request runs.
    pub status: i64,
    pub body: String,
    pub created_at: Millis,
}

/// Claims the key; false when it exists.
pub async fn insert(
    c: &mut AnyConnection,
    client: &str,
    key: &str,
    hash: &str,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO interop_idempotency (client_id, idem_key, request_hash, status, body, created_at) \
         VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (client_id, idem_key) DO NOTHING",
    )
    .bind(client)
    .bind(key)
    .bind(hash)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn get(c: &mut AnyConnection, client: &str, key: &str) -> Result<Option<Entry>> {
    let r = sqlx::query(
        "SELECT request_hash, status, body, created_at FROM interop_idempotency WHERE client_id = $1 AND idem_key = $2",
    )
    .bind(client)
    .bind(key)
    .fetch_optional(&mut *c)
    .await?;
    r.map(|r| {
        Ok(Entry {
            request_hash: r.try_get("request_hash")?,
            status: r.try_get("status")?,
            body: r.try_get("body")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// Takes over a stale claim made at `made` (one caller wins).
pub async fn take_over(
    c: &mut AnyConnection,
    client: &str,
    key: &str,
    made: Millis,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE interop_idempotency SET created_at = $1 WHERE client_id = $2 AND idem_key = $3 AND status = 0 AND created_at = $4",
    )
    .bind(now)
    .bind(client)
    .bind(key)
    .bind(made)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn finish(
    c: &mut AnyConnection,
    client: &str,
    key: &str,
    status: i64,
    body: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE interop_idempotency SET status = $1, body = $2 WHERE client_id = $3 AND idem_key = $4",
    )
    .bind(status)
    .bind(body)
    .bind(client)
    .bind(key)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn release(c: &mut AnyConnection, client: &str, key: &str) -> Result<()> {
    sqlx::query(
        "DELETE FROM interop_idempotency WHERE client_id = $1 AND idem_key = $2 AND status = 0",
    )
    .bind(client)
    .bind(key)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Removes answers made before `before`.
pub async fn purge(c: &mut AnyConnection, before: Millis) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM interop_idempotency WHERE created_at < $1")
            .bind(before)
            .execute(&mut *c)
            .await?
            .rows_affected(),
    )
}
