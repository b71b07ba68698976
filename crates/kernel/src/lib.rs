//! The kernel the bounded contexts build on (issue #6). No HTTP here: a
//! context depends on the kernel, the domain and the store, never on the
//! web crate.
//!
//! - [`i18n`]: the message catalog. Each context owns its message table
//!   (key, Vietnamese, English); the composition root hands the tables to
//!   [`i18n::Catalog::from_tables`]. No central list in a context module.
//! - [`sla`]: open items with a legal deadline. Each context implements
//!   [`sla::SlaSource`]; the composition root registers the sources.
//! - [`error`]: one typed error for services.

pub mod error;
pub mod i18n;
pub mod sla;

pub use error::Error;
