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
use std::time::{Duration, SystemTime};

pub use config::{AzureCredentialConfig, SecretStoreConfig, SecretString};
pub use roombook_entra::Secret;

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
    /// Removes the old versions of `name` that `retention` lets go at `now` (see
    /// [`Retention`]): the local vault deletes them, Key Vault (which cannot delete one
    /// version) disables them, so that neither can be read again. Returns how many went.
    /// NotFound if the secret is absent.
    async fn prune(
        &self,
        name: &str,
        retention: &Retention,
        now: SystemTime,
    ) -> Result<usize, SecretError>;
    /// "local" or "azure-key-vault", for logs and the admin page.
    fn backend(&self) -> &'static str;
}

/// Which replaced versions of a secret are kept. The `keep_newest` newest versions always
/// stay (at least the newest, the one in use); an older version goes once the version after
/// it has existed for `older_than`, i.e. it was replaced that long ago.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    pub keep_newest: usize,
    pub older_than: Duration,
}

impl Default for Retention {
    /// The current version and the one before it; anything older after seven days.
    fn default() -> Self {
        Self {
            keep_newest: 2,
            older_than: Duration::from_secs(7 * 86_400),
        }
    }
}

impl Retention {
    /// The versions to remove at `now`, from `(version, created)` of the versions that are
    /// still readable, oldest first.
    pub fn expired<'a>(
        &self,
        versions: &'a [(String, SystemTime)],
        now: SystemTime,
    ) -> Vec<&'a str> {
        let keep = self.keep_newest.max(1);
        let removable = versions.len().saturating_sub(keep);
        (0..removable)
            .filter(|&i| {
                let replaced = versions[i + 1].1;
                now.duration_since(replaced)
                    .is_ok_and(|age| age >= self.older_than)
            })
            .map(|i| versions[i].0.as_str())
            .collect()
    }
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
    fn retention_keeps_the_newest_and_what_was_replaced_recently() {
        let day = Duration::from_secs(86_400);
        let t0 = SystemTime::UNIX_EPOCH + 1000 * day;
        let v = |n: &str, d: u32| (n.to_string(), t0 + day * d);
        // v1 replaced on day 1, v2 on day 10, v3 on day 12, v4 current.
        let versions = [v("v1", 0), v("v2", 1), v("v3", 10), v("v4", 12)];
        let r = Retention::default();
        assert_eq!(r.expired(&versions, t0 + day * 12), vec!["v1"]);
        assert_eq!(r.expired(&versions, t0 + day * 17), vec!["v1", "v2"]);
        // The newest two stay, however old.
        assert_eq!(r.expired(&versions, t0 + day * 999), vec!["v1", "v2"]);
        // Not yet seven days since v2 replaced v1.
        assert!(r.expired(&versions[..3], t0 + day * 7).is_empty());
        assert_eq!(r.expired(&versions[..3], t0 + day * 8), vec!["v1"]);
        // keep_newest 0 still keeps the current version.
        let all = Retention {
            keep_newest: 0,
            older_than: Duration::ZERO,
        };
        assert_eq!(
            all.expired(&versions, t0 + day * 12),
            vec!["v1", "v2", "v3"]
        );
        assert!(all.expired(&versions[..1], t0).is_empty());
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
