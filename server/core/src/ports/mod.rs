//! What the use cases need from outside, as traits: the database ([`storage`]) and the
//! organisation's calendar server ([`calendar`]). Adapters implement them (`roombook-store`,
//! the server's EWS adapter; a Microsoft Graph adapter would be one more).

pub mod calendar;
pub mod storage;
