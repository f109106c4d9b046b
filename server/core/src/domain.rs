//! Roombook's domain: tenants, their Exchange connection, rooms, people, sessions, audit.
//!
//! Plain types and rules. Nothing here knows HTTP or SQL; storage adapters and handlers
//! translate to and from these types at their edges.

use std::fmt;

use chrono::{DateTime, Utc};
pub use roombook_shared::{ConnectionStatus, RoomSettings};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An organisation using Roombook. Every other record belongs to exactly one tenant.
    TenantId
);
id_type!(RoomId);
id_type!(UserId);
id_type!(AuditId);
id_type!(
    /// Roombook's record of one booking (the meeting itself lives in Exchange).
    BookingId
);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    /// Short, URL-safe and unique: `demo`, `contoso`.
    pub slug: String,
    pub name: String,
    /// The identity provider's id for the organisation (Entra `tid`): people whose id_token
    /// carries it sign in to this tenant. `None` until someone connects it.
    pub directory_id: Option<String>,
    /// The organisation's own OpenID Connect provider, if it has one (ADFS, …).
    pub identity_provider: Option<IdentityProvider>,
    pub created_at: DateTime<Utc>,
}

/// An organisation's own OpenID Connect provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityProvider {
    /// The issuer (its discovery document is at `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    /// The client secret in the secret store, if the provider needs one.
    pub secret: Option<SecretRef>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionMode {
    /// Exchange Server on premises: Basic auth plus EWS impersonation.
    ServiceAccount,
    /// Exchange Online: app-only OAuth with a certificate, after admin consent.
    OAuthCertificate,
}

impl ConnectionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServiceAccount => "service_account",
            Self::OAuthCertificate => "oauth_certificate",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "service_account" => Some(Self::ServiceAccount),
            "oauth_certificate" => Some(Self::OAuthCertificate),
            _ => None,
        }
    }
}

/// Where a secret lives in the secret store: never the secret itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretRef {
    pub name: String,
    pub version: Option<String>,
}

/// How Roombook reaches an organisation's calendars: one variant per calendar backend.
///
/// A Microsoft Graph backend adds a variant here and an adapter beside the EWS one; nothing
/// that uses the calendar ports changes. Only the adapter of a variant reads its fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalendarBackend {
    /// Exchange Web Services: Exchange Server on premises, or Exchange Online (where EWS is
    /// switched off on 1 April 2027).
    Ews { url: String, auth: EwsAuth },
}

/// How Roombook signs in to EWS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EwsAuth {
    /// Exchange Server: Basic auth as a service account, then `ExchangeImpersonation`.
    ServiceAccount {
        username: String,
        /// Where the password is in the secret store (never the password).
        password: SecretRef,
    },
    /// Exchange Online: app-only OAuth, the client assertion signed by Roombook's certificate.
    AppCertificate {
        client_id: String,
        /// The organisation's Entra tenant id (the directory that gave consent).
        directory: String,
    },
}

impl CalendarBackend {
    /// Which onboarding mode made this connection (stored, and shown to admins).
    pub fn mode(&self) -> ConnectionMode {
        match self {
            Self::Ews {
                auth: EwsAuth::ServiceAccount { .. },
                ..
            } => ConnectionMode::ServiceAccount,
            Self::Ews {
                auth: EwsAuth::AppCertificate { .. },
                ..
            } => ConnectionMode::OAuthCertificate,
        }
    }

    /// Where the calendar server answers.
    pub fn endpoint(&self) -> &str {
        match self {
            Self::Ews { url, .. } => url,
        }
    }

    /// Who Roombook is towards the calendar server: the service account's user name, or the
    /// app's client id.
    pub fn identity(&self) -> &str {
        match self {
            Self::Ews {
                auth: EwsAuth::ServiceAccount { username, .. },
                ..
            } => username,
            Self::Ews {
                auth: EwsAuth::AppCertificate { client_id, .. },
                ..
            } => client_id,
        }
    }

    /// The password's place in the secret store, for a mode that has one.
    pub fn password(&self) -> Option<&SecretRef> {
        match self {
            Self::Ews {
                auth: EwsAuth::ServiceAccount { password, .. },
                ..
            } => Some(password),
            Self::Ews { .. } => None,
        }
    }

    /// The Entra directory of an app-only connection.
    pub fn directory(&self) -> Option<&str> {
        match self {
            Self::Ews {
                auth: EwsAuth::AppCertificate { directory, .. },
                ..
            } => Some(directory),
            Self::Ews { .. } => None,
        }
    }
}

/// A tenant's connection to its calendars and the outcome of its last use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangeConnection {
    pub tenant_id: TenantId,
    pub backend: CalendarBackend,
    /// Least privilege: the account or app reaches room mailboxes only.
    pub rooms_only: bool,
    /// The outcome of the last check.
    pub status: ConnectionStatus,
    /// The mailbox the check opens: the admin's own, or a room's under least privilege.
    pub check_address: String,
    /// When admin consent came back (Exchange Online): the two-hour wait runs from here.
    pub consent_at: Option<DateTime<Utc>>,
    /// When Roombook checks again by itself (consent pending, throttled).
    pub next_check_at: Option<DateTime<Utc>>,
    /// Checks refused for a wrong or expired password since the last success.
    pub password_failures: u32,
    pub certificate_expires_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<ConnectionError>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionError {
    /// What went wrong, in words an admin acts on.
    pub message: String,
    /// The error's class (authentication, permission, throttled, …).
    pub class: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Room {
    pub id: RoomId,
    pub tenant_id: TenantId,
    /// The room mailbox's primary SMTP address, lower-cased: unique within a tenant.
    pub email: String,
    pub name: String,
    pub capacity: Option<u32>,
    pub building: Option<String>,
    pub floor: Option<String>,
    pub equipment: Vec<String>,
    pub wheelchair_accessible: bool,
    /// The room list it was imported from (often a building).
    pub room_list: Option<String>,
    pub booking_window_days: Option<u32>,
    pub max_duration_minutes: Option<u32>,
    /// Whether door displays may show meeting subjects.
    pub display_subjects: bool,
    /// The room's own time zone (IANA name); `None`: the organisation's.
    pub time_zone: Option<String>,
    pub active: bool,
    /// An admin changed its details; re-imports leave them alone.
    pub edited: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Room {
    /// Whether the room may seat `people`: the one capacity rule of the finder, the day grid
    /// and the room list. A room whose seats nobody recorded may (Exchange's room lists carry
    /// no capacity); [`crate::booking::best_fit`] lists such rooms after those known to fit.
    pub fn may_seat(&self, people: u32) -> bool {
        self.capacity.is_none_or(|seats| seats >= people)
    }
}

/// A room as Exchange lists it (GetRoomLists + GetRooms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedRoom {
    pub email: String,
    pub name: String,
    pub room_list: Option<String>,
}

/// What an import changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: u32,
    pub reactivated: u32,
    pub deactivated: u32,
    pub unchanged: u32,
}

/// A room as imported or edited; the store keys it by (tenant, email).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoomDetails {
    pub email: String,
    pub name: String,
    pub capacity: Option<u32>,
    pub building: Option<String>,
    pub floor: Option<String>,
    pub equipment: Vec<String>,
    pub wheelchair_accessible: bool,
}

impl RoomDetails {
    /// Mailbox addresses are case-insensitive; we keep one spelling so (tenant, email) is unique.
    pub fn normalised(mut self) -> Self {
        self.email = self.email.trim().to_lowercase();
        self.name = self.name.trim().to_owned();
        self
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoomCounts {
    pub active: u32,
    pub inactive: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Employee,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Employee => "employee",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "employee" => Some(Self::Employee),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    /// The identity provider's stable subject (Entra object id).
    pub subject: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie token (hex); the token itself is never stored.
    pub token_hash: String,
    pub user_id: UserId,
    pub tenant_id: TenantId,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthPurpose {
    SignIn,
    Consent,
}

impl AuthPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "signin",
            Self::Consent => "consent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "signin" => Some(Self::SignIn),
            "consent" => Some(Self::Consent),
            _ => None,
        }
    }
}

/// A sign-in or admin-consent round trip in flight (single use).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthRequest {
    /// SHA-256 (hex) of the `state` parameter.
    pub state_hash: String,
    pub purpose: AuthPurpose,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Consent: the session that started it (hash).
    pub session_hash: Option<String>,
    pub tenant_id: Option<TenantId>,
    /// Where to go after sign-in (a local path).
    pub return_to: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What an admin asked for when starting Exchange Online consent; it becomes the connection
/// only when consent's callback arrives granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingConsent {
    /// The mailbox the check opens (the admin's own, or a room's with `rooms_only`).
    pub check_address: String,
    pub rooms_only: bool,
}

impl fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequest")
            .field("purpose", &self.purpose)
            .field("tenant_id", &self.tenant_id)
            .field("return_to", &self.return_to)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: AuditId,
    pub tenant_id: TenantId,
    /// `None` for actions Roombook took by itself (sync, start-up).
    pub actor: Option<UserId>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// Where a booking stands. Exchange decides; Roombook records what it last saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookingStatus {
    /// Claimed in Roombook, the meeting not yet (known to be) in Exchange.
    Sending,
    /// Sent, but Exchange did not confirm it (the answer was lost and the meeting was not
    /// found yet). It keeps the slot; the reconciler looks it up until Exchange settles it.
    Unknown,
    /// In the organiser's calendar; the room has not answered (or awaits a delegate).
    Waiting,
    Accepted,
    /// The room declined; Roombook withdrew the meeting.
    Declined,
    Cancelled,
    /// Never reached Exchange, or Exchange refused it: nothing is left behind.
    Failed,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Unknown => "unknown",
            Self::Waiting => "waiting",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sending" => Self::Sending,
            "unknown" => Self::Unknown,
            "waiting" => Self::Waiting,
            "accepted" => Self::Accepted,
            "declined" => Self::Declined,
            "cancelled" => Self::Cancelled,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    /// Whether the booking holds its room's slot.
    pub fn holds_the_room(self) -> bool {
        matches!(
            self,
            Self::Sending | Self::Unknown | Self::Waiting | Self::Accepted
        )
    }

    /// Whether Exchange has not yet told Roombook if the meeting exists.
    pub fn is_unsettled(self) -> bool {
        matches!(self, Self::Sending | Self::Unknown)
    }
}

/// Why a booking ended as it did, when the person should be told: a case with a stable code
/// (stored), never a sentence (the server's `words.rs` writes those).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookingReason {
    /// Free/busy showed the room busy just before the meeting was sent: nothing was sent.
    TakenInExchange,
    /// Exchange did not answer before the meeting was sent: nothing was sent.
    ExchangeDidNotAnswer,
    /// Exchange refused the meeting.
    ExchangeRefused,
    /// Exchange never showed the meeting whose creation it did not confirm: nothing booked.
    NotInExchange,
    /// The organiser's meeting was removed outside Roombook (in Outlook, by someone else).
    RemovedOutsideRoombook,
    /// The room declined and was busy for part of the time.
    DeclinedBusy,
    /// The room declined by its own booking rules in Exchange.
    DeclinedByRoomRules,
}

impl BookingReason {
    pub const ALL: [Self; 7] = [
        Self::TakenInExchange,
        Self::ExchangeDidNotAnswer,
        Self::ExchangeRefused,
        Self::NotInExchange,
        Self::RemovedOutsideRoombook,
        Self::DeclinedBusy,
        Self::DeclinedByRoomRules,
    ];

    /// Its stored form.
    pub fn code(self) -> &'static str {
        match self {
            Self::TakenInExchange => "taken_in_exchange",
            Self::ExchangeDidNotAnswer => "exchange_did_not_answer",
            Self::ExchangeRefused => "exchange_refused",
            Self::NotInExchange => "not_in_exchange",
            Self::RemovedOutsideRoombook => "removed_outside_roombook",
            Self::DeclinedBusy => "declined_busy",
            Self::DeclinedByRoomRules => "declined_by_room_rules",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Booking {
    pub id: BookingId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub room_id: RoomId,
    /// From the booking form; a second submit of the same form finds this booking.
    pub idempotency_key: String,
    /// The iCalendar UID sent to Exchange.
    pub uid: String,
    pub subject: String,
    pub note: String,
    pub attendees: Vec<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The zone the person booked in (IANA name).
    pub time_zone: String,
    pub status: BookingStatus,
    /// Why it was declined, failed or cancelled by someone else: a case, worded by the page.
    pub reason: Option<BookingReason>,
    /// The mailbox whose calendar holds the organiser's item.
    pub calendar: String,
    pub item_id: Option<String>,
    pub change_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The outcome of claiming a room's slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The slot is ours; the booking was stored as `Sending`.
    Claimed,
    /// The same form was submitted before: that booking.
    Duplicate(Box<Booking>),
    /// Another booking holds an overlapping slot of the room.
    Taken,
}

/// A person let in at sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    pub user: User,
    /// This sign-in made them the organisation's first admin.
    pub first_admin: bool,
}

/// What signing a person in came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admit {
    In(Admission),
    /// The organisation has no admin yet and this person did not prove they may be it.
    AwaitingAdmin,
    /// The mailbox belongs to another person (another subject) of the organisation.
    MailboxOfAnother,
}

/// What asking for a role change came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleChange {
    Changed,
    /// The person is the organisation's last admin: nothing changed.
    LastAdmin,
}

/// Turns a display name into a tenant slug: lower-case ASCII letters, digits and dashes.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "tenant".into()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booking_reasons_have_distinct_codes_that_read_back() {
        let codes: std::collections::BTreeSet<_> =
            BookingReason::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), BookingReason::ALL.len());
        for reason in BookingReason::ALL {
            assert_eq!(BookingReason::from_code(reason.code()), Some(reason));
        }
        assert_eq!(BookingReason::from_code("The room declined."), None);
    }

    #[test]
    fn slugify_keeps_ascii_words() {
        assert_eq!(slugify("Demo organisation"), "demo-organisation");
        assert_eq!(slugify("  Contoso, Ltd.  "), "contoso-ltd");
        assert_eq!(slugify("Ünïcode Only"), "n-code-only");
        assert_eq!(slugify("!!!"), "tenant");
    }

    #[test]
    fn room_details_normalise_the_address() {
        let d = RoomDetails {
            email: " Board.Room@Contoso.COM ".into(),
            name: " Board ".into(),
            ..Default::default()
        }
        .normalised();
        assert_eq!(d.email, "board.room@contoso.com");
        assert_eq!(d.name, "Board");
    }

    #[test]
    fn enums_round_trip_their_stored_names() {
        for m in [
            ConnectionMode::ServiceAccount,
            ConnectionMode::OAuthCertificate,
        ] {
            assert_eq!(ConnectionMode::parse(m.as_str()), Some(m));
        }
        for r in [Role::Admin, Role::Employee] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
