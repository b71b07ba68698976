//! The kernel the bounded contexts build on (issue #6). No HTTP here: a
//! context depends on the kernel, the domain and the store, never on the
//! web crate.
//!
//! - [`Core`]: the runtime every context shares (store, clock, settings,
//!   catalog, mailer, metrics, calendar, queue wake-ups).
//! - [`settings`]: the portal's settings.
//! - [`service`]: the request's origin for the audit
//!   trail, mail queued in the caller's transaction.
//! - [`i18n`]: the message catalog. Each context owns its message table
//!   (key, Vietnamese, English); the composition root hands the tables to
//!   [`i18n::Catalog::from_tables`]. No central list in a context module.
//! - [`sla`]: open items with a legal deadline. Each context implements
//!   [`sla::SlaSource`]; the composition root registers the sources.
//! - [`calendar`]: the working-day calendar and the deadlines on it.
//! - [`outbox`]: events written in the caller's transaction and delivered
//!   as signed webhooks; [`worker`]: the job queue (mail) and the
//!   contexts' periodic tasks.
//! - [`metrics`]: counters and their Prometheus text.
//! - [`blobs`]: the content-addressed blob store (local directory or S3)
//!   that documents and notices are kept in.
//! - [`error`]: the one typed error of every service (NotFound, Conflict,
//!   Forbidden, Invalid, Internal).

pub mod blobs;
pub mod calendar;
pub mod core;
pub mod error;
pub mod i18n;
pub mod metrics;
pub mod outbox;
pub mod pdf;
pub mod records;
pub mod service;
pub mod settings;
pub mod sla;
pub mod sms;
pub mod worker;

pub use crate::core::Core;
pub use error::ServiceError;
pub use settings::Settings;
