//! What was done with an account, as its holder sees it (R-ID-14), and the
//! holder's reports of unauthorized use.
use motcua_domain::{AccountId, Millis, ReportId};
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Activity {
    pub id: i64,
    pub account_id: AccountId,
    /// login, login_failed, logout, logout_all, password_changed,
    /// password_reset, locked, unlocked, throttle_locked, compromise_reported
    pub kind: String,
    pub method: Option<String>,
    pub ip: String,
    pub user_agent: String,
    pub detail: String,
    pub at: Millis,
}

pub struct NewActivity<'a> {
    pub account_id: AccountId,
    pub kind: &'a str,
    pub method: Option<&'a str>,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub detail: &'a str,
}

pub async fn record(c: &mut AnyConnection, a: &NewActivity<'_>, now: Millis) -> Result<()> {
    sqlx::query("INSERT INTO activity (account_id, kind, method, ip, user_agent, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(a.account_id)
        .bind(a.kind)
        .bind(a.method.map(str::to_string))
        .bind(a.ip)
        .bind(a.user_agent)
        .bind(a.detail)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Newest first, a page of `limit` before the cursor `before` (an
/// activity id; keyset paging through `activity_account`, so a page costs
/// the same however long the history), and the next page's cursor.
pub async fn list(
    c: &mut AnyConnection,
    account_id: AccountId,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<Activity>, Option<i64>)> {
    let rows = sqlx::query(
        "SELECT id, account_id, kind, method, ip, user_agent, detail, at FROM activity \
         WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(account_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit + 1)
    .fetch_all(&mut *c)
    .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(Activity {
                id: r.try_get("id")?,
                account_id: r.try_get("account_id")?,
                kind: r.try_get("kind")?,
                method: r.try_get("method")?,
                ip: r.try_get("ip")?,
                user_agent: r.try_get("user_agent")?,
                detail: r.try_get("detail")?,
                at: r.try_get("at")?,
            })
        })
        .collect::<Result<Vec<Activity>>>()?;
    let mut items = items;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|a| a.id)
    } else {
        None
    };
    Ok((items, next))
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CompromiseReport {
    pub id: ReportId,
    pub account_id: AccountId,
    pub username: String,
    pub note: String,
    pub ip: String,
    pub at: Millis,
    /// When an operator marked it handled; `None` while open.
    pub handled_at: Option<Millis>,
}

pub async fn report_compromise(
    c: &mut AnyConnection,
    account_id: AccountId,
    note: &str,
    ip: &str,
    now: Millis,
) -> Result<ReportId> {
    Ok(sqlx::query_scalar("INSERT INTO compromise_reports (account_id, note, ip, at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(account_id)
        .bind(note)
        .bind(ip)
        .bind(now)
        .fetch_one(&mut *c)
        .await?)
}

/// A compromise report with its holder's username.
const REPORT_SELECT: &str =
    "SELECT r.id, r.account_id, a.username, r.note, r.ip, r.at, r.handled_at \
     FROM compromise_reports r JOIN accounts a ON a.id = r.account_id";

fn report_row(r: &sqlx::any::AnyRow) -> Result<CompromiseReport> {
    Ok(CompromiseReport {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        username: r.try_get("username")?,
        note: r.try_get("note")?,
        ip: r.try_get("ip")?,
        at: r.try_get("at")?,
        handled_at: r.try_get("handled_at")?,
    })
}

pub async fn compromise_reports(
    c: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<CompromiseReport>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{REPORT_SELECT} ORDER BY r.id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(report_row).collect()
}

/// Reports no operator has marked handled yet, oldest first.
pub async fn open_compromise_reports(c: &mut AnyConnection) -> Result<Vec<CompromiseReport>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{REPORT_SELECT} WHERE r.handled_at IS NULL ORDER BY r.id"
    )))
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(report_row).collect()
}

/// Marks an open report handled; the account of the report if it was
/// open, `None` if it does not exist or was already handled.
pub async fn mark_report_handled(
    c: &mut AnyConnection,
    id: ReportId,
    now: Millis,
) -> Result<Option<AccountId>> {
    Ok(sqlx::query_scalar(
        "UPDATE compromise_reports SET handled_at = $1 WHERE id = $2 AND handled_at IS NULL RETURNING account_id",
    )
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *c)
    .await?)
}
