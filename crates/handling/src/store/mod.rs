//! The handling context's SQL: units, staff and their roles, workflows,
//! cases (a dossier at the agency, with its clock) and the control slip.
//! Only this context reads or writes these tables.
pub mod board;
pub mod cases;
pub mod evaluations;
pub mod notices;
pub mod people;
pub mod report;
pub mod results;
pub mod slips;
pub mod workflows;
