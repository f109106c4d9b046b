//! `roombook-simulator`: the demo tenant (or a large one) on a fixed port, printing its URLs.
//!
//! Usage: `roombook-simulator [--port N] [--bind ADDR] [--rooms N --people N] [--no-schema]`

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use roombook_simulator::demo::{self, DEMO_SERVICE_ACCOUNT, DEMO_SERVICE_PASSWORD};
use roombook_simulator::{Simulator, SimulatorConfig};

struct Args {
    bind: IpAddr,
    port: u16,
    rooms: Option<usize>,
    people: usize,
    validate_schema: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        bind: IpAddr::from([127, 0, 0, 1]),
        port: 7070,
        rooms: None,
        people: 200,
        validate_schema: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--port" => {
                args.port = value("--port")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--bind" => {
                args.bind = value("--bind")?
                    .parse()
                    .map_err(|e| format!("--bind: {e}"))?
            }
            "--rooms" => {
                args.rooms = Some(
                    value("--rooms")?
                        .parse()
                        .map_err(|e| format!("--rooms: {e}"))?,
                )
            }
            "--people" => {
                args.people = value("--people")?
                    .parse()
                    .map_err(|e| format!("--people: {e}"))?
            }
            "--no-schema" => args.validate_schema = false,
            "-h" | "--help" => {
                return Err("usage: roombook-simulator [--port N] [--bind ADDR] [--rooms N --people N] [--no-schema]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let seed = match args.rooms {
        Some(rooms) => demo::tenant(args.people, rooms),
        None => demo::demo_seed(chrono::Utc::now()),
    };
    let (rooms, people, meetings) = (seed.rooms.len(), seed.users.len(), seed.meetings.len());
    let mut config = SimulatorConfig::new(seed);
    config.bind = SocketAddr::new(args.bind, args.port);
    config.validate_schema = args.validate_schema;
    let sim = match Simulator::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("roombook-simulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "roombook-simulator: tenant {} ({rooms} rooms, {people} people, {meetings} seeded meetings) ready in {:.2?}",
        sim.tenant_id(),
        started.elapsed()
    );
    println!("  EWS:            {}", sim.ews_url());
    println!("  Basic auth:     {DEMO_SERVICE_ACCOUNT} / {DEMO_SERVICE_PASSWORD}");
    println!("  Health:         {}/health", sim.base_url());
    let _ = tokio::signal::ctrl_c().await;
    sim.shutdown().await;
    ExitCode::SUCCESS
}
