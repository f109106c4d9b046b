//! Why a server function failed, as a type both sides share: the server says which case it is,
//! the page decides what to show (a sign-in link for [`ServiceError::NotSignedIn`], never by
//! reading the sentence). The cause has already been logged on the server; it is never sent.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ServiceError {
    #[error("Roombook cannot reach its database right now. Try again in a moment.")]
    Unavailable,
    #[error("No organisation is set up yet. An administrator connects one to Exchange first.")]
    NoTenant,
    #[error("Sign in to see this page.")]
    NotSignedIn,
    #[error("Only administrators of your organisation can see this page.")]
    NotAdmin,
    /// The request cannot be answered as asked; the sentence says why.
    #[error("{0}")]
    Invalid(String),
    #[error("That booking does not exist.")]
    NotFound,
    /// Exchange slow, throttled, down or not connected: the sentence says which.
    #[error("{0}")]
    Exchange(String),
    /// The browser could not reach Roombook (offline, server restarting).
    #[error("Roombook could not be reached. Check your connection and try again.")]
    Unreachable,
    /// Anything else the server-function machinery reports (a malformed request or answer).
    #[error("Something went wrong on our side. Try again in a moment.")]
    Internal,
}

impl ServiceError {
    /// Whether signing in is what would help (the page then offers a sign-in link).
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, Self::NotSignedIn)
    }
}

impl FromServerFnError for ServiceError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => Self::Unreachable,
            _ => Self::Internal,
        }
    }
}
