//! Integration tests for roombook-ews (one binary; see the modules).

mod autodiscover;
mod availability_stream;
mod client;
mod fixtures;
mod limits;
mod mock;
mod oauth;
mod requests;
mod response_codes;
mod responses;
mod roundtrip;
mod simulator;
mod tls_mock;
