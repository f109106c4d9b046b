//! The EWS adapter of the calendar ports ([`CalendarGateway`], [`CalendarSetup`]): builds the
//! EWS client of an organisation's connection from its settings and the secret store, and
//! turns EWS answers and faults into the ports' outcomes and errors.
//!
//! This is the one place that knows a connection is EWS. A Microsoft Graph backend would sit
//! beside it, serve its own [`CalendarBackend`] variant and return the same outcomes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use roombook_ews::oauth::{AppOnlyOAuth, ClientCertificate};
use roombook_ews::operations::{
    CancelCalendarItem, CreateMeeting, FreeBusyViewKind, GetFolder, GetRoomLists, GetRooms,
    MailboxRequest, NewMeeting, ResolveNames, SendInvitations, SendUpdates,
};
use roombook_ews::types::{Body, FolderId, FreeBusy, ItemId, ItemShape};
use roombook_ews::{
    AuthError, ClientConfig, ConnectingSid, CredentialProvider, Credentials, ErrorClass, EwsClient,
    ResponseCode, RetryPolicy, Secret,
};
use roombook_secrets::{SecretRef as VaultRef, SecretStore};
use tokio::sync::Semaphore;

use roombook_core::domain::{
    CalendarBackend, ConnectionMode, ConnectionStatus, EwsAuth, ExchangeConnection, ImportedRoom,
    SecretRef, TenantId,
};
use roombook_core::ports::calendar::{
    BusyInterval, CalendarError, CalendarGateway, CalendarSetup, DirectoryEntry, MailboxBusy,
    MeetingRef, MeetingRequest, ProbeOutcome, RoomAnswer, ScheduledMeeting, SetupError,
};
use roombook_ews::autodiscover::Autodiscover;

/// Where Roombook's own app lives (Exchange Online mode).
#[derive(Clone, Debug)]
pub struct ExchangeSettings {
    /// `https://outlook.office365.com/EWS/Exchange.asmx` unless a test says otherwise.
    pub online_ews_url: String,
    /// `https://login.microsoftonline.com`.
    pub authority: String,
    /// Our app registration's client id (Exchange Online mode); `None` disables that mode.
    pub client_id: Option<String>,
    /// Where our certificate and key (PEM) are in the secret store (set at start-up).
    pub certificate: Option<VaultRef>,
    /// Where organisations may point Roombook (EWS URLs, Autodiscover and its answers); the
    /// HTTP client is built by the same guard.
    pub guard: roombook_outbound::Guard,
    /// Attempts and time budget of one check.
    pub retry: RetryPolicy,
    /// Autodiscover base URLs; empty: derived from the address's domain.
    pub autodiscover_urls: Vec<String>,
    /// EWS requests in flight at once per organisation (checks, bookings, background tasks).
    pub max_requests_in_flight: usize,
    /// How long the service account's password stays in memory (zero: read for every request).
    pub password_cache: Duration,
}

/// How the password or certificate is found for each request.
pub enum ConnectionCredentials {
    /// The service account's password, from the secret store (kept in memory a few minutes).
    Basic(PasswordCredentials),
    OAuth(Arc<AppOnlyOAuth>),
}

/// The service account's password: read from the secret store, kept in memory for `ttl` so
/// that a burst of calls reads the store once, and dropped at the first refusal (HTTP 401).
/// A changed password is a new secret version, and so a new connection with a new cache.
pub struct PasswordCredentials {
    username: String,
    secrets: Arc<dyn SecretStore>,
    secret: VaultRef,
    ttl: Duration,
    cached: Mutex<Option<(Secret, Instant)>>,
    /// One read at a time: requests that find the cache empty together wait for one read.
    reading: tokio::sync::Mutex<()>,
}

impl PasswordCredentials {
    pub fn new(
        username: String,
        secrets: Arc<dyn SecretStore>,
        secret: VaultRef,
        ttl: Duration,
    ) -> Self {
        Self {
            username,
            secrets,
            secret,
            ttl,
            cached: Mutex::new(None),
            reading: tokio::sync::Mutex::new(()),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Option<(Secret, Instant)>> {
        self.cached.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fresh(&self) -> Option<Secret> {
        self.cache()
            .as_ref()
            .filter(|(_, read_at)| read_at.elapsed() < self.ttl)
            .map(|(password, _)| password.clone())
    }

    async fn read(&self) -> Result<Secret, AuthError> {
        self.secrets
            .get(&self.secret)
            .await
            .map_err(|e| AuthError::Provider(e.to_string()))
    }

    async fn password(&self) -> Result<Secret, AuthError> {
        if self.ttl.is_zero() {
            return self.read().await;
        }
        if let Some(password) = self.fresh() {
            return Ok(password);
        }
        let _one_reader = self.reading.lock().await;
        if let Some(password) = self.fresh() {
            return Ok(password);
        }
        let password = self.read().await?;
        *self.cache() = Some((password.clone(), Instant::now()));
        Ok(password)
    }

    /// Drops the cached password if it is the one Exchange refused.
    fn forget(&self, refused: &Secret) {
        let mut cache = self.cache();
        if cache
            .as_ref()
            .is_some_and(|(password, _)| password == refused)
        {
            *cache = None;
        }
    }
}

impl CredentialProvider for ConnectionCredentials {
    async fn credentials(&self) -> Result<Credentials, AuthError> {
        match self {
            Self::Basic(basic) => Ok(Credentials::Basic {
                username: basic.username.clone(),
                password: basic.password().await?,
            }),
            Self::OAuth(oauth) => Ok(Credentials::Bearer(oauth.token().await?)),
        }
    }

    fn rejected(&self, rejected: &Credentials) {
        match (self, rejected) {
            (Self::OAuth(oauth), Credentials::Bearer(token)) => oauth.invalidate(token),
            (Self::Basic(basic), Credentials::Basic { password, .. }) => basic.forget(password),
            _ => {}
        }
    }

    /// Not for Basic: the secret version is fixed, so the store would give the same password,
    /// and a second refusal only brings the account closer to its lockout threshold.
    fn retry_on_unauthorized(&self) -> bool {
        matches!(self, Self::OAuth(_))
    }
}

pub type TenantClient = EwsClient<Arc<ConnectionCredentials>>;

/// The EWS variant of a connection's settings: what its clients are built from.
#[derive(Clone, Debug, PartialEq, Eq)]
struct EwsSettings {
    url: String,
    auth: EwsAuth,
}

impl EwsSettings {
    fn of(c: &ExchangeConnection) -> Self {
        // One variant today: a Graph backend's variant will not compile here until its
        // connections are routed to its own adapter.
        let CalendarBackend::Ews { url, auth } = &c.backend;
        Self {
            url: url.clone(),
            auth: auth.clone(),
        }
    }

    fn directory(&self) -> Option<&str> {
        match &self.auth {
            EwsAuth::AppCertificate { directory, .. } => Some(directory),
            EwsAuth::ServiceAccount { .. } => None,
        }
    }
}

fn vault_ref(secret: &SecretRef) -> VaultRef {
    VaultRef {
        name: secret.name.clone(),
        version: secret.version.clone().unwrap_or_default(),
    }
}

/// One connection's clients: the same credentials and the organisation's one concurrency
/// limit, with the retry policy of checks or of booking calls. They were built from `settings`:
/// when any of it changes (another server, account, password version or directory), they are
/// built anew.
struct ConnectionClients {
    settings: EwsSettings,
    check: TenantClient,
    booking: TenantClient,
}

/// An organisation's clients: the current connection's, and the limit on requests in flight
/// that every connection it ever had shares (a connection replaced while its requests run
/// does not double the load).
struct TenantClients {
    limit: Arc<Semaphore>,
    current: Option<Arc<ConnectionClients>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("Exchange Online is not configured on this server (no app client id).")]
    OnlineNotConfigured,
    #[error("Roombook's certificate is not available: {0}")]
    Certificate(String),
    #[error(transparent)]
    Ews(#[from] roombook_ews::Error),
    #[error(transparent)]
    Refused(#[from] roombook_outbound::Refused),
}

pub struct Exchange {
    settings: ExchangeSettings,
    secrets: Arc<dyn SecretStore>,
    http: reqwest::Client,
    /// One token cache per directory: tokens are per tenant.
    oauth: Mutex<HashMap<String, Arc<AppOnlyOAuth>>>,
    /// One entry per organisation: its current connection's clients and its limit.
    clients: Mutex<HashMap<TenantId, TenantClients>>,
}

impl Exchange {
    pub fn new(
        settings: ExchangeSettings,
        secrets: Arc<dyn SecretStore>,
        http: reqwest::Client,
    ) -> Self {
        Self {
            settings,
            secrets,
            http,
            oauth: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &ExchangeSettings {
        &self.settings
    }

    pub fn secrets(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    /// Our app certificate, from the secret store.
    pub async fn app_certificate(&self) -> Result<ClientCertificate, ExchangeError> {
        let reference = self.settings.certificate.as_ref().ok_or_else(|| {
            ExchangeError::Certificate(
                "no certificate is configured (exchange_online.certificate_file)".into(),
            )
        })?;
        let pem = self
            .secrets
            .get(reference)
            .await
            .map_err(|e| ExchangeError::Certificate(e.to_string()))?;
        let pem = pem.expose().as_bytes();
        ClientCertificate::from_pem(pem, pem).map_err(|e| ExchangeError::Certificate(e.to_string()))
    }

    /// When our certificate expires.
    pub async fn certificate_expiry(&self) -> Option<DateTime<Utc>> {
        let cert = self.app_certificate().await.ok()?;
        let der = cert.der().ok()?;
        let x509 = openssl::x509::X509::from_der(&der).ok()?;
        let now = openssl::asn1::Asn1Time::days_from_now(0).ok()?;
        let diff = now.diff(x509.not_after()).ok()?;
        Some(
            Utc::now()
                + chrono::Duration::days(i64::from(diff.days))
                + chrono::Duration::seconds(i64::from(diff.secs)),
        )
    }

    async fn oauth_for(&self, directory: &str) -> Result<Arc<AppOnlyOAuth>, ExchangeError> {
        let client_id = self
            .settings
            .client_id
            .clone()
            .ok_or(ExchangeError::OnlineNotConfigured)?;
        if let Some(existing) = self
            .oauth
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(directory)
        {
            return Ok(existing.clone());
        }
        let cert = self.app_certificate().await?;
        let oauth = Arc::new(
            AppOnlyOAuth::with_authority(&self.settings.authority, directory, client_id, cert)
                .with_http_client(self.http.clone()),
        );
        self.oauth
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(directory.to_owned(), oauth.clone());
        Ok(oauth)
    }

    /// Forgets the cached token of a directory: tokens issued before consent carry no roles.
    /// The clients built on it go too.
    pub fn forget_token(&self, directory: &str) {
        self.oauth
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(directory);
        for entry in self
            .clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values_mut()
        {
            if entry
                .current
                .as_ref()
                .is_some_and(|c| c.settings.directory() == Some(directory))
            {
                entry.current = None;
            }
        }
    }

    /// The EWS client for a tenant's connection, with the retry policy of checks.
    pub async fn client(&self, c: &ExchangeConnection) -> Result<TenantClient, ExchangeError> {
        Ok(self.clients_for(c).await?.check.clone())
    }

    /// The EWS client for booking calls (a longer retry budget), sharing the connection's
    /// credentials and the organisation's limit with [`Self::client`].
    async fn booking_client(&self, c: &ExchangeConnection) -> Result<TenantClient, ExchangeError> {
        Ok(self.clients_for(c).await?.booking.clone())
    }

    /// The organisation's clients for this connection: the ones built before if the
    /// connection is the same, else new ones (the old ones finish what they run).
    async fn clients_for(
        &self,
        c: &ExchangeConnection,
    ) -> Result<Arc<ConnectionClients>, ExchangeError> {
        let key = EwsSettings::of(c);
        // Checked again at every use, not only when typed: the policy may have changed since,
        // and a literal address never reaches the guard's resolver.
        self.settings.guard.parse(&key.url)?;
        let limit = {
            let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
            let entry = clients.entry(c.tenant_id).or_insert_with(|| TenantClients {
                limit: Arc::new(Semaphore::new(self.settings.max_requests_in_flight.max(1))),
                current: None,
            });
            if let Some(current) = entry.current.as_ref().filter(|cur| cur.settings == key) {
                return Ok(current.clone());
            }
            entry.limit.clone()
        };
        let built = Arc::new(self.build_clients(key, limit).await?);
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let entry = clients.get_mut(&c.tenant_id).expect("inserted above");
        // Another request may have built the same meanwhile: keep one.
        match &entry.current {
            Some(current) if current.settings == built.settings => Ok(current.clone()),
            _ => {
                entry.current = Some(built.clone());
                Ok(built)
            }
        }
    }

    async fn build_clients(
        &self,
        key: EwsSettings,
        limit: Arc<Semaphore>,
    ) -> Result<ConnectionClients, ExchangeError> {
        let credentials = Arc::new(match &key.auth {
            EwsAuth::ServiceAccount { username, password } => {
                ConnectionCredentials::Basic(PasswordCredentials::new(
                    username.clone(),
                    self.secrets.clone(),
                    vault_ref(password),
                    self.settings.password_cache,
                ))
            }
            EwsAuth::AppCertificate { directory, .. } => {
                ConnectionCredentials::OAuth(self.oauth_for(directory).await?)
            }
        });
        let client = |retry: RetryPolicy| {
            let mut config = ClientConfig::new(key.url.clone());
            config.retry = retry;
            config.request_timeout = Duration::from_secs(30);
            config.max_concurrent_requests = self.settings.max_requests_in_flight.max(1);
            EwsClient::with_http_client(self.http.clone(), config, credentials.clone())
                .with_concurrency_limit(limit.clone())
        };
        Ok(ConnectionClients {
            check: client(self.settings.retry.clone()),
            booking: client(booking_retry_policy()),
            settings: key,
        })
    }

    /// The HTTP client EWS calls use (Autodiscover shares it).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// Booking calls wait out throttling a little longer than checks do: a person is waiting, but
/// a booking that gives up under load is worse than one that takes a few seconds.
fn booking_retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        deadline: Duration::from_secs(30),
        base_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(5),
    }
}

fn calendar_error(e: roombook_ews::Error) -> CalendarError {
    use ResponseCode as C;
    if matches!(e, roombook_ews::Error::ChangedElsewhere { .. }) {
        return CalendarError::ChangedElsewhere;
    }
    match e.response_code() {
        Some(C::ErrorItemNotFound) => return CalendarError::NotFound,
        Some(
            C::ErrorNonExistentMailbox
            | C::ErrorMailRecipientNotFound
            | C::ErrorInvalidSmtpAddress
            | C::ErrorNonPrimarySmtpAddress,
        ) => return CalendarError::NoMailbox(e.to_string()),
        _ => {}
    }
    match e.classify() {
        ErrorClass::Throttled { .. } => CalendarError::Throttled,
        ErrorClass::Transient | ErrorClass::Other => CalendarError::Unavailable(e.to_string()),
        ErrorClass::Authentication | ErrorClass::Permission => {
            CalendarError::Refused(e.to_string())
        }
        ErrorClass::MailboxNotFound => CalendarError::NoMailbox(e.to_string()),
        ErrorClass::InvalidRequest => CalendarError::Rejected(e.to_string()),
    }
}

/// Whether a request certainly never reached EWS: no connection could be made, or the front
/// door (IIS / HTTP.sys) answered 503 without a SOAP fault every time.
fn never_reached_exchange(e: &roombook_ews::Error) -> bool {
    match e {
        roombook_ews::Error::RetriesExhausted { last, .. } => never_reached_exchange(last),
        roombook_ews::Error::Http { status: 503, .. } => true,
        roombook_ews::Error::Transport(t) => t.is_connect(),
        roombook_ews::Error::Destination(_) => true,
        _ => false,
    }
}

fn client_error(e: ExchangeError) -> CalendarError {
    match e {
        ExchangeError::Ews(e) => calendar_error(e),
        other => CalendarError::Refused(other.to_string()),
    }
}

fn act_as(address: &str) -> ConnectingSid {
    ConnectingSid::PrimarySmtpAddress(address.to_owned())
}

#[async_trait::async_trait]
impl CalendarGateway for Exchange {
    async fn probe(&self, c: &ExchangeConnection, address: &str) -> ProbeOutcome {
        let mode = c.backend.mode();
        let client = match self.client(c).await {
            Ok(client) => client,
            Err(e) => return failure_outcome(mode, &e),
        };
        // Opening the calendar of `address` with impersonation proves both that the mailbox
        // exists and that the connection may open it.
        match client
            .call(Some(&act_as(address)), &GetFolder::calendar_of(address))
            .await
        {
            Ok(_) => ProbeOutcome::healthy(),
            Err(e) => failure_outcome(mode, &ExchangeError::Ews(e)),
        }
    }

    async fn room_lists(
        &self,
        c: &ExchangeConnection,
        address: &str,
    ) -> Result<Vec<ImportedRoom>, CalendarError> {
        let client = self.client(c).await.map_err(client_error)?;
        let who = act_as(address);
        let lists = client
            .call(Some(&who), &GetRoomLists)
            .await
            .map_err(calendar_error)?;
        let mut rooms = Vec::new();
        for list in lists {
            let Some(list_address) = list.address.clone() else {
                continue;
            };
            let members = client
                .call(
                    Some(&who),
                    &GetRooms {
                        room_list: list_address.clone(),
                    },
                )
                .await
                .map_err(calendar_error)?;
            let list_name = list.name.clone().unwrap_or(list_address);
            rooms.extend(members.into_iter().filter_map(|room| {
                Some(ImportedRoom {
                    email: room.address?,
                    name: room.name.unwrap_or_default(),
                    room_list: Some(list_name.clone()),
                })
            }));
        }
        Ok(rooms)
    }

    async fn room_schedule(
        &self,
        c: &ExchangeConnection,
        room: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<ScheduledMeeting>, CalendarError> {
        let client = self.booking_client(c).await.map_err(client_error)?;
        let found = client
            .calendar_view_all(
                Some(&act_as(room)),
                &roombook_ews::operations::CalendarView::new(room, start, end),
            )
            .await
            .map_err(calendar_error)?;
        Ok(found
            .items
            .into_iter()
            .filter(|item| item.is_cancelled != Some(true))
            .filter_map(|item| {
                let id = item.item_id?;
                Some(ScheduledMeeting {
                    meeting: MeetingRef {
                        calendar: room.to_owned(),
                        item_id: id.id,
                        change_key: id.change_key,
                    },
                    uid: item.uid,
                    start: item.start?,
                    end: item.end?,
                    subject: item.subject,
                    organiser: item.organizer.and_then(|o| {
                        Some(DirectoryEntry {
                            email: o.address?,
                            name: o.name.unwrap_or_default(),
                        })
                    }),
                    tentative: item.free_busy == Some(FreeBusy::Tentative),
                    last_modified: item.last_modified,
                })
            })
            .collect())
    }

    async fn credential_expiry(&self, c: &ExchangeConnection) -> Option<DateTime<Utc>> {
        match EwsSettings::of(c).auth {
            EwsAuth::AppCertificate { .. } => self.certificate_expiry().await,
            EwsAuth::ServiceAccount { .. } => None,
        }
    }

    fn forget_credentials(&self, c: &ExchangeConnection) {
        if let Some(directory) = EwsSettings::of(c).directory() {
            self.forget_token(directory);
        }
    }

    async fn free_busy(
        &self,
        c: &ExchangeConnection,
        who: &str,
        mailboxes: &[String],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<MailboxBusy>, CalendarError> {
        if mailboxes.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.booking_client(c).await.map_err(client_error)?;
        let requests: Vec<MailboxRequest> = mailboxes
            .iter()
            .map(|m| MailboxRequest::room(m.as_str()))
            .collect();
        let answers = client
            .availability(
                Some(&act_as(who)),
                &requests,
                start,
                end,
                FreeBusyViewKind::FreeBusy,
            )
            .await
            .map_err(calendar_error)?;
        Ok(answers
            .into_iter()
            .map(|answer| match answer {
                Ok(availability) => MailboxBusy::Known(
                    availability
                        .events
                        .into_iter()
                        .filter(|e| !matches!(e.busy, FreeBusy::Free | FreeBusy::WorkingElsewhere))
                        .map(|e| BusyInterval {
                            start: e.start,
                            end: e.end,
                            tentative: e.busy == FreeBusy::Tentative,
                        })
                        .collect(),
                ),
                Err(e) => MailboxBusy::Unknown(e.to_string()),
            })
            .collect())
    }

    async fn create_meeting(
        &self,
        c: &ExchangeConnection,
        m: &MeetingRequest,
    ) -> Result<MeetingRef, CalendarError> {
        let client = self.booking_client(c).await.map_err(client_error)?;
        let who = act_as(&m.calendar);
        let mut meeting = NewMeeting::in_room(
            m.subject.clone(),
            m.room.clone(),
            m.start,
            m.end,
            m.uid.clone(),
        );
        meeting.location = Some(m.room_name.clone());
        if !m.note.trim().is_empty() {
            meeting.body = Some(Body::text(m.note.clone()));
        }
        meeting.required_attendees = m.attendees.clone();
        if m.room_is_organiser {
            // The room's own calendar holds the meeting; it has no booking attendant to ask.
            meeting.resources.clear();
            meeting.required_attendees.insert(0, m.person.clone());
        }
        let op = CreateMeeting {
            meeting,
            send: SendInvitations::SendToAllAndSaveCopy,
            saved_item_folder: Some(FolderId::calendar(None)),
        };
        let created = client.call(Some(&who), &op).await;
        let lost = match created {
            Ok(created) => match created.item_id {
                Some(id) => {
                    return Ok(MeetingRef {
                        calendar: m.calendar.clone(),
                        item_id: id.id,
                        change_key: id.change_key,
                    });
                }
                None => None,
            },
            // Refused before Exchange saw it (IIS 503 after every retry, no connection):
            // nothing was created, and the caller may say so.
            Err(e) if never_reached_exchange(&e) => return Err(calendar_error(e)),
            Err(e) => match e.classify() {
                // The request may or may not have been carried out: look for it.
                ErrorClass::Transient | ErrorClass::Other => Some(e),
                _ => return Err(calendar_error(e)),
            },
        };
        let window_start = m.start - chrono::Duration::minutes(1);
        let window_end = m.end + chrono::Duration::minutes(1);
        match client
            .find_by_uid(Some(&who), &m.calendar, &m.uid, window_start, window_end)
            .await
        {
            Ok(found) => match found.into_iter().find_map(|item| item.item_id) {
                Some(id) => Ok(MeetingRef {
                    calendar: m.calendar.clone(),
                    item_id: id.id,
                    change_key: id.change_key,
                }),
                // The answer was lost and the meeting is not (yet) there: an unknown outcome,
                // which the booking code reconciles; only a refusal Exchange sent is Rejected.
                None => Err(CalendarError::Unconfirmed(match lost {
                    Some(e) => format!("the meeting's creation was not confirmed: {e}"),
                    None => "Exchange answered without the meeting's id".into(),
                })),
            },
            // The search failed too: still unknown.
            Err(e) => Err(CalendarError::Unconfirmed(format!(
                "the meeting could not be looked up: {e}"
            ))),
        }
    }

    async fn find_meeting(
        &self,
        c: &ExchangeConnection,
        calendar: &str,
        uid: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Option<MeetingRef>, CalendarError> {
        let client = self.booking_client(c).await.map_err(client_error)?;
        let found = client
            .find_by_uid(
                Some(&act_as(calendar)),
                calendar,
                uid,
                start - chrono::Duration::minutes(1),
                end + chrono::Duration::minutes(1),
            )
            .await
            .map_err(calendar_error)?;
        Ok(found.into_iter().find_map(|item| {
            item.item_id.map(|id| MeetingRef {
                calendar: calendar.to_owned(),
                item_id: id.id,
                change_key: id.change_key,
            })
        }))
    }

    async fn room_answer(
        &self,
        c: &ExchangeConnection,
        meeting: &MeetingRef,
        room: &str,
    ) -> Result<RoomAnswer, CalendarError> {
        if meeting.calendar.eq_ignore_ascii_case(room) {
            // The room organises its own meeting.
            return Ok(RoomAnswer::Accepted);
        }
        let client = self.booking_client(c).await.map_err(client_error)?;
        let ids = [ItemId::new(meeting.item_id.clone())];
        let mut items = client
            .get_items(
                Some(&act_as(&meeting.calendar)),
                &ids,
                1,
                &ItemShape::calendar_detailed(),
            )
            .await
            .map_err(calendar_error)?;
        let item = match items.pop() {
            Some(Ok(item)) => item,
            Some(Err(e)) if e.code == ResponseCode::ErrorItemNotFound => {
                return Ok(RoomAnswer::Gone);
            }
            Some(Err(e)) => return Err(CalendarError::Rejected(e.to_string())),
            None => {
                return Err(CalendarError::Unavailable(
                    "GetItem answered nothing".into(),
                ));
            }
        };
        if item.is_cancelled == Some(true) {
            return Ok(RoomAnswer::Gone);
        }
        let response = item
            .resources
            .iter()
            .chain(item.required_attendees.iter())
            .chain(item.optional_attendees.iter())
            .find(|a| {
                a.mailbox
                    .address
                    .as_deref()
                    .is_some_and(|addr| addr.eq_ignore_ascii_case(room))
            })
            .and_then(|a| a.response.clone());
        Ok(match response.as_deref() {
            Some("Accept") => RoomAnswer::Accepted,
            Some("Decline") => RoomAnswer::Declined,
            // Only an explicit decline is a decline. A copy without the room (not yet updated,
            // or no answer recorded) is waiting: the booking code looks again later.
            _ => RoomAnswer::Waiting,
        })
    }

    async fn move_meeting(
        &self,
        c: &ExchangeConnection,
        meeting: &MeetingRef,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        last_written: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<MeetingRef, CalendarError> {
        let client = self.booking_client(c).await.map_err(client_error)?;
        let item = ItemId {
            id: meeting.item_id.clone(),
            change_key: meeting.change_key.clone(),
        };
        // NeverOverwrite with the change key of our last write; on a conflict the client
        // re-reads the item and sends again only if just the room's answer changed it.
        let id = client
            .move_meeting(
                Some(&act_as(&meeting.calendar)),
                &item,
                start,
                end,
                SendUpdates::SendToAllAndSaveCopy,
                Some(last_written),
            )
            .await
            .map_err(calendar_error)?;
        Ok(MeetingRef {
            calendar: meeting.calendar.clone(),
            item_id: id
                .as_ref()
                .map(|i| i.id.clone())
                .unwrap_or_else(|| meeting.item_id.clone()),
            change_key: id.and_then(|i| i.change_key),
        })
    }

    async fn cancel_meeting(
        &self,
        c: &ExchangeConnection,
        meeting: &MeetingRef,
        message: &str,
    ) -> Result<(), CalendarError> {
        let client = self.booking_client(c).await.map_err(client_error)?;
        let op = CancelCalendarItem {
            item: ItemId::new(meeting.item_id.clone()),
            message: (!message.is_empty()).then(|| Body::text(message)),
        };
        match client.call(Some(&act_as(&meeting.calendar)), &op).await {
            Ok(_) => Ok(()),
            Err(e) => match calendar_error(e) {
                // Already gone: the goal is reached.
                CalendarError::NotFound => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn resolve_mailbox(
        &self,
        c: &ExchangeConnection,
        who: &str,
        address: &str,
    ) -> Result<Option<String>, CalendarError> {
        let client = self.booking_client(c).await.map_err(client_error)?;
        // `SMTP:` makes Exchange match proxy addresses exactly, never a name or a prefix.
        let lookup = ResolveNames {
            entry: format!("SMTP:{address}"),
            scope: roombook_ews::operations::resolve_names::SearchScope::ActiveDirectory,
            full_contact_data: false,
        };
        match client.call(Some(&act_as(who)), &lookup).await {
            Ok(found) => {
                let mut mailboxes = found.resolutions.into_iter().filter_map(|r| {
                    (r.mailbox.mailbox_type.as_deref() == Some("Mailbox"))
                        .then_some(r.mailbox.address)
                        .flatten()
                        .map(|a| a.trim().to_lowercase())
                        .filter(|a| !a.is_empty())
                });
                // Exactly one mailbox confirms it; several (or a list, a contact) do not.
                Ok(match (mailboxes.next(), mailboxes.next()) {
                    (Some(one), None) => Some(one),
                    _ => None,
                })
            }
            Err(e) if e.response_code() == Some(&ResponseCode::ErrorNameResolutionNoResults) => {
                Ok(None)
            }
            Err(e) => Err(calendar_error(e)),
        }
    }

    async fn find_people(
        &self,
        c: &ExchangeConnection,
        who: &str,
        text: &str,
    ) -> Result<Vec<DirectoryEntry>, CalendarError> {
        let client = self.booking_client(c).await.map_err(client_error)?;
        match client
            .call(Some(&act_as(who)), &ResolveNames::directory(text))
            .await
        {
            Ok(found) => Ok(found
                .resolutions
                .into_iter()
                .filter_map(|r| {
                    let email = r.mailbox.address?;
                    let name = r
                        .display_name
                        .or(r.mailbox.name)
                        .unwrap_or_else(|| email.clone());
                    Some(DirectoryEntry { name, email })
                })
                .collect()),
            Err(e) if e.response_code() == Some(&ResponseCode::ErrorNameResolutionNoResults) => {
                Ok(Vec::new())
            }
            Err(e) => Err(calendar_error(e)),
        }
    }
}

#[async_trait::async_trait]
impl CalendarSetup for Exchange {
    async fn check_endpoint(&self, url: &str) -> Result<String, SetupError> {
        validate_ews_url(url, &self.settings.guard)
            .await
            .map_err(|e| SetupError::Refused(e.to_string()))
    }

    async fn discover_endpoint(
        &self,
        address: &str,
        username: &str,
        password: &SecretRef,
    ) -> Result<String, SetupError> {
        let not_found = |cause: String| SetupError::NotFound {
            address: address.to_owned(),
            cause,
        };
        let password = self
            .secrets
            .get(&vault_ref(password))
            .await
            .map_err(|e| not_found(format!("the password could not be read: {e}")))?;
        let credentials = Credentials::Basic {
            username: username.to_owned(),
            password,
        };
        let mut autodiscover = Autodiscover::new(self.http.clone()).with_guard(self.settings.guard);
        if !self.settings.autodiscover_urls.is_empty() {
            autodiscover = autodiscover.with_candidates(self.settings.autodiscover_urls.clone());
        }
        let found = autodiscover
            .discover(address, Some(&credentials))
            .await
            .map_err(|e| not_found(roombook_core::error_chain(&e)))?;
        validate_ews_url(&found.ews_url, &self.settings.guard)
            .await
            .map_err(|e| SetupError::FoundRefused {
                found: found.ews_url.chars().take(200).collect(),
                reason: e.to_string(),
            })
    }

    fn app_backend(&self, directory: &str) -> Option<CalendarBackend> {
        Some(CalendarBackend::Ews {
            url: self.settings.online_ews_url.clone(),
            auth: EwsAuth::AppCertificate {
                client_id: self.settings.client_id.clone()?,
                directory: directory.to_owned(),
            },
        })
    }

    fn consent_scope(&self) -> &str {
        // The EWS permission `full_access_as_app` (or the rooms-only RBAC grant) is asked
        // for with the resource's default scope.
        "https://outlook.office365.com/.default"
    }

    fn consent_authority(&self) -> &str {
        &self.settings.authority
    }
}

/// Turns a failed check into a status the admin can act on.
pub fn failure_outcome(mode: ConnectionMode, e: &ExchangeError) -> ProbeOutcome {
    let detail = e.to_string();
    let outcome = |status, class: &str| ProbeOutcome {
        status,
        class: Some(class.to_owned()),
        detail: detail.clone(),
        retry_after: None,
    };
    let e = match e {
        ExchangeError::OnlineNotConfigured | ExchangeError::Certificate(_) => {
            return outcome(ConnectionStatus::CredentialsUnavailable, "configuration");
        }
        ExchangeError::Refused(refused) => return refused_outcome(refused),
        ExchangeError::Ews(e) => e,
    };
    if let Some(refused) = roombook_outbound::refusal_in(e) {
        return refused_outcome(refused);
    }
    let online = mode == ConnectionMode::OAuthCertificate;
    // The token is fine but carries no permissions: consent missing or not yet in effect.
    if e.ms_diagnostics_code() == Some(2_000_008) {
        return outcome(ConnectionStatus::ConsentPending, "permission");
    }
    if let roombook_ews::Error::Auth(AuthError::TokenEndpoint { error_codes, .. }) = e {
        // AADSTS700016: the app is not in the directory (consent never given there).
        if error_codes.contains(&700_016) || error_codes.contains(&65_001) {
            return outcome(ConnectionStatus::PermissionMissing, "authentication");
        }
        return outcome(ConnectionStatus::CredentialsUnavailable, "authentication");
    }
    if let roombook_ews::Error::Auth(AuthError::Provider(_)) = e {
        return outcome(ConnectionStatus::CredentialsUnavailable, "secret store");
    }
    if let Some(code) = e.response_code() {
        use ResponseCode as C;
        match code {
            C::ErrorNonExistentMailbox
            | C::ErrorMailRecipientNotFound
            | C::ErrorInvalidSmtpAddress
            | C::ErrorNonPrimarySmtpAddress => {
                return outcome(ConnectionStatus::NoMailbox, "mailbox not found");
            }
            C::ErrorImpersonateUserDenied | C::ErrorImpersonationDenied | C::ErrorAccessDenied => {
                return outcome(ConnectionStatus::PermissionMissing, "permission");
            }
            _ => {}
        }
    }
    match e.classify() {
        ErrorClass::MailboxNotFound => outcome(ConnectionStatus::NoMailbox, "mailbox not found"),
        ErrorClass::Permission if online => outcome(ConnectionStatus::EwsBlocked, "permission"),
        ErrorClass::Permission => outcome(ConnectionStatus::PermissionMissing, "permission"),
        ErrorClass::Authentication if online => {
            outcome(ConnectionStatus::ConsentPending, "authentication")
        }
        // Exchange marks an expired password with x-ms-diagnostics 2000003.
        ErrorClass::Authentication if e.ms_diagnostics_code() == Some(2_000_003) => {
            outcome(ConnectionStatus::PasswordExpired, "authentication")
        }
        ErrorClass::Authentication => outcome(ConnectionStatus::WrongPassword, "authentication"),
        ErrorClass::Throttled { back_off } => ProbeOutcome {
            retry_after: back_off,
            ..outcome(ConnectionStatus::Throttled, "throttled")
        },
        ErrorClass::Transient => outcome(ConnectionStatus::Unreachable, "transient"),
        ErrorClass::InvalidRequest => outcome(ConnectionStatus::Unreachable, "invalid request"),
        ErrorClass::Other => outcome(ConnectionStatus::Unreachable, "other"),
    }
}

fn refused_outcome(refused: &roombook_outbound::Refused) -> ProbeOutcome {
    ProbeOutcome {
        status: ConnectionStatus::AddressRefused,
        class: Some("address refused".into()),
        detail: refused.to_string(),
        retry_after: None,
    }
}

/// Checks an EWS URL an admin typed (or Autodiscover answered): https, and a host whose
/// addresses the guard allows. The guarded client checks again at every connection.
pub async fn validate_ews_url(
    raw: &str,
    guard: &roombook_outbound::Guard,
) -> Result<String, roombook_outbound::Refused> {
    guard.check_destination(raw).await.map(|u| u.to_string())
}

/// Keeps a retried request budget short for checks an admin waits for.
pub fn check_retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        deadline: Duration::from_secs(45),
        base_delay: Duration::from_millis(300),
        max_delay: Duration::from_secs(5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roombook_outbound::{Guard, Policy, Refused};

    #[tokio::test]
    async fn ews_urls_must_be_public_https_unless_allowed() {
        let strict = Guard::strict();
        assert_eq!(
            validate_ews_url("https://8.8.8.8/EWS/Exchange.asmx", &strict).await,
            Ok("https://8.8.8.8/EWS/Exchange.asmx".into())
        );
        assert!(matches!(
            validate_ews_url("http://8.8.8.8/EWS/Exchange.asmx", &strict).await,
            Err(Refused::NotHttps { .. })
        ));
        for private in [
            "https://127.0.0.1/EWS/Exchange.asmx",
            "https://10.1.2.3/EWS/Exchange.asmx",
            "https://192.168.0.5/EWS/Exchange.asmx",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/EWS/Exchange.asmx",
            "https://[fd00::1]/EWS/Exchange.asmx",
            "https://[::ffff:10.0.0.1]/EWS/Exchange.asmx",
            "https://localhost/EWS/Exchange.asmx",
        ] {
            assert!(
                matches!(
                    validate_ews_url(private, &strict).await,
                    Err(Refused::Address { .. })
                ),
                "{private}"
            );
        }
        let lax = Guard::new(Policy {
            allow_private: true,
            allow_loopback: false,
        });
        assert!(
            validate_ews_url("http://127.0.0.1:7070/EWS/Exchange.asmx", &lax)
                .await
                .is_ok()
        );
        assert!(matches!(
            validate_ews_url("http://10.0.0.1/EWS/Exchange.asmx", &lax).await,
            Err(Refused::NotHttps { .. })
        ));
        assert!(matches!(
            validate_ews_url("mail.contoso.com", &strict).await,
            Err(Refused::Malformed(_))
        ));
        assert!(matches!(
            validate_ews_url("https://user:pw@8.8.8.8/EWS", &strict).await,
            Err(Refused::Malformed(_))
        ));
    }

    #[test]
    fn a_refusal_is_its_own_status_and_names_the_host() {
        let refused = Refused::Address {
            host: "ews.contoso.example".into(),
            range: roombook_outbound::Range::Metadata,
        };
        let outcome = failure_outcome(
            ConnectionMode::ServiceAccount,
            &ExchangeError::Refused(refused),
        );
        assert_eq!(outcome.status, ConnectionStatus::AddressRefused);
        assert!(
            outcome.detail.contains("ews.contoso.example") && outcome.detail.contains("metadata"),
            "{}",
            outcome.detail
        );
    }
}
