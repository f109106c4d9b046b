//! The application services the pages call (the frontend's `Services` port), on top of the
//! domain and storage. Failures are logged here with their cause; the page gets a sentence.
//! The tenant always comes from the caller's session.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use roombook_frontend::ssr::{Caller, ServiceError, Services};
use roombook_shared::{
    AdminRoom, AuditFilter, AuditLine, BookingFormData, BookingState, BookingView,
    ConnectionHealth, ConnectionState, ConnectionStatus, DayGrid, FinderRequest, FinderResult,
    FreeRoom, GridRow, GridSlot, Person, PersonMatch, RoomChoices, RoomQuery, RoomSummary,
    SetupOptions, SignInSettings, TenantOverview,
};
use uuid::Uuid;

use crate::telemetry::error_chain;
use crate::words;
use roombook_core::booking::{
    BookingError, Bookings, DEFAULT_MAX_MINUTES, DEFAULT_WINDOW_DAYS, time,
};
use roombook_core::domain::{
    Booking, BookingId, BookingStatus, ConnectionMode, ExchangeConnection, Role, Room, TenantId,
    User, UserId,
};
use roombook_core::ports::storage::{Store, StoreError};

/// How many of the newest audit entries the log's filters look through.
const AUDIT_READ: u32 = 2000;

pub struct AppServices {
    store: Arc<dyn Store>,
    bookings: Arc<Bookings>,
    /// The organisation shown to visitors who have not signed in (the demo).
    browsing_tenant: Option<TenantId>,
    setup: SetupOptions,
    secret_backend: &'static str,
    public_url: String,
}

impl AppServices {
    pub fn new(
        store: Arc<dyn Store>,
        bookings: Arc<Bookings>,
        browsing_tenant: Option<TenantId>,
        setup: SetupOptions,
        secret_backend: &'static str,
        public_url: String,
    ) -> Self {
        Self {
            store,
            bookings,
            browsing_tenant,
            setup,
            secret_backend,
            public_url,
        }
    }
}

fn unavailable(what: &str, e: StoreError) -> ServiceError {
    tracing::error!(error = %error_chain(&e), "{what} failed");
    ServiceError::Unavailable
}

fn tenant_of(caller: &Caller) -> Result<TenantId, ServiceError> {
    Uuid::parse_str(&caller.tenant_id)
        .map(TenantId)
        .map_err(|_| ServiceError::NotSignedIn)
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn summary(room: Room) -> RoomSummary {
    RoomSummary {
        id: room.id.to_string(),
        email: room.email,
        name: room.name,
        capacity: room.capacity,
        building: room.building,
        floor: room.floor,
        equipment: room.equipment,
        wheelchair_accessible: room.wheelchair_accessible,
    }
}

/// PowerShell that limits Roombook to room mailboxes (../shared/reference §2.5).
pub fn rooms_only_commands_online(client_id: &str) -> Vec<String> {
    vec![
        "Connect-ExchangeOnline".into(),
        format!("New-ServicePrincipal -AppId {client_id} -ObjectId <object id of Roombook's enterprise application> -DisplayName \"Roombook\""),
        "New-ManagementScope -Name \"Roombook rooms\" -RecipientRestrictionFilter \"RecipientTypeDetails -eq 'RoomMailbox'\"".into(),
        format!("New-ManagementRoleAssignment -App {client_id} -Role \"Application EWS.AccessAsApp\" -CustomResourceScope \"Roombook rooms\""),
        format!("Test-ServicePrincipalAuthorization -Identity {client_id} -Resource <a room's address>"),
    ]
}

pub fn rooms_only_commands_onprem(account: &str) -> Vec<String> {
    vec![
        "New-ManagementScope -Name \"Roombook rooms\" -RecipientRestrictionFilter \"RecipientTypeDetails -eq 'RoomMailbox'\"".into(),
        format!("New-ManagementRoleAssignment -Name \"Roombook impersonation\" -Role ApplicationImpersonation -User {account} -CustomRecipientWriteScope \"Roombook rooms\""),
    ]
}

/// What the status means and what the admin does about it.
pub fn explain(c: &ExchangeConnection) -> (String, Vec<String>) {
    let online = c.backend.mode() == ConnectionMode::OAuthCertificate;
    let address = &c.check_address;
    match c.status {
        ConnectionStatus::Unchecked => ("The connection is saved but has not been checked yet. Choose “Check again”.".into(), vec![]),
        ConnectionStatus::Healthy => (format!("Roombook opened the calendar of {address}: the connection works. Rooms are imported after each successful check; import again after rooms change in Exchange."), vec![]),
        ConnectionStatus::NoMailbox => (format!(
            "Exchange has no mailbox for {address}. {}",
            if c.rooms_only { "Check the room's address." } else { "Sign in with an account that has a mailbox, or enter the address of your own mailbox." }
        ), vec![]),
        ConnectionStatus::PermissionMissing => (if online {
            format!("Roombook's app may not open {address}. Either consent has not been given in this directory, or the app is limited to other mailboxes (RBAC for Applications or an application access policy). Grant consent again, or add this mailbox to the app's scope.")
        } else {
            format!("The service account may not impersonate {address}. Give it the ApplicationImpersonation role (for room mailboxes only, if you prefer) and check again.")
        }, if online { vec![] } else { vec![format!("New-ManagementRoleAssignment -Name \"Roombook impersonation\" -Role ApplicationImpersonation -User {}", c.backend.identity())] }),
        ConnectionStatus::ConsentPending => ("Consent was given, but Exchange does not honour it yet. This usually takes minutes and can take up to two hours; Roombook keeps checking by itself.".into(), vec![]),
        ConnectionStatus::ConsentTimedOut => ("Two hours after consent, Exchange still refuses Roombook's app. Check in Entra ID that the enterprise application “Roombook” has the Exchange permission full_access_as_app with admin consent, then grant consent again.".into(), vec![]),
        ConnectionStatus::EwsBlocked => ("Exchange Online refuses EWS for Roombook's app. Since October 2026 a tenant must allow EWS and list the app. In Exchange Online PowerShell, run the commands below, then check again (the exact allow-list parameter may differ while Microsoft rolls this out; Get-OrganizationConfig shows it).".into(), vec![
            "Connect-ExchangeOnline".into(),
            "Set-OrganizationConfig -EWSEnabled $true".into(),
            format!("Set-OrganizationConfig -EWSAllowedAppIDs @{{Add=\"{}\"}}", c.backend.identity()),
        ]),
        ConnectionStatus::ConsentRefused => ("Consent was refused or cancelled at Microsoft. Roombook cannot reach Exchange Online without it. Start again and accept, as a Global or Privileged Role Administrator.".into(), vec![]),
        ConnectionStatus::WrongPassword => (format!("Exchange refused the user name or password of {}. Enter them again.", c.backend.identity()), vec![]),
        ConnectionStatus::PasswordExpired => (format!("The password of {} has expired. Set a new one in Active Directory, then enter it here.", c.backend.identity()), vec![]),
        ConnectionStatus::Unreachable => (format!("Roombook could not reach Exchange at {} or did not get an EWS answer. Check the URL and that the server is reachable from Roombook.", c.backend.endpoint()), vec![]),
        ConnectionStatus::Throttled => ("Exchange is busy and asked Roombook to wait. Roombook checks again by itself.".into(), vec![]),
        ConnectionStatus::CredentialsUnavailable => ("Roombook could not use its own credentials (its certificate or the secret store). The server log has the cause; tell the operator of this Roombook server.".into(), vec![]),
        ConnectionStatus::AddressRefused => (format!(
            "Roombook did not connect to Exchange at {}: {} Nothing, and no password, was sent there. Enter the EWS URL of a server on a public https address.",
            c.backend.endpoint(),
            c.last_error.as_ref().map(|e| e.message.as_str()).unwrap_or("its address is not one Roombook connects to.")
        ), vec![]),
    }
}

fn health(c: &ExchangeConnection, secret_backend: &str) -> ConnectionHealth {
    let (explanation, commands) = explain(c);
    let soon = Utc::now() + chrono::Duration::days(30);
    let expiry_warning = c.certificate_expires_at.filter(|e| *e < soon).map(|e| {
        if e < Utc::now() {
            format!("Roombook's certificate expired on {}. Tokens cannot be issued until the operator installs a new one.", when(e))
        } else {
            format!("Roombook's certificate expires on {}. The operator should install a new one and add it to the app registration before then.", when(e))
        }
    });
    ConnectionHealth {
        mode: match c.backend.mode() {
            ConnectionMode::OAuthCertificate => "Exchange Online (app-only OAuth)".into(),
            ConnectionMode::ServiceAccount => "Exchange Server (service account)".into(),
        },
        online: c.backend.mode() == ConnectionMode::OAuthCertificate,
        ews_url: c.backend.endpoint().to_owned(),
        identity: c.backend.identity().to_owned(),
        status: c.status,
        explanation,
        commands,
        check_address: c.check_address.clone(),
        rooms_only: c.rooms_only,
        last_success: c.last_success_at.map(when),
        last_error: c.last_error.as_ref().map(|e| e.message.clone()),
        last_error_class: c.last_error.as_ref().map(|e| e.class.clone()),
        last_error_at: c.last_error.as_ref().map(|e| when(e.at)),
        next_check: c.next_check_at.map(when),
        password_failures: c.password_failures,
        certificate_expires: c.certificate_expires_at.map(when),
        expiry_warning,
        secret_backend: secret_backend.to_owned(),
    }
}

#[async_trait::async_trait]
impl Services for AppServices {
    async fn list_rooms(
        &self,
        caller: Option<&Caller>,
        query: &RoomQuery,
    ) -> Result<Vec<RoomSummary>, ServiceError> {
        let tenant = match caller {
            Some(c) => tenant_of(c)?,
            None => self.browsing_tenant.ok_or(ServiceError::NotSignedIn)?,
        };
        let rooms = roombook_core::rooms::find(&*self.store, tenant, query)
            .await
            .map_err(|e| unavailable("listing rooms", e))?;
        Ok(rooms.into_iter().map(summary).collect())
    }

    async fn tenant_overview(&self, caller: &Caller) -> Result<TenantOverview, ServiceError> {
        let id = tenant_of(caller)?;
        let tenant = self
            .store
            .tenant(id)
            .await
            .map_err(|e| unavailable("reading the tenant", e))?
            .ok_or(ServiceError::NoTenant)?;
        let connection = self
            .store
            .connection(id)
            .await
            .map_err(|e| unavailable("reading the connection", e))?;
        let counts = self
            .store
            .count_rooms(id)
            .await
            .map_err(|e| unavailable("counting rooms", e))?;
        let connection = match connection {
            None => ConnectionState::NotConnected,
            Some(c) if c.status == ConnectionStatus::Healthy => ConnectionState::Healthy {
                last_success: c.last_success_at.map(when).unwrap_or_default(),
            },
            Some(c) => ConnectionState::Failing {
                problem: c.status.label().into(),
                since: c.last_error.map(|e| when(e.at)).unwrap_or_default(),
            },
        };
        Ok(TenantOverview {
            tenant_name: tenant.name,
            connection,
            rooms_active: counts.active,
            rooms_inactive: counts.inactive,
        })
    }

    async fn connection_health(
        &self,
        caller: &Caller,
    ) -> Result<Option<ConnectionHealth>, ServiceError> {
        let id = tenant_of(caller)?;
        let connection = self
            .store
            .connection(id)
            .await
            .map_err(|e| unavailable("reading the connection", e))?;
        Ok(connection.map(|c| health(&c, self.secret_backend)))
    }

    async fn admin_rooms(&self, caller: &Caller) -> Result<Vec<AdminRoom>, ServiceError> {
        let id = tenant_of(caller)?;
        let rooms = self
            .store
            .all_rooms(id)
            .await
            .map_err(|e| unavailable("listing rooms", e))?;
        Ok(rooms
            .into_iter()
            .map(|r| AdminRoom {
                id: r.id.to_string(),
                email: r.email,
                name: r.name,
                room_list: r.room_list,
                capacity: r.capacity,
                building: r.building,
                floor: r.floor,
                equipment: r.equipment,
                wheelchair_accessible: r.wheelchair_accessible,
                booking_window_days: r.booking_window_days,
                max_duration_minutes: r.max_duration_minutes,
                display_subjects: r.display_subjects,
                time_zone: r.time_zone,
                active: r.active,
                edited: r.edited,
            })
            .collect())
    }

    async fn people(&self, caller: &Caller) -> Result<Vec<Person>, ServiceError> {
        let id = tenant_of(caller)?;
        let users = self
            .store
            .users(id)
            .await
            .map_err(|e| unavailable("listing people", e))?;
        Ok(users
            .into_iter()
            .map(|u| Person {
                id: u.id.to_string(),
                name: u.display_name,
                email: u.email,
                is_admin: u.role == Role::Admin,
                last_seen: when(u.last_seen_at),
            })
            .collect())
    }

    async fn audit_log(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditLine>, ServiceError> {
        let id = tenant_of(caller)?;
        let date = match filter.date.trim() {
            "" => None,
            raw => Some(
                roombook_shared::booking::parse_date(raw)
                    .map_err(|e| ServiceError::Invalid(e.to_string()))?,
            ),
        };
        // The filters apply to the most recent entries (a bounded read); the page says so.
        let entries = self
            .store
            .recent(id, AUDIT_READ)
            .await
            .map_err(|e| unavailable("reading the audit log", e))?;
        let users = self
            .store
            .users(id)
            .await
            .map_err(|e| unavailable("listing people", e))?;
        let who = filter.who.trim().to_lowercase();
        let kind = filter.kind.trim();
        Ok(entries
            .into_iter()
            .filter(|e| kind.is_empty() || words::audit_kind(&e.action) == kind)
            .filter(|e| date.is_none_or(|d| e.at.date_naive() == d))
            .filter_map(|e| {
                let actor = match e.actor {
                    None => ("Roombook".to_owned(), String::new()),
                    Some(a) => users
                        .iter()
                        .find(|u| u.id == a)
                        .map(|u| (u.display_name.clone(), u.email.clone()))
                        .unwrap_or_else(|| ("a removed user".into(), String::new())),
                };
                let matches = who.is_empty()
                    || actor.0.to_lowercase().contains(&who)
                    || actor.1.to_lowercase().contains(&who);
                matches.then(|| AuditLine {
                    at: when(e.at),
                    actor: if actor.1.is_empty() || actor.1 == actor.0 {
                        actor.0
                    } else {
                        format!("{} ({})", actor.0, actor.1)
                    },
                    what: words::audit_action(&e.action).to_owned(),
                    action: e.action,
                    target: e.target,
                    detail: e.detail,
                })
            })
            .take(200)
            .collect())
    }

    async fn sign_in_settings(&self, caller: &Caller) -> Result<SignInSettings, ServiceError> {
        let id = tenant_of(caller)?;
        let tenant = self
            .store
            .tenant(id)
            .await
            .map_err(|e| unavailable("reading the tenant", e))?
            .ok_or(ServiceError::NoTenant)?;
        let provider = tenant.identity_provider;
        Ok(SignInSettings {
            issuer: provider.as_ref().map(|p| p.issuer.clone()),
            client_id: provider.as_ref().map(|p| p.client_id.clone()),
            has_secret: provider.as_ref().is_some_and(|p| p.secret.is_some()),
            sign_in_link: format!("{}/auth/signin?org={}", self.public_url, tenant.slug),
            redirect_uri: format!("{}/auth/callback", self.public_url),
        })
    }

    fn setup_options(&self) -> SetupOptions {
        self.setup.clone()
    }

    async fn room_choices(
        &self,
        caller: &Caller,
        time_zone: &str,
    ) -> Result<RoomChoices, ServiceError> {
        let tenant = tenant_of(caller)?;
        let rooms = self
            .store
            .all_rooms(tenant)
            .await
            .map_err(|e| unavailable("listing rooms", e))?;
        let zone = self
            .bookings
            .zone(time_zone)
            .unwrap_or(self.bookings.settings().default_time_zone);
        let (today, next) = time::next_half_hour(Utc::now(), zone);
        let distinct = |values: Vec<String>| {
            let mut out: Vec<String> = Vec::new();
            for v in values {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(&v)) {
                    out.push(v);
                }
            }
            out.sort_by_key(|v| v.to_lowercase());
            out
        };
        let active: Vec<&Room> = rooms.iter().filter(|r| r.active).collect();
        Ok(RoomChoices {
            buildings: distinct(active.iter().filter_map(|r| r.building.clone()).collect()),
            floors: distinct(active.iter().filter_map(|r| r.floor.clone()).collect()),
            equipment: distinct(active.iter().flat_map(|r| r.equipment.clone()).collect()),
            time_zone: zone.name().to_owned(),
            today: today.format("%Y-%m-%d").to_string(),
            next_start: next.format("%H:%M").to_string(),
        })
    }

    async fn find_free_rooms(
        &self,
        caller: &Caller,
        request: &FinderRequest,
    ) -> Result<FinderResult, ServiceError> {
        let filter = request
            .parse()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let user = self.user_of(caller).await?;
        let found = self
            .bookings
            .find(user.tenant_id, &user, &filter)
            .await
            .map_err(booking_error)?;
        let zone = found.zone;
        let mut slot = form_urlencoded::Serializer::new(String::new());
        slot.append_pair("date", &filter.date.format("%Y-%m-%d").to_string())
            .append_pair("start", &filter.start.format("%H:%M").to_string())
            .append_pair("minutes", &filter.minutes.to_string())
            .append_pair("tz", zone.name());
        Ok(FinderResult {
            when: format!(
                "{} ({})",
                time::describe(found.start, found.end, zone),
                zone.name()
            ),
            time_zone: zone.name().to_owned(),
            rooms: found
                .free
                .into_iter()
                .map(|room| FreeRoom {
                    room_time: self.room_time(&room, found.start, found.end, zone),
                    room: summary(room),
                })
                .collect(),
            busy: found.busy,
            unknown: found.unknown,
            refused_by_policy: found
                .refused_by_policy
                .iter()
                .map(words::policy_refusal)
                .collect(),
            slot_query: slot.finish(),
            people: filter.people,
        })
    }

    async fn day_grid(
        &self,
        caller: &Caller,
        request: &FinderRequest,
    ) -> Result<DayGrid, ServiceError> {
        // The grid needs the day, the filters and the length a cell books; the start does not
        // matter. A length the grid does not offer is the default half hour.
        let minutes = request
            .minutes
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|m| roombook_shared::booking::GRID_LENGTHS.contains(m))
            .unwrap_or(30);
        let filter = FinderRequest {
            start: "09:00".into(),
            minutes: minutes.to_string(),
            end: String::new(),
            ..request.clone()
        }
        .parse()
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        let user = self.user_of(caller).await?;
        let grid = self
            .bookings
            .grid(
                user.tenant_id,
                &user,
                filter.date,
                &filter,
                request.page_number(),
            )
            .await
            .map_err(booking_error)?;
        Ok(DayGrid {
            date: grid.date.format("%Y-%m-%d").to_string(),
            date_label: grid.date.format("%A %-d %B %Y").to_string(),
            previous_date: (grid.date - chrono::Duration::days(1))
                .format("%Y-%m-%d")
                .to_string(),
            next_date: (grid.date + chrono::Duration::days(1))
                .format("%Y-%m-%d")
                .to_string(),
            time_zone: grid.zone.name().to_owned(),
            slots: grid
                .slots
                .iter()
                .map(|(_, label)| GridSlot {
                    label: label.clone(),
                    time: label.clone(),
                })
                .collect(),
            rows: grid
                .rows
                .into_iter()
                .map(|(room, free)| GridRow {
                    room: summary(room),
                    free: free.unwrap_or_default(),
                })
                .collect(),
            minutes: grid.minutes,
            page: grid.page,
            pages: grid.pages,
            matching_rooms: grid.matching_rooms as u32,
            page_size: roombook_core::booking::GRID_PAGE_ROOMS as u32,
        })
    }

    async fn booking_form(
        &self,
        caller: &Caller,
        room_id: &str,
        alternatives: &str,
        time_zone: &str,
    ) -> Result<BookingFormData, ServiceError> {
        let tenant = tenant_of(caller)?;
        let room_of = |raw: &str| {
            Uuid::parse_str(raw.trim())
                .ok()
                .map(roombook_core::domain::RoomId)
        };
        let id = room_of(room_id).ok_or(ServiceError::NotFound)?;
        let room = self
            .store
            .room(tenant, id)
            .await
            .map_err(|e| unavailable("reading a room", e))?
            .filter(|r| r.active)
            .ok_or(ServiceError::NotFound)?;
        let mut offered = Vec::new();
        for alt in alternatives.split(',').filter_map(room_of).take(5) {
            if let Ok(Some(r)) = self.store.room(tenant, alt).await
                && r.active
            {
                offered.push(summary(r));
            }
        }
        let zone = self
            .bookings
            .zone(time_zone)
            .unwrap_or(self.bookings.settings().default_time_zone);
        let room_zone = self.bookings.room_zone(&room);
        let connection = self
            .store
            .connection(tenant)
            .await
            .map_err(|e| unavailable("reading the connection", e))?;
        Ok(BookingFormData {
            max_minutes: room.max_duration_minutes.unwrap_or(DEFAULT_MAX_MINUTES),
            window_days: room.booking_window_days.unwrap_or(DEFAULT_WINDOW_DAYS),
            room_time_zone: (!time::same_clock(room_zone, zone, Utc::now()))
                .then(|| room_zone.name().to_owned()),
            room: summary(room),
            alternatives: offered,
            time_zone: zone.name().to_owned(),
            key: Uuid::new_v4().to_string(),
            directory_search: connection.is_some_and(|c| !c.rooms_only),
        })
    }

    async fn my_bookings(&self, caller: &Caller) -> Result<Vec<BookingView>, ServiceError> {
        let user = self.user_of(caller).await?;
        let mine = self.bookings.mine(&user).await.map_err(booking_error)?;
        Ok(mine.iter().map(|(b, r)| self.view(b, r)).collect())
    }

    async fn booking(&self, caller: &Caller, id: &str) -> Result<BookingView, ServiceError> {
        let user = self.user_of(caller).await?;
        let id = Uuid::parse_str(id.trim())
            .map(BookingId)
            .map_err(|_| ServiceError::NotFound)?;
        let (booking, room) = self.bookings.one(&user, id).await.map_err(booking_error)?;
        Ok(self.view(&booking, &room))
    }

    async fn find_people(
        &self,
        caller: &Caller,
        text: &str,
    ) -> Result<Vec<PersonMatch>, ServiceError> {
        let user = self.user_of(caller).await?;
        let found = self
            .bookings
            .find_people(user.tenant_id, &user, text)
            .await
            .map_err(booking_error)?;
        Ok(found
            .into_iter()
            .take(10)
            .map(|p| PersonMatch {
                name: p.name,
                email: p.email,
            })
            .collect())
    }
}

/// The one mapping of a booking's failure to what a page gets: a typed case, with the words
/// written here (`words`), never a sentence from core.
fn booking_error(e: BookingError) -> ServiceError {
    match e {
        BookingError::NotFound => ServiceError::NotFound,
        BookingError::Store(e) => unavailable("booking", e),
        e @ (BookingError::NotConnected(_)
        | BookingError::Calendar { .. }
        | BookingError::LookupFailed { .. }
        | BookingError::TooManySearches
        | BookingError::TimedOut
        | BookingError::SettledMeanwhile) => ServiceError::Exchange(words::booking_error(&e)),
        e @ (BookingError::Invalid(_)
        | BookingError::Policy(_)
        | BookingError::ChangeDeclined { .. }
        | BookingError::Taken { .. }) => ServiceError::Invalid(words::booking_error(&e)),
    }
}

impl AppServices {
    async fn user_of(&self, caller: &Caller) -> Result<User, ServiceError> {
        let tenant = tenant_of(caller)?;
        let id = Uuid::parse_str(&caller.user_id)
            .map(UserId)
            .map_err(|_| ServiceError::NotSignedIn)?;
        self.store
            .user(tenant, id)
            .await
            .map_err(|e| unavailable("reading the signed-in person", e))?
            .ok_or(ServiceError::NotSignedIn)
    }

    /// The slot in the room's zone, when its clock differs from the person's.
    fn room_time(
        &self,
        room: &Room,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        zone: chrono_tz::Tz,
    ) -> Option<String> {
        let room_zone = self.bookings.room_zone(room);
        (!time::same_clock(room_zone, zone, start)).then(|| {
            format!(
                "{} in the room's time zone ({})",
                time::describe(start, end, room_zone),
                room_zone.name()
            )
        })
    }

    fn view(&self, b: &Booking, room: &Room) -> BookingView {
        let zone = time::zone(&b.time_zone).unwrap_or(self.bookings.settings().default_time_zone);
        let (date, start, minutes) = time::local_parts(b.start, b.end, zone);
        let status = match b.status {
            BookingStatus::Sending => BookingState::Sending,
            BookingStatus::Unknown => BookingState::Unknown,
            BookingStatus::Waiting => BookingState::Waiting,
            BookingStatus::Accepted => BookingState::Accepted,
            BookingStatus::Declined => BookingState::Declined,
            BookingStatus::Cancelled => BookingState::Cancelled,
            BookingStatus::Failed => BookingState::Failed,
        };
        BookingView {
            id: b.id.to_string(),
            room_id: room.id.to_string(),
            room_name: room.name.clone(),
            room_place: [
                room.building.clone(),
                room.floor.clone().map(|f| format!("floor {f}")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
            subject: b.subject.clone(),
            note: b.note.clone(),
            attendees: b.attendees.clone(),
            when: time::describe(b.start, b.end, zone),
            room_time: self.room_time(room, b.start, b.end, zone),
            time_zone: zone.name().to_owned(),
            date,
            start,
            minutes,
            status,
            reason: b.reason.map(|r| words::booking_reason(r, &room.name)),
            can_change: matches!(b.status, BookingStatus::Waiting | BookingStatus::Accepted)
                && b.end > Utc::now(),
        }
    }
}
