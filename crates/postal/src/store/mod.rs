//! The postal context's tables: `postal_choices`, `postal_orders`,
//! `postal_events`. Only this context's SQL names them (issue #6).
pub mod orders;
