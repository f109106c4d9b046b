//! Typed errors and their classification.

use std::fmt;
use std::time::Duration;

use crate::response_code::ResponseCode;

/// What a caller should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Try again later (server or network hiccup).
    Transient,
    /// The server asked us to slow down; wait `back_off` if given.
    Throttled {
        /// The server's requested wait (`BackOffMilliseconds` or `Retry-After`).
        back_off: Option<Duration>,
    },
    /// Credentials or token rejected (HTTP 401, token endpoint errors).
    Authentication,
    /// Authenticated but not allowed (impersonation denied, access denied, HTTP 403).
    Permission,
    /// The mailbox or recipient does not exist.
    MailboxNotFound,
    /// The request itself is wrong; retrying will not help.
    InvalidRequest,
    /// Anything else.
    Other,
}

/// `ResponseClass` of an EWS response message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseClass {
    /// `Success`
    Success,
    /// `Warning`
    Warning,
    /// `Error`
    Error,
}

impl ResponseClass {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "Success" => Some(Self::Success),
            "Warning" => Some(Self::Warning),
            "Error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// A response message whose class is `Error` (or `Warning`), with its details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseError {
    /// `Error` or `Warning`.
    pub class: ResponseClass,
    /// The `ResponseCode`.
    pub code: ResponseCode,
    /// `MessageText`, if any.
    pub message: Option<String>,
    /// `BackOffMilliseconds` from `MessageXml` (sent with `ErrorServerBusy`).
    pub back_off: Option<Duration>,
    /// Every `<t:Value Name="…">` of `MessageXml`, e.g. the primary address with
    /// `ErrorNonPrimarySmtpAddress`.
    pub details: Vec<(String, String)>,
}

impl ResponseError {
    /// A `MessageXml` value by name.
    pub fn detail(&self, name: &str) -> Option<&str> {
        self.details
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Classification of this code.
    pub fn classify(&self) -> ErrorClass {
        classify_code(&self.code, self.back_off)
    }
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code.as_str())?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

/// A SOAP fault (header-level errors such as impersonation failures, schema errors, throttling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapFault {
    /// `faultcode` as sent, e.g. `a:ErrorServerBusy` or `s:Client`.
    pub fault_code: String,
    /// `faultstring`.
    pub fault_string: String,
    /// `detail/e:ResponseCode`, or the local part of `faultcode` when that is a known code.
    pub response_code: Option<ResponseCode>,
    /// `detail/e:Message`.
    pub message: Option<String>,
    /// `BackOffMilliseconds` from `detail/t:MessageXml`.
    pub back_off: Option<Duration>,
    /// Every `<t:Value Name="…">` of the detail's `MessageXml`.
    pub details: Vec<(String, String)>,
}

impl SoapFault {
    /// Classification, from the response code when there is one.
    pub fn classify(&self) -> ErrorClass {
        match &self.response_code {
            Some(code) => classify_code(code, self.back_off),
            None if self.fault_code.ends_with("Client") => ErrorClass::InvalidRequest,
            None => ErrorClass::Other,
        }
    }
}

impl fmt::Display for SoapFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.response_code {
            Some(c) => write!(f, "{} ({})", c.as_str(), self.fault_string),
            None => write!(f, "{}: {}", self.fault_code, self.fault_string),
        }
    }
}

/// `BackOffMilliseconds`, clamped to [`crate::http::MAX_SERVER_WAIT`].
pub(crate) fn back_off_of(details: &[(String, String)]) -> Option<Duration> {
    details
        .iter()
        .find(|(k, _)| k == "BackOffMilliseconds")
        .and_then(|(_, v)| crate::http::parse_back_off_ms(v))
}

/// Errors from token acquisition.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Certificate or key could not be loaded or used.
    #[error("certificate or key: {0}")]
    Certificate(String),
    /// The token endpoint refused (`error`, `error_codes` as sent by Entra ID).
    #[error("token endpoint returned HTTP {status}: {error} {error_codes:?}")]
    TokenEndpoint {
        /// HTTP status.
        status: u16,
        /// OAuth `error`, e.g. `invalid_client`.
        error: String,
        /// Entra `error_codes` (AADSTS numbers).
        error_codes: Vec<u64>,
        /// `error_description` (for logs only; never branch on it).
        description: String,
    },
    /// The token endpoint could not be reached or answered nonsense.
    #[error("token endpoint: {0}")]
    Transport(String),
    /// The credential provider failed (e.g. the secret store).
    #[error("credential provider: {0}")]
    Provider(String),
    /// The token endpoint's answer was larger than [`crate::http::SMALL_BODY_LIMIT`] once
    /// decompressed; it was not read further.
    #[error("token endpoint: {0}")]
    ResponseTooLarge(crate::http::BodyTooLarge),
}

impl From<roombook_entra::EntraError> for AuthError {
    fn from(e: roombook_entra::EntraError) -> Self {
        use roombook_entra::EntraError as E;
        match e {
            E::Certificate(m) => Self::Certificate(m),
            E::TokenEndpoint {
                status,
                error,
                error_codes,
                description,
            } => Self::TokenEndpoint {
                status,
                error,
                error_codes,
                description,
            },
            E::Transport(m) => Self::Transport(m),
            E::ResponseTooLarge { host, limit } => {
                Self::ResponseTooLarge(crate::http::BodyTooLarge { host, limit })
            }
        }
    }
}

/// Every error this crate returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request string held a character XML 1.0 forbids; nothing was sent.
    #[error(
        "text contains U+{codepoint:04X}, which XML 1.0 forbids; remove it (see xml::strip_invalid_xml_chars)"
    )]
    InvalidXmlChar {
        /// The offending code point.
        codepoint: u32,
    },
    /// The request could not be built (e.g. an empty id list).
    #[error("invalid request: {0}")]
    InvalidArgument(String),
    /// The response was not well-formed XML.
    #[error("malformed XML: {0}")]
    Xml(String),
    /// The response was XML but not the expected shape.
    #[error("unexpected response: {0}")]
    UnexpectedResponse(String),
    /// A SOAP fault.
    #[error("SOAP fault: {0}")]
    Fault(Box<SoapFault>),
    /// The operation's response message had class `Error`.
    #[error("EWS error: {0}")]
    Response(Box<ResponseError>),
    /// A non-success HTTP status without a SOAP fault.
    #[error("HTTP {status}{}", diagnostics.as_deref().map(|d| format!(" (x-ms-diagnostics: {d})")).unwrap_or_default())]
    Http {
        /// Status code.
        status: u16,
        /// `Retry-After`, if sent.
        retry_after: Option<Duration>,
        /// `x-ms-diagnostics`, if sent (e.g. `2000008;reason="The token contains no permissions…"`).
        diagnostics: Option<String>,
    },
    /// The HTTP exchange failed (connect, TLS, timeout, body). When the outbound guard
    /// refused the destination (its resolver or redirect policy, deep in reqwest's chain),
    /// the message is the guard's sentence, which names the host and the kind of address.
    #[error("{}", transport_message(.0))]
    Transport(#[source] reqwest::Error),
    /// Retries stopped because the deadline would be exceeded.
    #[error("gave up after {attempts} attempt(s): {last}")]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last: Box<Error>,
    },
    /// Autodiscover found no EWS URL; `attempts` says what was tried and why it failed.
    #[error("autodiscover found no EWS URL: {}", attempts.join("; "))]
    Autodiscover {
        /// One line per attempt.
        attempts: Vec<String>,
    },
    /// The response body exceeded the limit once decompressed
    /// ([`crate::ClientConfig::max_response_bytes`] for EWS,
    /// [`crate::http::SMALL_BODY_LIMIT`] for Autodiscover); it was not read further.
    #[error("the response from {host} was larger than {}", crate::http::human_size(*limit))]
    ResponseTooLarge {
        /// The host that sent it.
        host: String,
        /// The limit, in decompressed bytes.
        limit: usize,
    },
    /// The response was well-formed so far but too big to hold as a tree (more elements or
    /// attributes than [`crate::xml::MAX_NODES`]).
    #[error("the response has more than {limit} XML elements and attributes")]
    TooManyXmlNodes {
        /// The limit.
        limit: usize,
    },
    /// The meeting was changed elsewhere (Outlook, a delegate) since the caller last wrote
    /// it, so the update was not made ([`crate::EwsClient::move_meeting`]). Where it is now.
    #[error(
        "the meeting was changed elsewhere since it was last written (it is now {})",
        describe_times(start, end)
    )]
    ChangedElsewhere {
        /// Its start now.
        start: Option<chrono::DateTime<chrono::Utc>>,
        /// Its end now.
        end: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Authentication failed before the request was sent.
    #[error("authentication: {0}")]
    Auth(#[from] AuthError),
    /// The outbound guard refused the destination (an address, a scheme or a redirect);
    /// nothing was sent there.
    #[error("{0}")]
    Destination(#[from] roombook_outbound::Refused),
}

impl From<roombook_entra::EntraError> for Error {
    fn from(e: roombook_entra::EntraError) -> Self {
        Self::Auth(e.into())
    }
}

impl Error {
    /// What to do about this error.
    pub fn classify(&self) -> ErrorClass {
        match self {
            Error::InvalidXmlChar { .. } | Error::InvalidArgument(_) | Error::Destination(_) => {
                ErrorClass::InvalidRequest
            }
            // The guard's refusal arrives wrapped in a connect error: retrying cannot help.
            Error::Transport(e) if roombook_outbound::refusal_in(e).is_some() => {
                ErrorClass::InvalidRequest
            }
            Error::Xml(_)
            | Error::UnexpectedResponse(_)
            | Error::ResponseTooLarge { .. }
            | Error::TooManyXmlNodes { .. }
            | Error::ChangedElsewhere { .. }
            | Error::Autodiscover { .. } => ErrorClass::Other,
            Error::Fault(f) => f.classify(),
            Error::Response(r) => r.classify(),
            Error::Http {
                status,
                retry_after,
                ..
            } => match status {
                401 => ErrorClass::Authentication,
                403 => ErrorClass::Permission,
                429 => ErrorClass::Throttled {
                    back_off: *retry_after,
                },
                503 if retry_after.is_some() => ErrorClass::Throttled {
                    back_off: *retry_after,
                },
                500 | 502 | 503 | 504 => ErrorClass::Transient,
                400 | 404 | 405 | 413 | 415 => ErrorClass::InvalidRequest,
                _ => ErrorClass::Other,
            },
            Error::Transport(e) if e.is_timeout() || e.is_connect() || e.is_request() => {
                ErrorClass::Transient
            }
            Error::Transport(_) => ErrorClass::Other,
            Error::RetriesExhausted { last, .. } => last.classify(),
            Error::Auth(AuthError::Transport(_)) => ErrorClass::Transient,
            Error::Auth(AuthError::TokenEndpoint { status, .. })
                if *status == 429 || *status >= 500 =>
            {
                ErrorClass::Transient
            }
            Error::Auth(AuthError::ResponseTooLarge(_)) => ErrorClass::Other,
            Error::Auth(_) => ErrorClass::Authentication,
        }
    }

    /// The number that starts an `x-ms-diagnostics` header, e.g. `2000008` ("The token contains
    /// no permissions"): with app-only OAuth that means consent is missing or has not reached
    /// Exchange yet, so treat it as "consent pending" and retry later with a new token.
    pub fn ms_diagnostics_code(&self) -> Option<u32> {
        match self {
            Error::Http {
                diagnostics: Some(d),
                ..
            } => d.split(';').next().and_then(|n| n.trim().parse().ok()),
            Error::RetriesExhausted { last, .. } => last.ms_diagnostics_code(),
            _ => None,
        }
    }

    /// The EWS response code, when the error carries one.
    pub fn response_code(&self) -> Option<&ResponseCode> {
        match self {
            Error::Fault(f) => f.response_code.as_ref(),
            Error::Response(r) => Some(&r.code),
            Error::RetriesExhausted { last, .. } => last.response_code(),
            _ => None,
        }
    }
}

fn describe_times(
    start: &Option<chrono::DateTime<chrono::Utc>>,
    end: &Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let t = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        // As the requests write them (`types::format_datetime`): 2026-11-23T10:00:00Z.
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| "?".into())
    };
    format!("{} to {}", t(start), t(end))
}

impl From<crate::http::BodyTooLarge> for Error {
    fn from(e: crate::http::BodyTooLarge) -> Self {
        Error::ResponseTooLarge {
            host: e.host,
            limit: e.limit,
        }
    }
}

impl From<ResponseError> for Error {
    fn from(e: ResponseError) -> Self {
        Error::Response(Box::new(e))
    }
}

/// Classification of a response code.
pub fn classify_code(code: &ResponseCode, back_off: Option<Duration>) -> ErrorClass {
    use ResponseCode as C;
    match code {
        C::ErrorServerBusy
        | C::ErrorExceededConnectionCount
        | C::ErrorExceededSubscriptionCount
        | C::ErrorTooManyObjectsOpened => ErrorClass::Throttled { back_off },
        C::ErrorConnectionFailed
        | C::ErrorInternalServerTransientError
        | C::ErrorMailboxMoveInProgress
        | C::ErrorMailboxStoreUnavailable
        | C::ErrorMailboxFailover
        | C::ErrorTimeoutExpired
        | C::ErrorADUnavailable
        | C::ErrorProxyRequestProcessingFailed
        | C::ErrorProxyCallFailed
        | C::ErrorNoApplicableProxyCASServersAvailable
        | C::ErrorMessageTrackingTransientError
        | C::ErrorFreeBusyGenerationFailed
        | C::ErrorBatchProcessingStopped => ErrorClass::Transient,
        C::ErrorInvalidAuthorizationContext
        | C::ErrorInvalidSerializedAccessToken
        | C::ErrorProxyTokenExpired
        | C::ErrorInvalidCrossForestCredentials
        | C::ErrorNoOAuthServerAvailableForRequest => ErrorClass::Authentication,
        C::ErrorAccessDenied
        | C::ErrorCreateItemAccessDenied
        | C::ErrorImpersonateUserDenied
        | C::ErrorImpersonationDenied
        | C::ErrorImpersonationFailed
        | C::ErrorSendAsDenied
        | C::ErrorNoFreeBusyAccess
        | C::ErrorPermissionNotAllowedByPolicy
        | C::ErrorProxyRequestNotAllowed => ErrorClass::Permission,
        C::ErrorNonExistentMailbox
        | C::ErrorMailRecipientNotFound
        | C::ErrorRecipientNotFound
        | C::ErrorMissingEmailAddress
        | C::ErrorNameResolutionNoResults
        | C::ErrorNameResolutionNoMailbox
        | C::ErrorInvalidMailbox
        | C::ErrorMailboxLogonFailed => ErrorClass::MailboxNotFound,
        C::ErrorSchemaValidation
        | C::ErrorNonPrimarySmtpAddress
        | C::ErrorCalendarEndDateIsEarlierThanStartDate
        | C::ErrorMailboxDataArrayEmpty
        | C::ErrorMailboxDataArrayTooBig
        | C::ErrorExceededFindCountLimit
        | C::ErrorUnsupportedPathForQuery => ErrorClass::InvalidRequest,
        other if other.as_str().starts_with("ErrorInvalid") => ErrorClass::InvalidRequest,
        _ => ErrorClass::Other,
    }
}

fn transport_message(e: &reqwest::Error) -> String {
    match roombook_outbound::refusal_in(e) {
        Some(refused) => refused.to_string(),
        None => format!("transport: {e}"),
    }
}
