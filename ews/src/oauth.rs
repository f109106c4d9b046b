//! App-only OAuth with a certificate: the certificate, the client assertion and the token
//! cache live in `roombook-entra` (sign-in and the Key Vault credential use them too); this
//! module makes the token cache the EWS client's credential provider.

pub use roombook_entra::{
    AppOnlyOAuth, AssertionAlgorithm, ClientCertificate, DEFAULT_AUTHORITY, EWS_SCOPE, EntraError,
    MAX_TOKEN_LIFETIME, REFRESH_MARGIN, client_assertion,
};

use crate::auth::{CredentialProvider, Credentials};
use crate::error::AuthError;

impl CredentialProvider for AppOnlyOAuth {
    async fn credentials(&self) -> Result<Credentials, AuthError> {
        Ok(Credentials::Bearer(self.token().await?))
    }

    fn rejected(&self, rejected: &Credentials) {
        if let Credentials::Bearer(t) = rejected {
            self.invalidate(t);
        }
    }

    fn retry_on_unauthorized(&self) -> bool {
        true
    }
}
