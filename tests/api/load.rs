//! The load on Exchange and on the secret store is bounded per organisation: one EWS client per
//! connection shares one limit on requests in flight; the service account's password is kept
//! in memory a few minutes, dropped at a refusal, replaced at once by a new one; a person who
//! searches very fast is asked to wait, and nobody else is.

use std::time::Duration;

use roombook_simulator::{MailboxScope, ServiceAccount, TenantSeed, User};
use roombook_tests::{
    Browser, TestApp,
    exchange::{ADMIN, EMPLOYEE, SERVICE_ACCOUNT, csrf_in, seed},
    spawn_connected, tomorrow,
};

const TOO_FAST: &str = "You are searching very fast; wait a few seconds";

/// An app whose organisation is connected with the service account, its rooms imported.
async fn connected(seed: TenantSeed) -> (TestApp, Browser) {
    let (app, _, alice) = spawn_connected(seed, None).await;
    (app, alice)
}

fn people(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("searcher{i:02}@contoso.example"))
        .collect()
}

fn seed_with(people: &[String]) -> TenantSeed {
    people.iter().fold(seed(), |s, p| s.user(User::new(p, p)))
}

/// The day grid, which must show the rooms (free/busy answered).
async fn day_grid(browser: &Browser) -> String {
    let (code, page) = browser
        .page(&format!("/day?date={}&tz=UTC", tomorrow()))
        .await;
    assert_eq!(code, 200, "{page}");
    page
}

async fn sign_in_all(
    app: &roombook_tests::TestApp,
    people: &[String],
) -> Vec<roombook_tests::Browser> {
    let mut browsers = Vec::new();
    for p in people {
        browsers.push(app.sign_in(p).await);
    }
    browsers
}

fn shows_rooms(page: &str) -> bool {
    page.contains("book Alpha at 12:00")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_day_grids_at_once_never_have_more_than_ten_ews_requests_in_flight() {
    let people = people(20);
    let (app, _alice) = connected(seed_with(&people)).await;
    let browsers = sign_in_all(&app, &people).await;
    let inspect = app.sim().inspect();
    // Long enough that the twenty overlap.
    app.sim().faults().set_latency(Duration::from_millis(400));
    inspect.reset_counts();
    let pages = futures_util::future::join_all(browsers.iter().map(day_grid)).await;
    app.sim().faults().set_latency(Duration::ZERO);
    for page in &pages {
        assert!(shows_rooms(page), "{page}");
    }
    let calls = inspect.calls("GetUserAvailability");
    let max = inspect.max_in_flight();
    println!("20 concurrent day grids: {calls} GetUserAvailability calls, at most {max} in flight");
    assert!(
        calls >= 20,
        "one free/busy call per grid at least ({calls})"
    );
    assert!(max <= 10, "{max} EWS requests were in flight at once");
    assert!(max >= 5, "the grids did overlap ({max} at most in flight)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_ews_calls_read_the_secret_store_at_most_once() {
    let people = people(20);
    let (app, _alice) = connected(seed_with(&people)).await;
    let browsers = sign_in_all(&app, &people).await;
    let inspect = app.sim().inspect();
    inspect.reset_counts();
    let reads_before = app.secret_reads();
    // 100 grids, 20 at a time (5 each: within everyone's search allowance).
    for _ in 0..5 {
        let pages = futures_util::future::join_all(browsers.iter().map(day_grid)).await;
        assert!(pages.iter().all(|p| shows_rooms(p)));
    }
    let calls = inspect.total_requests();
    let reads = app.secret_reads() - reads_before;
    println!("{calls} EWS calls read the secret store {reads} times");
    assert!(calls >= 100, "{calls}");
    assert!(
        reads <= 1,
        "{reads} secret-store reads for {calls} EWS calls"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_refusal_the_cached_password_is_dropped() {
    let (app, _alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    assert!(shows_rooms(&day_grid(&bob).await));
    let cached = app.secret_reads();
    assert!(shows_rooms(&day_grid(&bob).await));
    assert_eq!(app.secret_reads(), cached, "the password is kept in memory");

    // Exchange refuses the password (401) once.
    app.sim().faults().expire_password(SERVICE_ACCOUNT, true);
    let refused = day_grid(&bob).await;
    app.sim().faults().expire_password(SERVICE_ACCOUNT, false);
    assert!(!shows_rooms(&refused), "{refused}");
    assert_eq!(
        app.secret_reads(),
        cached,
        "the refused call used the cache"
    );

    // The next call reads the store again instead of trusting the refused password.
    assert!(shows_rooms(&day_grid(&bob).await));
    assert_eq!(app.secret_reads(), cached + 1);
    assert!(shows_rooms(&day_grid(&bob).await));
    assert_eq!(app.secret_reads(), cached + 1, "and keeps it again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_password_is_used_at_once() {
    let (app, alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    assert!(
        shows_rooms(&day_grid(&bob).await),
        "the old password is cached"
    );

    // The password changes in Active Directory; the admin enters the new one.
    const NEW_PASSWORD: &str = "N3w-Horse-Battery-Staple!";
    app.sim().add_service_account(
        ServiceAccount::new(SERVICE_ACCOUNT, NEW_PASSWORD).with_impersonation(MailboxScope::All),
    );
    let (_, html) = alice.page("/admin/connect/onprem").await;
    let csrf = csrf_in(&html).expect("csrf");
    let (code, to) = alice
        .post(
            "/admin/connect/onprem",
            &[
                ("csrf", csrf.as_str()),
                ("ews_url", ""),
                ("username", SERVICE_ACCOUNT),
                ("password", NEW_PASSWORD),
                ("check_address", ADMIN),
            ],
        )
        .await;
    assert_eq!((code, to.as_deref()), (303, Some("/admin/connect/status")));
    let (_, status) = alice.page("/admin/connect/status").await;
    assert!(status.contains("the connection works"), "{status}");

    // Bob's next search uses the new password, not the one cached before.
    let page = day_grid(&bob).await;
    assert!(shows_rooms(&page), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_searching_very_fast_is_asked_to_wait_and_others_are_not() {
    let (app, alice) = connected(seed()).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let date = tomorrow();
    // The allowance (10 at once) goes to the day grid and the finder alike.
    for _ in 0..5 {
        assert!(shows_rooms(&day_grid(&bob).await));
        let (code, page) = bob
            .page(&format!("/find?date={date}&start=12:00&minutes=30&tz=UTC"))
            .await;
        assert_eq!(code, 200);
        assert!(page.contains("3 rooms are free"), "{page}");
    }
    let before = app.sim().inspect().calls("GetUserAvailability");
    let (code, page) = bob.page(&format!("/day?date={date}&tz=UTC")).await;
    assert_eq!(code, 200, "a page with a sentence, not an error page");
    assert!(page.contains(TOO_FAST), "{page}");
    let (_, page) = bob
        .page(&format!("/find?date={date}&start=12:00&minutes=30&tz=UTC"))
        .await;
    assert!(page.contains(TOO_FAST), "{page}");
    // The people search answers with the same sentence.
    let response = bob
        .client
        .post(format!("{}/api/people", app.address))
        .form(&[("text", "Alice")])
        .send()
        .await
        .unwrap();
    let body = response.text().await.unwrap();
    assert!(body.contains(TOO_FAST), "{body}");
    assert_eq!(
        app.sim().inspect().calls("GetUserAvailability"),
        before,
        "a refused search costs Exchange nothing"
    );

    // Alice, searching at the same time, is not affected.
    let page = day_grid(&alice).await;
    assert!(shows_rooms(&page), "{page}");
    assert!(!page.contains(TOO_FAST));
}

/// The day view's HTML, gzip-compressed as the server sends it, for 42 and for 500 rooms: a
/// page of rooms at a time keeps a large organisation's day small (the README reports these).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_day_view_stays_under_150_kb_of_gzip_for_42_and_for_500_rooms() {
    use std::io::Write;
    for rooms in [42, 500] {
        let mut seed = roombook_simulator::demo::tenant(5, rooms).service_account(
            ServiceAccount::new(SERVICE_ACCOUNT, roombook_tests::exchange::SERVICE_PASSWORD)
                .with_impersonation(MailboxScope::All),
        );
        seed.users[0]
            .directory_roles
            .push(roombook_simulator::GLOBAL_ADMINISTRATOR.into());
        let person = seed.users[0].address.clone();
        let app = roombook_tests::spawn_app_with(roombook_tests::TestOptions {
            exchange: Some(roombook_tests::ExchangeOptions {
                seed,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await;
        let browser = app.sign_in(&person).await;
        let (code, _) = browser
            .connect_exchange_server(&app.sim().ews_url(), &person, false)
            .await;
        assert_eq!(code, 303);
        let tenant = app.organisation().await;
        assert_eq!(app.store.all_rooms(tenant).await.unwrap().len(), rooms);
        let (code, html) = browser
            .page(&format!("/day?date={}&tz=UTC", tomorrow()))
            .await;
        assert_eq!(code, 200);
        let shown = html.matches("<th scope=\"row\"").count();
        assert_eq!(shown, rooms.min(roombook_core::booking::GRID_PAGE_ROOMS));
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all(html.as_bytes()).unwrap();
        let compressed = gzip.finish().unwrap().len();
        println!(
            "day view, {rooms} rooms ({shown} on the page): {} KB of HTML, {} KB gzip",
            html.len() / 1024,
            compressed / 1024
        );
        assert!(compressed < 150 * 1024, "{compressed} bytes gzip");
        if rooms > roombook_core::booking::GRID_PAGE_ROOMS {
            assert!(html.contains("Next rooms"), "the next page is offered");
        }
        app.shutdown().await;
    }
}
