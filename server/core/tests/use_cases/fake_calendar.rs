//! An in-memory calendar server behind the calendar port: meetings in per-mailbox calendars,
//! rooms that accept unless a window of theirs declines, and faults a test switches on (a
//! creation whose answer is lost, look-ups that fail). It answers the way the port's contract
//! says Exchange does, so the use cases can be tested without a simulator.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use roombook_core::domain::{ConnectionStatus, ExchangeConnection, ImportedRoom};
use roombook_core::ports::calendar::{
    BusyInterval, CalendarError, CalendarGateway, DirectoryEntry, MailboxBusy, MeetingRef,
    MeetingRequest, ProbeOutcome, RoomAnswer, ScheduledMeeting,
};

/// One meeting as the fake holds it (the organiser's copy).
#[derive(Clone, Debug)]
pub struct Meeting {
    pub calendar: String,
    pub item_id: String,
    pub change_key: u32,
    pub room: String,
    pub uid: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub room_is_organiser: bool,
    pub attendees: Vec<String>,
    pub answer: RoomAnswer,
    /// The message sent with the cancellation, once cancelled.
    pub cancelled: Option<String>,
}

/// A stretch of time.
type Window = (DateTime<Utc>, DateTime<Utc>);

#[derive(Default)]
struct State {
    meetings: Vec<Meeting>,
    /// Per room: windows in which it declines (its booking rules in Exchange).
    declines: HashMap<String, Vec<Window>>,
    /// The next creation is made but its answer is lost (and not found at once).
    lose_next_creation: bool,
    /// This many next UID look-ups fail as if Exchange were down.
    failing_lookups: u32,
    lookups: u32,
    /// Whose rights each free/busy call used.
    free_busy_as: Vec<String>,
    /// How many mailboxes free/busy was asked about, in all.
    free_busy_mailboxes: usize,
    /// Addresses a probe finds no mailbox for.
    missing_mailboxes: Vec<String>,
    /// What the room lists hold.
    room_lists: Vec<ImportedRoom>,
    next_id: u32,
}

#[derive(Default)]
pub struct FakeCalendar {
    state: Mutex<State>,
}

impl FakeCalendar {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `room` declines meetings overlapping `start..end`.
    pub fn declines(&self, room: &str, start: DateTime<Utc>, end: DateTime<Utc>) {
        self.state()
            .declines
            .entry(room.to_owned())
            .or_default()
            .push((start, end));
    }

    /// A probe of `address` finds no mailbox.
    pub fn has_no_mailbox(&self, address: &str) {
        self.state().missing_mailboxes.push(address.to_owned());
    }

    /// The room lists hold `rooms`.
    pub fn lists_rooms(&self, rooms: Vec<ImportedRoom>) {
        self.state().room_lists = rooms;
    }

    pub fn lose_next_creation(&self) {
        self.state().lose_next_creation = true;
    }

    pub fn fail_lookups(&self, n: u32) {
        self.state().failing_lookups = n;
    }

    pub fn lookups(&self) -> u32 {
        self.state().lookups
    }

    pub fn meetings(&self) -> Vec<Meeting> {
        self.state().meetings.clone()
    }

    /// How many mailboxes free/busy was asked about, in all.
    pub fn free_busy_mailboxes(&self) -> usize {
        self.state().free_busy_mailboxes
    }

    pub fn free_busy_as(&self) -> Vec<String> {
        self.state().free_busy_as.clone()
    }

    /// A meeting created outside Roombook's request (for a lost answer that shows up late).
    pub fn add(&self, meeting: &MeetingRequest) -> MeetingRef {
        let mut state = self.state();
        Self::insert(&mut state, meeting)
    }

    fn insert(state: &mut State, m: &MeetingRequest) -> MeetingRef {
        state.next_id += 1;
        let answer = Self::answer(state, &m.room, m.start, m.end);
        let meeting = Meeting {
            calendar: m.calendar.clone(),
            item_id: format!("item-{}", state.next_id),
            change_key: 1,
            room: m.room.clone(),
            uid: m.uid.clone(),
            start: m.start,
            end: m.end,
            room_is_organiser: m.room_is_organiser,
            attendees: m.attendees.clone(),
            answer,
            cancelled: None,
        };
        let reference = Self::reference(&meeting);
        state.meetings.push(meeting);
        reference
    }

    fn answer(state: &State, room: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> RoomAnswer {
        let declined = state
            .declines
            .get(room)
            .is_some_and(|w| w.iter().any(|&(s, e)| s < end && e > start));
        if declined {
            RoomAnswer::Declined
        } else {
            RoomAnswer::Accepted
        }
    }

    fn reference(m: &Meeting) -> MeetingRef {
        MeetingRef {
            calendar: m.calendar.clone(),
            item_id: m.item_id.clone(),
            change_key: Some(m.change_key.to_string()),
        }
    }

    fn live<'a>(state: &'a mut State, item_id: &str) -> Option<&'a mut Meeting> {
        state
            .meetings
            .iter_mut()
            .find(|m| m.item_id == item_id && m.cancelled.is_none())
    }
}

#[async_trait::async_trait]
impl CalendarGateway for FakeCalendar {
    async fn probe(&self, _: &ExchangeConnection, address: &str) -> ProbeOutcome {
        if self.state().missing_mailboxes.iter().any(|m| m == address) {
            return ProbeOutcome {
                status: ConnectionStatus::NoMailbox,
                class: Some("mailbox not found".into()),
                detail: format!("no mailbox {address}"),
                retry_after: None,
            };
        }
        ProbeOutcome::healthy()
    }

    async fn room_lists(
        &self,
        _: &ExchangeConnection,
        _: &str,
    ) -> Result<Vec<ImportedRoom>, CalendarError> {
        Ok(self.state().room_lists.clone())
    }

    async fn room_schedule(
        &self,
        _: &ExchangeConnection,
        room: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<ScheduledMeeting>, CalendarError> {
        Ok(self
            .state()
            .meetings
            .iter()
            .filter(|m| {
                m.room == room
                    && m.cancelled.is_none()
                    && m.answer != RoomAnswer::Declined
                    && m.start < end
                    && m.end > start
            })
            .map(|m| ScheduledMeeting {
                meeting: MeetingRef {
                    calendar: room.to_owned(),
                    item_id: format!("{}@{room}", m.item_id),
                    change_key: Some(m.change_key.to_string()),
                },
                uid: Some(m.uid.clone()),
                start: m.start,
                end: m.end,
                subject: None,
                organiser: Some(DirectoryEntry {
                    name: String::new(),
                    email: m.calendar.clone(),
                }),
                tentative: m.answer == RoomAnswer::Waiting,
                last_modified: None,
            })
            .collect())
    }

    async fn credential_expiry(&self, _: &ExchangeConnection) -> Option<DateTime<Utc>> {
        None
    }

    fn forget_credentials(&self, _: &ExchangeConnection) {}

    async fn free_busy(
        &self,
        _: &ExchangeConnection,
        act_as: &str,
        mailboxes: &[String],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<MailboxBusy>, CalendarError> {
        let mut state = self.state();
        state.free_busy_as.push(act_as.to_owned());
        state.free_busy_mailboxes += mailboxes.len();
        Ok(mailboxes
            .iter()
            .map(|mailbox| {
                MailboxBusy::Known(
                    state
                        .meetings
                        .iter()
                        .filter(|m| &m.room == mailbox || &m.calendar == mailbox)
                        .filter(|m| m.cancelled.is_none() && m.answer != RoomAnswer::Declined)
                        .filter(|m| m.start < end && m.end > start)
                        .map(|m| BusyInterval {
                            start: m.start,
                            end: m.end,
                            tentative: false,
                        })
                        .collect(),
                )
            })
            .collect())
    }

    async fn create_meeting(
        &self,
        _: &ExchangeConnection,
        meeting: &MeetingRequest,
    ) -> Result<MeetingRef, CalendarError> {
        let mut state = self.state();
        let created = Self::insert(&mut state, meeting);
        if std::mem::take(&mut state.lose_next_creation) {
            return Err(CalendarError::Unconfirmed("the answer was lost".into()));
        }
        Ok(created)
    }

    async fn find_meeting(
        &self,
        _: &ExchangeConnection,
        calendar: &str,
        uid: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Option<MeetingRef>, CalendarError> {
        let mut state = self.state();
        state.lookups += 1;
        if state.failing_lookups > 0 {
            state.failing_lookups -= 1;
            return Err(CalendarError::Unavailable("down".into()));
        }
        Ok(state
            .meetings
            .iter()
            .find(|m| {
                m.calendar == calendar
                    && m.uid == uid
                    && m.cancelled.is_none()
                    && m.start < end
                    && m.end > start
            })
            .map(Self::reference))
    }

    async fn room_answer(
        &self,
        _: &ExchangeConnection,
        meeting: &MeetingRef,
        _room: &str,
    ) -> Result<RoomAnswer, CalendarError> {
        let mut state = self.state();
        Ok(Self::live(&mut state, &meeting.item_id).map_or(RoomAnswer::Gone, |m| m.answer))
    }

    async fn move_meeting(
        &self,
        _: &ExchangeConnection,
        meeting: &MeetingRef,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        last_written: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<MeetingRef, CalendarError> {
        let mut state = self.state();
        let Some(m) = Self::live(&mut state, &meeting.item_id) else {
            return Err(CalendarError::NotFound);
        };
        if (m.start, m.end) != last_written {
            return Err(CalendarError::ChangedElsewhere);
        }
        m.start = start;
        m.end = end;
        m.change_key += 1;
        let room = m.room.clone();
        let answer = Self::answer(&state, &room, start, end);
        let m = Self::live(&mut state, &meeting.item_id).expect("just moved");
        m.answer = answer;
        Ok(Self::reference(m))
    }

    async fn cancel_meeting(
        &self,
        _: &ExchangeConnection,
        meeting: &MeetingRef,
        message: &str,
    ) -> Result<(), CalendarError> {
        let mut state = self.state();
        let m = Self::live(&mut state, &meeting.item_id).ok_or(CalendarError::NotFound)?;
        m.cancelled = Some(message.to_owned());
        Ok(())
    }

    async fn resolve_mailbox(
        &self,
        _: &ExchangeConnection,
        _: &str,
        address: &str,
    ) -> Result<Option<String>, CalendarError> {
        Ok(Some(address.to_owned()))
    }

    async fn find_people(
        &self,
        _: &ExchangeConnection,
        _: &str,
        _: &str,
    ) -> Result<Vec<DirectoryEntry>, CalendarError> {
        Ok(Vec::new())
    }
}
