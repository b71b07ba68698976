//! What the catalog's pages and API read: the published procedures
//! (search, one by code), a version for operators, agencies, life events.
use crate::record::Procedure;
pub use crate::store::agencies::Agency;
use crate::store::agencies::{self, LifeEvent};
use crate::store::procedures::{self, Search, Version};
use motcua_kernel::service::{Result, ServiceError};
use motcua_kernel::Core;

/// A version with its record read.
#[derive(Debug, Clone)]
pub struct Entry {
    pub version: i64,
    pub status: String,
    pub published_at: Option<motcua_domain::Millis>,
    pub record: Procedure,
}

fn entry(v: Version) -> Result<Entry> {
    let record = serde_json::from_str(&v.record)
        .map_err(|e| ServiceError::Internal(format!("procedure {} v{}: {e}", v.code, v.version)))?;
    Ok(Entry {
        version: v.version,
        status: v.status,
        published_at: v.published_at,
        record,
    })
}

/// The filters of a catalog search; each that is set must hold.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub field: Option<String>,
    pub agency: Option<String>,
    pub level: Option<String>,
    pub life_event: Option<String>,
    pub applicant: Option<String>,
    pub online_level: Option<String>,
}

/// Whether `s` may be a code or a filter's value: short, no control
/// characters. Anything else names nothing.
fn plausible(s: &str) -> bool {
    s.len() <= 80 && !s.chars().any(char::is_control)
}

/// The first `most` folded words of the first 200 characters of a query,
/// control characters left out (PostgreSQL's text takes no NUL).
fn words_of(query: &str, most: usize) -> Vec<String> {
    motcua_domain::text::search_words(query, most)
}

/// Results per page of a catalog search.
pub const PER_PAGE: i64 = 20;

/// A page (from 1) of the published procedures matching `query` (any
/// accents, any case, any order of words) and the filters, best first; and
/// how many match.
pub async fn search(
    core: &Core,
    query: &str,
    filters: &Filters,
    page: i64,
) -> Result<(Vec<Entry>, i64)> {
    let words = words_of(query, 12);
    let mut f = Vec::new();
    for (facet, value) in [
        ("field", &filters.field),
        ("agency", &filters.agency),
        ("level", &filters.level),
        ("life_event", &filters.life_event),
        ("applicant", &filters.applicant),
        ("online_level", &filters.online_level),
    ] {
        if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
            // A value no record can hold matches nothing (and is never
            // sent to the database: PostgreSQL's text takes no NUL).
            let v = if plausible(v) {
                v.clone()
            } else {
                String::new()
            };
            f.push((facet, v));
        }
    }
    let s = Search {
        words,
        filters: f,
        offset: (page.clamp(1, 500) - 1) * PER_PAGE,
        limit: PER_PAGE,
    };
    let mut c = core.store.conn().await?;
    let (rows, total) = procedures::search(&mut c, &s).await?;
    let items = rows.into_iter().map(entry).collect::<Result<Vec<_>>>()?;
    Ok((items, total))
}

/// The published version of `code`.
pub async fn procedure(core: &Core, code: &str) -> Result<Option<Entry>> {
    if !plausible(code) {
        return Ok(None);
    }
    let mut c = core.store.conn().await?;
    procedures::published(&mut c, code)
        .await?
        .map(entry)
        .transpose()
}

/// One version of `code`, whatever its status (operators; a dossier's
/// own version).
pub async fn version(core: &Core, code: &str, number: i64) -> Result<Option<Entry>> {
    if !plausible(code) {
        return Ok(None);
    }
    let mut c = core.store.conn().await?;
    procedures::get(&mut c, code, number)
        .await?
        .map(entry)
        .transpose()
}

/// Every version of `code`, newest first (operators).
pub async fn versions(core: &Core, code: &str) -> Result<Vec<Entry>> {
    let mut c = core.store.conn().await?;
    procedures::versions(&mut c, code)
        .await?
        .into_iter()
        .map(entry)
        .collect()
}

/// How many published procedures carry each value of `facet` (`field`,
/// `agency`, `level`, `life_event`, `applicant`, `online_level`).
pub async fn facet_counts(core: &Core, facet: &str) -> Result<Vec<(String, i64)>> {
    let mut c = core.store.conn().await?;
    Ok(procedures::facet_counts(&mut c, facet).await?)
}

/// Agencies under `parent` (the top with `None`), or matching `query` in
/// the whole tree.
pub async fn agencies(core: &Core, parent: Option<&str>, query: &str) -> Result<Vec<Agency>> {
    if parent.is_some_and(|p| !plausible(p)) {
        return Ok(Vec::new());
    }
    let words = words_of(query, 8);
    let mut c = core.store.conn().await?;
    Ok(agencies::list(&mut c, parent, &words, 500).await?)
}

/// Every agency, by code: the tree for roll-ups (statistics).
pub async fn all_agencies(core: &Core) -> Result<Vec<Agency>> {
    let mut c = core.store.conn().await?;
    Ok(agencies::all(&mut c).await?)
}

pub async fn agency(core: &Core, code: &str) -> Result<Option<Agency>> {
    if !plausible(code) {
        return Ok(None);
    }
    let mut c = core.store.conn().await?;
    Ok(agencies::get(&mut c, code).await?)
}

/// Whether agency `code` is `top` or under it in the agency tree (a
/// province's system acts for every ward of the province).
pub async fn within(core: &Core, top: &str, code: &str) -> Result<bool> {
    if top.is_empty() || !plausible(code) {
        return Ok(false);
    }
    let mut c = core.store.conn().await?;
    let mut at = code.to_string();
    for _ in 0..8 {
        if at == top {
            return Ok(true);
        }
        match agencies::get(&mut c, &at).await? {
            Some(a) => match a.parent_code {
                Some(p) if !p.is_empty() => at = p,
                _ => return Ok(false),
            },
            None => return Ok(false),
        }
    }
    Ok(false)
}

pub async fn life_events(core: &Core) -> Result<Vec<LifeEvent>> {
    let mut c = core.store.conn().await?;
    Ok(agencies::life_events(&mut c).await?)
}

/// Every field's name by its code.
pub async fn field_names(core: &Core) -> Result<std::collections::BTreeMap<String, String>> {
    let mut c = core.store.conn().await?;
    Ok(procedures::fields(&mut c).await?.into_iter().collect())
}

/// The drafts awaiting publication, newest first (operators).
pub async fn drafts(core: &Core) -> Result<Vec<(String, motcua_domain::Millis, Entry)>> {
    let mut c = core.store.conn().await?;
    procedures::drafts(&mut c, 200)
        .await?
        .into_iter()
        .map(|v| Ok((v.created_by.clone(), v.created_at, entry(v)?)))
        .collect()
}

/// Every version of `code` with who made it and when, newest first
/// (operators).
pub async fn history(core: &Core, code: &str) -> Result<Vec<VersionInfo>> {
    if !plausible(code) {
        return Ok(Vec::new());
    }
    let mut c = core.store.conn().await?;
    Ok(procedures::versions(&mut c, code)
        .await?
        .into_iter()
        .map(|v| VersionInfo {
            version: v.version,
            status: v.status,
            created_by: v.created_by,
            created_at: v.created_at,
            published_at: v.published_at,
            record: v.record,
        })
        .collect())
}

/// One version as the console lists it; `record` the JSON as stored.
#[derive(Debug, Clone)]
pub struct VersionInfo {
    pub version: i64,
    pub status: String,
    pub created_by: String,
    pub created_at: motcua_domain::Millis,
    pub published_at: Option<motcua_domain::Millis>,
    pub record: String,
}

/// Per agency named by published procedures: (agency, procedures, fully
/// online, partly online) — the online-service table and the index.
pub async fn online_by_agency(core: &Core) -> Result<Vec<(String, i64, i64, i64)>> {
    let mut c = core.store.conn().await?;
    Ok(procedures::online_by_agency(&mut c).await?)
}

pub use crate::store::officials::Official;

/// The officials agency `code` publishes, in their order.
pub async fn officials(core: &Core, code: &str) -> Result<Vec<Official>> {
    if !plausible(code) {
        return Ok(Vec::new());
    }
    let mut c = core.store.conn().await?;
    Ok(crate::store::officials::of_agency(&mut c, code).await?)
}
