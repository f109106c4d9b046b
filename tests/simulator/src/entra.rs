//! The simulated Entra ID: app registrations, the v2 token endpoint and the validation of
//! the access tokens EWS receives.

use crate::directory::MailboxScope;

/// What EWS learns from a valid app-only access token.
#[derive(Debug, Clone, PartialEq)]
pub struct AppToken {
    pub client_id: String,
    /// `None`: the token has no `full_access_as_app` role.
    pub scope: Option<MailboxScope>,
}

#[derive(Debug, Default)]
pub struct Entra {}

impl Entra {
    /// Validates a bearer token sent to EWS. The error is the `x-ms-diagnostics` value.
    pub fn validate_ews_token(&self, _token: &str) -> Result<AppToken, String> {
        Err("2000001;reason=\"The token is invalid.\";error_category=\"invalid_token\"".into())
    }
}
