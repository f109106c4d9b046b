//! Mailboxes, calendars and the resource booking attendant (RBA). No XML and no HTTP here:
//! the EWS layer translates requests into these calls.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, Utc};

use crate::directory::{BookingPolicy, Room, RoomList, ServiceAccount, TenantSeed, User};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeBusy {
    Free,
    Tentative,
    Busy,
    Oof,
    WorkingElsewhere,
    NoData,
}

impl FreeBusy {
    pub fn as_str(self) -> &'static str {
        match self {
            FreeBusy::Free => "Free",
            FreeBusy::Tentative => "Tentative",
            FreeBusy::Busy => "Busy",
            FreeBusy::Oof => "OOF",
            FreeBusy::WorkingElsewhere => "WorkingElsewhere",
            FreeBusy::NoData => "NoData",
        }
    }

    pub fn parse(s: &str) -> FreeBusy {
        match s {
            "Free" => FreeBusy::Free,
            "Tentative" => FreeBusy::Tentative,
            "OOF" => FreeBusy::Oof,
            "WorkingElsewhere" => FreeBusy::WorkingElsewhere,
            "NoData" => FreeBusy::NoData,
            _ => FreeBusy::Busy,
        }
    }

    /// The digit in `MergedFreeBusy`.
    pub fn merged_digit(self) -> u8 {
        match self {
            FreeBusy::Free => b'0',
            FreeBusy::Tentative => b'1',
            FreeBusy::Busy => b'2',
            FreeBusy::Oof => b'3',
            FreeBusy::WorkingElsewhere => b'4',
            FreeBusy::NoData => b'5',
        }
    }

    fn blocks(self) -> bool {
        !matches!(self, FreeBusy::Free | FreeBusy::WorkingElsewhere)
    }
}

/// `ResponseTypeType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    Unknown,
    Organizer,
    Tentative,
    Accept,
    Decline,
    NoResponseReceived,
}

impl Response {
    pub fn as_str(self) -> &'static str {
        match self {
            Response::Unknown => "Unknown",
            Response::Organizer => "Organizer",
            Response::Tentative => "Tentative",
            Response::Accept => "Accept",
            Response::Decline => "Decline",
            Response::NoResponseReceived => "NoResponseReceived",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attendee {
    pub address: String,
    pub name: String,
    pub response: Response,
}

/// One calendar item in one mailbox.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarItem {
    pub id: String,
    pub change_key: String,
    pub mailbox: String,
    pub uid: String,
    pub subject: String,
    pub body: String,
    pub body_is_html: bool,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub is_all_day: bool,
    pub location: String,
    pub free_busy: FreeBusy,
    pub organizer: String,
    pub organizer_name: String,
    pub required: Vec<Attendee>,
    pub optional: Vec<Attendee>,
    pub resources: Vec<Attendee>,
    pub is_cancelled: bool,
    /// This mailbox's own response (`MyResponseType`).
    pub my_response: Response,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    version: u64,
    created_seq: u64,
    modified_seq: u64,
}

impl CalendarItem {
    pub fn is_meeting(&self) -> bool {
        !(self.required.is_empty() && self.optional.is_empty() && self.resources.is_empty())
    }

    pub fn is_organizer_copy(&self) -> bool {
        self.my_response == Response::Organizer
    }

    pub fn overlaps(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        self.start < end && start < self.end
    }

    fn touch(&mut self, seq: u64, now: DateTime<Utc>) {
        self.version += 1;
        self.change_key = change_key(&self.id, self.version);
        self.modified_seq = seq;
        self.last_modified = now;
    }
}

fn change_key(id: &str, version: u64) -> String {
    B64.encode(format!("CK:{id}:{version}"))
}

/// Why the booking attendant declined a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclineReason {
    Conflict,
    OutsideBookingWindow,
    TooLong,
    RecurringNotAllowed,
}

impl DeclineReason {
    /// The text the attendant puts in its decline message.
    pub fn message(self, policy: &BookingPolicy) -> String {
        match self {
            DeclineReason::Conflict => "The resource is already booked for this time.".into(),
            DeclineReason::OutsideBookingWindow => format!(
                "This resource can only be booked up to {} days in advance.",
                policy.booking_window_days
            ),
            DeclineReason::TooLong => format!(
                "This resource can't be booked for more than {} minutes.",
                policy.max_duration_minutes
            ),
            DeclineReason::RecurringNotAllowed => {
                "This resource doesn't accept recurring meetings.".into()
            }
        }
    }
}

/// A response a room sent to an organiser, kept for inspection.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomResponse {
    pub room: String,
    pub organizer: String,
    pub uid: String,
    pub response: Response,
    pub reason: Option<DeclineReason>,
    pub message: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
}

#[derive(Debug, Clone)]
pub struct SyncChange {
    pub kind: ChangeKind,
    pub item_id: String,
    pub change_key: String,
    pub item: Option<CalendarItem>,
}

#[derive(Debug, Default)]
pub struct Mailbox {
    pub address: String,
    pub display_name: String,
    pub is_room: bool,
    items: BTreeMap<u64, CalendarItem>,
    seq: u64,
    /// (item number, deletion sequence, creation sequence)
    tombstones: Vec<(u64, u64, u64, String)>,
}

impl Mailbox {
    pub fn calendar_folder_id(&self) -> String {
        B64.encode(format!("FOLDER:{}:calendar", self.address))
    }

    pub fn items(&self) -> impl Iterator<Item = &CalendarItem> {
        self.items.values()
    }

    fn find_uid(&self, uid: &str) -> Option<u64> {
        self.items
            .iter()
            .find(|(_, item)| item.uid == uid)
            .map(|(k, _)| *k)
    }
}

/// Where an item id points.
pub fn parse_item_id(id: &str) -> Option<(String, u64)> {
    let raw = B64.decode(id).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let rest = text.strip_prefix("ITEM:")?;
    let (mailbox, number) = rest.rsplit_once(':')?;
    Some((mailbox.to_string(), number.parse().ok()?))
}

fn make_item_id(mailbox: &str, number: u64) -> String {
    B64.encode(format!("ITEM:{mailbox}:{number}"))
}

pub fn sync_state(mailbox: &str, seq: u64) -> String {
    B64.encode(format!("SYNC:{mailbox}:{seq}"))
}

pub fn parse_sync_state(state: &str, mailbox: &str) -> Option<u64> {
    let raw = B64.decode(state.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let rest = text.strip_prefix("SYNC:")?;
    let (owner, seq) = rest.rsplit_once(':')?;
    (owner == mailbox).then_some(())?;
    seq.parse().ok()
}

/// What a client asked to create.
#[derive(Debug, Clone, Default)]
pub struct NewItem {
    pub uid: Option<String>,
    pub subject: String,
    pub body: String,
    pub body_is_html: bool,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub is_all_day: bool,
    pub location: String,
    pub free_busy: Option<FreeBusy>,
    pub required: Vec<String>,
    pub optional: Vec<String>,
    pub resources: Vec<String>,
    pub is_recurring: bool,
}

/// One field change of an UpdateItem.
#[derive(Debug, Clone)]
pub enum FieldChange {
    Subject(String),
    Body(String, bool),
    Start(DateTime<Utc>),
    End(DateTime<Utc>),
    Location(String),
    FreeBusy(FreeBusy),
    Required(Vec<String>),
    Optional(Vec<String>),
    Resources(Vec<String>),
    AppendRequired(Vec<String>),
    AppendOptional(Vec<String>),
    AppendResources(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    None,
    All,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CalendarError {
    #[error("ErrorItemNotFound")]
    ItemNotFound,
    #[error("ErrorInvalidIdMalformed")]
    MalformedId,
    #[error("ErrorCalendarEndDateIsEarlierThanStartDate")]
    EndBeforeStart,
    #[error("ErrorCalendarIsNotOrganizer")]
    NotOrganizer,
    #[error("ErrorCalendarIsOrganizerForDecline")]
    OrganizerCannotDecline,
    #[error("ErrorIrresolvableConflict")]
    StaleChangeKey,
    #[error("ErrorInvalidRequest")]
    MissingTimes,
}

pub struct Tenant {
    pub tenant_id: String,
    pub domain: String,
    pub users: HashMap<String, User>,
    pub rooms: HashMap<String, Room>,
    pub room_lists: Vec<RoomList>,
    pub service_accounts: HashMap<String, ServiceAccount>,
    pub mailboxes: HashMap<String, Mailbox>,
    pub room_responses: Vec<RoomResponse>,
    next_item: u64,
}

impl Tenant {
    pub fn new(seed: &TenantSeed) -> Tenant {
        let mut tenant = Tenant {
            tenant_id: seed.tenant_id.clone(),
            domain: seed.domain.clone(),
            users: HashMap::new(),
            rooms: HashMap::new(),
            room_lists: seed.room_lists.clone(),
            service_accounts: HashMap::new(),
            mailboxes: HashMap::new(),
            room_responses: Vec::new(),
            next_item: 1,
        };
        for user in &seed.users {
            tenant.add_user(user.clone());
        }
        for room in &seed.rooms {
            tenant.add_room(room.clone());
        }
        for account in &seed.service_accounts {
            tenant.add_service_account(account.clone());
        }
        let now = Utc::now();
        for meeting in &seed.meetings {
            let new = NewItem {
                subject: meeting.subject.clone(),
                start: Some(meeting.start),
                end: Some(meeting.end),
                required: meeting.attendees.clone(),
                resources: meeting.room.iter().cloned().collect(),
                location: meeting
                    .room
                    .as_ref()
                    .and_then(|r| tenant.rooms.get(r))
                    .map(|r| r.display_name.clone())
                    .unwrap_or_default(),
                ..NewItem::default()
            };
            // Demo data: a seed meeting whose organiser has no mailbox is skipped.
            let _ = tenant.create_item(&meeting.organizer, new, Notify::All, now);
        }
        tenant
    }

    pub fn add_user(&mut self, user: User) {
        if user.has_mailbox {
            self.mailboxes
                .entry(user.address.clone())
                .or_insert_with(|| Mailbox {
                    address: user.address.clone(),
                    display_name: user.display_name.clone(),
                    ..Mailbox::default()
                });
        }
        self.users.insert(user.address.clone(), user);
    }

    pub fn add_room(&mut self, room: Room) {
        self.mailboxes
            .entry(room.address.clone())
            .or_insert_with(|| Mailbox {
                address: room.address.clone(),
                display_name: room.display_name.clone(),
                is_room: true,
                ..Mailbox::default()
            });
        self.rooms.insert(room.address.clone(), room);
    }

    pub fn add_service_account(&mut self, account: ServiceAccount) {
        self.service_accounts
            .insert(account.username.to_ascii_lowercase(), account);
    }

    pub fn display_name(&self, address: &str) -> String {
        if let Some(m) = self.mailboxes.get(address) {
            return m.display_name.clone();
        }
        if let Some(u) = self.users.get(address) {
            return u.display_name.clone();
        }
        address.to_string()
    }

    pub fn has_mailbox(&self, address: &str) -> bool {
        self.mailboxes.contains_key(address)
    }

    pub fn is_room(&self, address: &str) -> bool {
        self.rooms.contains_key(address)
    }

    pub fn mailbox(&self, address: &str) -> Option<&Mailbox> {
        self.mailboxes.get(address)
    }

    pub fn item(&self, id: &str) -> Result<&CalendarItem, CalendarError> {
        let (mailbox, number) = parse_item_id(id).ok_or(CalendarError::MalformedId)?;
        self.mailboxes
            .get(&mailbox)
            .and_then(|m| m.items.get(&number))
            .ok_or(CalendarError::ItemNotFound)
    }

    fn attendee(&self, address: &str) -> Attendee {
        let address = address.to_ascii_lowercase();
        Attendee {
            name: self.display_name(&address),
            address,
            response: Response::Unknown,
        }
    }

    fn insert(&mut self, mailbox: &str, mut item: CalendarItem, now: DateTime<Utc>) -> String {
        let number = self.next_item;
        self.next_item += 1;
        let mb = self
            .mailboxes
            .get_mut(mailbox)
            .expect("insert into an existing mailbox");
        mb.seq += 1;
        item.id = make_item_id(mailbox, number);
        item.mailbox = mailbox.to_string();
        item.version = 1;
        item.change_key = change_key(&item.id, 1);
        item.created = now;
        item.last_modified = now;
        item.created_seq = mb.seq;
        item.modified_seq = mb.seq;
        let id = item.id.clone();
        mb.items.insert(number, item);
        id
    }

    fn remove(&mut self, mailbox: &str, number: u64) -> Option<CalendarItem> {
        let mb = self.mailboxes.get_mut(mailbox)?;
        let item = mb.items.remove(&number)?;
        mb.seq += 1;
        mb.tombstones
            .push((number, mb.seq, item.created_seq, item.change_key.clone()));
        Some(item)
    }

    fn modify<F: FnOnce(&mut CalendarItem)>(
        &mut self,
        mailbox: &str,
        number: u64,
        now: DateTime<Utc>,
        f: F,
    ) {
        if let Some(mb) = self.mailboxes.get_mut(mailbox)
            && let Some(item) = mb.items.get_mut(&number)
        {
            mb.seq += 1;
            f(item);
            item.touch(mb.seq, now);
        }
    }

    /// CreateItem of a calendar item in `mailbox`'s calendar. With `Notify::All`, attendees
    /// get their copies and rooms are processed by the booking attendant.
    pub fn create_item(
        &mut self,
        mailbox: &str,
        new: NewItem,
        notify: Notify,
        now: DateTime<Utc>,
    ) -> Result<String, CalendarError> {
        let (start, end) = match (new.start, new.end) {
            (Some(s), Some(e)) => (s, e),
            _ => return Err(CalendarError::MissingTimes),
        };
        if end < start {
            return Err(CalendarError::EndBeforeStart);
        }
        if !self.mailboxes.contains_key(mailbox) {
            return Err(CalendarError::ItemNotFound);
        }
        let item = CalendarItem {
            id: String::new(),
            change_key: String::new(),
            mailbox: mailbox.to_string(),
            uid: new
                .uid
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string().to_uppercase()),
            subject: new.subject.clone(),
            body: new.body.clone(),
            body_is_html: new.body_is_html,
            start,
            end,
            is_all_day: new.is_all_day,
            location: new.location.clone(),
            free_busy: new.free_busy.unwrap_or(FreeBusy::Busy),
            organizer: mailbox.to_string(),
            organizer_name: self.display_name(mailbox),
            required: new.required.iter().map(|a| self.attendee(a)).collect(),
            optional: new.optional.iter().map(|a| self.attendee(a)).collect(),
            resources: new.resources.iter().map(|a| self.attendee(a)).collect(),
            is_cancelled: false,
            my_response: Response::Organizer,
            created: now,
            last_modified: now,
            version: 0,
            created_seq: 0,
            modified_seq: 0,
        };
        let is_meeting = item.is_meeting();
        let id = self.insert(mailbox, item, now);
        if is_meeting && notify == Notify::All {
            self.deliver(&id, new.is_recurring, now);
        }
        Ok(id)
    }

    /// Sends the organiser's item to every attendee: people get a tentative copy, rooms are
    /// processed by their booking attendant, and the organiser's copy records the rooms'
    /// answers.
    fn deliver(&mut self, organizer_item_id: &str, is_recurring: bool, now: DateTime<Utc>) {
        let Ok(item) = self.item(organizer_item_id).cloned() else {
            return;
        };
        let (organizer_mailbox, organizer_number) =
            parse_item_id(organizer_item_id).expect("our own id");
        let people: Vec<String> = item
            .required
            .iter()
            .chain(item.optional.iter())
            .map(|a| a.address.clone())
            .collect();
        let mut answers: Vec<(String, Response)> = Vec::new();
        for person in people {
            if person == item.organizer || !self.has_mailbox(&person) || self.is_room(&person) {
                continue;
            }
            self.upsert_attendee_copy(&person, &item, FreeBusy::Tentative, now);
        }
        for attendee in item.resources.iter().chain(item.required.iter()) {
            let address = attendee.address.clone();
            if address == item.organizer {
                continue;
            }
            if self.is_room(&address) {
                let response = self.book_room(&address, &item, is_recurring, now);
                answers.push((address, response));
            } else if self.has_mailbox(&address)
                && item.resources.iter().any(|r| r.address == address)
            {
                self.upsert_attendee_copy(&address, &item, FreeBusy::Tentative, now);
            }
        }
        if !answers.is_empty() {
            self.modify(&organizer_mailbox, organizer_number, now, |org| {
                for (room, response) in &answers {
                    for a in org
                        .resources
                        .iter_mut()
                        .chain(org.required.iter_mut())
                        .filter(|a| &a.address == room)
                    {
                        a.response = *response;
                    }
                }
            });
        }
    }

    fn upsert_attendee_copy(
        &mut self,
        mailbox: &str,
        organizer_item: &CalendarItem,
        free_busy: FreeBusy,
        now: DateTime<Utc>,
    ) {
        let existing = self
            .mailboxes
            .get(mailbox)
            .and_then(|m| m.find_uid(&organizer_item.uid));
        match existing {
            Some(number) => {
                let source = organizer_item.clone();
                self.modify(mailbox, number, now, |copy| {
                    copy.subject = source.subject.clone();
                    copy.start = source.start;
                    copy.end = source.end;
                    copy.location = source.location.clone();
                    copy.required = source.required.clone();
                    copy.optional = source.optional.clone();
                    copy.resources = source.resources.clone();
                });
            }
            None => {
                let mut copy = organizer_item.clone();
                copy.my_response = Response::NoResponseReceived;
                copy.free_busy = free_busy;
                self.insert(mailbox, copy, now);
            }
        }
    }

    /// The resource booking attendant: accept (or leave tentative), or decline with a reason.
    fn book_room(
        &mut self,
        room_address: &str,
        request: &CalendarItem,
        is_recurring: bool,
        now: DateTime<Utc>,
    ) -> Response {
        let Some(room) = self.rooms.get(room_address).cloned() else {
            return Response::Unknown;
        };
        let policy = &room.policy;
        let existing = self
            .mailboxes
            .get(room_address)
            .and_then(|m| m.find_uid(&request.uid));
        let duration = request.end - request.start;
        let reason = if is_recurring && !policy.allow_recurring {
            Some(DeclineReason::RecurringNotAllowed)
        } else if policy.max_duration_minutes > 0
            && duration > Duration::minutes(i64::from(policy.max_duration_minutes))
        {
            Some(DeclineReason::TooLong)
        } else if request.end > now + Duration::days(i64::from(policy.booking_window_days)) {
            Some(DeclineReason::OutsideBookingWindow)
        } else if !policy.allow_conflicts
            && self.mailboxes.get(room_address).is_some_and(|m| {
                m.items.values().any(|other| {
                    other.uid != request.uid
                        && !other.is_cancelled
                        && other.free_busy.blocks()
                        && other.overlaps(request.start, request.end)
                })
            })
        {
            Some(DeclineReason::Conflict)
        } else {
            None
        };
        let response = match reason {
            Some(_) => Response::Decline,
            None if policy.auto_accept => Response::Accept,
            None => Response::Tentative,
        };
        match (reason, existing) {
            (Some(_), Some(number)) => {
                self.remove(room_address, number);
            }
            (Some(_), None) => {}
            (None, existing) => {
                let mut copy = request.clone();
                copy.my_response = if response == Response::Accept {
                    Response::Accept
                } else {
                    Response::NoResponseReceived
                };
                copy.free_busy = if response == Response::Accept {
                    FreeBusy::Busy
                } else {
                    FreeBusy::Tentative
                };
                if policy.add_organizer_to_subject {
                    copy.subject = request.organizer_name.clone();
                } else if policy.delete_subject {
                    copy.subject = String::new();
                }
                match existing {
                    Some(number) => self.modify(room_address, number, now, |old| {
                        old.subject = copy.subject.clone();
                        old.start = copy.start;
                        old.end = copy.end;
                        old.location = copy.location.clone();
                        old.required = copy.required.clone();
                        old.optional = copy.optional.clone();
                        old.resources = copy.resources.clone();
                        old.free_busy = copy.free_busy;
                        old.my_response = copy.my_response;
                    }),
                    None => {
                        self.insert(room_address, copy, now);
                    }
                }
            }
        }
        let message = match reason {
            Some(r) => r.message(policy),
            None if response == Response::Accept => "Your request was accepted.".into(),
            None => "Your request has been received and is awaiting approval.".into(),
        };
        self.room_responses.push(RoomResponse {
            room: room_address.to_string(),
            organizer: request.organizer.clone(),
            uid: request.uid.clone(),
            response,
            reason,
            message,
            at: now,
        });
        response
    }

    /// UpdateItem. Notifying attendees re-runs the booking attendant for every room.
    pub fn update_item(
        &mut self,
        id: &str,
        expected_change_key: Option<&str>,
        changes: &[FieldChange],
        notify: Notify,
        now: DateTime<Utc>,
    ) -> Result<(String, String), CalendarError> {
        let (mailbox, number) = parse_item_id(id).ok_or(CalendarError::MalformedId)?;
        let before = self.item(id)?.clone();
        if let Some(key) = expected_change_key
            && key != before.change_key
        {
            return Err(CalendarError::StaleChangeKey);
        }
        let mut after = before.clone();
        for change in changes {
            match change {
                FieldChange::Subject(s) => after.subject = s.clone(),
                FieldChange::Body(b, html) => {
                    after.body = b.clone();
                    after.body_is_html = *html;
                }
                FieldChange::Start(t) => after.start = *t,
                FieldChange::End(t) => after.end = *t,
                FieldChange::Location(l) => after.location = l.clone(),
                FieldChange::FreeBusy(f) => after.free_busy = *f,
                FieldChange::Required(list) => {
                    after.required = list.iter().map(|a| self.attendee(a)).collect()
                }
                FieldChange::Optional(list) => {
                    after.optional = list.iter().map(|a| self.attendee(a)).collect()
                }
                FieldChange::Resources(list) => {
                    after.resources = list.iter().map(|a| self.attendee(a)).collect()
                }
                FieldChange::AppendRequired(list) => {
                    after.required.extend(list.iter().map(|a| self.attendee(a)))
                }
                FieldChange::AppendOptional(list) => {
                    after.optional.extend(list.iter().map(|a| self.attendee(a)))
                }
                FieldChange::AppendResources(list) => after
                    .resources
                    .extend(list.iter().map(|a| self.attendee(a))),
            }
        }
        if after.end < after.start {
            return Err(CalendarError::EndBeforeStart);
        }
        self.modify(&mailbox, number, now, |item| {
            let (id, ck, version, cs, ms) = (
                item.id.clone(),
                item.change_key.clone(),
                item.version,
                item.created_seq,
                item.modified_seq,
            );
            *item = after.clone();
            item.id = id;
            item.change_key = ck;
            item.version = version;
            item.created_seq = cs;
            item.modified_seq = ms;
        });
        if before.is_organizer_copy() && notify == Notify::All {
            let everyone = |i: &CalendarItem| -> Vec<String> {
                i.required
                    .iter()
                    .chain(i.optional.iter())
                    .chain(i.resources.iter())
                    .map(|a| a.address.clone())
                    .collect()
            };
            let now_invited = everyone(&after);
            for removed in everyone(&before) {
                if !now_invited.contains(&removed) {
                    self.cancel_copy(&removed, &before.uid, now);
                }
            }
            self.deliver(id, false, now);
        }
        let item = self.item(id)?;
        Ok((item.id.clone(), item.change_key.clone()))
    }

    /// What a cancellation does to an attendee's copy: a room's attendant deletes it; a
    /// person's copy is marked cancelled.
    fn cancel_copy(&mut self, attendee: &str, uid: &str, now: DateTime<Utc>) {
        let Some(number) = self.mailboxes.get(attendee).and_then(|m| m.find_uid(uid)) else {
            return;
        };
        if self.is_room(attendee) {
            self.remove(attendee, number);
        } else {
            self.modify(attendee, number, now, |copy| {
                copy.is_cancelled = true;
                if !copy.subject.starts_with("Canceled: ") {
                    copy.subject = format!("Canceled: {}", copy.subject);
                }
                copy.free_busy = FreeBusy::Free;
            });
        }
    }

    /// CancelCalendarItem: the organiser cancels; attendees are told; the organiser's item
    /// is removed from the calendar.
    pub fn cancel_item(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), CalendarError> {
        let item = self.item(id)?.clone();
        if !item.is_organizer_copy() {
            return Err(CalendarError::NotOrganizer);
        }
        self.delete_item(id, Notify::All, now)
    }

    /// DeleteItem. On an organiser's meeting with cancellations sent, attendees are told.
    pub fn delete_item(
        &mut self,
        id: &str,
        notify: Notify,
        now: DateTime<Utc>,
    ) -> Result<(), CalendarError> {
        let (mailbox, number) = parse_item_id(id).ok_or(CalendarError::MalformedId)?;
        let item = self.item(id)?.clone();
        if item.is_organizer_copy() && notify == Notify::All {
            for attendee in item
                .required
                .iter()
                .chain(item.optional.iter())
                .chain(item.resources.iter())
            {
                if attendee.address != item.organizer {
                    self.cancel_copy(&attendee.address, &item.uid, now);
                }
            }
        }
        self.remove(&mailbox, number);
        Ok(())
    }

    /// DeclineItem on an attendee's copy: the copy leaves the calendar and the organiser's
    /// copy records the decline.
    pub fn decline_item(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), CalendarError> {
        let (mailbox, number) = parse_item_id(id).ok_or(CalendarError::MalformedId)?;
        let item = self.item(id)?.clone();
        if item.is_organizer_copy() {
            return Err(CalendarError::OrganizerCannotDecline);
        }
        self.remove(&mailbox, number);
        let organizer_number = self
            .mailboxes
            .get(&item.organizer)
            .and_then(|m| m.find_uid(&item.uid));
        if let Some(org_number) = organizer_number {
            let organizer = item.organizer.clone();
            self.modify(&organizer, org_number, now, |org| {
                for a in org
                    .required
                    .iter_mut()
                    .chain(org.optional.iter_mut())
                    .chain(org.resources.iter_mut())
                    .filter(|a| a.address == mailbox)
                {
                    a.response = Response::Decline;
                }
            });
        }
        Ok(())
    }

    /// Items of a calendar overlapping `[start, end)`, by start time.
    pub fn calendar_view(
        &self,
        mailbox: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Vec<&CalendarItem> {
        let mut items: Vec<&CalendarItem> = self
            .mailboxes
            .get(mailbox)
            .map(|m| {
                m.items
                    .values()
                    .filter(|i| i.overlaps(start, end))
                    .collect()
            })
            .unwrap_or_default();
        items.sort_by_key(|i| (i.start, i.end));
        items
    }

    /// Changes since a sync state, oldest first, at most `max`. Returns the changes, the new
    /// sync state and whether nothing is left.
    pub fn sync(&self, mailbox: &str, since: u64, max: usize) -> (Vec<SyncChange>, u64, bool) {
        let Some(mb) = self.mailboxes.get(mailbox) else {
            return (Vec::new(), since, true);
        };
        let mut changes: Vec<(u64, SyncChange)> = Vec::new();
        for item in mb.items.values() {
            if item.modified_seq > since {
                let kind = if item.created_seq > since {
                    ChangeKind::Create
                } else {
                    ChangeKind::Update
                };
                changes.push((
                    item.modified_seq,
                    SyncChange {
                        kind,
                        item_id: item.id.clone(),
                        change_key: item.change_key.clone(),
                        item: Some(item.clone()),
                    },
                ));
            }
        }
        for (number, deleted_seq, created_seq, ck) in &mb.tombstones {
            // An item created and deleted since the state never existed for this client.
            if *deleted_seq > since && *created_seq <= since {
                changes.push((
                    *deleted_seq,
                    SyncChange {
                        kind: ChangeKind::Delete,
                        item_id: make_item_id(mailbox, *number),
                        change_key: ck.clone(),
                        item: None,
                    },
                ));
            }
        }
        changes.sort_by_key(|(seq, _)| *seq);
        let complete = changes.len() <= max;
        changes.truncate(max);
        let new_state = if complete {
            mb.seq
        } else {
            changes.last().map(|(s, _)| *s).unwrap_or(since)
        };
        (
            changes.into_iter().map(|(_, c)| c).collect(),
            new_state,
            complete,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{BookingPolicy, Room, User};

    fn tenant() -> Tenant {
        let seed = TenantSeed::new("contoso.example")
            .user(User::new("alice@contoso.example", "Alice"))
            .user(User::new("bob@contoso.example", "Bob"))
            .room(Room::new("room.a@contoso.example", "Room A", 8))
            .room(
                Room::new("room.b@contoso.example", "Room B", 4).with_policy(BookingPolicy {
                    booking_window_days: 7,
                    max_duration_minutes: 60,
                    delete_subject: true,
                    add_organizer_to_subject: false,
                    ..BookingPolicy::default()
                }),
            );
        Tenant::new(&seed)
    }

    fn meeting(room: &str, start: DateTime<Utc>, minutes: i64) -> NewItem {
        NewItem {
            subject: "Sync".into(),
            start: Some(start),
            end: Some(start + Duration::minutes(minutes)),
            required: vec!["bob@contoso.example".into()],
            resources: vec![room.into()],
            ..NewItem::default()
        }
    }

    fn hour_from_now() -> DateTime<Utc> {
        Utc::now() + Duration::hours(1)
    }

    #[test]
    fn room_accepts_then_declines_a_conflict() {
        let mut t = tenant();
        let now = Utc::now();
        let start = hour_from_now();
        let first = t
            .create_item(
                "alice@contoso.example",
                meeting("room.a@contoso.example", start, 30),
                Notify::All,
                now,
            )
            .unwrap();
        assert_eq!(
            t.item(&first).unwrap().resources[0].response,
            Response::Accept
        );
        let second = t
            .create_item(
                "bob@contoso.example",
                meeting("room.a@contoso.example", start + Duration::minutes(15), 30),
                Notify::All,
                now,
            )
            .unwrap();
        assert_eq!(
            t.item(&second).unwrap().resources[0].response,
            Response::Decline
        );
        assert_eq!(
            t.mailbox("room.a@contoso.example").unwrap().items().count(),
            1
        );
        assert_eq!(
            t.room_responses.last().unwrap().reason,
            Some(DeclineReason::Conflict)
        );
        // Bob got a tentative copy of Alice's meeting in his own calendar.
        assert!(
            t.mailbox("bob@contoso.example")
                .unwrap()
                .items()
                .any(|i| i.my_response == Response::NoResponseReceived)
        );
    }

    #[test]
    fn window_duration_and_subject_privacy() {
        let mut t = tenant();
        let now = Utc::now();
        let far = now + Duration::days(30);
        let id = t
            .create_item(
                "alice@contoso.example",
                meeting("room.b@contoso.example", far, 30),
                Notify::All,
                now,
            )
            .unwrap();
        assert_eq!(
            t.item(&id).unwrap().resources[0].response,
            Response::Decline
        );
        assert_eq!(
            t.room_responses.last().unwrap().reason,
            Some(DeclineReason::OutsideBookingWindow)
        );
        let id = t
            .create_item(
                "alice@contoso.example",
                meeting("room.b@contoso.example", hour_from_now(), 90),
                Notify::All,
                now,
            )
            .unwrap();
        assert_eq!(
            t.item(&id).unwrap().resources[0].response,
            Response::Decline
        );
        assert_eq!(
            t.room_responses.last().unwrap().reason,
            Some(DeclineReason::TooLong)
        );
        t.create_item(
            "alice@contoso.example",
            meeting("room.b@contoso.example", hour_from_now(), 30),
            Notify::All,
            now,
        )
        .unwrap();
        let copy = t
            .mailbox("room.b@contoso.example")
            .unwrap()
            .items()
            .next()
            .unwrap();
        assert_eq!(copy.subject, "");
    }

    #[test]
    fn update_moves_room_copy_and_cancel_removes_it() {
        let mut t = tenant();
        let now = Utc::now();
        let start = hour_from_now();
        let id = t
            .create_item(
                "alice@contoso.example",
                meeting("room.a@contoso.example", start, 30),
                Notify::All,
                now,
            )
            .unwrap();
        let later = start + Duration::hours(2);
        t.update_item(
            &id,
            None,
            &[
                FieldChange::Start(later),
                FieldChange::End(later + Duration::minutes(30)),
            ],
            Notify::All,
            now,
        )
        .unwrap();
        let room_copy = t
            .mailbox("room.a@contoso.example")
            .unwrap()
            .items()
            .next()
            .unwrap()
            .clone();
        assert_eq!(room_copy.start, later);
        // A stale change key is refused.
        assert_eq!(
            t.update_item(&id, Some("stale"), &[], Notify::None, now),
            Err(CalendarError::StaleChangeKey)
        );
        t.cancel_item(&id, now).unwrap();
        assert_eq!(
            t.mailbox("room.a@contoso.example").unwrap().items().count(),
            0
        );
        let bob_copy = t
            .mailbox("bob@contoso.example")
            .unwrap()
            .items()
            .next()
            .unwrap();
        assert!(bob_copy.is_cancelled);
    }

    #[test]
    fn sync_reports_create_update_delete_in_pages() {
        let mut t = tenant();
        let now = Utc::now();
        let room = "room.a@contoso.example";
        let (_, initial, _) = t.sync(room, 0, 100);
        let a = t
            .create_item(
                room,
                meeting("x@nowhere", hour_from_now(), 10),
                Notify::None,
                now,
            )
            .unwrap();
        let b = t
            .create_item(
                room,
                meeting("x@nowhere", hour_from_now() + Duration::hours(1), 10),
                Notify::None,
                now,
            )
            .unwrap();
        let (page, state, complete) = t.sync(room, initial, 1);
        assert_eq!(page.len(), 1);
        assert!(!complete);
        assert_eq!(page[0].kind, ChangeKind::Create);
        let (page, state, complete) = t.sync(room, state, 10);
        assert!(complete);
        assert_eq!(page[0].item_id, b);
        t.update_item(
            &a,
            None,
            &[FieldChange::Subject("x".into())],
            Notify::None,
            now,
        )
        .unwrap();
        t.delete_item(&b, Notify::None, now).unwrap();
        let (page, _, _) = t.sync(room, state, 10);
        let kinds: Vec<_> = page.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, vec![ChangeKind::Update, ChangeKind::Delete]);
    }

    #[test]
    fn recurring_refused_and_organizer_as_subject_by_default() {
        let mut t = tenant();
        let now = Utc::now();
        t.add_room(
            Room::new("room.c@contoso.example", "Room C", 6).with_policy(BookingPolicy {
                allow_recurring: false,
                ..BookingPolicy::default()
            }),
        );
        let mut series = meeting("room.c@contoso.example", hour_from_now(), 30);
        series.is_recurring = true;
        let id = t
            .create_item("alice@contoso.example", series, Notify::All, now)
            .unwrap();
        assert_eq!(
            t.item(&id).unwrap().resources[0].response,
            Response::Decline
        );
        assert_eq!(
            t.room_responses.last().unwrap().reason,
            Some(DeclineReason::RecurringNotAllowed)
        );
        // Room A keeps Exchange's defaults: the organiser's name replaces the subject.
        t.create_item(
            "alice@contoso.example",
            meeting("room.a@contoso.example", hour_from_now(), 30),
            Notify::All,
            now,
        )
        .unwrap();
        let copy = t
            .mailbox("room.a@contoso.example")
            .unwrap()
            .items()
            .next()
            .unwrap();
        assert_eq!(copy.subject, "Alice");
        assert_eq!(copy.my_response, Response::Accept);
        // Without invitations the room is never asked.
        let quiet = t
            .create_item(
                "bob@contoso.example",
                meeting("room.a@contoso.example", hour_from_now(), 30),
                Notify::None,
                now,
            )
            .unwrap();
        assert_eq!(
            t.item(&quiet).unwrap().resources[0].response,
            Response::Unknown
        );
        assert_eq!(
            t.mailbox("room.a@contoso.example").unwrap().items().count(),
            1
        );
    }

    #[test]
    fn decline_by_room_updates_organizer_copy() {
        let mut t = tenant();
        let now = Utc::now();
        let id = t
            .create_item(
                "alice@contoso.example",
                meeting("room.a@contoso.example", hour_from_now(), 30),
                Notify::All,
                now,
            )
            .unwrap();
        let room_copy = t
            .mailbox("room.a@contoso.example")
            .unwrap()
            .items()
            .next()
            .unwrap()
            .id
            .clone();
        assert_eq!(
            t.decline_item(&id, now),
            Err(CalendarError::OrganizerCannotDecline)
        );
        t.decline_item(&room_copy, now).unwrap();
        assert_eq!(
            t.item(&id).unwrap().resources[0].response,
            Response::Decline
        );
    }
}
