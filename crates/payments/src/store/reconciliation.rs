//! Daily reconciliations and the mismatches they (and the settlement
//! path) find.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MismatchRow {
    pub id: i64,
    pub day: String,
    pub kind: String,
    pub reference: String,
    pub platform_txn_id: String,
    pub our_amount: Option<i64>,
    pub their_amount: Option<i64>,
    pub action: String,
    pub state: String,
    pub note: String,
    pub resolved_by: String,
    pub resolved_at: Option<Millis>,
    pub created_at: Millis,
}

const COLS: &str = "id, day, kind, reference, platform_txn_id, our_amount, their_amount, action, state, note, resolved_by, resolved_at, created_at";

fn row(r: &AnyRow) -> Result<MismatchRow> {
    Ok(MismatchRow {
        id: r.try_get("id")?,
        day: r.try_get("day")?,
        kind: r.try_get("kind")?,
        reference: r.try_get("reference")?,
        platform_txn_id: r.try_get("platform_txn_id")?,
        our_amount: r.try_get("our_amount")?,
        their_amount: r.try_get("their_amount")?,
        action: r.try_get("action")?,
        state: r.try_get("state")?,
        note: r.try_get("note")?,
        resolved_by: r.try_get("resolved_by")?,
        resolved_at: r.try_get("resolved_at")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Records a mismatch once per (day, kind, reference); false if it was
/// recorded before.
pub async fn record(c: &mut AnyConnection, m: &MismatchRow) -> Result<bool> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO payment_mismatches (day, kind, reference, platform_txn_id, our_amount, their_amount, action, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(&m.day)
    .bind(&m.kind)
    .bind(&m.reference)
    .bind(&m.platform_txn_id)
    .bind(m.our_amount)
    .bind(m.their_amount)
    .bind(&m.action)
    .bind(m.created_at)
    .fetch_optional(&mut *c)
    .await?;
    Ok(id.is_some())
}

pub async fn by_id(c: &mut AnyConnection, id: i64) -> Result<Option<MismatchRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payment_mismatches WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}

/// Mismatches of `day` ('' = every open one), newest first.
pub async fn list(c: &mut AnyConnection, day: &str, limit: i64) -> Result<Vec<MismatchRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payment_mismatches WHERE ($1 = '' AND state = 'open') OR day = $1 ORDER BY id DESC LIMIT $2"
    )))
    .bind(day)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

pub async fn resolve(
    c: &mut AnyConnection,
    id: i64,
    note: &str,
    by: &str,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE payment_mismatches SET state = 'resolved', note = $1, resolved_by = $2, resolved_at = $3 WHERE id = $4 AND state = 'open'",
    )
    .bind(note)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    pub day: String,
    pub state: String,
    pub started_at: Millis,
    pub finished_at: Option<Millis>,
    pub items: i64,
    pub matched: i64,
    pub mismatches: i64,
    pub error: String,
}

/// Claims `day` for this node: true if no one holds it (or the holder's
/// claim is older than `stale_before` and not done).
pub async fn claim(
    c: &mut AnyConnection,
    day: &str,
    now: Millis,
    stale_before: Millis,
) -> Result<bool> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO payment_reconciliations (day, state, started_at) VALUES ($1, 'running', $2) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(day)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    if inserted.is_some() {
        return Ok(true);
    }
    let n = sqlx::query(
        "UPDATE payment_reconciliations SET state = 'running', started_at = $1, error = '' WHERE day = $2 AND ((state = 'running' AND started_at < $3) OR state = 'failed')",
    )
    .bind(now)
    .bind(day)
    .bind(stale_before)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn finish(c: &mut AnyConnection, r: &RunRow) -> Result<()> {
    sqlx::query(
        "UPDATE payment_reconciliations SET state = $1, finished_at = $2, items = $3, matched = $4, mismatches = $5, error = $6 WHERE day = $7",
    )
    .bind(&r.state)
    .bind(r.finished_at)
    .bind(r.items)
    .bind(r.matched)
    .bind(r.mismatches)
    .bind(&r.error)
    .bind(&r.day)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn run_of(c: &mut AnyConnection, day: &str) -> Result<Option<RunRow>> {
    let r = sqlx::query(
        "SELECT day, state, started_at, finished_at, items, matched, mismatches, error FROM payment_reconciliations WHERE day = $1",
    )
    .bind(day)
    .fetch_optional(&mut *c)
    .await?;
    r.map(|r| {
        Ok(RunRow {
            day: r.try_get("day")?,
            state: r.try_get("state")?,
            started_at: r.try_get("started_at")?,
            finished_at: r.try_get("finished_at")?,
            items: r.try_get("items")?,
            matched: r.try_get("matched")?,
            mismatches: r.try_get("mismatches")?,
            error: r.try_get("error")?,
        })
    })
    .transpose()
}
