//! Database rows and their conversion to domain types. Shared by both adapters: the schema
//! gives every column a type both SQLite and PostgreSQL decode the same way.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreError;
use roombook_core::domain::{
    AuditEntry, AuditId, AuthPurpose, AuthRequest, Booking, BookingId, BookingReason,
    BookingStatus, CalendarBackend, ConnectionError, ConnectionMode, ConnectionStatus, EwsAuth,
    ExchangeConnection, Role, Room, RoomId, SecretRef, Session, Tenant, TenantId, User, UserId,
};

fn small_number(column: &str, n: Option<i64>) -> Result<Option<u32>, StoreError> {
    n.map(u32::try_from)
        .transpose()
        .map_err(|_| StoreError::Corrupt(format!("{column} out of range")))
}

fn uuid(column: &str, raw: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(raw).map_err(|_| StoreError::Corrupt(format!("{column} is not a UUID")))
}

#[derive(sqlx::FromRow)]
pub(super) struct TenantRow {
    id: String,
    slug: String,
    name: String,
    directory_id: Option<String>,
    oidc_issuer: Option<String>,
    oidc_client_id: Option<String>,
    oidc_secret_name: Option<String>,
    oidc_secret_version: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;
    fn try_from(r: TenantRow) -> Result<Self, StoreError> {
        Ok(Tenant {
            id: TenantId(uuid("tenants.id", &r.id)?),
            slug: r.slug,
            name: r.name,
            directory_id: r.directory_id,
            identity_provider: match (r.oidc_issuer, r.oidc_client_id) {
                (Some(issuer), Some(client_id)) => Some(roombook_core::domain::IdentityProvider {
                    issuer,
                    client_id,
                    secret: r.oidc_secret_name.map(|name| SecretRef {
                        name,
                        version: r.oidc_secret_version,
                    }),
                }),
                _ => None,
            },
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ConnectionRow {
    tenant_id: String,
    mode: String,
    ews_url: String,
    identity: String,
    directory_tenant: Option<String>,
    secret_name: Option<String>,
    secret_version: Option<String>,
    rooms_only: bool,
    status: String,
    check_address: String,
    consent_at: Option<DateTime<Utc>>,
    next_check_at: Option<DateTime<Utc>>,
    password_failures: i64,
    certificate_expires_at: Option<DateTime<Utc>>,
    last_success_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    last_error_class: Option<String>,
    last_error_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ConnectionRow> for ExchangeConnection {
    type Error = StoreError;
    fn try_from(r: ConnectionRow) -> Result<Self, StoreError> {
        let last_error = match (r.last_error, r.last_error_class, r.last_error_at) {
            (Some(message), Some(class), Some(at)) => Some(ConnectionError { message, class, at }),
            _ => None,
        };
        // The mode column says which variant the other columns fill.
        let corrupt =
            |what: &str| StoreError::Corrupt(format!("connection of mode {}: {what}", r.mode));
        let auth = match ConnectionMode::parse(&r.mode) {
            Some(ConnectionMode::ServiceAccount) => EwsAuth::ServiceAccount {
                username: r.identity,
                password: SecretRef {
                    name: r
                        .secret_name
                        .ok_or_else(|| corrupt("no password in the secret store"))?,
                    version: r.secret_version,
                },
            },
            Some(ConnectionMode::OAuthCertificate) => EwsAuth::AppCertificate {
                client_id: r.identity,
                directory: r.directory_tenant.ok_or_else(|| corrupt("no directory"))?,
            },
            None => return Err(corrupt("unknown mode")),
        };
        Ok(ExchangeConnection {
            tenant_id: TenantId(uuid("exchange_connections.tenant_id", &r.tenant_id)?),
            backend: CalendarBackend::Ews {
                url: r.ews_url,
                auth,
            },
            rooms_only: r.rooms_only,
            status: ConnectionStatus::parse(&r.status).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown connection status {}", r.status))
            })?,
            check_address: r.check_address,
            consent_at: r.consent_at,
            next_check_at: r.next_check_at,
            password_failures: small_number(
                "exchange_connections.password_failures",
                Some(r.password_failures),
            )?
            .unwrap_or(0),
            certificate_expires_at: r.certificate_expires_at,
            last_success_at: r.last_success_at,
            last_error,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RoomRow {
    id: String,
    tenant_id: String,
    email: String,
    name: String,
    capacity: Option<i64>,
    building: Option<String>,
    floor: Option<String>,
    equipment: String,
    wheelchair_accessible: bool,
    room_list: Option<String>,
    booking_window_days: Option<i64>,
    max_duration_minutes: Option<i64>,
    display_subjects: bool,
    time_zone: Option<String>,
    active: bool,
    edited: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<RoomRow> for Room {
    type Error = StoreError;
    fn try_from(r: RoomRow) -> Result<Self, StoreError> {
        let capacity = r
            .capacity
            .map(u32::try_from)
            .transpose()
            .map_err(|_| StoreError::Corrupt("rooms.capacity out of range".into()))?;
        let equipment = serde_json::from_str(&r.equipment)
            .map_err(|_| StoreError::Corrupt("rooms.equipment is not a JSON list".into()))?;
        Ok(Room {
            id: RoomId(uuid("rooms.id", &r.id)?),
            tenant_id: TenantId(uuid("rooms.tenant_id", &r.tenant_id)?),
            email: r.email,
            name: r.name,
            capacity,
            building: r.building,
            floor: r.floor,
            equipment,
            wheelchair_accessible: r.wheelchair_accessible,
            room_list: r.room_list,
            booking_window_days: small_number("rooms.booking_window_days", r.booking_window_days)?,
            max_duration_minutes: small_number(
                "rooms.max_duration_minutes",
                r.max_duration_minutes,
            )?,
            display_subjects: r.display_subjects,
            time_zone: r.time_zone,
            active: r.active,
            edited: r.edited,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RoomCountsRow {
    pub active: i64,
    pub inactive: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: String,
    tenant_id: String,
    subject: String,
    email: String,
    display_name: String,
    role: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: UserId(uuid("users.id", &r.id)?),
            tenant_id: TenantId(uuid("users.tenant_id", &r.tenant_id)?),
            subject: r.subject,
            email: r.email,
            display_name: r.display_name,
            role: Role::parse(&r.role)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown role {}", r.role)))?,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SessionRow {
    token_hash: String,
    user_id: String,
    tenant_id: String,
    csrf_token: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;
    fn try_from(r: SessionRow) -> Result<Self, StoreError> {
        Ok(Session {
            token_hash: r.token_hash,
            user_id: UserId(uuid("sessions.user_id", &r.user_id)?),
            tenant_id: TenantId(uuid("sessions.tenant_id", &r.tenant_id)?),
            csrf_token: r.csrf_token,
            created_at: r.created_at,
            expires_at: r.expires_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AuditRow {
    id: String,
    tenant_id: String,
    actor_id: Option<String>,
    action: String,
    target: String,
    detail: String,
    at: DateTime<Utc>,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;
    fn try_from(r: AuditRow) -> Result<Self, StoreError> {
        Ok(AuditEntry {
            id: AuditId(uuid("audit_log.id", &r.id)?),
            tenant_id: TenantId(uuid("audit_log.tenant_id", &r.tenant_id)?),
            actor: r
                .actor_id
                .as_deref()
                .map(|a| uuid("audit_log.actor_id", a))
                .transpose()?
                .map(UserId),
            action: r.action,
            target: r.target,
            detail: r.detail,
            at: r.at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AuthRequestRow {
    state_hash: String,
    purpose: String,
    nonce: String,
    pkce_verifier: String,
    session_hash: Option<String>,
    tenant_id: Option<String>,
    return_to: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl TryFrom<AuthRequestRow> for AuthRequest {
    type Error = StoreError;
    fn try_from(r: AuthRequestRow) -> Result<Self, StoreError> {
        Ok(AuthRequest {
            state_hash: r.state_hash,
            purpose: AuthPurpose::parse(&r.purpose)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown purpose {}", r.purpose)))?,
            nonce: r.nonce,
            pkce_verifier: r.pkce_verifier,
            session_hash: r.session_hash,
            tenant_id: r
                .tenant_id
                .as_deref()
                .map(|t| uuid("auth_requests.tenant_id", t))
                .transpose()?
                .map(TenantId),
            return_to: r.return_to,
            created_at: r.created_at,
            expires_at: r.expires_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct BookingRow {
    id: String,
    tenant_id: String,
    user_id: String,
    room_id: String,
    idempotency_key: String,
    uid: String,
    subject: String,
    note: String,
    attendees: String,
    start_at: DateTime<Utc>,
    end_at: DateTime<Utc>,
    time_zone: String,
    status: String,
    reason: Option<String>,
    calendar: String,
    item_id: Option<String>,
    change_key: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<BookingRow> for Booking {
    type Error = StoreError;
    fn try_from(r: BookingRow) -> Result<Self, StoreError> {
        Ok(Booking {
            id: BookingId(uuid("bookings.id", &r.id)?),
            tenant_id: TenantId(uuid("bookings.tenant_id", &r.tenant_id)?),
            user_id: UserId(uuid("bookings.user_id", &r.user_id)?),
            room_id: RoomId(uuid("bookings.room_id", &r.room_id)?),
            idempotency_key: r.idempotency_key,
            uid: r.uid,
            subject: r.subject,
            note: r.note,
            attendees: serde_json::from_str(&r.attendees)
                .map_err(|_| StoreError::Corrupt("bookings.attendees is not a JSON list".into()))?,
            start: r.start_at,
            end: r.end_at,
            time_zone: r.time_zone,
            status: BookingStatus::parse(&r.status).ok_or_else(|| {
                StoreError::Corrupt(format!("unknown booking status {}", r.status))
            })?,
            reason: r
                .reason
                .map(|code| {
                    BookingReason::from_code(&code)
                        .ok_or_else(|| StoreError::Corrupt(format!("booking reason {code:?}")))
                })
                .transpose()?,
            calendar: r.calendar,
            item_id: r.item_id,
            change_key: r.change_key,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct OpenOutcomeRow {
    #[sqlx(flatten)]
    booking: BookingRow,
    checks: i32,
}

impl TryFrom<OpenOutcomeRow> for roombook_core::ports::storage::OpenOutcome {
    type Error = StoreError;
    fn try_from(r: OpenOutcomeRow) -> Result<Self, StoreError> {
        Ok(roombook_core::ports::storage::OpenOutcome {
            booking: r.booking.try_into()?,
            checks: u32::try_from(r.checks)
                .map_err(|_| StoreError::Corrupt("bookings.checks is negative".into()))?,
        })
    }
}

/// Converts a list of rows, failing on the first corrupt one.
pub(super) fn convert<R, T: TryFrom<R, Error = StoreError>>(
    rows: Vec<R>,
) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(T::try_from).collect()
}
