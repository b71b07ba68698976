//! What the environment asks of a test run.
use std::io::Write;

/// The PostgreSQL server tests may create databases on (an admin URL).
pub const PG_ENV: &str = "MOTCUA_TEST_PG_URL";

pub fn pg_url() -> Option<String> {
    std::env::var(PG_ENV).ok().filter(|s| !s.trim().is_empty())
}

/// `CI=true` (or `1`): nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A note that must not be missed in the test output.
pub fn loud(msg: &str) {
    let _ = writeln!(std::io::stderr(), "\n*** {msg} ***\n");
}

/// Fails when CI runs without PostgreSQL: a run without it would silently
/// test half of the supported backends.
pub fn require_postgres_in_ci(suite: &str) {
    if in_ci() {
        assert!(
            pg_url().is_some(),
            "CI=true but {PG_ENV} is not set: the {suite} suite must also run on PostgreSQL"
        );
    }
}

/// Says once per process that PostgreSQL is not being tested.
pub(crate) fn warn_pg_skipped_once() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    if pg_url().is_none() {
        ONCE.call_once(|| {
            loud(&format!(
                "NOTE: {PG_ENV} is not set: this suite runs on SQLite ONLY. \
                 Set e.g. {PG_ENV}=postgres://postgres@127.0.0.1:5432/test to run it on PostgreSQL too."
            ));
        });
    }
}
