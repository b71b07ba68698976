//! Pages: Declarant registration and review (R-ID-1…4).
use crate::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
