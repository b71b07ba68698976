//! Guidance, questions and answers, announcements, and their versions.
use motcua_domain::Millis;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub kind: String,
    pub slug: String,
    pub state: String,
    pub version: i64,
    pub title: String,
    pub body: String,
    pub search_text: String,
    pub until_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

const COLS: &str =
    "id, kind, slug, state, version, title, body, search_text, until_at, created_at, updated_at";

fn item(r: &AnyRow) -> Result<Item> {
    Ok(Item {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        slug: r.try_get("slug")?,
        state: r.try_get("state")?,
        version: r.try_get("version")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        search_text: r.try_get("search_text")?,
        until_at: r.try_get("until_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn insert(c: &mut AnyConnection, i: &Item) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO content_items (kind, slug, state, version, title, body, search_text, until_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(&i.kind)
    .bind(&i.slug)
    .bind(&i.state)
    .bind(i.version)
    .bind(&i.title)
    .bind(&i.body)
    .bind(&i.search_text)
    .bind(i.until_at)
    .bind(i.created_at)
    .bind(i.updated_at)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("content slug"))
}

/// Writes the item back if its version is still `seen`; false when
/// someone else changed it meanwhile.
pub async fn update(c: &mut AnyConnection, i: &Item, seen: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE content_items SET state = $1, version = $2, title = $3, body = $4, search_text = $5, until_at = $6, updated_at = $7 \
         WHERE id = $8 AND version = $9",
    )
    .bind(&i.state)
    .bind(i.version)
    .bind(&i.title)
    .bind(&i.body)
    .bind(&i.search_text)
    .bind(i.until_at)
    .bind(i.updated_at)
    .bind(i.id)
    .bind(seen)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn by_slug(c: &mut AnyConnection, slug: &str) -> Result<Option<Item>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM content_items WHERE slug = $1"
    )))
    .bind(slug)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(item).transpose()
}

/// Items of `kinds` in `state` (any when empty) matching every folded
/// word, newest change first; announcements past their end left out at
/// `now`.
pub async fn list(
    c: &mut AnyConnection,
    kinds: &[&str],
    state: Option<&str>,
    words: &[String],
    now: Millis,
    limit: i64,
) -> Result<Vec<Item>> {
    let mut binds: Vec<String> = Vec::new();
    let mut cond = vec!["(until_at IS NULL OR until_at > $1)".to_string()];
    if !kinds.is_empty() {
        let mut ks = Vec::new();
        for k in kinds {
            binds.push(k.to_string());
            ks.push(format!("${}", binds.len() + 1));
        }
        cond.push(format!("kind IN ({})", ks.join(", ")));
    }
    if let Some(s) = state {
        binds.push(s.to_string());
        cond.push(format!("state = ${}", binds.len() + 1));
    }
    for w in words {
        let w = w.replace(['%', '_', '\\'], "");
        if w.is_empty() {
            continue;
        }
        binds.push(format!("%{w}%"));
        cond.push(format!("search_text LIKE ${}", binds.len() + 1));
    }
    let sql = format!(
        "SELECT {COLS} FROM content_items WHERE {} ORDER BY updated_at DESC, id DESC LIMIT {}",
        cond.join(" AND "),
        limit.clamp(1, 500)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&mut *c).await?;
    rows.iter().map(item).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub version: i64,
    pub title: String,
    pub body: String,
    pub note: String,
    pub created_by: String,
    pub created_at: Millis,
}

pub async fn add_version(c: &mut AnyConnection, item_id: i64, v: &Version) -> Result<()> {
    sqlx::query(
        "INSERT INTO content_versions (item_id, version, title, body, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(item_id)
    .bind(v.version)
    .bind(&v.title)
    .bind(&v.body)
    .bind(&v.note)
    .bind(&v.created_by)
    .bind(v.created_at)
    .execute(&mut *c)
    .await
    .map_err(conflict("content version"))?;
    Ok(())
}

/// An item's versions, newest first.
pub async fn versions(c: &mut AnyConnection, item_id: i64) -> Result<Vec<Version>> {
    let rows = sqlx::query(
        "SELECT version, title, body, note, created_by, created_at FROM content_versions WHERE item_id = $1 ORDER BY version DESC",
    )
    .bind(item_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                version: r.try_get("version")?,
                title: r.try_get("title")?,
                body: r.try_get("body")?,
                note: r.try_get("note")?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}
