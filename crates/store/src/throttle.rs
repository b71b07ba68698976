//! Login throttling state per key (`account:ID` or `ip:ADDR`), shared by
//! every app node through the database.
use crate::Result;
use motcua_domain::throttle::State;
use motcua_domain::Millis;
use sqlx::{AnyConnection, Row};

pub async fn get(c: &mut AnyConnection, key: &str) -> Result<State> {
    let row = sqlx::query(
        "SELECT failures, last_failure_at, locks, locked_until FROM login_throttle WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(&mut *c)
    .await?;
    Ok(match row {
        None => State::default(),
        Some(r) => State {
            failures: r.try_get("failures")?,
            last_failure_at: r.try_get("last_failure_at")?,
            locks: r.try_get("locks")?,
            locked_until: r.try_get("locked_until")?,
        },
    })
}

pub async fn put(c: &mut AnyConnection, key: &str, s: &State) -> Result<()> {
    sqlx::query(
        "INSERT INTO login_throttle (key, failures, last_failure_at, locks, locked_until) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (key) DO UPDATE SET failures = $2, last_failure_at = $3, locks = $4, locked_until = $5",
    )
    .bind(key)
    .bind(s.failures)
    .bind(s.last_failure_at)
    .bind(s.locks)
    .bind(s.locked_until)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Forgets failures (after a successful login, or an operator's unlock).
pub async fn clear(c: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(&mut *c)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    pub key: String,
    pub state: State,
}

/// Keys with failures in the last `window`, most recent first — the
/// operator's view of attacks in progress.
pub async fn recent(c: &mut AnyConnection, since: Millis, limit: i64) -> Result<Vec<Entry>> {
    let rows = sqlx::query(
        "SELECT key, failures, last_failure_at, locks, locked_until FROM login_throttle WHERE last_failure_at >= $1 OR locked_until >= $1 ORDER BY last_failure_at DESC LIMIT $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Entry {
                key: r.try_get("key")?,
                state: State {
                    failures: r.try_get("failures")?,
                    last_failure_at: r.try_get("last_failure_at")?,
                    locks: r.try_get("locks")?,
                    locked_until: r.try_get("locked_until")?,
                },
            })
        })
        .collect()
}
