//! The Roombook server. `main.rs` calls [`cli::main`], which reads the
//! configuration and calls [`startup::build`].

pub mod auth;
pub mod cli;
pub mod config;
pub mod http;
pub mod onboarding;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod words;
