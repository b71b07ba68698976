//! Pages: Civil-servant provisioning by ministries (R-ID-6…8).
use crate::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
