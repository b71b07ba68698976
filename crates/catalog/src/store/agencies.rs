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
    sqlx::query(
        "INSERT INTO catalog_agencies (code, parent_code, level, name, address, phone, email, hours, search_text, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
         ON CONFLICT (code) DO UPDATE SET parent_code = $2, level = $3, name = $4, address = $5, phone = $6, email = $7, \
         hours = $8, search_text = $9, updated_at = $10",
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

/// Every agency, by code (the tree is rebuilt from `parent_code`).
pub async fn all(c: &mut AnyConnection) -> Result<Vec<Agency>> {
    let sql = format!("SELECT {COLS} FROM catalog_agencies ORDER BY code");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(agency).collect()
}

/// The codes of `codes` that name no agency (each once, in order): one
/// query per 500 distinct codes.
pub async fn unknown(c: &mut AnyConnection, codes: &[String]) -> Result<Vec<String>> {
    let mut wanted: Vec<&String> = Vec::new();
    for code in codes {
        if !wanted.contains(&code) {
            wanted.push(code);
        }
    }
    let mut known = std::collections::BTreeSet::new();
    for chunk in wanted.chunks(500) {
        let list = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT code FROM catalog_agencies WHERE code IN ({list})");
        let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for code in chunk {
            q = q.bind((*code).clone());
        }
        known.extend(q.fetch_all(&mut *c).await?);
    }
    Ok(wanted
        .into_iter()
        .filter(|c| !known.contains(*c))
        .cloned()
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LifeEvent {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub position: i64,
}

pub async fn upsert_life_event(c: &mut AnyConnection, e: &LifeEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO catalog_life_events (code, name, name_en, position) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (code) DO UPDATE SET name = $2, name_en = $3, position = $4",
    )
    .bind(&e.code)
    .bind(&e.name)
    .bind(&e.name_en)
    .bind(e.position)
    .execute(&mut *c)
    .await?;
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
