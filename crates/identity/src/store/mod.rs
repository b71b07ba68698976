//! Identity's own tables and their SQL (issue #6: each context owns its
//! SQL). Moved so far: API tokens, the accepted terms/privacy versions,
//! the login throttle and the profile attributes with their consents;
//! accounts, sessions, certificates, sign-ups, activity and resets are
//! still in `motcua-store` (the move is listed in the issue).
//! Public for the test suites' fixtures; the layout test refuses a call to
//! it from `web`'s sources and any use from another context.
pub mod api_tokens;
pub mod policies;
pub mod profile;
pub mod throttle;
