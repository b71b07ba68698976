//! The test harness every suite shares (issue #6): which databases a test
//! runs on and how they are made and dropped, what CI requires, the mail
//! drop reader and the page helpers. Before this crate each suite had its
//! own copy.
//!
//! - [`each_backend`] runs a test body on a fresh SQLite database and, when
//!   `MOTCUA_TEST_PG_URL` is set, again on a fresh PostgreSQL database of
//!   its own (dropped afterwards). With `CI=true` PostgreSQL is required:
//!   [`require_postgres_in_ci`].
//! - [`read_mails`] reads the `.eml` files of the file mail transport.
//! - [`Page`], [`scrape_csrf`], [`link_in`], [`count`]: what a test reads
//!   from an HTTP answer.
//! - [`openssl_cms_verify`]: OpenSSL's verdict on a detached CMS signature.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test harness: failures are loud

mod db;
mod env;
mod mail;
mod openssl;
mod page;

pub use db::{backends, each_backend, unique_suffix, with_database, Db};
pub use env::{in_ci, loud, pg_url, require_postgres_in_ci, PG_ENV};
pub use mail::{link_in, read_mails, Mail};
pub use openssl::openssl_cms_verify;
pub use page::{count, scrape_csrf, Page};
