//! Employee booking against the simulated tenant: find, book, change, cancel; the room's
//! decline, policy refusals, a slot booked in Outlook, a double submit, 100 people at once,
//! throttling, time zones across a clock change, and isolation.
//!
//! They run on a multi-threaded runtime, as the server does in production, so that concurrent
//! requests are really handled in parallel.

use std::time::Duration;

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use roombook_core::domain::{BookingId, BookingStatus, TenantId};
use roombook_ews::{
    ClientConfig, ConnectingSid, Credentials, EwsClient, StaticCredentials,
    operations::{CreateMeeting, DeleteItem, DeleteType, NewMeeting, SendInvitations},
    types::ItemId,
};
use roombook_simulator::{BookingPolicy, LostAnswer, User};
use roombook_tests::{
    Browser, ExchangeOptions, TestApp, TestOptions,
    exchange::{ADMIN, EMPLOYEE, ROOMS, SERVICE_ACCOUNT, SERVICE_PASSWORD, csrf_in, seed},
    location, spawn_app_with, spawn_connected, tomorrow,
};

/// An app whose organisation is connected (service account) with its three rooms imported.
async fn connected(seed: roombook_simulator::TenantSeed) -> (TestApp, TenantId, Browser) {
    connected_with(seed, None).await
}

/// [`connected`], with the configuration changed last.
async fn connected_with(
    seed: roombook_simulator::TenantSeed,
    configure: Option<fn(&mut roombook_server::config::Config)>,
) -> (TestApp, TenantId, Browser) {
    let (app, tenant, alice) = spawn_connected(seed, configure).await;
    // Exchange's room lists carry no seat counts: the admin records them.
    for (email, seats) in ROOMS.iter().zip([8, 4, 12]) {
        let room = app
            .store
            .all_rooms(tenant)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.email == *email)
            .unwrap();
        let settings = roombook_shared::RoomSettings {
            capacity: Some(seats),
            building: room.building.clone(),
            ..Default::default()
        };
        app.store
            .update_room_settings(tenant, room.id, &settings)
            .await
            .unwrap();
    }
    (app, tenant, alice)
}

async fn room_id(app: &TestApp, tenant: TenantId, email: &str) -> String {
    app.store
        .all_rooms(tenant)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.email == email)
        .unwrap()
        .id
        .to_string()
}

/// The hidden idempotency key of a booking form.
pub(crate) fn key_in(html: &str) -> String {
    let at = html.find("name=\"key\"").expect("a key field");
    let rest = &html[at..];
    let start = rest.find("value=\"").unwrap() + 7;
    rest[start..start + rest[start..].find('"').unwrap()].to_owned()
}

/// The meetings of `room`'s calendar on the day of `at`, read through the application's
/// calendar port: (UID, start, end) in start order.
async fn room_schedule(
    app: &TestApp,
    tenant: TenantId,
    room: &str,
    at: chrono::DateTime<Utc>,
) -> Vec<(Option<String>, chrono::DateTime<Utc>, chrono::DateTime<Utc>)> {
    let connection = app.store.connection(tenant).await.unwrap().unwrap();
    let day = at.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let mut meetings: Vec<_> = app
        .calendar
        .room_schedule(&connection, room, day, day + chrono::Duration::days(1))
        .await
        .expect("the room's schedule")
        .into_iter()
        .map(|m| (m.uid, m.start, m.end))
        .collect();
    meetings.sort_by_key(|m| m.1);
    meetings
}

/// Submits the booking form as a browser does: reads the form, posts it.
async fn book(
    browser: &Browser,
    room: &str,
    date: &str,
    start: &str,
    minutes: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let (code, html) = browser
        .page(&format!(
            "/book?room={room}&date={date}&start={start}&minutes={minutes}&tz=UTC"
        ))
        .await;
    assert_eq!(code, 200, "{html}");
    let key = key_in(&html);
    let csrf = csrf_in(&html).expect("csrf");
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("room", room),
        ("date", date),
        ("start", start),
        ("minutes", minutes),
        ("tz", "UTC"),
    ];
    form.extend_from_slice(extra);
    submit(browser, &book_form_action(&html), &form).await
}

/// Asks Roombook to move booking `id` to `date` `start` (UTC) for `minutes`: the status and
/// the redirect's `Location`.
async fn change(
    browser: &Browser,
    id: impl std::fmt::Display,
    date: &str,
    start: &str,
    minutes: &str,
) -> (u16, Option<String>) {
    let csrf = browser.csrf().await;
    browser
        .post(
            &format!("/bookings/{id}/change"),
            &[
                ("csrf", csrf.as_str()),
                ("date", date),
                ("start", start),
                ("minutes", minutes),
                ("tz", "UTC"),
            ],
        )
        .await
}

/// POSTs a form: the status and the redirect's `Location`, or, for a form refused with its
/// page (422, 409), that page. A refusal never redirects: what was typed stays out of URLs.
pub(crate) async fn submit(browser: &Browser, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = browser
        .client
        .post(format!("{}{path}", browser.address))
        .form(form)
        .send()
        .await
        .expect("POST");
    let code = response.status().as_u16();
    match response.headers().get("location") {
        Some(to) => (code, to.to_str().unwrap().to_owned()),
        None => (code, response.text().await.unwrap_or_default()),
    }
}

/// Where the booking form on a page posts to.
pub(crate) fn book_form_action(html: &str) -> String {
    let at = html
        .find("data-testid=\"book-form\"")
        .expect("a booking form");
    let form = &html[html[..at].rfind("<form").expect("its form tag")..at];
    let start = form.find("action=\"").expect("an action") + 8;
    form[start..start + form[start..].find('"').unwrap()].to_owned()
}

pub(crate) fn booking_of(to: &str) -> BookingId {
    let id = to
        .strip_prefix("/bookings/")
        .unwrap_or_else(|| panic!("not a booking: {to}"));
    BookingId(uuid::Uuid::parse_str(id).unwrap())
}

/// Live (not cancelled) items in a mailbox's calendar.
fn live_items(app: &TestApp, mailbox: &str) -> Vec<roombook_simulator::CalendarItem> {
    app.sim()
        .inspect()
        .calendar(mailbox)
        .into_iter()
        .filter(|i| !i.is_cancelled)
        .collect()
}

fn assert_exchange_is_clean(app: &TestApp) {
    let inspect = app.sim().inspect();
    assert!(
        inspect.double_bookings().is_empty(),
        "{:?}",
        inspect.double_bookings()
    );
    assert!(inspect.orphans().is_empty(), "{:?}", inspect.orphans());
    assert_eq!(inspect.schema_violations(), 0);
    assert!(inspect.missing_anchor_mailbox().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employee_finds_books_changes_and_cancels() {
    let (app, tenant, _alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let date = tomorrow();
    // The header names the person as the directory does (the id_token's `name`).
    let (_, home) = bob.page("/find").await;
    assert!(
        home.contains("class=\"who\"") && home.contains(">Bob Employee</span>"),
        "{home}"
    );

    // Find: every room is free; with six people, the best fit comes first and Beta (4) is out.
    let (code, page) = bob
        .page(&format!(
            "/find?date={date}&start=10:00&minutes=60&people=6&tz=UTC"
        ))
        .await;
    assert_eq!(code, 200);
    assert!(page.contains("2 rooms are free"), "{page}");
    let alpha_at = page.find(">Alpha<").expect("Alpha listed");
    let gamma_at = page.find(">Gamma<").expect("Gamma listed");
    assert!(
        alpha_at < gamma_at,
        "Alpha (8) fits six better than Gamma (12)"
    );
    assert!(!page.contains(">Beta<"));

    // Book Alpha with an attendee found by name.
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    let (code, to) = book(
        &bob,
        &alpha,
        &date,
        "10:00",
        "60",
        &[
            ("subject", "Planning"),
            ("attendees", "Alice Admin"),
            ("note", "Bring the plan"),
        ],
    )
    .await;
    assert_eq!(code, 303, "{to}");
    let id = booking_of(&to);
    let booking = app.store.booking(tenant, id).await.unwrap().unwrap();
    assert_eq!(booking.status, BookingStatus::Accepted);
    assert_eq!(booking.attendees, vec![ADMIN.to_owned()]);
    let (_, page) = bob.page(&to).await;
    assert!(page.contains("data-status=\"accepted\""), "{page}");
    let in_room = live_items(&app, ROOMS[0]);
    assert_eq!(in_room.len(), 1);
    assert_eq!(in_room[0].uid, booking.uid);
    // The calendar port reads the room's own calendar (what the sync engine will use).
    assert_eq!(
        room_schedule(&app, tenant, ROOMS[0], booking.start).await,
        vec![(Some(booking.uid.clone()), booking.start, booking.end)]
    );
    let start = Utc.from_utc_datetime(
        &NaiveDate::parse_from_str(&date, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap(),
    );
    assert_eq!(in_room[0].start, start);
    assert_eq!(live_items(&app, EMPLOYEE).len(), 1, "the organiser's copy");
    assert_eq!(
        live_items(&app, ADMIN).len(),
        1,
        "the attendee's invitation"
    );

    // Alpha is no longer free then; the grid shows it busy at 10:00 and free at 12:00.
    let (_, page) = bob
        .page(&format!("/find?date={date}&start=10:30&minutes=30&tz=UTC"))
        .await;
    assert!(page.contains("2 rooms are free"), "{page}");
    assert!(!page.contains(">Alpha<"));
    let (_, grid) = bob.page(&format!("/day?date={date}&tz=UTC")).await;
    assert!(grid.contains(": Alpha at 10:00<"), "{grid}");
    assert!(
        grid.contains("book Alpha at 12:00 for 30 minutes"),
        "{grid}"
    );
    assert!(
        grid.contains("book Alpha at 09:30 for 30 minutes"),
        "{grid}"
    );
    // Booking an hour from a cell: 09:30 would run into the meeting at 10:00, 09:00 would not.
    let (_, hour) = bob
        .page(&format!("/day?date={date}&minutes=60&tz=UTC"))
        .await;
    assert!(hour.contains(": Alpha at 09:30<"), "{hour}");
    assert!(hour.contains("book Alpha at 09:00 for 1 hour"), "{hour}");
    assert!(
        hour.contains("start=09:00&amp;minutes=60&amp;"),
        "the cell's link books an hour"
    );
    // A length the grid does not offer is the half hour.
    let (_, odd) = bob
        .page(&format!("/day?date={date}&minutes=7&tz=UTC"))
        .await;
    assert!(odd.contains("book Alpha at 09:30 for 30 minutes"), "{odd}");

    // Change the time: the room follows.
    let (code, to_changed) = change(&bob, id, &date, "11:00", "90").await;
    assert_eq!(code, 303);
    assert!(to_changed.unwrap().ends_with("done=changed"));
    let moved = app.store.booking(tenant, id).await.unwrap().unwrap();
    assert_eq!(moved.status, BookingStatus::Accepted);
    assert_eq!(moved.start, start + chrono::Duration::hours(1));
    let in_room = live_items(&app, ROOMS[0]);
    assert_eq!(in_room.len(), 1);
    assert_eq!(in_room[0].start, moved.start);
    assert_eq!(in_room[0].end, moved.start + chrono::Duration::minutes(90));

    // My bookings lists it.
    let (_, mine) = bob.page("/bookings").await;
    assert!(
        mine.contains("Planning") && mine.contains("Booked: the room accepted"),
        "{mine}"
    );

    // A change or a cancel without the session's token, or with another, is refused and
    // changes nothing.
    for path in [
        format!("/bookings/{id}/change"),
        format!("/bookings/{id}/cancel"),
    ] {
        for form in [vec![], vec![("csrf", "forged")]] {
            assert_eq!(bob.post(&path, &form).await.0, 403, "{path} {form:?}");
        }
    }
    assert_eq!(
        app.store.booking(tenant, id).await.unwrap().unwrap().status,
        BookingStatus::Accepted
    );

    // Cancel asks first: a post that was not confirmed is sent to the question (which names
    // the meeting and who will be told) and cancels nothing.
    let csrf = bob.csrf().await;
    let (code, location) = bob
        .post(&format!("/bookings/{id}/cancel"), &[("csrf", &csrf)])
        .await;
    assert_eq!(code, 303);
    assert!(
        location
            .as_deref()
            .unwrap_or_default()
            .contains("confirm=cancel"),
        "{location:?}"
    );
    assert_eq!(
        app.store.booking(tenant, id).await.unwrap().unwrap().status,
        BookingStatus::Accepted
    );
    let (_, question) = bob.page(&format!("/bookings/{id}?confirm=cancel")).await;
    assert!(
        question.contains("Cancel this booking?") && question.contains("will be told"),
        "{question}"
    );

    // Cancel: the room is free again, the attendee told.
    let (code, _) = bob
        .post(
            &format!("/bookings/{id}/cancel"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(code, 303);
    assert_eq!(
        app.store.booking(tenant, id).await.unwrap().unwrap().status,
        BookingStatus::Cancelled
    );
    assert!(live_items(&app, ROOMS[0]).is_empty());
    assert!(
        live_items(&app, ADMIN).is_empty(),
        "the attendee's copy is cancelled"
    );

    // Every action is in the audit log.
    let actions: Vec<String> = app
        .store
        .recent(tenant, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in ["booking.create", "booking.change", "booking.cancel"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    assert_exchange_is_clean(&app);
}

/// The same journey in Exchange Online mode: admin consent, then every call with an app
/// token our certificate signs for, impersonating the person.
#[tokio::test]
async fn the_booking_journey_runs_in_exchange_online_mode_with_the_apps_certificate() {
    let app = spawn_app_with(TestOptions {
        exchange: Some(ExchangeOptions::default()),
        ..Default::default()
    })
    .await;
    let alice = app.sign_in(ADMIN).await;
    let landed = alice
        .connect_exchange_online(&app.sim().base_url(), &[])
        .await;
    assert_eq!(landed, "/admin/connect/status");
    let tenant = app.organisation().await;
    let connection = app.store.connection(tenant).await.unwrap().unwrap();
    assert_eq!(
        (connection.backend.mode(), connection.status),
        (
            roombook_core::domain::ConnectionMode::OAuthCertificate,
            roombook_core::domain::ConnectionStatus::Healthy
        )
    );
    assert!(
        connection.backend.password().is_none(),
        "no password in this mode"
    );
    if app.store.all_rooms(tenant).await.unwrap().is_empty() {
        let csrf = alice.csrf().await;
        let (code, _) = alice
            .post("/admin/rooms/import", &[("csrf", csrf.as_str())])
            .await;
        assert_eq!(code, 303);
    }

    let bob = app.sign_in(EMPLOYEE).await;
    let date = tomorrow();
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    let (code, to) = book(&bob, &alpha, &date, "10:00", "60", &[("subject", "Online")]).await;
    assert_eq!(code, 303, "{to}");
    let id = booking_of(&to);
    let booking = app.store.booking(tenant, id).await.unwrap().unwrap();
    assert_eq!(booking.status, BookingStatus::Accepted);
    assert_eq!(
        booking.calendar, EMPLOYEE,
        "Bob organises it in his own calendar"
    );
    let in_room = live_items(&app, ROOMS[0]);
    assert_eq!(in_room.len(), 1);
    assert_eq!(in_room[0].uid, booking.uid);
    assert_eq!(live_items(&app, EMPLOYEE).len(), 1, "the organiser's copy");
    // The port reads the room's schedule with the app token too (and the move, below).
    assert_eq!(
        room_schedule(&app, tenant, ROOMS[0], booking.start).await,
        vec![(Some(booking.uid.clone()), booking.start, booking.end)]
    );

    let (code, to_changed) = change(&bob, id, &date, "11:00", "30").await;
    assert_eq!(code, 303);
    assert!(to_changed.unwrap().ends_with("done=changed"));
    let moved = app.store.booking(tenant, id).await.unwrap().unwrap();
    assert_eq!(moved.status, BookingStatus::Accepted);
    assert_eq!(live_items(&app, ROOMS[0])[0].start, moved.start);
    assert_eq!(
        room_schedule(&app, tenant, ROOMS[0], moved.start).await,
        vec![(Some(booking.uid.clone()), moved.start, moved.end)]
    );

    let csrf = bob.csrf().await;
    let (code, _) = bob
        .post(
            &format!("/bookings/{id}/cancel"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(code, 303);
    assert!(live_items(&app, ROOMS[0]).is_empty());
    assert_exchange_is_clean(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_submit_and_nonsense_make_no_second_meeting() {
    let (app, tenant, _alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let date = tomorrow();
    let beta = room_id(&app, tenant, ROOMS[1]).await;
    let (_, html) = bob
        .page(&format!(
            "/book?room={beta}&date={date}&start=09:00&minutes=30&tz=UTC"
        ))
        .await;
    let key = key_in(&html);
    let csrf = csrf_in(&html).unwrap();
    let form = [
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("room", beta.as_str()),
        ("date", date.as_str()),
        ("start", "09:00"),
        ("minutes", "30"),
        ("tz", "UTC"),
    ];
    // The same form twice at once, then once more (a retry after a lost answer).
    let (first, second) = tokio::join!(bob.post("/book", &form), bob.post("/book", &form));
    let third = bob.post("/book", &form).await;
    let targets = [first.1.unwrap(), second.1.unwrap(), third.1.unwrap()];
    assert!(targets.iter().all(|t| t == &targets[0]), "{targets:?}");
    booking_of(&targets[0]);
    assert_eq!(live_items(&app, ROOMS[1]).len(), 1);
    assert_eq!(app.sim().inspect().calls("CreateItem"), 1);

    // Nonsense comes back with a sentence and what was typed; nothing is sent.
    for (field, value, says) in [
        ("start", "9 o'clock", "is not a time"),
        ("minutes", "-5", "is not a number of minutes"),
        ("date", "tomorrow", "is not a date"),
    ] {
        let mut bad: Vec<(&str, &str)> = form
            .iter()
            .filter(|(k, _)| *k != field && *k != "key")
            .copied()
            .collect();
        bad.push((field, value));
        bad.push(("key", "another-key"));
        bad.push(("subject", "Kept subject"));
        let (code, page) = submit(&bob, "/book", &bad).await;
        assert_eq!(code, 422, "the form comes back: {page}");
        assert!(page.contains(says), "{says}: {page}");
        assert!(page.contains("Kept subject"));
    }
    // A form without the session's CSRF token is refused outright.
    let forged: Vec<(&str, &str)> = form.iter().filter(|(k, _)| *k != "csrf").copied().collect();
    assert_eq!(bob.post("/book", &forged).await.0, 403);
    // A body past the forms' limit (256 KB) is refused unread, whatever it says.
    let huge = "x".repeat(300 * 1024);
    let mut oversized = form.to_vec();
    oversized.push(("note", &huge));
    assert_eq!(bob.post("/book", &oversized).await.0, 400);
    assert_eq!(app.sim().inspect().calls("CreateItem"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rooms_rules_stop_a_booking_before_it_is_sent_and_a_decline_is_withdrawn() {
    let (app, tenant, _alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let date = tomorrow();
    let gamma = room_id(&app, tenant, ROOMS[2]).await;

    // Roombook knows Gamma's limit (an admin recorded it): refused before sending.
    let settings = roombook_shared::RoomSettings {
        max_duration_minutes: Some(60),
        booking_window_days: Some(30),
        capacity: Some(12),
        ..Default::default()
    };
    app.store
        .update_room_settings(
            tenant,
            uuid::Uuid::parse_str(&gamma)
                .map(roombook_core::domain::RoomId)
                .unwrap(),
            &settings,
        )
        .await
        .unwrap();
    let creates = app.sim().inspect().calls("CreateItem");
    let (code, page) = book(&bob, &gamma, &date, "10:00", "120", &[]).await;
    assert_eq!(code, 422);
    assert!(page.contains("at most 1 hour"), "{page}");
    let far = (Utc::now() + chrono::Duration::days(40))
        .format("%Y-%m-%d")
        .to_string();
    let (_, page) = book(&bob, &gamma, &far, "10:00", "30", &[]).await;
    assert!(page.contains("at most 30 days ahead"), "{page}");
    assert_eq!(
        app.sim().inspect().calls("CreateItem"),
        creates,
        "nothing was sent"
    );

    // Exchange has a rule Roombook does not know: the room declines, the meeting is withdrawn.
    assert!(app.sim().set_booking_policy(
        ROOMS[1],
        BookingPolicy {
            max_duration_minutes: 60,
            ..BookingPolicy::default()
        }
    ));
    let beta = room_id(&app, tenant, ROOMS[1]).await;
    let (code, to) = book(&bob, &beta, &date, "14:00", "90", &[("attendees", ADMIN)]).await;
    assert_eq!(code, 303);
    let id = booking_of(&to);
    let booking = app.store.booking(tenant, id).await.unwrap().unwrap();
    assert_eq!(booking.status, BookingStatus::Declined);
    let (_, page) = bob.page(&to).await;
    assert!(page.contains("data-status=\"declined\""), "{page}");
    assert!(page.contains("booking rules in Exchange"), "{page}");
    assert!(live_items(&app, ROOMS[1]).is_empty());
    assert!(
        live_items(&app, EMPLOYEE).is_empty(),
        "the organiser's meeting was withdrawn"
    );
    assert!(live_items(&app, ADMIN).is_empty(), "and the attendee told");

    // A room whose delegate approves bookings: waiting, and the page refreshes by itself.
    assert!(app.sim().set_booking_policy(
        ROOMS[0],
        BookingPolicy {
            auto_accept: false,
            ..BookingPolicy::default()
        }
    ));
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    let (code, to) = book(&bob, &alpha, &date, "09:00", "30", &[]).await;
    assert_eq!(code, 303);
    let waiting = app
        .store
        .booking(tenant, booking_of(&to))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(waiting.status, BookingStatus::Waiting);
    let (_, page) = bob.page(&to).await;
    assert!(page.contains("Waiting for the room to accept"), "{page}");
    assert!(page.contains("http-equiv=\"refresh\""), "{page}");
    assert_exchange_is_clean(&app);
}

/// A room whose delegate has not answered yet: the booking waits.
async fn waiting_booking(app: &TestApp, tenant: TenantId, bob: &Browser) -> (String, BookingId) {
    assert!(app.sim().set_booking_policy(
        ROOMS[0],
        BookingPolicy {
            auto_accept: false,
            ..BookingPolicy::default()
        }
    ));
    let alpha = room_id(app, tenant, ROOMS[0]).await;
    let (code, to) = book(bob, &alpha, &tomorrow(), "10:00", "30", &[]).await;
    assert_eq!(code, 303, "{to}");
    let id = booking_of(&to);
    let waiting = app.store.booking(tenant, id).await.unwrap().unwrap();
    assert_eq!(waiting.status, BookingStatus::Waiting);
    (to, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewing_bookings_never_calls_exchange() {
    let (app, tenant, _alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let (to, _) = waiting_booking(&app, tenant, &bob).await;
    // The background job asks again only after `booking.answer_poll_secs` (60 s by default).
    app.sim().inspect().reset_counts();
    for _ in 0..5 {
        let (code, page) = bob.page("/bookings").await;
        assert_eq!(code, 200);
        assert!(page.contains("Waiting for the room"), "{page}");
        let (code, _) = bob.page(&to).await;
        assert_eq!(code, 200);
    }
    assert_eq!(
        app.sim().inspect().total_requests(),
        0,
        "My bookings and a booking's page show what is stored: {:?}",
        app.sim().inspect().calls_by_operation()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_booking_is_settled_in_the_background() {
    let (app, tenant, _alice) = connected_with(
        seed(),
        Some(|c: &mut roombook_server::config::Config| c.booking.answer_poll_secs = 1),
    )
    .await;
    let bob = app.sign_in(EMPLOYEE).await;
    let (to, id) = waiting_booking(&app, tenant, &bob).await;
    // Bob deletes the meeting in Outlook: nobody looks at Roombook meanwhile.
    let item = app
        .store
        .booking(tenant, id)
        .await
        .unwrap()
        .unwrap()
        .item_id
        .unwrap();
    let ews = EwsClient::new(
        ClientConfig::new(app.sim().ews_url()),
        StaticCredentials(Credentials::Basic {
            username: SERVICE_ACCOUNT.into(),
            password: roombook_ews::Secret::new(SERVICE_PASSWORD.to_owned()),
        }),
    )
    .unwrap();
    ews.call(
        Some(&ConnectingSid::PrimarySmtpAddress(EMPLOYEE.into())),
        &DeleteItem {
            items: vec![ItemId {
                id: item,
                change_key: None,
            }],
            delete_type: DeleteType::MoveToDeletedItems,
            send_cancellations: SendInvitations::SendToAllAndSaveCopy,
        },
    )
    .await
    .unwrap();
    let settled = settled_in_background(&app, tenant, id).await;
    assert_eq!(settled.status, BookingStatus::Cancelled, "{settled:?}");
    assert_eq!(
        settled.reason,
        Some(roombook_core::domain::BookingReason::RemovedOutsideRoombook),
        "{settled:?}"
    );
    let (_, page) = bob.page(&to).await;
    assert!(page.contains("outside Roombook"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_booked_in_outlook_is_just_taken_and_other_rooms_are_offered() {
    let (app, tenant, _alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let date = tomorrow();
    let day = NaiveDate::parse_from_str(&date, "%Y-%m-%d").unwrap();
    let start = Utc.from_utc_datetime(&day.and_hms_opt(15, 0, 0).unwrap());
    // Alice books Alpha in Outlook (straight to Exchange, not through Roombook).
    let ews = EwsClient::new(
        ClientConfig::new(app.sim().ews_url()),
        StaticCredentials(Credentials::Basic {
            username: SERVICE_ACCOUNT.into(),
            password: roombook_ews::Secret::new(SERVICE_PASSWORD.to_owned()),
        }),
    )
    .unwrap();
    ews.call(
        Some(&ConnectingSid::PrimarySmtpAddress(ADMIN.into())),
        &CreateMeeting {
            meeting: NewMeeting::in_room(
                "Outlook meeting",
                ROOMS[0],
                start,
                start + chrono::Duration::hours(1),
                "outlook-1",
            ),
            send: SendInvitations::SendToAllAndSaveCopy,
            saved_item_folder: None,
        },
    )
    .await
    .unwrap();
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    let creates = app.sim().inspect().calls("CreateItem");
    let (code, page) = book(&bob, &alpha, &date, "15:30", "30", &[("subject", "Kept")]).await;
    assert_eq!(code, 409, "just taken: {page}");
    // Busy in Exchange is said as such, with the room's three nearest free times that day
    // (15:00 to 16:00 is the Outlook meeting).
    assert!(page.contains("Alpha is busy then."), "{page}");
    assert!(
        page.contains("It is free at 14:30, 16:00 or 16:30 that day, for the same length."),
        "{page}"
    );
    assert!(
        page.contains("Book Gamma instead"),
        "a room at least as big is offered: {page}"
    );
    assert!(page.contains("Kept"), "the subject is kept");
    assert_eq!(
        app.sim().inspect().calls("CreateItem"),
        creates,
        "nothing was sent"
    );
    assert_exchange_is_clean(&app);

    // Moving a booking onto that meeting: the same sentence on the booking's page, and the
    // booking's own time is not counted as busy.
    let (code, to) = book(&bob, &alpha, &date, "14:30", "30", &[]).await;
    assert_eq!(code, 303, "{to}");
    let id = booking_of(&to);
    let (code, back) = change(&bob, id, &date, "15:30", "30").await;
    assert_eq!(code, 303);
    let (_, page) = bob.page(&back.unwrap()).await;
    assert!(page.contains("Alpha is busy then."), "{page}");
    assert!(
        page.contains("It is free at 14:30, 16:00 or 16:30 that day"),
        "its own time is offered back: {page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_people_booking_one_slot_at_once_make_exactly_one_meeting() {
    let people: Vec<String> = (0..100)
        .map(|i| format!("person{i:03}@contoso.example"))
        .collect();
    let mut s = seed();
    for p in &people {
        s = s.user(User::new(p, p));
    }
    let (app, tenant, _alice) = connected(s).await;
    let date = tomorrow();
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    let mut forms = Vec::new();
    for p in &people {
        let browser = app.sign_in(p).await;
        let (_, html) = browser
            .page(&format!(
                "/book?room={alpha}&date={date}&start=13:00&minutes=60&tz=UTC"
            ))
            .await;
        let key = key_in(&html);
        let csrf = csrf_in(&html).unwrap();
        forms.push((browser, key, csrf));
    }
    let attempts = forms.iter().map(|(browser, key, csrf)| {
        let (alpha, date) = (alpha.clone(), date.clone());
        async move {
            submit(
                browser,
                "/book",
                &[
                    ("csrf", csrf.as_str()),
                    ("key", key.as_str()),
                    ("room", alpha.as_str()),
                    ("date", date.as_str()),
                    ("start", "13:00"),
                    ("minutes", "60"),
                    ("tz", "UTC"),
                ],
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let won: Vec<_> = answers
        .iter()
        .filter(|(code, to)| *code == 303 && to.starts_with("/bookings/"))
        .collect();
    let refused: Vec<_> = answers.iter().filter(|(code, _)| *code == 409).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert_eq!(
        refused.len(),
        99,
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert!(refused[0].1.contains("Someone has just booked Alpha"));
    assert_eq!(live_items(&app, ROOMS[0]).len(), 1);
    let organisers_with_meetings = people
        .iter()
        .filter(|p| !live_items(&app, p).is_empty())
        .count();
    assert_eq!(
        organisers_with_meetings, 1,
        "no meeting in any loser's calendar"
    );
    assert_eq!(app.sim().inspect().calls("CreateItem"), 1);
    assert_exchange_is_clean(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_half_the_calls_throttled_every_booking_completes_or_fails_cleanly() {
    let (app, tenant, _alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let date = tomorrow();
    let mut rooms = Vec::new();
    for r in ROOMS {
        rooms.push(room_id(&app, tenant, r).await);
    }
    app.sim()
        .faults()
        .set_throttling(0.5, Duration::from_millis(20));
    let attempts = (0..12).map(|i| {
        let room = rooms[i % 3].clone();
        let start = format!("{:02}:00", 8 + i / 3);
        let (bob, date) = (&bob, date.clone());
        async move { book(bob, &room, &date, &start, "60", &[]).await }
    });
    let answers = futures_util::future::join_all(attempts).await;
    app.sim().faults().clear();
    let mut booked = Vec::new();
    for (code, to) in &answers {
        if *code == 303 && to.starts_with("/bookings/") {
            booked.push(
                app.store
                    .booking(tenant, booking_of(to))
                    .await
                    .unwrap()
                    .unwrap(),
            );
        } else {
            assert_eq!(*code, 422, "reported with the form: {to}");
            assert!(to.contains("data-testid=\"book-error\""), "reported: {to}");
        }
    }
    assert!(!booked.is_empty(), "throttling is waited out: {answers:?}");
    // Every reported booking is in its room exactly once; nothing else is anywhere.
    let mut in_rooms = Vec::new();
    for r in ROOMS {
        in_rooms.extend(live_items(&app, r).into_iter().map(|i| i.uid));
    }
    let mut expected: Vec<String> = booked
        .iter()
        .filter(|b| b.status.holds_the_room())
        .map(|b| b.uid.clone())
        .collect();
    expected.sort();
    in_rooms.sort();
    assert_eq!(in_rooms, expected);
    assert_eq!(live_items(&app, EMPLOYEE).len(), expected.len());
    assert_eq!(booked.len(), expected.len(), "{booked:?}");
    assert_exchange_is_clean(&app);
}

/// The next day on which Europe/London's clocks change, at least two days from now.
fn next_clock_change() -> NaiveDate {
    let london = chrono_tz::Europe::London;
    let offset = |d: NaiveDate| {
        london
            .from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
            .naive_local()
            .signed_duration_since(d.and_hms_opt(12, 0, 0).unwrap())
    };
    let mut d = (Utc::now() + chrono::Duration::days(2)).date_naive();
    while offset(d) == offset(d + chrono::Duration::days(1)) {
        d = d.succ_opt().unwrap();
    }
    d + chrono::Duration::days(1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_are_local_across_a_clock_change() {
    let (app, tenant, _alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    let change = next_clock_change();
    assert!(
        (change - Utc::now().date_naive()).num_days() < 180,
        "within the booking window"
    );
    let london = chrono_tz::Europe::London;
    for day in [change - chrono::Duration::days(1), change] {
        let date = day.format("%Y-%m-%d").to_string();
        let (_, html) = bob
            .page(&format!(
                "/book?room={alpha}&date={date}&start=09:00&minutes=30&tz=Europe%2FLondon"
            ))
            .await;
        let (key, csrf) = (key_in(&html), csrf_in(&html).unwrap());
        let (code, to) = bob
            .post(
                "/book",
                &[
                    ("csrf", &csrf),
                    ("key", &key),
                    ("room", &alpha),
                    ("date", &date),
                    ("start", "09:00"),
                    ("minutes", "30"),
                    ("tz", "Europe/London"),
                ],
            )
            .await;
        assert_eq!(code, 303);
        let booking = app
            .store
            .booking(tenant, booking_of(&to.unwrap()))
            .await
            .unwrap()
            .unwrap();
        let expected = london
            .from_local_datetime(&day.and_hms_opt(9, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(booking.start, expected, "{day}");
        let in_room = live_items(&app, ROOMS[0]);
        assert!(
            in_room.iter().any(|i| i.start == expected),
            "Exchange got {expected}"
        );
        let (_, page) = bob.page(&format!("/bookings/{}", booking.id)).await;
        assert!(page.contains("09:00–09:30"), "shown in local time: {page}");
    }
    // 01:30 on a spring-forward day does not exist in London.
    if change.month() == 3 {
        let date = change.format("%Y-%m-%d").to_string();
        let (_, page) = book_local(&bob, &alpha, &date, "01:30", "Europe/London").await;
        assert!(page.contains("does not exist"), "{page}");
    }
}

async fn book_local(
    browser: &Browser,
    room: &str,
    date: &str,
    start: &str,
    tz: &str,
) -> (u16, String) {
    let (_, html) = browser.page(&format!("/book?room={room}&tz=UTC")).await;
    let (key, csrf) = (key_in(&html), csrf_in(&html).unwrap());
    submit(
        browser,
        "/book",
        &[
            ("csrf", &csrf),
            ("key", &key),
            ("room", room),
            ("date", date),
            ("start", start),
            ("minutes", "30"),
            ("tz", tz),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_are_their_owners_alone() {
    let (app, tenant, alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let beta = room_id(&app, tenant, ROOMS[1]).await;
    let (_, to) = book(&bob, &beta, &tomorrow(), "16:00", "30", &[]).await;
    let id = booking_of(&to);
    // Alice (same organisation, even an admin) can neither see nor cancel Bob's booking.
    let (_, page) = alice.page(&format!("/bookings/{id}")).await;
    assert!(page.contains("That booking does not exist"), "{page}");
    let csrf = alice.csrf().await;
    let (code, _) = alice
        .post(
            &format!("/bookings/{id}/cancel"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(code, 404);
    assert_eq!(
        app.store.booking(tenant, id).await.unwrap().unwrap().status,
        BookingStatus::Accepted
    );
    // Signed out: the finder asks to sign in, and posting goes to the sign-in page.
    let (_, page) = app.page("/find").await;
    assert!(page.contains("Sign in"), "{page}");
    let anonymous = app
        .client
        .post(app.url("/book"))
        .form(&[("room", beta.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 303);
    assert!(location(&anonymous).starts_with("/auth/signin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_rooms_only_access_the_room_organises_and_the_person_is_invited() {
    let app = spawn_app_with(TestOptions {
        exchange: Some(ExchangeOptions::default()),
        ..Default::default()
    })
    .await;
    let alice = app.sign_in(ADMIN).await;
    let (code, to) = alice
        .connect_exchange_server(&app.sim().ews_url(), ROOMS[2], true)
        .await;
    assert_eq!((code, to.as_deref()), (303, Some("/admin/connect/status")));
    let tenant = app.organisation().await;
    assert!(
        app.store
            .connection(tenant)
            .await
            .unwrap()
            .unwrap()
            .rooms_only
    );
    let bob = app.sign_in(EMPLOYEE).await;
    app.sim().inspect().reset_counts();
    let gamma = room_id(&app, tenant, ROOMS[2]).await;
    let (code, to) = book(
        &bob,
        &gamma,
        &tomorrow(),
        "10:00",
        "30",
        &[("attendees", ADMIN)],
    )
    .await;
    assert_eq!(code, 303, "{to}");
    let booking = app
        .store
        .booking(tenant, booking_of(&to))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(booking.status, BookingStatus::Accepted);
    assert_eq!(
        booking.calendar, ROOMS[2],
        "the room's calendar holds the meeting"
    );
    let in_room = live_items(&app, ROOMS[2]);
    assert_eq!(in_room.len(), 1);
    assert_eq!(in_room[0].organizer, ROOMS[2]);
    assert!(
        in_room[0].required.iter().any(|a| a.address == EMPLOYEE),
        "the person is invited"
    );
    assert_eq!(
        live_items(&app, EMPLOYEE).len(),
        1,
        "Bob has the invitation"
    );
    // Least privilege: Roombook never opened a person's mailbox.
    let inspect = app.sim().inspect();
    assert_eq!(inspect.calls_for_mailbox(EMPLOYEE), 0);
    assert_eq!(inspect.calls_for_mailbox(ADMIN), 0);
    // Cancelling from Roombook cancels the room's meeting and tells the invitees.
    let csrf = bob.csrf().await;
    let (code, _) = bob
        .post(
            &format!("/bookings/{}/cancel", booking.id),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(code, 303);
    assert!(live_items(&app, ROOMS[2]).is_empty());
    assert!(live_items(&app, EMPLOYEE).is_empty());
    assert_exchange_is_clean(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_down_is_a_sentence_with_the_input_kept_and_nothing_booked() {
    let (app, tenant, _alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    app.sim().faults().set_unavailable(1.0);
    let (code, to) = book(
        &bob,
        &alpha,
        &tomorrow(),
        "10:00",
        "30",
        &[("subject", "Survives")],
    )
    .await;
    app.sim().faults().clear();
    assert_eq!(code, 422);
    let page = to;
    assert!(
        page.contains("Exchange did not answer in time. Nothing was booked"),
        "{page}"
    );
    assert!(page.contains("Survives"), "the subject is kept");
    assert!(live_items(&app, ROOMS[0]).is_empty());
    assert!(live_items(&app, EMPLOYEE).is_empty());
    // The slot is not left claimed: booking again works.
    let (code, to) = book(&bob, &alpha, &tomorrow(), "10:00", "30", &[]).await;
    assert_eq!(code, 303);
    assert!(to.starts_with("/bookings/"), "{to}");
    // The finder says so too, instead of claiming rooms are free.
    app.sim().faults().set_unavailable(1.0);
    let (_, page) = bob
        .page(&format!(
            "/find?date={}&start=12:00&minutes=30&tz=UTC",
            tomorrow()
        ))
        .await;
    app.sim().faults().clear();
    assert!(page.contains("Exchange did not answer in time"), "{page}");
}

/// Waits (without viewing any page) until the stored booking reaches `want`.
async fn settles_to(
    app: &TestApp,
    tenant: TenantId,
    id: BookingId,
    want: BookingStatus,
    within: Duration,
) -> roombook_core::domain::Booking {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let booking = app.store.booking(tenant, id).await.unwrap().unwrap();
        if booking.status == want {
            return booking;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {:?} after {within:?}, not {want:?}",
            booking.status
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_meeting_whose_answer_was_lost_and_not_found_at_once_is_booked_by_itself() {
    let (app, tenant, alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    let date = tomorrow();
    // Exchange carries out the CreateItem and the answer is lost; the search for its UID
    // right after does not see it yet.
    app.sim()
        .faults()
        .lose_answer("CreateItem", LostAnswer::DropConnection);
    app.sim().faults().miss_searches(1);
    let (code, to) = book(&bob, &alpha, &date, "10:00", "30", &[]).await;
    assert_eq!(code, 303);
    let id = booking_of(&to);
    let booking = app.store.booking(tenant, id).await.unwrap().unwrap();
    assert_eq!(booking.status, BookingStatus::Unknown, "not guessed");
    assert_eq!(live_items(&app, ROOMS[0]).len(), 1, "Exchange has it");
    let (_, page) = bob.page(&to).await;
    assert!(
        page.contains(
            "Exchange did not confirm this booking yet; Roombook is checking and will show the outcome"
        ),
        "{page}"
    );
    // The slot stays held: someone else cannot take it meanwhile.
    let creates = app.sim().inspect().calls("CreateItem");
    let (_, taken) = book(&alice, &alpha, &date, "10:00", "30", &[]).await;
    assert!(!taken.starts_with("/bookings/"), "{taken}");
    assert_eq!(app.sim().inspect().calls("CreateItem"), creates);
    let held = app
        .store
        .held_slots(tenant, booking.start, booking.end, Utc::now())
        .await
        .unwrap();
    assert_eq!(held.len(), 1, "only the unconfirmed booking holds it");
    // The reconciler finds it, with nobody looking at a page.
    let booked = settles_to(
        &app,
        tenant,
        id,
        BookingStatus::Accepted,
        Duration::from_secs(40),
    )
    .await;
    assert_eq!(live_items(&app, ROOMS[0]).len(), 1, "exactly one meeting");
    assert_eq!(live_items(&app, ROOMS[0])[0].uid, booked.uid);
    assert!(booked.item_id.is_some());
    assert_eq!(
        app.sim().inspect().calls("CreateItem"),
        1,
        "never sent twice"
    );
    assert_exchange_is_clean(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_booking_being_sent_or_unconfirmed_cancels_it_in_exchange() {
    let (app, tenant, _alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    let date = tomorrow();

    // Unconfirmed (answer lost, first search missed): cancel looks it up and cancels it.
    app.sim()
        .faults()
        .lose_answer("CreateItem", LostAnswer::DropConnection);
    app.sim().faults().miss_searches(1);
    let (_, to) = book(&bob, &alpha, &date, "10:00", "30", &[("attendees", ADMIN)]).await;
    let id = booking_of(&to);
    assert_eq!(
        app.store.booking(tenant, id).await.unwrap().unwrap().status,
        BookingStatus::Unknown
    );
    assert_eq!(live_items(&app, ROOMS[0]).len(), 1);
    let csrf = bob.csrf().await;
    let (code, to_cancelled) = bob
        .post(
            &format!("/bookings/{id}/cancel"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(code, 303);
    assert!(
        to_cancelled.unwrap().ends_with("done=cancelled"),
        "cancelled"
    );
    assert_eq!(
        app.store.booking(tenant, id).await.unwrap().unwrap().status,
        BookingStatus::Cancelled
    );
    assert!(
        live_items(&app, ROOMS[0]).is_empty(),
        "cancelled in Exchange"
    );
    assert!(live_items(&app, EMPLOYEE).is_empty());
    assert!(live_items(&app, ADMIN).is_empty(), "the attendee told");

    // Still being sent (Exchange has made the meeting, its answer is on the way): cancel
    // reaches Exchange too, and the late answer does not bring the booking back.
    app.sim()
        .faults()
        .lose_answer("CreateItem", LostAnswer::Delay(Duration::from_secs(3)));
    let sending = book(&bob, &alpha, &date, "12:00", "30", &[]);
    let cancel = async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while live_items(&app, ROOMS[0]).is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "never created");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let bob_id = app
            .store
            .users(tenant)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.email == EMPLOYEE)
            .unwrap()
            .id;
        let booking = app
            .store
            .bookings_of(tenant, bob_id, Utc::now())
            .await
            .unwrap()
            .into_iter()
            .find(|b| b.status == BookingStatus::Sending)
            .expect("a booking being sent");
        let (code, _) = bob
            .post(
                &format!("/bookings/{}/cancel", booking.id),
                &[("csrf", &csrf), ("confirm", "yes")],
            )
            .await;
        assert_eq!(code, 303);
        booking.id
    };
    let ((code, to), cancelled) = tokio::join!(sending, cancel);
    assert_eq!(code, 303, "{to}");
    assert_eq!(booking_of(&to), cancelled);
    assert_eq!(
        app.store
            .booking(tenant, cancelled)
            .await
            .unwrap()
            .unwrap()
            .status,
        BookingStatus::Cancelled
    );
    assert!(
        live_items(&app, ROOMS[0]).is_empty(),
        "cancelled in Exchange"
    );
    assert!(live_items(&app, EMPLOYEE).is_empty());
    assert_exchange_is_clean(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_missing_from_the_attendees_is_waiting_not_declined() {
    let (app, tenant, _alice) = connected_with(
        seed(),
        Some(|c: &mut roombook_server::config::Config| c.booking.answer_poll_secs = 1),
    )
    .await;
    let bob = app.sign_in(EMPLOYEE).await;
    let beta = room_id(&app, tenant, ROOMS[1]).await;
    // The organiser's copy does not list the room (not yet updated).
    app.sim().faults().hide_attendee(ROOMS[1], true);
    let (code, to) = book(&bob, &beta, &tomorrow(), "11:00", "30", &[]).await;
    assert_eq!(code, 303, "{to}");
    let id = booking_of(&to);
    assert_eq!(
        app.store.booking(tenant, id).await.unwrap().unwrap().status,
        BookingStatus::Waiting
    );
    assert_eq!(live_items(&app, EMPLOYEE).len(), 1, "not withdrawn");
    assert_eq!(live_items(&app, ROOMS[1]).len(), 1);
    // Once the copy shows the room's answer, the booking follows it (the background job
    // asks again; no page view is needed).
    app.sim().faults().hide_attendee(ROOMS[1], false);
    let settled = settled_in_background(&app, tenant, id).await;
    assert_eq!(settled.status, BookingStatus::Accepted);
    let (_, page) = bob.page(&to).await;
    assert!(page.contains("data-status=\"accepted\""), "{page}");
}

/// The booking once the background job has moved it on from `waiting` (or after 20 s).
async fn settled_in_background(
    app: &TestApp,
    tenant: TenantId,
    id: BookingId,
) -> roombook_core::domain::Booking {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let b = app.store.booking(tenant, id).await.unwrap().unwrap();
        if b.status != BookingStatus::Waiting || std::time::Instant::now() > deadline {
            return b;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every `href`, `action`, `src` and `content` attribute value of a page.
fn urls_in(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attribute in ["href=\"", "action=\"", "src=\"", "content=\""] {
        for part in html.split(attribute).skip(1) {
            urls.push(part.split('"').next().unwrap_or_default().to_owned());
        }
    }
    urls
}

const CRAFTED: &str = "Your session has expired. Call IT on 0800 123 456";

fn crafted_query(keys: &[&str]) -> String {
    let value = CRAFTED.replace(' ', "%20");
    keys.iter()
        .map(|key| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_booking_form_keeps_what_was_typed_out_of_every_url() {
    let (app, tenant, _alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    let typed = [
        ("subject", "Salary review for Dana"),
        ("note", "Dana asks for twelve percent"),
        ("attendees", "carol.private@contoso.example"),
    ];
    let (_, html) = bob
        .page(&format!(
            "/book?room={alpha}&date={}&start=10:00&minutes=30&tz=UTC",
            tomorrow()
        ))
        .await;
    let (key, csrf) = (key_in(&html), csrf_in(&html).unwrap());
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("room", alpha.as_str()),
        ("date", "not a date"),
        ("start", "10:00"),
        ("minutes", "30"),
        ("tz", "UTC"),
    ];
    form.extend_from_slice(&typed);
    let response = bob
        .client
        .post(format!("{}/book", bob.address))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        422,
        "the form comes back, no redirect"
    );
    assert!(response.headers().get("location").is_none());
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    // The re-rendered form must hydrate: its policy carries the nonce of its inline scripts.
    let policy = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("the re-rendered form's policy has no nonce: {policy}"))
        .to_owned();
    let page = response.text().await.unwrap();
    for script in page.split("<script").skip(1) {
        let tag = &script[..script.find('>').unwrap_or(0)];
        assert!(
            tag.contains("src=") || tag.contains(&format!("nonce=\"{nonce}\"")),
            "an inline script the policy blocks: <script{tag}>"
        );
    }
    assert!(page.contains("is not a date"), "with the reason: {page}");
    for (_, value) in typed {
        assert!(page.contains(value), "{value} is kept in the form");
        let first_word = value.split(' ').next().unwrap();
        for url in urls_in(&page) {
            assert!(!url.contains(first_word), "{value} in a URL: {url}");
        }
    }
    assert!(
        !page.contains("subject=") && !page.contains("note="),
        "{page}"
    );

    // Just taken: the same, and the offered rooms are buttons of the form, not links.
    let date = tomorrow();
    let (code, to) = book(&bob, &alpha, &date, "14:00", "30", &[]).await;
    assert_eq!(code, 303, "{to}");
    let (_, html) = bob
        .page(&format!(
            "/book?room={alpha}&date={date}&start=14:00&minutes=30&tz=UTC"
        ))
        .await;
    let (key, csrf) = (key_in(&html), csrf_in(&html).unwrap());
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("key", key.as_str()),
        ("room", alpha.as_str()),
        ("date", date.as_str()),
        ("start", "14:00"),
        ("minutes", "30"),
        ("tz", "UTC"),
    ];
    form.extend_from_slice(&typed);
    let (code, page) = submit(&bob, "/book", &form).await;
    assert_eq!(code, 409, "{page}");
    assert!(page.contains("Someone has just booked Alpha"), "{page}");
    assert!(page.contains("Salary review for Dana"));
    for url in urls_in(&page) {
        assert!(
            !url.contains("Salary") && !url.contains("subject"),
            "in a URL: {url}"
        );
    }
    // "Book Gamma instead" posts the form again with that room.
    let gamma = room_id(&app, tenant, ROOMS[2]).await;
    assert!(
        page.contains(&format!("name=\"instead\" value=\"{gamma}\"")),
        "{page}"
    );
    let fresh_key = key_in(&page);
    assert_ne!(
        fresh_key, key,
        "after 'just taken' the next try is a new booking"
    );
    let mut instead: Vec<(&str, &str)> =
        form.iter().filter(|(k, _)| *k != "key").copied().collect();
    instead.push(("key", &fresh_key));
    instead.push(("instead", &gamma));
    let (code, to) = submit(&bob, "/book", &instead).await;
    assert_eq!(code, 303, "{to}");
    let booked = app
        .store
        .booking(tenant, booking_of(&to))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(booked.room_id.0.to_string(), gamma);
    assert_eq!(booked.subject, "Salary review for Dana");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_show_no_message_written_into_their_url() {
    let (app, tenant, alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    let date = tomorrow();
    let (_, to) = book(&bob, &alpha, &date, "09:00", "30", &[]).await;
    let id = booking_of(&to);
    let query = crafted_query(&["error", "notice", "message", "sign_in_error", "imported"]);
    for (browser, path) in [
        (&bob, format!("/bookings/{id}")),
        (
            &bob,
            format!("/book?room={alpha}&date={date}&start=11:00&minutes=30&taken=1"),
        ),
        (&bob, "/find".to_owned()),
        (&bob, "/day".to_owned()),
        (&bob, "/bookings".to_owned()),
        (&bob, "/signin".to_owned()),
        (&alice, "/admin".to_owned()),
        (&alice, "/admin/connect/online".to_owned()),
        (&alice, "/admin/connect/onprem".to_owned()),
        (&alice, "/admin/connect/status".to_owned()),
        (&alice, "/admin/rooms".to_owned()),
        (&alice, "/admin/people".to_owned()),
    ] {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (code, page) = browser.page(&format!("{path}{sep}{query}")).await;
        assert_eq!(code, 200, "{path}");
        assert!(
            !page.contains("Call IT"),
            "{path} shows text from its URL: {page}"
        );
    }
    // The sign-in page names only its own codes; an unknown one says nothing.
    let (_, page) = app.page(&format!("/signin?{query}")).await;
    assert!(
        !page.contains("Call IT") && !page.contains("role=\"alert\""),
        "{page}"
    );

    // A code that does not fit the booking says nothing: it was not cancelled.
    let page_with = |done: &str| {
        let path = format!("/bookings/{id}?done={done}");
        let bob = &bob;
        async move { bob.page(&path).await }
    };
    let (_, page) = page_with("cancelled").await;
    assert!(!page.contains("The booking is cancelled"), "{page}");

    // A refused change: the reason comes once, from the server, and nothing goes in the URL.
    let (code, to) = change(&bob, id, &date, "9 o'clock", "30").await;
    assert_eq!(
        (code, to.as_deref()),
        (303, Some(format!("/bookings/{id}").as_str()))
    );
    let (_, page) = bob.page(&format!("/bookings/{id}")).await;
    assert!(page.contains("is not a time"), "{page}");
    assert!(
        page.contains("value=\"9 o&#x27;clock\"") || page.contains("9 o'clock"),
        "kept"
    );
    let (_, again) = bob.page(&format!("/bookings/{id}")).await;
    assert!(!again.contains("is not a time"), "shown once");
    // Cancelled: "cancelled" fits, "changed" does not.
    let csrf = bob.csrf().await;
    let (code, to) = bob
        .post(
            &format!("/bookings/{id}/cancel"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(code, 303);
    assert!(to.unwrap().ends_with("?done=cancelled"));
    let (_, page) = page_with("cancelled").await;
    assert!(page.contains("The booking is cancelled"), "{page}");
    let (_, page) = page_with("changed").await;
    assert!(!page.contains("The new time was sent"), "{page}");

    // An admin's refused form: the sentence is shown from the flash, once.
    let csrf = alice.csrf().await;
    let (code, _) = alice
        .post(
            &format!("/admin/rooms/{alpha}"),
            &[("csrf", &csrf), ("capacity", "lots")],
        )
        .await;
    assert_eq!(code, 303);
    let (_, page) = alice.page("/admin/rooms").await;
    assert!(page.contains("data-testid=\"room-error\""), "{page}");
    let (_, again) = alice.page("/admin/rooms").await;
    assert!(!again.contains("data-testid=\"room-error\""), "shown once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_moved_in_outlook_since_is_not_overwritten_by_a_change() {
    use roombook_ews::operations::{ConflictResolution, SendUpdates, UpdateMeeting};
    use roombook_ews::types::ItemId;
    let (app, tenant, _alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let date = tomorrow();
    let day = NaiveDate::parse_from_str(&date, "%Y-%m-%d").unwrap();
    let at = |h: u32| Utc.from_utc_datetime(&day.and_hms_opt(h, 0, 0).unwrap());
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    let (code, to) = book(
        &bob,
        &alpha,
        &date,
        "10:00",
        "60",
        &[("subject", "Planning")],
    )
    .await;
    assert_eq!(code, 303, "{to}");
    let id = booking_of(&to);
    let booking = app.store.booking(tenant, id).await.unwrap().unwrap();
    assert_eq!(booking.status, BookingStatus::Accepted);

    // Bob moves it to 13:00 in Outlook (straight to Exchange, not through Roombook).
    let ews = EwsClient::new(
        ClientConfig::new(app.sim().ews_url()),
        StaticCredentials(Credentials::Basic {
            username: SERVICE_ACCOUNT.into(),
            password: roombook_ews::Secret::new(SERVICE_PASSWORD.to_owned()),
        }),
    )
    .unwrap();
    ews.call(
        Some(&ConnectingSid::PrimarySmtpAddress(EMPLOYEE.into())),
        &UpdateMeeting {
            item: ItemId::new(booking.item_id.clone().expect("item id")),
            start: Some(at(13)),
            end: Some(at(14)),
            send: SendUpdates::SendToAllAndSaveCopy,
            conflict: ConflictResolution::AlwaysOverwrite,
            ..UpdateMeeting::default()
        },
    )
    .await
    .expect("Outlook's move");

    // Then asks Roombook for 11:00: refused, and Outlook's time stays.
    let (code, _) = change(&bob, id, &date, "11:00", "60").await;
    assert_eq!(code, 303, "back to the booking with the reason");
    let (_, page) = bob.page(&format!("/bookings/{id}")).await;
    assert!(page.contains("changed in Outlook"), "{page}");
    let organiser = live_items(&app, EMPLOYEE);
    assert_eq!(organiser.len(), 1);
    assert_eq!(
        (organiser[0].start, organiser[0].end),
        (at(13), at(14)),
        "Outlook's change is not overwritten"
    );

    // A change right after the room's answer (only the answer changed the key) still works.
    let (code, to) = book(&bob, &alpha, &date, "16:00", "30", &[("subject", "Later")]).await;
    assert_eq!(code, 303, "{to}");
    let second = booking_of(&to);
    let (code, to_changed) = change(&bob, second, &date, "17:00", "30").await;
    assert_eq!(code, 303);
    assert!(to_changed.unwrap().ends_with("done=changed"));
    let moved = app.store.booking(tenant, second).await.unwrap().unwrap();
    assert_eq!(moved.start, at(17));
}

/// A name that matches several people comes back as a choice (radio buttons: no JavaScript
/// needed), and the chosen address books.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ambiguous_attendee_is_picked_from_the_matches() {
    let seed = seed()
        .user(User::new("ada.okafor@contoso.example", "Ada Okafor"))
        .user(User::new("ben.okafor@contoso.example", "Ben Okafor"));
    let (app, tenant, _alice) = connected(seed).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let alpha = room_id(&app, tenant, ROOMS[0]).await;
    let date = tomorrow();
    let (code, page) = book(
        &bob,
        &alpha,
        &date,
        "16:00",
        "30",
        &[("subject", "Review"), ("attendees", "Okafor")],
    )
    .await;
    assert_eq!(code, 422, "{page}");
    assert!(page.contains("“Okafor” matches 2 people"), "{page}");
    assert!(page.contains("data-testid=\"attendee-picks\""), "{page}");
    assert!(
        page.contains("value=\"ben.okafor@contoso.example\"")
            && page.contains("Ada Okafor &lt;ada.okafor@contoso.example&gt;"),
        "{page}"
    );
    assert!(page.contains("Review"), "the subject is kept");
    let (code, to) = book(
        &bob,
        &alpha,
        &date,
        "16:00",
        "30",
        &[
            ("subject", "Review"),
            ("attendees", "Okafor"),
            ("pick", "ben.okafor@contoso.example"),
            ("pick_for", "Okafor"),
        ],
    )
    .await;
    assert_eq!(code, 303, "{to}");
    let booking = app
        .store
        .booking(tenant, booking_of(&to))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        booking.attendees,
        vec!["ben.okafor@contoso.example".to_owned()]
    );
}
