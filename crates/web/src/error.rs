//! One error type for pages, mapped to HTTP in one place. The response
//! carries an [`ErrorInfo`] extension; the error-page middleware renders
//! it in the visitor's language (it knows the locale, the error does not).
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
pub struct ErrorInfo {
    /// i18n key of the message.
    pub key: &'static str,
}

/// Marks an error response whose body a protocol defines (OAuth 2.0's
/// `{"error": …}`, RFC 6749 §5.2; a Bearer challenge): the error layer
/// passes it as it is instead of making it an RFC 9457 problem.
#[derive(Debug, Clone, Copy)]
pub struct ProtocolError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The state changed under the request; the i18n key says how.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("internal error: {0}")]
    Internal(String),
}

/// A store error means what the service error it converts to means: one
/// mapping for both (`kernel::error`).
impl From<motcua_store::StoreError> for AppError {
    fn from(e: motcua_store::StoreError) -> Self {
        motcua_kernel::ServiceError::from(e).into()
    }
}

impl From<motcua_kernel::ServiceError> for AppError {
    fn from(e: motcua_kernel::ServiceError) -> Self {
        use motcua_kernel::ServiceError as E;
        match e {
            E::NotFound => AppError::NotFound,
            E::Forbidden => AppError::Forbidden,
            E::Conflict(k) => AppError::Conflict(k),
            E::Invalid { key, .. } => AppError::BadRequest(key),
            E::Internal(m) => AppError::Internal(m),
        }
    }
}

impl From<motcua_identity::hashing::HashError> for AppError {
    fn from(e: motcua_identity::hashing::HashError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, key) = match &self {
            AppError::NotFound => (StatusCode::NOT_FOUND, "error.not_found"),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "error.forbidden"),
            AppError::BadRequest(k) => (StatusCode::BAD_REQUEST, *k),
            AppError::Conflict(k) => (StatusCode::CONFLICT, *k),
            AppError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
            }
        };
        let mut r = status.into_response();
        r.extensions_mut().insert(ErrorInfo { key });
        r
    }
}

/// A service's refusal that a page shows beside its form, with the status
/// the kind of error gives it: bad input 422, a state that changed 409.
/// The page never looks at the key to choose the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub key: &'static str,
    pub status: StatusCode,
}

impl Refusal {
    /// Bad input found by the page itself.
    pub fn invalid(key: &'static str) -> Refusal {
        Refusal {
            key,
            status: StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// The refusal to show for `e`, or `e` back when it is not one (not
    /// found, forbidden, internal: the caller maps those with `AppError`).
    pub fn of(e: motcua_kernel::ServiceError) -> Result<Refusal, motcua_kernel::ServiceError> {
        use motcua_kernel::ServiceError as E;
        match e {
            E::Invalid { key, .. } => Ok(Refusal::invalid(key)),
            E::Conflict(key) => Ok(Refusal {
                key,
                status: StatusCode::CONFLICT,
            }),
            other => Err(other),
        }
    }
}

pub type PageResult<T = Response> = Result<T, AppError>;
