//! The secret store: one interface, two backends (Azure Key Vault, an encrypted local vault).
//! The database keeps only a secret's name and version ([`SecretRef`]); the value lives here.
//!
//! - [`SecretStore`]: `put` writes a new version and returns its reference, `get` reads that
//!   exact version, `delete` removes the secret with all its versions.
//! - [`open`] builds the backend a [`SecretStoreConfig`] names: `local` (AES-256-GCM files in a
//!   directory, see `local.rs`) or `azure_key_vault` (the official Azure SDK, see `azure.rs`).
//!
//! Secret values never reach a log, an error message or a `Debug` output: they travel as
//! [`Secret`], whose `Debug` and `Display` print `[redacted]`.

mod azure;
mod config;
mod local;

use std::sync::Arc;

pub use config::{AzureCredentialConfig, SecretStoreConfig, SecretString};
pub use roombook_ews::Secret;

/// The cause of an error, kept for the log.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where a secret's value is: its name and the version `put` returned. This is what the
/// database stores.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SecretRef {
    pub name: String,
    pub version: String,
}

impl SecretRef {
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
        }
    }
}

/// Why a secret-store call failed. Each message is a sentence an admin can act on; none holds
/// a secret value. Details (HTTP status, Entra error, file and OS error) are in the source
/// chain, for the log.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No such secret, or no such version of it.
    #[error(
        "the secret store has no secret `{name}` (or not the version asked for); \
         enter the value again so that it is stored anew"
    )]
    NotFound { name: String },
    /// The name breaks Key Vault's rule `^[0-9A-Za-z-]{1,127}$` (also applied locally).
    #[error(
        "`{0}` is not a valid secret name: use 1 to 127 characters, each a letter (A-Z, a-z), \
         a digit or a hyphen"
    )]
    InvalidName(String),
    /// Key Vault answered 401/403, or Entra ID refused the credential.
    #[error(
        "the secret store refused access: check that the configured identity and its \
         credential (client secret, certificate, managed or workload identity) are valid and \
         that it may get, set and delete secrets in the vault (an access policy, or the role \
         Key Vault Secrets Officer)"
    )]
    AccessDenied(#[source] BoxError),
    /// Network error, timeout, or a 5xx/429 answer after the retries.
    #[error(
        "the secret store cannot be reached or is not answering; check the network and the \
         vault URL, then try again"
    )]
    Unavailable(#[source] BoxError),
    /// Local vault: a file was changed or the key is not the one it was written with.
    #[error("{0}")]
    Corrupt(String),
    /// The configuration cannot work (bad key, unreadable certificate, unsafe key file, …).
    /// The message names the setting or file and what to do.
    #[error("{0}")]
    Config(String),
    /// Anything else.
    #[error("the secret store failed unexpectedly; the server log has the cause")]
    Internal(#[source] BoxError),
}

/// A store of versioned secrets.
#[async_trait::async_trait]
pub trait SecretStore: Send + Sync {
    /// Stores `value` as a NEW version of `name` (creating it if absent); returns name + version.
    async fn put(&self, name: &str, value: &Secret) -> Result<SecretRef, SecretError>;
    /// That exact version.
    async fn get(&self, reference: &SecretRef) -> Result<Secret, SecretError>;
    /// Deletes the secret with all its versions (Key Vault: soft delete). NotFound if absent.
    async fn delete(&self, name: &str) -> Result<(), SecretError>;
    /// "local" or "azure-key-vault", for logs and the admin page.
    fn backend(&self) -> &'static str;
}

/// Opens the backend `config` names. The local vault creates its directory and key file on
/// first start and checks the key against the vault; Key Vault is not contacted here (its
/// first call authenticates).
pub async fn open(config: &SecretStoreConfig) -> Result<Arc<dyn SecretStore>, SecretError> {
    match config {
        SecretStoreConfig::Local { path, key } => {
            Ok(Arc::new(local::LocalVault::open(path, key.as_ref()).await?))
        }
        SecretStoreConfig::AzureKeyVault {
            vault_url,
            credential,
            authority_host,
            extra_ca_pem,
            resolve,
            max_retries,
        } => Ok(Arc::new(azure::AzureKeyVault::open(azure::Options {
            vault_url,
            credential,
            authority_host: authority_host.as_deref(),
            extra_ca_pem: extra_ca_pem.as_deref(),
            resolve,
            max_retries: max_retries.unwrap_or(azure::DEFAULT_MAX_RETRIES),
        })?)),
    }
}

/// Key Vault's rule for secret names: `^[0-9A-Za-z-]{1,127}$`.
pub fn validate_name(name: &str) -> Result<(), SecretError> {
    let ok = !name.is_empty()
        && name.len() <= 127
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(SecretError::InvalidName(name.to_string()))
    }
}

/// A version id both backends can have: Key Vault's are 32 hex characters, ours too. Anything
/// else (empty, `/`, …) cannot exist, so it is reported as not found.
fn plausible_version(version: &str) -> bool {
    !version.is_empty() && version.len() <= 64 && version.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_key_vault_rules() {
        for ok in ["a", "ews-password", "A-1", &"x".repeat(127)] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a_b", "a.b", "a/b", "ä", " a", &"x".repeat(128)] {
            assert!(
                matches!(validate_name(bad), Err(SecretError::InvalidName(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn versions_that_cannot_exist() {
        assert!(plausible_version("0123456789abcdef0123456789abcdef"));
        assert!(!plausible_version(""));
        assert!(!plausible_version("../x"));
        assert!(!plausible_version(&"a".repeat(65)));
    }

    #[test]
    fn error_messages_are_sentences_without_values() {
        let e = SecretError::NotFound {
            name: "ews-password".into(),
        };
        assert!(e.to_string().contains("ews-password"));
        let e = SecretError::AccessDenied("AADSTS7000215: Invalid client secret".into());
        assert!(!e.to_string().contains("AADSTS"));
        assert!(
            std::error::Error::source(&e)
                .unwrap()
                .to_string()
                .contains("AADSTS")
        );
    }
}
