//! The clock of a dossier at the agency (issue #9 §2, R-OP-3), as pure
//! functions of the working-day calendar: the legal deadline counted from
//! acceptance (or from the complete dossier after a supplement, or from
//! payment where fees come first), each step's due time from its share of
//! the processing time, the three-working-day window for a supplement
//! request, and the check of an apology's new date. Time is always a
//! parameter.
use motcua_domain::calendar::deadline::{add_working_time, working_time_between};
use motcua_domain::calendar::{deadline_working_days, Calendar, DeadlineRule, WorkingHours};
use motcua_domain::{Millis, DAY};

/// A supplement may be asked within this many working days of receipt.
pub const SUPPLEMENT_DAYS: u32 = 3;

#[derive(Debug, Clone, Copy)]
pub struct Clock<'a> {
    pub cal: &'a Calendar,
    pub hours: &'a WorkingHours,
    /// Received after this local time: counted from the next working day.
    pub cutoff: Option<time::Time>,
}

impl Clock<'_> {
    /// The legal deadline of a processing time of `amount` `unit`
    /// (working_day, working_hour, day) started at `start`.
    pub fn deadline(&self, start: Millis, amount: i64, unit: &str) -> Millis {
        let n = u32::try_from(amount.max(0)).unwrap_or(u32::MAX);
        match unit {
            "working_hour" => add_working_time(
                self.cal,
                self.hours,
                start,
                i64::from(n) * motcua_domain::HOUR,
            ),
            // Calendar days (Civil Code Art. 147–148): the period ends at
            // the end of the n-th day after the day of receipt, moved to
            // the next working day when that day is not one; here the end
            // of its office hours, as for working days.
            "day" => {
                let date = motcua_domain::clock::vn_datetime(start).date();
                let last = date
                    .checked_add(time::Duration::days(i64::from(n)))
                    .unwrap_or(date);
                let last = if self.cal.is_working_day(last) {
                    last
                } else {
                    self.cal.next_working_day(last)
                };
                self.end_of(last)
                    .unwrap_or(start.saturating_add(i64::from(n) * DAY))
            }
            _ => deadline_working_days(
                self.cal,
                self.hours,
                start,
                n,
                &DeadlineRule {
                    cutoff: self.cutoff,
                },
            ),
        }
    }

    /// When a step started at `started` is due: its `share` percent of the
    /// working time from `start` (when the clock started) to `deadline`,
    /// counted in working time from `started`, and never after `deadline`.
    pub fn step_due(&self, start: Millis, deadline: Millis, started: Millis, share: u32) -> Millis {
        let total = working_time_between(self.cal, self.hours, start, deadline);
        let part = total.saturating_mul(i64::from(share.min(100))) / 100;
        add_working_time(self.cal, self.hours, started, part).min(deadline.max(started))
    }

    /// The last moment a supplement may be asked for a dossier received
    /// (accepted, or submitted when not yet accepted) at `received`.
    pub fn supplement_until(&self, received: Millis) -> Millis {
        deadline_working_days(
            self.cal,
            self.hours,
            received,
            SUPPLEMENT_DAYS,
            &DeadlineRule { cutoff: None },
        )
    }

    /// The end of office hours of the working day `date` names, if it is
    /// one: what an apology's new date becomes.
    pub fn end_of(&self, date: time::Date) -> Option<Millis> {
        if !self.cal.is_working_day(date) {
            return None;
        }
        let noon = local(date, time::macros::time!(12:00));
        Some(deadline_working_days(
            self.cal,
            self.hours,
            noon,
            0,
            &DeadlineRule { cutoff: None },
        ))
    }

    /// `at` moved on by `working` milliseconds of working time (a deadline
    /// pushed back by the time the applicant took to pay).
    pub fn add_working_time(&self, at: Millis, working: Millis) -> Millis {
        add_working_time(self.cal, self.hours, at, working.max(0))
    }

    /// Working days paused between `from` and `to` (for the control slip).
    pub fn working_time(&self, from: Millis, to: Millis) -> Millis {
        working_time_between(self.cal, self.hours, from, to)
    }
}

/// The instant of a Vietnam local date and time.
pub fn local(date: time::Date, t: time::Time) -> Millis {
    motcua_domain::clock::from_vn_datetime(time::PrimitiveDateTime::new(date, t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use motcua_domain::calendar::{Adjustment, AdjustmentKind};
    use time::macros::{date, time};

    fn bundled() -> Calendar {
        Calendar::bundled().unwrap_or_else(|_| Calendar::new(vec![]))
    }

    fn clock<'a>(cal: &'a Calendar, hours: &'a WorkingHours) -> Clock<'a> {
        Clock {
            cal,
            hours,
            cutoff: Some(time!(15:00)),
        }
    }

    /// R-OP-3: accepted on Wednesday 3/2/2027 with 5 working days. Tết
    /// (6/2 Saturday) takes Friday 5/2 and Monday 8/2 – Thursday 11/2: the
    /// days counted are 4/2, 12/2, 15/2, 16/2, 17/2.
    #[test]
    fn r_op_3_legal_deadline_across_tet_2027() {
        let (cal, hours) = (bundled(), WorkingHours::default());
        let c = clock(&cal, &hours);
        let start = local(date!(2027 - 02 - 03), time!(10:00));
        assert_eq!(
            c.deadline(start, 5, "working_day"),
            local(date!(2027 - 02 - 17), time!(17:00))
        );
        // Accepted after the 15:00 cut-off: counted from Thursday 4/2.
        let late = local(date!(2027 - 02 - 03), time!(15:30));
        assert_eq!(
            c.deadline(late, 5, "working_day"),
            local(date!(2027 - 02 - 18), time!(17:00))
        );
        // Calendar days count Tết, but the last day must be a working
        // day: 3/2 + 5 days is Monday 8/2 (Tết), so the period ends on
        // Friday 12/2; 3/2 + 10 days is Saturday 13/2 → Monday 15/2.
        assert_eq!(
            c.deadline(start, 5, "day"),
            local(date!(2027 - 02 - 12), time!(17:00))
        );
        assert_eq!(
            c.deadline(start, 10, "day"),
            local(date!(2027 - 02 - 15), time!(17:00))
        );
        assert_eq!(
            c.deadline(start, 1, "day"),
            local(date!(2027 - 02 - 04), time!(17:00))
        );
    }

    /// A step's due time: 60 % of the 45.5 working hours from 3/2 10:00 to
    /// 17/2 17:00 is 27.3 h = 27 h 18 min: 5.5 h on 3/2, 8 h on 4/2, 8 h
    /// on 12/2, then 5.8 h on 15/2 — 07:30–11:30 and 13:00–14:48.
    #[test]
    fn step_due_counts_its_share_in_working_time() {
        let (cal, hours) = (bundled(), WorkingHours::default());
        let c = clock(&cal, &hours);
        let start = local(date!(2027 - 02 - 03), time!(10:00));
        let deadline = c.deadline(start, 5, "working_day");
        assert_eq!(
            c.step_due(start, deadline, start, 60),
            local(date!(2027 - 02 - 15), time!(14:48))
        );
        // A step never ends after the deadline, however late it started.
        let started = local(date!(2027 - 02 - 17), time!(16:00));
        assert_eq!(c.step_due(start, deadline, started, 30), deadline);
        assert_eq!(c.step_due(start, deadline, start, 0), start);
    }

    /// The supplement window: three working days from receipt on Thursday
    /// 4/2/2027 (Friday 12/2, Monday 15/2, Tuesday 16/2; Tết in between)
    /// end on Tuesday 16/2 at 17:00.
    #[test]
    fn supplement_window_across_tet() {
        let (cal, hours) = (bundled(), WorkingHours::default());
        let c = clock(&cal, &hours);
        let received = local(date!(2027 - 02 - 04), time!(09:00));
        assert_eq!(
            c.supplement_until(received),
            local(date!(2027 - 02 - 16), time!(17:00))
        );
    }

    /// An announced swap: Saturday 9/10/2027 made a working day and
    /// Friday 15/10 a day off. 2 working days from Friday 8/10 end on
    /// Monday 11/10 (the Saturday counts); 6 end on Monday 18/10 (Friday
    /// 15/10 does not).
    #[test]
    fn r_op_3_announced_swap() {
        let adj = |d: time::Date, kind| Adjustment {
            date: d,
            kind,
            reason_vi: "Hoán đổi".into(),
            reason_en: "Swap".into(),
            source: "test".into(),
        };
        let cal = Calendar::new(vec![
            adj(date!(2027 - 10 - 09), AdjustmentKind::WorkingDay),
            adj(date!(2027 - 10 - 15), AdjustmentKind::DayOff),
        ]);
        let hours = WorkingHours::default();
        let c = clock(&cal, &hours);
        let fri = local(date!(2027 - 10 - 08), time!(09:00));
        assert_eq!(
            c.deadline(fri, 2, "working_day"),
            local(date!(2027 - 10 - 11), time!(17:00))
        );
        assert_eq!(
            c.deadline(fri, 5, "working_day"),
            local(date!(2027 - 10 - 14), time!(17:00))
        );
        assert_eq!(
            c.deadline(fri, 6, "working_day"),
            local(date!(2027 - 10 - 18), time!(17:00))
        );
        assert_eq!(c.end_of(date!(2027 - 10 - 15)), None);
        assert_eq!(
            c.end_of(date!(2027 - 10 - 09)),
            Some(local(date!(2027 - 10 - 09), time!(17:00)))
        );
    }
}
