//! Deadlines counted in working days or working hours on a [`Calendar`],
//! in Vietnam local time (UTC+7, no daylight saving) (R-OP-3).
//!
//! Civil Code 2015 (91/2015/QH13):
//! - Art. 147(2)–(3): for a period counted in days, the day of the event
//!   (here: the receipt of a dossier) is not counted; counting starts the
//!   next day. A period counted in hours starts at the moment itself.
//! - Art. 148(1), (5), (6): a period counted in days ends at the end of its
//!   last day; when that day is a weekend or holiday it ends at the end of
//!   the next working day; "the end of the day" is 24:00.
//!
//! Choices made here, for dossiers handled by an agency:
//! - Only working days of the [`Calendar`] are counted, so the last day is
//!   always a working day.
//! - A dossier received on a non-working day counts as received on the next
//!   working day, which is then day 0 (not counted). With a
//!   [`DeadlineRule::cutoff`], a dossier received strictly after the
//!   cut-off time of a working day counts as received on the next working
//!   day too.
//! - The deadline is the END OF OFFICE HOURS of the last day — the end of
//!   the last [`WorkingHours`] period (17:00 by default) — rather than the
//!   24:00 of Art. 148(6): the result is due while the agency is open. Pass
//!   other working hours to move it.
//! - Working-hour deadlines ("within 5 working hours") count only time
//!   inside the working periods of working days.
use super::holidays::Calendar;
use super::CalendarError;
use crate::clock::{Millis, DAY, HOUR, MINUTE};
use time::{Date, Time};

/// Vietnam's offset from UTC.
const VN_OFFSET: Millis = 7 * HOUR;
/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// The office hours of a working day, as ordered, non-overlapping
/// `(start, end)` periods in local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    periods: Vec<(Time, Time)>,
}

impl Default for WorkingHours {
    /// 07:30–11:30 and 13:00–17:00, the usual hours of a reception desk.
    fn default() -> Self {
        WorkingHours {
            periods: vec![
                (time::macros::time!(07:30), time::macros::time!(11:30)),
                (time::macros::time!(13:00), time::macros::time!(17:00)),
            ],
        }
    }
}

impl WorkingHours {
    /// Periods must be non-empty, each start before its end, in order and
    /// not overlapping.
    pub fn new(periods: Vec<(Time, Time)>) -> Result<WorkingHours, CalendarError> {
        if periods.is_empty() {
            return Err(CalendarError::WorkingHours("no period".into()));
        }
        for (i, (start, end)) in periods.iter().enumerate() {
            if start >= end {
                return Err(CalendarError::WorkingHours(format!(
                    "period {start}–{end} ends before it starts"
                )));
            }
            if let Some((_, previous_end)) = i.checked_sub(1).and_then(|j| periods.get(j)) {
                if previous_end > start {
                    return Err(CalendarError::WorkingHours(format!(
                        "period starting {start} overlaps or precedes the one before"
                    )));
                }
            }
        }
        Ok(WorkingHours { periods })
    }

    pub fn periods(&self) -> &[(Time, Time)] {
        &self.periods
    }

    /// When the office closes: the end of the last period.
    pub fn end_of_day(&self) -> Time {
        self.periods.last().map(|p| p.1).unwrap_or(Time::MIDNIGHT)
    }

    /// Periods as milliseconds since local midnight.
    fn periods_ms(&self) -> impl Iterator<Item = (Millis, Millis)> + '_ {
        self.periods
            .iter()
            .map(|(s, e)| (ms_of_day(*s), ms_of_day(*e)))
    }
}

/// How receipt is dated for a working-day deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeadlineRule {
    /// Receipt strictly after this local time counts as receipt on the
    /// next working day; `None`: the whole day counts.
    pub cutoff: Option<Time>,
}

/// Time left until a deadline (negative once past), for SLA dashboards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    /// `now` is after the deadline.
    pub overdue: bool,
    /// Working days between today and the deadline's day (today not
    /// counted, the deadline's day counted); negative when overdue: the
    /// working days after the deadline's day up to and including today.
    pub working_days: i64,
    /// Working time between `now` and the deadline, in whole minutes;
    /// negative when overdue.
    pub working_minutes: i64,
}

/// The deadline of a period of `n` working days for something received at
/// `received_at`: the end of office hours ([`WorkingHours::end_of_day`]) of
/// the `n`-th working day after the day of receipt (see the module
/// documentation for non-working days and the cut-off). `n == 0` gives the
/// end of the day of receipt.
pub fn deadline_working_days(
    cal: &Calendar,
    hours: &WorkingHours,
    received_at: Millis,
    n: u32,
    rule: &DeadlineRule,
) -> Millis {
    let (date, time_of_day) = to_local(received_at);
    let after_cutoff = rule
        .cutoff
        .is_some_and(|cutoff| time_of_day > ms_of_day(cutoff));
    let day0 = if !cal.is_working_day(date) || after_cutoff {
        cal.next_working_day(date)
    } else {
        date
    };
    let last = cal.add_working_days(day0, n);
    from_local(last, ms_of_day(hours.end_of_day()))
}

/// The deadline of a period of `n_hours` working hours starting at
/// `received_at`: counts only time inside the working periods of working
/// days. A period ending exactly at the end of a working period ends then
/// (e.g. 11:30), not at the start of the next one. `0` gives `received_at`.
pub fn deadline_working_hours(
    cal: &Calendar,
    hours: &WorkingHours,
    received_at: Millis,
    n_hours: u32,
) -> Millis {
    add_working_time(cal, hours, received_at, i64::from(n_hours) * HOUR)
}

/// `from` plus `amount` milliseconds of working time (only time inside
/// the working periods of working days counts); as
/// [`deadline_working_hours`], a span ending exactly at the end of a
/// period ends then. `amount <= 0` gives `from`.
pub fn add_working_time(
    cal: &Calendar,
    hours: &WorkingHours,
    from: Millis,
    amount: Millis,
) -> Millis {
    let received_at = from;
    let mut left = amount;
    if left <= 0 {
        return received_at;
    }
    let (mut date, mut from) = to_local(received_at);
    loop {
        if cal.is_working_day(date) {
            for (start, end) in hours.periods_ms() {
                let start = start.max(from);
                if start >= end {
                    continue;
                }
                if end - start >= left {
                    return from_local(date, start + left);
                }
                left -= end - start;
            }
        }
        match date.next_day() {
            Some(next) => date = next,
            None => return Millis::MAX,
        }
        from = 0;
    }
}

/// Working time and working days left from `now` to `deadline`, negative
/// and `overdue` once `now` is past it.
pub fn remaining(cal: &Calendar, hours: &WorkingHours, now: Millis, deadline: Millis) -> Remaining {
    let overdue = now > deadline;
    let (from, to) = if overdue {
        (deadline, now)
    } else {
        (now, deadline)
    };
    let minutes = working_time_between(cal, hours, from, to) / MINUTE;
    let days = working_days_after(cal, to_local(from).0, to_local(to).0);
    let sign = if overdue { -1 } else { 1 };
    Remaining {
        overdue,
        working_days: sign * days,
        working_minutes: sign * minutes,
    }
}

/// Working time inside `[from, to]`, in milliseconds (0 when `to` is
/// not after `from`).
pub fn working_time_between(
    cal: &Calendar,
    hours: &WorkingHours,
    from: Millis,
    to: Millis,
) -> Millis {
    let (mut date, mut start_of_range) = to_local(from);
    let (last_date, end_of_range) = to_local(to);
    let mut total = 0;
    while date <= last_date {
        let limit = if date == last_date { end_of_range } else { DAY };
        if cal.is_working_day(date) {
            for (start, end) in hours.periods_ms() {
                let (s, e) = (start.max(start_of_range), end.min(limit));
                if s < e {
                    total += e - s;
                }
            }
        }
        match date.next_day() {
            Some(next) => date = next,
            None => break,
        }
        start_of_range = 0;
    }
    total
}

/// Working days in `(from, to]`.
fn working_days_after(cal: &Calendar, from: Date, to: Date) -> i64 {
    let mut count = 0;
    let mut d = from;
    while d < to {
        match d.next_day() {
            Some(next) => d = next,
            None => break,
        }
        if cal.is_working_day(d) {
            count += 1;
        }
    }
    count
}

fn ms_of_day(t: Time) -> Millis {
    let (h, m, s, ms) = t.as_hms_milli();
    i64::from(h) * HOUR + i64::from(m) * MINUTE + i64::from(s) * 1000 + i64::from(ms)
}

/// Vietnam local date and milliseconds since local midnight of an instant.
fn to_local(at: Millis) -> (Date, Millis) {
    let local = at.saturating_add(VN_OFFSET);
    let days = local.div_euclid(DAY);
    let ms = local.rem_euclid(DAY);
    let jd = UNIX_EPOCH_JULIAN_DAY.saturating_add(days);
    let date = i32::try_from(jd)
        .ok()
        .and_then(|jd| Date::from_julian_day(jd).ok());
    match date {
        Some(d) => (d, ms),
        None if days < 0 => (Date::MIN, 0),
        None => (Date::MAX, DAY - 1),
    }
}

/// The instant of `ms` after local midnight of `date`.
fn from_local(date: Date, ms: Millis) -> Millis {
    (i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY) * DAY + ms - VN_OFFSET
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, time};

    fn cal() -> Calendar {
        Calendar::bundled().unwrap()
    }

    /// Instant of a Vietnam local date and time.
    fn vn(d: Date, t: Time) -> Millis {
        from_local(d, ms_of_day(t))
    }

    fn end_of(d: Date) -> Millis {
        vn(d, time!(17:00))
    }

    fn days(cal: &Calendar, at: Millis, n: u32) -> Millis {
        deadline_working_days(
            cal,
            &WorkingHours::default(),
            at,
            n,
            &DeadlineRule::default(),
        )
    }

    #[test]
    fn local_time_conversion() {
        // 2026-11-22T17:30:00Z is 00:30 on 23/11 in Hanoi (see clock.rs).
        assert_eq!(
            to_local(1_795_368_600_000),
            (date!(2026 - 11 - 23), 30 * MINUTE)
        );
        assert_eq!(vn(date!(2026 - 11 - 23), time!(00:30)), 1_795_368_600_000);
        assert_eq!(to_local(Millis::MIN).0, Date::MIN);
        assert_eq!(to_local(Millis::MAX).0, Date::MAX);
    }

    /// R-OP-3: 1 working day from Friday afternoon is the end of Monday.
    #[test]
    fn r_op_3_one_day_from_friday_afternoon() {
        let cal = cal();
        let fri = vn(date!(2026 - 03 - 06), time!(15:00));
        assert_eq!(days(&cal, fri, 1), end_of(date!(2026 - 03 - 09)));
        assert_eq!(days(&cal, fri, 0), end_of(date!(2026 - 03 - 06)));
        assert_eq!(days(&cal, fri, 5), end_of(date!(2026 - 03 - 13)));
    }

    /// R-OP-3: received on Saturday counts as received on Monday (day 0).
    #[test]
    fn r_op_3_receipt_on_saturday() {
        let cal = cal();
        let sat = vn(date!(2026 - 03 - 07), time!(10:00));
        assert_eq!(days(&cal, sat, 1), end_of(date!(2026 - 03 - 10)));
        assert_eq!(days(&cal, sat, 0), end_of(date!(2026 - 03 - 09)));
    }

    /// R-OP-3: received after the cut-off counts as the next working day.
    #[test]
    fn r_op_3_receipt_after_cutoff() {
        let cal = cal();
        let hours = WorkingHours::default();
        let rule = DeadlineRule {
            cutoff: Some(time!(16:00)),
        };
        let late = vn(date!(2026 - 03 - 10), time!(16:30));
        let in_time = vn(date!(2026 - 03 - 10), time!(15:59));
        let at_cutoff = vn(date!(2026 - 03 - 10), time!(16:00));
        assert_eq!(
            deadline_working_days(&cal, &hours, late, 2, &rule),
            end_of(date!(2026 - 03 - 13))
        );
        assert_eq!(
            deadline_working_days(&cal, &hours, in_time, 2, &rule),
            end_of(date!(2026 - 03 - 12))
        );
        assert_eq!(
            deadline_working_days(&cal, &hours, at_cutoff, 2, &rule),
            end_of(date!(2026 - 03 - 12))
        );
        // Without a cut-off the evening still counts as that day.
        assert_eq!(days(&cal, late, 2), end_of(date!(2026 - 03 - 12)));
        // Friday after the cut-off: Monday is day 0.
        let friday_late = vn(date!(2026 - 03 - 13), time!(16:30));
        assert_eq!(
            deadline_working_days(&cal, &hours, friday_late, 1, &rule),
            end_of(date!(2026 - 03 - 17))
        );
    }

    /// R-OP-3: across Tết 2025 (off 25/1–2/2).
    #[test]
    fn r_op_3_across_tet_2025() {
        let cal = cal();
        let fri = vn(date!(2025 - 01 - 24), time!(10:00));
        assert_eq!(days(&cal, fri, 1), end_of(date!(2025 - 02 - 03)));
        assert_eq!(days(&cal, fri, 3), end_of(date!(2025 - 02 - 05)));
        // Received during Tết: Monday 3/2 is day 0.
        let tet = vn(date!(2025 - 01 - 29), time!(09:00));
        assert_eq!(days(&cal, tet, 1), end_of(date!(2025 - 02 - 04)));
        // From Thursday 23/1: Friday 24/1 then Monday 3/2.
        let thu = vn(date!(2025 - 01 - 23), time!(09:00));
        assert_eq!(days(&cal, thu, 2), end_of(date!(2025 - 02 - 03)));
    }

    /// R-OP-3: across Tết 2026 (off 14/2–22/2).
    #[test]
    fn r_op_3_across_tet_2026() {
        let cal = cal();
        let fri = vn(date!(2026 - 02 - 13), time!(11:00));
        assert_eq!(days(&cal, fri, 1), end_of(date!(2026 - 02 - 23)));
        let wed = vn(date!(2026 - 02 - 11), time!(08:00));
        assert_eq!(days(&cal, wed, 5), end_of(date!(2026 - 02 - 25)));
    }

    /// R-OP-3: the 2026 National Day swap — Saturday 22/8 is worked and
    /// counts, Monday 31/8 is off and does not.
    #[test]
    fn r_op_3_across_the_2026_swap() {
        let cal = cal();
        let fri = vn(date!(2026 - 08 - 21), time!(09:00));
        assert_eq!(days(&cal, fri, 1), end_of(date!(2026 - 08 - 22)));
        assert_eq!(days(&cal, fri, 2), end_of(date!(2026 - 08 - 24)));
        // Received on the worked Saturday: that day is day 0.
        let sat = vn(date!(2026 - 08 - 22), time!(09:00));
        assert_eq!(days(&cal, sat, 1), end_of(date!(2026 - 08 - 24)));
        // Friday 28/8: 29–30 weekend, 31/8 swapped off, 1–2/9 National Day.
        let fri = vn(date!(2026 - 08 - 28), time!(09:00));
        assert_eq!(days(&cal, fri, 1), end_of(date!(2026 - 09 - 03)));
    }

    /// R-OP-3: 5 working hours from Friday 16:00 — 1 hour on Friday, 4 on
    /// Monday morning — end at Monday 11:30.
    #[test]
    fn r_op_3_working_hours_from_friday_afternoon() {
        let cal = cal();
        let hours = WorkingHours::default();
        let fri = vn(date!(2026 - 03 - 06), time!(16:00));
        assert_eq!(
            deadline_working_hours(&cal, &hours, fri, 5),
            vn(date!(2026 - 03 - 09), time!(11:30))
        );
        assert_eq!(
            deadline_working_hours(&cal, &hours, fri, 6),
            vn(date!(2026 - 03 - 09), time!(14:00))
        );
        // From the lunch break and from the evening.
        let noon = vn(date!(2026 - 03 - 09), time!(12:00));
        assert_eq!(
            deadline_working_hours(&cal, &hours, noon, 1),
            vn(date!(2026 - 03 - 09), time!(14:00))
        );
        let evening = vn(date!(2026 - 03 - 09), time!(20:00));
        assert_eq!(
            deadline_working_hours(&cal, &hours, evening, 8),
            vn(date!(2026 - 03 - 10), time!(17:00))
        );
        assert_eq!(deadline_working_hours(&cal, &hours, noon, 0), noon);
        // Across Tết 2026: Friday 13/2 16:00 + 2 h → Monday 23/2 08:30.
        let before_tet = vn(date!(2026 - 02 - 13), time!(16:00));
        assert_eq!(
            deadline_working_hours(&cal, &hours, before_tet, 2),
            vn(date!(2026 - 02 - 23), time!(08:30))
        );
    }

    #[test]
    fn r_op_3_remaining_before_and_after_the_deadline() {
        let cal = cal();
        let hours = WorkingHours::default();
        let deadline = end_of(date!(2026 - 03 - 11)); // Wednesday 17:00
        let monday = vn(date!(2026 - 03 - 09), time!(10:00));
        assert_eq!(
            remaining(&cal, &hours, monday, deadline),
            Remaining {
                overdue: false,
                working_days: 2,
                // Monday 10:00–11:30 and 13:00–17:00, then two full days.
                working_minutes: 90 + 240 + 2 * 480,
            }
        );
        assert_eq!(
            remaining(&cal, &hours, deadline, deadline),
            Remaining {
                overdue: false,
                working_days: 0,
                working_minutes: 0,
            }
        );
        let friday = vn(date!(2026 - 03 - 13), time!(09:00));
        assert_eq!(
            remaining(&cal, &hours, friday, deadline),
            Remaining {
                overdue: true,
                working_days: -2,
                working_minutes: -(480 + 90),
            }
        );
        // Across a weekend and Tết, nothing is counted on days off.
        let before_tet = vn(date!(2026 - 02 - 13), time!(16:00));
        let after_tet = end_of(date!(2026 - 02 - 23));
        assert_eq!(
            remaining(&cal, &hours, before_tet, after_tet),
            Remaining {
                overdue: false,
                working_days: 1,
                working_minutes: 60 + 480,
            }
        );
    }

    #[test]
    fn working_hours_validation() {
        assert!(WorkingHours::new(vec![]).is_err());
        assert!(WorkingHours::new(vec![(time!(12:00), time!(08:00))]).is_err());
        assert!(WorkingHours::new(vec![
            (time!(08:00), time!(12:00)),
            (time!(11:00), time!(17:00))
        ])
        .is_err());
        let h = WorkingHours::new(vec![
            (time!(08:00), time!(12:00)),
            (time!(13:00), time!(16:30)),
        ])
        .unwrap();
        assert_eq!(h.end_of_day(), time!(16:30));
        assert_eq!(h.periods().len(), 2);
        assert_eq!(WorkingHours::default().end_of_day(), time!(17:00));
        // The end of the day follows the working hours.
        let cal = cal();
        let fri = vn(date!(2026 - 03 - 06), time!(15:00));
        assert_eq!(
            deadline_working_days(&cal, &h, fri, 1, &DeadlineRule::default()),
            vn(date!(2026 - 03 - 09), time!(16:30))
        );
    }
}
