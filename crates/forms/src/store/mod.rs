//! The forms context's tables.
pub mod forms;
