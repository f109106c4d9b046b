//! What every EWS operation is to the envelope and the transport: its name, whether it may be
//! resent, how its request is written and its response read. Its own module, below both
//! `soap` (which frames any operation) and `operations` (which implement it).

use crate::error::Error;
use crate::xml::{Element, XmlWriter};

/// Whether the transport may resend a request after an ambiguous failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetrySafety {
    /// Reading, or an update that converges: safe to resend.
    Idempotent,
    /// May have created or sent something (CreateItem, cancellations): resent only when the
    /// server proved it did not run it (throttling answers, connection refused).
    NotIdempotent,
}

/// An EWS operation: request body, response type, and how to parse it.
pub trait Operation {
    /// SOAPAction / request element local name, e.g. `GetFolder`.
    const NAME: &'static str;
    /// Retry policy for the transport.
    const RETRY: RetrySafety = RetrySafety::Idempotent;
    /// What a successful call returns.
    type Response;
    /// Writes the request element (`m:…`) into the body.
    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error>;
    /// Parses the first element of the response body.
    fn parse_response(body: &Element) -> Result<Self::Response, Error>;

    /// An optional streaming parser of the complete response document, for operations whose
    /// responses are large (it skips building the element tree). `Some` must be exactly what
    /// the tree path ([`crate::soap::parse_response_tree`]) returns, and may only be given for
    /// a well-formed document that parses without error and in which no `ResponseCode` says
    /// `ErrorServerBusy`. For anything else (faults, errors, throttling, oddities) it returns
    /// `None` and the tree path decides. The default has no streaming parser.
    fn parse_streaming(bytes: &[u8]) -> Option<Self::Response> {
        let _ = bytes;
        None
    }
}
