//! Microsoft Entra ID, as Roombook needs it apart from any calendar protocol: the [`Secret`]
//! type, a [`ClientCertificate`], the signed client assertion (sign-in and the Key Vault
//! credential use it as well as Exchange), and the app-only token cache [`AppOnlyOAuth`].
//!
//! App-only OAuth with a certificate (Entra ID client-credentials grant).
//!
//! The client assertion is a JWT signed with the certificate's RSA key: by default PS256 with
//! an `x5t#S256` header (what Microsoft documents today), or RS256 with `x5t` (SHA-1), which
//! Entra still accepts. Claims: `aud` = the token endpoint, `iss` = `sub` = client id, a UUID
//! `jti`, `nbf` = `iat` = now, `exp` = now + 5 minutes.
//!
//! [`AppOnlyOAuth`] caches the access token and renews it before expiry (5 minutes before, or
//! at `refresh_in` when Entra sends it); concurrent callers share one renewal.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer};
use openssl::x509::X509;

use std::fmt;

/// A secret string (password, access token, client secret). `Debug` and `Display` print
/// `[redacted]`; the value is only reachable through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value. Call only where it is sent.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// What went wrong with a certificate or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntraError {
    /// Certificate or key could not be loaded or used.
    #[error("certificate or key: {0}")]
    Certificate(String),
    /// The token endpoint refused (`error`, `error_codes` as sent by Entra ID).
    #[error("token endpoint returned HTTP {status}: {error} {error_codes:?}")]
    TokenEndpoint {
        /// HTTP status.
        status: u16,
        /// OAuth `error`, e.g. `invalid_client`.
        error: String,
        /// Entra `error_codes` (AADSTS numbers).
        error_codes: Vec<u64>,
        /// `error_description` (for logs only; never branch on it).
        description: String,
    },
    /// The token endpoint could not be reached or answered nonsense.
    #[error("token endpoint: {0}")]
    Transport(String),
    /// The token endpoint's answer was larger than the cap once decompressed; it was not read
    /// further.
    #[error("token endpoint: the answer from {host} was larger than {limit} bytes")]
    ResponseTooLarge {
        /// The host that sent it.
        host: String,
        /// The cap, in decompressed bytes.
        limit: usize,
    },
}

/// Entra ID authority.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// The EWS app-only scope.
pub const EWS_SCOPE: &str = "https://outlook.office365.com/.default";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const ASSERTION_LIFETIME_SECS: u64 = 300;
/// Renew this long before expiry when Entra gives no `refresh_in`.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// The longest token lifetime believed from a token response (`expires_in` is clamped to it).
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

fn cert_err(e: impl std::fmt::Display) -> EntraError {
    EntraError::Certificate(e.to_string())
}

/// A certificate with its RSA private key.
pub struct ClientCertificate {
    cert: X509,
    key: PKey<Private>,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("subject", &self.cert.subject_name())
            .field("key", &"[redacted]")
            .finish()
    }
}

impl ClientCertificate {
    /// From a PKCS#12 (`.pfx`) file's bytes and its password.
    pub fn from_pkcs12(der: &[u8], password: &Secret) -> Result<Self, EntraError> {
        let parsed = openssl::pkcs12::Pkcs12::from_der(der)
            .and_then(|p| p.parse2(password.expose()))
            .map_err(|e| cert_err(format!("PKCS#12: {e}")))?;
        let cert = parsed
            .cert
            .ok_or_else(|| cert_err("PKCS#12 holds no certificate"))?;
        let key = parsed
            .pkey
            .ok_or_else(|| cert_err("PKCS#12 holds no private key"))?;
        Self::new(cert, key)
    }

    /// From PEM: the certificate, and the private key (PKCS#8 or PKCS#1, unencrypted). Both may
    /// be the same combined PEM file.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, EntraError> {
        let cert =
            X509::from_pem(cert_pem).map_err(|e| cert_err(format!("certificate PEM: {e}")))?;
        let key = PKey::private_key_from_pem(key_pem)
            .map_err(|e| cert_err(format!("private key PEM: {e}")))?;
        Self::new(cert, key)
    }

    fn new(cert: X509, key: PKey<Private>) -> Result<Self, EntraError> {
        if key.id() != Id::RSA {
            return Err(cert_err("only RSA keys can sign PS256/RS256 assertions"));
        }
        let cert_key = cert.public_key().map_err(cert_err)?;
        if !key.public_eq(&cert_key) {
            return Err(cert_err(
                "the private key does not belong to the certificate",
            ));
        }
        Ok(Self { cert, key })
    }

    /// DER encoding of the certificate.
    pub fn der(&self) -> Result<Vec<u8>, EntraError> {
        self.cert.to_der().map_err(cert_err)
    }

    /// Base64url SHA-256 thumbprint (`x5t#S256`).
    pub fn x5t_s256(&self) -> Result<String, EntraError> {
        let d = self
            .cert
            .digest(MessageDigest::sha256())
            .map_err(cert_err)?;
        Ok(URL_SAFE_NO_PAD.encode(d))
    }

    /// Base64url SHA-1 thumbprint (`x5t`).
    pub fn x5t_sha1(&self) -> Result<String, EntraError> {
        let d = self.cert.digest(MessageDigest::sha1()).map_err(cert_err)?;
        Ok(URL_SAFE_NO_PAD.encode(d))
    }
}

/// JWT signature algorithm for the client assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssertionAlgorithm {
    /// RSA-PSS SHA-256 (salt 32, MGF1-SHA-256) with `x5t#S256`.
    #[default]
    Ps256,
    /// RSA PKCS#1 v1.5 SHA-256 with `x5t` (SHA-1 thumbprint).
    Rs256,
}

/// Builds a signed client assertion for `client_id` and the token endpoint `audience`.
pub fn client_assertion(
    cert: &ClientCertificate,
    alg: AssertionAlgorithm,
    client_id: &str,
    audience: &str,
    now_unix: u64,
    jti: &str,
) -> Result<String, EntraError> {
    let header = match alg {
        AssertionAlgorithm::Ps256 => {
            serde_json::json!({"alg": "PS256", "typ": "JWT", "x5t#S256": cert.x5t_s256()?})
        }
        AssertionAlgorithm::Rs256 => {
            serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": cert.x5t_sha1()?})
        }
    };
    let claims = serde_json::json!({
        "aud": audience,
        "iss": client_id,
        "sub": client_id,
        "jti": jti,
        "nbf": now_unix,
        "iat": now_unix,
        "exp": now_unix + ASSERTION_LIFETIME_SECS,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signer = Signer::new(MessageDigest::sha256(), &cert.key).map_err(cert_err)?;
    match alg {
        AssertionAlgorithm::Ps256 => {
            signer
                .set_rsa_padding(Padding::PKCS1_PSS)
                .map_err(cert_err)?;
            signer
                .set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)
                .map_err(cert_err)?;
            signer
                .set_rsa_mgf1_md(MessageDigest::sha256())
                .map_err(cert_err)?;
        }
        AssertionAlgorithm::Rs256 => signer.set_rsa_padding(Padding::PKCS1).map_err(cert_err)?,
    }
    signer.update(signing_input.as_bytes()).map_err(cert_err)?;
    let sig = signer.sign_to_vec().map_err(cert_err)?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

#[derive(Debug, Clone)]
struct CachedToken {
    token: Secret,
    refresh_at: Instant,
    expires_at: Instant,
}

/// App-only token source for one (tenant, client, scope); the EWS client uses it as its
/// credential provider.
pub struct AppOnlyOAuth {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    scope: String,
    cert: ClientCertificate,
    alg: AssertionAlgorithm,
    cached: Mutex<Option<CachedToken>>,
    renewal: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AppOnlyOAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppOnlyOAuth")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
    #[serde(default)]
    refresh_in: Option<u64>,
}

#[derive(serde::Deserialize, Default)]
struct TokenError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_codes: Vec<u64>,
}

impl AppOnlyOAuth {
    /// EWS app-only tokens for `tenant` (GUID or domain; not `common`/`organizations`).
    pub fn new(tenant: &str, client_id: impl Into<String>, cert: ClientCertificate) -> Self {
        Self::with_authority(DEFAULT_AUTHORITY, tenant, client_id, cert)
    }

    /// Like [`AppOnlyOAuth::new`] with another authority host (sovereign clouds, tests).
    pub fn with_authority(
        authority: &str,
        tenant: &str,
        client_id: impl Into<String>,
        cert: ClientCertificate,
    ) -> Self {
        Self {
            http: reqwest::Client::new(),
            token_url: format!(
                "{}/{tenant}/oauth2/v2.0/token",
                authority.trim_end_matches('/')
            ),
            client_id: client_id.into(),
            scope: EWS_SCOPE.to_owned(),
            cert,
            alg: AssertionAlgorithm::default(),
            cached: Mutex::new(None),
            renewal: tokio::sync::Mutex::new(()),
        }
    }

    /// Use RS256 + `x5t` instead of PS256 + `x5t#S256`.
    pub fn with_algorithm(mut self, alg: AssertionAlgorithm) -> Self {
        self.alg = alg;
        self
    }

    /// Another scope (one resource per token).
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Another HTTP client (proxies, test roots).
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// The token endpoint URL (also the assertion's `aud`).
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    fn fresh_cached(&self) -> Option<Secret> {
        let guard = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .map(|t| t.token.clone())
    }

    /// A valid access token, from cache or renewed. Concurrent callers wait for one renewal.
    pub async fn token(&self) -> Result<Secret, EntraError> {
        if let Some(t) = self.fresh_cached() {
            return Ok(t);
        }
        let _renewing = self.renewal.lock().await;
        // Someone else may have renewed while we waited.
        if let Some(t) = self.fresh_cached() {
            return Ok(t);
        }
        match self.fetch().await {
            Ok(fresh) => {
                let token = fresh.token.clone();
                *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(fresh);
                Ok(token)
            }
            Err(e) => {
                // A token that is stale-but-valid beats an error when Entra hiccups.
                let guard = self.cached.lock().unwrap_or_else(|p| p.into_inner());
                match guard.as_ref() {
                    Some(t)
                        if Instant::now() < t.expires_at
                            && matches!(e, EntraError::Transport(_)) =>
                    {
                        Ok(t.token.clone())
                    }
                    _ => Err(e),
                }
            }
        }
    }

    /// Drops the cached token if it is `token` (after EWS rejected it).
    pub fn invalidate(&self, token: &Secret) {
        let mut guard = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_some_and(|t| &t.token == token) {
            *guard = None;
        }
    }

    async fn fetch(&self) -> Result<CachedToken, EntraError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| EntraError::Transport(e.to_string()))?
            .as_secs();
        let assertion = client_assertion(
            &self.cert,
            self.alg,
            &self.client_id,
            &self.token_url,
            now,
            &uuid::Uuid::new_v4().to_string(),
        )?;
        let started = Instant::now();
        let resp = self
            .http
            .post(&self.token_url)
            .form(&[
                ("client_id", self.client_id.as_str()),
                ("scope", self.scope.as_str()),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", assertion.as_str()),
                ("grant_type", "client_credentials"),
            ])
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| EntraError::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        let bytes = roombook_outbound::read_capped(resp, roombook_outbound::SMALL_BODY_LIMIT)
            .await
            .map_err(|e| match e {
                roombook_outbound::BodyError::TooLarge { host, limit } => {
                    EntraError::ResponseTooLarge { host, limit }
                }
                other => EntraError::Transport(other.to_string()),
            })?;
        if !(200..300).contains(&status) {
            let err: TokenError = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(EntraError::TokenEndpoint {
                status,
                error: err.error,
                error_codes: err.error_codes,
                description: err.error_description,
            });
        }
        let tr: TokenResponse = serde_json::from_slice(&bytes)
            .map_err(|e| EntraError::Transport(format!("token response: {e}")))?;
        // Server-given: at most a day (Entra issues 60 to 90 minutes), so no `Instant` sum can
        // overflow whatever `expires_in` says.
        let lifetime = Duration::from_secs(tr.expires_in).min(MAX_TOKEN_LIFETIME);
        let refresh_after = match tr.refresh_in {
            Some(r) => Duration::from_secs(r).min(lifetime),
            None if lifetime > REFRESH_MARGIN * 2 => lifetime - REFRESH_MARGIN,
            None => lifetime / 2,
        };
        tracing::debug!(expires_in = tr.expires_in, "obtained EWS access token");
        Ok(CachedToken {
            token: Secret::new(tr.access_token),
            refresh_at: started.checked_add(refresh_after).unwrap_or(started),
            expires_at: started.checked_add(lifetime).unwrap_or(started),
        })
    }
}
