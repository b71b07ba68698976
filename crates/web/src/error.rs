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

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<motcua_store::StoreError> for AppError {
    fn from(e: motcua_store::StoreError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<motcua_kernel::service::ServiceError> for AppError {
    fn from(e: motcua_kernel::service::ServiceError) -> Self {
        match e {
            motcua_kernel::service::ServiceError::Invalid(k) => AppError::BadRequest(k),
            other => AppError::Internal(other.to_string()),
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

pub type PageResult<T = Response> = Result<T, AppError>;
