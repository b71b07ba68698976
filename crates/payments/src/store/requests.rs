//! Payment requests.
use motcua_domain::Millis;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub id: i64,
    pub public_id: String,
    pub dossier_id: i64,
    pub dossier_code: String,
    pub account_id: i64,
    pub agency_code: String,
    pub origin: String,
    /// JSON array of [`crate::requests::Line`].
    pub lines: String,
    pub fee_total: i64,
    pub charge_total: i64,
    pub total: i64,
    pub schedule_version: i64,
    pub due_at: Millis,
    pub note: String,
    pub state: String,
    pub paid_attempt_id: Option<i64>,
    pub paid_at: Option<Millis>,
    pub created_by: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

const COLS: &str = "id, public_id, dossier_id, dossier_code, account_id, agency_code, origin, lines, fee_total, charge_total, total, schedule_version, due_at, note, state, paid_attempt_id, paid_at, created_by, created_at, updated_at";

fn row(r: &AnyRow) -> Result<RequestRow> {
    Ok(RequestRow {
        id: r.try_get("id")?,
        public_id: r.try_get("public_id")?,
        dossier_id: r.try_get("dossier_id")?,
        dossier_code: r.try_get("dossier_code")?,
        account_id: r.try_get("account_id")?,
        agency_code: r.try_get("agency_code")?,
        origin: r.try_get("origin")?,
        lines: r.try_get("lines")?,
        fee_total: r.try_get("fee_total")?,
        charge_total: r.try_get("charge_total")?,
        total: r.try_get("total")?,
        schedule_version: r.try_get("schedule_version")?,
        due_at: r.try_get("due_at")?,
        note: r.try_get("note")?,
        state: r.try_get("state")?,
        paid_attempt_id: r.try_get("paid_attempt_id")?,
        paid_at: r.try_get("paid_at")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Inserts a request; `Ok(None)` when the dossier already has one of
/// this origin (`before`, `after`: one each, ever) — without an error,
/// which on PostgreSQL would abort the caller's transaction.
pub async fn insert(c: &mut AnyConnection, r: &RequestRow) -> Result<Option<i64>> {
    let res = sqlx::query_scalar::<_, i64>(
        "INSERT INTO payment_requests (public_id, dossier_id, dossier_code, account_id, agency_code, origin, lines, fee_total, charge_total, total, schedule_version, due_at, note, state, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(&r.public_id)
    .bind(r.dossier_id)
    .bind(&r.dossier_code)
    .bind(r.account_id)
    .bind(&r.agency_code)
    .bind(&r.origin)
    .bind(&r.lines)
    .bind(r.fee_total)
    .bind(r.charge_total)
    .bind(r.total)
    .bind(r.schedule_version)
    .bind(r.due_at)
    .bind(&r.note)
    .bind(&r.state)
    .bind(&r.created_by)
    .bind(r.created_at)
    .bind(r.updated_at)
    .fetch_optional(&mut *c)
    .await?;
    Ok(res)
}

pub async fn by_public_id(c: &mut AnyConnection, public_id: &str) -> Result<Option<RequestRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payment_requests WHERE public_id = $1"
    )))
    .bind(public_id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}

pub async fn by_id(c: &mut AnyConnection, id: i64) -> Result<Option<RequestRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payment_requests WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}

/// A dossier's requests, oldest first.
pub async fn of_dossier(c: &mut AnyConnection, dossier_id: i64) -> Result<Vec<RequestRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payment_requests WHERE dossier_id = $1 ORDER BY id LIMIT 50"
    )))
    .bind(dossier_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

/// Moves a request from one of `from` to `to`; false when it was in
/// none of them (someone else moved it).
pub async fn set_state(
    c: &mut AnyConnection,
    id: i64,
    from: &[&str],
    to: &str,
    now: Millis,
) -> Result<bool> {
    let list = from
        .iter()
        .map(|s| format!("'{}'", s.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(", ");
    let n = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE payment_requests SET state = $1, updated_at = $2 WHERE id = $3 AND state IN ({list})"
    )))
    .bind(to)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Marks a request paid by `attempt_id` (only from unpaid or awaiting).
pub async fn mark_paid(
    c: &mut AnyConnection,
    id: i64,
    attempt_id: i64,
    paid_at: Millis,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE payment_requests SET state = 'paid', paid_attempt_id = $1, paid_at = $2, updated_at = $3 WHERE id = $4 AND state IN ('unpaid', 'awaiting')",
    )
    .bind(attempt_id)
    .bind(paid_at)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await
    .map_err(conflict("payment request"))?
    .rows_affected();
    Ok(n == 1)
}

/// Requests in `state`, newest first (the operator's list).
pub async fn recent(c: &mut AnyConnection, state: &str, limit: i64) -> Result<Vec<RequestRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payment_requests WHERE ($1 = '' OR state = $1) ORDER BY id DESC LIMIT $2"
    )))
    .bind(state)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

/// Per agency: the requests made in `[from, to)` (not cancelled) and
/// those paid online in `[from, to)` (the service index's online
/// payment); every agency.
pub async fn totals(
    c: &mut AnyConnection,
    from: Millis,
    to: Millis,
) -> Result<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT agency_code, \
                CAST(SUM(CASE WHEN created_at >= $1 AND created_at < $2 AND state <> 'cancelled' THEN 1 ELSE 0 END) AS BIGINT) AS made, \
                CAST(SUM(CASE WHEN paid_at >= $1 AND paid_at < $2 THEN 1 ELSE 0 END) AS BIGINT) AS paid \
         FROM payment_requests WHERE (created_at >= $1 AND created_at < $2) OR (paid_at >= $1 AND paid_at < $2) \
         GROUP BY agency_code",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("agency_code")?,
                r.try_get("made")?,
                r.try_get("paid")?,
            ))
        })
        .collect()
}
