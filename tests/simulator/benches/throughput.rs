//! EWS calls per second against an in-process simulator, with schema validation on.
//!
//! `cargo bench -p roombook-simulator --bench throughput` (optionally `-- SECONDS CONCURRENCY`).
//! Client and server share the machine, so the figure is a lower bound for the server.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use roombook_simulator::demo::{self, DEMO_SERVICE_ACCOUNT, DEMO_SERVICE_PASSWORD};
use roombook_simulator::{Simulator, SimulatorConfig};

const GET_FOLDER: &str = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header><t:RequestServerVersion Version="Exchange2013"/><t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>ROOM</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></soap:Header><soap:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder></soap:Body></soap:Envelope>"#;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let concurrency: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(32);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(seconds, concurrency));
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
    let url = sim.ews_url();
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    let started = Instant::now();
    for worker in 0..concurrency {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .expect("client");
        let body_template = GET_FOLDER.to_string();
        let room = rooms[worker * 97 % rooms.len()].clone();
        let (url, done, failed, stop) = (url.clone(), done.clone(), failed.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let body = body_template.replace("ROOM", &room);
            while !stop.load(Ordering::Relaxed) {
                let response = client
                    .post(&url)
                    .basic_auth(DEMO_SERVICE_ACCOUNT, Some(DEMO_SERVICE_PASSWORD))
                    .header("X-AnchorMailbox", &room)
                    .header("content-type", "text/xml; charset=utf-8")
                    .body(body.clone())
                    .send()
                    .await;
                match response {
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
    let elapsed = started.elapsed().as_secs_f64();
    let ok = done.load(Ordering::Relaxed);
    println!(
        "GetFolder (impersonated, schema-validated): {ok} calls in {elapsed:.1}s = {:.0} calls/s with {concurrency} connections; {} failed",
        ok as f64 / elapsed,
        failed.load(Ordering::Relaxed)
    );
    println!(
        "inspector counted {} GetFolder calls",
        sim.inspect().calls("GetFolder")
    );
}
