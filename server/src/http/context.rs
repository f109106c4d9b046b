//! What the HTTP handlers share: storage, sign-in, onboarding and their settings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::{
    auth::oidc::{ClientAuth, OidcError, OidcProvider},
    onboarding::Onboarding,
};
use roombook_core::domain::{IdentityProvider, Tenant, TenantId};
use roombook_core::ports::storage::Store;

pub struct Context {
    pub store: Arc<dyn Store>,
    /// `None` when no identity provider is configured (sign-in then explains that).
    pub oidc: Option<Arc<OidcProvider>>,
    pub onboarding: Arc<Onboarding>,
    pub bookings: Arc<roombook_core::booking::Bookings>,
    /// Where browsers reach us, without a trailing slash.
    pub public_url: String,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
    pub session_ttl: chrono::Duration,
    /// People of a directory Roombook does not know yet may create their organisation.
    pub open_signup: bool,
    /// `auth.first_admins`, lower-cased.
    pub first_admins: Vec<String>,
    /// The operator's provider: no redirects, the configured roots.
    pub oidc_http: reqwest::Client,
    /// Organisations' own providers: built by [`Context::guard`], no redirects.
    pub org_oidc_http: reqwest::Client,
    /// Where organisations may point Roombook.
    pub guard: roombook_outbound::Guard,
    /// One provider per organisation with its own, rebuilt when its settings change.
    pub tenant_providers: Mutex<HashMap<TenantId, (IdentityProvider, Arc<OidcProvider>)>>,
}

impl Context {
    /// The organisation's own provider (ADFS, …), if it has one.
    pub async fn provider_for(
        &self,
        tenant: &Tenant,
    ) -> Result<Option<Arc<OidcProvider>>, OidcError> {
        let Some(settings) = tenant.identity_provider.clone() else {
            return Ok(None);
        };
        if let Some((cached, provider)) = self
            .tenant_providers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&tenant.id)
            && *cached == settings
        {
            return Ok(Some(provider.clone()));
        }
        let auth = match &settings.secret {
            None => ClientAuth::None,
            Some(secret) => {
                let reference = roombook_secrets::SecretRef::new(
                    secret.name.clone(),
                    secret.version.clone().unwrap_or_default(),
                );
                let value = self
                    .onboarding
                    .secrets()
                    .get(&reference)
                    .await
                    .map_err(|e| OidcError::Refused(format!("client secret: {e}")))?;
                ClientAuth::Secret(value)
            }
        };
        let provider = Arc::new(OidcProvider::for_organisation(
            self.org_oidc_http.clone(),
            &settings.issuer,
            &settings.client_id,
            auth,
            self.guard,
        ));
        self.tenant_providers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenant.id, (settings, provider.clone()));
        Ok(Some(provider))
    }

    pub fn redirect_uri(&self) -> String {
        format!("{}/auth/callback", self.public_url)
    }
}
