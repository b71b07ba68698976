//! `sso_sessions`: the portals each session of the national portal signed
//! in to.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

/// Records that session `session_hash` signed `account_id` in to `client`.
pub async fn insert(
    c: &mut AnyConnection,
    session_hash: &str,
    client: &str,
    account_id: i64,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sso_sessions (session_hash, client_id, account_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (session_hash, client_id) DO NOTHING",
    )
    .bind(session_hash)
    .bind(client)
    .bind(account_id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Takes the portals of a session that ended: (client, account), removed.
pub async fn take(c: &mut AnyConnection, session_hash: &str) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "DELETE FROM sso_sessions WHERE session_hash = $1 RETURNING client_id, account_id",
    )
    .bind(session_hash)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("client_id")?, r.try_get("account_id")?)))
        .collect()
}

/// Removes records made before `before` (their sessions have expired).
pub async fn purge(c: &mut AnyConnection, before: Millis) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM sso_sessions WHERE created_at < $1")
            .bind(before)
            .execute(&mut *c)
            .await?
            .rows_affected(),
    )
}
