//! Serves the app for the browser tests: `spawn_app()` with the built site, sample rooms in the
//! demo organisation, and a simulated Microsoft tenant (sign-in, Exchange) whose consent takes
//! 3 s to reach Exchange. Prints `listening on http://…` on stdout, then runs until stdin
//! closes or Ctrl-C. Lines on stdin switch the simulator's faults:
//! `expire-password on|off`, `block-app on|off`.
//!
//! Usage: fixture-server SITE_ROOT

use std::time::Duration;

use roombook_tests::{ExchangeOptions, TestOptions, exchange, spawn_app_with};
use tokio::io::AsyncBufReadExt;

#[tokio::main]
async fn main() {
    let site_root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/site".into());
    let app = spawn_app_with(TestOptions {
        site_root: Some(site_root.into()),
        exchange: Some(ExchangeOptions {
            consent_delay: Duration::from_secs(3),
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    app.add_sample_rooms().await;
    println!("listening on {}", app.address);
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(command)) => {
                    let faults = app.sim().faults();
                    match command.trim() {
                        "expire-password on" => faults.expire_password(exchange::SERVICE_ACCOUNT, true),
                        "expire-password off" => faults.expire_password(exchange::SERVICE_ACCOUNT, false),
                        "block-app on" => faults.block_app(exchange::APP_ID, true),
                        "block-app off" => faults.block_app(exchange::APP_ID, false),
                        other => eprintln!("fixture-server: unknown command {other:?}"),
                    }
                    println!("ok {}", command.trim());
                }
                _ => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    app.shutdown().await;
}
