//! The web crate's integration suite: one test binary, real HTTP against a
//! real server, real databases. Every test runs on SQLite and, when
//! `MOTCUA_TEST_PG_URL` is set (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`), again on a fresh PostgreSQL
//! database of its own. In CI (`CI=true`) PostgreSQL is required.
//!
//! Requirement ids (R-…) refer to `docs/REQUIREMENTS.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test binary: helpers may fail loudly

mod helpers;

mod account;
mod account_edges;
mod auth;
mod calendar;
mod catalog;
mod cluster;
mod console;
mod console_edges;
mod content;
mod dossiers;
mod errors;
mod events;
mod feedback;
mod handling;
mod hardening;
mod identity;
mod interop;
mod lifecycle;
mod lists;
mod payments;
mod portal;
mod postal;
mod provisioning;
mod public;
mod registration;
mod roles;
mod sso;
mod stats;

/// CI must exercise PostgreSQL too: a run without it would silently test
/// half of the supported backends.
#[test]
fn ci_requires_postgres() {
    motcua_testkit::require_postgres_in_ci("web");
}
