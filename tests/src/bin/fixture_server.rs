//! Serves the app for the browser tests: `spawn_app()` with the built site and sample rooms.
//! Prints `listening on http://…` on stdout, then runs until stdin closes or Ctrl-C.
//!
//! Usage: fixture-server SITE_ROOT

use roombook_tests::{TestOptions, spawn_app_with};
use tokio::io::AsyncReadExt;

#[tokio::main]
async fn main() {
    let site_root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/site".into());
    let app = spawn_app_with(TestOptions {
        site_root: Some(site_root.into()),
        ..Default::default()
    })
    .await;
    app.add_sample_rooms().await;
    println!("listening on {}", app.address);
    let mut stdin = tokio::io::stdin();
    let mut sink = Vec::new();
    tokio::select! {
        _ = stdin.read_to_end(&mut sink) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    app.shutdown().await;
}
