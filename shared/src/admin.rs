//! What the sign-in, onboarding and admin pages show, and the validation of their forms.

use serde::{Deserialize, Serialize};

/// The signed-in person, as the pages need them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    pub tenant_name: String,
    /// Goes into every state-changing form as the hidden `csrf` field.
    pub csrf_token: String,
}

/// What the set-up pages need to know about this server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupOptions {
    /// An identity provider is configured.
    pub sign_in_available: bool,
    /// Exchange Online mode is configured (our app's client id and certificate).
    pub online_available: bool,
    pub client_id: Option<String>,
    /// Commands an admin runs to limit Roombook to room mailboxes.
    pub rooms_only_commands_online: Vec<String>,
    pub rooms_only_commands_onprem: Vec<String>,
}

/// The outcome of the last connection check. Stored as [`ConnectionStatus::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConnectionStatus {
    /// Saved, not checked yet.
    Unchecked,
    /// The mailbox check succeeded.
    Healthy,
    /// Exchange knows no mailbox for the address checked.
    NoMailbox,
    /// Authenticated, but not allowed to open that mailbox (scope, role, consent missing).
    PermissionMissing,
    /// Admin consent was given but Exchange does not honour it yet; checked again by itself.
    ConsentPending,
    /// Consent has not taken effect within the two hours Roombook waits.
    ConsentTimedOut,
    /// Exchange Online refuses EWS for this app (the tenant's EWS allow list).
    EwsBlocked,
    /// The admin refused (or cancelled) consent.
    ConsentRefused,
    /// The service account's user name or password is wrong.
    WrongPassword,
    /// The service account's password has expired.
    PasswordExpired,
    /// The server could not be reached, or answered with something other than EWS.
    Unreachable,
    /// Exchange is throttling us; the check is retried later.
    Throttled,
    /// Our own certificate or secret store failed.
    CredentialsUnavailable,
    /// The outbound guard refused the server's address (private, loopback, metadata, plain
    /// http, a redirect elsewhere): nothing was sent there.
    AddressRefused,
}

impl ConnectionStatus {
    pub const ALL: [ConnectionStatus; 14] = [
        Self::Unchecked,
        Self::Healthy,
        Self::NoMailbox,
        Self::PermissionMissing,
        Self::ConsentPending,
        Self::ConsentTimedOut,
        Self::EwsBlocked,
        Self::ConsentRefused,
        Self::WrongPassword,
        Self::PasswordExpired,
        Self::Unreachable,
        Self::Throttled,
        Self::CredentialsUnavailable,
        Self::AddressRefused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unchecked => "unchecked",
            Self::Healthy => "healthy",
            Self::NoMailbox => "no_mailbox",
            Self::PermissionMissing => "permission_missing",
            Self::ConsentPending => "consent_pending",
            Self::ConsentTimedOut => "consent_timed_out",
            Self::EwsBlocked => "ews_blocked",
            Self::ConsentRefused => "consent_refused",
            Self::WrongPassword => "wrong_password",
            Self::PasswordExpired => "password_expired",
            Self::Unreachable => "unreachable",
            Self::Throttled => "throttled",
            Self::CredentialsUnavailable => "credentials_unavailable",
            Self::AddressRefused => "address_refused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// A short label for a badge.
    pub fn label(self) -> &'static str {
        match self {
            Self::Unchecked => "Not checked yet",
            Self::Healthy => "Healthy",
            Self::NoMailbox => "No mailbox",
            Self::PermissionMissing => "Permission missing",
            Self::ConsentPending => "Waiting for consent to take effect",
            Self::ConsentTimedOut => "Consent not in effect",
            Self::EwsBlocked => "EWS blocked for Roombook",
            Self::ConsentRefused => "Consent refused",
            Self::WrongPassword => "Wrong user name or password",
            Self::PasswordExpired => "Password expired",
            Self::Unreachable => "Exchange unreachable",
            Self::Throttled => "Exchange is busy",
            Self::CredentialsUnavailable => "Credentials unavailable",
            Self::AddressRefused => "Address refused",
        }
    }

    /// Healthy, or on its way there without the admin doing anything.
    pub fn is_good(self) -> bool {
        matches!(self, Self::Healthy)
    }
}

/// A tenant's connection as the admin health page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionHealth {
    /// "Exchange Online (app-only OAuth)" or "Exchange Server (service account)".
    pub mode: String,
    pub online: bool,
    pub ews_url: String,
    /// Service account user name or the app's client id.
    pub identity: String,
    pub status: ConnectionStatus,
    /// What happened, in words the admin acts on.
    pub explanation: String,
    /// Commands the admin can run to fix it (PowerShell), if any.
    pub commands: Vec<String>,
    pub check_address: String,
    pub rooms_only: bool,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    pub last_error_class: Option<String>,
    pub last_error_at: Option<String>,
    pub next_check: Option<String>,
    pub password_failures: u32,
    pub certificate_expires: Option<String>,
    /// Set when the certificate (or token) expires within 30 days.
    pub expiry_warning: Option<String>,
    pub secret_backend: String,
}

/// A room as the admin rooms page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminRoom {
    pub id: String,
    pub email: String,
    pub name: String,
    pub room_list: Option<String>,
    pub capacity: Option<u32>,
    pub building: Option<String>,
    pub floor: Option<String>,
    pub equipment: Vec<String>,
    pub wheelchair_accessible: bool,
    pub booking_window_days: Option<u32>,
    pub max_duration_minutes: Option<u32>,
    pub display_subjects: bool,
    /// The room's own time zone (IANA name), if it differs from the organisation's.
    pub time_zone: Option<String>,
    pub active: bool,
    pub edited: bool,
}

/// Room details an admin sets, validated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSettings {
    pub capacity: Option<u32>,
    pub building: Option<String>,
    pub floor: Option<String>,
    pub equipment: Vec<String>,
    pub wheelchair_accessible: bool,
    pub booking_window_days: Option<u32>,
    pub max_duration_minutes: Option<u32>,
    pub display_subjects: bool,
    /// The room's own time zone (IANA name); the server checks that it exists.
    pub time_zone: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoomSettingsError {
    #[error("{field}: “{value}” is not a whole number.")]
    NotANumber { field: &'static str, value: String },
    #[error("{field} must be between {min} and {max}.")]
    OutOfRange {
        field: &'static str,
        min: u32,
        max: u32,
    },
    #[error("{field} is too long (at most {max} characters).")]
    TooLong { field: &'static str, max: usize },
    #[error("“{0}” is not a time-zone name. Use one such as Europe/Berlin.")]
    TimeZone(String),
}

impl RoomSettingsError {
    /// The room form's field (its `name`) the error is about, so the form can show the
    /// sentence beside it.
    pub fn field_name(&self) -> &'static str {
        let label = match self {
            Self::NotANumber { field, .. }
            | Self::OutOfRange { field, .. }
            | Self::TooLong { field, .. } => *field,
            Self::TimeZone(_) => return "time_zone",
        };
        match label {
            "Capacity" => "capacity",
            "Building" => "building",
            "Floor" => "floor",
            "Equipment" => "equipment",
            "Booking window (days)" => "booking_window_days",
            "Maximum duration (minutes)" => "max_duration_minutes",
            _ => "",
        }
    }
}

const MAX_TEXT: usize = 100;

fn optional_number(
    field: &'static str,
    raw: &str,
    min: u32,
    max: u32,
) -> Result<Option<u32>, RoomSettingsError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let n: u32 = raw.parse().map_err(|_| RoomSettingsError::NotANumber {
        field,
        value: raw.chars().take(40).collect(),
    })?;
    if n < min || n > max {
        return Err(RoomSettingsError::OutOfRange { field, min, max });
    }
    Ok(Some(n))
}

fn optional_text(field: &'static str, raw: &str) -> Result<Option<String>, RoomSettingsError> {
    let raw = raw.trim();
    if raw.chars().count() > MAX_TEXT {
        return Err(RoomSettingsError::TooLong {
            field,
            max: MAX_TEXT,
        });
    }
    Ok((!raw.is_empty()).then(|| raw.to_owned()))
}

impl RoomSettings {
    /// Parses the raw strings of the room form. `equipment` is comma-separated.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        capacity: &str,
        building: &str,
        floor: &str,
        equipment: &str,
        wheelchair_accessible: bool,
        booking_window_days: &str,
        max_duration_minutes: &str,
        display_subjects: bool,
    ) -> Result<Self, RoomSettingsError> {
        let mut items: Vec<String> = Vec::new();
        for item in equipment.split(',') {
            if let Some(item) = optional_text("Equipment", item)?
                && !items.iter().any(|i| i.eq_ignore_ascii_case(&item))
            {
                items.push(item);
            }
        }
        if items.len() > 30 {
            return Err(RoomSettingsError::OutOfRange {
                field: "Equipment",
                min: 0,
                max: 30,
            });
        }
        Ok(Self {
            capacity: optional_number("Capacity", capacity, 1, crate::rooms::MAX_CAPACITY)?,
            building: optional_text("Building", building)?,
            floor: optional_text("Floor", floor)?,
            equipment: items,
            wheelchair_accessible,
            booking_window_days: optional_number(
                "Booking window (days)",
                booking_window_days,
                1,
                crate::booking::MAX_WINDOW_DAYS,
            )?,
            max_duration_minutes: optional_number(
                "Maximum duration (minutes)",
                max_duration_minutes,
                5,
                1440,
            )?,
            display_subjects,
            time_zone: None,
        })
    }

    /// Adds the room's time zone as typed (empty: the organisation's).
    pub fn with_time_zone(mut self, raw: &str) -> Result<Self, RoomSettingsError> {
        let zone = crate::booking::clean_time_zone(raw)
            .map_err(|_| RoomSettingsError::TimeZone(raw.trim().chars().take(64).collect()))?;
        self.time_zone = (!zone.is_empty()).then_some(zone);
        Ok(self)
    }
}

/// A person of the tenant, for the admins page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    pub last_seen: String,
}

/// The organisation's own sign-in provider, as the admin sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInSettings {
    /// The organisation's own issuer, if it has one.
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub has_secret: bool,
    /// The link people of this organisation use to sign in with it.
    pub sign_in_link: String,
    /// The redirect URI to register at the provider.
    pub redirect_uri: String,
}

/// One audit log entry, for display.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub at: String,
    pub actor: String,
    /// The action's code (`booking.create`), and the same in words.
    pub action: String,
    pub what: String,
    pub target: String,
    pub detail: String,
}

/// The audit log's filters as typed: a kind (the code's first part: `booking`, `room`,
/// `connection`, `people`), part of a person's name or address, a day (`YYYY-MM-DD`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub kind: String,
    pub who: String,
    pub date: String,
}

/// The kinds the audit log can be filtered by, with their labels.
pub const AUDIT_KINDS: [(&str, &str); 4] = [
    ("booking", "Bookings"),
    ("room", "Rooms"),
    ("connection", "Exchange connection"),
    ("people", "People and sign-in"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_round_trip() {
        for s in ConnectionStatus::ALL {
            assert_eq!(ConnectionStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ConnectionStatus::parse("nonsense"), None);
    }

    #[test]
    fn room_settings_parse_and_refuse_nonsense() {
        let s = RoomSettings::parse(
            " 8 ",
            "HQ",
            "",
            "Screen, video,  ,screen",
            true,
            "90",
            "",
            false,
        )
        .unwrap();
        assert_eq!(s.capacity, Some(8));
        assert_eq!(s.building.as_deref(), Some("HQ"));
        assert_eq!(s.floor, None);
        assert_eq!(s.equipment, vec!["Screen".to_owned(), "video".to_owned()]);
        assert_eq!(s.booking_window_days, Some(90));
        let err = RoomSettings::parse("eight", "", "", "", false, "", "", false).unwrap_err();
        assert!(err.to_string().contains("“eight”"), "{err}");
        let err = RoomSettings::parse("", "", "", "", false, "", "2", false).unwrap_err();
        assert!(err.to_string().contains("between 5 and 1440"), "{err}");
        let long = "x".repeat(101);
        assert!(RoomSettings::parse("", &long, "", "", false, "", "", false).is_err());
    }
}
