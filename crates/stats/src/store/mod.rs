//! The stats context's own table (`stats_index_formulas`): every SQL
//! statement on it is here.
pub mod formulas;
