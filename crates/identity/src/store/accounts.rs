//! Accounts, their roles and password credentials.
use motcua_domain::account::AccountStatus;
use motcua_domain::text::fold;
use motcua_domain::{AccountId, Millis, Role};
use motcua_store::{conflict, like_escape, Backend, Result, StoreError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_code: Option<String>,
    pub personal_id: Option<String>,
    pub status: AccountStatus,
    pub lock_reason: Option<String>,
    pub locale: String,
    pub created_at: Millis,
    pub roles: Vec<Role>,
}

impl Account {
    pub fn has_role(&self, r: Role) -> bool {
        self.roles.contains(&r)
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_code: Option<String>,
    pub personal_id: Option<String>,
    pub locale: String,
    pub roles: Vec<Role>,
}

const COLS: &str = "id, username, full_name, email, phone, tax_code, personal_id, status, lock_reason, locale, created_at";

fn from_row(r: &AnyRow) -> Result<Account> {
    Ok(Account {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        full_name: r.try_get("full_name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        tax_code: r.try_get("tax_code")?,
        personal_id: r.try_get("personal_id")?,
        status: AccountStatus::parse(&r.try_get::<String, _>("status")?),
        lock_reason: r.try_get("lock_reason")?,
        locale: r.try_get("locale")?,
        created_at: r.try_get("created_at")?,
        roles: Vec::new(),
    })
}

fn search_text(a: &NewAccount) -> String {
    let parts = [
        Some(a.username.as_str()),
        Some(a.full_name.as_str()),
        a.email.as_deref(),
        a.phone.as_deref(),
        a.tax_code.as_deref(),
        a.personal_id.as_deref(),
    ];
    // A space before and after: every word, the first and the last too,
    // is then between spaces, as the whole-word patterns expect.
    format!(
        " {} ",
        fold(&parts.into_iter().flatten().collect::<Vec<_>>().join(" | "))
    )
}

async fn load_roles(c: &mut AnyConnection, a: &mut Account) -> Result<()> {
    load_roles_of(c, std::slice::from_mut(a)).await
}

/// Creates an account. The username is stored trimmed and lower-cased,
/// the form [`by_username`] looks up, so that lookups are case-insensitive
/// and "An" and "an" cannot both exist.
pub async fn create(c: &mut AnyConnection, a: &NewAccount, now: Millis) -> Result<AccountId> {
    let username = a.username.trim().to_lowercase();
    let id: AccountId = sqlx::query_scalar(
        "INSERT INTO accounts (username, full_name, email, phone, tax_code, personal_id, status, locale, search_text, created_at, updated_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $9, $9) RETURNING id",
    )
    .bind(&username)
    .bind(&a.full_name)
    .bind(a.email.clone())
    .bind(a.phone.clone())
    .bind(a.tax_code.clone())
    .bind(a.personal_id.clone())
    .bind(&a.locale)
    .bind(search_text(a))
    .bind(now)
    .fetch_one(&mut *c)
    .await
    .map_err(conflict("username"))?;
    sqlx::query("INSERT INTO account_last_use (account_id, last_used_at) VALUES ($1, $2)")
        .bind(id)
        .bind(now)
        .execute(&mut *c)
        .await?;
    for role in &a.roles {
        sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
            .bind(id)
            .bind(role.as_str())
            .execute(&mut *c)
            .await?;
    }
    Ok(id)
}

pub async fn get(c: &mut AnyConnection, id: AccountId) -> Result<Option<Account>> {
    let sql = format!("SELECT {COLS} FROM accounts WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    finish(c, row).await
}

pub async fn by_username(c: &mut AnyConnection, username: &str) -> Result<Option<Account>> {
    let sql = format!("SELECT {COLS} FROM accounts WHERE username = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(username.trim().to_lowercase())
        .fetch_optional(&mut *c)
        .await?;
    finish(c, row).await
}

/// The ids of the accounts with these usernames (absent ones left out), in
/// one query per 100 names: the console names many throttled keys at once.
pub async fn ids_by_usernames(
    c: &mut AnyConnection,
    names: &[&str],
) -> Result<std::collections::HashMap<String, AccountId>> {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let pairs = ids_and_usernames_where(c, "username", &names).await?;
    Ok(pairs.into_iter().map(|(id, name)| (name, id)).collect())
}

/// `(id, username)` of the accounts whose `column` is one of `values`, one
/// query per 100 values.
async fn ids_and_usernames_where<T>(
    c: &mut AnyConnection,
    column: &'static str,
    values: &[T],
) -> Result<Vec<(AccountId, String)>>
where
    T: Clone + Send + sqlx::Type<sqlx::Any> + for<'q> sqlx::Encode<'q, sqlx::Any> + 'static,
{
    let mut out = Vec::new();
    for chunk in values.chunks(100) {
        let sql = format!(
            "SELECT id, username FROM accounts WHERE {column} IN ({})",
            motcua_store::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in chunk {
            q = q.bind(v.clone());
        }
        for r in q.fetch_all(&mut *c).await? {
            out.push((r.try_get("id")?, r.try_get("username")?));
        }
    }
    Ok(out)
}

/// The account with this tax code, if any (tax codes are one per holder).
pub async fn by_tax_code(c: &mut AnyConnection, tax_code: &str) -> Result<Option<Account>> {
    first_where(c, "tax_code", tax_code.trim()).await
}

/// The account with this personal identification number, if any.
pub async fn by_personal_id(c: &mut AnyConnection, personal_id: &str) -> Result<Option<Account>> {
    first_where(c, "personal_id", personal_id.trim()).await
}

/// The oldest account whose `column` (an indexed identifier) is `value`.
async fn first_where(
    c: &mut AnyConnection,
    column: &'static str,
    value: &str,
) -> Result<Option<Account>> {
    let sql = format!("SELECT {COLS} FROM accounts WHERE {column} = $1 ORDER BY id LIMIT 1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value.to_string())
        .fetch_optional(&mut *c)
        .await?;
    finish(c, row).await
}

/// The accounts among `ids` that exist (with their roles), in one query
/// per 100 ids.
pub async fn get_many(c: &mut AnyConnection, ids: &[AccountId]) -> Result<Vec<Account>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(100) {
        let sql = format!(
            "SELECT {COLS} FROM accounts WHERE id IN ({})",
            motcua_store::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await? {
            out.push(from_row(&r)?);
        }
    }
    load_roles_of(c, &mut out).await?;
    Ok(out)
}

pub async fn by_email(c: &mut AnyConnection, email: &str) -> Result<Vec<Account>> {
    let sql = format!("SELECT {COLS} FROM accounts WHERE lower(email) = lower($1) ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(email.trim())
        .fetch_all(&mut *c)
        .await?;
    let mut out = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    load_roles_of(c, &mut out).await?;
    Ok(out)
}

async fn finish(c: &mut AnyConnection, row: Option<AnyRow>) -> Result<Option<Account>> {
    match row {
        None => Ok(None),
        Some(r) => {
            let mut a = from_row(&r)?;
            load_roles(c, &mut a).await?;
            Ok(Some(a))
        }
    }
}

/// How many accounts matched, as far as it was worth counting: an exact
/// figure up to [`COUNT_CAP`], beyond that only "more than" (issue #7: a
/// broad match is never counted in full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(i64),
    MoreThan(i64),
    /// At least this many: among a full window of candidates
    /// ([`CANDIDATE_WINDOW`]), or what the page showed when counting ran
    /// out of time; more may follow.
    AtLeast(i64),
    /// About this many: the matches among the newest [`COUNT_SAMPLE`]
    /// accounts, in proportion to all of them.
    About(i64),
}

/// The most matches a search counts exactly.
pub const COUNT_CAP: i64 = 1000;

/// Words the trigram index cannot serve (shorter than 3 characters, or,
/// on SQLite, holding `%`, `_` or `\`) filter at most this many
/// candidates per page: the newest matches of the indexed words before the
/// cursor, or the newest accounts when no word is indexed. A rare filter
/// thus costs a bounded scan; the page says where it stopped
/// ([`Page::window`]) and its cursor continues past it.
pub const CANDIDATE_WINDOW: i64 = 10_000;

/// One page of a search, newest accounts first.
#[derive(Debug)]
pub struct Page {
    pub items: Vec<Account>,
    pub total: Total,
    /// The cursor of the next page (`after` = the last id shown), if any.
    pub next: Option<AccountId>,
    /// Whether the page stopped at the edge of a full candidate window
    /// ([`CANDIDATE_WINDOW`]) before filling up: `next` then continues the
    /// search past the window.
    pub window: bool,
}

/// The folded words of a query (none: every account).
fn words(query: &str) -> Vec<String> {
    fold(query)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The accounts whose own identifier column equals `query` exactly:
/// username, email (case-insensitive), personal ID, tax code or phone —
/// each through its index.
async fn by_identifier(c: &mut AnyConnection, query: &str) -> Result<Vec<Account>> {
    let q = query.trim();
    if q.is_empty() || q.contains(char::is_whitespace) {
        return Ok(Vec::new());
    }
    let sql = if q.contains('@') {
        format!(
            "SELECT {COLS} FROM accounts WHERE lower(email) = lower($1) ORDER BY id DESC LIMIT 50"
        )
    } else if q
        .chars()
        .all(|ch| ch.is_ascii_digit() || ch == '-' || ch == '+')
    {
        format!(
            "SELECT {COLS} FROM accounts WHERE personal_id = $1 \
             UNION SELECT {COLS} FROM accounts WHERE tax_code = $1 \
             UNION SELECT {COLS} FROM accounts WHERE phone = $1 \
             UNION SELECT {COLS} FROM accounts WHERE username = lower($1) ORDER BY id DESC LIMIT 50"
        )
    } else {
        format!("SELECT {COLS} FROM accounts WHERE username = lower($1)")
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(q)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Diacritic-insensitive search over username, name, email, phone, tax
/// code and personal ID ("dang ky" finds "Đăng ký"); every word of the
/// query must occur — a word of 3 characters or more anywhere (a part of a
/// name: "nguy"), a shorter word of letters or digits as a whole word
/// ("an" is the name An, not a part of "van"). An exact identifier (username, email, personal ID,
/// tax code, phone) is looked up on its own index first. Newest first,
/// `limit` a page, continued after the cursor `after` (keyset paging: a
/// page stays the same while accounts are added).
pub async fn search(
    c: &mut AnyConnection,
    query: &str,
    after: Option<AccountId>,
    limit: i64,
) -> Result<Page> {
    let bounds = Bounds::for_backend(Backend::of(c));
    search_within(c, query, after, limit, bounds).await
}

/// How much one search may look at: the candidate window of filters the
/// index cannot serve, and the newest accounts a count looks at.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub window: i64,
    pub sample: i64,
    /// PostgreSQL: how long the planner's plan of a page may run before
    /// the trigram index's bitmap reads it instead; 0 or less reads it so
    /// at once (tests of that path).
    pub page_budget_ms: i64,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            window: CANDIDATE_WINDOW,
            sample: COUNT_SAMPLE,
            page_budget_ms: PAGE_BUDGET_MS,
        }
    }
}

impl Bounds {
    /// What the console uses. PostgreSQL counts a smaller sample: its
    /// count reads the newest rows through the primary key and tests each
    /// (about 1 µs a row at 10 M accounts), while SQLite's trigram index
    /// enumerates only the sample's matches.
    pub fn for_backend(b: Backend) -> Bounds {
        match b {
            Backend::Sqlite => Bounds::default(),
            Backend::Postgres => Bounds {
                sample: COUNT_SAMPLE_POSTGRES,
                ..Bounds::default()
            },
        }
    }
}

/// [`search`] with its bounds as a parameter (tests use small ones).
pub async fn search_within(
    c: &mut AnyConnection,
    query: &str,
    after: Option<AccountId>,
    limit: i64,
    bounds: Bounds,
) -> Result<Page> {
    let limit = limit.clamp(1, 200);
    let window = bounds.window.max(1);
    if after.is_none() {
        let exact = by_identifier(c, query).await?;
        if !exact.is_empty() {
            let mut items = exact;
            load_roles_of(c, &mut items).await?;
            let total = Total::Exact(items.len() as i64);
            return Ok(Page {
                items,
                total,
                next: None,
                window: false,
            });
        }
    }
    let before = after.map_or(i64::MAX, AccountId::get);
    let sqlite = Backend::of(c) == Backend::Sqlite;
    let mut q = Words::new(sqlite, &words(query));
    q.page_budget_ms = bounds.page_budget_ms;
    if q.filters.is_empty() {
        q.page_by_index(c, before, limit, bounds.sample.max(1))
            .await
    } else {
        q.page_in_window(c, before, limit, window).await
    }
}

/// How one word of a query is matched, and whether the trigram index can
/// serve it.
fn condition(word: &str, sqlite: bool) -> (String, bool) {
    let short = word.chars().count() < 3;
    if short && word.chars().all(char::is_alphanumeric) {
        // A short word is a whole word: "an" is the name An, not every
        // "van" and "tam". The stored text has a space before and after
        // every word, so " an " is a pattern of 3 characters or more,
        // which both trigram indexes serve.
        (format!("% {word} %"), true)
    } else {
        // Anywhere in the text. FTS5 takes no ESCAPE clause, so on SQLite
        // a word holding `%`, `_` or `\` cannot use the index.
        let special = word.contains(['%', '_', '\\']);
        (
            format!("%{}%", like_escape(word)),
            !(short || (sqlite && special)),
        )
    }
}

/// The SQL of one search: the conditions the index answers, the filters
/// on its candidates, and their bound values (`$1` is the cursor).
struct Words {
    sqlite: bool,
    /// The bind numbers (`$2…`) of the words the index serves.
    indexed: Vec<usize>,
    /// Then the filters' conditions, on the window's `w.st`.
    filters: Vec<String>,
    binds: Vec<String>,
    /// See [`Bounds::page_budget_ms`].
    page_budget_ms: i64,
}

type AnyQuery = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>;

/// A count looks at the matches among this many newest accounts (by id).
pub const COUNT_SAMPLE: i64 = 100_000;
/// The same on PostgreSQL (see [`Bounds::for_backend`]).
pub const COUNT_SAMPLE_POSTGRES: i64 = 20_000;

/// Time a count may take on PostgreSQL before the page says "at least"
/// instead: a broad conjunction of common words ("nguyen van an") can be
/// dense enough for the page and still costly to count to the cap.
const COUNT_BUDGET_MS: i64 = 150;

/// Time the planner's own plan of a page may take on PostgreSQL before
/// the page is read through the trigram index's bitmap instead (see
/// `Words::fetch`). The slowest page measured at 10 M on its first try
/// took 39 ms ("le an").
const PAGE_BUDGET_MS: i64 = 60;

impl Words {
    fn new(sqlite: bool, words: &[String]) -> Words {
        type Conds = Vec<(String, bool)>;
        let (by_index, others): (Conds, Conds) = words
            .iter()
            .map(|w| condition(w, sqlite))
            .partition(|(_, i)| *i);
        // PostgreSQL's LIKE escapes with a backslash by default.
        let escape = if sqlite { " ESCAPE '\\'" } else { "" };
        let mut binds = Vec::new();
        let mut indexed = Vec::new();
        for (pattern, _) in by_index {
            binds.push(pattern);
            indexed.push(binds.len() + 1);
        }
        let mut filters = Vec::new();
        for (pattern, _) in others {
            binds.push(pattern);
            filters.push(format!("w.st LIKE ${}{escape}", binds.len() + 1));
        }
        Words {
            sqlite,
            indexed,
            filters,
            binds,
            page_budget_ms: PAGE_BUDGET_MS,
        }
    }

    /// The indexed words' conditions on `col`.
    fn tests_on(&self, col: &str) -> Vec<String> {
        self.indexed
            .iter()
            .map(|n| format!("{col} LIKE ${n}"))
            .collect()
    }

    /// Rows and their order key: on SQLite with an indexed word, the
    /// trigram table joined to the accounts by its rowid.
    fn source(&self) -> (&'static str, &'static str) {
        if self.sqlite && !self.indexed.is_empty() {
            (
                "accounts_search s JOIN accounts a ON a.id = s.rowid",
                "s.rowid",
            )
        } else {
            ("accounts a", "a.id")
        }
    }

    /// The candidates before the cursor: the order key below `$1` and
    /// every indexed word.
    fn cond(&self) -> String {
        // With an indexed word on SQLite, the candidates come from the
        // trigram table, keyed by its rowid (the index returns it sorted).
        let (_, key) = self.source();
        let col = if key == "s.rowid" {
            "s.search_text"
        } else {
            "a.search_text"
        };
        let mut c = vec![format!("{key} < $1")];
        c.extend(self.tests_on(col));
        c.join(" AND ")
    }

    /// `sql` with the cursor and the words bound. Not a cached prepared
    /// statement: PostgreSQL would switch such a statement to a generic
    /// plan after five runs, one that cannot see the pattern and so cannot
    /// choose between the trigram index (a rare word) and the primary key
    /// (a common one). Unnamed, it is planned with the values every time.
    fn query(&self, sql: String, cursor: i64) -> AnyQuery {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .persistent(false)
            .bind(cursor);
        for b in &self.binds {
            q = q.bind(b.clone());
        }
        q
    }

    /// The rows of `sql` with the cursor and the words bound. On
    /// PostgreSQL with an indexed word, the planner's plan runs first
    /// within its budget ([`PAGE_BUDGET_MS`]): for words that are each common it walks
    /// the primary key newest first and stops at the page, which is fast
    /// when they often occur together and reads the whole table when they
    /// rarely do (the planner takes them for independent: "van lan" — a
    /// man's middle name and a woman's given name — took 4.0 s at 10 M).
    /// Past the budget the same query runs again through the trigram
    /// index's bitmap, whose cost follows the words' index entries, not
    /// the table.
    async fn fetch(&self, c: &mut AnyConnection, sql: String, cursor: i64) -> Result<Vec<AnyRow>> {
        if self.sqlite || self.indexed.is_empty() {
            return Ok(self.query(sql, cursor).fetch_all(&mut *c).await?);
        }
        if self.page_budget_ms > 0 {
            let mut tx = sqlx::Connection::begin(&mut *c).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SET LOCAL statement_timeout = {}",
                self.page_budget_ms
            )))
            .execute(&mut *tx)
            .await?;
            match self.query(sql.clone(), cursor).fetch_all(&mut *tx).await {
                Ok(rows) => {
                    // Read only: rolled back, so that the SET LOCAL ends
                    // here even inside a caller's transaction.
                    tx.rollback().await?;
                    return Ok(rows);
                }
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("57014") => {
                    tx.rollback().await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let mut tx = sqlx::Connection::begin(&mut *c).await?;
        // No index scan (the primary key's walk) and no table scan: the
        // bitmap of the trigram index; memory enough for an exact bitmap.
        for set in [
            "SET LOCAL enable_indexscan = off",
            "SET LOCAL enable_seqscan = off",
            "SET LOCAL work_mem = '64MB'",
        ] {
            sqlx::query(set).execute(&mut *tx).await?;
        }
        let rows = self.query(sql, cursor).fetch_all(&mut *tx).await?;
        tx.rollback().await?;
        Ok(rows)
    }

    /// Every word through the index (or no word at all): the index walks
    /// the matches newest first and stops at the page; the total is
    /// counted up to the cap.
    async fn page_by_index(
        &self,
        c: &mut AnyConnection,
        before: i64,
        limit: i64,
        sample: i64,
    ) -> Result<Page> {
        let (from, key) = self.source();
        let cond = self.cond();
        let sql = format!(
            "SELECT {acols} FROM {from} WHERE {cond} ORDER BY {key} DESC LIMIT {n}",
            acols = cols_of("a"),
            n = limit + 1
        );
        let rows = self.fetch(c, sql, before).await?;
        let (items, next) = page_of(c, &rows, limit).await?;
        // The total: counted up to the cap, from the start (not the
        // cursor). A first page that is the whole answer is its own count.
        let total = if before == i64::MAX && next.is_none() {
            Total::Exact(items.len() as i64)
        } else {
            // Counted among the newest `sample` accounts only, up to
            // the cap: the cost does not grow with the table. Beyond the
            // sample the figure is an estimate in proportion.
            let src = if key == "s.rowid" {
                "accounts_search s"
            } else {
                from
            };
            let newest: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM accounts")
                .fetch_one(&mut *c)
                .await?;
            let floor = newest - sample;
            let sql = if self.sqlite {
                format!(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM {src} WHERE {cond} AND {key} > {floor} LIMIT {cap}) t",
                    cap = COUNT_CAP + 1
                )
            } else {
                // The sample is read through the primary key and tested
                // row by row: left to itself, the planner would AND the
                // trigram index's matches over the whole table (hundreds
                // of thousands of entries for common words) with the range.
                let tests = self.tests_on("w.search_text");
                let tests = if tests.is_empty() {
                    "1 = 1".to_string()
                } else {
                    tests.join(" AND ")
                };
                format!(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM (SELECT a.search_text FROM accounts a \
                     WHERE a.id < $1 AND a.id > {floor} ORDER BY a.id DESC LIMIT {sample}) w \
                     WHERE {tests} LIMIT {cap}) t",
                    cap = COUNT_CAP + 1
                )
            };
            let shown = items.len() as i64 + i64::from(next.is_some());
            match self.count(c, sql).await? {
                Some(n) if n > COUNT_CAP => Total::MoreThan(COUNT_CAP),
                Some(n) if floor <= 0 => Total::Exact(n),
                Some(n) if n > 0 => Total::About((n * newest / sample).max(shown)),
                _ => Total::AtLeast(shown),
            }
        };
        Ok(Page {
            items,
            total,
            next,
            window: false,
        })
    }

    /// Runs a count; on PostgreSQL within [`COUNT_BUDGET_MS`] (`None` when
    /// it ran out: the caller shows what it knows).
    async fn count(&self, c: &mut AnyConnection, sql: String) -> Result<Option<i64>> {
        if self.sqlite {
            let n: i64 = self
                .query(sql, i64::MAX)
                .fetch_one(&mut *c)
                .await?
                .try_get(0)?;
            return Ok(Some(n));
        }
        let mut tx = sqlx::Connection::begin(&mut *c).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SET LOCAL statement_timeout = {COUNT_BUDGET_MS}"
        )))
        .execute(&mut *tx)
        .await?;
        match self.query(sql, i64::MAX).fetch_one(&mut *tx).await {
            Ok(r) => {
                let n: i64 = r.try_get(0)?;
                tx.rollback().await?;
                Ok(Some(n))
            }
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("57014") => {
                tx.rollback().await?;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Words the index cannot serve filter a bounded window of candidates:
    /// the `window` newest matches of the indexed words before the cursor
    /// (or the newest accounts, when no word is indexed). However rare the
    /// filter, a page examines at most `window` candidates; when the
    /// window fills before the page does, the page ends there and its
    /// cursor continues past it.
    async fn page_in_window(
        &self,
        c: &mut AnyConnection,
        before: i64,
        limit: i64,
        window: i64,
    ) -> Result<Page> {
        let (from, key) = self.source();
        let cond = self.cond();
        // The window carries the columns the page shows and the text the
        // filters test: no second look-up of the accounts.
        let candidates = format!(
            "SELECT {acols}, a.search_text AS st FROM {from} WHERE {cond} \
             ORDER BY {key} DESC LIMIT {window}",
            acols = cols_of("a")
        );
        let filters = self.filters.join(" AND ");
        let cols = cols_of("w");
        let sql = format!(
            "SELECT {cols} FROM ({candidates}) w WHERE {filters} ORDER BY w.id DESC LIMIT {n}",
            n = limit + 1
        );
        let rows = self.fetch(c, sql, before).await?;
        let (items, next) = page_of(c, &rows, limit).await?;
        // How far the window went, and how many of it matched.
        let stats = format!(
            "SELECT COUNT(*), COALESCE(MIN(w.id), 0), \
             COALESCE(SUM(CASE WHEN {filters} THEN 1 ELSE 0 END), 0) FROM ({candidates}) w"
        );
        let read = |rows: Vec<AnyRow>| -> Result<(i64, i64, i64)> {
            let r = rows.first().ok_or(motcua_store::StoreError::NotFound)?;
            Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
        };
        let from_start = read(self.fetch(c, stats.clone(), i64::MAX).await?)?;
        let (seen, _, hits) = from_start;
        let total = if hits > COUNT_CAP {
            Total::MoreThan(COUNT_CAP)
        } else if seen >= window {
            Total::AtLeast(hits)
        } else {
            Total::Exact(hits)
        };
        if next.is_some() {
            return Ok(Page {
                items,
                total,
                next,
                window: false,
            });
        }
        // A short page: did it end at the window's edge, or at the end?
        let (seen, last, _) = if before == i64::MAX {
            from_start
        } else {
            read(self.fetch(c, stats, before).await?)?
        };
        let edge = seen >= window;
        Ok(Page {
            items,
            total,
            next: edge.then(|| AccountId::new(last)),
            window: edge,
        })
    }
}

/// The accounts of a page's rows (fetched one past `limit`), with their
/// roles, and the cursor of the next page.
async fn page_of(
    c: &mut AnyConnection,
    rows: &[AnyRow],
    limit: i64,
) -> Result<(Vec<Account>, Option<AccountId>)> {
    let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|a| a.id)
    } else {
        None
    };
    load_roles_of(c, &mut items).await?;
    Ok((items, next))
}

/// [`COLS`] of the table or subquery `alias`.
fn cols_of(alias: &str) -> String {
    COLS.split(", ")
        .map(|col| format!("{alias}.{col}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The roles of every account of a page, in one query.
async fn load_roles_of(c: &mut AnyConnection, items: &mut [Account]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT account_id, role FROM account_roles WHERE account_id IN ({}) ORDER BY role",
        motcua_store::placeholders(1, items.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in items.iter() {
        q = q.bind(a.id);
    }
    let mut roles: std::collections::HashMap<AccountId, Vec<Role>> = Default::default();
    for r in q.fetch_all(&mut *c).await? {
        let text: String = r.try_get("role")?;
        let role = Role::parse(&text).map_err(|_| {
            StoreError::Db(sqlx::Error::ColumnDecode {
                index: "role".into(),
                source: format!("not a role: {text}").into(),
            })
        })?;
        roles
            .entry(r.try_get("account_id")?)
            .or_default()
            .push(role);
    }
    for a in items.iter_mut() {
        a.roles = roles.remove(&a.id).unwrap_or_default();
        a.roles.sort();
    }
    Ok(())
}

pub async fn set_status(
    c: &mut AnyConnection,
    id: AccountId,
    status: AccountStatus,
    reason: Option<&str>,
    now: Millis,
) -> Result<()> {
    let n = sqlx::query(
        "UPDATE accounts SET status = $1, lock_reason = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(status.as_str())
    .bind(reason.map(str::to_string))
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn set_locale(
    c: &mut AnyConnection,
    id: AccountId,
    locale: &str,
    now: Millis,
) -> Result<()> {
    sqlx::query("UPDATE accounts SET locale = $1, updated_at = $2 WHERE id = $3")
        .bind(locale)
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The number of accounts, kept by trigger (migration 21): one row read,
/// not a count of every account.
pub async fn count(c: &mut AnyConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT n FROM account_count WHERE id = 1")
            .fetch_one(&mut *c)
            .await?,
    )
}

/// Operators' accounts, to notify them (e.g. of a compromise report).
pub async fn operators(c: &mut AnyConnection) -> Result<Vec<Account>> {
    let sql = format!(
        "SELECT {COLS} FROM accounts WHERE status = 'active' AND id IN (SELECT account_id FROM account_roles WHERE role = 'operator') ORDER BY id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .fetch_all(&mut *c)
        .await?;
    let mut out = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    load_roles_of(c, &mut out).await?;
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct PasswordCredential {
    pub hash: String,
    pub is_initial: bool,
    pub expires_at: Option<Millis>,
    pub changed_at: Millis,
}

pub async fn password(
    c: &mut AnyConnection,
    account_id: AccountId,
) -> Result<Option<PasswordCredential>> {
    let row = sqlx::query("SELECT hash, is_initial, expires_at, changed_at FROM password_credentials WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(&mut *c)
        .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some(PasswordCredential {
            hash: r.try_get("hash")?,
            is_initial: r.try_get::<i64, _>("is_initial")? != 0,
            expires_at: r.try_get("expires_at")?,
            changed_at: r.try_get("changed_at")?,
        })),
    }
}

/// Sets (or replaces) the password hash. An initial password carries an
/// expiry and must be changed at first login (R-ID-4).
pub async fn set_password(
    c: &mut AnyConnection,
    account_id: AccountId,
    hash: &str,
    initial_expires_at: Option<Millis>,
    now: Millis,
) -> Result<()> {
    sqlx::query("DELETE FROM password_credentials WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *c)
        .await?;
    sqlx::query("INSERT INTO password_credentials (account_id, hash, is_initial, expires_at, changed_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(account_id)
        .bind(hash)
        .bind(i64::from(initial_expires_at.is_some()))
        .bind(initial_expires_at)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Replaces an account's name, contact details and roles (the username,
/// tax code and personal ID never change).
pub async fn update_profile(
    c: &mut AnyConnection,
    id: AccountId,
    full_name: &str,
    email: Option<&str>,
    phone: Option<&str>,
    roles: &[Role],
    now: Millis,
) -> Result<()> {
    let Some(old) = get(c, id).await? else {
        return Err(StoreError::NotFound);
    };
    let new = NewAccount {
        username: old.username.clone(),
        full_name: full_name.to_string(),
        email: email.map(str::to_string),
        phone: phone.map(str::to_string),
        tax_code: old.tax_code.clone(),
        personal_id: old.personal_id.clone(),
        locale: old.locale.clone(),
        roles: roles.to_vec(),
    };
    sqlx::query(
        "UPDATE accounts SET full_name = $1, email = $2, phone = $3, search_text = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(full_name)
    .bind(new.email.clone())
    .bind(new.phone.clone())
    .bind(search_text(&new))
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?;
    sqlx::query("DELETE FROM account_roles WHERE account_id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    for role in roles {
        sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
            .bind(id)
            .bind(role.as_str())
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Gives the account a role (no-op if it has it).
pub async fn add_role(c: &mut AnyConnection, account_id: AccountId, role: Role) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_roles (account_id, role) VALUES ($1, $2) ON CONFLICT (account_id, role) DO NOTHING",
    )
    .bind(account_id)
    .bind(role.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn remove_role(c: &mut AnyConnection, account_id: AccountId, role: Role) -> Result<()> {
    sqlx::query("DELETE FROM account_roles WHERE account_id = $1 AND role = $2")
        .bind(account_id)
        .bind(role.as_str())
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Restarts the validity of a still-initial password (counted from the
/// notice that gives it, not from the grant).
pub async fn renew_initial_expiry(
    c: &mut AnyConnection,
    account_id: AccountId,
    expires_at: Millis,
) -> Result<()> {
    sqlx::query(
        "UPDATE password_credentials SET expires_at = $1 WHERE account_id = $2 AND is_initial = 1",
    )
    .bind(expires_at)
    .bind(account_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Whether some account already uses this email (case-insensitive).
pub async fn email_in_use(c: &mut AnyConnection, email: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE lower(email) = lower($1)")
        .bind(email.trim())
        .fetch_one(&mut *c)
        .await?;
    Ok(n > 0)
}

/// Whether an account has this username.
pub async fn username_taken(c: &mut AnyConnection, username: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE username = $1")
        .bind(username)
        .fetch_one(&mut *c)
        .await?;
    Ok(n > 0)
}

/// Records a successful login at `now` (in the login's transaction): the
/// inactivity sweep reads it through `account_last_use_at`. One narrow row
/// (migration 20), not the accounts' own: their indexes are not touched.
pub async fn touch_last_used(c: &mut AnyConnection, id: AccountId, now: Millis) -> Result<()> {
    sqlx::query(
        "UPDATE account_last_use SET last_used_at = $1 WHERE account_id = $2 AND last_used_at < $1",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Active accounts (operators excepted) whose last successful login —
/// or creation, if they never logged in — is at or before `threshold`:
/// `(account id, last use)`, the longest unused first, at most `limit`.
/// A range scan of the `account_last_use_at` index: the sweep does
/// not read the accounts still in use, however many there are.
pub async fn unused_since(
    c: &mut AnyConnection,
    threshold: Millis,
    after: Option<(Millis, AccountId)>,
    limit: i64,
) -> Result<Vec<(AccountId, Millis)>> {
    let (t, id) = after.map_or((i64::MIN, 0), |(t, id)| (t, id.get()));
    let rows = sqlx::query(
        "SELECT u.account_id AS id, u.last_used_at FROM account_last_use u \
         JOIN accounts a ON a.id = u.account_id \
         WHERE u.last_used_at <= $1 \
         AND (u.last_used_at > $2 OR (u.last_used_at = $2 AND u.account_id > $3)) \
         AND a.status = 'active' \
         AND NOT EXISTS (SELECT 1 FROM account_roles r WHERE r.account_id = a.id AND r.role = 'operator') \
         ORDER BY u.last_used_at, u.account_id LIMIT $4",
    )
    .bind(threshold)
    .bind(t)
    .bind(id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("last_used_at")?)))
        .collect()
}

/// Usernames of the accounts among `ids` (absent ids are left out), to
/// show `account:ID` actors and targets by name.
pub async fn usernames(
    c: &mut AnyConnection,
    ids: &[AccountId],
) -> Result<std::collections::HashMap<AccountId, String>> {
    Ok(ids_and_usernames_where(c, "id", ids)
        .await?
        .into_iter()
        .collect())
}

/// One row for [`bulk_load`]: a new account with its state and times.
#[derive(Debug, Clone)]
pub struct BulkAccount {
    pub account: NewAccount,
    pub status: AccountStatus,
    pub created_at: Millis,
    pub last_used_at: Millis,
}

/// Loads many accounts fast (the scale bench, issue #7), with the same
/// stored form as [`create`] (lower-cased username, folded search text)
/// and a role row per role. All or nothing.
/// - SQLite: one transaction of prepared multi-row inserts; the trigram
///   index follows through its triggers.
/// - PostgreSQL: `COPY … FROM STDIN` on a connection of its own to `url`.
///   When the table is empty, its secondary indexes are dropped first and
///   built again afterwards from their own definitions (`pg_indexes`),
///   which is several times faster than keeping them during the copy.
///
/// Returns the number of accounts loaded.
pub async fn bulk_load(
    store: &motcua_store::Store,
    url: &str,
    rows: impl Iterator<Item = BulkAccount>,
) -> Result<u64> {
    match store.backend() {
        Backend::Sqlite => bulk_sqlite(store, rows).await,
        Backend::Postgres => bulk_postgres(url, rows).await,
    }
}

const BULK_COLS: &str = "username, full_name, email, phone, tax_code, personal_id, status, locale, search_text, created_at, updated_at, last_used_at";

fn stored(b: &BulkAccount) -> (String, String) {
    (
        b.account.username.trim().to_lowercase(),
        search_text(&b.account),
    )
}

/// `INSERT INTO accounts … VALUES` with `rows` rows of placeholders
/// (`updated_at` takes `created_at`'s value).
fn bulk_insert_sql(rows: usize) -> String {
    let values = (0..rows)
        .map(|i| {
            let b = i * 11;
            let p: Vec<String> = (1..=10)
                .chain([10, 11])
                .map(|k| format!("${}", b + k))
                .collect();
            format!("({})", p.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("INSERT INTO accounts ({BULK_COLS}) VALUES {values}")
}

async fn bulk_sqlite(
    store: &motcua_store::Store,
    rows: impl Iterator<Item = BulkAccount>,
) -> Result<u64> {
    const CHUNK: usize = 200;
    let mut tx = store.begin().await?;
    // A large page cache for the load: the trigram index's merges then
    // stay in memory instead of going through the file (back to SQLite's
    // default of 2 MB afterwards: the connection is the pool's writer).
    sqlx::query("PRAGMA cache_size = -262144")
        .execute(&mut *tx)
        .await?;
    let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM accounts")
        .fetch_one(&mut *tx)
        .await?;
    let full = bulk_insert_sql(CHUNK);
    let mut n = 0u64;
    let mut roles = std::collections::BTreeSet::new();
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        chunk.clear();
        chunk.extend(rows.by_ref().take(CHUNK));
        let sql = if chunk.len() == CHUNK {
            full.clone()
        } else {
            bulk_insert_sql(chunk.len())
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in &chunk {
            let (username, text) = stored(b);
            q = q
                .bind(username)
                .bind(b.account.full_name.clone())
                .bind(b.account.email.clone())
                .bind(b.account.phone.clone())
                .bind(b.account.tax_code.clone())
                .bind(b.account.personal_id.clone())
                .bind(b.status.as_str())
                .bind(b.account.locale.clone())
                .bind(text)
                .bind(b.created_at)
                .bind(b.last_used_at);
            roles.extend(b.account.roles.iter().copied());
        }
        q.execute(&mut *tx).await.map_err(conflict("username"))?;
        n += chunk.len() as u64;
    }
    grant_bulk_roles(&mut tx, first, &roles).await?;
    sqlx::query(
        "INSERT INTO account_last_use (account_id, last_used_at) \
         SELECT id, last_used_at FROM accounts WHERE id > $1",
    )
    .bind(first)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut c = store.begin().await?;
    sqlx::query("PRAGMA cache_size = -2000")
        .execute(&mut *c)
        .await?;
    c.commit().await?;
    Ok(n)
}

/// Every role any loaded account has, for the accounts after `first`.
/// (The loaded set gives all its accounts the same roles.)
async fn grant_bulk_roles(
    c: &mut AnyConnection,
    first: i64,
    roles: &std::collections::BTreeSet<Role>,
) -> Result<()> {
    for role in roles {
        sqlx::query(
            "INSERT INTO account_roles (account_id, role) SELECT id, $1 FROM accounts WHERE id > $2",
        )
        .bind(role.as_str())
        .bind(first)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// One value of COPY's text format: `\N` for NULL, and the characters
/// the format treats specially escaped.
fn copy_text(out: &mut String, v: Option<&str>) {
    match v {
        None => out.push_str("\\N"),
        Some(s) => {
            for ch in s.chars() {
                match ch {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    _ => out.push(ch),
                }
            }
        }
    }
}

async fn bulk_postgres(url: &str, rows: impl Iterator<Item = BulkAccount>) -> Result<u64> {
    use sqlx::{Connection, Executor};
    let mut c = sqlx::postgres::PgConnection::connect(url).await?;
    let mut tx = c.begin().await?;
    tx.execute("SET LOCAL maintenance_work_mem = '512MB'")
        .await?;
    let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM accounts")
        .fetch_one(&mut *tx)
        .await?;
    // Secondary indexes (not the primary key's or the username's) of an
    // empty table are built after the copy.
    let empty = first == 0;
    let mut rebuild: Vec<(String, String)> = Vec::new();
    if empty {
        rebuild = sqlx::query_as(
            "SELECT i.indexname::text, i.indexdef FROM pg_indexes i \
             WHERE i.schemaname = current_schema() AND i.tablename = 'accounts' \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (name, _) in &rebuild {
            tx.execute(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                .await?;
        }
    }
    let mut copy = tx
        .copy_in_raw(
            "COPY accounts (username, full_name, email, phone, tax_code, personal_id, status, locale, search_text, created_at, updated_at, last_used_at) FROM STDIN",
        )
        .await?;
    let mut n = 0u64;
    let mut roles = std::collections::BTreeSet::new();
    let mut buf = String::with_capacity(1 << 20);
    for b in rows {
        let (username, text) = stored(&b);
        let a = &b.account;
        let created = b.created_at.to_string();
        let last = b.last_used_at.to_string();
        let fields = [
            Some(username.as_str()),
            Some(a.full_name.as_str()),
            a.email.as_deref(),
            a.phone.as_deref(),
            a.tax_code.as_deref(),
            a.personal_id.as_deref(),
            Some(b.status.as_str()),
            Some(a.locale.as_str()),
            Some(text.as_str()),
            Some(created.as_str()),
            Some(created.as_str()),
            Some(last.as_str()),
        ];
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                buf.push('\t');
            }
            copy_text(&mut buf, *f);
        }
        buf.push('\n');
        roles.extend(a.roles.iter().copied());
        n += 1;
        if buf.len() > (1 << 20) - 4096 {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_bytes()).await?;
    }
    copy.finish().await?;
    for role in &roles {
        sqlx::query(
            "INSERT INTO account_roles (account_id, role) SELECT id, $1 FROM accounts WHERE id > $2",
        )
        .bind(role.as_str())
        .bind(first)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO account_last_use (account_id, last_used_at) \
         SELECT id, last_used_at FROM accounts WHERE id > $1",
    )
    .bind(first)
    .execute(&mut *tx)
    .await?;
    for (_, def) in &rebuild {
        tx.execute(sqlx::AssertSqlSafe(def.clone())).await?;
    }
    tx.commit().await?;
    sqlx::query("ANALYZE accounts").execute(&mut c).await?;
    sqlx::query("ANALYZE account_roles").execute(&mut c).await?;
    Ok(n)
}
