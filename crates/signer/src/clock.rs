//! The signer's notion of "now": the system clock, or a clock the tests set.

use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

/// A source of the current time. Cloning shares the same clock, so a test
/// can keep a handle and move the time of a running server.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<Mutex<OffsetDateTime>>>,
}

impl Clock {
    /// The system clock (UTC).
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock that stays at `at` until [`Clock::set`] or [`Clock::advance`].
    pub fn manual(at: OffsetDateTime) -> Clock {
        Clock {
            manual: Some(Arc::new(Mutex::new(at))),
        }
    }

    /// The current time.
    pub fn now(&self) -> OffsetDateTime {
        match &self.manual {
            Some(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
            None => OffsetDateTime::now_utc(),
        }
    }

    /// Sets a manual clock; does nothing to the system clock.
    pub fn set(&self, at: OffsetDateTime) {
        if let Some(t) = &self.manual {
            *t.lock().unwrap_or_else(|e| e.into_inner()) = at;
        }
    }

    /// Moves a manual clock forward; does nothing to the system clock.
    pub fn advance(&self, by: Duration) {
        if let Some(t) = &self.manual {
            let mut g = t.lock().unwrap_or_else(|e| e.into_inner());
            *g += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_is_shared_between_clones() {
        let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let c = Clock::manual(start);
        let c2 = c.clone();
        c2.advance(Duration::seconds(5));
        assert_eq!(c.now(), start + Duration::seconds(5));
        c.set(start);
        assert_eq!(c2.now(), start);
        let s = Clock::system();
        s.set(start);
        assert!(s.now() > start - Duration::days(365 * 100));
    }
}
