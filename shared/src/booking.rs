//! Finding and booking rooms: the finder's form, its validation, and what the pages show.
//!
//! Dates and times here are the person's local wall-clock values, as typed. The server turns
//! them into instants with the person's time zone (it has the time-zone database; the browser
//! bundle stays small) and sends back labels ready to show.

use chrono::{NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

use crate::RoomSummary;

/// Shortest and longest booking the forms accept (a room's own policy may be stricter).
pub const MIN_MINUTES: u32 = 15;
pub const MAX_MINUTES: u32 = 24 * 60;
/// Longest subject Exchange shows without trouble; longer is pasted junk.
pub const MAX_SUBJECT_CHARS: usize = 255;
pub const MAX_NOTE_CHARS: usize = 4000;
pub const MAX_ATTENDEES: usize = 50;
const MAX_FILTER_CHARS: usize = 100;
/// The longest booking window an admin can give a room (days ahead). No date further ahead
/// can be booked in any room, so the finder, the grid and bookings stop there.
pub const MAX_WINDOW_DAYS: u32 = 1080;
/// How far back the day grid (and so every date field) goes: a year and a day.
pub const PAST_DAYS: u32 = 366;

/// The finder's fields as typed (all strings, so nonsense gets a sentence, not a 400).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinderRequest {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`.
    pub start: String,
    /// Minutes; or leave empty and give `end`.
    pub minutes: String,
    /// `HH:MM`, same day.
    pub end: String,
    pub people: String,
    /// Comma-separated: every item must be in the room.
    pub equipment: String,
    pub building: String,
    pub floor: String,
    pub accessible: bool,
    /// IANA time-zone name; empty: the person's or the organisation's default.
    pub time_zone: String,
    /// The day grid's page of rooms (from 1); empty: the first.
    #[serde(default)]
    pub page: String,
}

impl FinderRequest {
    /// The day grid's page as typed; nonsense and nothing are the first page (a stale link
    /// beyond the last page shows the last).
    pub fn page_number(&self) -> u32 {
        self.page.trim().parse::<u32>().unwrap_or(1).max(1)
    }
}

/// The lengths the day grid offers for booking from a cell, in minutes.
pub const GRID_LENGTHS: [u32; 4] = [30, 60, 90, 120];

/// A validated finder request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotFilter {
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub minutes: u32,
    pub people: Option<u32>,
    pub equipment: Vec<String>,
    pub building: Option<String>,
    pub floor: Option<String>,
    pub accessible: bool,
    pub time_zone: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BookingFormError {
    #[error("“{0}” is not a date. Use the date picker or type it as 2026-11-23.")]
    Date(String),
    #[error("“{0}” is not a time. Type it as 14:30.")]
    Time(String),
    #[error("Times go in steps of 5 minutes (e.g. 14:05, not 14:07).")]
    TimeStep,
    #[error("“{0}” is not a number of minutes.")]
    Minutes(String),
    #[error("A booking lasts between {MIN_MINUTES} minutes and 24 hours.")]
    MinutesRange,
    #[error("The end time must be after the start time on the same day.")]
    EndBeforeStart,
    #[error("“{0}” is not a number of people. Enter a whole number such as 6.")]
    People(String),
    #[error("The number of people must be between 1 and 10000.")]
    PeopleRange,
    #[error("{0} is too long.")]
    TooLong(&'static str),
    #[error("“{0}” is not a time-zone name. Use one such as Europe/London.")]
    TimeZone(String),
    #[error("The subject is too long (at most {MAX_SUBJECT_CHARS} characters).")]
    SubjectTooLong,
    #[error("The note is too long (at most {MAX_NOTE_CHARS} characters).")]
    NoteTooLong,
    #[error("At most {MAX_ATTENDEES} attendees can be invited from here.")]
    TooManyAttendees,
    #[error(
        "{date} is outside the dates Roombook works with: from {first} to {last} (a year back, and as far ahead as any room can be booked). Choose a date in between."
    )]
    DateRange {
        date: String,
        first: String,
        last: String,
    },
}

/// Whether `date` is in the range the finder, the grid and bookings work with, seen from
/// `today` (the person's local date): [`PAST_DAYS`] back to [`MAX_WINDOW_DAYS`] ahead.
pub fn check_date_range(date: NaiveDate, today: NaiveDate) -> Result<(), BookingFormError> {
    let first = today
        .checked_sub_days(chrono::Days::new(u64::from(PAST_DAYS)))
        .unwrap_or(NaiveDate::MIN);
    let last = today
        .checked_add_days(chrono::Days::new(u64::from(MAX_WINDOW_DAYS)))
        .unwrap_or(NaiveDate::MAX);
    if (first..=last).contains(&date) {
        return Ok(());
    }
    let long = |d: NaiveDate| d.format("%-d %B %Y").to_string();
    Err(BookingFormError::DateRange {
        date: long(date),
        first: long(first),
        last: long(last),
    })
}

pub fn parse_date(raw: &str) -> Result<NaiveDate, BookingFormError> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| BookingFormError::Date(raw.chars().take(40).collect()))
}

pub fn parse_time(raw: &str) -> Result<NaiveTime, BookingFormError> {
    let raw = raw.trim();
    let time = NaiveTime::parse_from_str(raw, "%H:%M")
        // Some browsers send seconds from `<input type=time step=…>`.
        .or_else(|_| NaiveTime::parse_from_str(raw, "%H:%M:%S"))
        .map_err(|_| BookingFormError::Time(raw.chars().take(40).collect()))?;
    if time.second() != 0 || time.minute() % 5 != 0 {
        return Err(BookingFormError::TimeStep);
    }
    Ok(time)
}

/// The length of a booking: from `end` when it is given (the finder fills `minutes` in by
/// default, so a typed end time is the more deliberate of the two), else from `minutes`, else
/// half an hour.
pub fn parse_length(start: NaiveTime, minutes: &str, end: &str) -> Result<u32, BookingFormError> {
    let minutes = minutes.trim();
    let n = if !end.trim().is_empty() {
        let end = parse_time(end)?;
        if end <= start {
            return Err(BookingFormError::EndBeforeStart);
        }
        (end - start).num_minutes() as u32
    } else if !minutes.is_empty() {
        minutes
            .parse::<u32>()
            .map_err(|_| BookingFormError::Minutes(minutes.chars().take(40).collect()))?
    } else {
        30
    };
    if !(MIN_MINUTES..=MAX_MINUTES).contains(&n) {
        return Err(BookingFormError::MinutesRange);
    }
    Ok(n)
}

fn optional_text(raw: &str, what: &'static str) -> Result<Option<String>, BookingFormError> {
    let raw = raw.trim();
    if raw.chars().count() > MAX_FILTER_CHARS {
        return Err(BookingFormError::TooLong(what));
    }
    Ok((!raw.is_empty()).then(|| raw.to_owned()))
}

/// A time-zone name as typed: letters, digits and `/_+-`; the server checks it exists.
pub fn clean_time_zone(raw: &str) -> Result<String, BookingFormError> {
    let raw = raw.trim();
    if raw.len() > 64
        || !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c))
    {
        return Err(BookingFormError::TimeZone(raw.chars().take(64).collect()));
    }
    Ok(raw.to_owned())
}

impl FinderRequest {
    pub fn parse(&self) -> Result<SlotFilter, BookingFormError> {
        let date = parse_date(&self.date)?;
        let start = parse_time(&self.start)?;
        let minutes = parse_length(start, &self.minutes, &self.end)?;
        let people = match self.people.trim() {
            "" => None,
            raw => {
                let n: u32 = raw
                    .parse()
                    .map_err(|_| BookingFormError::People(raw.chars().take(40).collect()))?;
                if n == 0 || n > crate::rooms::MAX_CAPACITY {
                    return Err(BookingFormError::PeopleRange);
                }
                Some(n)
            }
        };
        let mut equipment = Vec::new();
        for item in self.equipment.split(',') {
            if let Some(item) = optional_text(item, "An equipment name")?
                && !equipment
                    .iter()
                    .any(|e: &String| e.eq_ignore_ascii_case(&item))
            {
                equipment.push(item);
            }
        }
        if equipment.len() > 20 {
            return Err(BookingFormError::TooLong("The equipment list"));
        }
        Ok(SlotFilter {
            date,
            start,
            minutes,
            people,
            equipment,
            building: optional_text(&self.building, "The building")?,
            floor: optional_text(&self.floor, "The floor")?,
            accessible: self.accessible,
            time_zone: clean_time_zone(&self.time_zone)?,
        })
    }
}

/// Subject, note and attendees of the booking form, checked for size.
pub fn check_booking_text(
    subject: &str,
    note: &str,
    attendees: &[String],
) -> Result<(), BookingFormError> {
    if subject.trim().chars().count() > MAX_SUBJECT_CHARS {
        return Err(BookingFormError::SubjectTooLong);
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(BookingFormError::NoteTooLong);
    }
    if attendees.len() > MAX_ATTENDEES {
        return Err(BookingFormError::TooManyAttendees);
    }
    Ok(())
}

/// Attendees as typed: separated by `;`, `,` or new lines; empty entries dropped.
pub fn split_attendees(raw: &str) -> Vec<String> {
    raw.split([';', ',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A room free for the whole slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeRoom {
    pub room: RoomSummary,
    /// The slot in the room's own zone, when it differs from the person's.
    pub room_time: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinderResult {
    /// "Mon 23 Nov 2026, 14:00–15:00 (Europe/London)".
    pub when: String,
    pub time_zone: String,
    /// Best fit first.
    pub rooms: Vec<FreeRoom>,
    /// Rooms matching the filters but busy then.
    pub busy: u32,
    /// Rooms Exchange could not answer for.
    pub unknown: u32,
    /// Why some matching rooms cannot take this booking (their policy), one line each.
    pub refused_by_policy: Vec<String>,
    /// The slot as query-string pairs for the booking form's link.
    pub slot_query: String,
    /// The head count asked for: rooms whose capacity nobody recorded are then listed apart.
    #[serde(default)]
    pub people: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridSlot {
    /// "14:30", local.
    pub label: String,
    /// `HH:MM` for the booking link.
    pub time: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridRow {
    pub room: RoomSummary,
    /// One per slot: `true` when free. Empty when Exchange could not answer for the room.
    pub free: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayGrid {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub date_label: String,
    pub previous_date: String,
    pub next_date: String,
    pub time_zone: String,
    pub slots: Vec<GridSlot>,
    pub rows: Vec<GridRow>,
    /// The booking length a free cell offers.
    pub minutes: u32,
    /// This page of rooms (from 1), the number of pages, and the rooms matching in all.
    pub page: u32,
    pub pages: u32,
    pub matching_rooms: u32,
    /// Rooms per page.
    pub page_size: u32,
}

/// Values for the finder's choices.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomChoices {
    pub buildings: Vec<String>,
    pub floors: Vec<String>,
    pub equipment: Vec<String>,
    /// The zone the server assumes for this person.
    pub time_zone: String,
    /// Today in that zone (`YYYY-MM-DD`) and the next half hour (`HH:MM`).
    pub today: String,
    pub next_start: String,
}

/// A booking as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingView {
    pub id: String,
    pub room_id: String,
    pub room_name: String,
    pub room_place: String,
    pub subject: String,
    pub note: String,
    pub attendees: Vec<String>,
    /// "Mon 23 Nov 2026, 14:00–15:00".
    pub when: String,
    /// The same in the room's zone, when it differs.
    pub room_time: Option<String>,
    pub time_zone: String,
    /// For the change form: local date, start and length.
    pub date: String,
    pub start: String,
    pub minutes: u32,
    pub status: BookingState,
    pub reason: Option<String>,
    pub can_change: bool,
}

/// Where a booking stands, as the pages see it (the server's domain status, one to one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BookingState {
    /// Being sent to Exchange.
    Sending,
    /// Sent; Exchange has not confirmed it yet (Roombook keeps looking it up).
    Unknown,
    /// In the organiser's calendar; the room has not answered.
    Waiting,
    Accepted,
    Declined,
    Cancelled,
    /// Never booked (Exchange refused, or it never reached Exchange).
    Failed,
}

impl BookingState {
    /// The state's name in markup (`data-status`) and tests.
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

    /// The state in words, as the pages say it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sending => "Being sent to Exchange",
            Self::Unknown => {
                "Exchange did not confirm this booking yet; Roombook is checking and will show the outcome"
            }
            Self::Waiting => "Waiting for the room to accept",
            Self::Accepted => "Booked: the room accepted",
            Self::Declined => "The room declined",
            Self::Cancelled => "Cancelled",
            Self::Failed => "Not booked",
        }
    }

    /// Still waiting for Exchange or the room: the page refreshes itself.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Sending | Self::Unknown | Self::Waiting)
    }
}

/// What the booking form needs about its room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFormData {
    pub room: RoomSummary,
    /// The room's rules, as Roombook knows them (Exchange's defaults when not recorded).
    pub max_minutes: u32,
    pub window_days: u32,
    /// Free rooms offered after the slot was just taken.
    pub alternatives: Vec<RoomSummary>,
    pub time_zone: String,
    /// The room's own zone, when it differs from the person's.
    pub room_time_zone: Option<String>,
    /// A fresh idempotency key for this form.
    pub key: String,
    /// Whether names can be looked up (not with rooms-only access).
    pub directory_search: bool,
}

/// A person found by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonMatch {
    pub name: String,
    pub email: String,
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_booking_state_crosses_the_wire_as_its_name_and_reads_in_words() {
        for (state, name) in [
            (BookingState::Sending, "sending"),
            (BookingState::Unknown, "unknown"),
            (BookingState::Waiting, "waiting"),
            (BookingState::Accepted, "accepted"),
            (BookingState::Declined, "declined"),
            (BookingState::Cancelled, "cancelled"),
            (BookingState::Failed, "failed"),
        ] {
            assert_eq!(state.as_str(), name);
            let wire = serde_json::to_string(&state).unwrap();
            assert_eq!(wire, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<BookingState>(&wire).unwrap(), state);
            assert!(!state.label().is_empty());
        }
        assert!(BookingState::Waiting.is_open() && !BookingState::Accepted.is_open());
    }

    use super::*;

    fn request(date: &str, start: &str, minutes: &str, end: &str) -> FinderRequest {
        FinderRequest {
            date: date.into(),
            start: start.into(),
            minutes: minutes.into(),
            end: end.into(),
            ..Default::default()
        }
    }

    #[test]
    fn finder_accepts_minutes_or_an_end() {
        let f = request("2026-11-23", "14:00", "45", "").parse().unwrap();
        assert_eq!(f.minutes, 45);
        let f = request("2026-11-23", "14:00", "", "15:30").parse().unwrap();
        assert_eq!(f.minutes, 90);
        let f = request("2026-11-23", "14:00", "30", "16:00")
            .parse()
            .unwrap();
        assert_eq!(
            f.minutes, 120,
            "a typed end time wins over the default length"
        );
        let f = request("2026-11-23", "14:00:00", "", "").parse().unwrap();
        assert_eq!(f.minutes, 30, "default length");
    }

    #[test]
    fn finder_explains_nonsense() {
        assert_eq!(
            request("23/11/2026", "14:00", "30", "").parse(),
            Err(BookingFormError::Date("23/11/2026".into()))
        );
        assert_eq!(
            request("2026-02-30", "14:00", "30", "").parse(),
            Err(BookingFormError::Date("2026-02-30".into()))
        );
        assert_eq!(
            request("2026-11-23", "25:00", "30", "").parse(),
            Err(BookingFormError::Time("25:00".into()))
        );
        assert_eq!(
            request("2026-11-23", "14:07", "30", "").parse(),
            Err(BookingFormError::TimeStep)
        );
        assert_eq!(
            request("2026-11-23", "14:00", "lots", "").parse(),
            Err(BookingFormError::Minutes("lots".into()))
        );
        assert_eq!(
            request("2026-11-23", "14:00", "5", "").parse(),
            Err(BookingFormError::MinutesRange)
        );
        assert_eq!(
            request("2026-11-23", "14:00", "30", "13:00").parse(),
            Err(BookingFormError::EndBeforeStart)
        );
        let mut r = request("2026-11-23", "14:00", "30", "");
        r.people = "0".into();
        assert_eq!(r.parse(), Err(BookingFormError::PeopleRange));
        r.people = "six".into();
        assert_eq!(r.parse(), Err(BookingFormError::People("six".into())));
        r.people = "6".into();
        r.time_zone = "Europe/London; DROP".into();
        assert!(r.parse().is_err());
    }

    #[test]
    fn dates_are_a_year_back_to_the_longest_window_ahead() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let today = d(2026, 11, 23);
        assert_eq!(check_date_range(today, today), Ok(()));
        assert_eq!(check_date_range(d(2025, 11, 22), today), Ok(()));
        assert_eq!(check_date_range(d(2029, 11, 7), today), Ok(()));
        let err = check_date_range(d(2025, 11, 21), today).unwrap_err();
        assert_eq!(
            err.to_string(),
            "21 November 2025 is outside the dates Roombook works with: from 22 November 2025 to 7 November 2029 (a year back, and as far ahead as any room can be booked). Choose a date in between."
        );
        assert!(check_date_range(d(2029, 11, 8), today).is_err());
        for far in [d(1, 1, 1), d(9999, 12, 31), NaiveDate::MIN, NaiveDate::MAX] {
            assert!(check_date_range(far, today).is_err(), "{far}");
            // Seen from the edges of the calendar too: a sentence, never a panic.
            let _ = check_date_range(far, NaiveDate::MIN);
            let _ = check_date_range(far, NaiveDate::MAX);
        }
        // Typed years far out parse (or not) without a panic, and are then refused.
        for typed in [
            "0001-01-01",
            "9999-12-31",
            "+10000-01-01",
            "-0001-01-01",
            "262143-12-31",
        ] {
            if let Ok(date) = parse_date(typed) {
                assert!(check_date_range(date, today).is_err(), "{typed}");
            }
        }
    }

    #[test]
    fn equipment_is_deduplicated_and_attendees_split() {
        let mut r = request("2026-11-23", "14:00", "30", "");
        r.equipment = "Display, display,, Whiteboard".into();
        assert_eq!(r.parse().unwrap().equipment, vec!["Display", "Whiteboard"]);
        assert_eq!(
            split_attendees("ann@x.example; Bob Smith,\n carol "),
            vec!["ann@x.example", "Bob Smith", "carol"]
        );
        assert!(check_booking_text(&"s".repeat(256), "", &[]).is_err());
        assert!(check_booking_text("ok", "", &vec!["a".into(); 51]).is_err());
    }
}
