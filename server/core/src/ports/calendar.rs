//! The calendar ports: what onboarding, booking and (later) the sync engine need from the
//! organisation's calendar server.
//!
//! [`CalendarGateway`] works on a connection that exists: probe it, list its rooms, free/busy,
//! meetings, people, and read a room's schedule. [`CalendarSetup`] is what comes before a
//! connection exists: where an admin may point Roombook, and finding a server from an address.
//! `roombook-calendar-ews` implements both over EWS; a Microsoft Graph backend (Exchange
//! Online switches EWS off on 1 April 2027) would implement the same traits for its own
//! [`CalendarBackend`] variant. Nothing above this module knows which one is in use.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::{
    CalendarBackend, ConnectionStatus, ExchangeConnection, ImportedRoom, SecretRef,
};

/// A busy stretch of a calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusyInterval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Tentative (not yet accepted) rather than busy; both block a room.
    pub tentative: bool,
}

/// Free/busy of one mailbox over the asked window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailboxBusy {
    Known(Vec<BusyInterval>),
    /// Exchange could not say for this mailbox (gone, no permission): treat it as not free.
    Unknown(String),
}

impl MailboxBusy {
    /// Whether `start..end` is free of every busy or tentative stretch.
    pub fn is_free(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        match self {
            Self::Known(busy) => !busy.iter().any(|b| b.start < end && b.end > start),
            Self::Unknown(_) => false,
        }
    }
}

/// A meeting to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingRequest {
    /// Whose calendar holds the organiser's item: the person's, or the room's in a tenant that
    /// gave Roombook access to room mailboxes only.
    pub calendar: String,
    pub room: String,
    pub room_name: String,
    /// The room organises its own meeting (rooms-only access) and invites the person.
    pub room_is_organiser: bool,
    /// The person who booked (invited when the room organises).
    pub person: String,
    pub attendees: Vec<String>,
    pub subject: String,
    pub note: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// iCalendar UID: how a meeting whose creation answer was lost is recognised.
    pub uid: String,
}

/// Where a created meeting is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingRef {
    pub calendar: String,
    pub item_id: String,
    pub change_key: Option<String>,
}

/// The room's answer, as the organiser's copy shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomAnswer {
    Accepted,
    /// Tentative, or no answer yet (a delegate approves, or the booking attendant is slow).
    Waiting,
    Declined,
    /// The meeting is no longer in the calendar (deleted or cancelled elsewhere).
    Gone,
}

/// A person in the organisation's directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub name: String,
    pub email: String,
}

/// What probing a connection found: the status an admin page shows, and for the log and the
/// health page what exactly happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeOutcome {
    pub status: ConnectionStatus,
    /// The error's class (authentication, permission, throttled, …) when it failed.
    pub class: Option<String>,
    /// The technical cause, for the log and the admin page (never holds a secret).
    pub detail: String,
    /// The server's requested wait (throttling).
    pub retry_after: Option<Duration>,
}

impl ProbeOutcome {
    pub fn healthy() -> Self {
        Self {
            status: ConnectionStatus::Healthy,
            class: None,
            detail: String::new(),
            retry_after: None,
        }
    }
}

/// One meeting in a room's calendar, as the room's own copy shows it. No body is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduledMeeting {
    /// The item's id and change key in the room's calendar.
    pub meeting: MeetingRef,
    /// iCalendar UID: a Roombook booking is recognised by the UID it created it with.
    pub uid: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub subject: Option<String>,
    pub organiser: Option<DirectoryEntry>,
    /// Tentative rather than busy.
    pub tentative: bool,
    pub last_modified: Option<DateTime<Utc>>,
}

/// Why a destination or a discovery was refused before a connection existed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Roombook does not connect there (not https, a private or special address, …); the
    /// reason names the host and what is wrong with it.
    #[error("{0}")]
    Refused(String),
    /// No server was found for the address (Autodiscover answered nothing usable).
    #[error("no calendar server found for {address}: {cause}")]
    NotFound { address: String, cause: String },
    /// What was found is a place Roombook does not connect to.
    #[error("the server found for the address, {found}, is refused: {reason}")]
    FoundRefused { found: String, reason: String },
}

/// What comes before a connection exists: where an admin may point Roombook, finding the
/// server of a mailbox, and the connection Roombook's own app (Exchange Online) gets.
#[async_trait::async_trait]
pub trait CalendarSetup: Send + Sync {
    /// Checks an endpoint an admin typed: https, and a host Roombook may send credentials
    /// to. Returns it normalised.
    async fn check_endpoint(&self, url: &str) -> Result<String, SetupError>;

    /// Finds the server of the mailbox `address` (EWS: Autodiscover), signing in as
    /// `username` with the password stored at `password`. Returns a checked endpoint.
    async fn discover_endpoint(
        &self,
        address: &str,
        username: &str,
        password: &SecretRef,
    ) -> Result<String, SetupError>;

    /// The connection settings of Roombook's own app in `directory` (after admin consent),
    /// or `None` when this server has no app registered.
    fn app_backend(&self, directory: &str) -> Option<CalendarBackend>;

    /// The OAuth scope admin consent asks for, for the backend [`Self::app_backend`] makes.
    fn consent_scope(&self) -> &str;

    /// Where admins give consent (the identity platform's authority).
    fn consent_authority(&self) -> &str;
}

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The server asked us to slow down and the retries ran out.
    #[error("the calendar server is busy (throttled)")]
    Throttled,
    /// Unreachable, timed out, or an answer we could not read. Whether a write happened is
    /// unknown.
    #[error("the calendar server did not answer usably: {0}")]
    Unavailable(String),
    /// Credentials, consent or permissions refused.
    #[error("the calendar server refused Roombook's access: {0}")]
    Refused(String),
    #[error("no such mailbox: {0}")]
    NoMailbox(String),
    #[error("the meeting is no longer in the calendar")]
    NotFound,
    #[error("the calendar server rejected the request: {0}")]
    Rejected(String),
    /// A write whose outcome is unknown: it was sent, its answer was lost, and the meeting
    /// could not be found (yet). The caller reconciles it; it never guesses.
    #[error("the calendar server did not confirm the write: {0}")]
    Unconfirmed(String),
    /// The meeting was changed elsewhere since Roombook last wrote it; nothing was overwritten.
    #[error("the meeting was changed elsewhere since Roombook last wrote it")]
    ChangedElsewhere,
}

#[async_trait::async_trait]
pub trait CalendarGateway: Send + Sync {
    /// Opens the calendar of `address` as the connection would: proves the mailbox exists and
    /// that the connection may open it, and says what an admin must fix when not.
    async fn probe(&self, connection: &ExchangeConnection, address: &str) -> ProbeOutcome;

    /// Every room of every room list the connection can read, acting as `act_as`.
    async fn room_lists(
        &self,
        connection: &ExchangeConnection,
        act_as: &str,
    ) -> Result<Vec<ImportedRoom>, CalendarError>;

    /// The meetings in `room`'s calendar over `start..end`, recurring meetings as their
    /// occurrences: what the sync engine reads when a room's calendar changed.
    async fn room_schedule(
        &self,
        connection: &ExchangeConnection,
        room: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<ScheduledMeeting>, CalendarError>;

    /// When the credential this connection signs in with expires (the app certificate), if
    /// the backend knows.
    async fn credential_expiry(&self, connection: &ExchangeConnection) -> Option<DateTime<Utc>>;

    /// Drops whatever the adapter keeps for this connection's sign-in (a cached token fetched
    /// before consent carries no permissions).
    fn forget_credentials(&self, connection: &ExchangeConnection);

    /// Free/busy of `mailboxes` over `start..end`, one answer per mailbox in input order.
    /// `act_as` is the mailbox whose rights are used.
    async fn free_busy(
        &self,
        connection: &ExchangeConnection,
        act_as: &str,
        mailboxes: &[String],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<MailboxBusy>, CalendarError>;

    /// Creates the meeting and sends the invitations. When the answer is lost, the meeting is
    /// looked up by its UID, so a retry never creates a second one.
    async fn create_meeting(
        &self,
        connection: &ExchangeConnection,
        meeting: &MeetingRequest,
    ) -> Result<MeetingRef, CalendarError>;

    /// The meeting with iCalendar `uid` in `calendar` around `start..end`, if it exists.
    async fn find_meeting(
        &self,
        connection: &ExchangeConnection,
        calendar: &str,
        uid: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Option<MeetingRef>, CalendarError>;

    /// The room's answer on the organiser's copy.
    async fn room_answer(
        &self,
        connection: &ExchangeConnection,
        meeting: &MeetingRef,
        room: &str,
    ) -> Result<RoomAnswer, CalendarError>;

    /// Moves the meeting; attendees and the room are told (the room answers again).
    /// `last_written` is the time Roombook last gave it: a meeting moved elsewhere since
    /// (Outlook, a delegate) is not overwritten but reported as [`CalendarError::ChangedElsewhere`].
    async fn move_meeting(
        &self,
        connection: &ExchangeConnection,
        meeting: &MeetingRef,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        last_written: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<MeetingRef, CalendarError>;

    /// Cancels the meeting: attendees and the room are told, the room is freed.
    async fn cancel_meeting(
        &self,
        connection: &ExchangeConnection,
        meeting: &MeetingRef,
        message: &str,
    ) -> Result<(), CalendarError>;

    /// The primary address of the mailbox that `address` names exactly in the organisation's
    /// directory (an alias resolves to its primary address); `None` when no mailbox has it.
    /// `act_as` is the mailbox whose rights are used.
    async fn resolve_mailbox(
        &self,
        connection: &ExchangeConnection,
        act_as: &str,
        address: &str,
    ) -> Result<Option<String>, CalendarError>;

    /// People whose name or address matches `text`.
    async fn find_people(
        &self,
        connection: &ExchangeConnection,
        act_as: &str,
        text: &str,
    ) -> Result<Vec<DirectoryEntry>, CalendarError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn free_means_no_overlap_and_unknown_is_never_free() {
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap();
        let busy = MailboxBusy::Known(vec![BusyInterval {
            start: at(10),
            end: at(11),
            tentative: false,
        }]);
        assert!(busy.is_free(at(9), at(10)), "back to back is free");
        assert!(busy.is_free(at(11), at(12)));
        assert!(!busy.is_free(at(9), at(12)));
        assert!(!busy.is_free(at(10), at(11)));
        assert!(!MailboxBusy::Unknown("gone".into()).is_free(at(1), at(2)));
    }
}
