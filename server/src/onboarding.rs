//! Connecting a tenant to Exchange and keeping the connection checked.
//!
//! Everything here goes through the calendar ports ([`CalendarSetup`] before a connection
//! exists, [`CalendarGateway`] after), never to EWS itself.
//!
//! Both modes end in the same probe and the same bookkeeping (core's
//! [`ConnectionChecks`]): status, last success or error, automatic re-checks while consent is
//! propagating or Exchange throttles, password failures. A healthy connection imports rooms.
//! Every admin action is written to the audit log.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use roombook_entra::Secret;
use roombook_secrets::{SecretError, SecretStore};

use crate::auth::{CurrentUser, hash_token, random_token, same_secret};
use crate::telemetry::error_chain;
use roombook_core::connections::{CheckSettings, ConnectionChecks, ImportError};
use roombook_core::domain::{
    AuthPurpose, AuthRequest, CalendarBackend, ConnectionError, ConnectionStatus, EwsAuth,
    ExchangeConnection, ImportSummary, PendingConsent, SecretRef, TenantId, UserId,
};
use roombook_core::ports::calendar::{CalendarError, CalendarGateway, CalendarSetup, SetupError};
use roombook_core::ports::storage::{Store, StoreError};

#[derive(Clone, Debug)]
pub struct OnboardingSettings {
    /// Where browsers reach us (redirect URIs are built from it).
    pub public_url: String,
    /// First wait before re-checking a pending consent; it grows from there.
    pub consent_retry_first: Duration,
    /// Longest wait between two re-checks.
    pub consent_retry_max: Duration,
    /// How long consent may take to reach Exchange before Roombook stops waiting.
    pub consent_wait: Duration,
    /// Which replaced versions of a password stay in the secret store.
    pub secret_retention: roombook_secrets::Retention,
}

impl Default for OnboardingSettings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            consent_retry_first: Duration::from_secs(30),
            consent_retry_max: Duration::from_secs(15 * 60),
            consent_wait: Duration::from_secs(2 * 3600),
            secret_retention: roombook_secrets::Retention::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OnboardingError {
    /// A problem with what the admin entered or did; the message is for them.
    #[error("{0}")]
    Invalid(String),
    #[error("The password could not be stored in the secret store: {0}")]
    Secrets(#[source] SecretError),
    #[error("Autodiscover found no EWS URL for {email}. Enter the EWS URL yourself.")]
    Autodiscover {
        email: String,
        #[source]
        source: SetupError,
    },
    #[error("Roombook cannot reach its database right now.")]
    Store(#[from] StoreError),
    #[error("The rooms could not be read from Exchange: {0}")]
    Import(#[source] CalendarError),
}

/// The on-premises form.
pub struct ServiceAccountInput {
    /// Empty: found by Autodiscover from `check_address`.
    pub ews_url: String,
    pub username: String,
    /// Empty: keep the stored password.
    pub password: Secret,
    /// The mailbox to check: the admin's own, or a room's with `rooms_only`.
    pub check_address: String,
    pub rooms_only: bool,
}

/// What `/admin/consent/callback` received.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ConsentCallback {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub admin_consent: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

pub struct Onboarding {
    store: Arc<dyn Store>,
    checks: ConnectionChecks,
    calendar: Arc<dyn CalendarGateway>,
    setup: Arc<dyn CalendarSetup>,
    secrets: Arc<dyn SecretStore>,
    settings: OnboardingSettings,
}

/// Two EWS URLs name the same endpoint (scheme, host, port and path; case of the host and a
/// trailing slash aside).
fn same_endpoint(a: &str, b: &str) -> bool {
    match (reqwest::Url::parse(a.trim()), reqwest::Url::parse(b.trim())) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str().map(str::to_ascii_lowercase)
                    == b.host_str().map(str::to_ascii_lowercase)
                && a.port_or_known_default() == b.port_or_known_default()
                && a.path().trim_end_matches('/') == b.path().trim_end_matches('/')
                && a.query() == b.query()
        }
        _ => false,
    }
}

impl Onboarding {
    pub fn new(
        store: Arc<dyn Store>,
        calendar: Arc<dyn CalendarGateway>,
        setup: Arc<dyn CalendarSetup>,
        secrets: Arc<dyn SecretStore>,
        settings: OnboardingSettings,
    ) -> Self {
        let checks = ConnectionChecks::new(
            store.clone(),
            calendar.clone(),
            CheckSettings {
                consent_retry_first: settings.consent_retry_first,
                consent_retry_max: settings.consent_retry_max,
                consent_wait: settings.consent_wait,
            },
        );
        Self {
            store,
            checks,
            calendar,
            setup,
            secrets,
            settings,
        }
    }

    /// The secret store the organisation's passwords and client secrets are kept in.
    pub fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    pub fn settings(&self) -> &OnboardingSettings {
        &self.settings
    }

    async fn audit(
        &self,
        tenant: TenantId,
        actor: Option<UserId>,
        action: &str,
        target: &str,
        detail: String,
    ) {
        roombook_core::audit::record(self.store.as_ref(), tenant, actor, action, target, detail)
            .await;
    }

    /// Mode 2: Exchange Server with a service account and impersonation.
    pub async fn connect_service_account(
        &self,
        tenant: TenantId,
        actor: Option<UserId>,
        input: ServiceAccountInput,
    ) -> Result<ExchangeConnection, OnboardingError> {
        let username = input.username.trim().to_owned();
        let check_address = input.check_address.trim().to_lowercase();
        if username.is_empty() || username.len() > 256 {
            return Err(OnboardingError::Invalid(
                "Enter the service account's user name (e.g. CONTOSO\\svc-roombook or svc-roombook@contoso.com).".into(),
            ));
        }
        if !roombook_shared::looks_like_address(&check_address) {
            return Err(OnboardingError::Invalid(format!(
                "Enter the email address of the mailbox to check ({}).",
                if input.rooms_only {
                    "a room"
                } else {
                    "your own"
                }
            )));
        }
        let existing = self.store.connection(tenant).await?;
        let secret_name = format!("roombook-{tenant}-ews-password");
        let typed_url = input.ews_url.trim();
        // With the password left empty: the saved password and the server it was entered
        // for. It goes only there, as the same account: any other destination (a new URL,
        // an Autodiscover domain) or another user name needs the password again, so that no
        // admin can send the service account's password to a server of their choosing.
        let reuse = if input.password.expose().is_empty() {
            let Some((saved, saved_secret)) = existing
                .as_ref()
                .and_then(|c| c.backend.password().map(|p| (&c.backend, p.clone())))
            else {
                return Err(OnboardingError::Invalid(
                    "Enter the service account's password.".into(),
                ));
            };
            let same_url = typed_url.is_empty() || same_endpoint(typed_url, saved.endpoint());
            if !same_url || !saved.identity().eq_ignore_ascii_case(&username) {
                return Err(OnboardingError::Invalid(
                    "Enter the service account's password again: Roombook sends the saved password only to the server and account it was entered for.".into(),
                ));
            }
            Some((saved_secret, saved.endpoint().to_owned()))
        } else {
            None
        };
        // Where the password will be sent, checked before anything is stored or sent.
        let typed_url = if typed_url.is_empty() {
            None
        } else {
            Some(
                self.setup
                    .check_endpoint(typed_url)
                    .await
                    .map_err(|e| OnboardingError::Invalid(e.to_string()))?,
            )
        };
        let secret = if let Some((saved_secret, _)) = &reuse {
            saved_secret.clone()
        } else {
            // The password goes straight to the secret store; the database gets its name
            // and version only. A change writes a new version.
            let stored = self
                .secrets
                .put(&secret_name, &input.password)
                .await
                .map_err(OnboardingError::Secrets)?;
            // Old versions go after the retention period; a failure here costs nothing but
            // space, so the connection goes ahead.
            if let Err(e) = self
                .secrets
                .prune(
                    &secret_name,
                    &self.settings.secret_retention,
                    std::time::SystemTime::now(),
                )
                .await
            {
                tracing::warn!(error = %error_chain(&e), "cannot remove old versions of the service account's password");
            }
            SecretRef {
                name: stored.name,
                version: Some(stored.version),
            }
        };
        let ews_url = match (typed_url, reuse) {
            (Some(url), _) => url,
            // No URL and no new password: the saved server.
            (None, Some((_, saved_url))) => saved_url,
            (None, None) => self
                .setup
                .discover_endpoint(&check_address, &username, &secret)
                .await
                .map_err(|e| match e {
                    SetupError::FoundRefused { found, reason } => OnboardingError::Invalid(
                        format!("Autodiscover answered {found}, which Roombook does not connect to: {reason}"),
                    ),
                    source => OnboardingError::Autodiscover {
                        email: check_address.clone(),
                        source,
                    },
                })?,
        };
        let now = Utc::now();
        let connection = ExchangeConnection {
            tenant_id: tenant,
            backend: CalendarBackend::Ews {
                url: ews_url,
                auth: EwsAuth::ServiceAccount {
                    username,
                    password: secret,
                },
            },
            rooms_only: input.rooms_only,
            status: ConnectionStatus::Unchecked,
            check_address,
            consent_at: None,
            next_check_at: None,
            password_failures: existing.as_ref().map(|c| c.password_failures).unwrap_or(0),
            certificate_expires_at: None,
            last_success_at: existing.as_ref().and_then(|c| c.last_success_at),
            last_error: existing.and_then(|c| c.last_error),
            updated_at: now,
        };
        self.audit(
            tenant,
            actor,
            "connection.service_account",
            connection.backend.endpoint(),
            format!(
                "account {}; checks {}{}",
                connection.backend.identity(),
                connection.check_address,
                if connection.rooms_only {
                    "; rooms only"
                } else {
                    ""
                }
            ),
        )
        .await;
        self.check_and_save(connection, actor).await
    }

    /// Mode 1, step 1: where to send the admin for consent. The `state` is bound to their
    /// session; the directory is the one their own id_token named.
    pub async fn start_consent(
        &self,
        current: &CurrentUser,
        rooms_only: bool,
        check_address: &str,
    ) -> Result<String, OnboardingError> {
        let directory = current.tenant.directory_id.clone().ok_or_else(|| {
            OnboardingError::Invalid(
                "Sign in with your Microsoft work account first: consent is given for the directory you signed in with.".into(),
            )
        })?;
        let app = self.app_backend(&directory)?;
        let check_address = if check_address.trim().is_empty() && !rooms_only {
            current.user.email.to_lowercase()
        } else {
            check_address.trim().to_lowercase()
        };
        if !roombook_shared::looks_like_address(&check_address) {
            return Err(OnboardingError::Invalid(
                "Enter the email address of a room mailbox to check.".into(),
            ));
        }
        // Nothing changes on the organisation's connection yet: what the admin asked for
        // waits with the consent request, and becomes the connection only when consent's
        // callback arrives granted (a working connection keeps working meanwhile, and a
        // cancelled or refused consent leaves it as it was).
        let now = Utc::now();
        let state = random_token();
        self.store
            .create_consent_request(
                &AuthRequest {
                    state_hash: hash_token(&state),
                    purpose: AuthPurpose::Consent,
                    nonce: String::new(),
                    pkce_verifier: String::new(),
                    session_hash: Some(current.session.token_hash.clone()),
                    tenant_id: Some(current.tenant.id),
                    return_to: "/admin/connect/online".into(),
                    created_at: now,
                    expires_at: now + chrono::Duration::minutes(30),
                },
                &PendingConsent {
                    check_address: check_address.clone(),
                    rooms_only,
                },
            )
            .await?;
        self.audit(
            current.tenant.id,
            Some(current.user.id),
            "connection.consent_requested",
            &directory,
            format!("checks {check_address}"),
        )
        .await;
        let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        Ok(format!(
            "{}/{}/v2.0/adminconsent?client_id={}&scope={}&redirect_uri={}&state={}",
            self.setup.consent_authority().trim_end_matches('/'),
            encode(&directory),
            encode(app.identity()),
            encode(self.setup.consent_scope()),
            encode(&format!(
                "{}/admin/consent/callback",
                self.settings.public_url.trim_end_matches('/')
            )),
            encode(&state),
        ))
    }

    /// The connection Roombook's own app gets in `directory`, if this server has an app.
    fn app_backend(&self, directory: &str) -> Result<CalendarBackend, OnboardingError> {
        self.setup.app_backend(directory).ok_or_else(|| {
            OnboardingError::Invalid(
                "Exchange Online is not configured on this Roombook server (exchange_online.client_id).".into(),
            )
        })
    }

    /// Mode 1, step 2: the consent answer. The tenant comes from the admin's session (their
    /// id_token), never from the callback, whose `tenant` only has to agree.
    pub async fn finish_consent(
        &self,
        current: &CurrentUser,
        callback: &ConsentCallback,
    ) -> Result<ExchangeConnection, OnboardingError> {
        let foreign = || {
            OnboardingError::Invalid(
                "This consent answer does not belong to your sign-in (or it expired). Start “Connect” again.".into(),
            )
        };
        let (request, pending) = self
            .store
            .take_consent_request(&hash_token(&callback.state), Utc::now())
            .await?
            .ok_or_else(foreign)?;
        let bound = request.purpose == AuthPurpose::Consent
            && request.tenant_id == Some(current.tenant.id)
            && request
                .session_hash
                .as_deref()
                .is_some_and(|h| same_secret(h, &current.session.token_hash));
        if !bound {
            return Err(foreign());
        }
        let directory = current.tenant.directory_id.clone().ok_or_else(foreign)?;
        let backend = self.app_backend(&directory)?;
        let existing = self.store.connection(current.tenant.id).await?;
        let now = Utc::now();
        let mut connection = ExchangeConnection {
            tenant_id: current.tenant.id,
            backend,
            rooms_only: pending.rooms_only,
            status: ConnectionStatus::Unchecked,
            check_address: pending.check_address,
            consent_at: None,
            next_check_at: None,
            password_failures: 0,
            certificate_expires_at: None,
            last_success_at: existing.as_ref().and_then(|c| c.last_success_at),
            last_error: existing.as_ref().and_then(|c| c.last_error.clone()),
            updated_at: now,
        };
        connection.certificate_expires_at = self.calendar.credential_expiry(&connection).await;
        let actor = Some(current.user.id);
        if let Some(error) = &callback.error {
            // The callback's words come from a URL anyone can craft: the log keeps them, the
            // page says only what Roombook knows.
            tracing::info!(
                error = %error.chars().take(100).collect::<String>(),
                description = %callback.error_description.as_deref().unwrap_or_default().chars().take(300).collect::<String>(),
                "consent refused or cancelled"
            );
            let refusal = if error == "access_denied" {
                "Consent was refused or cancelled at Microsoft.".to_owned()
            } else {
                "Microsoft did not grant consent (it answered with an error; the server log has it).".to_owned()
            };
            self.audit(
                current.tenant.id,
                actor,
                "connection.consent_refused",
                &directory,
                error.clone(),
            )
            .await;
            if existing.is_some() {
                // The connection the organisation has stays exactly as it was.
                return Err(OnboardingError::Invalid(format!(
                    "{refusal} Roombook's connection to Exchange is unchanged."
                )));
            }
            // Nothing to keep: the refusal is the connection's state, shown on its page.
            connection.status = ConnectionStatus::ConsentRefused;
            connection.last_error = Some(ConnectionError {
                message: refusal,
                class: "consent".into(),
                at: now,
            });
            self.store.save_connection(&connection).await?;
            return Ok(connection);
        }
        if callback
            .tenant
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case(&directory))
        {
            return Err(OnboardingError::Invalid(
                "Consent was given in another directory than the one you signed in with. Sign in with an administrator of your own organisation and try again.".into(),
            ));
        }
        connection.consent_at = Some(Utc::now());
        // A token fetched before consent carries no roles: start from a fresh one.
        self.calendar.forget_credentials(&connection);
        self.audit(
            current.tenant.id,
            actor,
            "connection.consent_granted",
            &directory,
            String::new(),
        )
        .await;
        self.check_and_save(connection, actor).await
    }

    /// "Check again".
    pub async fn recheck(
        &self,
        tenant: TenantId,
        actor: Option<UserId>,
    ) -> Result<ExchangeConnection, OnboardingError> {
        let connection = self.store.connection(tenant).await?.ok_or_else(|| {
            OnboardingError::Invalid("This organisation is not connected yet.".into())
        })?;
        self.check_and_save(connection, actor).await
    }

    async fn check_and_save(
        &self,
        connection: ExchangeConnection,
        actor: Option<UserId>,
    ) -> Result<ExchangeConnection, OnboardingError> {
        Ok(self.checks.check_and_save(connection, actor).await?)
    }

    /// Imports room lists and rooms.
    pub async fn import_rooms(
        &self,
        tenant: TenantId,
        actor: Option<UserId>,
    ) -> Result<ImportSummary, OnboardingError> {
        self.checks
            .import_rooms(tenant, actor)
            .await
            .map_err(|e| match e {
                ImportError::NotConnected => {
                    OnboardingError::Invalid("Connect this organisation to Exchange first.".into())
                }
                ImportError::NothingListed { active } => {
                    OnboardingError::Invalid(empty_import_sentence(active))
                }
                ImportError::Calendar(e) => OnboardingError::Import(e),
                ImportError::Store(e) => OnboardingError::Store(e),
            })
    }

    /// Re-checks every connection whose automatic check is due (consent pending, throttled).
    pub async fn run_due_checks(&self) {
        self.checks.run_due_checks().await;
    }
}

/// Why an import that listed no rooms changed nothing.
fn empty_import_sentence(active: u32) -> String {
    format!(
        "Exchange listed no rooms, so Roombook changed nothing: the {active} active room{} stay{} \
         as {}. Check that the room lists still exist and hold rooms \
         (Get-DistributionGroup -RecipientTypeDetails RoomList) and that Roombook may still read \
         them, then import again.",
        if active == 1 { "" } else { "s" },
        if active == 1 { "s" } else { "" },
        if active == 1 { "it is" } else { "they are" },
    )
}
