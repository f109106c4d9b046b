//! Roombook's integration tests: one binary, one harness (`roombook_tests::spawn_app`).

mod architecture;
mod booking;
mod capture;
mod cli;
mod crash;
mod health;
mod limits;
mod load;
mod onboarding;
mod pages;
mod process;
mod security;
mod storage;
