//! Versions of the service index's formulas.
use motcua_domain::Millis;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub version: i64,
    pub body: String,
    pub note: String,
    pub created_by: String,
    pub created_at: Millis,
}

fn version(r: &AnyRow) -> Result<Version> {
    Ok(Version {
        version: r.try_get("version")?,
        body: r.try_get("body")?,
        note: r.try_get("note")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Adds the next version; its number. Two operators publishing at once:
/// the second gets a conflict (the version is the key).
pub async fn insert(
    c: &mut AnyConnection,
    body: &str,
    note: &str,
    by: &str,
    now: Millis,
) -> Result<i64> {
    let next: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM stats_index_formulas")
            .fetch_one(&mut *c)
            .await?;
    sqlx::query(
        "INSERT INTO stats_index_formulas (version, body, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(next)
    .bind(body)
    .bind(note)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(conflict("formula version"))?;
    Ok(next)
}

/// The newest version published before `at`.
pub async fn in_force(c: &mut AnyConnection, at: Millis) -> Result<Option<Version>> {
    let r = sqlx::query(
        "SELECT version, body, note, created_by, created_at FROM stats_index_formulas \
         WHERE created_at < $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(at)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(version).transpose()
}

/// Every version, newest first.
pub async fn history(c: &mut AnyConnection) -> Result<Vec<Version>> {
    let rows = sqlx::query(
        "SELECT version, body, note, created_by, created_at FROM stats_index_formulas ORDER BY version DESC LIMIT 200",
    )
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(version).collect()
}
