//! Time as a parameter. Logic takes `now: Millis`; only the edge (HTTP
//! handlers, workers, CLI) asks a [`Clock`], so tests can run at any date.
use std::sync::atomic::{AtomicI64, Ordering};

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = i64;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Millis;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        d.as_millis() as Millis
    }
}

/// Wall clock plus an adjustable offset, for tests that need time to pass
/// (token expiry, throttling delays) without sleeping.
#[derive(Debug, Default)]
pub struct TestClock {
    offset: AtomicI64,
}

impl TestClock {
    pub fn advance(&self, by: Millis) {
        self.offset.fetch_add(by, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Millis {
        SystemClock.now() + self.offset.load(Ordering::SeqCst)
    }
}

/// Formats a timestamp in Vietnam time (UTC+7, no daylight saving) as
/// `dd/mm/yyyy HH:MM:SS`, the form Vietnamese users read.
pub fn format_vn(at: Millis) -> String {
    let offset = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    match time::OffsetDateTime::from_unix_timestamp_nanos(at as i128 * 1_000_000) {
        Ok(t) => {
            let t = t.to_offset(offset);
            format!(
                "{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
                t.day(),
                u8::from(t.month()),
                t.year(),
                t.hour(),
                t.minute(),
                t.second()
            )
        }
        Err(_) => String::from("?"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_vietnam_time() {
        // 2026-11-22T17:30:00Z is 00:30 on 23/11 in Hanoi.
        assert_eq!(format_vn(1_795_368_600_000), "23/11/2026 00:30:00");
    }

    #[test]
    fn test_clock_advances() {
        let c = TestClock::default();
        let a = c.now();
        c.advance(DAY);
        assert!(c.now() - a >= DAY);
    }
}

/// Vietnam local time (UTC+7) of a timestamp.
pub fn vn_datetime(at: Millis) -> time::PrimitiveDateTime {
    let local = at.saturating_add(7 * HOUR);
    let secs = local.div_euclid(SECOND);
    let nanos = (local.rem_euclid(SECOND) * 1_000_000) as i128;
    match time::OffsetDateTime::from_unix_timestamp_nanos(secs as i128 * 1_000_000_000 + nanos) {
        Ok(t) => time::PrimitiveDateTime::new(t.date(), t.time()),
        Err(_) => time::PrimitiveDateTime::MIN,
    }
}

/// The timestamp of a Vietnam local date and time (UTC+7).
pub fn from_vn_datetime(dt: time::PrimitiveDateTime) -> Millis {
    let utc = dt.assume_utc();
    (utc.unix_timestamp_nanos() / 1_000_000) as Millis - 7 * HOUR
}

#[cfg(test)]
mod vn_time_tests {
    use super::*;

    #[test]
    fn vietnam_local_time_round_trips() {
        // 2026-11-23 09:30 in Hanoi is 02:30 UTC.
        let at = 1_795_401_000_000;
        let dt = vn_datetime(at);
        assert_eq!((dt.hour(), dt.minute()), (9, 30));
        assert_eq!(dt.date().to_string(), "2026-11-23");
        assert_eq!(from_vn_datetime(dt), at);
    }
}
