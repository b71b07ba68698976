//! One typed error for the services of every context (issue #6). The web
//! layer maps it once: `NotFound` → 404, `Conflict` → 409, `Forbidden` →
//! 403, `Invalid` → 422 with the message of `key` next to `field`,
//! `Internal` → 500 (logged, never shown).
use motcua_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    /// The action conflicts with the current state (already decided,
    /// already exists); the i18n key says what.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("forbidden")]
    Forbidden,
    /// Bad input: the i18n `key` of the message, and the form `field` it
    /// belongs to, if one.
    #[error("invalid input: {key}")]
    Invalid {
        field: Option<&'static str>,
        key: &'static str,
    },
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// Bad input not tied to one field.
    pub fn invalid(key: &'static str) -> Error {
        Error::Invalid { field: None, key }
    }

    /// Bad input in `field`.
    pub fn field(field: &'static str, key: &'static str) -> Error {
        Error::Invalid {
            field: Some(field),
            key,
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Error::NotFound,
            StoreError::Conflict(what) => Error::Conflict(what),
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<motcua_domain::TransitionError> for Error {
    fn from(e: motcua_domain::TransitionError) -> Self {
        Error::Internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_keep_their_meaning() {
        assert!(matches!(Error::from(StoreError::NotFound), Error::NotFound));
        assert!(matches!(
            Error::from(StoreError::Conflict("username")),
            Error::Conflict("username")
        ));
        assert!(matches!(
            Error::from(StoreError::Writer("gone".into())),
            Error::Internal(m) if m.contains("gone")
        ));
        assert!(matches!(
            Error::field("email", "error.email"),
            Error::Invalid {
                field: Some("email"),
                key: "error.email"
            }
        ));
    }
}
