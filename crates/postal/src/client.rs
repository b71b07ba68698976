//! The postal operator's order API as Motcua maps it (PUBLIC-SERVICES §6;
//! docs/POSTAL.md): JSON over HTTPS with an API key; status reports come
//! back as webhooks signed with HMAC-SHA256. This module is the one place
//! that knows the mapping.
use hmac::{Hmac, Mac};
use motcua_domain::Millis;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::Duration;

/// Order states, in the order a parcel goes through them.
pub const PLACED: &str = "placed";
pub const PICKED_UP: &str = "picked_up";
pub const IN_TRANSIT: &str = "in_transit";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";
pub const RETURNED: &str = "returned";
pub const CANCELLED: &str = "cancelled";
pub const STATES: [&str; 7] = [
    PLACED, PICKED_UP, IN_TRANSIT, DELIVERED, FAILED, RETURNED, CANCELLED,
];

/// The header carrying a webhook's signature.
pub const SIGNATURE_HEADER: &str = "x-postal-signature";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    pub phone: String,
    pub province: String,
    pub commune: String,
    pub street: String,
}

/// `POST /api/v1/orders`: idempotent per `order_number` (ours).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    pub order_number: String,
    pub sender: Party,
    pub receiver: Party,
    /// What the parcel holds.
    pub content: String,
    pub weight_grams: i64,
    /// Cash on delivery (postage the receiver pays), đồng.
    pub cod: i64,
    pub notify_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_number: String,
    pub waybill: String,
    pub status: String,
    pub postage: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub from_province: String,
    pub to_province: String,
    pub weight_grams: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteAnswer {
    pub postage: i64,
}

/// A status report (the webhook's body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub order_number: String,
    pub waybill: String,
    pub status: String,
    /// When it happened, milliseconds since the epoch (the time on the
    /// postal receipt for `delivered`).
    pub at: Millis,
    #[serde(default)]
    pub note: String,
}

/// `GET /api/v1/orders/{waybill}`: the order and everything that
/// happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatus {
    pub order_number: String,
    pub waybill: String,
    pub status: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

/// How to reach the operator.
#[derive(Debug, Clone)]
pub struct PostConfig {
    pub base_url: url::Url,
    pub api_key: String,
    /// The key of the webhooks' HMAC.
    pub webhook_secret: String,
    /// Where the operator sends status reports (ours).
    pub notify_url: String,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("postal operator unreachable: {0}")]
    Transport(String),
    #[error("postal operator refused: {0}")]
    Refused(String),
    #[error("postal operator answer unreadable: {0}")]
    Malformed(String),
}

#[derive(Debug, Clone)]
pub struct Post {
    cfg: PostConfig,
    http: reqwest::Client,
}

/// HMAC-SHA256 of `body` under `secret`, lower-case hex.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature` is the HMAC of `body` (constant time).
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    use subtle::ConstantTimeEq;
    if secret.is_empty() {
        return false;
    }
    let want = sign(secret, body);
    let given = signature.trim().to_ascii_lowercase();
    bool::from(want.as_bytes().ct_eq(given.as_bytes()))
}

impl Post {
    pub fn new(cfg: PostConfig) -> Result<Post, PostError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| PostError::Transport(e.to_string()))?;
        Ok(Post { cfg, http })
    }

    pub fn config(&self) -> &PostConfig {
        &self.cfg
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/api/v1/{path}",
            self.cfg.base_url.as_str().trim_end_matches('/')
        )
    }

    async fn send<A: serde::de::DeserializeOwned>(
        &self,
        rb: reqwest::RequestBuilder,
    ) -> Result<A, PostError> {
        let r = rb
            .header("x-api-key", &self.cfg.api_key)
            .send()
            .await
            .map_err(|e| PostError::Transport(e.to_string()))?;
        let status = r.status();
        let bytes = r
            .bytes()
            .await
            .map_err(|e| PostError::Transport(e.to_string()))?;
        if status.is_server_error() {
            return Err(PostError::Transport(format!("HTTP {status}")));
        }
        if !status.is_success() {
            return Err(PostError::Refused(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            )));
        }
        serde_json::from_slice(&bytes).map_err(|e| PostError::Malformed(e.to_string()))
    }

    /// The postage of a dossier-sized parcel from one province to another.
    pub async fn quote(&self, from: &str, to: &str) -> Result<i64, PostError> {
        let q = Quote {
            from_province: from.into(),
            to_province: to.into(),
            weight_grams: 500,
        };
        let a: QuoteAnswer = self
            .send(self.http.post(self.url("quote")).json(&q))
            .await?;
        Ok(a.postage)
    }

    /// Places an order (the same order number again: the same order).
    pub async fn order(&self, o: &NewOrder) -> Result<Order, PostError> {
        let a: Order = self
            .send(self.http.post(self.url("orders")).json(o))
            .await?;
        if a.order_number != o.order_number || a.waybill.is_empty() {
            return Err(PostError::Malformed("another order answered".into()));
        }
        Ok(a)
    }

    /// What the operator knows of an order (for reports that never came).
    pub async fn status(&self, waybill: &str) -> Result<OrderStatus, PostError> {
        let a: OrderStatus = self
            .send(self.http.get(self.url(&format!("orders/{waybill}"))))
            .await?;
        if a.waybill != waybill {
            return Err(PostError::Malformed("another order answered".into()));
        }
        Ok(a)
    }

    /// Cancels an order not picked up yet.
    pub async fn cancel(&self, waybill: &str) -> Result<Order, PostError> {
        self.send(
            self.http
                .post(self.url(&format!("orders/{waybill}/cancel"))),
        )
        .await
    }

    pub fn notify_url(&self) -> &str {
        &self.cfg.notify_url
    }

    pub fn webhook_secret(&self) -> &str {
        &self.cfg.webhook_secret
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 ("Jefe" / "what do ya want for nothing?").
    #[test]
    fn webhook_signatures_are_hmac_sha256() {
        let sig = sign("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify(
            "Jefe",
            b"what do ya want for nothing?",
            &sig.to_uppercase()
        ));
        assert!(!verify("Jefe", b"what do ya want for nothing!", &sig));
        assert!(!verify("", b"x", &sign("", b"x")), "no key, no trust");
        assert!(!verify("Jefe", b"what do ya want for nothing?", &sig[..10]));
    }
}
