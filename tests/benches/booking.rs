//! The finder and the day grid for 500 rooms against Exchange with 100 ms latency.
//!
//! `cargo bench -p roombook-tests --bench booking` (optionally `-- RUNS`).
//!
//! The app (release build, SQLite) and the simulated Exchange run in this process; every EWS
//! answer waits 100 ms. Reported per page: the median and slowest answer time over the runs,
//! and the EWS calls each answer made. Beside them, as the baseline: one GetUserAvailability
//! call for 100 rooms (the floor: one round trip), and the five calls for 500 rooms sent one
//! after another (what the grid would cost without concurrent batches). The target is under
//! 400 ms for the day grid. The day grid shows a page of rooms (`GRID_PAGE_ROOMS`) and asks
//! Exchange about those only.
//!
//! `cargo test --all-targets` runs this as a smoke test (one run, 60 rooms, no latency).

use std::time::{Duration, Instant};

use roombook_ews::{
    ClientConfig, ConnectingSid, Credentials, EwsClient, StaticCredentials,
    operations::{FreeBusyViewKind, GetUserAvailability, MailboxRequest},
};
use roombook_simulator::{MailboxScope, ServiceAccount};
use roombook_tests::{
    ExchangeOptions, TestOptions,
    exchange::{SERVICE_ACCOUNT, SERVICE_PASSWORD},
    spawn_app_with,
};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if benchmarking { 10 } else { 1 });
    let (rooms, latency) = if benchmarking {
        (500, Duration::from_millis(100))
    } else {
        (60, Duration::ZERO)
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run(rooms, latency, runs));
}

async fn run(rooms: usize, latency: Duration, runs: usize) {
    let seed = roombook_simulator::demo::tenant(20, rooms).service_account(
        ServiceAccount::new(SERVICE_ACCOUNT, SERVICE_PASSWORD)
            .with_impersonation(MailboxScope::All),
    );
    let mut seed = seed;
    // The first person runs the directory, so their sign-in may set the organisation up.
    seed.users[0]
        .directory_roles
        .push(roombook_simulator::GLOBAL_ADMINISTRATOR.into());
    let person = seed.users[0].address.clone();
    let addresses: Vec<String> = seed.rooms.iter().map(|r| r.address.clone()).collect();
    let app = spawn_app_with(TestOptions {
        exchange: Some(ExchangeOptions {
            seed,
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    let browser = app.sign_in(&person).await;
    let (code, to) = browser
        .connect_exchange_server(&app.sim().ews_url(), &person, false)
        .await;
    assert_eq!((code, to.as_deref()), (303, Some("/admin/connect/status")));
    let tenant = app.organisation().await;
    assert_eq!(app.store.all_rooms(tenant).await.unwrap().len(), rooms);
    let date = roombook_tests::tomorrow();
    app.sim().faults().set_latency(latency);
    let inspect = app.sim().inspect();

    let mut report = Vec::new();
    for (name, path) in [
        ("day grid", format!("/day?date={date}&tz=UTC")),
        (
            "finder",
            format!("/find?date={date}&start=10:00&minutes=60&tz=UTC"),
        ),
    ] {
        let (code, _) = browser.page(&path).await; // warm-up
        assert_eq!(code, 200);
        let mut times = Vec::new();
        let mut calls = 0;
        for _ in 0..runs {
            inspect.reset_counts();
            let started = Instant::now();
            let (code, html) = browser.page(&path).await;
            times.push(started.elapsed());
            calls = inspect.total_requests();
            assert_eq!(code, 200);
            if name == "day grid" {
                assert_eq!(
                    html.matches("<th scope=\"row\"").count(),
                    rooms.min(roombook_core::booking::GRID_PAGE_ROOMS),
                    "a page of rooms, a row each"
                );
            } else {
                assert!(html.contains("data-testid=\"free-rooms\""), "{html}");
            }
        }
        report.push((
            name,
            median(times.clone()),
            *times.iter().max().unwrap(),
            calls,
        ));
    }

    // The baseline beside it: the same simulator, one call of 100 rooms, and five in a row.
    let ews = EwsClient::new(
        ClientConfig::new(app.sim().ews_url()),
        StaticCredentials(Credentials::Basic {
            username: SERVICE_ACCOUNT.into(),
            password: roombook_ews::Secret::new(SERVICE_PASSWORD.to_owned()),
        }),
    )
    .expect("client");
    let who = ConnectingSid::PrimarySmtpAddress(person.clone());
    let day = chrono::Utc::now() + chrono::Duration::days(1);
    let requests: Vec<MailboxRequest> = addresses
        .iter()
        .map(|a| MailboxRequest::room(a.as_str()))
        .collect();
    let (mut one, mut serial) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let mut first = GetUserAvailability::new(
            requests.iter().take(100).cloned().collect(),
            day,
            day + chrono::Duration::hours(12),
        );
        first.view = FreeBusyViewKind::FreeBusy;
        ews.call(Some(&who), &first).await.expect("availability");
        one.push(started.elapsed());
        let started = Instant::now();
        for batch in GetUserAvailability::batched(
            &requests,
            day,
            day + chrono::Duration::hours(12),
            FreeBusyViewKind::FreeBusy,
        ) {
            ews.call(Some(&who), &batch).await.expect("availability");
        }
        serial.push(started.elapsed());
    }
    let floor = median(one);
    let serial = median(serial);
    println!(
        "{rooms} rooms, EWS latency {}, {runs} runs (release build; app, simulator and client on this machine)",
        ms(latency)
    );
    println!(
        "{:<12} {:>8} {:>8} {:>10} {:>14}",
        "page", "median", "slowest", "EWS calls", "÷ one call"
    );
    for (name, median, max, calls) in &report {
        println!(
            "{name:<12} {:>8} {:>8} {calls:>10} {:>13.2}x",
            ms(*median),
            ms(*max),
            median.as_secs_f64() / floor.as_secs_f64()
        );
    }
    println!(
        "baseline: one GetUserAvailability (100 rooms) {}; {} calls in a row for all rooms {}",
        ms(floor),
        rooms.div_ceil(100),
        ms(serial)
    );
    app.shutdown().await;
}
