//! Form definitions, one row per version of a procedure case's form; the
//! published version of a (procedure, case) is unique (`forms_published`).
//! A row never changes after it is written except for its status.
use motcua_domain::Millis;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRow {
    pub id: i64,
    pub procedure_code: String,
    /// `""`: the form of every case.
    pub case_code: String,
    pub version: i64,
    /// `draft`, `published` or `retired`.
    pub status: String,
    pub title: String,
    pub created_by: String,
    pub created_at: Millis,
    pub published_at: Option<Millis>,
    /// The definition (JSON).
    pub definition: String,
}

const COLS: &str = "id, procedure_code, case_code, version, status, title, created_by, created_at, published_at, definition";

fn row(r: &AnyRow) -> Result<FormRow> {
    Ok(FormRow {
        id: r.try_get("id")?,
        procedure_code: r.try_get("procedure_code")?,
        case_code: r.try_get("case_code")?,
        version: r.try_get("version")?,
        status: r.try_get("status")?,
        title: r.try_get("title")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        published_at: r.try_get("published_at")?,
        definition: r.try_get("definition")?,
    })
}

/// Stores the next version of (procedure, case) as a draft; its id and
/// version number.
pub async fn insert(
    c: &mut AnyConnection,
    procedure: &str,
    case: &str,
    title: &str,
    definition: &str,
    by: &str,
    now: Millis,
) -> Result<(i64, i64)> {
    let next: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM forms WHERE procedure_code = $1 AND case_code = $2",
    )
    .bind(procedure)
    .bind(case)
    .fetch_one(&mut *c)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO forms (procedure_code, case_code, version, status, title, created_by, created_at, definition) \
         VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7) RETURNING id",
    )
    .bind(procedure)
    .bind(case)
    .bind(next)
    .bind(title)
    .bind(by)
    .bind(now)
    .bind(definition)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("form version"))?;
    Ok((id, next))
}

/// Publishes a draft and retires the version published before; false when
/// `version` is not a draft. The rows of the case are locked first, so two
/// publications run one after the other.
pub async fn publish(
    c: &mut AnyConnection,
    procedure: &str,
    case: &str,
    version: i64,
    now: Millis,
) -> Result<bool> {
    let lock = format!(
        "SELECT version, status FROM forms WHERE procedure_code = $1 AND case_code = $2{}",
        motcua_store::Backend::of(c).for_update()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(lock))
        .bind(procedure)
        .bind(case)
        .fetch_all(&mut *c)
        .await?;
    let is_draft = rows.iter().any(|r| {
        r.try_get::<i64, _>("version").ok() == Some(version)
            && r.try_get::<String, _>("status").ok().as_deref() == Some("draft")
    });
    if !is_draft {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE forms SET status = 'retired' WHERE procedure_code = $1 AND case_code = $2 AND status = 'published'",
    )
    .bind(procedure)
    .bind(case)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "UPDATE forms SET status = 'published', published_at = $4 WHERE procedure_code = $1 AND case_code = $2 AND version = $3",
    )
    .bind(procedure)
    .bind(case)
    .bind(version)
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(conflict("form publication"))?;
    Ok(true)
}

pub async fn by_id(c: &mut AnyConnection, id: i64) -> Result<Option<FormRow>> {
    let q = format!("SELECT {COLS} FROM forms WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(q))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

pub async fn get(
    c: &mut AnyConnection,
    procedure: &str,
    case: &str,
    version: i64,
) -> Result<Option<FormRow>> {
    let q = format!(
        "SELECT {COLS} FROM forms WHERE procedure_code = $1 AND case_code = $2 AND version = $3"
    );
    sqlx::query(sqlx::AssertSqlSafe(q))
        .bind(procedure)
        .bind(case)
        .bind(version)
        .fetch_optional(&mut *c)
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// The published forms of a procedure, one per case.
pub async fn published(c: &mut AnyConnection, procedure: &str) -> Result<Vec<FormRow>> {
    let q = format!(
        "SELECT {COLS} FROM forms WHERE procedure_code = $1 AND status = 'published' ORDER BY case_code"
    );
    sqlx::query(sqlx::AssertSqlSafe(q))
        .bind(procedure)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(row)
        .collect()
}

/// Every version of a procedure's forms, newest first.
pub async fn versions(c: &mut AnyConnection, procedure: &str) -> Result<Vec<FormRow>> {
    let q = format!(
        "SELECT {COLS} FROM forms WHERE procedure_code = $1 ORDER BY case_code, version DESC LIMIT 500"
    );
    sqlx::query(sqlx::AssertSqlSafe(q))
        .bind(procedure)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(row)
        .collect()
}

/// The procedures that have a published form, among `codes`.
pub async fn with_published(c: &mut AnyConnection, codes: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(500) {
        let q = format!(
            "SELECT DISTINCT procedure_code FROM forms WHERE status = 'published' AND procedure_code IN ({})",
            motcua_store::placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(q));
        for code in chunk {
            query = query.bind(code);
        }
        out.extend(query.fetch_all(&mut *c).await?);
    }
    Ok(out)
}

/// How many form versions exist (any status).
pub async fn count(c: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM forms")
        .fetch_one(&mut *c)
        .await?)
}
