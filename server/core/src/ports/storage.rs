//! The storage port: what the use cases need from the database, in domain types only.
//!
//! `roombook-store` implements it for SQLite and PostgreSQL (driver errors become
//! [`StoreError`] there). Tenant isolation is built into the signatures: every read or write of
//! tenant data takes the [`TenantId`] and every query filters on it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{
    Admit, AuditEntry, AuthRequest, Booking, BookingId, BookingStatus, Claim, ExchangeConnection,
    ImportSummary, ImportedRoom, PendingConsent, Role, RoleChange, Room, RoomCounts, RoomDetails,
    RoomId, RoomSettings, Session, Tenant, TenantId, User, UserId,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("record not found")]
    NotFound,
    #[error("a record with the same key already exists")]
    Conflict,
    #[error("the database is unavailable")]
    Unavailable(#[source] BoxError),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database error")]
    Internal(#[source] BoxError),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait TenantStore: Send + Sync {
    async fn create_tenant(&self, slug: &str, name: &str) -> StoreResult<Tenant>;
    async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Option<Tenant>>;
    async fn tenant(&self, id: TenantId) -> StoreResult<Option<Tenant>>;
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;
    /// The tenant whose people sign in with this directory (Entra `tid`).
    async fn tenant_by_directory(&self, directory_id: &str) -> StoreResult<Option<Tenant>>;
    /// Sets (or with `None` removes) the organisation's own sign-in provider.
    async fn set_identity_provider(
        &self,
        id: TenantId,
        provider: Option<&crate::domain::IdentityProvider>,
    ) -> StoreResult<()>;
    /// Binds the tenant to a directory; `Conflict` if another tenant has it.
    async fn set_tenant_directory(&self, id: TenantId, directory_id: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait ConnectionStore: Send + Sync {
    async fn save_connection(&self, connection: &ExchangeConnection) -> StoreResult<()>;
    async fn connection(&self, tenant: TenantId) -> StoreResult<Option<ExchangeConnection>>;
    /// Connections whose next automatic check is due at `now`.
    async fn connections_due(&self, now: DateTime<Utc>) -> StoreResult<Vec<ExchangeConnection>>;
}

#[async_trait]
pub trait RoomStore: Send + Sync {
    /// Inserts the room, or updates the one with the same address; returns it either way.
    async fn upsert_room(&self, tenant: TenantId, details: &RoomDetails) -> StoreResult<Room>;
    /// Active rooms whose name, building, floor or address contains `text` (any case; empty:
    /// all), by name. Which of them seat a group is the core's rule
    /// ([`crate::rooms::find`]), not the database's.
    async fn rooms_matching(&self, tenant: TenantId, text: &str) -> StoreResult<Vec<Room>>;
    async fn set_room_active(&self, tenant: TenantId, email: &str, active: bool)
    -> StoreResult<()>;
    async fn count_rooms(&self, tenant: TenantId) -> StoreResult<RoomCounts>;
    async fn room(&self, tenant: TenantId, id: RoomId) -> StoreResult<Option<Room>>;
    /// Every room of the tenant, active or not, by name (the admin list).
    async fn all_rooms(&self, tenant: TenantId) -> StoreResult<Vec<Room>>;
    /// An admin's edit; marks the room as edited. `NotFound` outside the tenant.
    async fn update_room_settings(
        &self,
        tenant: TenantId,
        id: RoomId,
        settings: &RoomSettings,
    ) -> StoreResult<Room>;
    /// Applies an import from Exchange in one transaction: new rooms are added, rooms no
    /// longer listed become inactive, listed inactive ones active again. Details an admin
    /// edited are kept; names follow Exchange.
    async fn import_rooms(
        &self,
        tenant: TenantId,
        rooms: &[ImportedRoom],
    ) -> StoreResult<ImportSummary>;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates the user, or refreshes name, address and last-seen time. The role is set only
    /// on creation; changing it is an explicit admin action. Sign-in uses [`Self::admit_user`].
    async fn upsert_user(&self, user: &User) -> StoreResult<User>;
    /// Signs a person in, atomically with two rules. The first-admin rule: while the
    /// organisation has no admin, a person with `proven_admin` becomes its admin and anyone
    /// else is not admitted ([`Admit::AwaitingAdmin`]); once an admin exists, newcomers are
    /// employees and returning people keep their role. The mailbox rule: an address that is
    /// another subject's in this organisation is not taken over ([`Admit::MailboxOfAnother`]).
    /// Nothing is stored when the person is not admitted. Concurrent arrivals are serialised
    /// on the tenant's row, so two people can never both become the first admin.
    async fn admit_user(&self, user: &User, proven_admin: bool) -> StoreResult<Admit>;
    async fn user(&self, tenant: TenantId, id: UserId) -> StoreResult<Option<User>>;
    /// The tenant's people, admins first, then by name.
    async fn users(&self, tenant: TenantId) -> StoreResult<Vec<User>>;
    /// `NotFound` outside the tenant. Demoting the last admin changes nothing and says
    /// [`RoleChange::LastAdmin`]; the count and the change are one transaction, so two admins
    /// demoting each other at once leave one of them admin.
    async fn set_role(&self, tenant: TenantId, id: UserId, role: Role) -> StoreResult<RoleChange>;
}

#[async_trait]
pub trait AuthRequestStore: Send + Sync {
    async fn create_auth_request(&self, request: &AuthRequest) -> StoreResult<()>;
    /// Removes and returns the request (single use), if it exists and has not expired.
    async fn take_auth_request(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<AuthRequest>>;
    /// Stores a consent request with what the admin asked for, in one transaction.
    async fn create_consent_request(
        &self,
        request: &AuthRequest,
        pending: &PendingConsent,
    ) -> StoreResult<()>;
    /// Removes and returns a consent request (single use) with what the admin asked for, if
    /// it exists and has not expired.
    async fn take_consent_request(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(AuthRequest, PendingConsent)>>;
    /// Requests (sign-in and consent) that have not expired at `now`.
    async fn count_auth_requests(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    /// Removes at most `limit` requests expired at `now`; returns how many.
    async fn delete_expired_auth_requests(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<u64>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// The session for this token hash, if it exists and has not expired at `now`.
    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Removes expired sessions; returns how many.
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}

/// A room's slot held by a booking, as the finder and the day grid overlay Exchange's free/busy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldSlot {
    pub room_id: RoomId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A booking whose outcome in Exchange is still open, with the look-ups made so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenOutcome {
    pub booking: Booking,
    pub checks: u32,
}

#[async_trait]
pub trait BookingStore: Send + Sync {
    /// Stores `booking` (as `Sending`) if no booking holding the room overlaps its slot and
    /// the person has not submitted the same form before. Atomic: of two claims on one slot,
    /// exactly one succeeds, whatever the interleaving.
    async fn claim_booking(&self, booking: &Booking, now: DateTime<Utc>) -> StoreResult<Claim>;
    /// Moves a booking to a new slot if no other booking holding the room overlaps it
    /// (atomic like [`BookingStore::claim_booking`]); `false` when taken.
    async fn move_booking(
        &self,
        tenant: TenantId,
        id: BookingId,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Saves status, reason, item and times. `NotFound` outside the tenant.
    async fn update_booking(&self, booking: &Booking) -> StoreResult<()>;
    async fn booking(&self, tenant: TenantId, id: BookingId) -> StoreResult<Option<Booking>>;
    /// The person's bookings ending after `after`, soonest first.
    async fn bookings_of(
        &self,
        tenant: TenantId,
        user: UserId,
        after: DateTime<Utc>,
    ) -> StoreResult<Vec<Booking>>;
    /// Slots held by bookings overlapping `start..end` (a booking still `sending` or
    /// `unknown` holds its slot until Exchange settles it).
    async fn held_slots(
        &self,
        tenant: TenantId,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<HeldSlot>>;
    /// Bookings, in every tenant, whose outcome in Exchange is open and due for a look-up at
    /// `now`, longest untouched first: `unknown` ones (and cancelled ones still watched for a
    /// late meeting) whose next check is due, and `sending` ones untouched since
    /// `sending_before` (their request may have died). Only bookings without an item.
    async fn open_outcomes(
        &self,
        now: DateTime<Utc>,
        sending_before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<OpenOutcome>>;
    /// Bookings, in every tenant, waiting for their room's answer (an item in Exchange, not
    /// yet ended at `now`) and not asked about since `asked_before`, longest unasked first.
    async fn waiting_for_answer(
        &self,
        asked_before: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Booking>>;
    /// Moves a booking still in `from` (and without an item) to `to`, with `checks` look-ups
    /// made and the next due at `next` (`None`: no more). `false` when someone settled it first.
    async fn plan_outcome_check(
        &self,
        tenant: TenantId,
        id: BookingId,
        from: BookingStatus,
        to: BookingStatus,
        checks: u32,
        next: Option<DateTime<Utc>>,
    ) -> StoreResult<bool>;
    /// Saves like [`BookingStore::update_booking`] (and plans no further look-up), but only
    /// while the stored status is still `from`; `false` otherwise.
    async fn update_booking_from(
        &self,
        booking: &Booking,
        from: BookingStatus,
    ) -> StoreResult<bool>;
}

#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn record(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// The newest entries first.
    async fn recent(&self, tenant: TenantId, limit: u32) -> StoreResult<Vec<AuditEntry>>;
}

/// Everything the server stores, behind one handle.
#[async_trait]
pub trait Store:
    TenantStore
    + ConnectionStore
    + RoomStore
    + UserStore
    + SessionStore
    + AuditLog
    + AuthRequestStore
    + BookingStore
{
    /// Cheap round trip for the readiness probe.
    async fn ping(&self) -> StoreResult<()>;
    /// `sqlite` or `postgres`, for logs.
    fn backend(&self) -> &'static str;
}
