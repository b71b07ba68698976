//! Identity's own tables and their SQL (issue #6: each context owns its
//! SQL). Moved so far: API tokens and the accepted terms/privacy versions;
//! accounts, sessions, certificates, sign-ups, throttles, activity and
//! resets are still in `motcua-store` (the move is listed in the issue).
//! Public for the test suites' fixtures; the layout test refuses a call to
//! it from `web`'s sources and any use from another context.
pub mod api_tokens;
pub mod policies;
