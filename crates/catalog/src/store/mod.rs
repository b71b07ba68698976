//! The catalog's tables: `procedures` (every version of every procedure,
//! the national record as received), `procedure_facets` (its filters),
//! `catalog_agencies`, `catalog_officials`, `catalog_life_events` and `catalog_fee_schedules`. Only this context's SQL
//! names them (issue #6).
pub mod agencies;
pub mod fees;
pub mod officials;
pub mod procedures;
