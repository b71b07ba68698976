//! The working-day calendar of Vietnam's state agencies (R-OP-3): which
//! days are working days, and deadlines counted in working days or working
//! hours.
//!
//! - [`lunar`]: the Vietnamese lunar calendar (UTC+7), for Tết and Hùng
//!   Kings' day.
//! - [`holidays`]: public holidays (Labour Code 2019 Art. 112),
//!   compensatory days (Art. 111(3)) and the Government's yearly
//!   announcements as data ([`Adjustment`]), combined in a [`Calendar`].
//! - [`deadline`]: deadline arithmetic per Civil Code 2015 Art. 147–148 in
//!   Vietnam local time.
//!
//! Pure: no clock reads and no I/O; times are parameters in [`crate::Millis`].
pub mod deadline;
pub mod holidays;
pub mod lunar;

pub use deadline::{
    deadline_working_days, deadline_working_hours, remaining, DeadlineRule, Remaining, WorkingHours,
};
pub use holidays::{
    format_adjustments, parse_adjustments, Adjustment, AdjustmentKind, Calendar, DayInfo, DayKind,
    Holiday,
};
pub use lunar::{
    hung_kings_day, last_day_of_lunar_year, lunar_new_year, lunar_to_solar, solar_to_lunar,
    LunarDate,
};

/// What can go wrong building a calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The adjustments file is malformed; `line` is 1-based.
    #[error("line {line}: {message}")]
    Parse { line: usize, message: String },
    /// Working-hour periods that are empty, reversed or overlapping.
    #[error("invalid working hours: {0}")]
    WorkingHours(String),
}
