//! Procedures, one row per version; the published version of a code is
//! unique (`procedures_published`).
use motcua_domain::Millis;
use motcua_store::{conflict, Result};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One version of a procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub id: i64,
    pub code: String,
    pub version: i64,
    /// `draft`, `published` or `retired`.
    pub status: String,
    pub name: String,
    pub online_level: String,
    pub assurance: i64,
    /// The national record, JSON as received.
    pub record: String,
    pub created_by: String,
    pub created_at: Millis,
    pub published_at: Option<Millis>,
}

const COLS: &str = "id, code, version, status, name, online_level, assurance, record, created_by, created_at, published_at";

fn version(r: &AnyRow) -> Result<Version> {
    Ok(Version {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        version: r.try_get("version")?,
        status: r.try_get("status")?,
        name: r.try_get("name")?,
        online_level: r.try_get("online_level")?,
        assurance: r.try_get("assurance")?,
        record: r.try_get("record")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        published_at: r.try_get("published_at")?,
    })
}

/// A new version to store.
pub struct NewVersion<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub online_level: &'a str,
    pub assurance: i64,
    pub record: &'a str,
    /// The folded name with a space around every word.
    pub name_text: &'a str,
    /// The folded text search reads (name, code, description, fields,
    /// agencies), a space around every word.
    pub search_text: &'a str,
    pub created_by: &'a str,
    /// (facet, value) pairs: `field`, `agency`, `level`, `life_event`,
    /// `applicant`, `online_level`.
    pub facets: &'a [(&'static str, String)],
}

/// Stores `n` as the next version of its code, as a draft; its id and
/// version number.
pub async fn insert(c: &mut AnyConnection, n: &NewVersion<'_>, now: Millis) -> Result<(i64, i64)> {
    let next: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM procedures WHERE code = $1")
            .bind(n.code)
            .fetch_one(&mut *c)
            .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO procedures (code, version, status, name, online_level, assurance, record, name_text, search_text, created_by, created_at) \
         VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(n.code)
    .bind(next)
    .bind(n.name)
    .bind(n.online_level)
    .bind(n.assurance)
    .bind(n.record)
    .bind(n.name_text)
    .bind(n.search_text)
    .bind(n.created_by)
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("procedure version"))?;
    let mut seen = std::collections::BTreeSet::new();
    for (facet, value) in n.facets {
        if !seen.insert((*facet, value.as_str())) {
            continue;
        }
        sqlx::query(
            "INSERT INTO procedure_facets (procedure_id, facet, value) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(*facet)
        .bind(value)
        .execute(&mut *c)
        .await?;
    }
    Ok((id, next))
}

/// Publishes a draft: the version published before it is retired. False
/// when `version` is not a draft of `code`.
pub async fn publish(c: &mut AnyConnection, code: &str, version: i64, now: Millis) -> Result<bool> {
    // Every version of the code locked first (PostgreSQL; SQLite's write
    // transaction is exclusive already): two publications of one code
    // run one after the other, and the second sees the first's result.
    let lock = format!(
        "SELECT version, status FROM procedures WHERE code = $1{}",
        motcua_store::Backend::of(c).for_update()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(lock))
        .bind(code)
        .fetch_all(&mut *c)
        .await?;
    let mut draft = None;
    for r in &rows {
        if r.try_get::<i64, _>("version")? == version {
            draft = Some(r.try_get::<String, _>("status")?);
        }
    }
    if draft.as_deref() != Some("draft") {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE procedures SET status = 'retired' WHERE code = $1 AND status = 'published'",
    )
    .bind(code)
    .execute(&mut *c)
    .await?;
    let n = sqlx::query(
        "UPDATE procedures SET status = 'published', published_at = $1 WHERE code = $2 AND version = $3 AND status = 'draft'",
    )
    .bind(now)
    .bind(code)
    .bind(version)
    .execute(&mut *c)
    .await
    .map_err(conflict("published procedure"))?
    .rows_affected();
    Ok(n == 1)
}

/// The published version of `code`.
pub async fn published(c: &mut AnyConnection, code: &str) -> Result<Option<Version>> {
    let sql = format!("SELECT {COLS} FROM procedures WHERE code = $1 AND status = 'published'");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(version).transpose()
}

/// One version of `code`, whatever its status.
pub async fn get(c: &mut AnyConnection, code: &str, number: i64) -> Result<Option<Version>> {
    let sql = format!("SELECT {COLS} FROM procedures WHERE code = $1 AND version = $2");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .bind(number)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(version).transpose()
}

/// The newest version of `code`, whatever its status.
pub async fn latest(c: &mut AnyConnection, code: &str) -> Result<Option<Version>> {
    let sql =
        format!("SELECT {COLS} FROM procedures WHERE code = $1 ORDER BY version DESC LIMIT 1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(&mut *c)
        .await?;
    r.as_ref().map(version).transpose()
}

/// Every version of `code`, newest first.
pub async fn versions(c: &mut AnyConnection, code: &str) -> Result<Vec<Version>> {
    let sql = format!("SELECT {COLS} FROM procedures WHERE code = $1 ORDER BY version DESC");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(version).collect()
}

/// Every published version, by code (the export).
pub async fn all_published(c: &mut AnyConnection) -> Result<Vec<Version>> {
    let sql = format!("SELECT {COLS} FROM procedures WHERE status = 'published' ORDER BY code");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(version).collect()
}

/// A search of the published procedures.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// The folded words, each of which must occur.
    pub words: Vec<String>,
    /// (facet, value) filters, each of which must hold.
    pub filters: Vec<(&'static str, String)>,
    pub offset: i64,
    pub limit: i64,
}

/// The `LIKE` pattern of a folded word: a word of 3 characters or more
/// anywhere, a shorter one as a whole word (the texts have a space around
/// every word). LIKE's own wildcards are taken out of the word.
fn pattern(word: &str) -> Option<String> {
    let w: String = word
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect();
    if w.is_empty() {
        None
    } else if w.chars().count() < 3 {
        Some(format!("% {w} %"))
    } else {
        Some(format!("%{w}%"))
    }
}

/// Refreshes the planner's statistics of the catalog's tables (after a
/// large import: a plan made on a table's old figures can be a thousand
/// times slower).
pub async fn analyze(c: &mut AnyConnection) -> Result<()> {
    sqlx::query("ANALYZE procedures").execute(&mut *c).await?;
    sqlx::query("ANALYZE procedure_facets")
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// A page of the published procedures matching `s`, best first: the name
/// equal to the query, then the name starting with it, then every word in
/// the name, then the words elsewhere (description, code, fields,
/// agencies); ties by name. And the number of matches.
pub async fn search(c: &mut AnyConnection, s: &Search) -> Result<(Vec<Version>, i64)> {
    let mut binds: Vec<String> = Vec::new();
    let mut bind = |v: String| {
        binds.push(v);
        format!("${}", binds.len())
    };
    let patterns: Vec<String> = s.words.iter().filter_map(|w| pattern(w)).collect();
    let sqlite = motcua_store::Backend::of(c) == motcua_store::Backend::Sqlite;
    let mut cond = vec!["p.status = 'published'".to_string()];
    let mut in_name = Vec::new();
    let mut in_text = Vec::new();
    for p in &patterns {
        let n = bind(p.clone());
        in_text.push(format!("search_text LIKE {n}"));
        in_name.push(format!("p.name_text LIKE {n}"));
    }
    // Every word through the trigram index (migration 23): FTS5's table
    // on SQLite, pg_trgm's GIN on PostgreSQL.
    if !in_text.is_empty() {
        cond.push(if sqlite {
            format!(
                "p.id IN (SELECT rowid FROM procedures_search WHERE {})",
                in_text.join(" AND ")
            )
        } else {
            in_text
                .iter()
                .map(|t| format!("p.{t}"))
                .collect::<Vec<_>>()
                .join(" AND ")
        });
    }
    for (facet, value) in &s.filters {
        let f = bind((*facet).to_string());
        let v = bind(value.clone());
        cond.push(format!(
            "EXISTS (SELECT 1 FROM procedure_facets f WHERE f.procedure_id = p.id AND f.facet = {f} AND f.value = {v})"
        ));
    }
    let score = if patterns.is_empty() {
        "0".to_string()
    } else {
        let phrase: Vec<String> = s
            .words
            .iter()
            .map(|w| w.replace(['%', '_', '\\'], ""))
            .filter(|w| !w.is_empty())
            .collect();
        let exact = bind(format!(" {} ", phrase.join(" ")));
        let prefix = bind(format!(" {} %", phrase.join(" ")));
        format!(
            "(CASE WHEN p.name_text = {exact} THEN 8 WHEN p.name_text LIKE {prefix} THEN 4 ELSE 0 END \
             + CASE WHEN {} THEN 2 ELSE 0 END)",
            in_name.join(" AND ")
        )
    };
    let cond = cond.join(" AND ");
    // The page's ids first (the sort carries the id and the name, not the
    // records), then their rows. Unnamed statements: PostgreSQL plans
    // each with its words and filters (a cached statement's generic plan
    // took 1.9 s for two filters where the planned one takes 10 ms).
    let sql = format!(
        "SELECT p.id, {score} AS score FROM procedures p WHERE {cond} \
         ORDER BY score DESC, p.name, p.code LIMIT {limit} OFFSET {offset}",
        limit = s.limit.clamp(1, 100),
        offset = s.offset.clamp(0, 100_000),
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
    for b in &binds {
        q = q.bind(b.clone());
    }
    let ids: Vec<i64> = q
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("id"))
        .collect::<std::result::Result<_, _>>()?;
    let mut items = Vec::with_capacity(ids.len());
    if !ids.is_empty() {
        let list = (1..=ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT {COLS} FROM procedures WHERE id IN ({list})");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for id in &ids {
            q = q.bind(*id);
        }
        let mut rows = q
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(version)
            .collect::<Result<Vec<_>>>()?;
        for id in &ids {
            if let Some(i) = rows.iter().position(|r| r.id == *id) {
                items.push(rows.swap_remove(i));
            }
        }
    }
    let count_sql = format!("SELECT COUNT(*) FROM procedures p WHERE {cond}");
    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql)).persistent(false);
    // The count uses the words' and filters' binds only (the score's two
    // come last).
    let used = binds.len() - if patterns.is_empty() { 0 } else { 2 };
    for b in &binds[..used] {
        q = q.bind(b.clone());
    }
    let total = q.fetch_one(&mut *c).await?;
    Ok((items, total))
}

/// How many published procedures carry each value of `facet`.
pub async fn facet_counts(c: &mut AnyConnection, facet: &str) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT f.value, COUNT(*) AS n FROM procedure_facets f JOIN procedures p ON p.id = f.procedure_id \
         WHERE f.facet = $1 AND p.status = 'published' GROUP BY f.value ORDER BY f.value",
    )
    .bind(facet)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("value")?, r.try_get("n")?)))
        .collect()
}

/// Records the name of a field (the newest record's name wins).
pub async fn upsert_field(c: &mut AnyConnection, code: &str, name: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO catalog_fields (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET name = $2",
    )
    .bind(code)
    .bind(name)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Every field: code and name, by code.
pub async fn fields(c: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query("SELECT code, name FROM catalog_fields ORDER BY code")
        .fetch_all(&mut *c)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("code")?, r.try_get("name")?)))
        .collect()
}

/// The drafts, newest first (the console's list of what awaits
/// publication).
pub async fn drafts(c: &mut AnyConnection, limit: i64) -> Result<Vec<Version>> {
    let sql = format!(
        "SELECT {COLS} FROM procedures WHERE status = 'draft' ORDER BY id DESC LIMIT {}",
        limit.clamp(1, 1000)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(version).collect()
}

/// Per agency named by published procedures (implementing or competent):
/// how many, and how many are offered fully and partly online.
pub async fn online_by_agency(c: &mut AnyConnection) -> Result<Vec<(String, i64, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT a.value AS agency, CAST(COUNT(*) AS BIGINT) AS n, \
           CAST(SUM(CASE WHEN o.value = 'full' THEN 1 ELSE 0 END) AS BIGINT) AS full_online, \
           CAST(SUM(CASE WHEN o.value = 'partial' THEN 1 ELSE 0 END) AS BIGINT) AS partial_online \
         FROM procedure_facets a JOIN procedures p ON p.id = a.procedure_id \
         LEFT JOIN procedure_facets o ON o.procedure_id = a.procedure_id AND o.facet = 'online_level' \
         WHERE a.facet = 'agency' AND p.status = 'published' GROUP BY a.value",
    )
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("agency")?,
                r.try_get("n")?,
                r.try_get("full_online")?,
                r.try_get("partial_online")?,
            ))
        })
        .collect()
}
