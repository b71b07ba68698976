//! The control slip (Form 06): one row per hand-over of a dossier.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipRow {
    pub id: i64,
    pub dossier_id: i64,
    pub step: String,
    pub unit_id: i64,
    pub actor_id: Option<i64>,
    pub started_at: Millis,
    pub due_at: Millis,
    pub ended_at: Option<Millis>,
    pub action: String,
    pub note: String,
    pub on_time: Option<bool>,
}

fn row(r: &AnyRow) -> Result<SlipRow> {
    let on_time: Option<i64> = r.try_get("on_time")?;
    Ok(SlipRow {
        id: r.try_get("id")?,
        dossier_id: r.try_get("dossier_id")?,
        step: r.try_get("step")?,
        unit_id: r.try_get("unit_id")?,
        actor_id: r.try_get("actor_id")?,
        started_at: r.try_get("started_at")?,
        due_at: r.try_get("due_at")?,
        ended_at: r.try_get("ended_at")?,
        action: r.try_get("action")?,
        note: r.try_get("note")?,
        on_time: on_time.map(|v| v != 0),
    })
}

/// Opens a line: the dossier is now at `step` in `unit_id`.
pub async fn open(
    c: &mut AnyConnection,
    dossier_id: i64,
    step: &str,
    unit_id: i64,
    started_at: Millis,
    due_at: Millis,
) -> Result<()> {
    sqlx::query("INSERT INTO handling_slips (dossier_id, step, unit_id, actor_id, started_at, due_at, ended_at, action, note, on_time) VALUES ($1, $2, $3, NULL, $4, $5, NULL, '', '', NULL)")
        .bind(dossier_id)
        .bind(step)
        .bind(unit_id)
        .bind(started_at)
        .bind(due_at)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Closes the open line of the dossier with what ended it and who did it.
pub async fn close(
    c: &mut AnyConnection,
    dossier_id: i64,
    actor_id: Option<i64>,
    action: &str,
    note: &str,
    at: Millis,
) -> Result<()> {
    sqlx::query("UPDATE handling_slips SET ended_at = $1, actor_id = $2, action = $3, note = $4, on_time = CASE WHEN $1 <= due_at THEN 1 ELSE 0 END WHERE dossier_id = $5 AND ended_at IS NULL")
        .bind(at)
        .bind(actor_id)
        .bind(action)
        .bind(note)
        .bind(dossier_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn of_dossier(c: &mut AnyConnection, dossier_id: i64) -> Result<Vec<SlipRow>> {
    let rows = sqlx::query("SELECT id, dossier_id, step, unit_id, actor_id, started_at, due_at, ended_at, action, note, on_time FROM handling_slips WHERE dossier_id = $1 ORDER BY id LIMIT 1000")
        .bind(dossier_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(row).collect()
}

/// The last department unit the dossier was in, if any.
pub async fn last_department(c: &mut AnyConnection, dossier_id: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT s.unit_id FROM handling_slips s JOIN handling_units u ON u.id = s.unit_id WHERE s.dossier_id = $1 AND u.kind = 'department' ORDER BY s.id DESC LIMIT 1")
        .bind(dossier_id)
        .fetch_optional(&mut *c)
        .await?)
}
