//! The applicants' evaluations of finished dossiers.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationRow {
    pub dossier_id: i64,
    pub account_id: i64,
    pub agency_code: String,
    pub procedure_code: String,
    /// JSON array of nine scores (2, 1 or 0).
    pub scores: String,
    pub total: i64,
    pub satisfaction: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

fn row(r: &AnyRow) -> Result<EvaluationRow> {
    Ok(EvaluationRow {
        dossier_id: r.try_get("dossier_id")?,
        account_id: r.try_get("account_id")?,
        agency_code: r.try_get("agency_code")?,
        procedure_code: r.try_get("procedure_code")?,
        scores: r.try_get("scores")?,
        total: r.try_get("total")?,
        satisfaction: r.try_get("satisfaction")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn get(c: &mut AnyConnection, dossier_id: i64) -> Result<Option<EvaluationRow>> {
    let r = sqlx::query("SELECT dossier_id, account_id, agency_code, procedure_code, scores, total, satisfaction, created_at, updated_at FROM handling_evaluations WHERE dossier_id = $1")
        .bind(dossier_id)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(row).transpose()
}

/// Inserts the first evaluation; false if there is one already.
pub async fn insert(c: &mut AnyConnection, e: &EvaluationRow) -> Result<bool> {
    let r = sqlx::query("INSERT INTO handling_evaluations (dossier_id, account_id, agency_code, procedure_code, scores, total, satisfaction, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (dossier_id) DO NOTHING")
        .bind(e.dossier_id)
        .bind(e.account_id)
        .bind(&e.agency_code)
        .bind(&e.procedure_code)
        .bind(&e.scores)
        .bind(e.total)
        .bind(e.satisfaction)
        .bind(e.created_at)
        .bind(e.updated_at)
        .execute(&mut *c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Changes an evaluation first given at or after `since`; false otherwise.
pub async fn update(c: &mut AnyConnection, e: &EvaluationRow, since: Millis) -> Result<bool> {
    let r = sqlx::query("UPDATE handling_evaluations SET scores = $1, total = $2, satisfaction = $3, updated_at = $4 WHERE dossier_id = $5 AND account_id = $6 AND created_at >= $7")
        .bind(&e.scores)
        .bind(e.total)
        .bind(e.satisfaction)
        .bind(e.updated_at)
        .bind(e.dossier_id)
        .bind(e.account_id)
        .bind(since)
        .execute(&mut *c)
        .await?;
    Ok(r.rows_affected() == 1)
}
