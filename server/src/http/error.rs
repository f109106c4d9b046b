//! The HTTP layer's error: every error maps to one status and an opaque body. The cause chain
//! goes to the log, never to the client.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::telemetry::error_chain;
use roombook_core::ports::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// The message is written for the person who sent the request and is sent as is.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("conflict")]
    Conflict,
    /// Signed in but not allowed, or a form without the session's CSRF token.
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict => StatusCode::CONFLICT,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::NotFound => "Not found.".into(),
            Self::BadRequest(message) | Self::Forbidden(message) => message.clone(),
            Self::Conflict => "That conflicts with the current state. Reload and try again.".into(),
            Self::Unavailable(_) => {
                "Roombook is temporarily unavailable. Try again in a moment.".into()
            }
            Self::Internal(_) => "Something went wrong on our side. It has been logged.".into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict => Self::Conflict,
            StoreError::Unavailable(_) => Self::Unavailable(e.into()),
            StoreError::Corrupt(_) | StoreError::Internal(_) => Self::Internal(e.into()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), error = %error_chain(&self), "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), error = %self, "request refused");
        }
        (status, Json(json!({ "error": self.public_message() }))).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn server_errors_do_not_leak_their_cause() {
        let cause = anyhow::anyhow!("password authentication failed for user roombook_secret");
        let response = AppError::Internal(cause).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(!body.contains("roombook_secret"), "{body}");
        assert!(body.contains("logged"), "{body}");
    }

    #[test]
    fn each_store_error_has_one_status() {
        let status = |e: StoreError| AppError::from(e).status();
        assert_eq!(status(StoreError::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(status(StoreError::Conflict), StatusCode::CONFLICT);
        assert_eq!(
            status(StoreError::Unavailable("down".into())),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(StoreError::Corrupt("x".into())),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
