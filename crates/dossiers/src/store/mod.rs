//! The dossiers context's SQL: drafts, dossiers with their timeline and
//! serials, and the notification inbox. Only this context reads or writes
//! these tables.
pub mod documents;
pub mod dossiers;
pub mod drafts;
pub mod files;
pub mod notifications;
pub mod parked;
pub mod routes;
