#![doc = include_str!("../README.md")]
//!
//! # Modules
//!
//! Layers, bottom up:
//! - [`xml`]: escaping writer and namespace-aware reader;
//! - [`soap`]: the generic [`soap::Envelope`] and response/fault parsing;
//! - [`operations`]: one module per EWS operation, each an [`operations::Operation`];
//! - [`error`]: typed errors, every schema [`ResponseCode`], and an [`ErrorClass`] per error;
//! - [`client`]: the reqwest transport (retries, throttling, concurrency limit);
//! - [`http`]: bodies read with a cap on their decompressed size, server-given waits clamped;
//! - [`auth`]: [`Secret`], [`Credentials`], [`CredentialProvider`];
//! - [`oauth`]: app-only OAuth with a certificate (client assertion JWT, token cache);
//! - [`autodiscover`]: finding the EWS URL (Autodiscover v2 JSON, then POX, then DNS SRV).

pub mod auth;
pub mod autodiscover;
pub mod client;
pub mod error;
pub mod http;
pub mod oauth;
mod operation;
pub mod operations;
mod response_code;
pub mod soap;
pub mod types;
pub mod xml;

pub use auth::{BasicAuth, CredentialProvider, Credentials, Secret, StaticCredentials};
pub use client::{ClientConfig, EwsClient, RetryPolicy};
pub use error::{AuthError, Error, ErrorClass, ResponseClass, ResponseError, SoapFault};
pub use operations::Operation;
pub use response_code::ResponseCode;
pub use soap::{ConnectingSid, Envelope, ExchangeVersion, RequestHeader};
