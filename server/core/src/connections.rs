//! Keeping an organisation's calendar connection checked: probe it through the calendar port,
//! record the outcome (status, last success or error, automatic re-checks while consent is
//! propagating or the server throttles, password failures), and import the rooms once it
//! works. How a connection is *made* (a form, admin consent) is the server's onboarding; what
//! happens to it afterwards is here, the same for every backend.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::audit;
use crate::domain::{
    ConnectionError, ConnectionStatus, ExchangeConnection, ImportSummary, TenantId, UserId,
};
use crate::error_chain;
use crate::ports::calendar::{CalendarError, CalendarGateway, ProbeOutcome};
use crate::ports::storage::{Store, StoreError};

/// When Roombook checks a connection again by itself.
#[derive(Clone, Debug)]
pub struct CheckSettings {
    /// First wait before re-checking a pending consent; it grows from there.
    pub consent_retry_first: Duration,
    /// Longest wait between two re-checks.
    pub consent_retry_max: Duration,
    /// How long consent may take to reach Exchange before Roombook stops waiting.
    pub consent_wait: Duration,
}

impl Default for CheckSettings {
    fn default() -> Self {
        Self {
            consent_retry_first: Duration::from_secs(30),
            consent_retry_max: Duration::from_secs(15 * 60),
            consent_wait: Duration::from_secs(2 * 3600),
        }
    }
}

/// Why an import changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the organisation has no calendar connection")]
    NotConnected,
    /// The room lists came back empty while the organisation has active rooms: far likelier
    /// a broken room list or a lost permission than an organisation without rooms.
    #[error("the room lists are empty while {active} rooms are active")]
    NothingListed { active: u32 },
    #[error("the rooms could not be read from the calendar server")]
    Calendar(#[source] CalendarError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct ConnectionChecks {
    store: Arc<dyn Store>,
    calendar: Arc<dyn CalendarGateway>,
    settings: CheckSettings,
}

impl ConnectionChecks {
    pub fn new(
        store: Arc<dyn Store>,
        calendar: Arc<dyn CalendarGateway>,
        settings: CheckSettings,
    ) -> Self {
        Self {
            store,
            calendar,
            settings,
        }
    }

    /// Probes the connection, records the outcome, saves it, and imports the rooms when it
    /// works (an import that fails then is logged: the check itself succeeded).
    pub async fn check_and_save(
        &self,
        mut connection: ExchangeConnection,
        actor: Option<UserId>,
    ) -> Result<ExchangeConnection, StoreError> {
        let outcome = self
            .calendar
            .probe(&connection, &connection.check_address)
            .await;
        if outcome.status != ConnectionStatus::Healthy {
            tracing::warn!(
                tenant = %connection.tenant_id,
                status = outcome.status.as_str(),
                detail = %outcome.detail,
                "connection check failed"
            );
        }
        connection.certificate_expires_at = self.calendar.credential_expiry(&connection).await;
        apply_outcome(&mut connection, &outcome, Utc::now(), &self.settings);
        self.store.save_connection(&connection).await?;
        audit::record(
            self.store.as_ref(),
            connection.tenant_id,
            actor,
            "connection.check",
            &connection.check_address,
            connection.status.as_str().into(),
        )
        .await;
        if connection.status == ConnectionStatus::Healthy
            && let Err(e) = self.import_rooms(connection.tenant_id, actor).await
        {
            tracing::warn!(error = %error_chain(&e), "room import after a healthy check failed");
        }
        Ok(connection)
    }

    /// Imports the room lists and their rooms. An empty answer while rooms are active
    /// changes nothing.
    pub async fn import_rooms(
        &self,
        tenant: TenantId,
        actor: Option<UserId>,
    ) -> Result<ImportSummary, ImportError> {
        let connection = self
            .store
            .connection(tenant)
            .await?
            .ok_or(ImportError::NotConnected)?;
        let rooms = self
            .calendar
            .room_lists(&connection, &connection.check_address)
            .await
            .map_err(ImportError::Calendar)?;
        let listed = rooms.iter().filter(|r| !r.email.trim().is_empty()).count();
        if listed == 0 {
            let active = self.store.count_rooms(tenant).await?.active;
            if active > 0 {
                audit::record(
                    self.store.as_ref(),
                    tenant,
                    actor,
                    "rooms.import_refused",
                    "room lists",
                    format!("the room lists held no rooms, so Roombook changed nothing: the {active} active rooms were kept"),
                )
                .await;
                return Err(ImportError::NothingListed { active });
            }
        }
        let summary = self.store.import_rooms(tenant, &rooms).await?;
        audit::record(
            self.store.as_ref(),
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

/// Records a probe's outcome on the connection and schedules the next automatic check.
pub fn apply_outcome(
    c: &mut ExchangeConnection,
    outcome: &ProbeOutcome,
    now: DateTime<Utc>,
    settings: &CheckSettings,
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
    use crate::domain::{CalendarBackend, EwsAuth};

    fn connection() -> ExchangeConnection {
        ExchangeConnection {
            tenant_id: TenantId::new(),
            backend: CalendarBackend::Ews {
                url: "https://outlook.office365.com/EWS/Exchange.asmx".into(),
                auth: EwsAuth::AppCertificate {
                    client_id: "app".into(),
                    directory: "tid".into(),
                },
            },
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

    fn outcome(status: ConnectionStatus) -> ProbeOutcome {
        ProbeOutcome {
            status,
            class: Some("permission".into()),
            detail: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn pending_consent_is_retried_with_growing_waits_for_two_hours() {
        let settings = CheckSettings::default();
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
        let settings = CheckSettings::default();
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
