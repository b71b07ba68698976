//! The National Single Window's tables and their SQL (issue #6: each
//! context owns its SQL). The services of this crate are the only callers
//! in the product; it is public for the test suites' fixtures, and the
//! layout test refuses a call to it from `web`'s sources. Migrations stay
//! in `motcua-store`'s per-backend folders, numbered once for the whole
//! database.
pub mod lifecycle;
pub mod provisioning;
pub mod registrations;
