//! Integration tests for roombook-ews (one binary; see the modules).

mod requests;
mod response_codes;
mod responses;
