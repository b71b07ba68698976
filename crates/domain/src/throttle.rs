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

#[cfg(test)]
mod tests {
    use super::*;

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
