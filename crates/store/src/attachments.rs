//! What describes a stored document (business registration PDFs,
//! provisioning lists, sealed notices): its SHA-256 key, type and size.
//! The bytes live in the blob store (`motcua_kernel::blobs`); rows written
//! before it existed hold their bytes in `data` (`stored_in = 'database'`)
//! until the kernel's start-up migration moves them out.
use crate::Result;
use motcua_domain::Millis;
use sqlx::{AnyConnection, Row};

/// A recorded document. `data` is `Some` only while its bytes are still
/// held in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub sha256: String,
    pub content_type: String,
    pub size: i64,
    pub data: Option<Vec<u8>>,
}

/// Records a document whose bytes are in the blob store under `sha256`
/// (once: recording the same key again does nothing).
pub async fn record(
    c: &mut AnyConnection,
    sha256: &str,
    content_type: &str,
    size: i64,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO attachments (sha256, content_type, size, data, created_at, stored_in) VALUES ($1, $2, $3, $4, $5, 'blobs') ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(content_type)
    .bind(size)
    .bind(Vec::<u8>::new())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, sha256: &str) -> Result<Option<Stored>> {
    let r = sqlx::query(
        "SELECT sha256, content_type, size, stored_in, CASE WHEN stored_in = 'database' THEN data ELSE NULL END AS data FROM attachments WHERE sha256 = $1",
    )
    .bind(sha256)
    .fetch_optional(&mut *c)
    .await?;
    r.map(|r| {
        Ok(Stored {
            sha256: r.try_get("sha256")?,
            content_type: r.try_get("content_type")?,
            size: r.try_get("size")?,
            data: r.try_get("data")?,
        })
    })
    .transpose()
}

/// Whether a row names `sha256` (the blob garbage collector's test).
pub async fn is_recorded(c: &mut AnyConnection, sha256: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE sha256 = $1")
        .bind(sha256)
        .fetch_one(&mut *c)
        .await?;
    Ok(n > 0)
}

/// Up to `limit` keys whose bytes are still held in the database.
pub async fn held_in_database(c: &mut AnyConnection, limit: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT sha256 FROM attachments WHERE stored_in = 'database' ORDER BY sha256 LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *c)
    .await?)
}

/// How many rows still hold their bytes in the database.
pub async fn count_held_in_database(c: &mut AnyConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE stored_in = 'database'")
            .fetch_one(&mut *c)
            .await?,
    )
}

/// Marks `sha256` as moved to the blob store and drops its bytes from the
/// database; false if it was not held here (moved by another node).
pub async fn mark_moved(c: &mut AnyConnection, sha256: &str) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE attachments SET stored_in = 'blobs', data = $1 WHERE sha256 = $2 AND stored_in = 'database'",
    )
    .bind(Vec::<u8>::new())
    .bind(sha256)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Writes a row the way the portal did before the blob store (bytes in
/// the database), for the migration's tests.
#[doc(hidden)]
pub async fn insert_legacy_for_tests(
    c: &mut AnyConnection,
    sha256: &str,
    content_type: &str,
    data: &[u8],
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO attachments (sha256, content_type, size, data, created_at, stored_in) VALUES ($1, $2, $3, $4, $5, 'database')",
    )
    .bind(sha256)
    .bind(content_type)
    .bind(data.len() as i64)
    .bind(data.to_vec())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}
