//! Text messages (SMS) to a phone, through the job queue like mail: a
//! message is queued in the caller's transaction (it goes only if the
//! change commits) and the worker delivers it, retrying on failure.
//!
//! Two transports, chosen in `[sms]`:
//! - `file` (the zero-configuration default): one JSON file a message in
//!   a folder, `{"to": "...", "text": "..."}`, as the file mail transport
//!   does; for the demo, tests and a portal without a gateway.
//! - `http`: `POST` of the same JSON to the operator's SMS gateway (a
//!   brand-name SMS service) with `Authorization: Bearer <token>`; a 2xx
//!   answer is delivered, 4xx is permanent (dead-lettered), anything else
//!   is retried. Most gateways need a small adapter in front for their
//!   own field names.
use crate::service::{Result, ServiceError};
use crate::Core;
use motcua_domain::Millis;
use motcua_store::{jobs, AnyConnection};
use std::path::PathBuf;

/// Where text messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsSettings {
    File { dir: PathBuf },
    Http { url: String, token: String },
}

impl Default for SmsSettings {
    fn default() -> Self {
        SmsSettings::File {
            dir: "data/sms".into(),
        }
    }
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sms {
    pub to: String,
    pub text: String,
}

/// A phone number as a gateway wants it: digits only, a leading `+84`
/// or `84` written as `0` (Vietnamese numbers); None if it is not 9 to
/// 15 digits.
pub fn normalize_phone(s: &str) -> Option<String> {
    let t = s.trim();
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-'))
    {
        return None;
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.strip_prefix("84") {
        Some(rest) if t.starts_with('+') || digits.len() == 11 => format!("0{rest}"),
        _ => digits,
    };
    (9..=15).contains(&digits.len()).then_some(digits)
}

/// Queues `text` to `phone` in the caller's transaction.
pub async fn queue_sms(
    c: &mut AnyConnection,
    core: &Core,
    phone: &str,
    text: &str,
    now: Millis,
) -> Result<()> {
    let to = normalize_phone(phone).ok_or(ServiceError::field("phone", "error.phone"))?;
    let payload = serde_json::to_string(&Sms {
        to,
        text: text.to_string(),
    })
    .map_err(|e| ServiceError::Internal(e.to_string()))?;
    jobs::enqueue(c, "sms", &payload, core.config.mail_max_attempts, now).await?;
    Ok(())
}

/// Delivers one message; `Err((message, permanent))` on failure.
pub async fn deliver(core: &Core, m: &Sms) -> std::result::Result<(), (String, bool)> {
    match &core.config.sms {
        SmsSettings::File { dir } => {
            std::fs::create_dir_all(dir).map_err(|e| (format!("sms dir: {e}"), false))?;
            let body = serde_json::to_vec(m).map_err(|e| (e.to_string(), true))?;
            let random: u64 = rand::random();
            let name = format!("{}-{random:016x}.json", core.now());
            std::fs::write(dir.join(name), body).map_err(|e| (format!("sms file: {e}"), false))
        }
        SmsSettings::Http { url, token } => {
            let resp = core
                .http
                .post(url)
                .bearer_auth(token)
                .json(m)
                .send()
                .await
                .map_err(|e| (format!("sms gateway: {e}"), false))?;
            let s = resp.status();
            if s.is_success() {
                Ok(())
            } else {
                Err((
                    format!("sms gateway answered {s}"),
                    s.is_client_error() && s.as_u16() != 429 && s.as_u16() != 408,
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_phone;

    #[test]
    fn phones_are_normalised_or_refused() {
        assert_eq!(
            normalize_phone("0912 345 678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(
            normalize_phone("+84 912.345.678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(
            normalize_phone("84912345678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(
            normalize_phone("+1 202-555-0100").as_deref(),
            Some("12025550100")
        );
        assert_eq!(normalize_phone("0912"), None);
        assert_eq!(normalize_phone("09123x5678"), None);
        assert_eq!(normalize_phone("0912345678\n"), Some("0912345678".into()));
        assert_eq!(normalize_phone(""), None);
    }
}
