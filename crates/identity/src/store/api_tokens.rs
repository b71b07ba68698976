//! Personal API tokens (migration 0011): bearer tokens a holder makes for
//! their own software, with scopes, and the method and assurance level of
//! the login that made them. Only the SHA-256 of a token is stored.
use motcua_domain::{AccountId, ApiTokenId, Millis};
use motcua_store::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub account_id: AccountId,
    pub name: String,
    pub token_hash: String,
    /// Space-separated scope names.
    pub scopes: String,
    pub method: String,
    pub assurance_level: i64,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub last_used_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

impl ApiToken {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.split_whitespace().any(|s| s == scope)
    }
    pub fn usable_at(&self, now: Millis) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

const COLS: &str = "id, account_id, name, token_hash, scopes, method, assurance_level, \
                    created_at, expires_at, last_used_at, revoked_at";

fn row(r: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        name: r.try_get("name")?,
        token_hash: r.try_get("token_hash")?,
        scopes: r.try_get("scopes")?,
        method: r.try_get("method")?,
        assurance_level: r.try_get("assurance_level")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

/// Stores a new token (its `id` is ignored); returns the id.
pub async fn create(c: &mut AnyConnection, t: &ApiToken) -> Result<ApiTokenId> {
    let id: ApiTokenId = sqlx::query_scalar(
        "INSERT INTO api_tokens (account_id, name, token_hash, scopes, method, assurance_level, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(t.account_id)
    .bind(&t.name)
    .bind(&t.token_hash)
    .bind(&t.scopes)
    .bind(&t.method)
    .bind(t.assurance_level)
    .bind(t.created_at)
    .bind(t.expires_at)
    .fetch_one(&mut *c)
    .await?;
    Ok(id)
}

pub async fn by_hash(c: &mut AnyConnection, token_hash: &str) -> Result<Option<ApiToken>> {
    let sql = format!("SELECT {COLS} FROM api_tokens WHERE token_hash = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(token_hash)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(row).transpose()
}

/// An account's tokens, newest first.
pub async fn of_account(c: &mut AnyConnection, account_id: AccountId) -> Result<Vec<ApiToken>> {
    let sql = format!("SELECT {COLS} FROM api_tokens WHERE account_id = $1 ORDER BY id DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(account_id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(row).collect()
}

/// Revokes one of the account's tokens; false if there is none to revoke.
pub async fn revoke(
    c: &mut AnyConnection,
    account_id: AccountId,
    id: ApiTokenId,
    now: Millis,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(account_id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a use, at most once a minute per token.
pub async fn touch(c: &mut AnyConnection, id: ApiTokenId, now: Millis) -> Result<()> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 \
         AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(now)
    .bind(id)
    .bind(now - 60_000)
    .execute(&mut *c)
    .await?;
    Ok(())
}
