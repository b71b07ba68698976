//! Account lifecycle requests (Decree 85/2019 Art. 11(4)–(6)) and the
//! warnings sent before an unused account is locked.
use motcua_domain::{AccountId, LifecycleRequestId, LifecycleStatus, Millis, Workflow};
use motcua_store::keyset::{self, Cursor};
use motcua_store::{status, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Request {
    pub id: LifecycleRequestId,
    /// scheduled_lock, emergency_lock, reactivation, revocation
    pub kind: String,
    pub account_id: AccountId,
    /// The account's username, for display: empty from the store, filled
    /// from identity's directory by the queries that show it.
    pub username: String,
    /// `account:<id>` or `ministry:<name>`
    pub requested_by: String,
    pub reason: String,
    /// Revocation: holder_request, dissolved, bankrupt, suspended.
    pub grounds: Option<String>,
    pub notice_ref: Option<String>,
    pub effective_at: Option<Millis>,
    pub until_at: Option<Millis>,
    pub ended_at: Option<Millis>,
    pub received_at: Millis,
    pub due_at: Millis,
    /// pending, done, refused, cancelled
    pub status: LifecycleStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<Millis>,
    pub result_note: Option<String>,
    pub created_at: Millis,
}

#[derive(Debug, Clone, Default)]
pub struct NewRequest<'a> {
    pub kind: &'a str,
    pub account_id: AccountId,
    pub requested_by: &'a str,
    pub reason: &'a str,
    pub grounds: Option<&'a str>,
    pub notice_ref: Option<&'a str>,
    pub effective_at: Option<Millis>,
    pub until_at: Option<Millis>,
    pub due_at: Millis,
}

const COLS: &str = "id, kind, account_id, requested_by, reason, grounds, notice_ref, effective_at, until_at, ended_at, \
    received_at, due_at, status, decided_by, decided_at, result_note, created_at";

fn request(r: &AnyRow) -> Result<Request> {
    Ok(Request {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        account_id: r.try_get("account_id")?,
        username: String::new(),
        requested_by: r.try_get("requested_by")?,
        reason: r.try_get("reason")?,
        grounds: r.try_get("grounds")?,
        notice_ref: r.try_get("notice_ref")?,
        effective_at: r.try_get("effective_at")?,
        until_at: r.try_get("until_at")?,
        ended_at: r.try_get("ended_at")?,
        received_at: r.try_get("received_at")?,
        due_at: r.try_get("due_at")?,
        status: status(r, "status")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        result_note: r.try_get("result_note")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Records a pending request received now; returns its id.
pub async fn create(
    c: &mut AnyConnection,
    n: &NewRequest<'_>,
    now: Millis,
) -> Result<LifecycleRequestId> {
    Ok(sqlx::query_scalar(
        "INSERT INTO lifecycle_requests (kind, account_id, requested_by, reason, grounds, notice_ref, effective_at, until_at, \
         received_at, due_at, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $9, $9) RETURNING id",
    )
    .bind(n.kind)
    .bind(n.account_id)
    .bind(n.requested_by)
    .bind(n.reason)
    .bind(n.grounds)
    .bind(n.notice_ref)
    .bind(n.effective_at)
    .bind(n.until_at)
    .bind(now)
    .bind(n.due_at)
    .fetch_one(&mut *c)
    .await?)
}

pub async fn get(c: &mut AnyConnection, id: LifecycleRequestId) -> Result<Option<Request>> {
    let sql = format!("SELECT {COLS} FROM lifecycle_requests WHERE id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(request).transpose()
}

/// An account's requests, newest first.
pub async fn for_account(c: &mut AnyConnection, account_id: AccountId) -> Result<Vec<Request>> {
    let sql = format!(
        "SELECT {COLS} FROM lifecycle_requests WHERE account_id = $1 ORDER BY id DESC LIMIT 200"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(account_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(request).collect()
}

/// The account's pending request of this kind, if any.
pub async fn open_of_kind(
    c: &mut AnyConnection,
    account_id: AccountId,
    kind: &str,
) -> Result<Option<Request>> {
    let sql = format!(
        "SELECT {COLS} FROM lifecycle_requests WHERE account_id = $1 AND kind = $2 AND status = 'pending' ORDER BY id LIMIT 1"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(account_id)
        .bind(kind)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(request).transpose()
}

/// A page of the pending requests, nearest deadline first (the operator's
/// queue), after the cursor (keyset on `lifecycle_requests_pending`,
/// migration 22), and the next page's cursor.
pub async fn pending(
    c: &mut AnyConnection,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<Request>, Option<Cursor>)> {
    let after = after.unwrap_or(Cursor::FIRST_ASC);
    let sql = format!(
        "SELECT {COLS} FROM lifecycle_requests WHERE status = 'pending' \
         AND (due_at > $1 OR (due_at = $1 AND id > $2)) ORDER BY due_at, id LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(after.key)
        .bind(after.id)
        .bind(limit + 1)
        .fetch_all(&mut *c)
        .await?;
    let rows = rows.iter().map(request).collect::<Result<Vec<_>>>()?;
    Ok(keyset::page(rows, limit, |r| Cursor {
        key: r.due_at,
        id: r.id.get(),
    }))
}

/// How many requests are pending, and how many of them are past their
/// deadline at `now` (two counts over `lifecycle_requests_pending`).
pub async fn pending_count(c: &mut AnyConnection, now: Millis) -> Result<(i64, i64)> {
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM lifecycle_requests WHERE status = 'pending'")
            .fetch_one(&mut *c)
            .await?;
    let overdue: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM lifecycle_requests WHERE status = 'pending' AND due_at < $1",
    )
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    Ok((pending, overdue))
}

/// A page of the decided requests, newest decision first, after the
/// cursor (keyset on `lifecycle_requests_decided`, migration 22), and the
/// next page's cursor. Only [`close`] moves a request out of `pending`,
/// and it sets `decided_at`.
pub async fn decided(
    c: &mut AnyConnection,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<Request>, Option<Cursor>)> {
    let after = after.unwrap_or(Cursor::FIRST_DESC);
    let sql = format!(
        "SELECT {COLS} FROM lifecycle_requests WHERE decided_at IS NOT NULL \
         AND (decided_at < $1 OR (decided_at = $1 AND id < $2)) ORDER BY decided_at DESC, id DESC LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(after.key)
        .bind(after.id)
        .bind(limit + 1)
        .fetch_all(&mut *c)
        .await?;
    let rows = rows.iter().map(request).collect::<Result<Vec<_>>>()?;
    Ok(keyset::page(rows, limit, |r| Cursor {
        key: r.decided_at.unwrap_or(i64::MIN),
        id: r.id.get(),
    }))
}

/// Closes a pending request (`done`, `refused`, `cancelled`). Returns false
/// (and changes nothing) when it is no longer pending: two operators, or
/// the worker and an operator, cannot both decide it.
pub async fn close(
    c: &mut AnyConnection,
    id: LifecycleRequestId,
    to: LifecycleStatus,
    decided_by: &str,
    note: &str,
    effective_at: Option<Millis>,
    now: Millis,
) -> Result<bool> {
    // Only a pending request closes, and only by a move in the table.
    LifecycleStatus::Pending.check(to)?;
    let n = sqlx::query(
        "UPDATE lifecycle_requests SET status = $1, decided_by = $2, decided_at = $3, result_note = $4, \
         effective_at = COALESCE($5, effective_at), updated_at = $3 WHERE id = $6 AND status = 'pending'",
    )
    .bind(to.as_str())
    .bind(decided_by)
    .bind(now)
    .bind(note)
    .bind(effective_at)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Cancels every pending request of an account (it was revoked); returns
/// their ids.
pub async fn cancel_open(
    c: &mut AnyConnection,
    account_id: AccountId,
    decided_by: &str,
    note: &str,
    now: Millis,
) -> Result<Vec<LifecycleRequestId>> {
    let ids: Vec<LifecycleRequestId> = sqlx::query_scalar(
        "SELECT id FROM lifecycle_requests WHERE account_id = $1 AND status = 'pending' ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await?;
    for id in &ids {
        close(
            c,
            *id,
            LifecycleStatus::Cancelled,
            decided_by,
            note,
            None,
            now,
        )
        .await?;
    }
    Ok(ids)
}

/// Pending scheduled locks whose start has come.
pub async fn scheduled_due(c: &mut AnyConnection, now: Millis) -> Result<Vec<Request>> {
    let sql = format!(
        "SELECT {COLS} FROM lifecycle_requests WHERE kind = 'scheduled_lock' AND status = 'pending' AND effective_at <= $1 ORDER BY id LIMIT 500"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(now)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(request).collect()
}

/// Carried-out scheduled locks whose end has come and that have not ended.
pub async fn scheduled_ends_due(c: &mut AnyConnection, now: Millis) -> Result<Vec<Request>> {
    let sql = format!(
        "SELECT {COLS} FROM lifecycle_requests WHERE kind = 'scheduled_lock' AND status = 'done' AND until_at <= $1 AND ended_at IS NULL ORDER BY id LIMIT 500"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(now)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(request).collect()
}

/// Marks a scheduled lock as ended; false if it already was.
pub async fn mark_ended(
    c: &mut AnyConnection,
    id: LifecycleRequestId,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE lifecycle_requests SET ended_at = $1, updated_at = $1 WHERE id = $2 AND ended_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records a warning; false (nothing recorded) if this one was already sent.
pub async fn record_warning(
    c: &mut AnyConnection,
    account_id: AccountId,
    stage: i64,
    last_use_at: Millis,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO inactivity_warnings (account_id, stage, last_use_at, sent_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, stage, last_use_at) DO NOTHING",
    )
    .bind(account_id)
    .bind(stage)
    .bind(last_use_at)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The earliest warning sent for this period of non-use, if any.
pub async fn first_warning(
    c: &mut AnyConnection,
    account_id: AccountId,
    last_use_at: Millis,
) -> Result<Option<Millis>> {
    Ok(sqlx::query_scalar(
        "SELECT MIN(sent_at) FROM inactivity_warnings WHERE account_id = $1 AND last_use_at = $2",
    )
    .bind(account_id)
    .bind(last_use_at)
    .fetch_one(&mut *c)
    .await?)
}

/// Warnings sent to an account (tests and the console): `(stage, sent_at)`.
pub async fn warnings(c: &mut AnyConnection, account_id: AccountId) -> Result<Vec<(i64, Millis)>> {
    let rows = sqlx::query(
        "SELECT stage, sent_at FROM inactivity_warnings WHERE account_id = $1 ORDER BY sent_at, stage",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("stage")?, r.try_get("sent_at")?)))
        .collect()
}
