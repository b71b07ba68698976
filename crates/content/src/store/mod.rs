//! The content context's own tables (`content_items`,
//! `content_versions`): every SQL statement on them is here.
pub mod items;
