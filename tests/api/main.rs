//! Roombook's integration tests: one binary, one harness (`roombook_tests::spawn_app`).

mod cli;
mod health;
mod pages;
mod storage;
