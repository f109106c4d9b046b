//! Connecting a tenant to Exchange and keeping the connection checked.
//!
//! Both modes end in the same check ([`Exchange::check_mailbox`]) and the same bookkeeping
//! ([`apply_outcome`]): status, last success or error, automatic re-checks while consent is
//! propagating or Exchange throttles, password failures. A healthy connection imports rooms.
//! Every admin action is written to the audit log.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use roombook_entra::Secret;
use roombook_ews::autodiscover::Autodiscover;
use roombook_secrets::SecretError;

use crate::auth::{CurrentUser, hash_token, random_token, same_secret};
use crate::exchange::{CheckOutcome, Exchange, ExchangeError, validate_ews_url};
use crate::telemetry::error_chain;
use roombook_core::domain::{
    AuthPurpose, AuthRequest, ConnectionError, ConnectionMode, ConnectionStatus,
    ExchangeConnection, ImportSummary, PendingConsent, SecretRef, TenantId, UserId,
};
use roombook_core::ports::storage::{Store, StoreError};

/// The EWS scope admin consent asks for (app permission `full_access_as_app`).
pub const EWS_DEFAULT_SCOPE: &str = "https://outlook.office365.com/.default";

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
        source: roombook_ews::Error,
    },
    #[error("Roombook cannot reach its database right now.")]
    Store(#[from] StoreError),
    #[error("The rooms could not be read from Exchange: {0}")]
    Import(#[source] ExchangeError),
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
    exchange: Arc<Exchange>,
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
        exchange: Arc<Exchange>,
        settings: OnboardingSettings,
    ) -> Self {
        Self {
            store,
            exchange,
            settings,
        }
    }

    pub fn exchange(&self) -> &Arc<Exchange> {
        &self.exchange
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
        let guard = self.exchange.settings().guard;
        let typed_url = input.ews_url.trim();
        // With the password left empty: the saved password and the server it was entered
        // for. It goes only there, as the same account: any other destination (a new URL,
        // an Autodiscover domain) or another user name needs the password again, so that no
        // admin can send the service account's password to a server of their choosing.
        let reuse = if input.password.expose().is_empty() {
            let Some((saved, saved_secret)) = existing.as_ref().and_then(|c| {
                (c.mode == ConnectionMode::ServiceAccount)
                    .then_some(c)
                    .zip(c.secret.clone())
            }) else {
                return Err(OnboardingError::Invalid(
                    "Enter the service account's password.".into(),
                ));
            };
            let same_url = typed_url.is_empty() || same_endpoint(typed_url, &saved.ews_url);
            if !same_url || !saved.identity.eq_ignore_ascii_case(&username) {
                return Err(OnboardingError::Invalid(
                    "Enter the service account's password again: Roombook sends the saved password only to the server and account it was entered for.".into(),
                ));
            }
            Some((saved_secret, saved.ews_url.clone()))
        } else {
            None
        };
        // Where the password will be sent, checked before anything is stored or sent.
        let typed_url = if typed_url.is_empty() {
            None
        } else {
            Some(
                validate_ews_url(typed_url, &guard)
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
                .exchange
                .secrets()
                .put(&secret_name, &input.password)
                .await
                .map_err(OnboardingError::Secrets)?;
            // Old versions go after the retention period; a failure here costs nothing but
            // space, so the connection goes ahead.
            if let Err(e) = self
                .exchange
                .secrets()
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
            (None, None) => {
                let credentials = roombook_ews::Credentials::Basic {
                    username: username.clone(),
                    password: input.password.clone(),
                };
                let mut autodiscover =
                    Autodiscover::new(self.exchange.http().clone()).with_guard(guard);
                if !self.exchange.settings().autodiscover_urls.is_empty() {
                    autodiscover = autodiscover
                        .with_candidates(self.exchange.settings().autodiscover_urls.clone());
                }
                let found = autodiscover
                    .discover(&check_address, Some(&credentials))
                    .await
                    .map_err(|source| OnboardingError::Autodiscover {
                        email: check_address.clone(),
                        source,
                    })?;
                validate_ews_url(&found.ews_url, &guard)
                    .await
                    .map_err(|e| {
                        OnboardingError::Invalid(format!(
                            "Autodiscover answered {}, which Roombook does not connect to: {e}",
                            found.ews_url.chars().take(200).collect::<String>()
                        ))
                    })?
            }
        };
        let now = Utc::now();
        let connection = ExchangeConnection {
            tenant_id: tenant,
            mode: ConnectionMode::ServiceAccount,
            ews_url,
            identity: username,
            directory_tenant: None,
            secret: Some(secret),
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
            &connection.ews_url,
            format!(
                "account {}; checks {}{}",
                connection.identity,
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
        let client_id = self.exchange.settings().client_id.clone().ok_or_else(|| {
            OnboardingError::Invalid(
                "Exchange Online is not configured on this Roombook server (exchange_online.client_id).".into(),
            )
        })?;
        let directory = current.tenant.directory_id.clone().ok_or_else(|| {
            OnboardingError::Invalid(
                "Sign in with your Microsoft work account first: consent is given for the directory you signed in with.".into(),
            )
        })?;
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
            self.exchange.settings().authority.trim_end_matches('/'),
            encode(&directory),
            encode(&client_id),
            encode(EWS_DEFAULT_SCOPE),
            encode(&format!(
                "{}/admin/consent/callback",
                self.settings.public_url.trim_end_matches('/')
            )),
            encode(&state),
        ))
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
        let client_id = self.exchange.settings().client_id.clone().ok_or_else(|| {
            OnboardingError::Invalid(
                "Exchange Online is not configured on this Roombook server (exchange_online.client_id).".into(),
            )
        })?;
        let existing = self.store.connection(current.tenant.id).await?;
        let now = Utc::now();
        let mut connection = ExchangeConnection {
            tenant_id: current.tenant.id,
            mode: ConnectionMode::OAuthCertificate,
            ews_url: self.exchange.settings().online_ews_url.clone(),
            identity: client_id,
            directory_tenant: Some(directory.clone()),
            secret: None,
            rooms_only: pending.rooms_only,
            status: ConnectionStatus::Unchecked,
            check_address: pending.check_address,
            consent_at: None,
            next_check_at: None,
            password_failures: 0,
            certificate_expires_at: self.exchange.certificate_expiry().await,
            last_success_at: existing.as_ref().and_then(|c| c.last_success_at),
            last_error: existing.as_ref().and_then(|c| c.last_error.clone()),
            updated_at: now,
        };
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
        self.exchange.forget_token(&directory);
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
        mut connection: ExchangeConnection,
        actor: Option<UserId>,
    ) -> Result<ExchangeConnection, OnboardingError> {
        let outcome = self
            .exchange
            .check_mailbox(&connection, &connection.check_address)
            .await;
        if outcome.status != ConnectionStatus::Healthy {
            tracing::warn!(
                tenant = %connection.tenant_id,
                status = outcome.status.as_str(),
                detail = %outcome.detail,
                "connection check failed"
            );
        }
        if connection.mode == ConnectionMode::OAuthCertificate {
            connection.certificate_expires_at = self.exchange.certificate_expiry().await;
        }
        apply_outcome(&mut connection, &outcome, Utc::now(), &self.settings);
        self.store.save_connection(&connection).await?;
        self.audit(
            connection.tenant_id,
            actor,
            "connection.check",
            &connection.check_address,
            connection.status.as_str().into(),
        )
        .await;
        if connection.status == ConnectionStatus::Healthy {
            match self.import_rooms(connection.tenant_id, actor).await {
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %error_chain(&e), "room import after a healthy check failed")
                }
            }
        }
        Ok(connection)
    }

    /// Imports room lists and rooms.
    pub async fn import_rooms(
        &self,
        tenant: TenantId,
        actor: Option<UserId>,
    ) -> Result<ImportSummary, OnboardingError> {
        let connection = self.store.connection(tenant).await?.ok_or_else(|| {
            OnboardingError::Invalid("Connect this organisation to Exchange first.".into())
        })?;
        let rooms = self
            .exchange
            .list_rooms(&connection, &connection.check_address)
            .await
            .map_err(OnboardingError::Import)?;
        // An empty answer while rooms exist is far likelier a broken room list or a lost
        // permission than an organisation without rooms: it changes nothing, and says so.
        let listed = rooms.iter().filter(|r| !r.email.trim().is_empty()).count();
        if listed == 0 {
            let active = self.store.count_rooms(tenant).await?.active;
            if active > 0 {
                let sentence = empty_import_sentence(active);
                self.audit(
                    tenant,
                    actor,
                    "rooms.import_refused",
                    "room lists",
                    sentence.clone(),
                )
                .await;
                return Err(OnboardingError::Invalid(sentence));
            }
        }
        let summary = self.store.import_rooms(tenant, &rooms).await?;
        self.audit(
            tenant,
            actor,
            "rooms.import",
            "room lists",
            format!(
                "{} listed: {} added, {} reactivated, {} made inactive, {} unchanged",
                rooms.len(),
                summary.added,
                summary.reactivated,
                summary.deactivated,
                summary.unchanged
            ),
        )
        .await;
        Ok(summary)
    }

    /// Re-checks every connection whose automatic check is due (consent pending, throttled).
    pub async fn run_due_checks(&self) {
        let due = match self.store.connections_due(Utc::now()).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %error_chain(&e), "cannot list due connection checks");
                return;
            }
        };
        for connection in due {
            let tenant = connection.tenant_id;
            if let Err(e) = self.check_and_save(connection, None).await {
                tracing::error!(tenant = %tenant, error = %error_chain(&e), "automatic connection check failed");
            }
        }
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

/// Records a check's outcome on the connection and schedules the next automatic check.
pub fn apply_outcome(
    c: &mut ExchangeConnection,
    outcome: &CheckOutcome,
    now: DateTime<Utc>,
    settings: &OnboardingSettings,
) {
    c.status = outcome.status;
    c.updated_at = now;
    c.next_check_at = None;
    match outcome.status {
        ConnectionStatus::Healthy => {
            c.last_success_at = Some(now);
            c.password_failures = 0;
            return;
        }
        ConnectionStatus::ConsentPending => {
            if let Some(consent_at) = c.consent_at {
                let waited = (now - consent_at).to_std().unwrap_or_default();
                if waited >= settings.consent_wait {
                    c.status = ConnectionStatus::ConsentTimedOut;
                } else {
                    // Waits grow with the time already waited: quick at first, then calmer.
                    let wait = (waited / 2)
                        .max(settings.consent_retry_first)
                        .min(settings.consent_retry_max);
                    c.next_check_at = chrono::Duration::from_std(wait).ok().map(|w| now + w);
                }
            }
        }
        ConnectionStatus::Throttled => {
            let wait = outcome.retry_after.unwrap_or(Duration::from_secs(60));
            c.next_check_at = chrono::Duration::from_std(wait).ok().map(|w| now + w);
        }
        ConnectionStatus::WrongPassword | ConnectionStatus::PasswordExpired => {
            c.password_failures += 1;
        }
        _ => {}
    }
    c.last_error = Some(ConnectionError {
        // A refusal names the host and what is wrong with it (never a body or a status code
        // from the other side); every other status speaks for itself.
        message: if c.status == ConnectionStatus::AddressRefused {
            outcome.detail.chars().take(300).collect()
        } else {
            c.status.label().to_owned()
        },
        class: outcome.class.clone().unwrap_or_else(|| "other".into()),
        at: now,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection() -> ExchangeConnection {
        ExchangeConnection {
            tenant_id: TenantId::new(),
            mode: ConnectionMode::OAuthCertificate,
            ews_url: "https://outlook.office365.com/EWS/Exchange.asmx".into(),
            identity: "app".into(),
            directory_tenant: Some("tid".into()),
            secret: None,
            rooms_only: false,
            status: ConnectionStatus::Unchecked,
            check_address: "admin@contoso.example".into(),
            consent_at: None,
            next_check_at: None,
            password_failures: 0,
            certificate_expires_at: None,
            last_success_at: None,
            last_error: None,
            updated_at: Utc::now(),
        }
    }

    fn outcome(status: ConnectionStatus) -> CheckOutcome {
        CheckOutcome {
            status,
            class: Some("permission".into()),
            detail: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn pending_consent_is_retried_with_growing_waits_for_two_hours() {
        let settings = OnboardingSettings::default();
        let mut c = connection();
        let start = Utc::now();
        c.consent_at = Some(start);
        apply_outcome(
            &mut c,
            &outcome(ConnectionStatus::ConsentPending),
            start,
            &settings,
        );
        assert_eq!(c.status, ConnectionStatus::ConsentPending);
        assert_eq!(c.next_check_at, Some(start + chrono::Duration::seconds(30)));
        let later = start + chrono::Duration::minutes(20);
        apply_outcome(
            &mut c,
            &outcome(ConnectionStatus::ConsentPending),
            later,
            &settings,
        );
        assert_eq!(c.next_check_at, Some(later + chrono::Duration::minutes(10)));
        let much_later = start + chrono::Duration::minutes(100);
        apply_outcome(
            &mut c,
            &outcome(ConnectionStatus::ConsentPending),
            much_later,
            &settings,
        );
        assert_eq!(
            c.next_check_at,
            Some(much_later + chrono::Duration::minutes(15))
        );
        let too_late = start + chrono::Duration::minutes(121);
        apply_outcome(
            &mut c,
            &outcome(ConnectionStatus::ConsentPending),
            too_late,
            &settings,
        );
        assert_eq!(c.status, ConnectionStatus::ConsentTimedOut);
        assert_eq!(c.next_check_at, None);
    }

    #[test]
    fn success_resets_failures_and_schedules_nothing() {
        let settings = OnboardingSettings::default();
        let mut c = connection();
        let now = Utc::now();
        apply_outcome(
            &mut c,
            &outcome(ConnectionStatus::WrongPassword),
            now,
            &settings,
        );
        apply_outcome(
            &mut c,
            &outcome(ConnectionStatus::WrongPassword),
            now,
            &settings,
        );
        assert_eq!(c.password_failures, 2);
        assert_eq!(c.last_error.as_ref().unwrap().class, "permission");
        apply_outcome(&mut c, &outcome(ConnectionStatus::Healthy), now, &settings);
        assert_eq!(c.password_failures, 0);
        assert_eq!(c.last_success_at, Some(now));
        assert_eq!(c.next_check_at, None);
    }
}
