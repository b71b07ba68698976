//! One fresh database per test.
use crate::env::{pg_url, warn_pg_skipped_once, PG_ENV};
use motcua_store::{Backend, Store};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A name part no other test of any process uses.
pub fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}_{}_{:012x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        rand::random::<u64>() & 0xffff_ffff_ffff
    )
}

/// `url` with its database name replaced by `db` (query string kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[host_start..].find('/') {
        Some(i) => &base[..host_start + i],
        None => base,
    };
    format!("{base}/{db}{query}")
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, db: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, db } = self {
            // Drop may run inside the test's runtime: use another thread
            // with its own runtime. FORCE ends the app pools' sessions.
            let (admin_url, db) = (admin_url.clone(), db.clone());
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(admin) = Store::connect(&admin_url, 1).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.as_str()))
                            .execute(admin.pool())
                            .await;
                        admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// One fresh, empty database; dropping the last clone removes it.
#[derive(Clone)]
pub struct Db {
    pub backend: Backend,
    pub url: String,
    _cleanup: Arc<Cleanup>,
}

impl Db {
    pub fn name(&self) -> &'static str {
        self.backend.name()
    }

    /// A `Store` (4 connections) on this database with every migration
    /// applied: what a test of a context's SQL starts from.
    pub async fn migrated_store(&self) -> Store {
        let store = Store::connect(&self.url, 4)
            .await
            .unwrap_or_else(|e| panic!("{}: connect: {e}", self.name()));
        store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: migrate: {e}", self.name()));
        store
    }

    pub async fn sqlite() -> Db {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("motcua.db").display());
        Db {
            backend: Backend::Sqlite,
            url,
            _cleanup: Arc::new(Cleanup::Sqlite(dir)),
        }
    }

    /// A new database on the server `admin_url` points at.
    pub async fn postgres(admin_url: &str) -> Db {
        let db = format!("motcua_w_{}", unique_suffix());
        let admin = Store::connect(admin_url, 1)
            .await
            .unwrap_or_else(|e| panic!("postgres: cannot connect to {PG_ENV}: {e}"));
        let sql = format!("CREATE DATABASE \"{db}\"");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.as_str()))
            .execute(admin.pool())
            .await
            .unwrap_or_else(|e| panic!("postgres: {sql}: {e}"));
        admin.close().await;
        Db {
            backend: Backend::Postgres,
            url: with_database(admin_url, &db),
            _cleanup: Arc::new(Cleanup::Postgres {
                admin_url: admin_url.to_string(),
                db,
            }),
        }
    }
}

/// One fresh, empty database on SQLite and, when configured, one on
/// PostgreSQL: for suites that loop over the backends themselves.
pub async fn backends() -> Vec<Db> {
    warn_pg_skipped_once();
    let mut out = vec![Db::sqlite().await];
    if let Some(url) = pg_url() {
        out.push(Db::postgres(&url).await);
    }
    out
}

/// Runs `body` once on SQLite and, when configured, once on PostgreSQL.
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in backends().await {
        body(db).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_replaced_and_queries_kept() {
        assert_eq!(
            with_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_ne!(unique_suffix(), unique_suffix());
    }
}
