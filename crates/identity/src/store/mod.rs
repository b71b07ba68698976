//! Identity's own tables and their SQL (issue #6: each context owns its
//! SQL): accounts with their roles and passwords, sessions, certificates,
//! signing challenges, captchas, sign-ups, SIM transactions, e-ID links,
//! activity, password resets, API tokens, accepted terms, the login
//! throttle and the profile attributes with their consents.
//!
//! Public for the test suites' fixtures; the layout test refuses a call to
//! it from `web`'s sources and any use from another context, which go
//! through [`crate::directory`] (in-transaction calls for other contexts)
//! and the services.
pub mod accounts;
pub mod activity;
pub mod api_tokens;
pub mod credentials;
pub mod policies;
pub mod profile;
pub mod resets;
pub mod sessions;
pub mod throttle;
