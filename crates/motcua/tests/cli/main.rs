//! The `motcua` binary as an operator and a browser use it: one test
//! binary (`cargo test -p motcua --test cli`) that runs the real program
//! in temporary folders with environment overrides.
//!
//! - `config`: `config example`, config files, bad values (exit code 2).
//! - `admin`: `migrate`, `admin create-account/lock/unlock/verify-audit`
//!   on SQLite, including a tampered audit log.
//! - `postgres`: the same on PostgreSQL when `MOTCUA_TEST_PG_URL` is set
//!   (required when `CI=true`).
//! - `e2e`: real Chromium through chromedriver, with axe-core (skipped
//!   with a loud note when they are missing, failing when `CI=true`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test binary: helpers may fail loudly

mod admin;
mod api_schema;
mod calendar;
mod config;
mod demo;
mod e2e;
mod e2e_catalog;
mod e2e_handling;
mod e2e_identity;
mod e2e_nsw;
mod e2e_payments;
mod e2e_postal;
mod e2e_public;
mod layout;
mod payments_crash;
mod postgres;
mod sso_rp;
mod support;
mod webdriver;
