//! Serves the app for the browser tests: `spawn_app()` with the built site, sample rooms in the
//! demo organisation, and a simulated Microsoft tenant (sign-in, Exchange) whose consent takes
//! 3 s to reach Exchange. Prints `listening on http://…` on stdout, then runs until stdin
//! closes or Ctrl-C. Lines on stdin switch the simulator's faults:
//! `expire-password on|off`, `block-app on|off`; `exchange-limits-beta` gives the room Beta a
//! 60-minute limit in Exchange only (its booking attendant declines longer meetings);
//! `roombook-limits-gamma` records a 60-minute limit for Gamma in Roombook (refused before
//! sending); `room-seats` records the three rooms' seats (8, 4, 12), as an admin would.
//!
//! Usage: fixture-server SITE_ROOT

use std::time::Duration;

use roombook_tests::{ExchangeOptions, TestOptions, exchange, spawn_app_with};
use tokio::io::AsyncBufReadExt;

/// What an admin records after importing: Alpha 8 seats, Beta 4, Gamma 12 (Exchange's room
/// lists carry no seat counts).
async fn record_seats(app: &roombook_tests::TestApp) {
    let Ok(Some(tenant)) = app.store.tenant_by_directory(&app.sim().tenant_id()).await else {
        eprintln!("fixture-server: no connected organisation yet");
        return;
    };
    let rooms = app.store.all_rooms(tenant.id).await.unwrap_or_default();
    for (email, seats) in exchange::ROOMS.iter().zip([8, 4, 12]) {
        if let Some(room) = rooms.iter().find(|r| r.email == *email) {
            let settings = roombook_shared::RoomSettings {
                capacity: Some(seats),
                building: room.building.clone(),
                floor: room.floor.clone(),
                ..Default::default()
            };
            if let Err(e) = app
                .store
                .update_room_settings(tenant.id, room.id, &settings)
                .await
            {
                eprintln!("fixture-server: {e}");
            }
        }
    }
}

async fn limit_gamma(app: &roombook_tests::TestApp) {
    let Ok(Some(tenant)) = app.store.tenant_by_directory(&app.sim().tenant_id()).await else {
        eprintln!("fixture-server: no connected organisation yet");
        return;
    };
    let rooms = app.store.all_rooms(tenant.id).await.unwrap_or_default();
    let Some(gamma) = rooms.iter().find(|r| r.email == exchange::ROOMS[2]) else {
        eprintln!("fixture-server: Gamma not imported");
        return;
    };
    let settings = roombook_shared::RoomSettings {
        capacity: gamma.capacity,
        building: gamma.building.clone(),
        floor: gamma.floor.clone(),
        max_duration_minutes: Some(60),
        ..Default::default()
    };
    if let Err(e) = app
        .store
        .update_room_settings(tenant.id, gamma.id, &settings)
        .await
    {
        eprintln!("fixture-server: {e}");
    }
}

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
                        "exchange-limits-beta" => {
                            app.sim().set_booking_policy(
                                exchange::ROOMS[1],
                                roombook_simulator::BookingPolicy {
                                    max_duration_minutes: 60,
                                    ..Default::default()
                                },
                            );
                        }
                        "roombook-limits-gamma" => limit_gamma(&app).await,
                        "room-seats" => record_seats(&app).await,
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
