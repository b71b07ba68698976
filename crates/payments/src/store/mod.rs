//! The payments context's tables: `payment_requests`, `payment_attempts`,
//! `payment_callbacks`, `payment_reconciliations`, `payment_mismatches`.
//! Only this context's SQL names them (issue #6).
pub mod attempts;
pub mod reconciliation;
pub mod requests;
