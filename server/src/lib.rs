//! The Roombook server. `main.rs` calls [`cli::main`], which reads the
//! configuration and calls [`startup::build`].

pub mod admin;
pub mod auth;
pub mod booking_routes;
pub mod cli;
pub mod config;
pub mod context;
pub mod error;
pub mod exchange;
pub mod onboarding;
pub mod routes;
pub mod security;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod words;
