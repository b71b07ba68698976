//! Fee schedule versions (`catalog_fee_schedules`): rows never change.
use motcua_domain::Millis;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRow {
    pub id: i64,
    pub procedure_code: String,
    pub version: i64,
    /// The lines, JSON (checked before they were kept).
    pub lines: String,
    pub note: String,
    pub created_by: String,
    pub created_at: Millis,
}

const COLS: &str = "id, procedure_code, version, lines, note, created_by, created_at";

fn row(r: &AnyRow) -> Result<ScheduleRow> {
    Ok(ScheduleRow {
        id: r.try_get("id")?,
        procedure_code: r.try_get("procedure_code")?,
        version: r.try_get("version")?,
        lines: r.try_get("lines")?,
        note: r.try_get("note")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The version in force at `at`: the newest created by then.
pub async fn in_force(
    c: &mut AnyConnection,
    procedure_code: &str,
    at: Millis,
) -> Result<Option<ScheduleRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM catalog_fee_schedules WHERE procedure_code = $1 AND created_at <= $2 ORDER BY created_at DESC, version DESC LIMIT 1"
    )))
    .bind(procedure_code)
    .bind(at)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}

pub async fn versions(c: &mut AnyConnection, procedure_code: &str) -> Result<Vec<ScheduleRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM catalog_fee_schedules WHERE procedure_code = $1 ORDER BY version DESC LIMIT 100"
    )))
    .bind(procedure_code)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

/// Procedures with a schedule, and their newest version.
pub async fn procedures(c: &mut AnyConnection) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT procedure_code, MAX(version) AS v FROM catalog_fee_schedules GROUP BY procedure_code ORDER BY procedure_code LIMIT 2000",
    )
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("procedure_code")?, r.try_get("v")?)))
        .collect()
}

/// Keeps a new version (the unique (procedure, version) turns a race of
/// two publications into a conflict).
pub async fn publish(
    c: &mut AnyConnection,
    procedure_code: &str,
    lines: &str,
    note: &str,
    by: &str,
    now: Millis,
) -> Result<ScheduleRow> {
    let version: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM catalog_fee_schedules WHERE procedure_code = $1",
    )
    .bind(procedure_code)
    .fetch_one(&mut *c)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO catalog_fee_schedules (procedure_code, version, lines, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(procedure_code)
    .bind(version)
    .bind(lines)
    .bind(note)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("fee schedule"))?;
    Ok(ScheduleRow {
        id,
        procedure_code: procedure_code.into(),
        version,
        lines: lines.into(),
        note: note.into(),
        created_by: by.into(),
        created_at: now,
    })
}
