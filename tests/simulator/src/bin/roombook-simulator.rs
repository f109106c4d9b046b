//! `roombook-simulator`: the demo tenant (or a large one) on a fixed port, printing its URLs.
//!
//! Usage: `roombook-simulator [--port N] [--https-port N] [--bind ADDR] [--rooms N --people N]
//! [--no-schema] [--redirect-uri URI]... [--app-cert PEM_FILE] [--ca-out FILE]
//! [--consent-delay-ms N]`

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use roombook_simulator::demo::{self, DEMO_SERVICE_ACCOUNT, DEMO_SERVICE_PASSWORD};
use roombook_simulator::{AppRegistration, Simulator, SimulatorConfig};

/// The demo tenant's app registration (client-secret and, with `--app-cert`, certificate
/// credentials).
const DEMO_APP_ID: &str = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346";
const DEMO_APP_SECRET: &str = "demo-app-secret";

struct Args {
    bind: IpAddr,
    port: u16,
    https_port: u16,
    redirect_uris: Vec<String>,
    app_cert: Option<String>,
    ca_out: std::path::PathBuf,
    consent_delay_ms: u64,
    rooms: Option<usize>,
    people: usize,
    validate_schema: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        bind: IpAddr::from([127, 0, 0, 1]),
        port: 7070,
        https_port: 7443,
        redirect_uris: Vec::new(),
        app_cert: None,
        ca_out: std::env::temp_dir().join("roombook-simulator-ca.pem"),
        consent_delay_ms: 0,
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
            "--https-port" => {
                args.https_port = value("--https-port")?
                    .parse()
                    .map_err(|e| format!("--https-port: {e}"))?
            }
            "--redirect-uri" => args.redirect_uris.push(value("--redirect-uri")?),
            "--app-cert" => {
                let path = value("--app-cert")?;
                args.app_cert =
                    Some(std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?);
            }
            "--ca-out" => args.ca_out = value("--ca-out")?.into(),
            "--consent-delay-ms" => {
                args.consent_delay_ms = value("--consent-delay-ms")?
                    .parse()
                    .map_err(|e| format!("--consent-delay-ms: {e}"))?
            }
            "-h" | "--help" => {
                return Err("usage: roombook-simulator [--port N] [--https-port N] [--bind ADDR] [--rooms N --people N] [--no-schema] [--redirect-uri URI]... [--app-cert PEM_FILE] [--ca-out FILE] [--consent-delay-ms N]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let mut seed = match args.rooms {
        Some(rooms) => demo::tenant(args.people, rooms),
        None => demo::demo_seed(chrono::Utc::now()),
    };
    let mut app = AppRegistration::new(DEMO_APP_ID, "Roombook (demo)")
        .with_secret(DEMO_APP_SECRET)
        .with_key_vault_access()
        .consented();
    if args.redirect_uris.is_empty() {
        args.redirect_uris
            .push("http://localhost:3000/auth/callback".into());
    }
    for uri in &args.redirect_uris {
        app = app.with_redirect_uri(uri);
    }
    if let Some(pem) = &args.app_cert {
        app = app.with_certificate(pem);
    }
    seed.apps.push(app);
    let (rooms, people, meetings) = (seed.rooms.len(), seed.users.len(), seed.meetings.len());
    let mut config = SimulatorConfig::new(seed);
    config.bind = SocketAddr::new(args.bind, args.port);
    config.validate_schema = args.validate_schema;
    config.https_bind = SocketAddr::new(args.bind, args.https_port);
    config.consent_delay = std::time::Duration::from_millis(args.consent_delay_ms);
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
    println!("  Entra (http):   {}", sim.authority_url());
    println!("  Entra (https):  {}", sim.https_authority_url());
    println!("  Token URL:      {}", sim.token_url());
    println!(
        "  Demo app:       {DEMO_APP_ID} / secret {DEMO_APP_SECRET} (full_access_as_app consented, Key Vault access)"
    );
    println!("  Key Vault:      {}", sim.key_vault_url("roombook"));
    match std::fs::write(&args.ca_out, sim.ca_certificate_pem()) {
        Ok(()) => println!("  HTTPS CA:       {}", args.ca_out.display()),
        Err(e) => eprintln!("cannot write the CA to {}: {e}", args.ca_out.display()),
    }
    let _ = tokio::signal::ctrl_c().await;
    sim.shutdown().await;
    ExitCode::SUCCESS
}
