//! The one typed error of the services of every context (issue #6). The
//! web layer maps it once (`web::error`): `NotFound` → 404, `Conflict` →
//! 409, `Forbidden` → 403, `Invalid` → the form again with the message of
//! `key` (400 / 422 on the API), `Internal` → 500 (logged, never shown).
//! Pages match on the variant, never on the text of a key to learn what
//! kind of failure it was.
use motcua_domain::account::ValueError;
use motcua_domain::password;
use motcua_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// What was asked for does not exist — or the caller may not know that
    /// it exists (an IDOR answer is `NotFound`, not `Forbidden`).
    #[error("not found")]
    NotFound,
    /// The action conflicts with the current state (already decided,
    /// already exists, changed meanwhile); the i18n key says what.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The caller is known and may see the thing, but not do this.
    #[error("forbidden")]
    Forbidden,
    /// Bad input: the i18n `key` of the message, and the form `field` it
    /// belongs to, if one.
    #[error("invalid input: {key}")]
    Invalid {
        field: Option<&'static str>,
        key: &'static str,
    },
    /// A fault of ours or of a part we depend on (database, blob store,
    /// serialization): logged with its text, shown as "internal error".
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    /// Bad input not tied to one field.
    pub fn invalid(key: &'static str) -> ServiceError {
        ServiceError::Invalid { field: None, key }
    }

    /// Bad input in `field`.
    pub fn field(field: &'static str, key: &'static str) -> ServiceError {
        ServiceError::Invalid {
            field: Some(field),
            key,
        }
    }

    /// The i18n key of the message a person should read.
    pub fn message_key(&self) -> &'static str {
        match self {
            ServiceError::NotFound => "error.not_found",
            ServiceError::Conflict(k) | ServiceError::Invalid { key: k, .. } => k,
            ServiceError::Forbidden => "error.forbidden",
            ServiceError::Internal(_) => "error.internal",
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            // A unique key hit that no service turned into its own message
            // (two requests racing): the store names the key, the person
            // reads the generic "changed meanwhile" message.
            StoreError::Conflict(what) => {
                tracing::info!(what, "unhandled uniqueness conflict");
                ServiceError::Conflict("error.conflict")
            }
            other => ServiceError::Internal(format!("store: {other}")),
        }
    }
}

impl From<motcua_store::DbError> for ServiceError {
    fn from(e: motcua_store::DbError) -> Self {
        StoreError::from(e).into()
    }
}

impl From<motcua_domain::TransitionError> for ServiceError {
    fn from(e: motcua_domain::TransitionError) -> Self {
        ServiceError::Internal(e.to_string())
    }
}

impl From<ValueError> for ServiceError {
    fn from(e: ValueError) -> Self {
        ServiceError::invalid(e.message_key())
    }
}

impl From<password::PolicyError> for ServiceError {
    fn from(e: password::PolicyError) -> Self {
        ServiceError::field("password", e.message_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_keep_their_meaning() {
        assert!(matches!(
            ServiceError::from(StoreError::NotFound),
            ServiceError::NotFound
        ));
        assert!(matches!(
            ServiceError::from(StoreError::Conflict("username")),
            ServiceError::Conflict("error.conflict")
        ));
        assert!(matches!(
            ServiceError::from(StoreError::Writer("gone".into())),
            ServiceError::Internal(m) if m.contains("gone")
        ));
        let e = ServiceError::field("email", "error.email");
        assert!(matches!(
            e,
            ServiceError::Invalid {
                field: Some("email"),
                key: "error.email"
            }
        ));
        assert_eq!(e.message_key(), "error.email");
        assert_eq!(ServiceError::NotFound.message_key(), "error.not_found");
        assert_eq!(ServiceError::Forbidden.message_key(), "error.forbidden");
        assert_eq!(
            ServiceError::Internal("secret detail".into()).message_key(),
            "error.internal"
        );
    }
}
