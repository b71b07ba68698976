//! `interop_calls`: the call log.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub client_id: String,
    pub method: String,
    /// The route's template (`/api/v1/sync/dossiers/{code}`) followed by
    /// the path asked, at most 300 characters.
    pub path: String,
    pub status: i64,
    pub at: Millis,
    pub request_id: String,
}

pub async fn insert(c: &mut AnyConnection, k: &Call) -> Result<()> {
    sqlx::query(
        "INSERT INTO interop_calls (client_id, method, path, status, at, request_id) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&k.client_id)
    .bind(&k.method)
    .bind(&k.path)
    .bind(k.status)
    .bind(k.at)
    .bind(&k.request_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Newest first.
pub async fn of_client(c: &mut AnyConnection, client: &str, limit: i64) -> Result<Vec<Call>> {
    let rows = sqlx::query(
        "SELECT client_id, method, path, status, at, request_id FROM interop_calls WHERE client_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(client)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Call {
                client_id: r.try_get("client_id")?,
                method: r.try_get("method")?,
                path: r.try_get("path")?,
                status: r.try_get("status")?,
                at: r.try_get("at")?,
                request_id: r.try_get("request_id")?,
            })
        })
        .collect()
}

/// Removes calls before `before`.
pub async fn purge(c: &mut AnyConnection, before: Millis) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM interop_calls WHERE at < $1")
        .bind(before)
        .execute(&mut *c)
        .await?
        .rows_affected())
}
