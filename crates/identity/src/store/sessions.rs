//! Server-side sessions: one row per login, keyed by the SHA-256 of the
//! cookie token (a stolen database does not yield usable cookies). Every
//! app node sees every session.
use motcua_domain::{AccountId, Millis};
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub account_id: AccountId,
    pub method: String,
    pub assurance_level: i64,
    pub ip: String,
    pub user_agent: String,
    pub created_at: Millis,
    pub last_seen_at: Millis,
    pub expires_at: Millis,
}

pub async fn create(c: &mut AnyConnection, s: &Session) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, method, assurance_level, ip, user_agent, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&s.id_hash)
    .bind(s.account_id)
    .bind(&s.method)
    .bind(s.assurance_level)
    .bind(&s.ip)
    .bind(&s.user_agent)
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .bind(s.expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The session if it exists and has not expired at `now`.
pub async fn get(c: &mut AnyConnection, id_hash: &str, now: Millis) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT id_hash, account_id, method, assurance_level, ip, user_agent, created_at, last_seen_at, expires_at \
         FROM sessions WHERE id_hash = $1 AND expires_at > $2",
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Session {
        id_hash: r.try_get("id_hash")?,
        account_id: r.try_get("account_id")?,
        method: r.try_get("method")?,
        assurance_level: r.try_get("assurance_level")?,
        ip: r.try_get("ip")?,
        user_agent: r.try_get("user_agent")?,
        created_at: r.try_get("created_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
        expires_at: r.try_get("expires_at")?,
    }))
}

/// Slides the idle expiry forward.
pub async fn touch(
    c: &mut AnyConnection,
    id_hash: &str,
    now: Millis,
    expires_at: Millis,
) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3")
        .bind(now)
        .bind(expires_at)
        .bind(id_hash)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn delete(c: &mut AnyConnection, id_hash: &str) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&mut *c)
        .await?
        .rows_affected())
}

/// Ends every session of an account ("log out everywhere", lock, report).
pub async fn delete_all(c: &mut AnyConnection, account_id: AccountId) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *c)
        .await?
        .rows_affected())
}

pub async fn count_for(c: &mut AnyConnection, account_id: AccountId, now: Millis) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE account_id = $1 AND expires_at > $2",
    )
    .bind(account_id)
    .bind(now)
    .fetch_one(&mut *c)
    .await?)
}

/// Deletes expired sessions, in batches of [`PURGE_BATCH`] through the
/// expiry index (migration 19): each statement holds the writer briefly,
/// however many expired at once.
pub async fn purge_expired(c: &mut AnyConnection, now: Millis) -> Result<u64> {
    delete_in_batches(
        c,
        "DELETE FROM sessions WHERE id_hash IN \
         (SELECT id_hash FROM sessions WHERE expires_at <= $1 LIMIT $2)",
        now,
    )
    .await
}

/// Runs `sql` (a DELETE of at most `$2` rows older than `$1`) until it
/// deletes fewer than [`PURGE_BATCH`]; returns how many went.
pub(crate) async fn delete_in_batches(
    c: &mut AnyConnection,
    sql: &'static str,
    at: Millis,
) -> Result<u64> {
    let mut n = 0;
    loop {
        let k = sqlx::query(sql)
            .bind(at)
            .bind(PURGE_BATCH)
            .execute(&mut *c)
            .await?
            .rows_affected();
        n += k;
        if k < PURGE_BATCH as u64 {
            return Ok(n);
        }
    }
}

/// Rows one purge statement deletes at most.
pub const PURGE_BATCH: i64 = 5_000;
