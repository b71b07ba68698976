//! Brute-force throttling. Each key (an account, or a client IP) carries a
//! count of consecutive failures. Past a free allowance every further
//! attempt must wait a growing delay; at the lock threshold the key is
//! locked for a while, and each further lock lasts twice as long.
//! The state lives in the database so that every app node sees it.
use crate::clock::{Millis, MINUTE, SECOND};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures allowed before delays start.
    pub free_failures: i64,
    /// First delay; it doubles with each further failure.
    pub base_delay: Millis,
    pub max_delay: Millis,
    /// Failures that lock the key.
    pub lock_after: i64,
    pub lock_for: Millis,
    pub max_lock: Millis,
}

impl Policy {
    /// Per account: 5 wrong passwords lock it for 15 minutes.
    pub const ACCOUNT: Policy = Policy {
        free_failures: 3,
        base_delay: SECOND,
        max_delay: 30 * SECOND,
        lock_after: 5,
        lock_for: 15 * MINUTE,
        max_lock: 24 * 60 * MINUTE,
    };
    /// Per client IP: many accounts share an office NAT, so it is looser.
    pub const IP: Policy = Policy {
        free_failures: 20,
        base_delay: SECOND,
        max_delay: 60 * SECOND,
        lock_after: 100,
        lock_for: 15 * MINUTE,
        max_lock: 24 * 60 * MINUTE,
    };
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct State {
    pub failures: i64,
    pub last_failure_at: Millis,
    /// Number of locks so far (drives the doubling of the lock time).
    pub locks: i64,
    pub locked_until: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Try again at this time.
    Wait(Millis),
    Locked(Millis),
}

pub fn decide(state: &State, policy: &Policy, now: Millis) -> Decision {
    if state.locked_until > now {
        return Decision::Locked(state.locked_until);
    }
    if state.failures > policy.free_failures && state.failures < policy.lock_after {
        let shift = (state.failures - policy.free_failures - 1).clamp(0, 30) as u32;
        let delay = (policy.base_delay.saturating_mul(1 << shift)).min(policy.max_delay);
        let at = state.last_failure_at + delay;
        if at > now {
            return Decision::Wait(at);
        }
    }
    Decision::Allow
}

/// The state after a failed attempt at `now`.
pub fn on_failure(state: &State, policy: &Policy, now: Millis) -> State {
    // A lock that has expired starts a fresh count (the number of locks
    // so far is kept, so the next lock lasts longer).
    let expired = state.locked_until != 0 && state.locked_until <= now;
    let mut next = State {
        failures: if expired { 1 } else { state.failures + 1 },
        last_failure_at: now,
        locks: state.locks,
        locked_until: if expired { 0 } else { state.locked_until },
    };
    let failures = next.failures;
    if failures >= policy.lock_after {
        let shift = state.locks.clamp(0, 20) as u32;
        let lock = policy
            .lock_for
            .saturating_mul(1 << shift)
            .min(policy.max_lock);
        next.locked_until = now + lock;
        next.locks = state.locks + 1;
    }
    next
}

/// A rate limit on an unauthenticated action that sends mail or creates
/// rows (sign-up, password reset, a SIM signature request): at most `max`
/// per fixed `window`, per key (a client IP, an address). It is kept in a
/// throttle [`State`]: `failures` counts the window's uses,
/// `last_failure_at` is the window's start, `locked_until` the window's end
/// once it is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max: i64,
    pub window: Millis,
}

impl RateLimit {
    /// Per client IP and form: an office behind one address can still
    /// register a few people an hour; a script cannot send hundreds.
    pub const FORM_PER_IP: RateLimit = RateLimit {
        max: 10,
        window: 60 * MINUTE,
    };
    /// Per mail address or phone number and form.
    pub const PER_ADDRESS: RateLimit = RateLimit {
        max: 3,
        window: 60 * MINUTE,
    };

    /// SIM signature requests (each one rings a phone) per client IP.
    pub const SIM_PER_IP: RateLimit = RateLimit {
        max: 30,
        window: 60 * MINUTE,
    };
    /// SIM signature requests per phone number: a person may retry, a
    /// script cannot ring someone's phone all day.
    pub const SIM_PER_PHONE: RateLimit = RateLimit {
        max: 10,
        window: 60 * MINUTE,
    };
    /// Public dossier lookups per client IP: a person checks a few
    /// dossiers; a script cannot walk the codes.
    pub const LOOKUP_PER_IP: RateLimit = RateLimit {
        max: 30,
        window: 60 * MINUTE,
    };

    /// The state after one more use at `now`, or the time the window
    /// reopens if it is full.
    pub fn take(&self, state: &State, now: Millis) -> Result<State, Millis> {
        let fresh = now >= state.last_failure_at + self.window || state.last_failure_at > now;
        let (count, start) = if fresh {
            (0, now)
        } else {
            (state.failures, state.last_failure_at)
        };
        if count >= self.max {
            return Err(start + self.window);
        }
        let full = count + 1 >= self.max;
        Ok(State {
            failures: count + 1,
            last_failure_at: start,
            locks: state.locks,
            locked_until: if full { start + self.window } else { 0 },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_counts_per_window() {
        let l = RateLimit {
            max: 3,
            window: 60 * MINUTE,
        };
        let mut s = State::default();
        let t0 = 10 * 60 * MINUTE;
        for i in 0..3 {
            s = l.take(&s, t0 + i * MINUTE).unwrap();
        }
        assert_eq!(s.failures, 3);
        assert_eq!(l.take(&s, t0 + 59 * MINUTE), Err(t0 + 60 * MINUTE));
        // The window reopens an hour after it started.
        let s2 = l.take(&s, t0 + 60 * MINUTE).unwrap();
        assert_eq!((s2.failures, s2.last_failure_at), (1, t0 + 60 * MINUTE));
        // A clock set back does not lock for ever.
        assert!(l.take(&s, t0 - MINUTE).is_ok());
    }

    #[test]
    fn five_failures_lock_an_account_with_growing_delays() {
        let p = Policy::ACCOUNT;
        let mut s = State::default();
        let mut now = 1_000_000;
        for _ in 0..3 {
            assert_eq!(decide(&s, &p, now), Decision::Allow);
            s = on_failure(&s, &p, now);
        }
        // 4th attempt right away: allowed (delay starts after the 4th failure)
        assert_eq!(decide(&s, &p, now), Decision::Allow);
        s = on_failure(&s, &p, now);
        assert_eq!(decide(&s, &p, now), Decision::Wait(now + SECOND));
        now += SECOND;
        assert_eq!(decide(&s, &p, now), Decision::Allow);
        s = on_failure(&s, &p, now);
        assert_eq!(decide(&s, &p, now), Decision::Locked(now + 15 * MINUTE));
        // After the lock: a fresh count, and the next lock lasts twice as long.
        now += 15 * MINUTE;
        assert_eq!(decide(&s, &p, now), Decision::Allow);
        for _ in 0..5 {
            s = on_failure(&s, &p, now);
        }
        assert_eq!(decide(&s, &p, now), Decision::Locked(now + 30 * MINUTE));
    }

    #[test]
    fn delays_grow_and_cap() {
        let p = Policy::IP;
        let mut s = State::default();
        for i in 0..60 {
            s = on_failure(&s, &p, i);
        }
        match decide(&s, &p, 60) {
            Decision::Wait(at) => assert_eq!(at, 59 + p.max_delay),
            other => panic!("{other:?}"),
        }
    }
}
