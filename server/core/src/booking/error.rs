//! What can go wrong with a booking, as cases, not sentences: the edge (the server's pages and
//! form handlers) writes the words for each case, so a page never has to read a sentence to
//! know what happened, and a second frontend (a door display) can word it its own way.
//! `Display` here is for logs.

use crate::domain::{BookingReason, Room};
use crate::ports::calendar::CalendarError;
use crate::ports::storage::StoreError;

use super::time::TimeError;

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// The request cannot be booked as asked; nothing was sent.
    #[error("invalid booking request: {0:?}")]
    Invalid(Invalid),
    /// The room's rules (recorded by an admin, or Exchange's defaults) refuse it; nothing was
    /// sent.
    #[error("refused by the room's rules: {0:?}")]
    Policy(PolicyRefusal),
    /// The room (`room`, its name) declined a moved booking's new time, for `reason`; the
    /// booking keeps its old time.
    #[error("{room} declined the new time: {reason:?}")]
    ChangeDeclined { room: String, reason: BookingReason },
    /// The slot is not free: someone else's booking in Roombook holds it (`by`), or Exchange
    /// shows the room busy then. `alternatives` are other rooms free at that time; `free_times`
    /// are the nearest local start times (`HH:MM`, the same day and length) at which this room
    /// is free.
    #[error("the slot in {room} is taken ({by:?})")]
    Taken {
        room: String,
        by: TakenBy,
        alternatives: Vec<Room>,
        free_times: Vec<String>,
    },
    #[error("the organisation cannot book: {0:?}")]
    NotConnected(NotConnected),
    #[error("no such booking")]
    NotFound,
    /// The person searches faster than their limit; nothing reached Exchange.
    #[error("too many searches at once")]
    TooManySearches,
    /// A name typed as an attendee could not be looked up just now.
    #[error("the directory look-up of {entry:?} failed")]
    LookupFailed {
        entry: String,
        #[source]
        error: CalendarError,
    },
    /// The calendar server failed; `undone` says what was left as it was.
    #[error("the calendar server failed ({undone:?})")]
    Calendar {
        #[source]
        error: CalendarError,
        undone: Undone,
    },
    /// The background job settled the booking while the person acted on it.
    #[error("the booking was settled meanwhile")]
    SettledMeanwhile,
    /// A sign-in's mailbox look-up ran past its budget.
    #[error("the mailbox look-up took too long")]
    TimedOut,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a request cannot be booked as asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// A date, time or zone that cannot be used (a skipped clock time, an unknown zone, …).
    Time(TimeError),
    /// A date outside the range the booking forms offer.
    DateOutOfRange(roombook_shared::BookingFormError),
    Passed,
    /// Only a booking that holds its room can be moved.
    NotMovable,
    /// The form lost its hidden fields (idempotency key).
    FormIncomplete,
    NobodyCalled {
        entry: String,
    },
    SeveralCalled {
        entry: String,
        /// The first matches, as `(name, address)`, for the person to pick from.
        people: Vec<(String, String)>,
        /// How many the directory found in all.
        total: usize,
    },
}

/// A room rule that refuses a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyRefusal {
    TooLong { room: String, max_minutes: u32 },
    TooFarAhead { room: String, days: u32 },
}

/// Why an organisation cannot book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotConnected {
    /// No connection has been made yet.
    NotYet,
    /// The connection's last check failed in a way an admin must fix.
    NeedsAttention,
}

/// What a failed call left as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undone {
    /// A look-up: nothing was being changed.
    LookUp,
    NothingBooked,
    NothingChanged,
    NothingCancelled,
}

impl From<Invalid> for BookingError {
    fn from(e: Invalid) -> Self {
        Self::Invalid(e)
    }
}

impl From<TimeError> for BookingError {
    fn from(e: TimeError) -> Self {
        Self::Invalid(Invalid::Time(e))
    }
}

/// What holds a slot that was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TakenBy {
    /// Another booking made through Roombook, claimed a moment before (a race).
    Roombook,
    /// Exchange shows the room busy then (a meeting booked in Outlook, say).
    Exchange,
}
