//! The government's announced calendar adjustments (days off, swapped
//! working days) as rows; the Labour Code rules themselves are computed in
//! `motcua_domain::calendar`. Every change bumps `calendar_state.version`
//! so each app node knows when to reload its cached calendar.
use crate::Result;
use motcua_domain::Millis;
use sqlx::{AnyConnection, Row};

/// One stored adjustment. `date` is the Vietnam local date `YYYY-MM-DD`;
/// `kind` is the domain's adjustment kind name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AdjustmentRow {
    pub date: String,
    pub kind: String,
    pub reason_vi: String,
    pub reason_en: String,
    pub source: String,
    pub updated_by: String,
    pub updated_at: Millis,
}

pub async fn list(c: &mut AnyConnection) -> Result<Vec<AdjustmentRow>> {
    let rows = sqlx::query(
        "SELECT date, kind, reason_vi, reason_en, source, updated_by, updated_at FROM calendar_adjustments ORDER BY date",
    )
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AdjustmentRow {
                date: r.try_get("date")?,
                kind: r.try_get("kind")?,
                reason_vi: r.try_get("reason_vi")?,
                reason_en: r.try_get("reason_en")?,
                source: r.try_get("source")?,
                updated_by: r.try_get("updated_by")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

pub async fn get(c: &mut AnyConnection, date: &str) -> Result<Option<AdjustmentRow>> {
    list_one(c, date).await
}

async fn list_one(c: &mut AnyConnection, date: &str) -> Result<Option<AdjustmentRow>> {
    let r = sqlx::query(
        "SELECT date, kind, reason_vi, reason_en, source, updated_by, updated_at FROM calendar_adjustments WHERE date = $1",
    )
    .bind(date)
    .fetch_optional(&mut *c)
    .await?;
    r.map(|r| {
        Ok(AdjustmentRow {
            date: r.try_get("date")?,
            kind: r.try_get("kind")?,
            reason_vi: r.try_get("reason_vi")?,
            reason_en: r.try_get("reason_en")?,
            source: r.try_get("source")?,
            updated_by: r.try_get("updated_by")?,
            updated_at: r.try_get("updated_at")?,
        })
    })
    .transpose()
}

/// Inserts or replaces the adjustment of `row.date`.
pub async fn put(c: &mut AnyConnection, row: &AdjustmentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO calendar_adjustments (date, kind, reason_vi, reason_en, source, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (date) DO UPDATE SET kind = $2, reason_vi = $3, reason_en = $4, source = $5, updated_by = $6, updated_at = $7",
    )
    .bind(&row.date)
    .bind(&row.kind)
    .bind(&row.reason_vi)
    .bind(&row.reason_en)
    .bind(&row.source)
    .bind(&row.updated_by)
    .bind(row.updated_at)
    .execute(&mut *c)
    .await?;
    bump(c).await
}

/// Removes the adjustment of `date`; false if there was none.
pub async fn remove(c: &mut AnyConnection, date: &str) -> Result<bool> {
    let n = sqlx::query("DELETE FROM calendar_adjustments WHERE date = $1")
        .bind(date)
        .execute(&mut *c)
        .await?
        .rows_affected();
    if n > 0 {
        bump(c).await?;
    }
    Ok(n > 0)
}

async fn bump(c: &mut AnyConnection) -> Result<()> {
    sqlx::query("UPDATE calendar_state SET version = version + 1 WHERE id = 1")
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// `(seeded, version)`.
pub async fn state(c: &mut AnyConnection) -> Result<(bool, i64)> {
    let r = sqlx::query("SELECT seeded, version FROM calendar_state WHERE id = 1")
        .fetch_one(&mut *c)
        .await?;
    Ok((r.try_get::<i64, _>("seeded")? != 0, r.try_get("version")?))
}

/// Marks the bundled announcements as loaded. Returns false if another
/// node did it first (then the caller must not load them again).
pub async fn mark_seeded(c: &mut AnyConnection) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE calendar_state SET seeded = 1, version = version + 1 WHERE id = 1 AND seeded = 0",
    )
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}
