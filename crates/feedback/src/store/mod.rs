//! The feedback context's own tables (`feedback_items`, `feedback_events`,
//! `feedback_files`): every SQL statement on them is here.
pub mod items;
pub mod pending;
