//! The catalog's tables: `procedures` (every version of every procedure,
//! the national record as received), `procedure_facets` (its filters),
//! `catalog_agencies` and `catalog_life_events`. Only this context's SQL
//! names them (issue #6).
pub mod agencies;
pub mod procedures;
