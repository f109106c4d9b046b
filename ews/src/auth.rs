//! Credentials: the [`Secret`] type, [`Credentials`], and the [`CredentialProvider`] trait the
//! transport asks before every request (so a password can come from the secret store each time).

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use base64::Engine;

use crate::error::AuthError;

pub use roombook_entra::Secret;

/// How one request authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// HTTP Basic (Exchange Server on-premises with ExchangeImpersonation; Exchange Online
    /// refuses Basic for EWS).
    Basic {
        /// Service account, e.g. `svc-booking@contoso.example` or `CONTOSO\svc-booking`.
        username: String,
        /// Its password.
        password: Secret,
    },
    /// OAuth bearer token (Exchange Online, app-only).
    Bearer(Secret),
}

impl Credentials {
    /// The `Authorization` header value.
    pub(crate) fn authorization(&self) -> Secret {
        match self {
            Credentials::Basic { username, password } => {
                let raw = format!("{username}:{}", password.expose());
                Secret::new(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                ))
            }
            Credentials::Bearer(token) => Secret::new(format!("Bearer {}", token.expose())),
        }
    }
}

/// Supplies credentials for each request.
pub trait CredentialProvider: Send + Sync {
    /// Credentials for the next request (called once per attempt).
    fn credentials(&self) -> impl Future<Output = Result<Credentials, AuthError>> + Send;

    /// Called whenever the server answered HTTP 401 to `rejected` (before the one retry, if
    /// [`Self::retry_on_unauthorized`] asks for it). Token providers drop their cached token
    /// here, password caches their password. The default does nothing.
    fn rejected(&self, rejected: &Credentials) {
        let _ = rejected;
    }

    /// Whether a 401 is worth one retry with fresh credentials (true for token caches).
    fn retry_on_unauthorized(&self) -> bool {
        false
    }
}

impl<T: CredentialProvider> CredentialProvider for Arc<T> {
    fn credentials(&self) -> impl Future<Output = Result<Credentials, AuthError>> + Send {
        (**self).credentials()
    }
    fn rejected(&self, rejected: &Credentials) {
        (**self).rejected(rejected)
    }
    fn retry_on_unauthorized(&self) -> bool {
        (**self).retry_on_unauthorized()
    }
}

/// Fixed credentials (tests, or a password already fetched).
#[derive(Debug, Clone)]
pub struct StaticCredentials(pub Credentials);

impl CredentialProvider for StaticCredentials {
    async fn credentials(&self) -> Result<Credentials, AuthError> {
        Ok(self.0.clone())
    }
}

/// Basic auth whose password is fetched for every request by `fetch` (e.g. from the secret
/// store), so a rotated password takes effect at once and nothing is cached here.
pub struct BasicAuth<F> {
    username: String,
    fetch: F,
}

impl<F> fmt::Debug for BasicAuth<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl<F, Fut> BasicAuth<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Secret, AuthError>> + Send,
{
    /// Basic auth for `username`, with the password from `fetch`.
    pub fn new(username: impl Into<String>, fetch: F) -> Self {
        Self {
            username: username.into(),
            fetch,
        }
    }
}

impl<F, Fut> CredentialProvider for BasicAuth<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Secret, AuthError>> + Send,
{
    async fn credentials(&self) -> Result<Credentials, AuthError> {
        Ok(Credentials::Basic {
            username: self.username.clone(),
            password: (self.fetch)().await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let c = Credentials::Basic {
            username: "svc".into(),
            password: Secret::new("hunter2"),
        };
        let dbg = format!("{c:?} {}", Secret::new("hunter2"));
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("[redacted]"));
        assert_eq!(c.authorization().expose(), "Basic c3ZjOmh1bnRlcjI=");
        assert_eq!(format!("{:?}", c.authorization()), "[redacted]");
    }

    #[tokio::test]
    async fn basic_auth_fetches_each_time() {
        let n = std::sync::atomic::AtomicU32::new(0);
        let p = BasicAuth::new("svc", || {
            let k = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move { Ok(Secret::new(format!("pw{k}"))) }
        });
        let a = p.credentials().await.unwrap();
        let b = p.credentials().await.unwrap();
        assert_ne!(a, b);
    }
}
