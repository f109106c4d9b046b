//! The booking use cases on the in-memory fake calendar and the real SQLite adapter (a file
//! per test): what Roombook does with each answer the calendar port can give, with no
//! simulator and no HTTP.

mod fake_calendar;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Timelike, Utc};
use roombook_core::booking::{BookRequest, BookingError, BookingSettings, Bookings};
use roombook_core::connections::{CheckSettings, ConnectionChecks, ImportError};
use roombook_core::domain::{
    Booking, BookingId, BookingStatus, CalendarBackend, Claim, ConnectionStatus, EwsAuth,
    ExchangeConnection, ImportedRoom, Role, Room, RoomDetails, SecretRef, User, UserId,
};
use roombook_core::ports::calendar::{CalendarGateway, MeetingRequest};
use roombook_core::ports::storage::Store;

use fake_calendar::FakeCalendar;

const PERSON: &str = "ada@t.example";
const ROOM: &str = "alpha@t.example";

/// A tenant connected to the fake calendar, one person, one room.
struct World {
    bookings: Bookings,
    store: Arc<dyn Store>,
    calendar: Arc<FakeCalendar>,
    user: User,
    room: Room,
    _dir: tempfile::TempDir,
}

async fn world(rooms_only: bool) -> World {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("b.db").display());
    let store = roombook_store::open(&url, 2).await.unwrap();
    let tenant = store.create_tenant("t", "T").await.unwrap().id;
    let now = Utc::now();
    store
        .save_connection(&ExchangeConnection {
            tenant_id: tenant,
            backend: CalendarBackend::Ews {
                url: "https://ews.example/EWS/Exchange.asmx".into(),
                auth: EwsAuth::ServiceAccount {
                    username: "svc".into(),
                    password: SecretRef {
                        name: "svc-password".into(),
                        version: None,
                    },
                },
            },
            rooms_only,
            status: ConnectionStatus::Healthy,
            check_address: PERSON.into(),
            consent_at: None,
            next_check_at: None,
            password_failures: 0,
            certificate_expires_at: None,
            last_success_at: None,
            last_error: None,
            updated_at: now,
        })
        .await
        .unwrap();
    let user = store
        .upsert_user(&User {
            id: UserId::new(),
            tenant_id: tenant,
            subject: "ada".into(),
            email: PERSON.into(),
            display_name: "Ada".into(),
            role: Role::Employee,
            created_at: now,
            last_seen_at: now,
        })
        .await
        .unwrap();
    let room = store
        .upsert_room(
            tenant,
            &RoomDetails {
                email: ROOM.into(),
                name: "Alpha".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let calendar = Arc::new(FakeCalendar::default());
    let settings = BookingSettings {
        answer_wait: Duration::ZERO,
        outcome_checks: vec![Duration::ZERO; 3],
        ..BookingSettings::default()
    };
    World {
        bookings: Bookings::new(store.clone(), calendar.clone(), settings),
        store,
        calendar,
        user,
        room,
        _dir: dir,
    }
}

/// Tomorrow at `hour`:00 UTC, for `minutes`.
fn tomorrow(hour: u32) -> (DateTime<Utc>, NaiveTime) {
    let day = (Utc::now() + chrono::Duration::days(1)).date_naive();
    let time = NaiveTime::from_hms_opt(hour, 0, 0).unwrap();
    (day.and_time(time).and_utc(), time)
}

fn request(w: &World, hour: u32, key: &str) -> BookRequest {
    let (at, time) = tomorrow(hour);
    BookRequest {
        room: w.room.id,
        date: at.date_naive(),
        start: time,
        minutes: 60,
        time_zone: "UTC".into(),
        subject: "Planning".into(),
        note: String::new(),
        attendees: vec![],
        idempotency_key: key.into(),
    }
}

impl World {
    async fn stored(&self, b: &Booking) -> Booking {
        self.store
            .booking(b.tenant_id, b.id)
            .await
            .unwrap()
            .unwrap()
    }

    async fn held(&self, b: &Booking) -> bool {
        !self
            .store
            .held_slots(b.tenant_id, b.start, b.end, Utc::now())
            .await
            .unwrap()
            .is_empty()
    }

    /// The person's booking claimed and left `sending`, as a request that died leaves it.
    async fn claimed(&self) -> Booking {
        let now = Utc::now();
        let (start, _) = tomorrow(9);
        let id = BookingId::new();
        let booking = Booking {
            id,
            tenant_id: self.user.tenant_id,
            user_id: self.user.id,
            room_id: self.room.id,
            idempotency_key: "k".into(),
            uid: format!("roombook-{id}"),
            subject: "S".into(),
            note: String::new(),
            attendees: vec![],
            start,
            end: start + chrono::Duration::hours(1),
            time_zone: "UTC".into(),
            status: BookingStatus::Sending,
            reason: None,
            calendar: self.user.email.clone(),
            item_id: None,
            change_key: None,
            created_at: now,
            updated_at: now,
        };
        let claim = self
            .store
            .claim_booking(&booking, now - chrono::Duration::minutes(1))
            .await
            .unwrap();
        assert_eq!(claim, Claim::Claimed);
        booking
    }
}

#[tokio::test]
async fn a_room_that_declines_gets_its_meeting_withdrawn_and_frees_the_slot() {
    let w = world(false).await;
    let (at, _) = tomorrow(10);
    w.calendar
        .declines(ROOM, at, at + chrono::Duration::hours(1));
    let booking = w
        .bookings
        .book(&w.user, request(&w, 10, "a"))
        .await
        .unwrap();
    assert_eq!(booking.status, BookingStatus::Declined);
    assert_eq!(
        booking.reason,
        Some(roombook_core::domain::BookingReason::DeclinedByRoomRules),
        "{booking:?}"
    );
    let meetings = w.calendar.meetings();
    assert_eq!(meetings.len(), 1);
    let withdrawn = meetings[0].cancelled.as_deref().unwrap_or_default();
    assert!(withdrawn.contains("Alpha declined"), "{withdrawn:?}");
    assert!(!w.held(&booking).await, "a declined booking frees its slot");
    assert_eq!(w.stored(&booking).await.status, BookingStatus::Declined);
}

#[tokio::test]
async fn a_creation_whose_answer_was_lost_is_found_by_its_uid_and_never_sent_twice() {
    let w = world(false).await;
    w.calendar.lose_next_creation();
    let booking = w
        .bookings
        .book(&w.user, request(&w, 11, "b"))
        .await
        .unwrap();
    assert_eq!(booking.status, BookingStatus::Unknown);
    assert!(w.held(&booking).await, "an unknown outcome keeps its slot");
    assert_eq!(w.bookings.reconcile_due().await, 1);
    let settled = w.stored(&booking).await;
    assert_eq!(settled.status, BookingStatus::Accepted, "{settled:?}");
    let meetings = w.calendar.meetings();
    assert_eq!(meetings.len(), 1, "found, not created again");
    assert_eq!(
        settled.item_id.as_deref(),
        Some(meetings[0].item_id.as_str())
    );
    // The same form sent again is the same booking.
    let again = w
        .bookings
        .book(&w.user, request(&w, 11, "b"))
        .await
        .unwrap();
    assert_eq!(again.id, booking.id);
    assert_eq!(w.calendar.meetings().len(), 1);
}

#[tokio::test]
async fn a_change_the_room_declines_is_moved_back_to_the_time_it_had() {
    let w = world(false).await;
    let booking = w
        .bookings
        .book(&w.user, request(&w, 10, "c"))
        .await
        .unwrap();
    assert_eq!(booking.status, BookingStatus::Accepted);
    let (later, time) = tomorrow(14);
    w.calendar
        .declines(ROOM, later, later + chrono::Duration::hours(1));
    let refused = w
        .bookings
        .change(&w.user, booking.id, later.date_naive(), time, 60, "UTC")
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, BookingError::ChangeDeclined { .. }),
        "{refused:?}"
    );
    let restored = w.stored(&booking).await;
    assert_eq!((restored.start, restored.end), (booking.start, booking.end));
    assert_eq!(restored.status, BookingStatus::Accepted);
    let meeting = &w.calendar.meetings()[0];
    assert_eq!(meeting.start.hour(), 10, "the meeting is back at 10:00");
    assert!(meeting.cancelled.is_none());
    assert!(w.held(&restored).await, "the old slot is held again");
}

#[tokio::test]
async fn with_access_to_rooms_only_the_room_organises_and_invites_the_person() {
    let w = world(true).await;
    let booking = w
        .bookings
        .book(&w.user, request(&w, 15, "d"))
        .await
        .unwrap();
    assert_eq!(booking.status, BookingStatus::Accepted);
    assert_eq!(booking.calendar, ROOM);
    let meeting = &w.calendar.meetings()[0];
    assert_eq!(meeting.calendar, ROOM, "the item is in the room's calendar");
    assert!(meeting.room_is_organiser);
    assert!(meeting.attendees.is_empty() || !meeting.attendees.contains(&ROOM.to_owned()));
    assert!(
        w.calendar.free_busy_as().iter().all(|who| who == ROOM),
        "free/busy uses the room's rights, never the person's: {:?}",
        w.calendar.free_busy_as()
    );
    w.bookings.cancel(&w.user, booking.id).await.unwrap();
    assert!(w.calendar.meetings()[0].cancelled.is_some());
}

#[tokio::test]
async fn an_unconfirmed_booking_keeps_its_slot_until_the_last_look_up_finds_nothing() {
    let w = world(false).await;
    w.calendar.fail_lookups(1);
    let booking = w.claimed().await;
    // A failed look-up says nothing: unknown, slot held, not counted.
    assert_eq!(w.bookings.reconcile_due().await, 1);
    assert_eq!(w.stored(&booking).await.status, BookingStatus::Unknown);
    assert!(w.held(&booking).await);
    // Two look-ups that find nothing: still unknown (three are needed), still held.
    assert_eq!(w.bookings.reconcile_due().await, 1);
    assert_eq!(w.bookings.reconcile_due().await, 1);
    assert_eq!(w.stored(&booking).await.status, BookingStatus::Unknown);
    assert!(w.held(&booking).await);
    // The third finds nothing: failed, slot freed, nothing left to look up.
    assert_eq!(w.bookings.reconcile_due().await, 1);
    let failed = w.stored(&booking).await;
    assert_eq!(failed.status, BookingStatus::Failed, "{failed:?}");
    assert_eq!(
        failed.reason,
        Some(roombook_core::domain::BookingReason::NotInExchange),
        "the person is told why"
    );
    assert!(!w.held(&booking).await);
    assert_eq!(w.bookings.reconcile_due().await, 0);
    assert_eq!(w.calendar.lookups(), 4);
}

#[tokio::test]
async fn an_unconfirmed_booking_found_late_is_booked_and_answered() {
    let w = world(false).await;
    let booking = w.claimed().await;
    assert_eq!(w.bookings.reconcile_due().await, 1);
    assert_eq!(w.stored(&booking).await.status, BookingStatus::Unknown);
    // The meeting shows up in Exchange after all.
    w.calendar.add(&MeetingRequest {
        calendar: booking.calendar.clone(),
        room: ROOM.into(),
        room_name: "Alpha".into(),
        room_is_organiser: false,
        person: PERSON.into(),
        attendees: vec![],
        subject: booking.subject.clone(),
        note: String::new(),
        start: booking.start,
        end: booking.end,
        uid: booking.uid.clone(),
    });
    assert_eq!(w.bookings.reconcile_due().await, 1);
    let found = w.stored(&booking).await;
    assert_eq!(found.status, BookingStatus::Accepted, "{found:?}");
    assert_eq!(
        found.item_id.as_deref(),
        Some(w.calendar.meetings()[0].item_id.as_str())
    );
    assert!(w.held(&booking).await);
    assert_eq!(
        w.bookings.reconcile_due().await,
        0,
        "settled: no more look-ups"
    );
}

// Keeping the connection checked, on the same fake calendar.

fn checks(w: &World) -> ConnectionChecks {
    ConnectionChecks::new(
        w.store.clone(),
        w.calendar.clone(),
        CheckSettings::default(),
    )
}

async fn connection(w: &World) -> ExchangeConnection {
    w.store.connection(w.room.tenant_id).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_healthy_probe_imports_the_room_lists() {
    let w = world(false).await;
    w.calendar.lists_rooms(vec![
        ImportedRoom {
            email: ROOM.into(),
            name: "Alpha".into(),
            room_list: Some("HQ".into()),
        },
        ImportedRoom {
            email: "beta@t.example".into(),
            name: "Beta".into(),
            room_list: Some("HQ".into()),
        },
    ]);
    let checked = checks(&w)
        .check_and_save(connection(&w).await, None)
        .await
        .unwrap();
    assert_eq!(checked.status, ConnectionStatus::Healthy);
    assert!(checked.last_success_at.is_some());
    let rooms = w.store.all_rooms(w.room.tenant_id).await.unwrap();
    let mut emails: Vec<_> = rooms.iter().map(|r| r.email.as_str()).collect();
    emails.sort();
    assert_eq!(emails, ["alpha@t.example", "beta@t.example"]);
}

#[tokio::test]
async fn a_probe_that_finds_no_mailbox_is_saved_with_its_class_and_imports_nothing() {
    let w = world(false).await;
    w.calendar.has_no_mailbox(PERSON);
    w.calendar.lists_rooms(vec![ImportedRoom {
        email: "beta@t.example".into(),
        name: "Beta".into(),
        room_list: None,
    }]);
    checks(&w)
        .check_and_save(connection(&w).await, None)
        .await
        .unwrap();
    let saved = connection(&w).await;
    assert_eq!(saved.status, ConnectionStatus::NoMailbox);
    assert_eq!(
        saved.last_error.map(|e| e.class).as_deref(),
        Some("mailbox not found")
    );
    assert_eq!(
        w.store.all_rooms(w.room.tenant_id).await.unwrap().len(),
        1,
        "no import after a failed check"
    );
}

#[tokio::test]
async fn empty_room_lists_change_nothing_while_rooms_are_active() {
    let w = world(false).await;
    let refused = checks(&w).import_rooms(w.room.tenant_id, None).await;
    assert!(
        matches!(refused, Err(ImportError::NothingListed { active: 1 })),
        "{refused:?}"
    );
    assert_eq!(
        w.store.count_rooms(w.room.tenant_id).await.unwrap().active,
        1
    );
    let audit = w.store.recent(w.room.tenant_id, 10).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "rooms.import_refused"));
}

#[tokio::test]
async fn a_booking_appears_in_the_rooms_schedule_with_its_uid() {
    let w = world(false).await;
    let booking = w
        .bookings
        .book(&w.user, request(&w, 10, "schedule"))
        .await
        .unwrap();
    let (start, _) = tomorrow(0);
    let schedule = w
        .calendar
        .room_schedule(
            &connection(&w).await,
            ROOM,
            start,
            start + chrono::Duration::days(1),
        )
        .await
        .unwrap();
    assert_eq!(schedule.len(), 1, "{schedule:?}");
    assert_eq!(schedule[0].uid.as_deref(), Some(booking.uid.as_str()));
    assert_eq!(
        (schedule[0].start, schedule[0].end),
        (booking.start, booking.end)
    );
}

/// The day grid of a large organisation comes a page of rooms at a time, and Exchange is
/// asked only about the page's rooms; a page past the last shows the last.
#[tokio::test]
async fn the_day_grid_pages_rooms_and_asks_exchange_only_about_the_page() {
    use roombook_core::booking::GRID_PAGE_ROOMS;
    let w = world(false).await;
    for i in 0..120 {
        w.store
            .upsert_room(
                w.user.tenant_id,
                &RoomDetails {
                    email: format!("room{i:03}@t.example"),
                    name: format!("Room {i:03}"),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    let (start, _) = tomorrow(9);
    let filter = roombook_shared::SlotFilter {
        date: start.date_naive(),
        start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        minutes: 60,
        people: None,
        equipment: vec![],
        building: None,
        floor: None,
        accessible: false,
        time_zone: "UTC".into(),
    };
    let grid = |page| {
        w.bookings
            .grid(w.user.tenant_id, &w.user, filter.date, &filter, page)
    };
    let first = grid(1).await.unwrap();
    assert_eq!((first.page, first.pages, first.matching_rooms), (1, 3, 121));
    assert_eq!(first.rows.len(), GRID_PAGE_ROOMS);
    assert_eq!(first.minutes, 60);
    assert_eq!(w.calendar.free_busy_mailboxes(), GRID_PAGE_ROOMS);
    let last = grid(99).await.unwrap();
    assert_eq!((last.page, last.rows.len()), (3, 21));
    assert_eq!(w.calendar.free_busy_mailboxes(), GRID_PAGE_ROOMS + 21);
    // The pages together hold every room once.
    let second = grid(2).await.unwrap();
    let mut names: Vec<String> = [first, second, last]
        .into_iter()
        .flat_map(|g| g.rows.into_iter().map(|(room, _)| room.name))
        .collect();
    names.dedup();
    assert_eq!(names.len(), 121);
}
