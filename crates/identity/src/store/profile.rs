//! What the portal holds about a holder and from where, consents to reuse
//! it, and the reuse log (migration 0007, R-ID-15).
use motcua_domain::{AccountId, Millis};
use motcua_store::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub attr: String,
    pub source: String,
    pub value: String,
    pub source_ref: String,
    pub recorded_at: Millis,
}

/// Records (or replaces) what `source` says of `attr`.
pub async fn record(c: &mut AnyConnection, account_id: AccountId, a: &Attribute) -> Result<()> {
    sqlx::query(
        "DELETE FROM profile_attributes WHERE account_id = $1 AND attr = $2 AND source = $3",
    )
    .bind(account_id)
    .bind(&a.attr)
    .bind(&a.source)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "INSERT INTO profile_attributes (account_id, attr, source, value, source_ref, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account_id)
    .bind(&a.attr)
    .bind(&a.source)
    .bind(&a.value)
    .bind(&a.source_ref)
    .bind(a.recorded_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn attributes_of(c: &mut AnyConnection, account_id: AccountId) -> Result<Vec<Attribute>> {
    let rows = sqlx::query(
        "SELECT attr, source, value, source_ref, recorded_at FROM profile_attributes WHERE account_id = $1 ORDER BY attr, source",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Attribute {
                attr: r.try_get("attr")?,
                source: r.try_get("source")?,
                value: r.try_get("value")?,
                source_ref: r.try_get("source_ref")?,
                recorded_at: r.try_get("recorded_at")?,
            })
        })
        .collect()
}

/// Attributes with an open consent.
pub async fn consented(c: &mut AnyConnection, account_id: AccountId) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT attr FROM reuse_consents WHERE account_id = $1 AND revoked_at IS NULL ORDER BY attr",
    )
    .bind(account_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("attr")?)).collect()
}

/// Grants or withdraws the consent for `attr`; returns whether it changed.
pub async fn set_consent(
    c: &mut AnyConnection,
    account_id: AccountId,
    attr: &str,
    allow: bool,
    now: Millis,
) -> Result<bool> {
    let open = consented(c, account_id).await?.iter().any(|a| a == attr);
    match (open, allow) {
        (false, true) => {
            sqlx::query(
                "INSERT INTO reuse_consents (account_id, attr, granted_at) VALUES ($1, $2, $3)",
            )
            .bind(account_id)
            .bind(attr)
            .bind(now)
            .execute(&mut *c)
            .await?;
            Ok(true)
        }
        (true, false) => {
            sqlx::query(
                "UPDATE reuse_consents SET revoked_at = $1 WHERE account_id = $2 AND attr = $3 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(account_id)
            .bind(attr)
            .execute(&mut *c)
            .await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reuse {
    pub attrs: String,
    pub service: String,
    pub request_id: String,
    pub at: Millis,
}

/// Appends one reuse to the log.
pub async fn log_reuse(c: &mut AnyConnection, account_id: AccountId, r: &Reuse) -> Result<()> {
    sqlx::query(
        "INSERT INTO data_reuse_log (account_id, attrs, service, request_id, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(account_id)
    .bind(&r.attrs)
    .bind(&r.service)
    .bind(&r.request_id)
    .bind(r.at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The newest reuses first.
pub async fn reuse_log(
    c: &mut AnyConnection,
    account_id: AccountId,
    limit: i64,
) -> Result<Vec<Reuse>> {
    let rows = sqlx::query(
        "SELECT attrs, service, request_id, at FROM data_reuse_log WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Reuse {
                attrs: r.try_get("attrs")?,
                service: r.try_get("service")?,
                request_id: r.try_get("request_id")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}
