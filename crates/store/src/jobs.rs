//! A durable job queue in the database. Workers on any node claim due jobs
//! with `FOR UPDATE SKIP LOCKED` (PostgreSQL) so each job runs once; a
//! claim is a lease, and a job whose worker died is claimed again when its
//! lease runs out. Failures retry with exponential backoff, then go to the
//! dead-letter list, from which an operator can requeue them.
use crate::{Backend, Result};
use motcua_domain::{JobId, JobStatus, Millis, SECOND};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    pub status: JobStatus,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: Millis,
    pub last_error: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

const COLS: &str =
    "id, kind, payload, status, attempts, max_attempts, run_at, last_error, created_at, updated_at";

fn job(r: &AnyRow) -> Result<Job> {
    Ok(Job {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        payload: r.try_get("payload")?,
        status: crate::status::<JobStatus>(r, "status")?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        run_at: r.try_get("run_at")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn enqueue(
    c: &mut AnyConnection,
    kind: &str,
    payload: &str,
    max_attempts: i64,
    now: Millis,
) -> Result<JobId> {
    Ok(sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at) VALUES ($1, $2, 'queued', 0, $3, $4, $4, $4) RETURNING id",
    )
    .bind(kind)
    .bind(payload)
    .bind(max_attempts)
    .bind(now)
    .fetch_one(&mut *c)
    .await?)
}

/// Claims the next due job for `worker` with a lease of `lease` ms.
pub async fn claim(
    c: &mut AnyConnection,
    worker: &str,
    now: Millis,
    lease: Millis,
) -> Result<Option<Job>> {
    let lock = Backend::of(c).skip_locked();
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2, updated_at = $3 \
         WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $3) OR (status = 'running' AND locked_until < $3 AND attempts < max_attempts) \
         ORDER BY run_at, id LIMIT 1{lock}) RETURNING {COLS}"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(worker)
        .bind(now + lease)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(job).transpose()
}

/// Dead-letters jobs whose worker died on their last attempt (their lease
/// ran out and no attempt is left). Returns how many.
pub async fn expire_leases(c: &mut AnyConnection, now: Millis) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE jobs SET status = 'dead', last_error = 'worker lease expired on the last attempt', locked_by = NULL, locked_until = NULL, updated_at = $1 \
         WHERE status = 'running' AND locked_until < $1 AND attempts >= max_attempts",
    )
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected())
}

pub async fn complete(c: &mut AnyConnection, id: JobId, now: Millis) -> Result<()> {
    sqlx::query("UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Backoff before attempt `n + 1` after `n` failed attempts: 5 s, 10 s,
/// 20 s … capped at one hour.
pub fn backoff(attempts: i64) -> Millis {
    let shift = (attempts - 1).clamp(0, 20) as u32;
    (5 * SECOND as Millis)
        .saturating_mul(1 << shift)
        .min(3600 * SECOND)
}

/// Records a failure: retry later, or dead-letter after the last attempt.
/// Returns true when the job is now dead.
pub async fn fail(c: &mut AnyConnection, job: &Job, error: &str, now: Millis) -> Result<bool> {
    let dead = job.attempts >= job.max_attempts;
    let status = if dead {
        JobStatus::Dead
    } else {
        JobStatus::Queued
    };
    sqlx::query("UPDATE jobs SET status = $1, run_at = $2, last_error = $3, locked_by = NULL, locked_until = NULL, updated_at = $4 WHERE id = $5")
        .bind(status.as_str())
        .bind(now + backoff(job.attempts))
        .bind(error.chars().take(2000).collect::<String>())
        .bind(now)
        .bind(job.id)
        .execute(&mut *c)
        .await?;
    Ok(dead)
}

/// Dead-letters a job at once: its failure is permanent (e.g. a recipient
/// address the mail server refuses), so retrying cannot help.
pub async fn kill(c: &mut AnyConnection, job: &Job, error: &str, now: Millis) -> Result<()> {
    sqlx::query("UPDATE jobs SET status = 'dead', last_error = $1, locked_by = NULL, locked_until = NULL, updated_at = $2 WHERE id = $3")
        .bind(error.chars().take(2000).collect::<String>())
        .bind(now)
        .bind(job.id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, id: JobId) -> Result<Option<Job>> {
    let sql = format!("SELECT {COLS} FROM jobs WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(job).transpose()
}

pub async fn list(c: &mut AnyConnection, status: JobStatus, limit: i64) -> Result<Vec<Job>> {
    let sql = format!("SELECT {COLS} FROM jobs WHERE status = $1 ORDER BY id DESC LIMIT $2");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(status.as_str())
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(job).collect()
}

/// Puts a dead job back in the queue with a fresh set of attempts.
pub async fn requeue(c: &mut AnyConnection, id: JobId, now: Millis) -> Result<bool> {
    Ok(sqlx::query("UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, updated_at = $1 WHERE id = $2 AND status = 'dead'")
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?
        .rows_affected()
        == 1)
}

/// Number of jobs per status.
pub async fn counts(c: &mut AnyConnection) -> Result<Vec<(JobStatus, i64)>> {
    let rows =
        sqlx::query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status")
            .fetch_all(&mut *c)
            .await?;
    rows.iter()
        .map(|r| Ok((crate::status::<JobStatus>(r, "status")?, r.try_get("n")?)))
        .collect()
}
