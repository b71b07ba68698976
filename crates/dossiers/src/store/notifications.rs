//! The in-portal notification inbox (`notifications`).
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRow {
    pub id: i64,
    pub at: Millis,
    /// Names the message (`dossier.submitted`, `draft.expiring`, …).
    pub kind: String,
    /// What it is about (a dossier code, a draft's procedure name).
    pub reference: String,
    pub link: String,
    pub read_at: Option<Millis>,
}

pub async fn insert(
    c: &mut AnyConnection,
    account_id: i64,
    kind: &str,
    reference: &str,
    link: &str,
    now: Millis,
) -> Result<()> {
    sqlx::query("INSERT INTO notifications (account_id, at, kind, reference, link) VALUES ($1, $2, $3, $4, $5)")
        .bind(account_id)
        .bind(now)
        .bind(kind)
        .bind(reference)
        .bind(link)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The newest `limit` notifications of the person, before id `before`.
pub async fn of_account(
    c: &mut AnyConnection,
    account_id: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<NotificationRow>> {
    let rows = sqlx::query(
        "SELECT id, at, kind, reference, link, read_at FROM notifications WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(account_id)
    .bind(before)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(NotificationRow {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                kind: r.try_get("kind")?,
                reference: r.try_get("reference")?,
                link: r.try_get("link")?,
                read_at: r.try_get("read_at")?,
            })
        })
        .collect()
}

/// Unread notifications of the person, counted up to 100 (the header
/// shows "99+" beyond).
pub async fn unread(c: &mut AnyConnection, account_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE account_id = $1 AND read_at IS NULL LIMIT 100) u",
    )
    .bind(account_id)
    .fetch_one(&mut *c)
    .await?)
}

/// Marks every unread notification of the person as read.
pub async fn mark_read(c: &mut AnyConnection, account_id: i64, now: Millis) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE account_id = $2 AND read_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected())
}

/// Whether the person wants mail for `category` (yes unless they said no).
pub async fn mail_wanted(c: &mut AnyConnection, account_id: i64, category: &str) -> Result<bool> {
    let v: Option<i64> = sqlx::query_scalar(
        "SELECT mail FROM notification_preferences WHERE account_id = $1 AND category = $2",
    )
    .bind(account_id)
    .bind(category)
    .fetch_optional(&mut *c)
    .await?;
    Ok(v.is_none_or(|m| m != 0))
}

/// The categories the person switched mail off for.
pub async fn mail_off(c: &mut AnyConnection, account_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT category FROM notification_preferences WHERE account_id = $1 AND mail = 0 ORDER BY category",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await?)
}

pub async fn set_mail(
    c: &mut AnyConnection,
    account_id: i64,
    category: &str,
    mail: bool,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO notification_preferences (account_id, category, mail, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, category) DO UPDATE SET mail = excluded.mail, updated_at = excluded.updated_at",
    )
    .bind(account_id)
    .bind(category)
    .bind(i64::from(mail))
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}
