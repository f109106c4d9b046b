//! No request pins a worker: days that have no local times (a zone that moved across the date
//! line skipped them) and dates at the edges of the calendar are answered at once with a
//! sentence, however many arrive together, and the server keeps answering everything else.
//!
//! The server is the real binary in a process of its own: were a request to spin, it would
//! pin that process's workers, and this test would see the timeouts instead of hanging too.

use std::time::{Duration, Instant};

use roombook_simulator::User;
use roombook_tests::{
    Browser,
    exchange::{EMPLOYEE, ROOMS, seed},
};

use crate::booking::{book_form_action, key_in, submit};
use crate::process::ServerProcess;

/// The days that never happened, and the zone each is missing from.
const SKIPPED: [(&str, &str, &str); 2] = [
    (
        "2011-12-30",
        "Pacific/Apia",
        "30 December 2011 does not exist in Pacific/Apia: the country moved across the date line",
    ),
    (
        "1993-08-21",
        "Pacific/Kwajalein",
        "21 August 1993 does not exist in Pacific/Kwajalein: the country moved across the date line",
    ),
];

/// How many people send the burst (each sends `PER_PERSON`): spread over people, as clicks on
/// a shared link would be.
const PEOPLE: usize = 10;
const PER_PERSON: usize = 5;

fn person(i: usize) -> String {
    format!("person{i}@contoso.example")
}

/// The tests' tenant with `PEOPLE` more employees.
fn with_people(mut seed: roombook_simulator::TenantSeed) -> roombook_simulator::TenantSeed {
    for i in 0..PEOPLE {
        seed = seed.user(User::new(&person(i), &format!("Person {i}")));
    }
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_requests_for_days_that_never_happened_answer_at_once_and_health_stays_up() {
    let mut server = ServerProcess::prepare(with_people(seed())).await;
    server.start().await;
    let store = server.store().await;
    // Connected, so the grid gets as far as reading the day (it does not stop at "not
    // connected").
    let _ = server.connect(store.as_ref()).await;
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        people.push(server.sign_in(&format!("person{i}@contoso.example")).await);
    }
    // Each person's client gives up after 5 s: a request spinning on the server shows as a
    // failure here, not as a stuck test.
    let people: Vec<reqwest::Client> = people.into_iter().map(|b: Browser| b.client).collect();
    let fast = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let burst_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // /healthz, asked every 20 ms while the burst runs: the slowest answer is kept.
    let health = {
        let (client, url, done) = (
            fast.clone(),
            format!("{}/healthz", server.address),
            burst_done.clone(),
        );
        tokio::spawn(async move {
            let (mut slowest, mut answers) = (Duration::ZERO, 0u32);
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let at = Instant::now();
                let r = tokio::time::timeout(Duration::from_secs(5), client.get(&url).send()).await;
                assert!(
                    matches!(&r, Ok(Ok(r)) if r.status().is_success()),
                    "/healthz did not answer during the burst: {r:?}"
                );
                slowest = slowest.max(at.elapsed());
                answers += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (slowest, answers)
        })
    };
    let started = Instant::now();
    let mut requests = Vec::new();
    for n in 0..PEOPLE * PER_PERSON {
        let client = people[n % PEOPLE].clone();
        let (date, zone, sentence) = SKIPPED[n % SKIPPED.len()];
        let url = format!("{}/day?date={date}&tz={zone}", server.address);
        requests.push(tokio::spawn(async move {
            let at = Instant::now();
            let r = tokio::time::timeout(Duration::from_secs(5), client.get(&url).send()).await;
            let page = match r {
                Ok(Ok(r)) => {
                    assert_eq!(r.status().as_u16(), 200, "{url}");
                    r.text().await.expect("the page")
                }
                other => panic!("{url} did not answer within 5 s: {other:?}"),
            };
            let took = at.elapsed();
            assert!(page.contains(sentence), "{url}: {page}");
            took
        }));
    }
    let mut slowest = Duration::ZERO;
    for r in requests {
        slowest = slowest.max(r.await.expect("request task"));
    }
    let all = started.elapsed();
    burst_done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (health_slowest, health_answers) = health.await.expect("health task");
    println!(
        "{} requests for skipped days: all answered in {all:?} (slowest {slowest:?}); \
         /healthz answered {health_answers} times meanwhile, slowest {health_slowest:?}",
        PEOPLE * PER_PERSON
    );
    assert!(all < Duration::from_secs(1), "the burst took {all:?}");
    assert!(health_answers > 0);
    assert!(
        health_slowest < Duration::from_secs(1),
        "/healthz took {health_slowest:?}"
    );
    // The server is still itself: an ordinary day is a grid.
    let page = people[0]
        .get(format!(
            "{}/day?date={}&tz=UTC",
            server.address,
            roombook_tests::tomorrow()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("book Alpha at 12:00"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_out_of_range_are_sentences_in_the_finder_the_grid_and_bookings() {
    let mut server = ServerProcess::prepare(with_people(seed())).await;
    server.start().await;
    let store = server.store().await;
    let (tenant, _alice) = server.connect(store.as_ref()).await;
    let bob = server.sign_in(EMPLOYEE).await;
    // The searches are spread over people, each well within a person's allowance of
    // searches at once.
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        people.push(server.sign_in(&person(i)).await);
    }
    let mut searcher = people.iter().cycle();
    let alpha = store
        .all_rooms(tenant)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.email == ROOMS[0])
        .unwrap()
        .id
        .to_string();
    let outside = "is outside the dates Roombook works with";
    let far_ahead = (chrono::Utc::now() + chrono::Duration::days(1200))
        .format("%Y-%m-%d")
        .to_string();
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(400))
        .format("%Y-%m-%d")
        .to_string();
    for date in [
        "0001-01-01",
        "9999-12-31",
        far_ahead.as_str(),
        long_ago.as_str(),
    ] {
        for zone in ["UTC", "Pacific/Kiritimati", "Etc/GMT+12"] {
            let tz = roombook_tests::url_encode(zone);
            let (code, page) = searcher
                .next()
                .unwrap()
                .page(&format!("/day?date={date}&tz={tz}"))
                .await;
            assert_eq!(code, 200, "{date} {zone}");
            assert!(page.contains(outside), "/day {date} {zone}: {page}");
            let (code, page) = searcher
                .next()
                .unwrap()
                .page(&format!("/find?date={date}&start=10:00&minutes=30&tz={tz}"))
                .await;
            assert_eq!(code, 200, "{date} {zone}");
            assert!(page.contains(outside), "/find {date} {zone}: {page}");
        }
    }
    // Dates chrono can barely hold, or not at all: a sentence, never a 500 or a hang.
    for date in [
        "262143-12-31",
        "+262144-01-01",
        "-262144-01-01",
        "0000-01-01",
    ] {
        let (code, page) = searcher
            .next()
            .unwrap()
            .page(&format!("/day?date={date}&tz=UTC"))
            .await;
        assert_eq!(code, 200, "{date}: {page}");
        assert!(
            page.contains(outside) || page.contains("is not a date"),
            "{date}: {page}"
        );
    }
    // Booking on such dates: the form comes back with the sentence, nothing is sent.
    let tomorrow = roombook_tests::tomorrow();
    let (code, html) = bob
        .page(&format!(
            "/book?room={alpha}&date={tomorrow}&start=10:00&minutes=30&tz=UTC"
        ))
        .await;
    assert_eq!(code, 200, "{html}");
    let (key, csrf) = (
        key_in(&html),
        roombook_tests::exchange::csrf_in(&html).unwrap(),
    );
    let action = book_form_action(&html);
    let form = |date: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("key", key.clone()),
            ("room", alpha.clone()),
            ("date", date.to_owned()),
            ("start", "10:00".to_owned()),
            ("minutes", "30".to_owned()),
            ("tz", "Pacific/Kiritimati".to_owned()),
        ]
    };
    for date in ["9999-12-31", far_ahead.as_str(), "0001-01-01"] {
        let fields = form(date);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (code, page) = submit(&bob, &action, &fields).await;
        assert_eq!(code, 422, "{date}: {page}");
        assert!(page.contains(outside), "{date}: {page}");
    }
    assert_eq!(server.sim.inspect().calls("CreateItem"), 0, "nothing sent");
    // A booking made, then moved to such dates: refused with the sentence, left where it was.
    let mut fields = form("");
    fields[3].1 = tomorrow.clone();
    fields[6].1 = "UTC".into();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, to) = submit(&bob, &action, &fields).await;
    assert_eq!(code, 303, "{to}");
    let id = crate::booking::booking_of(&to);
    let before = store.booking(tenant, id).await.unwrap().unwrap();
    for date in ["9999-12-31", far_ahead.as_str(), "0001-01-01"] {
        let (code, back) = bob
            .post(
                &format!("/bookings/{id}/change"),
                &[
                    ("csrf", &csrf),
                    ("date", date),
                    ("start", "10:00"),
                    ("minutes", "30"),
                    ("tz", "Etc/GMT+12"),
                ],
            )
            .await;
        assert_eq!((code, back.as_deref()), (303, Some(to.as_str())), "{date}");
        let (_, page) = bob.page(&to).await;
        assert!(page.contains(outside), "{date}: {page}");
        let after = store.booking(tenant, id).await.unwrap().unwrap();
        assert_eq!((after.start, after.end), (before.start, before.end));
    }
    assert_eq!(server.sim.inspect().calls("UpdateItem"), 0, "nothing moved");
    let r = bob.get("/healthz").await;
    assert!(r.status().is_success(), "{}", server.log());
}

/// A loopback "identity provider" whose discovery document is fine and whose keys, or whose
/// discovery document itself, is a gzip bomb (a few MB that gunzip to 1 GiB).
async fn bomb_provider(bomb: std::sync::Arc<Vec<u8>>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn({
        let base = base.clone();
        async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let bomb = bomb.clone();
                let base = base.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).to_string();
                    let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                    if path == "/keys-bomb/.well-known/openid-configuration" {
                        let body = format!(
                            r#"{{"issuer":"{base}/keys-bomb","authorization_endpoint":"{base}/keys-bomb/authorize","token_endpoint":"{base}/keys-bomb/token","jwks_uri":"{base}/keys-bomb/keys"}}"#
                        );
                        let _ = socket
                            .write_all(
                                format!(
                                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                                    body.len()
                                )
                                .as_bytes(),
                            )
                            .await;
                    } else {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            bomb.len()
                        );
                        let _ = socket.write_all(head.as_bytes()).await;
                        let _ = socket.write_all(&bomb).await;
                    }
                });
            }
        }
    });
    base
}

/// An organisation's own provider answering with gzip bombs (its discovery document, its
/// keys) is refused with a sentence, and the server's memory stays flat: bodies are capped
/// at 1 MiB after decompression. Measured on the real binary's /proc status.
#[tokio::test]
async fn gzip_bombs_from_an_organisations_provider_are_refused_and_memory_stays_flat() {
    use std::io::Write;
    let bomb = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 4 << 20];
        for _ in 0..256 {
            gz.write_all(&zeros).unwrap();
        }
        std::sync::Arc::new(gz.finish().unwrap())
    };
    let mut server = ServerProcess::prepare(seed()).await;
    server.start().await;
    let admin = server.sign_in(roombook_tests::exchange::ADMIN).await;
    let base = bomb_provider(bomb.clone()).await;
    let (rss_before, peak_before) = server.memory();
    for issuer in [
        format!("{base}/discovery-bomb"),
        format!("{base}/keys-bomb"),
    ] {
        let csrf = admin.csrf().await;
        let (_, to) = admin
            .post(
                "/admin/sign-in",
                &[
                    ("csrf", csrf.as_str()),
                    ("issuer", &issuer),
                    ("client_id", roombook_tests::exchange::APP_ID),
                ],
            )
            .await;
        let to = to.expect("back to the form");
        assert!(!to.contains("sign_in_saved"), "{issuer}: {to}");
        let (_, page) = admin.page(&to).await;
        assert!(page.contains("Roombook could not use"), "{issuer}: {page}");
    }
    let (rss_after, peak_after) = server.memory();
    let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
    println!(
        "OIDC gzip bombs ({} bytes, 1 GiB decompressed): server VmRSS {:.1} -> {:.1} MiB, VmHWM {:.1} -> {:.1} MiB",
        bomb.len(),
        mib(rss_before),
        mib(rss_after),
        mib(peak_before),
        mib(peak_after)
    );
    assert!(
        peak_after < peak_before + (64 << 20),
        "the peak grew by {:.1} MiB",
        mib(peak_after - peak_before)
    );
}
