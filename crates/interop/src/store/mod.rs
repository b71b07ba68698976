//! The interop context's tables.
pub mod calls;
pub mod idempotency;
