//! Exchange Web Services client for Roombook. See the crate README.
//!
//! Layers, bottom up:
//! - [`xml`]: escaping writer and namespace-aware reader;
//! - [`soap`]: the generic [`soap::Envelope`] and response/fault parsing;
//! - [`operations`]: one module per EWS operation, each an [`operations::Operation`];
//! - [`error`]: typed errors, every schema [`ResponseCode`], and an [`ErrorClass`] per error.

pub mod error;
pub mod operations;
mod response_code;
pub mod soap;
pub mod types;
pub mod xml;

pub use error::{AuthError, Error, ErrorClass, ResponseClass, ResponseError, SoapFault};
pub use operations::Operation;
pub use response_code::ResponseCode;
pub use soap::{ConnectingSid, Envelope, ExchangeVersion, RequestHeader};
