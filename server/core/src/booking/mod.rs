//! Employee booking: find free rooms, the day grid, book, change, cancel.
//!
//! Exchange is the source of truth; Roombook adds what Exchange cannot: a claim on the slot
//! taken before anything is sent (two people booking one room at once cannot both send a
//! meeting), an idempotency key per form (a double submit is one booking), the room's rules
//! checked before sending, and a record of the room's answer.
//!
//! The order of a booking, and why:
//! 1. validate the form and the room's policy (refused bookings are never sent);
//! 2. claim the slot in the database (atomic; a second claim is "just taken");
//! 3. ask Exchange whether the room is free (bookings made in Outlook count too);
//! 4. create the meeting with a UID of our own (a lost answer is found by its UID, never sent
//!    twice);
//! 5. read the room's answer; a decline withdraws the meeting, so nothing is left behind.
//!
//! An outcome Exchange did not confirm is never guessed. A creation whose answer was lost and
//! whose meeting was not found is `unknown`: it keeps its slot, and [`Bookings::reconcile_due`]
//! (a background task) looks its UID up again with growing waits until Exchange settles it:
//! found, it is booked; still not found after the last look-up, it failed and its slot is free.
//! A booking left `sending` by a request that died (a crash) is picked up the same way.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use roombook_shared::SlotFilter;

use crate::domain::{
    Booking, BookingId, BookingReason, BookingStatus, Claim, ConnectionStatus, ExchangeConnection,
    Room, RoomId, TenantId, User,
};
use crate::error_chain;
use crate::ports::calendar::{
    CalendarError, CalendarGateway, MailboxBusy, MeetingRef, MeetingRequest, RoomAnswer,
};
use crate::ports::storage::{HeldSlot, Store, StoreError};

mod error;
pub mod time;

pub use error::{BookingError, Invalid, NotConnected, PolicyRefusal, TakenBy, Undone};

/// Exchange's own defaults for a room mailbox, used when an admin has not recorded the room's.
pub const DEFAULT_WINDOW_DAYS: u32 = 180;
pub const DEFAULT_MAX_MINUTES: u32 = 24 * 60;

#[derive(Clone, Debug)]
pub struct BookingSettings {
    /// The zone assumed for people who have not chosen one.
    pub default_time_zone: Tz,
    /// The day grid's hours (local).
    pub day_starts: u32,
    pub day_ends: u32,
    /// How long a booking waits for the room's answer before showing "waiting for the room".
    pub answer_wait: Duration,
    /// The waits between look-ups of a booking whose outcome Exchange did not confirm: the
    /// first after it was sent, each next one after a look-up that found nothing. When the
    /// last look-up finds nothing either (their sum after sending, longer than any request
    /// lives), the booking failed and its slot is freed.
    pub outcome_checks: Vec<Duration>,
    /// How often the reconciler asks the database for outcomes due for a look-up.
    pub outcome_poll: Duration,
    /// How long a booking waiting for its room's answer goes before the background job asks
    /// Exchange again (pages never ask: they show what is stored).
    pub answer_poll: Duration,
}

impl Default for BookingSettings {
    fn default() -> Self {
        Self {
            default_time_zone: chrono_tz::UTC,
            day_starts: 7,
            day_ends: 19,
            answer_wait: Duration::from_secs(3),
            outcome_checks: [10, 30, 60, 300, 900]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            outcome_poll: Duration::from_secs(2),
            answer_poll: Duration::from_secs(60),
        }
    }
}

/// What the person asked for, validated.
#[derive(Clone, Debug)]
pub struct BookRequest {
    pub room: RoomId,
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub minutes: u32,
    pub time_zone: String,
    pub subject: String,
    pub note: String,
    /// As typed: addresses or names (resolved against the directory).
    pub attendees: Vec<String>,
    pub idempotency_key: String,
}

/// The finder's answer.
#[derive(Clone, Debug)]
pub struct FreeRooms {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub zone: Tz,
    pub free: Vec<Room>,
    pub busy: u32,
    pub unknown: u32,
    pub refused_by_policy: Vec<PolicyRefusal>,
}

/// The day grid's answer for one page of rooms: per room, per slot, whether a booking of the
/// chosen length could start then (`None`: Exchange did not say).
#[derive(Clone, Debug)]
pub struct Grid {
    pub date: NaiveDate,
    pub zone: Tz,
    pub slots: Vec<(DateTime<Utc>, String)>,
    pub rows: Vec<(Room, Option<Vec<bool>>)>,
    /// The booking length the cells were judged for.
    pub minutes: u32,
    /// This page (from 1), how many there are, and how many rooms matched in all.
    pub page: u32,
    pub pages: u32,
    pub matching_rooms: usize,
}

/// Rooms per page of the day grid: a screen's worth that Exchange answers in one free/busy
/// request, and that keeps a 500-room organisation's page small (the README has its size).
pub const GRID_PAGE_ROOMS: usize = 50;

/// How many of a name's matches in the directory the booking form offers to pick from.
pub const MAX_PICKS: usize = 10;

pub struct Bookings {
    store: Arc<dyn Store>,
    calendar: Arc<dyn CalendarGateway>,
    settings: BookingSettings,
    /// Per person: searches that reach Exchange (finder, day grid, people); none by default.
    searches: Option<crate::search_limit::SearchLimiter>,
}

fn minutes(n: u32) -> chrono::Duration {
    chrono::Duration::minutes(i64::from(n))
}

/// Why a room's policy refuses a slot, if it does.
pub fn policy_refusal(
    room: &Room,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<PolicyRefusal> {
    let max = room.max_duration_minutes.unwrap_or(DEFAULT_MAX_MINUTES);
    let window = room.booking_window_days.unwrap_or(DEFAULT_WINDOW_DAYS);
    let length = (end - start).num_minutes();
    if length > i64::from(max) {
        return Some(PolicyRefusal::TooLong {
            room: room.name.clone(),
            max_minutes: max,
        });
    }
    if end > now + chrono::Duration::days(i64::from(window)) {
        return Some(PolicyRefusal::TooFarAhead {
            room: room.name.clone(),
            days: window,
        });
    }
    None
}

/// The note Exchange sends the attendees when Roombook withdraws a meeting its room declined.
/// It is written here, not at a page: it goes into people's calendars, in the organisation's
/// language of record (English), whatever page started the booking.
fn withdrawal_note(room_name: &str, reason: BookingReason) -> String {
    let why = match reason {
        BookingReason::DeclinedBusy => "the room is already booked for part of that time",
        _ => "the room's booking rules do not allow this meeting",
    };
    format!("{room_name} declined this meeting ({why}), so Roombook withdrew it.")
}

/// Best fit first: the smallest room that seats everyone, rooms without a capacity last.
pub fn best_fit(rooms: &mut [Room]) {
    rooms.sort_by(|a, b| {
        (a.capacity.is_none(), a.capacity, &a.name, &a.email).cmp(&(
            b.capacity.is_none(),
            b.capacity,
            &b.name,
            &b.email,
        ))
    });
}

/// Whether a room offers everything the filter asks for. A room whose seats nobody recorded
/// (Exchange's room lists do not say) may fit: it is kept, and best fit lists it last.
pub fn room_matches(room: &Room, filter: &SlotFilter) -> bool {
    let text_eq = |a: &Option<String>, b: &Option<String>| match b {
        None => true,
        Some(b) => a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(b)),
    };
    room.active
        && filter.people.is_none_or(|p| room.may_seat(p))
        && filter.equipment.iter().all(|want| {
            room.equipment
                .iter()
                .any(|have| have.eq_ignore_ascii_case(want))
        })
        && text_eq(&room.building, &filter.building)
        && text_eq(&room.floor, &filter.floor)
        && (!filter.accessible || room.wheelchair_accessible)
}

impl Bookings {
    pub fn new(
        store: Arc<dyn Store>,
        calendar: Arc<dyn CalendarGateway>,
        settings: BookingSettings,
    ) -> Self {
        Self {
            store,
            calendar,
            settings,
            searches: None,
        }
    }

    /// Limits each person's searches that reach Exchange (see [`crate::search_limit`]).
    pub fn with_search_limit(mut self, searches: crate::search_limit::SearchLimiter) -> Self {
        self.searches = Some(searches);
        self
    }

    /// Counts one search by `user` that is about to cost Exchange calls; refused with a
    /// sentence (not an error page) when they search faster than the limit.
    fn searching(&self, user: &User) -> Result<(), BookingError> {
        match &self.searches {
            Some(limit) if !limit.allow(user.id) => {
                tracing::info!(user = %user.id, "search refused: too many at once");
                Err(BookingError::TooManySearches)
            }
            _ => Ok(()),
        }
    }

    pub fn settings(&self) -> &BookingSettings {
        &self.settings
    }

    /// The zone named, or the default when empty.
    pub fn zone(&self, name: &str) -> Result<Tz, BookingError> {
        if name.trim().is_empty() {
            return Ok(self.settings.default_time_zone);
        }
        Ok(time::zone(name)?)
    }

    /// The room's zone (its own, or the organisation's default).
    pub fn room_zone(&self, room: &Room) -> Tz {
        room.time_zone
            .as_deref()
            .and_then(|z| time::zone(z).ok())
            .unwrap_or(self.settings.default_time_zone)
    }

    /// The connection, if it can take bookings.
    async fn connection(&self, tenant: TenantId) -> Result<ExchangeConnection, BookingError> {
        let connection = self.store.connection(tenant).await?;
        let Some(c) = connection else {
            return Err(BookingError::NotConnected(NotConnected::NotYet));
        };
        match c.status {
            // Throttled or unreachable at the last check: worth trying; the call says.
            ConnectionStatus::Healthy
            | ConnectionStatus::Throttled
            | ConnectionStatus::Unreachable => Ok(c),
            _ => Err(BookingError::NotConnected(NotConnected::NeedsAttention)),
        }
    }

    /// Whose rights free/busy and directory look-ups use.
    fn acting_mailbox<'a>(
        c: &ExchangeConnection,
        user: &'a User,
        any_room: Option<&'a str>,
    ) -> &'a str {
        match (c.rooms_only, any_room) {
            (true, Some(room)) => room,
            _ => &user.email,
        }
    }

    fn slot(
        &self,
        date: NaiveDate,
        start: NaiveTime,
        length: u32,
        zone: Tz,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>), BookingError> {
        let start = time::to_instant(date, start, zone)?;
        self.check_date(date, zone)?;
        let end = start
            .checked_add_signed(minutes(length))
            .ok_or_else(|| time::TimeError::OutOfRange(date.to_string()))?;
        Ok((start, end))
    }

    /// Refuses a date too far from today (in `zone`) for the finder, the grid or a booking,
    /// with a sentence that says which dates work.
    fn check_date(&self, date: NaiveDate, zone: Tz) -> Result<(), BookingError> {
        let today = Utc::now().with_timezone(&zone).date_naive();
        roombook_shared::booking::check_date_range(date, today)
            .map_err(|e| Invalid::DateOutOfRange(e).into())
    }

    /// Free/busy of `rooms` over `start..end`, one answer per room; a failure is a sentence
    /// for someone looking (nothing was being booked).
    async fn rooms_busy(
        &self,
        connection: &ExchangeConnection,
        user: &User,
        rooms: &[Room],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<MailboxBusy>, BookingError> {
        if !rooms.is_empty() {
            self.searching(user)?;
        }
        let addresses: Vec<String> = rooms.iter().map(|r| r.email.clone()).collect();
        let who = Self::acting_mailbox(connection, user, addresses.first().map(String::as_str))
            .to_owned();
        self.calendar
            .free_busy(connection, &who, &addresses, start, end)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, rooms = rooms.len(), "free/busy failed");
                BookingError::Calendar {
                    error: e,
                    undone: Undone::LookUp,
                }
            })
    }

    /// Rooms free for the whole slot, best fit first.
    pub async fn find(
        &self,
        tenant: TenantId,
        user: &User,
        filter: &SlotFilter,
    ) -> Result<FreeRooms, BookingError> {
        let zone = self.zone(&filter.time_zone)?;
        let (start, end) = self.slot(filter.date, filter.start, filter.minutes, zone)?;
        let now = Utc::now();
        if end <= now {
            return Err(Invalid::Passed.into());
        }
        let connection = self.connection(tenant).await?;
        let mut candidates: Vec<Room> = self
            .store
            .all_rooms(tenant)
            .await?
            .into_iter()
            .filter(|r| room_matches(r, filter))
            .collect();
        let mut refused_by_policy = Vec::new();
        candidates.retain(|room| match policy_refusal(room, start, end, now) {
            Some(reason) => {
                refused_by_policy.push(reason);
                false
            }
            None => true,
        });
        let held = self.store.held_slots(tenant, start, end, now).await?;
        let busy = self
            .rooms_busy(&connection, user, &candidates, start, end)
            .await?;
        let (mut free, mut busy_count, mut unknown) = (Vec::new(), 0, 0);
        for (room, answer) in candidates.into_iter().zip(busy) {
            let held_here = held.iter().any(|h: &HeldSlot| h.room_id == room.id);
            match answer {
                MailboxBusy::Unknown(_) => unknown += 1,
                a if a.is_free(start, end) && !held_here => free.push(room),
                _ => busy_count += 1,
            }
        }
        best_fit(&mut free);
        Ok(FreeRooms {
            start,
            end,
            zone,
            free,
            busy: busy_count,
            unknown,
            refused_by_policy,
        })
    }

    /// One page of the matching rooms by half hours of a day, from Exchange's free/busy and
    /// Roombook's own claims. A cell is free when a booking of `filter.minutes` could start
    /// there. Only the page's rooms are asked about, so a large organisation costs Exchange one
    /// page's worth of free/busy per view.
    pub async fn grid(
        &self,
        tenant: TenantId,
        user: &User,
        date: NaiveDate,
        filter: &SlotFilter,
        page: u32,
    ) -> Result<Grid, BookingError> {
        let zone = self.zone(&filter.time_zone)?;
        let slots = time::half_hours(date, zone, self.settings.day_starts, self.settings.day_ends)?;
        self.check_date(date, zone)?;
        let connection = self.connection(tenant).await?;
        let mut rooms: Vec<Room> = self
            .store
            .all_rooms(tenant)
            .await?
            .into_iter()
            .filter(|r| room_matches(r, filter))
            .collect();
        rooms.sort_by(|a, b| {
            (&a.building, &a.floor, &a.name).cmp(&(&b.building, &b.floor, &b.name))
        });
        let matching_rooms = rooms.len();
        let pages = matching_rooms.div_ceil(GRID_PAGE_ROOMS).max(1) as u32;
        let page = page.clamp(1, pages);
        let rooms: Vec<Room> = rooms
            .into_iter()
            .skip((page as usize - 1) * GRID_PAGE_ROOMS)
            .take(GRID_PAGE_ROOMS)
            .collect();
        let length = minutes(filter.minutes);
        let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
            return Ok(Grid {
                date,
                zone,
                slots,
                rows: rooms.into_iter().map(|r| (r, None)).collect(),
                minutes: filter.minutes,
                page,
                pages,
                matching_rooms,
            });
        };
        // A booking may start in the last slot and run past the day's end.
        let (window_start, window_end) = (first.0, last.0 + length.max(minutes(30)));
        let now = Utc::now();
        let held = self
            .store
            .held_slots(tenant, window_start, window_end, now)
            .await?;
        let busy = self
            .rooms_busy(&connection, user, &rooms, window_start, window_end)
            .await?;
        let rows = rooms
            .into_iter()
            .zip(busy)
            .map(|(room, answer)| {
                let cells = match answer {
                    MailboxBusy::Unknown(_) => None,
                    known => Some(
                        slots
                            .iter()
                            .map(|(t, _)| {
                                let (s, e) = (*t, *t + length);
                                // A slot already begun counts while it has time left.
                                s + minutes(30) > now
                                    && known.is_free(s, e)
                                    && !held
                                        .iter()
                                        .any(|h| h.room_id == room.id && h.start < e && h.end > s)
                            })
                            .collect(),
                    ),
                };
                (room, cells)
            })
            .collect();
        Ok(Grid {
            date,
            zone,
            slots,
            rows,
            minutes: filter.minutes,
            page,
            pages,
            matching_rooms,
        })
    }

    /// The slot is taken (`by`), with other rooms like `room` free at the slot and the nearest
    /// times `room` itself is free. `own` is the booking being moved, whose current time does
    /// not count as busy.
    #[allow(clippy::too_many_arguments)]
    async fn taken(
        &self,
        tenant: TenantId,
        user: &User,
        room: &Room,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        zone: Tz,
        by: TakenBy,
        own: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> BookingError {
        BookingError::Taken {
            room: room.name.clone(),
            by,
            alternatives: self
                .alternatives(tenant, user, room, start, end, zone)
                .await,
            free_times: self
                .free_times_near(tenant, user, room, (start, end), zone, own)
                .await,
        }
    }

    /// Up to three start times the same day, nearest `start` first and then in order, at which
    /// `room` is free for the same length (Exchange's free/busy and Roombook's own claims);
    /// nothing when Exchange cannot say. Local `HH:MM` in `zone`, on the half hours the day
    /// grid uses.
    async fn free_times_near(
        &self,
        tenant: TenantId,
        user: &User,
        room: &Room,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        zone: Tz,
        own: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Vec<String> {
        let length = end - start;
        let date = start.with_timezone(&zone).date_naive();
        let Ok(slots) =
            time::half_hours(date, zone, self.settings.day_starts, self.settings.day_ends)
        else {
            return Vec::new();
        };
        let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
            return Vec::new();
        };
        let (window_start, window_end) = (first.0, last.0 + length);
        let now = Utc::now();
        let Ok(connection) = self.connection(tenant).await else {
            return Vec::new();
        };
        let busy = match self
            .rooms_busy(
                &connection,
                user,
                std::slice::from_ref(room),
                window_start,
                window_end,
            )
            .await
        {
            Ok(mut answers) => match answers.pop() {
                Some(MailboxBusy::Known(busy)) => busy,
                _ => return Vec::new(),
            },
            Err(e) => {
                tracing::info!(error = %e, "no free times offered");
                return Vec::new();
            }
        };
        let held = self
            .store
            .held_slots(tenant, window_start, window_end, now)
            .await
            .unwrap_or_default();
        let overlaps = |a: DateTime<Utc>, b: DateTime<Utc>, s: DateTime<Utc>, e: DateTime<Utc>| {
            a < e && b > s && own != Some((a, b))
        };
        let mut free: Vec<DateTime<Utc>> = slots
            .iter()
            .map(|(t, _)| *t)
            .filter(|s| *s != start && *s >= now)
            .filter(|s| {
                let e = *s + length;
                !busy.iter().any(|b| overlaps(b.start, b.end, *s, e))
                    && !held
                        .iter()
                        .any(|h| h.room_id == room.id && overlaps(h.start, h.end, *s, e))
            })
            .collect();
        free.sort_by_key(|s| ((*s - start).num_minutes().abs(), *s));
        free.truncate(3);
        free.sort();
        free.into_iter()
            .map(|s| s.with_timezone(&zone).format("%H:%M").to_string())
            .collect()
    }

    /// Other rooms like `room`, free at the slot: offered when the slot was just taken.
    async fn alternatives(
        &self,
        tenant: TenantId,
        user: &User,
        room: &Room,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        zone: Tz,
    ) -> Vec<Room> {
        let local = start.with_timezone(&zone);
        let filter = SlotFilter {
            date: local.date_naive(),
            start: local.time(),
            minutes: u32::try_from((end - start).num_minutes()).unwrap_or(30),
            people: room
                .capacity
                .map(|c| c.min(roombook_shared::rooms::MAX_CAPACITY))
                .filter(|c| *c > 0),
            equipment: Vec::new(),
            building: None,
            floor: None,
            accessible: false,
            time_zone: zone.name().to_owned(),
        };
        match self.find(tenant, user, &filter).await {
            Ok(found) => found
                .free
                .into_iter()
                .filter(|r| r.id != room.id)
                .take(5)
                .collect(),
            Err(e) => {
                tracing::info!(error = %e, "no alternatives offered");
                Vec::new()
            }
        }
    }

    /// Attendees as typed → addresses. Names are looked up in the directory; a name that
    /// matches nobody or several people is sent back with the candidates.
    pub async fn resolve_attendees(
        &self,
        connection: &ExchangeConnection,
        who: &str,
        typed: &[String],
    ) -> Result<Vec<String>, BookingError> {
        let mut out: Vec<String> = Vec::new();
        for entry in typed {
            let address = if roombook_shared::looks_like_address(entry) {
                entry.to_lowercase()
            } else {
                let found = self
                    .calendar
                    .find_people(connection, who, entry)
                    .await
                    .map_err(|e| {
                        tracing::warn!(error = %e, "name look-up failed");
                        BookingError::LookupFailed {
                            entry: entry.to_owned(),
                            error: e,
                        }
                    })?;
                match found.as_slice() {
                    [one] => one.email.to_lowercase(),
                    [] => {
                        return Err(Invalid::NobodyCalled {
                            entry: entry.to_owned(),
                        }
                        .into());
                    }
                    several => {
                        let people = several
                            .iter()
                            .take(MAX_PICKS)
                            .map(|p| (p.name.clone(), p.email.to_lowercase()))
                            .collect();
                        return Err(Invalid::SeveralCalled {
                            entry: entry.to_owned(),
                            people,
                            total: several.len(),
                        }
                        .into());
                    }
                }
            };
            if !out.contains(&address) {
                out.push(address);
            }
        }
        Ok(out)
    }

    /// People whose name starts like `text` (the booking form's suggestions).
    pub async fn find_people(
        &self,
        tenant: TenantId,
        user: &User,
        text: &str,
    ) -> Result<Vec<crate::ports::calendar::DirectoryEntry>, BookingError> {
        let connection = self.connection(tenant).await?;
        let who = Self::acting_mailbox(&connection, user, None).to_owned();
        if connection.rooms_only {
            // Roombook may open room mailboxes only; the directory is not ours to search.
            return Ok(Vec::new());
        }
        self.searching(user)?;
        self.calendar
            .find_people(&connection, &who, text)
            .await
            .map_err(|e| BookingError::Calendar {
                error: e,
                undone: Undone::LookUp,
            })
    }

    /// The primary address of the mailbox `address` names in the organisation's directory,
    /// `None` when there is none. Asked with the rights of the mailbox the connection's check
    /// opens (the admin's, or a room's under least privilege), so it works before the person
    /// has a confirmed mailbox.
    pub async fn directory_mailbox(
        &self,
        tenant: TenantId,
        address: &str,
    ) -> Result<Option<String>, BookingError> {
        let connection = self.connection(tenant).await?;
        self.calendar
            .resolve_mailbox(&connection, &connection.check_address, address)
            .await
            .map_err(|e| BookingError::Calendar {
                error: e,
                undone: Undone::LookUp,
            })
    }

    /// Books a room. Returns the booking in whatever state Exchange left it (accepted,
    /// waiting, or declined with the reason); an error means nothing was booked.
    pub async fn book(&self, user: &User, request: BookRequest) -> Result<Booking, BookingError> {
        let tenant = user.tenant_id;
        let zone = self.zone(&request.time_zone)?;
        let room = self
            .store
            .room(tenant, request.room)
            .await?
            .filter(|r| r.active)
            .ok_or(BookingError::NotFound)?;
        let (start, end) = self.slot(request.date, request.start, request.minutes, zone)?;
        let now = Utc::now();
        if start < now - chrono::Duration::minutes(5) {
            return Err(Invalid::Passed.into());
        }
        if let Some(reason) = policy_refusal(&room, start, end, now) {
            return Err(BookingError::Policy(reason));
        }
        let key = request.idempotency_key.trim();
        if key.is_empty() || key.len() > 100 {
            return Err(Invalid::FormIncomplete.into());
        }
        let connection = self.connection(tenant).await?;
        let who = Self::acting_mailbox(&connection, user, Some(&room.email)).to_owned();
        let attendees = self
            .resolve_attendees(&connection, &who, &request.attendees)
            .await?;
        let subject = match request.subject.trim() {
            "" => format!("Meeting in {}", room.name),
            s => s.to_owned(),
        };
        let id = BookingId::new();
        let mut booking = Booking {
            id,
            tenant_id: tenant,
            user_id: user.id,
            room_id: room.id,
            idempotency_key: key.to_owned(),
            uid: format!("roombook-{id}"),
            subject,
            note: request.note.trim().to_owned(),
            attendees,
            start,
            end,
            time_zone: zone.name().to_owned(),
            status: BookingStatus::Sending,
            reason: None,
            calendar: if connection.rooms_only {
                room.email.clone()
            } else {
                user.email.clone()
            },
            item_id: None,
            change_key: None,
            created_at: now,
            updated_at: now,
        };
        match self.store.claim_booking(&booking, now).await? {
            Claim::Claimed => {}
            Claim::Duplicate(earlier) => return Ok(*earlier),
            Claim::Taken => {
                return Err(self
                    .taken(
                        tenant,
                        user,
                        &room,
                        (start, end),
                        zone,
                        TakenBy::Roombook,
                        None,
                    )
                    .await);
            }
        }
        // Exchange's view: someone may have booked the room in Outlook.
        let free = self
            .calendar
            .free_busy(
                &connection,
                &who,
                std::slice::from_ref(&room.email),
                start,
                end,
            )
            .await;
        match free {
            Ok(answers) if answers.first().is_some_and(|a| a.is_free(start, end)) => {}
            Ok(_) => {
                self.fail(&mut booking, BookingReason::TakenInExchange)
                    .await;
                return Err(self
                    .taken(
                        tenant,
                        user,
                        &room,
                        (start, end),
                        zone,
                        TakenBy::Exchange,
                        None,
                    )
                    .await);
            }
            Err(e) => {
                tracing::warn!(error = %e, booking = %booking.id, "free/busy before booking failed");
                self.fail(&mut booking, BookingReason::ExchangeDidNotAnswer)
                    .await;
                return Err(BookingError::Calendar {
                    error: e,
                    undone: Undone::NothingBooked,
                });
            }
        }
        let meeting = MeetingRequest {
            calendar: booking.calendar.clone(),
            room: room.email.clone(),
            room_name: room.name.clone(),
            room_is_organiser: connection.rooms_only,
            person: user.email.clone(),
            attendees: booking.attendees.clone(),
            subject: booking.subject.clone(),
            note: booking.note.clone(),
            start,
            end,
            uid: booking.uid.clone(),
        };
        let created = match self.calendar.create_meeting(&connection, &meeting).await {
            Ok(created) => created,
            Err(e) => {
                tracing::warn!(error = %e, booking = %booking.id, "creating the meeting failed");
                match e {
                    // Whether the meeting exists is unknown: the answer was lost, and the
                    // search for it failed or came back empty. Keep the claim; the
                    // reconciler looks the UID up until Exchange settles it.
                    CalendarError::Unconfirmed(_) => {
                        self.mark_unknown(&mut booking).await;
                        return Ok(booking);
                    }
                    other => {
                        self.fail(&mut booking, BookingReason::ExchangeRefused)
                            .await;
                        return Err(BookingError::Calendar {
                            error: other,
                            undone: Undone::NothingBooked,
                        });
                    }
                }
            }
        };
        booking.item_id = Some(created.item_id.clone());
        booking.change_key = created.change_key.clone();
        booking.status = BookingStatus::Waiting;
        if !self.save_if_unsettled(&booking).await? {
            // Settled while the meeting was being sent: the reconciler found it, or the
            // person cancelled it (then the meeting just created is cancelled too).
            let mut stored = self
                .store
                .booking(tenant, booking.id)
                .await?
                .ok_or(BookingError::NotFound)?;
            if stored.status == BookingStatus::Cancelled && stored.item_id.is_none() {
                self.cancel_late_meeting(&connection, &mut stored, &created)
                    .await;
            } else if stored.status == BookingStatus::Waiting {
                self.await_answer(&connection, user, &room, &mut stored)
                    .await;
            }
            return Ok(stored);
        }
        self.await_answer(&connection, user, &room, &mut booking)
            .await;
        // Recorded with the room's answer as it stands (accepted, declined, or still waiting).
        self.audit(user, "booking.create", &room, &booking, "")
            .await;
        Ok(booking)
    }

    /// The wait before look-up number `checks + 1` of an unsettled outcome.
    fn outcome_wait(&self, checks: u32) -> chrono::Duration {
        let waits = &self.settings.outcome_checks;
        let wait = usize::try_from(checks)
            .ok()
            .and_then(|i| waits.get(i).or(waits.last()))
            .copied()
            .unwrap_or(Duration::from_secs(10));
        chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(10))
    }

    /// How many look-ups that find nothing settle an outcome as "no such meeting".
    fn outcome_attempts(&self) -> u32 {
        u32::try_from(self.settings.outcome_checks.len())
            .unwrap_or(u32::MAX)
            .max(1)
    }

    /// A booking whose creation Exchange did not confirm: `unknown`, slot kept, first look-up
    /// planned. If something settled it meanwhile, `booking` becomes what is stored.
    async fn mark_unknown(&self, booking: &mut Booking) {
        let next = Utc::now() + self.outcome_wait(0);
        match self
            .store
            .plan_outcome_check(
                booking.tenant_id,
                booking.id,
                BookingStatus::Sending,
                BookingStatus::Unknown,
                0,
                Some(next),
            )
            .await
        {
            Ok(true) => booking.status = BookingStatus::Unknown,
            Ok(false) => {
                if let Ok(Some(stored)) = self.store.booking(booking.tenant_id, booking.id).await {
                    *booking = stored;
                }
            }
            // Still `sending` in the database: the reconciler picks it up from there.
            Err(e) => {
                tracing::error!(error = %error_chain(&e), booking = %booking.id, "cannot mark a booking unknown")
            }
        }
    }

    /// Saves a booking that was `sending` or `unknown` until now; `false` when something else
    /// (the reconciler, a cancel) settled it first.
    async fn save_if_unsettled(&self, booking: &Booking) -> Result<bool, StoreError> {
        for from in [BookingStatus::Sending, BookingStatus::Unknown] {
            if self.store.update_booking_from(booking, from).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The person cancelled before the meeting was known to exist; now it is: cancel it in
    /// Exchange too. If that fails, the reconciler (still watching) tries again.
    async fn cancel_late_meeting(
        &self,
        connection: &ExchangeConnection,
        booking: &mut Booking,
        meeting: &MeetingRef,
    ) {
        if let Err(e) = self
            .calendar
            .cancel_meeting(
                connection,
                meeting,
                "This meeting was cancelled in Roombook.",
            )
            .await
        {
            tracing::warn!(error = %e, booking = %booking.id, "cancelling a late meeting failed; retried later");
            return;
        }
        booking.item_id = Some(meeting.item_id.clone());
        booking.change_key = meeting.change_key.clone();
        if let Err(e) = self
            .store
            .update_booking_from(booking, BookingStatus::Cancelled)
            .await
        {
            tracing::error!(error = %error_chain(&e), booking = %booking.id, "cannot save a booking");
        }
    }

    /// One pass of the reconciler: looks up every booking whose outcome is open and due (in
    /// every tenant) and settles what Exchange now says. Returns how many were looked up.
    pub async fn reconcile_due(&self) -> usize {
        let now = Utc::now();
        let due = match self
            .store
            .open_outcomes(now, now - self.outcome_wait(0), 100)
            .await
        {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "cannot read the open booking outcomes");
                return 0;
            }
        };
        let n = due.len();
        for open in due {
            self.reconcile(open.booking, open.checks).await;
        }
        n
    }

    /// One pass of the answer watcher: asks Exchange for the room's answer to every booking
    /// (in every tenant) that has waited `answer_poll` since it was last asked, and settles
    /// what it says (accepted, declined and withdrawn, removed elsewhere). Pages show the
    /// stored state and never call Exchange for it. Returns how many were asked.
    pub async fn settle_waiting(&self) -> usize {
        let now = Utc::now();
        let asked_before = now
            - chrono::Duration::from_std(self.settings.answer_poll)
                .unwrap_or(chrono::Duration::seconds(60));
        let due = match self.store.waiting_for_answer(asked_before, now, 100).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "cannot read the bookings waiting for an answer");
                return 0;
            }
        };
        let n = due.len();
        let mut connections: std::collections::HashMap<TenantId, Option<ExchangeConnection>> =
            std::collections::HashMap::new();
        for mut booking in due {
            let tenant = booking.tenant_id;
            let connection = match connections.entry(tenant) {
                std::collections::hash_map::Entry::Occupied(known) => known.get().clone(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(self.connection(tenant).await.ok()).clone()
                }
            };
            let user = self.store.user(tenant, booking.user_id).await;
            let room = self.store.room(tenant, booking.room_id).await;
            if let (Some(connection), Ok(Some(user)), Ok(Some(room))) = (connection, user, room) {
                self.settle(&connection, &user, &room, &mut booking).await;
            }
            if booking.status == BookingStatus::Waiting {
                // Asked (or not askable now): not again before `answer_poll` has passed, so
                // one stuck tenant cannot keep the others' bookings waiting.
                if let Err(e) = self
                    .store
                    .update_booking_from(&booking, BookingStatus::Waiting)
                    .await
                {
                    tracing::error!(error = %error_chain(&e), booking = %booking.id, "cannot save a booking");
                }
            }
        }
        n
    }

    /// Looks one open outcome up by its UID and acts on the answer.
    async fn reconcile(&self, mut booking: Booking, checks: u32) {
        let from = booking.status;
        // Still in the running (not found yet): `unknown`; a cancelled one stays cancelled.
        let open = if from == BookingStatus::Cancelled {
            BookingStatus::Cancelled
        } else {
            BookingStatus::Unknown
        };
        let (tenant, id) = (booking.tenant_id, booking.id);
        let plan = |checks: u32, next: Option<DateTime<Utc>>| {
            let store = self.store.clone();
            async move {
                if let Err(e) = store
                    .plan_outcome_check(tenant, id, from, open, checks, next)
                    .await
                {
                    tracing::error!(error = %error_chain(&e), booking = %id, "cannot plan a booking's next look-up");
                }
            }
        };
        let connection = match self.connection(booking.tenant_id).await {
            Ok(c) => c,
            Err(e) => {
                tracing::info!(error = %e, booking = %booking.id, "outcome not looked up: no usable connection");
                plan(checks, Some(Utc::now() + self.outcome_wait(checks))).await;
                return;
            }
        };
        let found = self
            .calendar
            .find_meeting(
                &connection,
                &booking.calendar,
                &booking.uid,
                booking.start,
                booking.end,
            )
            .await;
        match found {
            Ok(Some(meeting)) if from == BookingStatus::Cancelled => {
                tracing::info!(booking = %booking.id, "a cancelled booking's meeting appeared late; cancelling it");
                self.cancel_late_meeting(&connection, &mut booking, &meeting)
                    .await;
                if booking.item_id.is_none() {
                    plan(checks, Some(Utc::now() + self.outcome_wait(checks))).await;
                }
            }
            Ok(Some(meeting)) => {
                booking.item_id = Some(meeting.item_id);
                booking.change_key = meeting.change_key;
                booking.status = BookingStatus::Waiting;
                booking.reason = None;
                match self.store.update_booking_from(&booking, from).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        tracing::error!(error = %error_chain(&e), booking = %booking.id, "cannot save a booking");
                        return;
                    }
                }
                tracing::info!(booking = %booking.id, "an unconfirmed booking was found in Exchange");
                let tenant = booking.tenant_id;
                let (Ok(Some(user)), Ok(Some(room))) = (
                    self.store.user(tenant, booking.user_id).await,
                    self.store.room(tenant, booking.room_id).await,
                ) else {
                    return;
                };
                self.audit(&user, "booking.create", &room, &booking, "")
                    .await;
                self.settle(&connection, &user, &room, &mut booking).await;
            }
            Ok(None) if checks + 1 >= self.outcome_attempts() => {
                if from == BookingStatus::Cancelled {
                    // Watched long enough: no late meeting appeared.
                    plan(checks + 1, None).await;
                    return;
                }
                tracing::info!(booking = %booking.id, checks = checks + 1, "Exchange has no such meeting; the booking failed");
                booking.status = BookingStatus::Failed;
                booking.reason = Some(BookingReason::NotInExchange);
                if let Err(e) = self.store.update_booking_from(&booking, from).await {
                    tracing::error!(error = %error_chain(&e), booking = %booking.id, "cannot save a booking");
                }
            }
            Ok(None) => {
                plan(checks + 1, Some(Utc::now() + self.outcome_wait(checks + 1))).await;
            }
            Err(e) => {
                // Exchange did not say: look again later; only "not found" counts.
                tracing::info!(error = %e, booking = %booking.id, "outcome look-up failed");
                plan(checks, Some(Utc::now() + self.outcome_wait(checks))).await;
            }
        }
    }

    /// Reads the room's answer, a few times within `answer_wait`, and acts on it.
    async fn await_answer(
        &self,
        connection: &ExchangeConnection,
        user: &User,
        room: &Room,
        booking: &mut Booking,
    ) {
        let deadline = tokio::time::Instant::now() + self.settings.answer_wait;
        let mut pause = Duration::from_millis(250);
        loop {
            self.settle(connection, user, room, booking).await;
            if booking.status != BookingStatus::Waiting
                || tokio::time::Instant::now() + pause > deadline
            {
                return;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    /// Updates a waiting booking from the organiser's copy in Exchange.
    async fn settle(
        &self,
        connection: &ExchangeConnection,
        user: &User,
        room: &Room,
        booking: &mut Booking,
    ) {
        let Some(meeting) = meeting_of(booking) else {
            return;
        };
        let answer = match self
            .calendar
            .room_answer(connection, &meeting, &room.email)
            .await
        {
            Ok(a) => a,
            Err(e) => {
                tracing::info!(error = %e, booking = %booking.id, "room answer not read");
                return;
            }
        };
        match answer {
            RoomAnswer::Waiting => {}
            RoomAnswer::Accepted => {
                if booking.status != BookingStatus::Accepted {
                    booking.status = BookingStatus::Accepted;
                    booking.reason = None;
                    self.save(booking).await;
                }
            }
            RoomAnswer::Gone => {
                booking.status = BookingStatus::Cancelled;
                booking.reason = Some(BookingReason::RemovedOutsideRoombook);
                self.save(booking).await;
            }
            RoomAnswer::Declined => {
                let reason = self.decline_reason(connection, user, room, booking).await;
                // A meeting without its room is not what was asked for: withdraw it, telling
                // the attendees, so no meeting is left behind in anyone's calendar.
                if let Err(e) = self
                    .calendar
                    .cancel_meeting(connection, &meeting, &withdrawal_note(&room.name, reason))
                    .await
                {
                    tracing::warn!(error = %e, booking = %booking.id, "withdrawing a declined meeting failed");
                }
                booking.status = BookingStatus::Declined;
                booking.reason = Some(reason);
                self.save(booking).await;
                self.audit(user, "booking.declined", room, booking, reason.code())
                    .await;
            }
        }
    }

    /// Exchange tells the organiser why in a message; Roombook infers it from what it can see.
    async fn decline_reason(
        &self,
        connection: &ExchangeConnection,
        user: &User,
        room: &Room,
        booking: &Booking,
    ) -> BookingReason {
        let who = Self::acting_mailbox(connection, user, Some(&room.email)).to_owned();
        if let Ok(answers) = self
            .calendar
            .free_busy(
                connection,
                &who,
                std::slice::from_ref(&room.email),
                booking.start,
                booking.end,
            )
            .await
            && answers
                .first()
                .is_some_and(|a| !a.is_free(booking.start, booking.end))
        {
            return BookingReason::DeclinedBusy;
        }
        BookingReason::DeclinedByRoomRules
    }

    /// The person's upcoming bookings as stored (the background job keeps their answers
    /// current: [`Bookings::settle_waiting`]); no Exchange call.
    pub async fn mine(&self, user: &User) -> Result<Vec<(Booking, Room)>, BookingError> {
        let tenant = user.tenant_id;
        let now = Utc::now();
        let bookings = self.store.bookings_of(tenant, user.id, now).await?;
        let rooms = self.store.all_rooms(tenant).await?;
        let mut out = Vec::new();
        for booking in bookings {
            let Some(room) = rooms.iter().find(|r| r.id == booking.room_id).cloned() else {
                continue;
            };
            if booking.status == BookingStatus::Failed {
                continue;
            }
            out.push((booking, room));
        }
        Ok(out)
    }

    /// One booking of the person.
    pub async fn one(&self, user: &User, id: BookingId) -> Result<(Booking, Room), BookingError> {
        let booking = self
            .store
            .booking(user.tenant_id, id)
            .await?
            .filter(|b| b.user_id == user.id)
            .ok_or(BookingError::NotFound)?;
        let room = self
            .store
            .room(user.tenant_id, booking.room_id)
            .await?
            .ok_or(BookingError::NotFound)?;
        Ok((booking, room))
    }

    /// Moves a booking to a new time. The room answers again; if it declines, the booking
    /// goes back to its old time and the person is told why.
    pub async fn change(
        &self,
        user: &User,
        id: BookingId,
        date: NaiveDate,
        start: NaiveTime,
        length: u32,
        zone_name: &str,
    ) -> Result<Booking, BookingError> {
        let tenant = user.tenant_id;
        let zone = self.zone(zone_name)?;
        let (mut booking, room) = self.one(user, id).await?;
        if !matches!(
            booking.status,
            BookingStatus::Waiting | BookingStatus::Accepted
        ) {
            return Err(Invalid::NotMovable.into());
        }
        let (new_start, new_end) = self.slot(date, start, length, zone)?;
        let now = Utc::now();
        if new_start < now - chrono::Duration::minutes(5) {
            return Err(Invalid::Passed.into());
        }
        if (new_start, new_end) == (booking.start, booking.end) {
            return Ok(booking);
        }
        if let Some(reason) = policy_refusal(&room, new_start, new_end, now) {
            return Err(BookingError::Policy(reason));
        }
        let connection = self.connection(tenant).await?;
        let (old_start, old_end) = (booking.start, booking.end);
        if !self
            .store
            .move_booking(tenant, id, new_start, new_end, now)
            .await?
        {
            return Err(self
                .taken(
                    tenant,
                    user,
                    &room,
                    (new_start, new_end),
                    zone,
                    TakenBy::Roombook,
                    Some((booking.start, booking.end)),
                )
                .await);
        }
        let restore = |this: &Self| {
            let store = this.store.clone();
            async move {
                if let Err(e) = store
                    .move_booking(tenant, id, old_start, old_end, Utc::now())
                    .await
                {
                    tracing::error!(error = %error_chain(&e), booking = %id, "cannot restore a booking's slot");
                }
            }
        };
        let who = Self::acting_mailbox(&connection, user, Some(&room.email)).to_owned();
        match self
            .calendar
            .free_busy(
                &connection,
                &who,
                std::slice::from_ref(&room.email),
                new_start,
                new_end,
            )
            .await
        {
            Ok(answers) => {
                // Our own meeting shows as busy where old and new times overlap.
                let free = match answers.into_iter().next() {
                    Some(MailboxBusy::Known(busy)) => !busy.iter().any(|b| {
                        !(b.start == old_start && b.end == old_end)
                            && b.start < new_end
                            && b.end > new_start
                    }),
                    _ => false,
                };
                if !free {
                    restore(self).await;
                    return Err(self
                        .taken(
                            tenant,
                            user,
                            &room,
                            (new_start, new_end),
                            zone,
                            TakenBy::Exchange,
                            Some((old_start, old_end)),
                        )
                        .await);
                }
            }
            Err(e) => {
                restore(self).await;
                return Err(BookingError::Calendar {
                    error: e,
                    undone: Undone::NothingChanged,
                });
            }
        }
        let meeting = meeting_of(&booking).ok_or(BookingError::NotFound)?;
        let moved = match self
            .calendar
            .move_meeting(
                &connection,
                &meeting,
                new_start,
                new_end,
                (old_start, old_end),
            )
            .await
        {
            Ok(m) => m,
            Err(e) => {
                restore(self).await;
                tracing::warn!(error = %e, booking = %id, "moving the meeting failed");
                return Err(BookingError::Calendar {
                    error: e,
                    undone: Undone::NothingChanged,
                });
            }
        };
        booking.start = new_start;
        booking.end = new_end;
        booking.item_id = Some(moved.item_id.clone());
        booking.change_key = moved.change_key.clone();
        booking.status = BookingStatus::Waiting;
        self.save(&booking).await;
        let answer = self
            .calendar
            .room_answer(&connection, &moved, &room.email)
            .await;
        if matches!(answer, Ok(RoomAnswer::Declined)) {
            let reason = self
                .decline_reason(&connection, user, &room, &booking)
                .await;
            // Back to the old time, which the room had accepted.
            match self
                .calendar
                .move_meeting(
                    &connection,
                    &moved,
                    old_start,
                    old_end,
                    (new_start, new_end),
                )
                .await
            {
                Ok(back) => {
                    restore(self).await;
                    booking.start = old_start;
                    booking.end = old_end;
                    booking.item_id = Some(back.item_id);
                    booking.change_key = back.change_key;
                    self.save(&booking).await;
                    self.await_answer(&connection, user, &room, &mut booking)
                        .await;
                    return Err(BookingError::ChangeDeclined {
                        room: room.name.clone(),
                        reason,
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, booking = %id, "moving a declined change back failed");
                    self.settle(&connection, user, &room, &mut booking).await;
                    return Ok(booking);
                }
            }
        }
        self.audit(
            user,
            "booking.change",
            &room,
            &booking,
            &format!("from {}", time::describe(old_start, old_end, zone)),
        )
        .await;
        self.await_answer(&connection, user, &room, &mut booking)
            .await;
        Ok(booking)
    }

    /// Cancels a booking: the meeting is cancelled in Exchange (attendees told, room freed).
    pub async fn cancel(&self, user: &User, id: BookingId) -> Result<Booking, BookingError> {
        let (mut booking, room) = self.one(user, id).await?;
        if !booking.status.holds_the_room() {
            return Ok(booking);
        }
        let connection = self.connection(user.tenant_id).await?;
        if booking.item_id.is_none() {
            // Still being sent, or Exchange did not confirm it: find out first, so that a
            // meeting that exists is cancelled in Exchange, not only here.
            let found = self
                .calendar
                .find_meeting(
                    &connection,
                    &booking.calendar,
                    &booking.uid,
                    booking.start,
                    booking.end,
                )
                .await
                .map_err(|e| BookingError::Calendar {
                    error: e,
                    undone: Undone::NothingCancelled,
                })?;
            match found {
                Some(meeting) => {
                    booking.item_id = Some(meeting.item_id);
                    booking.change_key = meeting.change_key;
                }
                None => {
                    // Not in Exchange (yet). Cancelled here, and watched: a meeting that
                    // appears late is cancelled in Exchange by the sender or the reconciler.
                    let next = Utc::now() + self.outcome_wait(0);
                    if !self
                        .store
                        .plan_outcome_check(
                            user.tenant_id,
                            id,
                            booking.status,
                            BookingStatus::Cancelled,
                            0,
                            Some(next),
                        )
                        .await?
                    {
                        return Err(BookingError::SettledMeanwhile);
                    }
                    booking.status = BookingStatus::Cancelled;
                    booking.reason = None;
                    self.audit(user, "booking.cancel", &room, &booking, "")
                        .await;
                    return Ok(booking);
                }
            }
        }
        if let Some(meeting) = meeting_of(&booking) {
            self.calendar
                .cancel_meeting(
                    &connection,
                    &meeting,
                    "This meeting was cancelled in Roombook.",
                )
                .await
                .map_err(|e| BookingError::Calendar {
                    error: e,
                    undone: Undone::NothingCancelled,
                })?;
        }
        booking.status = BookingStatus::Cancelled;
        booking.reason = None;
        self.save(&booking).await;
        self.audit(user, "booking.cancel", &room, &booking, "")
            .await;
        Ok(booking)
    }

    async fn fail(&self, booking: &mut Booking, reason: BookingReason) {
        booking.status = BookingStatus::Failed;
        booking.reason = Some(reason);
        self.save(booking).await;
    }

    /// Saves a booking's state. A failure is logged: Exchange already holds the truth, and the
    /// next look at the booking reconciles it.
    async fn save(&self, booking: &Booking) {
        if let Err(e) = self.store.update_booking(booking).await {
            tracing::error!(error = %error_chain(&e), booking = %booking.id, "cannot save a booking");
        }
    }

    async fn audit(&self, user: &User, action: &str, room: &Room, booking: &Booking, extra: &str) {
        let zone = time::zone(&booking.time_zone).unwrap_or(self.settings.default_time_zone);
        let mut detail = format!(
            "{} · {} · {}",
            room.name,
            time::describe(booking.start, booking.end, zone),
            booking.status.as_str()
        );
        if !extra.is_empty() {
            detail.push_str(" · ");
            detail.push_str(extra);
        }
        crate::audit::record(
            self.store.as_ref(),
            user.tenant_id,
            Some(user.id),
            action,
            &booking.id.to_string(),
            detail,
        )
        .await;
    }
}

fn meeting_of(booking: &Booking) -> Option<MeetingRef> {
    Some(MeetingRef {
        calendar: booking.calendar.clone(),
        item_id: booking.item_id.clone()?,
        change_key: booking.change_key.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn room(capacity: Option<u32>, name: &str) -> Room {
        let now = Utc::now();
        Room {
            id: RoomId::new(),
            tenant_id: TenantId::new(),
            email: format!("{}@x.example", name.to_lowercase()),
            name: name.into(),
            capacity,
            building: Some("HQ".into()),
            floor: Some("2".into()),
            equipment: vec!["Display".into()],
            wheelchair_accessible: false,
            room_list: None,
            booking_window_days: Some(30),
            max_duration_minutes: Some(120),
            display_subjects: false,
            time_zone: None,
            active: true,
            edited: false,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn best_fit_puts_the_smallest_sufficient_room_first() {
        let mut rooms = vec![
            room(Some(20), "Big"),
            room(None, "Unknown"),
            room(Some(6), "Small"),
            room(Some(8), "Mid"),
        ];
        best_fit(&mut rooms);
        let names: Vec<_> = rooms.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Small", "Mid", "Big", "Unknown"]);
    }

    #[test]
    fn policy_refuses_too_long_and_too_far_ahead() {
        let r = room(Some(6), "Harbour");
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let start = now + chrono::Duration::hours(1);
        assert_eq!(
            policy_refusal(&r, start, start + chrono::Duration::minutes(120), now),
            None
        );
        assert_eq!(
            policy_refusal(&r, start, start + chrono::Duration::minutes(150), now),
            Some(PolicyRefusal::TooLong {
                room: "Harbour".into(),
                max_minutes: 120
            })
        );
        let far = now + chrono::Duration::days(31);
        assert_eq!(
            policy_refusal(&r, far, far + chrono::Duration::minutes(30), now),
            Some(PolicyRefusal::TooFarAhead {
                room: "Harbour".into(),
                days: 30
            })
        );
        let mut unset = r.clone();
        unset.booking_window_days = None;
        unset.max_duration_minutes = None;
        assert_eq!(
            policy_refusal(&unset, far, far + chrono::Duration::hours(3), now),
            None,
            "Exchange's defaults: 180 days, 24 hours"
        );
    }

    #[test]
    fn filters_match_equipment_place_and_access() {
        let r = room(Some(6), "Harbour");
        let filter = |f: fn(&mut SlotFilter)| {
            let mut s = SlotFilter {
                date: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                start: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                minutes: 30,
                people: None,
                equipment: vec![],
                building: None,
                floor: None,
                accessible: false,
                time_zone: String::new(),
            };
            f(&mut s);
            s
        };
        assert!(room_matches(&r, &filter(|_| {})));
        assert!(room_matches(
            &r,
            &filter(|s| s.equipment = vec!["display".into()])
        ));
        assert!(!room_matches(
            &r,
            &filter(|s| s.equipment = vec!["Whiteboard".into()])
        ));
        assert!(room_matches(&r, &filter(|s| s.people = Some(6))));
        assert!(!room_matches(&r, &filter(|s| s.people = Some(7))));
        let unknown = Room {
            capacity: None,
            ..r.clone()
        };
        assert!(room_matches(&unknown, &filter(|s| s.people = Some(7))));
        assert!(room_matches(
            &r,
            &filter(|s| s.building = Some("hq".into()))
        ));
        assert!(!room_matches(&r, &filter(|s| s.floor = Some("3".into()))));
        assert!(!room_matches(&r, &filter(|s| s.accessible = true)));
    }
}
