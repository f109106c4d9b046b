//! Configuration of the secret store, the `[secrets]` section of the server's configuration.
//!
//! Deserialized by the server with figment (defaults, then TOML, then `ROOMBOOK_SECRETS__…`
//! environment variables). `Debug` prints `[redacted]` for every secret. `Serialize` writes the
//! real values, because figment layers configuration by serializing it: never serialize a
//! configuration to show it; use `Debug`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Secret;

/// Where the local vault lives when the configuration does not say.
pub const DEFAULT_LOCAL_PATH: &str = "data/secrets";

/// Which secret store, and how to reach it.
///
/// ```toml
/// [secrets]
/// backend = "local"          # or "azure_key_vault"
/// path = "data/secrets"
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "snake_case", deny_unknown_fields)]
pub enum SecretStoreConfig {
    /// An encrypted vault in a local directory (the single-machine default).
    Local {
        /// The vault directory (created with mode 0700). It holds `vault.key` unless `key` is
        /// set, `vault.check`, and one `<name>.json` per secret.
        #[serde(
            default = "default_local_path",
            skip_serializing_if = "is_default_local_path"
        )]
        path: PathBuf,
        /// The vault key, base64 of 32 bytes (e.g. `ROOMBOOK_SECRETS__KEY`). Without it the key
        /// is read from `<path>/vault.key`, created on first start.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<SecretString>,
    },
    /// Azure Key Vault, through the official SDK.
    AzureKeyVault {
        /// `https://<vault-name>.vault.azure.net`
        vault_url: String,
        /// How Roombook authenticates to Entra ID.
        credential: AzureCredentialConfig,
        /// The Entra authority host; default `https://login.microsoftonline.com`. For
        /// sovereign clouds, and for tests against a simulated Entra ID.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        authority_host: Option<String>,
        /// A PEM file of extra root certificates to trust (a TLS-inspecting proxy, a test CA).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra_ca_pem: Option<PathBuf>,
        /// Fixed name resolution, host → address (tests: `"roombook.vault.localhost" =
        /// "127.0.0.1:8443"`). A port in the URL wins over the address's port.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        resolve: BTreeMap<String, SocketAddr>,
        /// Retries of a call that failed on the network or with 408/429/5xx (exponential
        /// back-off from 200 ms, 30 s at most in all). Default 3.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_retries: Option<u32>,
    },
}

impl Default for SecretStoreConfig {
    fn default() -> Self {
        SecretStoreConfig::Local {
            path: default_local_path(),
            key: None,
        }
    }
}

fn default_local_path() -> PathBuf {
    PathBuf::from(DEFAULT_LOCAL_PATH)
}

fn is_default_local_path(path: &Path) -> bool {
    path == Path::new(DEFAULT_LOCAL_PATH)
}

/// The identity Roombook uses for Key Vault. `kind` selects it.
///
/// ```toml
/// [secrets.credential]
/// kind = "managed_identity"   # or "workload_identity", "client_secret", "client_certificate"
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AzureCredentialConfig {
    /// The managed identity of the VM, App Service or container the server runs in.
    ManagedIdentity {
        /// The client id of a user-assigned identity; none for the system-assigned one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    /// Entra Workload ID on Kubernetes. Each field defaults to the variable the AKS webhook
    /// sets: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`.
    WorkloadIdentity {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tenant_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_file: Option<PathBuf>,
    },
    /// An app registration with a client secret.
    ClientSecret {
        tenant_id: String,
        client_id: String,
        secret: SecretString,
    },
    /// An app registration with a certificate: a PKCS#12 (`.pfx`) file with an RSA key.
    ClientCertificate {
        tenant_id: String,
        client_id: String,
        pfx_path: PathBuf,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pfx_password: Option<SecretString>,
    },
}

/// A secret in the configuration (a key, a client secret, a certificate password). `Debug` and
/// `Display` print `[redacted]`; deserializes from a string only (figment parses an environment
/// variable such as `0123` as a number, which would lose the zero: quote it, `'"0123"'`).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Secret);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Secret::new(value))
    }

    /// The value. Call only where it is used.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    pub fn as_secret(&self) -> &Secret {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<Secret> for SecretString {
    fn from(value: Secret) -> Self {
        Self(value)
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SecretString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // figment reads `ROOMBOOK_…=0123` as the number 123: refuse rather than
                // store a different secret.
                f.write_str(
                    "a string (in an environment variable, put a value that looks like a \
                     number or a boolean in double quotes: ROOMBOOK_…='\"0123\"')",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SecretString, E> {
                Ok(SecretString::new(v))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<SecretString, E> {
                Ok(SecretString::new(v))
            }
            // serde's own message would quote the value: never for a secret.
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<SecretString, E> {
                Err(not_a_string())
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<SecretString, E> {
                Err(not_a_string())
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<SecretString, E> {
                Err(not_a_string())
            }
            fn visit_i128<E: serde::de::Error>(self, _: i128) -> Result<SecretString, E> {
                Err(not_a_string())
            }
            fn visit_u128<E: serde::de::Error>(self, _: u128) -> Result<SecretString, E> {
                Err(not_a_string())
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<SecretString, E> {
                Err(not_a_string())
            }
            fn visit_char<E: serde::de::Error>(self, v: char) -> Result<SecretString, E> {
                Ok(SecretString::new(v.to_string()))
            }
        }
        fn not_a_string<E: serde::de::Error>() -> E {
            E::custom(
                "a secret must be a string; in an environment variable, put a value that looks \
                 like a number or a boolean in double quotes: ROOMBOOK_…='\"0123\"'",
            )
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
// figment's `Jail::expect_with` and `extract` return its large `figment::Error`.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Figment;
    use figment::providers::{Env, Format, Serialized, Toml};

    /// The server's shape: `[secrets]` in a config with defaults.
    #[derive(Debug, Default, Serialize, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Root {
        secrets: SecretStoreConfig,
    }

    /// The server's layering: defaults, then the TOML, then `ROOMBOOK_` variables.
    fn load(toml: &str) -> Result<SecretStoreConfig, figment::Error> {
        Figment::from(Serialized::defaults(Root::default()))
            .merge(Toml::string(toml))
            // As the server does: the test suite's own `ROOMBOOK_TEST_*` variables are not
            // configuration (CI sets ROOMBOOK_TEST_POSTGRES_URL).
            .merge(
                Env::prefixed("ROOMBOOK_")
                    .filter(|k| !k.as_str().to_ascii_uppercase().starts_with("TEST_"))
                    .split("__"),
            )
            .extract::<Root>()
            .map(|r| r.secrets)
    }

    #[test]
    fn default_is_the_local_vault_in_data_secrets() {
        figment::Jail::expect_with(|_| {
            assert_eq!(
                load("").unwrap(),
                SecretStoreConfig::Local {
                    path: PathBuf::from("data/secrets"),
                    key: None
                }
            );
            Ok(())
        });
    }

    #[test]
    fn local_with_the_key_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
            jail.set_env("ROOMBOOK_SECRETS__KEY", key);
            let config =
                load("[secrets]\nbackend = \"local\"\npath = \"/var/lib/roombook/secrets\"\n")
                    .unwrap();
            assert_eq!(
                config,
                SecretStoreConfig::Local {
                    path: PathBuf::from("/var/lib/roombook/secrets"),
                    key: Some(SecretString::new(key)),
                }
            );
            Ok(())
        });
    }

    #[test]
    fn azure_client_secret_over_the_local_default() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("ROOMBOOK_SECRETS__CREDENTIAL__SECRET", "s3cr3t~value");
            let config = load(
                r#"
                [secrets]
                backend = "azure_key_vault"
                vault_url = "https://contoso-roombook.vault.azure.net"
                max_retries = 5
                [secrets.credential]
                kind = "client_secret"
                tenant_id = "11111111-2222-3333-4444-555555555555"
                client_id = "66666666-7777-8888-9999-000000000000"
                "#,
            )
            .unwrap();
            assert_eq!(
                config,
                SecretStoreConfig::AzureKeyVault {
                    vault_url: "https://contoso-roombook.vault.azure.net".into(),
                    credential: AzureCredentialConfig::ClientSecret {
                        tenant_id: "11111111-2222-3333-4444-555555555555".into(),
                        client_id: "66666666-7777-8888-9999-000000000000".into(),
                        secret: SecretString::new("s3cr3t~value"),
                    },
                    authority_host: None,
                    extra_ca_pem: None,
                    resolve: BTreeMap::new(),
                    max_retries: Some(5),
                }
            );
            Ok(())
        });
    }

    #[test]
    fn every_credential_kind_parses() {
        figment::Jail::expect_with(|_| {
            let base = "[secrets]\nbackend = \"azure_key_vault\"\nvault_url = \"https://v.vault.azure.net\"\n";
            let cases = [
                (
                    "[secrets.credential]\nkind = \"managed_identity\"\n",
                    AzureCredentialConfig::ManagedIdentity { client_id: None },
                ),
                (
                    "[secrets.credential]\nkind = \"managed_identity\"\nclient_id = \"abc\"\n",
                    AzureCredentialConfig::ManagedIdentity {
                        client_id: Some("abc".into()),
                    },
                ),
                (
                    "[secrets.credential]\nkind = \"workload_identity\"\n",
                    AzureCredentialConfig::WorkloadIdentity {
                        tenant_id: None,
                        client_id: None,
                        token_file: None,
                    },
                ),
                (
                    "[secrets.credential]\nkind = \"workload_identity\"\ntenant_id = \"t\"\nclient_id = \"c\"\ntoken_file = \"/var/run/secrets/azure/tokens/azure-identity-token\"\n",
                    AzureCredentialConfig::WorkloadIdentity {
                        tenant_id: Some("t".into()),
                        client_id: Some("c".into()),
                        token_file: Some(PathBuf::from(
                            "/var/run/secrets/azure/tokens/azure-identity-token",
                        )),
                    },
                ),
                (
                    "[secrets.credential]\nkind = \"client_certificate\"\ntenant_id = \"t\"\nclient_id = \"c\"\npfx_path = \"/etc/roombook/kv.pfx\"\npfx_password = \"pw\"\n",
                    AzureCredentialConfig::ClientCertificate {
                        tenant_id: "t".into(),
                        client_id: "c".into(),
                        pfx_path: PathBuf::from("/etc/roombook/kv.pfx"),
                        pfx_password: Some(SecretString::new("pw")),
                    },
                ),
            ];
            for (credential, expected) in cases {
                match load(&format!("{base}{credential}")).unwrap() {
                    SecretStoreConfig::AzureKeyVault { credential, .. } => {
                        assert_eq!(credential, expected)
                    }
                    other => panic!("{other:?}"),
                }
            }
            Ok(())
        });
    }

    #[test]
    fn test_hooks_parse() {
        figment::Jail::expect_with(|_| {
            let config = load(
                r#"
                [secrets]
                backend = "azure_key_vault"
                vault_url = "https://roombook.vault.localhost:8443"
                authority_host = "https://localhost:8443"
                extra_ca_pem = "/tmp/ca.pem"
                resolve = { "roombook.vault.localhost" = "127.0.0.1:8443", "localhost" = "127.0.0.1:8443" }
                credential = { kind = "managed_identity" }
                "#,
            )
            .unwrap();
            let SecretStoreConfig::AzureKeyVault {
                authority_host,
                extra_ca_pem,
                resolve,
                ..
            } = config
            else {
                panic!("{config:?}")
            };
            assert_eq!(authority_host.as_deref(), Some("https://localhost:8443"));
            assert_eq!(extra_ca_pem, Some(PathBuf::from("/tmp/ca.pem")));
            assert_eq!(resolve.len(), 2);
            assert_eq!(
                resolve["roombook.vault.localhost"],
                "127.0.0.1:8443".parse().unwrap()
            );
            Ok(())
        });
    }

    #[test]
    fn unknown_and_misplaced_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            let err = load("[secrets]\nbackend = \"local\"\npaht = \"x\"\n").unwrap_err();
            assert!(err.to_string().contains("paht"), "{err}");
            let err = load("[secrets]\nbackend = \"keychain\"\n").unwrap_err();
            assert!(err.to_string().contains("keychain"), "{err}");
            // A key for the local vault makes no sense with Key Vault.
            jail.set_env("ROOMBOOK_SECRETS__KEY", "abc");
            let err = load(
                "[secrets]\nbackend = \"azure_key_vault\"\nvault_url = \"https://v.vault.azure.net\"\ncredential = { kind = \"managed_identity\" }\n",
            )
            .unwrap_err();
            assert!(err.to_string().contains("key"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn numeric_secret_from_the_environment_must_be_quoted() {
        figment::Jail::expect_with(|jail| {
            let toml = "[secrets]\nbackend = \"azure_key_vault\"\nvault_url = \"https://v.vault.azure.net\"\n[secrets.credential]\nkind = \"client_secret\"\ntenant_id = \"t\"\nclient_id = \"c\"\n";
            // figment would turn this into the number 123456789: refused, with the fix.
            jail.set_env("ROOMBOOK_SECRETS__CREDENTIAL__SECRET", "0123456789");
            let err = load(toml).unwrap_err().to_string();
            assert!(err.contains("double quotes"), "{err}");
            assert!(
                !err.contains("123456789"),
                "the value must not be echoed: {err}"
            );
            jail.set_env("ROOMBOOK_SECRETS__CREDENTIAL__SECRET", "\"0123456789\"");
            let config = load(toml).unwrap();
            let SecretStoreConfig::AzureKeyVault {
                credential: AzureCredentialConfig::ClientSecret { secret, .. },
                ..
            } = config
            else {
                panic!("{config:?}")
            };
            assert_eq!(secret.expose(), "0123456789");
            Ok(())
        });
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let configs = [
            SecretStoreConfig::Local {
                path: PathBuf::from("/v"),
                key: Some(SecretString::new("LOCAL-KEY-VALUE")),
            },
            SecretStoreConfig::AzureKeyVault {
                vault_url: "https://v.vault.azure.net".into(),
                credential: AzureCredentialConfig::ClientSecret {
                    tenant_id: "t".into(),
                    client_id: "c".into(),
                    secret: SecretString::new("CLIENT-SECRET-VALUE"),
                },
                authority_host: None,
                extra_ca_pem: None,
                resolve: BTreeMap::new(),
                max_retries: None,
            },
            SecretStoreConfig::AzureKeyVault {
                vault_url: "https://v.vault.azure.net".into(),
                credential: AzureCredentialConfig::ClientCertificate {
                    tenant_id: "t".into(),
                    client_id: "c".into(),
                    pfx_path: PathBuf::from("/c.pfx"),
                    pfx_password: Some(SecretString::new("PFX-PASSWORD-VALUE")),
                },
                authority_host: None,
                extra_ca_pem: None,
                resolve: BTreeMap::new(),
                max_retries: None,
            },
        ];
        for config in configs {
            for shown in [format!("{config:?}"), format!("{config:#?}")] {
                assert!(shown.contains("[redacted]"), "{shown}");
                assert!(!shown.contains("VALUE"), "{shown}");
            }
        }
        let s = SecretString::new("PLAIN-VALUE");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
    }
}
