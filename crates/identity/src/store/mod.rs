//! Identity's own tables and their SQL (issue #6: each context owns its
//! SQL). Moved so far: API tokens, the accepted terms/privacy versions and
//! the login throttle; accounts, sessions, certificates, sign-ups,
//! profile, activity and resets are still in `motcua-store` (the move is
//! listed in the issue).
//! Public for the test suites' fixtures; the layout test refuses a call to
//! it from `web`'s sources and any use from another context.
pub mod api_tokens;
pub mod policies;
pub mod throttle;
