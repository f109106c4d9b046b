//! Plain HTTP routes beside the Leptos pages.

use axum::{extract::State, http::StatusCode, response::IntoResponse};

use super::{AppError, AppState};

/// Liveness: the process is up and serving. Touches nothing else, so an outage of the database
/// does not get the process restarted in a loop.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers. Load balancers send traffic only while this is 200.
pub async fn readyz(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    state
        .store
        .ping()
        .await
        .map_err(|e| AppError::Unavailable(e.into()))?;
    Ok((StatusCode::OK, "ready"))
}
