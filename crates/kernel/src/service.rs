//! What every use case shares: the service error, where a request comes
//! from (for the audit trail), and the mail queued in the caller's
//! transaction.
use crate::Core;
use motcua_domain::Millis;
use motcua_mail::{Locale, OutgoingMail, Template};
use motcua_store::{audit, jobs, AnyConnection};

pub use crate::error::ServiceError;

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Where a request comes from, for the audit trail and activity history.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub audit: audit::Ctx,
    pub user_agent: String,
}

impl Origin {
    pub fn cli() -> Origin {
        Origin {
            audit: audit::Ctx {
                actor: "cli".into(),
                ip: "local".into(),
                request_id: String::new(),
            },
            user_agent: "motcua-cli".into(),
        }
    }

    /// A context's own work (a worker task, a settlement from a
    /// callback): audited under `actor`, e.g. `system:payments`.
    pub fn system(actor: &str) -> Origin {
        Origin {
            audit: audit::Ctx {
                actor: actor.into(),
                ip: "local".into(),
                request_id: String::new(),
            },
            user_agent: String::new(),
        }
    }
}

/// Renders and queues a mail in the caller's transaction: it is sent only
/// if the change commits, and retried until delivered.
pub async fn queue_mail(
    c: &mut AnyConnection,
    state: &Core,
    to: &str,
    t: &Template,
    locale: Locale,
    now: Millis,
) -> Result<()> {
    let m = OutgoingMail::new(to, motcua_mail::render(t, locale));
    let payload = serde_json::to_string(&m).map_err(|e| ServiceError::Internal(e.to_string()))?;
    jobs::enqueue(c, "mail", &payload, state.config.mail_max_attempts, now).await?;
    Ok(())
}

/// A form to `POST` to a partner (a back-channel logout token to a
/// portal): queued with the change, sent by the worker, retried until a
/// 2xx answer; a 4xx other than 408 and 429 is final.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PostForm {
    pub url: String,
    pub form: Vec<(String, String)>,
}

/// Queues `form` to `url` in the caller's transaction.
pub async fn queue_post_form(
    c: &mut AnyConnection,
    state: &Core,
    url: &str,
    form: Vec<(String, String)>,
    now: Millis,
) -> Result<()> {
    let payload = serde_json::to_string(&PostForm {
        url: url.to_string(),
        form,
    })
    .map_err(|e| ServiceError::Internal(e.to_string()))?;
    jobs::enqueue(
        c,
        "post_form",
        &payload,
        state.config.mail_max_attempts,
        now,
    )
    .await?;
    Ok(())
}

/// Sends one queued form; `Err((message, permanent))` on failure. No
/// redirect is followed (the partner must answer itself).
pub async fn deliver_form(state: &Core, p: &PostForm) -> std::result::Result<(), (String, bool)> {
    let client = crate::outbox::http_client(&state.config.events).map_err(|e| (e, false))?;
    let resp = client
        .post(&p.url)
        .form(&p.form)
        .send()
        .await
        .map_err(|e| (format!("{}: {e}", p.url), false))?;
    let s = resp.status();
    if s.is_success() {
        Ok(())
    } else {
        Err((
            format!("{} answered {s}", p.url),
            s.is_client_error() && s.as_u16() != 429 && s.as_u16() != 408,
        ))
    }
}

/// Letters and digits a person copies without confusion (no 0/O, 1/I/L).
const KEY_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A key of `n` characters (at most 32) for `code` under the portal's
/// secret, for purpose `label` (an HMAC: nothing stored, not guessable
/// from the code): the dossier lookup key, feedback's tracking key.
pub fn keyed_code(core: &Core, label: &[u8], code: &str, n: usize) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&core.config.secret_key) else {
        return String::new();
    };
    mac.update(label);
    mac.update(code.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .take(n)
        .map(|b| KEY_ALPHABET[usize::from(*b) % KEY_ALPHABET.len()] as char)
        .collect()
}

/// Whether `given` (spaces, dashes and case ignored) is `expected`, in
/// constant time.
pub fn key_matches(expected: &str, given: &str) -> bool {
    let given: String = given
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    !expected.is_empty()
        && given.len() == expected.len()
        && bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            given.as_bytes(),
        ))
}
