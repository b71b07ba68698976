//! Attempts at the platform, and the callbacks' log.
use motcua_domain::Millis;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRow {
    pub id: i64,
    pub request_id: i64,
    pub reference: String,
    pub amount: i64,
    pub state: String,
    pub platform_txn_id: String,
    pub pay_url: String,
    pub result_code: String,
    pub next_check_at: Millis,
    pub checks: i64,
    pub paid_amount: Option<i64>,
    pub paid_at: Option<Millis>,
    /// JSON object kind → blob key of the receipts fetched.
    pub receipts: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

const COLS: &str = "id, request_id, reference, amount, state, platform_txn_id, pay_url, result_code, next_check_at, checks, paid_amount, paid_at, receipts, created_at, updated_at";

fn row(r: &AnyRow) -> Result<AttemptRow> {
    Ok(AttemptRow {
        id: r.try_get("id")?,
        request_id: r.try_get("request_id")?,
        reference: r.try_get("reference")?,
        amount: r.try_get("amount")?,
        state: r.try_get("state")?,
        platform_txn_id: r.try_get("platform_txn_id")?,
        pay_url: r.try_get("pay_url")?,
        result_code: r.try_get("result_code")?,
        next_check_at: r.try_get("next_check_at")?,
        checks: r.try_get("checks")?,
        paid_amount: r.try_get("paid_amount")?,
        paid_at: r.try_get("paid_at")?,
        receipts: r.try_get("receipts")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A new attempt, `initiated`; the partial unique index refuses a second
/// open attempt of one request (a conflict).
pub async fn insert(
    c: &mut AnyConnection,
    request_id: i64,
    reference: &str,
    amount: i64,
    next_check_at: Millis,
    now: Millis,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO payment_attempts (request_id, reference, amount, state, next_check_at, created_at, updated_at) VALUES ($1, $2, $3, 'initiated', $4, $5, $5) RETURNING id",
    )
    .bind(request_id)
    .bind(reference)
    .bind(amount)
    .bind(next_check_at)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("payment attempt"))
}

pub async fn by_reference(c: &mut AnyConnection, reference: &str) -> Result<Option<AttemptRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payment_attempts WHERE reference = $1"
    )))
    .bind(reference)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}

pub async fn by_id(c: &mut AnyConnection, id: i64) -> Result<Option<AttemptRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payment_attempts WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(row).transpose()
}

pub async fn of_request(c: &mut AnyConnection, request_id: i64) -> Result<Vec<AttemptRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payment_attempts WHERE request_id = $1 ORDER BY id LIMIT 100"
    )))
    .bind(request_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

/// The platform answered INIT: the payer can be sent.
pub async fn opened(
    c: &mut AnyConnection,
    id: i64,
    platform_txn_id: &str,
    pay_url: &str,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE payment_attempts SET state = 'pending', platform_txn_id = $1, pay_url = $2, updated_at = $3 WHERE id = $4 AND state = 'initiated'",
    )
    .bind(platform_txn_id)
    .bind(pay_url)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Marks an attempt paid, from any state but paid or duplicate; false
/// when it already was (a duplicate or late word on it).
pub async fn mark_paid(
    c: &mut AnyConnection,
    id: i64,
    platform_txn_id: &str,
    paid_amount: i64,
    paid_at: Millis,
    result_code: &str,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE payment_attempts SET state = 'paid', platform_txn_id = $1, paid_amount = $2, paid_at = $3, result_code = $4, updated_at = $5 WHERE id = $6 AND state IN ('initiated', 'pending', 'expired', 'failed')",
    )
    .bind(platform_txn_id)
    .bind(paid_amount)
    .bind(paid_at)
    .bind(result_code)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Moves an attempt from one of `from` to `to` (failed, expired,
/// duplicate), keeping the platform's code.
pub async fn finish(
    c: &mut AnyConnection,
    id: i64,
    from: &[&str],
    to: &str,
    result_code: &str,
    now: Millis,
) -> Result<bool> {
    let list = from
        .iter()
        .map(|s| format!("'{}'", s.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(", ");
    let n = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE payment_attempts SET state = $1, result_code = $2, updated_at = $3 WHERE id = $4 AND state IN ({list})"
    )))
    .bind(to)
    .bind(result_code)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Still open after a check: when to ask again.
pub async fn checked(
    c: &mut AnyConnection,
    id: i64,
    next_check_at: Millis,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "UPDATE payment_attempts SET checks = checks + 1, next_check_at = $1, updated_at = $2 WHERE id = $3 AND state IN ('initiated', 'pending')",
    )
    .bind(next_check_at)
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Open attempts due for a status query.
pub async fn due(c: &mut AnyConnection, now: Millis, limit: i64) -> Result<Vec<AttemptRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payment_attempts WHERE state IN ('initiated', 'pending') AND next_check_at <= $1 ORDER BY next_check_at LIMIT $2"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

/// Paid attempts whose receipts are not fetched yet.
pub async fn without_receipts(c: &mut AnyConnection, limit: i64) -> Result<Vec<AttemptRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payment_attempts WHERE state = 'paid' AND receipts = '' ORDER BY id LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

pub async fn set_receipts(c: &mut AnyConnection, id: i64, receipts: &str) -> Result<()> {
    sqlx::query("UPDATE payment_attempts SET receipts = $1 WHERE id = $2 AND receipts = ''")
        .bind(receipts)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Attempts paid in `[from, to)` (the day's, for reconciliation).
pub async fn paid_between(
    c: &mut AnyConnection,
    from: Millis,
    to: Millis,
) -> Result<Vec<AttemptRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM payment_attempts WHERE state IN ('paid', 'duplicate') AND paid_at >= $1 AND paid_at < $2 ORDER BY id LIMIT 200000"
    )))
    .bind(from)
    .bind(to)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(row).collect()
}

/// Logs a callback, whatever became of it.
pub async fn log_callback(
    c: &mut AnyConnection,
    reference: &str,
    verdict: &str,
    body: &str,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO payment_callbacks (reference, received_at, verdict, body) VALUES ($1, $2, $3, $4)",
    )
    .bind(reference)
    .bind(now)
    .bind(verdict)
    .bind(body)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The callbacks logged for `reference`: (verdict, received_at).
pub async fn callbacks(c: &mut AnyConnection, reference: &str) -> Result<Vec<(String, Millis)>> {
    let rows = sqlx::query(
        "SELECT verdict, received_at FROM payment_callbacks WHERE reference = $1 ORDER BY id LIMIT 1000",
    )
    .bind(reference)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("verdict")?, r.try_get("received_at")?)))
        .collect()
}
