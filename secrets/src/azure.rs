//! Azure Key Vault through the official SDK (`azure_security_keyvault_secrets` +
//! `azure_identity`).
//!
//! - put = `set_secret` (Key Vault makes a new version; we read it from the returned id
//!   `{vault}/secrets/{name}/{version}`), get = `get_secret` with that version, delete =
//!   `delete_secret` (soft delete: the name stays taken until the deleted secret is purged).
//! - Errors: 404 → NotFound; 401/403 and credentials Entra ID refuses → AccessDenied; network,
//!   timeouts, 408/429/5xx → Unavailable (after the SDK's retries).
//! - The transport is our own reqwest 0.13 client (timeouts; optional extra root CA and fixed
//!   name resolution, for a private CA and for tests against the simulator).
//! - The certificate credential signs its own client assertion (PS256 with `x5t#S256`, the
//!   form Microsoft documents today, built by the `ews` crate for EWS already) and hands it to
//!   the SDK's `ClientAssertionCredential`. The SDK's `ClientCertificateCredential` sends
//!   RS256 with a standard-base64 `x5t` (see shared/reference/entra-keyvault.md §1.4).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::error::ErrorKind;
use azure_core::http::{
    ClientMethodOptions, ClientOptions, ExponentialRetryOptions, RetryOptions, Transport, Url,
};
use azure_identity::{
    ClientAssertion, ClientAssertionCredential, ClientAssertionCredentialOptions,
    ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use azure_security_keyvault_secrets::models::{
    SecretAttributes, SecretClientGetSecretOptions, SecretClientUpdateSecretPropertiesOptions,
    SetSecretParameters, UpdateSecretPropertiesParameters,
};
use azure_security_keyvault_secrets::{ResourceExt, SecretClient, SecretClientOptions};
use futures_util::StreamExt;
use roombook_entra::{AssertionAlgorithm, ClientCertificate, client_assertion};

use crate::{
    AzureCredentialConfig, BoxError, Retention, Secret, SecretError, SecretRef, SecretStore,
    plausible_version, validate_name,
};

pub(crate) const DEFAULT_MAX_RETRIES: u32 = 3;
const PUBLIC_AUTHORITY: &str = "https://login.microsoftonline.com";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What [`AzureKeyVault::open`] needs, borrowed from the configuration.
pub(crate) struct Options<'a> {
    pub vault_url: &'a str,
    pub credential: &'a AzureCredentialConfig,
    pub authority_host: Option<&'a str>,
    pub extra_ca_pem: Option<&'a Path>,
    pub resolve: &'a BTreeMap<String, SocketAddr>,
    pub max_retries: u32,
}

pub(crate) struct AzureKeyVault {
    client: SecretClient,
    vault_url: String,
}

impl std::fmt::Debug for AzureKeyVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureKeyVault")
            .field("vault_url", &self.vault_url)
            .finish_non_exhaustive()
    }
}

fn config_error(message: String) -> SecretError {
    SecretError::Config(message)
}

impl AzureKeyVault {
    /// Builds the client; nothing is sent until the first call.
    pub(crate) fn open(options: Options<'_>) -> Result<Self, SecretError> {
        let url = Url::parse(options.vault_url)
            .ok()
            .filter(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()));
        if url.is_none() {
            return Err(config_error(format!(
                "secrets.vault_url `{}` is not an https URL; use the vault's URI from the Azure \
                 portal, such as https://contoso-roombook.vault.azure.net",
                options.vault_url
            )));
        }

        let mut http = reqwest013::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT);
        if let Some(path) = options.extra_ca_pem {
            let pem = std::fs::read(path).map_err(|e| {
                config_error(format!(
                    "cannot read secrets.extra_ca_pem {} ({e}); point it at a PEM file of root \
                     certificates",
                    path.display()
                ))
            })?;
            let certs = reqwest013::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    config_error(format!(
                        "secrets.extra_ca_pem {} holds no PEM certificate",
                        path.display()
                    ))
                })?;
            http = http.tls_certs_merge(certs);
        }
        for (host, addr) in options.resolve {
            http = http.resolve(host, *addr);
        }
        let http = http
            .build()
            .map_err(|e| SecretError::Internal(Box::new(e)))?;

        let mut client_options = ClientOptions {
            transport: Some(Transport::new(Arc::new(http))),
            retry: RetryOptions::exponential(ExponentialRetryOptions {
                max_retries: options.max_retries,
                max_total_elapsed: azure_core::time::Duration::seconds(30),
                ..Default::default()
            }),
            ..Default::default()
        };
        let authority = options.authority_host.unwrap_or(PUBLIC_AUTHORITY);
        let authority_url = Url::parse(authority)
            .ok()
            .filter(|u| u.scheme() == "https")
            .ok_or_else(|| {
                config_error(format!(
                    "secrets.authority_host `{authority}` is not an https URL; leave it out for \
                     Azure's public cloud (https://login.microsoftonline.com)"
                ))
            })?;
        if options.authority_host.is_some() {
            let mut custom = CustomConfiguration::default();
            custom.authority_host = authority.to_string();
            client_options.cloud = Some(Arc::new(CloudConfiguration::Custom(custom)));
        }

        let credential = credential(options.credential, &client_options, &authority_url)?;
        let client = SecretClient::new(
            options.vault_url,
            credential,
            Some(SecretClientOptions {
                client_options,
                ..Default::default()
            }),
        )
        .map_err(|e| {
            config_error(format!(
                "secrets.vault_url `{}` is not usable: {e}",
                options.vault_url
            ))
        })?;
        Ok(AzureKeyVault {
            client,
            vault_url: options.vault_url.to_string(),
        })
    }
}

/// The credential the configuration names.
fn credential(
    config: &AzureCredentialConfig,
    client_options: &ClientOptions,
    authority: &Url,
) -> Result<Arc<dyn TokenCredential>, SecretError> {
    let refused = |what: &str, e: azure_core::Error| {
        config_error(format!("the {what} credential cannot be used: {e}"))
    };
    match config {
        AzureCredentialConfig::ManagedIdentity { client_id } => {
            let options = ManagedIdentityCredentialOptions {
                user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                client_options: client_options.clone(),
            };
            Ok(ManagedIdentityCredential::new(Some(options))
                .map_err(|e| refused("managed identity", e))?)
        }
        AzureCredentialConfig::WorkloadIdentity {
            tenant_id,
            client_id,
            token_file,
        } => {
            if let Some(path) = token_file
                && !path.is_file()
            {
                return Err(config_error(format!(
                    "the workload identity token file {} does not exist; check the pod's \
                     service account and the azure.workload.identity/use label, or the \
                     credential's token_file",
                    path.display()
                )));
            }
            let options = WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: client_options.clone(),
                },
                client_id: client_id.clone(),
                tenant_id: tenant_id.clone(),
                token_file_path: token_file.clone(),
            };
            Ok(WorkloadIdentityCredential::new(Some(options))
                .map_err(|e| refused("workload identity", e))?)
        }
        AzureCredentialConfig::ClientSecret {
            tenant_id,
            client_id,
            secret,
        } => Ok(ClientSecretCredential::new(
            tenant_id,
            client_id.clone(),
            secret.expose().to_string().into(),
            Some(ClientSecretCredentialOptions {
                client_options: client_options.clone(),
            }),
        )
        .map_err(|e| refused("client secret", e))?),
        AzureCredentialConfig::ClientCertificate {
            tenant_id,
            client_id,
            pfx_path,
            pfx_password,
        } => {
            let der = std::fs::read(pfx_path).map_err(|e| {
                config_error(format!(
                    "cannot read the certificate file {} ({e}); point pfx_path at the app's \
                     PKCS#12 (.pfx) file",
                    pfx_path.display()
                ))
            })?;
            let password = pfx_password
                .as_ref()
                .map(|p| p.as_secret().clone())
                .unwrap_or_else(|| Secret::new(""));
            let cert = ClientCertificate::from_pkcs12(&der, &password).map_err(|e| {
                config_error(format!(
                    "the certificate file {} cannot be used ({e}); it must be a PKCS#12 file \
                     with the certificate and its RSA private key, and pfx_password its \
                     password",
                    pfx_path.display()
                ))
            })?;
            let audience = authority
                .join(&format!("/{tenant_id}/oauth2/v2.0/token"))
                .map_err(|e| config_error(format!("tenant_id `{tenant_id}` is not usable: {e}")))?
                .to_string();
            let assertion = CertificateAssertion {
                cert,
                client_id: client_id.clone(),
                audience,
            };
            Ok(ClientAssertionCredential::new(
                tenant_id.clone(),
                client_id.clone(),
                assertion,
                Some(ClientAssertionCredentialOptions {
                    client_options: client_options.clone(),
                }),
            )
            .map_err(|e| refused("client certificate", e))?)
        }
    }
}

/// Signs a fresh client assertion for each token request.
#[derive(Debug)]
struct CertificateAssertion {
    cert: ClientCertificate,
    client_id: String,
    /// The token endpoint, `{authority}/{tenant}/oauth2/v2.0/token`.
    audience: String,
}

#[async_trait::async_trait]
impl ClientAssertion for CertificateAssertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        client_assertion(
            &self.cert,
            AssertionAlgorithm::Ps256,
            &self.client_id,
            &self.audience,
            now,
            &uuid::Uuid::new_v4().to_string(),
        )
        .map_err(|e| azure_core::Error::with_error(ErrorKind::Credential, e, "client assertion"))
    }
}

/// Maps an SDK error to ours. `name` is the secret the call was about.
fn classify(err: azure_core::Error, name: &str) -> SecretError {
    match err.kind() {
        ErrorKind::HttpResponse { status, .. } => match u16::from(*status) {
            404 => SecretError::NotFound {
                name: name.to_string(),
            },
            401 | 403 => SecretError::AccessDenied(Box::new(err)),
            408 | 429 | 500..=599 => SecretError::Unavailable(Box::new(err)),
            409 => SecretError::Internal(
                format!(
                    "Key Vault refused to write `{name}` (409 Conflict): a deleted secret with \
                     this name is probably still in the vault's soft-delete retention; recover \
                     or purge it (az keyvault secret purge --vault-name … --name {name}), or use \
                     another name. Cause: {err}"
                )
                .into(),
            ),
            _ => SecretError::Internal(Box::new(err)),
        },
        ErrorKind::Connection | ErrorKind::Io => SecretError::Unavailable(Box::new(err)),
        ErrorKind::Credential => {
            if transient_cause(&err) {
                SecretError::Unavailable(Box::new(err))
            } else {
                SecretError::AccessDenied(Box::new(err))
            }
        }
        _ => SecretError::Internal(Box::new(err)),
    }
}

/// Key Vault's refusal to read a disabled version (403, "Operation get is not allowed on a
/// disabled secret.").
fn disabled(err: &azure_core::Error) -> bool {
    match err.kind() {
        ErrorKind::HttpResponse {
            status,
            raw_response: Some(raw),
            ..
        } if u16::from(*status) == 403 => {
            String::from_utf8_lossy(raw.body().as_ref()).contains("disabled secret")
        }
        _ => false,
    }
}

/// Whether a credential failed because Entra ID (or IMDS) could not be reached or answered
/// 408/429/5xx, rather than because it refused the credential.
fn transient_cause(err: &azure_core::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        if let Some(az) = e.downcast_ref::<azure_core::Error>() {
            match az.kind() {
                ErrorKind::Connection | ErrorKind::Io => return true,
                ErrorKind::HttpResponse { status, .. }
                    if matches!(u16::from(*status), 408 | 429 | 500..=599) =>
                {
                    return true;
                }
                _ => {}
            }
        }
        if e.downcast_ref::<reqwest013::Error>().is_some() {
            return true;
        }
        cause = e.source();
    }
    false
}

fn internal(e: impl Into<BoxError>) -> SecretError {
    SecretError::Internal(e.into())
}

#[async_trait::async_trait]
impl SecretStore for AzureKeyVault {
    async fn put(&self, name: &str, value: &Secret) -> Result<SecretRef, SecretError> {
        validate_name(name)?;
        let parameters = SetSecretParameters {
            value: Some(value.expose().to_string()),
            ..Default::default()
        };
        let response = self
            .client
            .set_secret(name, parameters.try_into().map_err(internal)?, None)
            .await
            .map_err(|e| classify(e, name))?;
        let model = response.into_model().map_err(internal)?;
        let version = model
            .resource_id()
            .ok()
            .and_then(|id| id.version)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| internal("Key Vault's answer to set_secret has no version in its id"))?;
        tracing::debug!(name, version = %version, "stored a secret version in Key Vault");
        Ok(SecretRef {
            name: name.to_string(),
            version,
        })
    }

    async fn get(&self, reference: &SecretRef) -> Result<Secret, SecretError> {
        validate_name(&reference.name)?;
        if !plausible_version(&reference.version) {
            return Err(SecretError::NotFound {
                name: reference.name.clone(),
            });
        }
        let response = self
            .client
            .get_secret(
                &reference.name,
                Some(SecretClientGetSecretOptions {
                    secret_version: Some(reference.version.clone()),
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| {
                if disabled(&e) {
                    // A pruned version (see `prune`): gone, as in the local vault.
                    SecretError::NotFound {
                        name: reference.name.clone(),
                    }
                } else {
                    classify(e, &reference.name)
                }
            })?;
        let model = response.into_model().map_err(internal)?;
        model
            .value
            .map(Secret::new)
            .ok_or_else(|| internal("Key Vault's answer to get_secret has no value"))
    }

    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        validate_name(name)?;
        self.client
            .delete_secret(name, None)
            .await
            .map_err(|e| classify(e, name))?;
        tracing::debug!(name, "deleted a secret from Key Vault");
        Ok(())
    }

    async fn prune(
        &self,
        name: &str,
        retention: &Retention,
        now: SystemTime,
    ) -> Result<usize, SecretError> {
        validate_name(name)?;
        // Key Vault keeps every version and deletes only whole secrets: an old version is
        // disabled instead, after which Key Vault refuses to return its value. Disabled ones
        // are already pruned and left out.
        let mut pager = self
            .client
            .list_secret_properties_versions(name, None)
            .map_err(|e| classify(e, name))?;
        let mut versions: Vec<(String, SystemTime)> = Vec::new();
        let mut listed = 0;
        while let Some(item) = pager.next().await {
            let item = item.map_err(|e| classify(e, name))?;
            listed += 1;
            let enabled = item
                .attributes
                .as_ref()
                .and_then(|a| a.enabled)
                .unwrap_or(true);
            let created = item.attributes.as_ref().and_then(|a| a.created);
            let version = item.resource_id().ok().and_then(|id| id.version);
            if let (true, Some(version), Some(created)) = (enabled, version, created) {
                let secs = u64::try_from(created.unix_timestamp()).unwrap_or(0);
                versions.push((version, UNIX_EPOCH + Duration::from_secs(secs)));
            }
        }
        if listed == 0 {
            return Err(SecretError::NotFound {
                name: name.to_string(),
            });
        }
        versions.sort_by_key(|(_, created)| *created);
        let expired = retention.expired(&versions, now);
        for version in &expired {
            let parameters = UpdateSecretPropertiesParameters {
                secret_attributes: Some(SecretAttributes {
                    enabled: Some(false),
                    ..Default::default()
                }),
                ..Default::default()
            };
            self.client
                .update_secret_properties(
                    name,
                    parameters.try_into().map_err(internal)?,
                    Some(SecretClientUpdateSecretPropertiesOptions {
                        secret_version: Some((*version).to_string()),
                        ..Default::default()
                    }),
                )
                .await
                .map_err(|e| classify(e, name))?;
        }
        if !expired.is_empty() {
            tracing::info!(
                name,
                disabled = expired.len(),
                "disabled old secret versions in Key Vault"
            );
        }
        Ok(expired.len())
    }

    fn backend(&self) -> &'static str {
        "azure-key-vault"
    }
}
