//! What the HTTP handlers share: storage, sign-in, onboarding and their settings.

use std::sync::Arc;

use crate::{auth::oidc::OidcProvider, onboarding::Onboarding, storage::Store};

pub struct Context {
    pub store: Arc<dyn Store>,
    /// `None` when no identity provider is configured (sign-in then explains that).
    pub oidc: Option<Arc<OidcProvider>>,
    pub onboarding: Arc<Onboarding>,
    /// Where browsers reach us, without a trailing slash.
    pub public_url: String,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
    pub session_ttl: chrono::Duration,
    /// People of a directory Roombook does not know yet may create their organisation.
    pub open_signup: bool,
}

impl Context {
    pub fn redirect_uri(&self) -> String {
        format!("{}/auth/callback", self.public_url)
    }
}
