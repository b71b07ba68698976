//! The outbox: events to ministries' specialized processing systems (R-ID-5),
//! delivered as signed webhooks per the Standard Webhooks specification
//! (<https://www.standardwebhooks.com/>):
//!
//! - headers `webhook-id` (the event id, stable across retries: receivers
//!   deduplicate by it), `webhook-timestamp` (Unix seconds of this attempt)
//!   and `webhook-signature` (`v1,` + base64 HMAC-SHA256 over
//!   `{id}.{timestamp}.{body}` with the system's `whsec_` secret);
//! - body `{"type": …, "timestamp": …, "data": {…}}`.
//!
//! [`emit`] writes the event in the caller's transaction (the
//! outbox); [`deliver_due`] sends what is due; [`run`] is the loop every
//! node runs. A 2xx answer acknowledges; anything else (or a timeout) is
//! retried with exponential backoff until the configured horizon (default
//! 3 days), then dead-lettered; the operator can redeliver from the console.
use crate::Core;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use motcua_domain::Millis;
use motcua_store::events::{self, Delivery, Event};
use motcua_store::{AnyConnection, StoreError};
use rand::Rng;
use sha2::Sha256;
use std::time::Duration;

/// The event types a specialized system can subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "account.created",
    "account.updated",
    "account.locked",
    "account.unlocked",
    "account.revoked",
];

/// Delivery settings (from the `[events]` config section).
#[derive(Debug, Clone, Copy)]
pub struct EventsConfig {
    /// How long an event is retried before it is dead-lettered.
    pub horizon_ms: Millis,
    /// Delay before the 2nd attempt; it doubles with each failure…
    pub first_backoff_ms: Millis,
    /// …up to this.
    pub max_backoff_ms: Millis,
    /// Per-attempt HTTP timeout.
    pub timeout_ms: Millis,
    /// Deliveries sent at once by one node.
    pub batch: i64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            horizon_ms: 3 * motcua_domain::DAY,
            first_backoff_ms: 5 * motcua_domain::SECOND,
            max_backoff_ms: motcua_domain::HOUR,
            timeout_ms: 10 * motcua_domain::SECOND,
            batch: 16,
        }
    }
}

impl EventsConfig {
    /// Delay before the next attempt after `attempts` failed ones.
    pub fn backoff(&self, attempts: i64) -> Millis {
        let shift = (attempts - 1).clamp(0, 30) as u32;
        self.first_backoff_ms
            .saturating_mul(1i64 << shift)
            .min(self.max_backoff_ms)
    }
}

/// A new signing secret: `whsec_` + base64 of 32 random bytes.
pub fn generate_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!("whsec_{}", B64.encode(key))
}

/// Checks an operator-entered secret: `whsec_` + base64 of 24–64 bytes.
pub fn valid_secret(secret: &str) -> bool {
    secret
        .strip_prefix("whsec_")
        .and_then(|k| B64.decode(k).ok())
        .is_some_and(|k| (24..=64).contains(&k.len()))
}

/// The `webhook-signature` header value for one attempt.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = B64.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

fn rfc3339(at: Millis) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(at as i128 * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Writes an event to the outbox, in the caller's transaction: it is
/// delivered to the subscribed systems only if that transaction commits.
/// `data` is the event's payload for receivers.
pub async fn emit(
    c: &mut AnyConnection,
    state: &Core,
    kind: &str,
    subject: &str,
    data: serde_json::Value,
    now: Millis,
) -> Result<(), StoreError> {
    let e = event(kind, subject, data, now);
    events::emit(c, &e, state.config.events.horizon_ms, now).await?;
    Ok(())
}

/// Like [`emit`], for one system only (`system_code`, whatever it
/// subscribes to); false when no active system has that code (the event
/// is kept, nothing is delivered).
pub async fn emit_to(
    c: &mut AnyConnection,
    state: &Core,
    kind: &str,
    subject: &str,
    data: serde_json::Value,
    system_code: &str,
    now: Millis,
) -> Result<bool, StoreError> {
    let e = event(kind, subject, data, now);
    events::emit_to(c, &e, system_code, state.config.events.horizon_ms, now).await
}

/// An event with a new id and its receivers' body.
fn event(kind: &str, subject: &str, data: serde_json::Value, now: Millis) -> Event {
    let mut raw = [0u8; 16];
    rand::rng().fill_bytes(&mut raw);
    let id = format!("msg_{}", hex::encode(raw));
    let payload = serde_json::json!({
        "type": kind,
        "timestamp": rfc3339(now),
        "data": data,
    })
    .to_string();
    Event {
        seq: 0,
        id,
        kind: kind.to_string(),
        subject: subject.to_string(),
        payload,
        created_at: now,
    }
}

/// The HTTP client for deliveries: no redirects (a receiver must answer
/// itself), the configured timeout, the system's trust store for HTTPS.
pub fn http_client(cfg: &EventsConfig) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_millis(cfg.timeout_ms.max(1) as u64))
        .user_agent(concat!("Motcua-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("webhook HTTP client: {e}"))
}

/// Sends one attempt; `Ok(status)` for a 2xx answer.
async fn send(
    client: &reqwest::Client,
    d: &Delivery,
    now: Millis,
) -> Result<i64, (Option<i64>, String)> {
    let ts = now.div_euclid(1000);
    let Some(sig) = sign(&d.secret, &d.event_id, ts, &d.payload) else {
        return Err((None, "the system's signing secret is malformed".into()));
    };
    let resp = client
        .post(&d.endpoint_url)
        .header("content-type", "application/json")
        .header("webhook-id", &d.event_id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sig)
        .body(d.payload.clone())
        .send()
        .await
        .map_err(|e| {
            let what = if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_connect() {
                "connection failed".to_string()
            } else {
                e.to_string()
            };
            (None, what)
        })?;
    let status = i64::from(resp.status().as_u16());
    if resp.status().is_success() {
        Ok(status)
    } else {
        let body: String = resp
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        Err((Some(status), format!("HTTP {status}: {body}")))
    }
}

/// Claims and sends one batch of due deliveries. Returns how many were
/// attempted.
pub async fn deliver_due(state: &Core, worker: &str) -> Result<usize, StoreError> {
    let cfg = state.config.events;
    let lease = cfg.timeout_ms + 60 * motcua_domain::SECOND;
    let batch = {
        let mut c = state.store.conn().await?;
        events::claim(&mut c, worker, cfg.batch, lease, state.now()).await?
    };
    if batch.is_empty() {
        return Ok(0);
    }
    let sent = futures::future::join_all(batch.iter().map(|d| async move {
        let r = send(&state.http, d, state.now()).await;
        (d, r)
    }))
    .await;
    let mut c = state.store.conn().await?;
    for (d, r) in sent {
        let now = state.now();
        match r {
            Ok(status) => {
                crate::metrics::inc(&state.metrics.events_delivered);
                if !events::delivered(&mut c, d.id, worker, status, now).await? {
                    tracing::warn!(delivery = %d.id, "delivery lease lost; it may be sent again");
                }
            }
            Err((status, error)) => {
                crate::metrics::inc(&state.metrics.events_failed);
                let retry_at = now + cfg.backoff(d.attempts);
                let dead = events::failed(&mut c, d, worker, status, &error, retry_at, now).await?;
                if dead {
                    crate::metrics::inc(&state.metrics.events_dead);
                    tracing::error!(delivery = %d.id, system = %d.system_code, event = %d.event_id, %error, "event delivery dead-lettered");
                } else {
                    tracing::warn!(delivery = %d.id, system = %d.system_code, attempt = d.attempts, %error, "event delivery failed; will retry");
                }
            }
        }
    }
    Ok(batch.len())
}

/// Sends until nothing is due now (tests and the CLI).
pub async fn drain(state: &Core, worker: &str) -> Result<usize, StoreError> {
    let mut n = 0;
    loop {
        let k = deliver_due(state, worker).await?;
        if k == 0 {
            return Ok(n);
        }
        n += k;
    }
}

/// The delivery loop: wakes when an event is emitted on this node, when
/// the next retry is due, or every `poll` (events emitted by other nodes).
pub async fn run(
    state: Core,
    worker: String,
    poll: Duration,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut shutdown = shutdown;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let mut wait = poll;
        match deliver_due(&state, &worker).await {
            Ok(0) => {
                if let Ok(mut c) = state.store.conn().await {
                    if let Ok(Some(at)) = events::next_due(&mut c).await {
                        let ms = (at - state.now()).clamp(0, poll.as_millis() as i64);
                        wait = Duration::from_millis(ms as u64);
                    }
                }
            }
            Ok(_) => continue,
            Err(e) => tracing::error!(error = %e, "event delivery: store unavailable"),
        }
        tokio::select! {
            _ = state.events_notify.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_specification_example() {
        // The example of the Standard Webhooks specification.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let c = EventsConfig::default();
        assert_eq!(c.backoff(1), 5_000);
        assert_eq!(c.backoff(2), 10_000);
        assert_eq!(c.backoff(3), 20_000);
        assert_eq!(c.backoff(40), motcua_domain::HOUR);
    }

    #[test]
    fn secrets_are_checked() {
        assert!(valid_secret(&generate_secret()));
        assert!(!valid_secret("whsec_c2hvcnQ="));
        assert!(!valid_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    }
}
