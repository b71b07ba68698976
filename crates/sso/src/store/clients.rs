//! `sso_clients`: the registered clients.
use motcua_domain::Millis;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    /// portal | system
    pub kind: String,
    pub agency_code: String,
    #[serde(skip)]
    pub secret_hash: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_uris: Vec<String>,
    /// Where back-channel logout tokens go (empty: none).
    pub backchannel_logout_uri: String,
    /// `client_secret` or `private_key_jwt`.
    pub auth_method: String,
    /// The client's public keys (a JWKS), for `private_key_jwt`.
    pub jwks: String,
    pub scopes: Vec<String>,
    pub max_level: i64,
    /// active | disabled
    pub status: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

const COLS: &str = "client_id, name, kind, agency_code, secret_hash, redirect_uris, post_logout_uris, backchannel_logout_uri, auth_method, jwks, scopes, max_level, status, created_at, updated_at";

fn list(r: &AnyRow, col: &str) -> Result<Vec<String>> {
    let s: String = r.try_get(col)?;
    Ok(serde_json::from_str(&s).unwrap_or_default())
}

fn client(r: &AnyRow) -> Result<Client> {
    Ok(Client {
        client_id: r.try_get("client_id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        agency_code: r.try_get("agency_code")?,
        secret_hash: r.try_get("secret_hash")?,
        redirect_uris: list(r, "redirect_uris")?,
        post_logout_uris: list(r, "post_logout_uris")?,
        backchannel_logout_uri: r.try_get("backchannel_logout_uri")?,
        auth_method: r.try_get("auth_method")?,
        jwks: r.try_get("jwks")?,
        scopes: list(r, "scopes")?,
        max_level: r.try_get("max_level")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

pub async fn insert(c: &mut AnyConnection, k: &Client) -> Result<()> {
    sqlx::query(
        "INSERT INTO sso_clients (client_id, name, kind, agency_code, secret_hash, redirect_uris, post_logout_uris, scopes, max_level, status, created_at, updated_at, backchannel_logout_uri, auth_method, jwks) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&k.client_id)
    .bind(&k.name)
    .bind(&k.kind)
    .bind(&k.agency_code)
    .bind(&k.secret_hash)
    .bind(json(&k.redirect_uris))
    .bind(json(&k.post_logout_uris))
    .bind(json(&k.scopes))
    .bind(k.max_level)
    .bind(&k.status)
    .bind(k.created_at)
    .bind(k.updated_at)
    .bind(&k.backchannel_logout_uri)
    .bind(&k.auth_method)
    .bind(&k.jwks)
    .execute(&mut *c)
    .await
    .map_err(conflict("client id"))?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, client_id: &str) -> Result<Option<Client>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM sso_clients WHERE client_id = $1"
    )))
    .bind(client_id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(client).transpose()
}

pub async fn all(c: &mut AnyConnection) -> Result<Vec<Client>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM sso_clients ORDER BY name, client_id LIMIT 1000"
    )))
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(client).collect()
}

/// Sets the status, and the secret when given; whether the client exists.
pub async fn update(
    c: &mut AnyConnection,
    client_id: &str,
    status: &str,
    secret_hash: Option<&str>,
    now: Millis,
) -> Result<bool> {
    let n = match secret_hash {
        Some(h) => sqlx::query(
            "UPDATE sso_clients SET status = $1, secret_hash = $2, updated_at = $3 WHERE client_id = $4",
        )
        .bind(status)
        .bind(h)
        .bind(now)
        .bind(client_id)
        .execute(&mut *c)
        .await?,
        None => sqlx::query("UPDATE sso_clients SET status = $1, updated_at = $2 WHERE client_id = $3")
            .bind(status)
            .bind(now)
            .bind(client_id)
            .execute(&mut *c)
            .await?,
    };
    Ok(n.rows_affected() == 1)
}
