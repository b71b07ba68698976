//! Login throttling state per key (`user:NAME`, `ip:ADDR`, or a rate
//! limit's own key), shared by every app node through the database.
//!
//! Attempts are *reserved* before the expensive work (see [`reserve`]):
//! the row is locked, the decision taken and the failure counted in one
//! transaction, so concurrent attempts (on one node or several) see each
//! other's reservations.
use motcua_domain::throttle::State;
use motcua_domain::Millis;
use motcua_store::{Backend, Result};
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

/// The states of `keys` (absent keys are the default state), in one query
/// per 100 keys: a console page shows one per row.
pub async fn get_many(
    c: &mut AnyConnection,
    keys: &[String],
) -> Result<std::collections::HashMap<String, State>> {
    let mut out = std::collections::HashMap::new();
    for chunk in keys.chunks(100) {
        let sql = format!(
            "SELECT key, failures, last_failure_at, locks, locked_until FROM login_throttle WHERE key IN ({})",
            motcua_store::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for k in chunk {
            q = q.bind(k.clone());
        }
        for r in q.fetch_all(&mut *c).await? {
            out.insert(
                r.try_get("key")?,
                State {
                    failures: r.try_get("failures")?,
                    last_failure_at: r.try_get("last_failure_at")?,
                    locks: r.try_get("locks")?,
                    locked_until: r.try_get("locked_until")?,
                },
            );
        }
    }
    Ok(out)
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

/// Locks the row of `key` until the end of the caller's transaction,
/// creating it if needed, and returns its state. Keys must be locked in a
/// fixed order (sorted) by every caller, so that two transactions never
/// wait for each other. SQLite needs no row lock: [`motcua_store::Store::begin`]
/// holds the database's single write lock.
pub async fn lock(c: &mut AnyConnection, key: &str) -> Result<State> {
    sqlx::query(
        "INSERT INTO login_throttle (key, failures, last_failure_at, locks, locked_until) VALUES ($1, 0, 0, 0, 0) \
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .execute(&mut *c)
    .await?;
    let lock = Backend::of(c).for_update();
    let sql = format!(
        "SELECT failures, last_failure_at, locks, locked_until FROM login_throttle WHERE key = $1{lock}"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(key)
        .fetch_one(&mut *c)
        .await?;
    Ok(State {
        failures: r.try_get("failures")?,
        last_failure_at: r.try_get("last_failure_at")?,
        locks: r.try_get("locks")?,
        locked_until: r.try_get("locked_until")?,
    })
}

/// Gives back one reserved attempt that turned out not to be a failure
/// (a right password): one failure fewer, the rest unchanged.
pub async fn release(c: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query(
        "UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0",
    )
    .bind(key)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Deletes rows with no failure and no lock since `before` (the worker's
/// purge): rows of names that never logged in stay bounded.
/// In batches through the index on `last_failure_at` (migration 19), so
/// that a purge after a large attack holds the writer briefly each time.
pub async fn purge(c: &mut AnyConnection, before: Millis) -> Result<u64> {
    super::sessions::delete_in_batches(
        c,
        "DELETE FROM login_throttle WHERE key IN (SELECT key FROM login_throttle \
         WHERE last_failure_at < $1 AND locked_until < $1 LIMIT $2)",
        before,
    )
    .await
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
