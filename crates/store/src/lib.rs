//! Motcua's persistence. One SQL implementation over `sqlx::Any` serves two
//! backends — embedded SQLite (default) and PostgreSQL (scale) — each with
//! its own migrations (`migrations/<backend>/`). The few statements that
//! must differ (row locks, write locks) live in [`Backend`]; everything
//! else is portable SQL, and one contract suite (`tests/contract.rs`) runs
//! on both.
//!
//! Functions take `&mut AnyConnection`, so the same code runs on a pooled
//! connection or inside a transaction: callers open a transaction with
//! [`Store::begin`], make the change, append the audit record and commit,
//! all or nothing (R-OP-2).

pub mod attachments;
pub mod audit;
pub mod calendar;
pub mod events;
pub mod jobs;
pub mod keyset;
pub mod migrate;
mod writer;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Transaction};
use std::str::FromStr;
use std::time::Duration;

pub use sqlx::AnyConnection;
pub use sqlx::Error as DbError;
pub type Conn = PoolConnection<Any>;

pub type Tx = Transaction<'static, Any>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported DATABASE_URL scheme '{0}': use sqlite://PATH or postgres://USER@HOST/DB")]
    BadScheme(String),
    #[error("cannot open database {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("already exists: {0}")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the database writer failed: {0}")]
    Writer(String),
    #[error("audit: {0}")]
    Audit(String),
    /// A status change the workflow's table does not allow.
    #[error("{0}")]
    Transition(#[from] motcua_domain::TransitionError),
    #[error("migration {version} ({name}) failed: {reason}")]
    Migration {
        version: i64,
        name: &'static str,
        reason: String,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Reads a workflow status column; a text that is no status of the
/// workflow is a decoding error, never a default.
pub fn status<W: motcua_domain::Workflow>(r: &sqlx::any::AnyRow, column: &str) -> Result<W> {
    use sqlx::Row;
    let text: String = r.try_get(column)?;
    W::parse(&text).ok_or_else(|| {
        StoreError::Db(sqlx::Error::ColumnDecode {
            index: column.to_string(),
            source: format!("not a {} status: {text}", W::NAME).into(),
        })
    })
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
pub fn conflict(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Db(e),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(c: &AnyConnection) -> Backend {
        if c.backend_name().eq_ignore_ascii_case("postgresql") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
    /// Row lock for read-modify-write inside a transaction. SQLite needs
    /// none: [`Store::begin`] already holds its single write lock.
    pub fn for_update(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }
    pub fn skip_locked(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time: write transactions of this process
    /// share one connection and queue for it (first come, first served)
    /// instead of polling the file lock with SQLite's busy handler, whose
    /// growing sleeps made a long latency tail under load; its page cache
    /// also stays warm, as no other connection of the process writes.
    /// Other processes (the CLI) still meet the busy timeout.
    writer: Option<AnyPool>,
    /// The thread that runs [`Store::on_writer`] work (SQLite only).
    writer_thread: Option<std::sync::Arc<writer::WriterThread>>,
}

/// Hides the password of a database URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Opens the database named by `url` (`sqlite://path` or
    /// `postgres://…`), creating an SQLite file and its folder if missing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let scheme = url.split("://").next().unwrap_or_default();
        let backend = match scheme {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            _ if !url.contains("://") => {
                return Err(StoreError::BadScheme(url.chars().take(20).collect()))
            }
            other => return Err(StoreError::BadScheme(other.to_string())),
        };
        let connect_err = |e: &dyn std::fmt::Display| StoreError::Connect {
            url: redact_url(url),
            reason: e.to_string(),
        };
        let mut url = url.to_string();
        if backend == Backend::Sqlite {
            let path = url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap_or_default()
                .to_string();
            if path != ":memory:" && !path.is_empty() {
                if let Some(dir) = std::path::Path::new(&path).parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir).map_err(|e| connect_err(&e))?;
                    }
                }
            }
            if !url.contains('?') {
                url.push_str("?mode=rwc");
            }
        }
        let opts = AnyConnectOptions::from_str(&url).map_err(|e| connect_err(&e))?;
        let pool_of = |size: u32| {
            AnyPoolOptions::new()
                .max_connections(size)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            // WAL lets readers proceed during a write; the
                            // busy timeout queues writers of other processes
                            // instead of failing them.
                            use sqlx::Executor;
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
                                 PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
                            )
                            .await?;
                        }
                        Ok(())
                    })
                })
        };
        let pool = pool_of(max_connections.max(1))
            .connect_with(opts.clone())
            .await
            .map_err(|e| connect_err(&e))?;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let writer = if backend == Backend::Sqlite && !in_memory {
            Some(
                pool_of(1)
                    .connect_with(opts)
                    .await
                    .map_err(|e| connect_err(&e))?,
            )
        } else {
            None
        };
        let writer_thread = match writer {
            Some(_) => Some(writer::WriterThread::start().map_err(|e| connect_err(&e))?),
            None => None,
        };
        Ok(Store {
            pool,
            backend,
            writer,
            writer_thread,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn conn(&self) -> Result<Conn> {
        Ok(self.pool.acquire().await?)
    }

    /// Starts a write transaction. On SQLite it waits its turn for the
    /// writer connection, then `BEGIN IMMEDIATE` takes the database's write
    /// lock at once (other processes: up to the busy timeout), so that a
    /// transaction that reads then writes never fails on upgrade. A task
    /// must not open a second write transaction while it holds one.
    pub async fn begin(&self) -> Result<Tx> {
        match self.backend {
            Backend::Sqlite => Ok(self
                .writer
                .as_ref()
                .unwrap_or(&self.pool)
                .begin_with("BEGIN IMMEDIATE")
                .await?),
            Backend::Postgres => Ok(self.pool.begin().await?),
        }
    }

    /// Starts a read-only transaction whose statements all read one
    /// snapshot (PostgreSQL: REPEATABLE READ; SQLite: a deferred
    /// transaction reads one WAL snapshot from its first read): for a
    /// read made of several statements that must agree. Never writes,
    /// so it takes no write lock on either backend.
    pub async fn snapshot(&self) -> Result<Tx> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        Ok(self.pool.begin_with(begin).await?)
    }

    /// Starts `work` (a loop that writes) on the SQLite writer's own thread
    /// (see [`writer`]); gives it back when there is none (PostgreSQL,
    /// in-memory SQLite).
    pub fn spawn_on_writer<F>(&self, work: F) -> std::result::Result<(), F>
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        match &self.writer_thread {
            Some(w) => {
                w.spawn(work);
                Ok(())
            }
            None => Err(work),
        }
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn migrate(&self) -> Result<Vec<i64>> {
        migrate::run(self).await
    }

    pub async fn close(&self) {
        if let Some(w) = &self.writer {
            w.close().await;
        }
        self.pool.close().await;
    }
}

/// The placeholders `$first, …, $(first + n - 1)` of an `IN (…)` list, for
/// a statement whose other parameters come before them.
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_the_list() {
        assert_eq!(placeholders(1, 3), "$1, $2, $3");
        assert_eq!(placeholders(9, 2), "$9, $10");
        assert_eq!(placeholders(1, 0), "");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn escapes_like() {
        assert_eq!(like_escape("a%b_c\\"), "a\\%b\\_c\\\\");
    }
}
