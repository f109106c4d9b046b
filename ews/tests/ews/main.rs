//! Integration tests for roombook-ews (one binary; see the modules).

mod client;
mod mock;
mod requests;
mod response_codes;
mod responses;
