//! Workflow versions (the definition is JSON, checked before it is kept).
use motcua_domain::Millis;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowRow {
    pub id: i64,
    pub procedure_code: String,
    pub version: i64,
    pub status: String,
    pub definition: String,
    pub created_by: String,
    pub created_at: Millis,
}

const COLS: &str = "id, procedure_code, version, status, definition, created_by, created_at";

fn row(r: &AnyRow) -> Result<WorkflowRow> {
    Ok(WorkflowRow {
        id: r.try_get("id")?,
        procedure_code: r.try_get("procedure_code")?,
        version: r.try_get("version")?,
        status: r.try_get("status")?,
        definition: r.try_get("definition")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn by_id(c: &mut AnyConnection, id: i64) -> Result<Option<WorkflowRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM handling_workflows WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}

/// The published version for `procedure_code` ('' = the default).
pub async fn published(c: &mut AnyConnection, procedure_code: &str) -> Result<Option<WorkflowRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM handling_workflows WHERE procedure_code = $1 AND status = 'published'"
    )))
    .bind(procedure_code)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}

pub async fn versions(c: &mut AnyConnection, procedure_code: &str) -> Result<Vec<WorkflowRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM handling_workflows WHERE procedure_code = $1 ORDER BY version DESC LIMIT 100"
    )))
    .bind(procedure_code)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

/// Every procedure with a workflow of its own, and its newest version.
pub async fn procedures(c: &mut AnyConnection) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT procedure_code, MAX(version) AS v FROM handling_workflows GROUP BY procedure_code ORDER BY procedure_code LIMIT 2000",
    )
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("procedure_code")?, r.try_get("v")?)))
        .collect()
}

/// Keeps a new published version, retiring the one before.
pub async fn publish(
    c: &mut AnyConnection,
    procedure_code: &str,
    definition: &str,
    by: &str,
    now: Millis,
) -> Result<WorkflowRow> {
    let version: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM handling_workflows WHERE procedure_code = $1",
    )
    .bind(procedure_code)
    .fetch_one(&mut *c)
    .await?;
    sqlx::query("UPDATE handling_workflows SET status = 'retired' WHERE procedure_code = $1 AND status = 'published'")
        .bind(procedure_code)
        .execute(&mut *c)
        .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO handling_workflows (procedure_code, version, status, definition, created_by, created_at) VALUES ($1, $2, 'published', $3, $4, $5) RETURNING id",
    )
    .bind(procedure_code)
    .bind(version)
    .bind(definition)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("workflow"))?;
    Ok(WorkflowRow {
        id,
        procedure_code: procedure_code.to_string(),
        version,
        status: "published".into(),
        definition: definition.to_string(),
        created_by: by.to_string(),
        created_at: now,
    })
}
