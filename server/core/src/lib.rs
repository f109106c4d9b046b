//! Roombook's core: the domain ([`domain`]), the booking use cases ([`booking`]), keeping
//! calendar connections checked and their rooms imported ([`connections`]), the
//! audit-log writer ([`audit`]), per-person search limits ([`search_limit`]), and the ports
//! ([`ports`]) through which all of them reach the database and the calendar server.
//!
//! Nothing here knows HTTP, SQL or EWS: a test in the tests crate reads `cargo metadata` and
//! fails if this crate comes to depend on axum, sqlx, leptos, reqwest, quick-xml or the EWS
//! client. Sentences for people are written at the edge (pages, form handlers), not here.

pub mod audit;
pub mod booking;
pub mod connections;
pub mod domain;
pub mod ports;
pub mod rooms;
pub mod search_limit;

/// An error and its causes on one line (`outer: inner: root`), for logs.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}
