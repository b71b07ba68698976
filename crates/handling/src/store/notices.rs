//! The notices issued to applicants (Forms 02–05), with their facts.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub id: i64,
    pub dossier_id: i64,
    /// The form's number (2 supplement, 3 refusal, 4 apology, 5 stop).
    pub form: i64,
    pub issued_at: Millis,
    pub unit_id: i64,
    pub actor_id: Option<i64>,
    /// What the notice states (JSON object).
    pub facts: String,
}

fn row(r: &AnyRow) -> Result<NoticeRow> {
    Ok(NoticeRow {
        id: r.try_get("id")?,
        dossier_id: r.try_get("dossier_id")?,
        form: r.try_get("form")?,
        issued_at: r.try_get("issued_at")?,
        unit_id: r.try_get("unit_id")?,
        actor_id: r.try_get("actor_id")?,
        facts: r.try_get("facts")?,
    })
}

pub async fn insert(c: &mut AnyConnection, n: &NoticeRow) -> Result<i64> {
    Ok(sqlx::query_scalar("INSERT INTO handling_notices (dossier_id, form, issued_at, unit_id, actor_id, facts) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(n.dossier_id)
        .bind(n.form)
        .bind(n.issued_at)
        .bind(n.unit_id)
        .bind(n.actor_id)
        .bind(&n.facts)
        .fetch_one(&mut *c)
        .await?)
}

pub async fn of_dossier(c: &mut AnyConnection, dossier_id: i64) -> Result<Vec<NoticeRow>> {
    let rows = sqlx::query("SELECT id, dossier_id, form, issued_at, unit_id, actor_id, facts FROM handling_notices WHERE dossier_id = $1 ORDER BY id LIMIT 100")
        .bind(dossier_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(row).collect()
}
