//! `sso_grants`: what each person let each client have.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub account_id: i64,
    pub client_id: String,
    pub scope: String,
    pub granted_at: Millis,
    pub last_used_at: Millis,
    pub revoked_at: Option<Millis>,
}

const COLS: &str = "account_id, client_id, scope, granted_at, last_used_at, revoked_at";

fn grant(r: &AnyRow) -> Result<Grant> {
    Ok(Grant {
        account_id: r.try_get("account_id")?,
        client_id: r.try_get("client_id")?,
        scope: r.try_get("scope")?,
        granted_at: r.try_get("granted_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

pub async fn get(c: &mut AnyConnection, account_id: i64, client_id: &str) -> Result<Option<Grant>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM sso_grants WHERE account_id = $1 AND client_id = $2"
    )))
    .bind(account_id)
    .bind(client_id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(grant).transpose()
}

/// Grants (again) `scope` to the client: a revoked grant is given anew.
/// One statement: two first consents at once both succeed (the later
/// scope wins), neither fails on the unique key.
pub async fn put(
    c: &mut AnyConnection,
    account_id: i64,
    client_id: &str,
    scope: &str,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sso_grants (account_id, client_id, scope, granted_at, last_used_at, revoked_at) VALUES ($1, $2, $3, $4, $4, NULL) \
         ON CONFLICT (account_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at, \
         last_used_at = excluded.last_used_at, revoked_at = NULL",
    )
    .bind(account_id)
    .bind(client_id)
    .bind(scope)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn touch(
    c: &mut AnyConnection,
    account_id: i64,
    client_id: &str,
    now: Millis,
) -> Result<()> {
    sqlx::query("UPDATE sso_grants SET last_used_at = $1 WHERE account_id = $2 AND client_id = $3")
        .bind(now)
        .bind(account_id)
        .bind(client_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// A person's grants, the most recently used first.
pub async fn of_account(c: &mut AnyConnection, account_id: i64) -> Result<Vec<Grant>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM sso_grants WHERE account_id = $1 ORDER BY last_used_at DESC, client_id LIMIT 200"
    )))
    .bind(account_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(grant).collect()
}

/// Revokes the grant; whether it was live.
pub async fn revoke(
    c: &mut AnyConnection,
    account_id: i64,
    client_id: &str,
    now: Millis,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE sso_grants SET revoked_at = $1 WHERE account_id = $2 AND client_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(account_id)
    .bind(client_id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}
