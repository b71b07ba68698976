//! The files attached to drafts (`dossier_files`); the bytes are in the
//! blob store under `sha256`.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow {
    pub id: i64,
    pub draft_id: i64,
    /// The dossier component's code in the procedure's record.
    pub component: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: Millis,
    /// Taken from the holder's document store (its entry), not uploaded.
    pub reused_from: Option<i64>,
}

fn row(r: &AnyRow) -> Result<FileRow> {
    Ok(FileRow {
        id: r.try_get("id")?,
        draft_id: r.try_get("draft_id")?,
        component: r.try_get("component")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        created_at: r.try_get("created_at")?,
        reused_from: r.try_get("reused_from")?,
    })
}

pub async fn insert(c: &mut AnyConnection, f: &FileRow) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO dossier_files (draft_id, component, file_name, content_type, size, sha256, created_at, reused_from) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(f.draft_id)
    .bind(&f.component)
    .bind(&f.file_name)
    .bind(&f.content_type)
    .bind(f.size)
    .bind(&f.sha256)
    .bind(f.created_at)
    .bind(f.reused_from)
    .fetch_one(&mut *c)
    .await?)
}

/// The files of a draft, in the order they were attached (at most 200).
pub async fn of_draft(c: &mut AnyConnection, draft_id: i64) -> Result<Vec<FileRow>> {
    let rows = sqlx::query(
        "SELECT id, draft_id, component, file_name, content_type, size, sha256, created_at, reused_from \
         FROM dossier_files WHERE draft_id = $1 ORDER BY id LIMIT 200",
    )
    .bind(draft_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

pub async fn count_of_draft(c: &mut AnyConnection, draft_id: i64) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM dossier_files WHERE draft_id = $1")
            .bind(draft_id)
            .fetch_one(&mut *c)
            .await?,
    )
}

/// Removes a file of a draft; false when there is none of that id.
pub async fn delete(c: &mut AnyConnection, draft_id: i64, id: i64) -> Result<bool> {
    let r = sqlx::query("DELETE FROM dossier_files WHERE draft_id = $1 AND id = $2")
        .bind(draft_id)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Copies the files of draft `from` to draft `to` (the same bytes, kept
/// in the blob store by their SHA-256).
pub async fn copy(c: &mut AnyConnection, from: i64, to: i64, now: Millis) -> Result<()> {
    sqlx::query("INSERT INTO dossier_files (draft_id, component, file_name, content_type, size, sha256, created_at, reused_from) SELECT $1, component, file_name, content_type, size, sha256, $2, reused_from FROM dossier_files WHERE draft_id = $3 ORDER BY id")
        .bind(to)
        .bind(now)
        .bind(from)
        .execute(&mut *c)
        .await?;
    Ok(())
}
