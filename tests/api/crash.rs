//! `kill -9` in the middle of a booking: Exchange has made the meeting, its answer is on the
//! way, and the server dies. Started again on the same database, the booking settles by
//! itself (the reconciler looks its UID up), with nobody opening a page, and Exchange holds
//! exactly one meeting for it.

use std::time::{Duration, Instant};

use roombook_core::domain::BookingStatus;
use roombook_simulator::LostAnswer;
use roombook_tests::exchange::{EMPLOYEE, ROOMS, csrf_in, seed};

use crate::booking::{book_form_action, key_in};
use crate::process::ServerProcess;
use roombook_tests::tomorrow;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_in_flight_when_the_server_is_killed_settles_by_itself_after_a_restart() {
    let mut server = ServerProcess::prepare(seed()).await;
    server.start().await;
    let store = server.store().await;
    let (tenant, _alice) = server.connect(store.as_ref()).await;
    let bob = server.sign_in(EMPLOYEE).await;
    let alpha = store
        .all_rooms(tenant)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.email == ROOMS[0])
        .expect("rooms imported")
        .id
        .to_string();
    let date = tomorrow();
    let (code, html) = bob
        .page(&format!(
            "/book?room={alpha}&date={date}&start=10:00&minutes=30&tz=UTC"
        ))
        .await;
    assert_eq!(code, 200, "{html}");
    let (key, csrf, action) = (
        key_in(&html),
        csrf_in(&html).unwrap(),
        book_form_action(&html),
    );

    // Exchange carries CreateItem out and holds its answer back far longer than this test.
    server
        .sim
        .faults()
        .lose_answer("CreateItem", LostAnswer::Delay(Duration::from_secs(120)));
    let submitting = {
        let (client, url) = (bob.client.clone(), format!("{}{action}", server.address));
        let form: Vec<(String, String)> = [
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("room", alpha.as_str()),
            ("date", date.as_str()),
            ("start", "10:00"),
            ("minutes", "30"),
            ("tz", "UTC"),
            ("subject", "Survives a crash"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        tokio::spawn(async move { client.post(url).form(&form).send().await })
    };
    // The meeting is in Exchange and the request is still waiting for its answer.
    let deadline = Instant::now() + Duration::from_secs(30);
    let in_room = loop {
        let items: Vec<_> = server
            .sim
            .inspect()
            .calendar(ROOMS[0])
            .into_iter()
            .filter(|i| !i.is_cancelled)
            .collect();
        if !items.is_empty() {
            break items;
        }
        assert!(
            Instant::now() < deadline,
            "never created:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(in_room.len(), 1);
    let uid = in_room[0].uid.clone();
    let booking = store
        .bookings_of(
            tenant,
            store
                .users(tenant)
                .await
                .unwrap()
                .into_iter()
                .find(|u| u.email == EMPLOYEE)
                .unwrap()
                .id,
            chrono::Utc::now(),
        )
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.uid == uid)
        .expect("the booking, claimed before sending");
    assert_eq!(booking.status, BookingStatus::Sending, "in flight");
    assert!(!submitting.is_finished(), "the request is still waiting");

    server.kill_9();
    let answer = submitting.await.expect("request task");
    assert!(
        answer.is_err(),
        "the request died with the server: {answer:?}"
    );
    assert_eq!(
        store
            .booking(tenant, booking.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        BookingStatus::Sending,
        "left as the crash left it"
    );

    // Started again on the same database; nobody opens a page from here on.
    let restarted = Instant::now();
    server.start().await;
    let ready = restarted.elapsed();
    let deadline = Duration::from_secs(90);
    let settled = loop {
        let b = store.booking(tenant, booking.id).await.unwrap().unwrap();
        if !matches!(
            b.status,
            BookingStatus::Sending | BookingStatus::Unknown | BookingStatus::Waiting
        ) {
            break b;
        }
        assert!(
            restarted.elapsed() < deadline,
            "still {:?} {deadline:?} after the restart:\n{}",
            b.status,
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let took = restarted.elapsed();
    println!(
        "killed mid-CreateItem; restarted (ready in {ready:?}); the booking settled as {:?} {took:?} after the restart ({:?} after it was claimed)",
        settled.status,
        (chrono::Utc::now() - booking.created_at)
            .to_std()
            .unwrap_or_default()
    );

    // Exactly one meeting in Exchange, sent once, and the booking is it.
    let live = |mailbox: &str| {
        server
            .sim
            .inspect()
            .calendar(mailbox)
            .into_iter()
            .filter(|i| !i.is_cancelled && i.uid == uid)
            .count()
    };
    assert_eq!(settled.status, BookingStatus::Accepted, "{}", server.log());
    assert_eq!(live(ROOMS[0]), 1, "one meeting in the room");
    assert_eq!(live(EMPLOYEE), 1, "one meeting in the organiser's calendar");
    assert_eq!(
        server.sim.inspect().calls("CreateItem"),
        1,
        "never sent twice"
    );
    assert!(settled.item_id.is_some());
    let inspect = server.sim.inspect();
    assert!(
        inspect.double_bookings().is_empty(),
        "{:?}",
        inspect.double_bookings()
    );
    assert!(inspect.orphans().is_empty(), "{:?}", inspect.orphans());
    // The slot is the booking's: someone else cannot take it.
    let held = store
        .held_slots(tenant, settled.start, settled.end, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    // And the person sees it booked.
    let (_, page) = bob.page(&format!("/bookings/{}", booking.id)).await;
    assert!(page.contains("Survives a crash"), "{page}");
}
