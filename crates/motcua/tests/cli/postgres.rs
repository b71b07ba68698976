//! The CLI flow on PostgreSQL, when `MOTCUA_TEST_PG_URL` names a server
//! (e.g. `postgres://postgres@127.0.0.1:5432/test`): each test gets a fresh
//! database, created with `CREATE DATABASE` and dropped afterwards. In CI
//! (`CI=true`) the URL is required.
use crate::admin::{admin_flow, audit_checkpoint_flow, Backend};
use crate::support::{in_ci, loud, pg_url, unique, Sandbox, PG_ENV};
use sqlx::Connection;

use motcua_testkit::with_database;

async fn admin_exec(admin_url: &str, sql: &str) -> Result<(), sqlx::Error> {
    let mut c = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut c)
        .await?;
    c.close().await
}

/// A fresh PostgreSQL database, dropped (with any connections still open
/// to it) when this goes out of scope, also after a failure.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create(admin_url: &str) -> PgDatabase {
        let name = unique("motcua_cli");
        let sql = format!("CREATE DATABASE \"{name}\"");
        admin_exec(admin_url, &sql)
            .await
            .unwrap_or_else(|e| panic!("{PG_ENV}: {sql}: {e}"));
        PgDatabase {
            admin_url: admin_url.to_string(),
            url: with_database(admin_url, &name),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Its own thread and runtime: this may run inside a test's runtime.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                if let Err(e) = rt.block_on(admin_exec(&admin_url, &sql)) {
                    loud(&format!("warning: {sql}: {e}"));
                }
            }
        });
        let _ = done.join();
    }
}

fn pg_or_skip(test: &str) -> Option<String> {
    let url = pg_url();
    if url.is_none() {
        assert!(
            !in_ci(),
            "CI=true but {PG_ENV} is not set: {test} must run on PostgreSQL in CI"
        );
        loud(&format!(
            "\n*** NOTE: {PG_ENV} is not set: SKIPPING the motcua CLI test {test} on PostgreSQL. ***\n\
             *** Set e.g. {PG_ENV}=postgres://postgres@127.0.0.1:5432/test to run it. ***\n"
        ));
    }
    url
}

#[tokio::test]
async fn postgres_migrate_create_lock_unlock_verify_and_tamper() {
    let Some(admin_url) = pg_or_skip("postgres_migrate_create_lock_unlock_verify_and_tamper")
    else {
        return;
    };
    let db = PgDatabase::create(&admin_url).await;
    let sb = Sandbox::with_database(&db.url);
    admin_flow(&sb, Backend::Postgres).await;
}

#[tokio::test]
async fn postgres_audit_checkpoint_detects_cut_tail_and_rehashed_edit() {
    let Some(admin_url) =
        pg_or_skip("postgres_audit_checkpoint_detects_cut_tail_and_rehashed_edit")
    else {
        return;
    };
    let db = PgDatabase::create(&admin_url).await;
    let sb = Sandbox::with_database(&db.url);
    audit_checkpoint_flow(&sb, Backend::Postgres).await;
}

/// Through `DATABASE_URL` (the other spelling), `serve` runs on PostgreSQL
/// and says so in its log without the password.
#[tokio::test]
async fn postgres_serve_with_database_url() {
    let Some(admin_url) = pg_or_skip("postgres_serve_with_database_url") else {
        return;
    };
    let db = PgDatabase::create(&admin_url).await;
    let sb = Sandbox::with_database(&db.url);
    let mut cmd = sb.cmd(&["serve"]);
    cmd.env_remove("MOTCUA_DATABASE__URL")
        .env("DATABASE_URL", &db.url);
    let server = crate::support::Server::start(cmd);
    let line = server.wait_for_log("Motcua starting");
    assert!(line.contains("postgres"), "{line}");
    let r = crate::support::http()
        .get(format!("{}/readyz", server.url))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET /readyz: {e}"));
    assert_eq!(r.status(), 200);
}

/// In CI the PostgreSQL tests must not be skipped.
#[test]
fn ci_requires_postgres() {
    if pg_url().is_some() {
        return;
    }
    assert!(
        !in_ci(),
        "CI=true but {PG_ENV} is not set: the motcua CLI tests must run on PostgreSQL in CI. \
         Start a PostgreSQL server and set {PG_ENV}=postgres://USER@HOST:PORT/DB \
         (.ci/run does both)."
    );
}

#[test]
fn database_url_rewriting() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/test?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}
