//! The result documents of dossiers (`handling_results`).
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRow {
    pub id: i64,
    pub dossier_id: i64,
    pub title: String,
    pub file_name: String,
    /// The PDF's attachment key (its SHA-256, hex).
    pub sha256: String,
    pub size: i64,
    /// `upload` or `generated`.
    pub source: String,
    pub created_by: i64,
    pub created_at: Millis,
    pub signed_at: Option<Millis>,
    /// The detached CMS signature's attachment key.
    pub cms_sha256: Option<String>,
    /// The seal's certificate subject and fingerprint.
    pub signer: String,
    pub cert_fingerprint: String,
}

const COLUMNS: &str = "id, dossier_id, title, file_name, sha256, size, source, created_by, created_at, signed_at, cms_sha256, signer, cert_fingerprint";

fn row(r: &AnyRow) -> Result<ResultRow> {
    Ok(ResultRow {
        id: r.try_get("id")?,
        dossier_id: r.try_get("dossier_id")?,
        title: r.try_get("title")?,
        file_name: r.try_get("file_name")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        source: r.try_get("source")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        signed_at: r.try_get("signed_at")?,
        cms_sha256: r.try_get("cms_sha256")?,
        signer: r.try_get("signer")?,
        cert_fingerprint: r.try_get("cert_fingerprint")?,
    })
}

pub async fn insert(c: &mut AnyConnection, r: &ResultRow) -> Result<i64> {
    Ok(sqlx::query_scalar("INSERT INTO handling_results (dossier_id, title, file_name, sha256, size, source, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(r.dossier_id)
        .bind(&r.title)
        .bind(&r.file_name)
        .bind(&r.sha256)
        .bind(r.size)
        .bind(&r.source)
        .bind(r.created_by)
        .bind(r.created_at)
        .fetch_one(&mut *c)
        .await?)
}

/// A dossier's results, oldest first (at most 50: the service caps them).
pub async fn of_dossier(c: &mut AnyConnection, dossier_id: i64) -> Result<Vec<ResultRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM handling_results WHERE dossier_id = $1 ORDER BY id LIMIT 50"
    )))
    .bind(dossier_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

/// The signed results whose PDF has this digest (the same bytes may be a
/// result of several dossiers: at most 20).
pub async fn signed_by_digest(c: &mut AnyConnection, sha256: &str) -> Result<Vec<ResultRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM handling_results WHERE sha256 = $1 AND signed_at IS NOT NULL ORDER BY id LIMIT 20"
    )))
    .bind(sha256)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

/// Records the signature of a result not signed yet; false if it was.
pub async fn mark_signed(
    c: &mut AnyConnection,
    id: i64,
    at: Millis,
    cms_sha256: &str,
    signer: &str,
    fingerprint: &str,
) -> Result<bool> {
    let n = sqlx::query("UPDATE handling_results SET signed_at = $2, cms_sha256 = $3, signer = $4, cert_fingerprint = $5 WHERE id = $1 AND signed_at IS NULL")
        .bind(id)
        .bind(at)
        .bind(cms_sha256)
        .bind(signer)
        .bind(fingerprint)
        .execute(&mut *c)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Removes a result not signed yet; false if there is none.
pub async fn delete_unsigned(c: &mut AnyConnection, dossier_id: i64, id: i64) -> Result<bool> {
    let n = sqlx::query(
        "DELETE FROM handling_results WHERE id = $1 AND dossier_id = $2 AND signed_at IS NULL",
    )
    .bind(id)
    .bind(dossier_id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}
