//! Agencies (national agency codes) as a tree, and the life events that
//! group procedures.
use motcua_domain::Millis;
use motcua_store::Result;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Agency {
    pub code: String,
    pub parent_code: Option<String>,
    /// `central`, `province` or `commune`.
    pub level: String,
    pub name: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    /// Opening hours, as the agency publishes them.
    pub hours: String,
}

const COLS: &str = "code, parent_code, level, name, address, phone, email, hours";

fn agency(r: &AnyRow) -> Result<Agency> {
    Ok(Agency {
        code: r.try_get("code")?,
        parent_code: r.try_get("parent_code")?,
        level: r.try_get("level")?,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        phone: r.try_get("phone")?,
        email: r.try_get("email")?,
        hours: r.try_get("hours")?,
    })
}

/// Creates or replaces the agency of `a.code`.
pub async fn upsert(
    c: &mut AnyConnection,
    a: &Agency,
    search_text: &str,
    now: Millis,
) -> Result<()> {
    let n = sqlx::query(
        "UPDATE catalog_agencies SET parent_code = $1, level = $2, name = $3, address = $4, phone = $5, email = $6, hours = $7, \
         search_text = $8, updated_at = $9 WHERE code = $10",
    )
    .bind(&a.parent_code)
    .bind(&a.level)
    .bind(&a.name)
    .bind(&a.address)
    .bind(&a.phone)
    .bind(&a.email)
    .bind(&a.hours)
    .bind(search_text)
    .bind(now)
    .bind(&a.code)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 0 {
        sqlx::query(
            "INSERT INTO catalog_agencies (code, parent_code, level, name, address, phone, email, hours, search_text, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(&a.code)
        .bind(&a.parent_code)
        .bind(&a.level)
        .bind(&a.name)
        .bind(&a.address)
        .bind(&a.phone)
        .bind(&a.email)
        .bind(&a.hours)
        .bind(search_text)
        .bind(now)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

pub async fn get(c: &mut AnyConnection, code: &str) -> Result<Option<Agency>> {
    let sql = format!("SELECT {COLS} FROM catalog_agencies WHERE code = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(agency).transpose()
}

/// The agencies under `parent` (the top level with `None`), matching every
/// folded word (none: all), by code.
pub async fn list(
    c: &mut AnyConnection,
    parent: Option<&str>,
    words: &[String],
    limit: i64,
) -> Result<Vec<Agency>> {
    let patterns: Vec<String> = words
        .iter()
        .map(|w| w.replace(['%', '_', '\\'], ""))
        .filter(|w| !w.is_empty())
        .map(|w| format!("% {w}%"))
        .collect();
    // With words, the whole tree is searched; `$1` is bound in every shape.
    let mut cond = vec![if !patterns.is_empty() {
        "$1 = $1".to_string()
    } else if parent.is_some() {
        "parent_code = $1".to_string()
    } else {
        "parent_code IS NULL AND $1 = $1".to_string()
    }];
    for i in 0..patterns.len() {
        cond.push(format!("search_text LIKE ${}", i + 2));
    }
    let sql = format!(
        "SELECT {COLS} FROM catalog_agencies WHERE {} ORDER BY code LIMIT {}",
        cond.join(" AND "),
        limit.clamp(1, 1000)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(parent.unwrap_or_default());
    for p in patterns {
        q = q.bind(p);
    }
    let rows = q.fetch_all(&mut *c).await?;
    rows.iter().map(agency).collect()
}

/// The codes of `codes` that name no agency.
pub async fn unknown(c: &mut AnyConnection, codes: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for code in codes {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM catalog_agencies WHERE code = $1")
            .bind(code)
            .fetch_one(&mut *c)
            .await?;
        if n == 0 {
            out.push(code.clone());
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LifeEvent {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub position: i64,
}

pub async fn upsert_life_event(c: &mut AnyConnection, e: &LifeEvent) -> Result<()> {
    let n = sqlx::query(
        "UPDATE catalog_life_events SET name = $1, name_en = $2, position = $3 WHERE code = $4",
    )
    .bind(&e.name)
    .bind(&e.name_en)
    .bind(e.position)
    .bind(&e.code)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 0 {
        sqlx::query("INSERT INTO catalog_life_events (code, name, name_en, position) VALUES ($1, $2, $3, $4)")
            .bind(&e.code)
            .bind(&e.name)
            .bind(&e.name_en)
            .bind(e.position)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

pub async fn life_events(c: &mut AnyConnection) -> Result<Vec<LifeEvent>> {
    let rows = sqlx::query(
        "SELECT code, name, name_en, position FROM catalog_life_events ORDER BY position, code",
    )
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LifeEvent {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                name_en: r.try_get("name_en")?,
                position: r.try_get("position")?,
            })
        })
        .collect()
}
