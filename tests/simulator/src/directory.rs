//! The tenant's directory: people, rooms, room lists, service accounts and registered apps.
//! `TenantSeed` is what a test or the demo hands to `Simulator::start`.

use std::fmt;

/// Contents of the simulated tenant.
#[derive(Debug, Clone, Default)]
pub struct TenantSeed {
    /// The tenant id (a GUID in Entra) used in tokens and issuer URLs.
    pub tenant_id: String,
    pub domain: String,
    pub users: Vec<User>,
    pub rooms: Vec<Room>,
    pub room_lists: Vec<RoomList>,
    pub service_accounts: Vec<ServiceAccount>,
    /// Meetings present at start, processed like any booking.
    pub meetings: Vec<SeedMeeting>,
    /// Entra app registrations.
    pub apps: Vec<crate::entra::AppRegistration>,
}

impl TenantSeed {
    pub fn new(domain: &str) -> Self {
        TenantSeed {
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            domain: domain.into(),
            ..TenantSeed::default()
        }
    }

    pub fn user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    pub fn room(mut self, room: Room) -> Self {
        self.rooms.push(room);
        self
    }

    pub fn room_list(mut self, list: RoomList) -> Self {
        self.room_lists.push(list);
        self
    }

    pub fn app(mut self, app: crate::entra::AppRegistration) -> Self {
        self.apps.push(app);
        self
    }

    pub fn service_account(mut self, account: ServiceAccount) -> Self {
        self.service_accounts.push(account);
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub address: String,
    pub display_name: String,
    /// A directory entry without a mailbox (e.g. a mail user): resolvable, but impersonating
    /// it or opening its calendar fails with `ErrorNonExistentMailbox`.
    pub has_mailbox: bool,
    /// Entra ID directory roles (role template ids), sent in the id_token's `wids`.
    pub directory_roles: Vec<String>,
    /// What the id_token's `preferred_username` says, if not the address: a provider that
    /// asserts someone else's address (misconfigured, or hostile).
    pub asserted_username: Option<String>,
}

/// The Global Administrator role's template id.
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

impl User {
    pub fn new(address: &str, display_name: &str) -> Self {
        User {
            address: address.to_ascii_lowercase(),
            display_name: display_name.into(),
            has_mailbox: true,
            directory_roles: Vec::new(),
            asserted_username: None,
        }
    }

    /// Signs in asserting `address` as `preferred_username` (with this user's own object id).
    pub fn asserting(mut self, address: &str) -> Self {
        self.asserted_username = Some(address.to_owned());
        self
    }

    /// Holds the directory role with this template id (e.g. [`GLOBAL_ADMINISTRATOR`]).
    pub fn with_directory_role(mut self, role: &str) -> Self {
        self.directory_roles.push(role.to_owned());
        self
    }

    pub fn without_mailbox(mut self) -> Self {
        self.has_mailbox = false;
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    pub address: String,
    pub display_name: String,
    pub capacity: u32,
    pub building: String,
    pub floor: i32,
    pub equipment: Vec<String>,
    pub policy: BookingPolicy,
}

impl Room {
    pub fn new(address: &str, display_name: &str, capacity: u32) -> Self {
        Room {
            address: address.to_ascii_lowercase(),
            display_name: display_name.into(),
            capacity,
            building: String::new(),
            floor: 0,
            equipment: Vec::new(),
            policy: BookingPolicy::default(),
        }
    }

    pub fn in_building(mut self, building: &str, floor: i32) -> Self {
        self.building = building.into();
        self.floor = floor;
        self
    }

    pub fn with_equipment(mut self, equipment: &[&str]) -> Self {
        self.equipment = equipment.iter().map(|e| e.to_string()).collect();
        self
    }

    pub fn with_policy(mut self, policy: BookingPolicy) -> Self {
        self.policy = policy;
        self
    }
}

/// The resource booking attendant's settings for one room (`Set-CalendarProcessing`).
#[derive(Debug, Clone, PartialEq)]
pub struct BookingPolicy {
    /// `AutomateProcessing AutoAccept`. When false, requests stay tentative (awaiting a
    /// delegate), as with `AutoUpdate`.
    pub auto_accept: bool,
    /// `AllowConflicts`.
    pub allow_conflicts: bool,
    /// `BookingWindowInDays` (Exchange's default is 180).
    pub booking_window_days: u32,
    /// `MaximumDurationInMinutes` (default 1440; 0 means no limit).
    pub max_duration_minutes: u32,
    /// `AllowRecurringMeetings`.
    pub allow_recurring: bool,
    /// `DeleteSubject`: the room's copy keeps no subject (Exchange's default: on).
    pub delete_subject: bool,
    /// `AddOrganizerToSubject`: the room's copy's subject becomes the organiser's name
    /// (Exchange's default: on). Room free/busy details therefore show the organiser's name,
    /// not the subject, unless both are turned off.
    pub add_organizer_to_subject: bool,
}

impl Default for BookingPolicy {
    fn default() -> Self {
        BookingPolicy {
            auto_accept: true,
            allow_conflicts: false,
            booking_window_days: 180,
            max_duration_minutes: 1440,
            allow_recurring: true,
            delete_subject: true,
            add_organizer_to_subject: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoomList {
    pub address: String,
    pub display_name: String,
    pub rooms: Vec<String>,
}

impl RoomList {
    pub fn new(address: &str, display_name: &str, rooms: &[&str]) -> Self {
        RoomList {
            address: address.to_ascii_lowercase(),
            display_name: display_name.into(),
            rooms: rooms.iter().map(|r| r.to_ascii_lowercase()).collect(),
        }
    }
}

/// Which mailboxes a grant covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxScope {
    All,
    /// A management scope `RecipientTypeDetails -eq 'RoomMailbox'`.
    RoomsOnly,
}

/// An account that signs in with Basic auth (Exchange on-premises style).
#[derive(Clone, PartialEq)]
pub struct ServiceAccount {
    /// The logon name, as sent in Basic auth (`user@domain` or `DOMAIN\user`).
    pub username: String,
    pub password: String,
    /// The account's own mailbox, if it has one.
    pub mailbox: Option<String>,
    /// The `ApplicationImpersonation` role and its recipient scope.
    pub impersonation: Option<MailboxScope>,
    /// `FullAccess` mailbox permission (opening other mailboxes without impersonation).
    pub full_access: Option<MailboxScope>,
}

impl ServiceAccount {
    pub fn new(username: &str, password: &str) -> Self {
        ServiceAccount {
            username: username.into(),
            password: password.into(),
            mailbox: None,
            impersonation: Some(MailboxScope::All),
            full_access: None,
        }
    }

    pub fn without_impersonation(mut self) -> Self {
        self.impersonation = None;
        self
    }

    pub fn with_impersonation(mut self, scope: MailboxScope) -> Self {
        self.impersonation = Some(scope);
        self
    }

    pub fn with_full_access(mut self, scope: MailboxScope) -> Self {
        self.full_access = Some(scope);
        self
    }

    pub fn with_mailbox(mut self, address: &str) -> Self {
        self.mailbox = Some(address.to_ascii_lowercase());
        self
    }
}

impl fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("mailbox", &self.mailbox)
            .field("impersonation", &self.impersonation)
            .field("full_access", &self.full_access)
            .finish()
    }
}

/// A meeting booked before the simulator starts (demo data).
#[derive(Debug, Clone, PartialEq)]
pub struct SeedMeeting {
    pub organizer: String,
    pub subject: String,
    pub start: chrono::DateTime<chrono::Utc>,
    pub end: chrono::DateTime<chrono::Utc>,
    pub attendees: Vec<String>,
    pub room: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_account_debug_redacts_password() {
        let account = ServiceAccount::new("svc@contoso.example", "hunter2");
        let shown = format!("{account:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("svc@contoso.example"));
    }
}
