//! The payments context as the composition root configures it.
use motcua_domain::Millis;
use std::sync::Arc;

use crate::client::Platform;

/// The rules of this context, from configuration.
#[derive(Debug, Clone)]
pub struct PayRules {
    /// A request is due this many days after it is made.
    pub pay_within_days: i64,
    /// An open attempt is first asked about this long after it started.
    pub poll_after: Millis,
    /// …and given up (expired) this long after it started.
    pub poll_until: Millis,
    /// The first wait between two status queries, doubled each time up
    /// to `backoff_max`.
    pub backoff_first: Millis,
    pub backoff_max: Millis,
    /// How often the poller runs.
    pub poll_every: Millis,
    /// The Vietnam hour after which yesterday is reconciled.
    pub reconcile_hour: u8,
}

impl Default for PayRules {
    fn default() -> Self {
        PayRules {
            pay_within_days: 5,
            poll_after: 30 * 60_000,
            poll_until: 3 * 86_400_000,
            backoff_first: 5 * 60_000,
            backoff_max: 6 * 3_600_000,
            poll_every: 60_000,
            reconcile_hour: 2,
        }
    }
}

/// The payments context as the composition root wires it.
#[derive(Clone)]
pub struct Payments {
    /// None: fees are shown, nothing can be paid online.
    pub platform: Option<Arc<Platform>>,
    pub rules: PayRules,
    /// The handling context's rules (a payment starts the clock).
    pub handling: motcua_handling::Rules,
}
