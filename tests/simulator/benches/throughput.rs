//! EWS calls per second against an in-process simulator, with schema validation on.
//!
//! `cargo bench -p roombook-simulator --bench throughput` (optionally `-- SECONDS CONCURRENCY`).
//! Client and server share the machine, so the figures are lower bounds for the server.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use roombook_simulator::demo::{self, DEMO_SERVICE_ACCOUNT, DEMO_SERVICE_PASSWORD};
use roombook_simulator::{Simulator, SimulatorConfig};

const ENVELOPE_START: &str = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header><t:RequestServerVersion Version="Exchange2013"/>"#;

fn get_folder(room: &str) -> String {
    format!(
        r#"{ENVELOPE_START}<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{room}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></soap:Header><soap:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder></soap:Body></soap:Envelope>"#
    )
}

/// Detailed free/busy of five rooms over one working day.
fn availability(rooms: &[String], day: chrono::NaiveDate) -> String {
    let zone = "<t:TimeZone><t:Bias>0</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone>";
    let mailboxes: String = rooms
        .iter()
        .map(|r| format!("<t:MailboxData><t:Email><t:Address>{r}</t:Address></t:Email><t:AttendeeType>Room</t:AttendeeType><t:ExcludeConflicts>false</t:ExcludeConflicts></t:MailboxData>"))
        .collect();
    format!(
        r#"{ENVELOPE_START}</soap:Header><soap:Body><m:GetUserAvailabilityRequest>{zone}<m:MailboxDataArray>{mailboxes}</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>{day}T00:00:00</t:StartTime><t:EndTime>{day}T23:59:00</t:EndTime></t:TimeWindow><t:MergedFreeBusyIntervalInMinutes>30</t:MergedFreeBusyIntervalInMinutes><t:RequestedView>DetailedMerged</t:RequestedView></t:FreeBusyViewOptions></m:GetUserAvailabilityRequest></soap:Body></soap:Envelope>"#
    )
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this too, without it,
    // and then a one-second smoke run is enough.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let default_seconds = if benchmarking { 5 } else { 1 };
    let seconds: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_seconds);
    let concurrency: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(32);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(seconds, concurrency));
}

/// Sends the requests (body, X-AnchorMailbox) round-robin from `concurrency` connections for
/// `seconds`; returns (successes, failures, elapsed seconds).
async fn hammer(
    url: &str,
    requests: Vec<(String, Option<String>)>,
    seconds: u64,
    concurrency: usize,
) -> (u64, u64, f64) {
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(requests);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .expect("client");
        let (url, done, failed, stop, requests) = (
            url.to_string(),
            done.clone(),
            failed.clone(),
            stop.clone(),
            requests.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut next = worker * 97;
            while !stop.load(Ordering::Relaxed) {
                let (body, anchor) = &requests[next % requests.len()];
                next += 1;
                let mut request = client
                    .post(&url)
                    .basic_auth(DEMO_SERVICE_ACCOUNT, Some(DEMO_SERVICE_PASSWORD))
                    .header("content-type", "text/xml; charset=utf-8")
                    .body(body.clone());
                if let Some(anchor) = anchor {
                    request = request.header("X-AnchorMailbox", anchor);
                }
                match request.send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    (
        done.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
    )
}

async fn run(seconds: u64, concurrency: usize) {
    // Compile the schema and generate the keys first, so the seeding figure is seeding alone.
    let warm_up = Instant::now();
    drop(
        Simulator::start(SimulatorConfig::new(demo::tenant(1, 1)))
            .await
            .expect("simulator starts"),
    );
    println!(
        "schema compiled and keys generated in {:.2?}",
        warm_up.elapsed()
    );

    let seeding = Instant::now();
    let seed = demo::tenant(1000, 5000);
    let rooms: Vec<String> = seed.rooms.iter().map(|r| r.address.clone()).collect();
    let sim = Simulator::start(SimulatorConfig::new(seed))
        .await
        .expect("simulator starts");
    println!(
        "seeded and started 5000 rooms + 1000 people in {:.2?}",
        seeding.elapsed()
    );
    let requests = rooms
        .iter()
        .map(|room| (get_folder(room), Some(room.clone())))
        .collect();
    let (ok, failed, elapsed) = hammer(&sim.ews_url(), requests, seconds, concurrency).await;
    println!(
        "GetFolder (impersonated, schema-validated, 5000 rooms): {ok} calls in {elapsed:.1}s = {:.0} calls/s with {concurrency} connections; {failed} failed",
        ok as f64 / elapsed
    );
    assert_eq!(failed, 0, "no call may fail");
    assert_eq!(sim.inspect().calls("GetFolder"), ok);
    drop(sim);

    let now = chrono::Utc::now();
    let seeding = Instant::now();
    let seed = demo::demo_seed(now);
    let meetings = seed.meetings.len();
    let rooms: Vec<String> = seed.rooms.iter().map(|r| r.address.clone()).collect();
    let sim = Simulator::start(SimulatorConfig::new(seed))
        .await
        .expect("simulator starts");
    println!(
        "demo tenant with {meetings} meetings booked through the attendant in {:.2?}",
        seeding.elapsed()
    );
    let day = sim
        .inspect()
        .calendar(&rooms[0])
        .first()
        .map(|m| m.start.date_naive())
        .unwrap_or_else(|| now.date_naive());
    let requests = rooms
        .chunks(5)
        .map(|five| (availability(five, day), None))
        .collect();
    let (ok, failed, elapsed) = hammer(&sim.ews_url(), requests, seconds, concurrency).await;
    println!(
        "GetUserAvailability (5 rooms, DetailedMerged, one day): {ok} calls in {elapsed:.1}s = {:.0} calls/s; {failed} failed",
        ok as f64 / elapsed
    );
    assert_eq!(failed, 0, "no call may fail");
}
