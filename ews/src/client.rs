//! The async transport: posts envelopes to the EWS endpoint with bounded retries, a
//! concurrency limit, and `X-AnchorMailbox` on impersonated calls.
//!
//! Retry rules:
//! - Throttling (`ErrorServerBusy` with `BackOffMilliseconds`, HTTP 429, HTTP 503 with
//!   `Retry-After`) waits what the server asked, for every operation: the server did not run it.
//! - Other transient failures (timeouts, 5xx, store unavailable) are retried with exponential
//!   back-off only for [`RetrySafety::Idempotent`] operations. An operation that may have
//!   created or sent something (`CreateItem`, cancel, decline) is retried only if the connection
//!   could not even be made; otherwise the error is returned and the caller looks the booking
//!   up by its UID (see [`EwsClient::find_by_uid`]).
//! - One retry after HTTP 401 when the credential provider says fresh credentials may help
//!   (token caches).
//! - Never more than [`RetryPolicy::max_attempts`], and never a wait that would end after
//!   [`RetryPolicy::deadline`]; then [`Error::RetriesExhausted`] carries the last error.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use tokio::sync::Semaphore;

use crate::auth::CredentialProvider;
use crate::error::{Error, ErrorClass};
use crate::operations::{
    CalendarView, FreeBusyViewKind, GetItem, GetUserAvailability, ItemResult, MailboxAvailability,
    MailboxRequest, Operation, RetrySafety,
};
use crate::soap::{self, ConnectingSid, Envelope, ExchangeVersion, RequestHeader};
use crate::types::{CalendarItem, ItemId, ItemShape};

/// Exchange Online's EWS endpoint.
pub const EXCHANGE_ONLINE_URL: &str = "https://outlook.office365.com/EWS/Exchange.asmx";

/// Retry limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub max_attempts: u32,
    /// Overall time budget for one call, waits included.
    pub deadline: Duration,
    /// First back-off for transient errors (doubles each time).
    pub base_delay: Duration,
    /// Longest back-off for transient errors without a server hint.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            deadline: Duration::from_secs(120),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// EWS URL, e.g. [`EXCHANGE_ONLINE_URL`] or `https://mail.contoso.example/EWS/Exchange.asmx`.
    pub endpoint: String,
    /// `RequestServerVersion`.
    pub version: ExchangeVersion,
    /// `TimeZoneContext` id to send, if any.
    pub time_zone_id: Option<String>,
    /// Requests in flight at once to this endpoint (shared by clones of the client).
    pub max_concurrent_requests: usize,
    /// Timeout of one HTTP exchange.
    pub request_timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// Largest response body accepted (after decompression).
    pub max_response_bytes: usize,
}

impl ClientConfig {
    /// Defaults for `endpoint`: Exchange2013, 8 concurrent requests, 100 s per exchange.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            version: ExchangeVersion::default(),
            time_zone_id: None,
            max_concurrent_requests: 8,
            request_timeout: Duration::from_secs(100),
            retry: RetryPolicy::default(),
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

/// An EWS client for one endpoint. Cheap to clone; clones share the concurrency limit.
#[derive(Debug, Clone)]
pub struct EwsClient<C> {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    limit: Arc<Semaphore>,
    credentials: C,
}

impl<C: CredentialProvider> EwsClient<C> {
    /// A client with its own HTTP connection pool (rustls, gzip).
    pub fn new(config: ClientConfig, credentials: C) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .gzip(true)
            .user_agent(concat!("roombook-ews/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::Transport)?;
        Ok(Self::with_http_client(http, config, credentials))
    }

    /// A client over an existing `reqwest::Client`.
    pub fn with_http_client(http: reqwest::Client, config: ClientConfig, credentials: C) -> Self {
        let limit = Arc::new(Semaphore::new(config.max_concurrent_requests.max(1)));
        Self {
            http,
            config: Arc::new(config),
            limit,
            credentials,
        }
    }

    /// Shares `limit` with other clients (e.g. several credential sets against one server)
    /// instead of this client's own [`ClientConfig::max_concurrent_requests`].
    pub fn with_concurrency_limit(mut self, limit: Arc<Semaphore>) -> Self {
        self.limit = limit;
        self
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Runs `op`, impersonating `act_as` when given.
    pub async fn call<O: Operation>(
        &self,
        act_as: Option<&ConnectingSid>,
        op: &O,
    ) -> Result<O::Response, Error> {
        let header = RequestHeader {
            version: self.config.version,
            impersonation: act_as.cloned(),
            time_zone_id: self.config.time_zone_id.clone(),
        };
        self.call_with_header(&header, op).await
    }

    /// Runs `op` with an explicit SOAP header.
    pub async fn call_with_header<O: Operation>(
        &self,
        header: &RequestHeader,
        op: &O,
    ) -> Result<O::Response, Error> {
        // Build once: invalid text fails here, before anything is sent.
        let body = Envelope::new(header, op).to_xml()?;
        let anchor = header
            .impersonation
            .as_ref()
            .and_then(ConnectingSid::anchor_mailbox);
        let policy = &self.config.retry;
        let started = Instant::now();
        let mut attempt = 0u32;
        let mut retried_unauthorized = false;
        loop {
            attempt += 1;
            let (result, sent_credentials) = self.attempt::<O>(&body, anchor, started).await;
            let err = match result {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            let class = err.classify();
            let unauthorized = matches!(err, Error::Http { status: 401, .. });
            let delay = if unauthorized {
                if retried_unauthorized || !self.credentials.retry_on_unauthorized() {
                    return Err(err);
                }
                retried_unauthorized = true;
                if let Some(c) = &sent_credentials {
                    self.credentials.rejected(c);
                }
                Duration::ZERO
            } else {
                match retry_delay(&err, class, O::RETRY, attempt, policy) {
                    Some(d) => d,
                    None => return Err(err),
                }
            };
            if attempt >= policy.max_attempts || started.elapsed() + delay >= policy.deadline {
                return Err(Error::RetriesExhausted {
                    attempts: attempt,
                    last: Box::new(err),
                });
            }
            tracing::debug!(
                operation = O::NAME,
                attempt,
                delay_ms = delay.as_millis() as u64,
                error = %err,
                "retrying EWS call"
            );
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt<O: Operation>(
        &self,
        body: &str,
        anchor: Option<&str>,
        started: Instant,
    ) -> (Result<O::Response, Error>, Option<crate::auth::Credentials>) {
        let credentials = match self.credentials.credentials().await {
            Ok(c) => c,
            Err(e) => return (Err(e.into()), None),
        };
        let authorization = match authorization_header(&credentials) {
            Ok(v) => v,
            Err(e) => return (Err(e), None),
        };
        let remaining = self
            .config
            .retry
            .deadline
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(1));
        let _permit = self
            .limit
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let mut req = self
            .http
            .post(&self.config.endpoint)
            .timeout(self.config.request_timeout.min(remaining))
            .header(CONTENT_TYPE, "text/xml; charset=utf-8")
            .header(
                "SOAPAction",
                format!(
                    "\"http://schemas.microsoft.com/exchange/services/2006/messages/{}\"",
                    O::NAME
                ),
            )
            .header(AUTHORIZATION, authorization)
            .body(body.to_owned());
        if let Some(a) = anchor {
            req = req.header("X-AnchorMailbox", a);
        }
        let result = async {
            let mut resp = req.send().await.map_err(Error::Transport)?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let limit = self.config.max_response_bytes;
            let too_large = Error::ResponseTooLarge { limit };
            if resp.content_length().is_some_and(|n| n > limit as u64) {
                return Err(too_large);
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(Error::Transport)? {
                if bytes.len() + chunk.len() > limit {
                    return Err(too_large);
                }
                bytes.extend_from_slice(&chunk);
            }
            tracing::debug!(
                operation = O::NAME,
                status,
                bytes = bytes.len(),
                "EWS response"
            );
            interpret::<O>(status, &headers, &bytes)
        }
        .await;
        (result, Some(credentials))
    }

    /// Free/busy for any number of mailboxes: `GetUserAvailability` in batches of
    /// [`crate::operations::MAX_MAILBOXES_PER_CALL`], sent concurrently (the client's
    /// concurrency limit still bounds how many are in flight), and one result per mailbox in
    /// input order. 500 rooms cost one round trip's time, not five.
    pub async fn availability(
        &self,
        act_as: Option<&ConnectingSid>,
        mailboxes: &[MailboxRequest],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        view: FreeBusyViewKind,
    ) -> Result<Vec<ItemResult<MailboxAvailability>>, Error> {
        let batches = GetUserAvailability::batched(mailboxes, start, end, view);
        let answers = futures_util::future::try_join_all(batches.iter().map(|batch| async move {
            let expected = batch.mailboxes.len();
            let results = self.call(act_as, batch).await?;
            if results.len() != expected {
                return Err(Error::UnexpectedResponse(format!(
                    "GetUserAvailability answered {} of {expected} mailboxes",
                    results.len()
                )));
            }
            Ok(results)
        }))
        .await?;
        Ok(answers.into_iter().flatten().collect())
    }

    /// Reads any number of items with `GetItem`, `batch` ids per call (e.g.
    /// [`crate::operations::get_item::DEFAULT_BATCH`]); one result per id, in input order.
    pub async fn get_items(
        &self,
        act_as: Option<&ConnectingSid>,
        ids: &[ItemId],
        batch: usize,
        shape: &ItemShape,
    ) -> Result<Vec<ItemResult<CalendarItem>>, Error> {
        let mut out = Vec::with_capacity(ids.len());
        for call in GetItem::batched(ids, batch, shape) {
            let expected = call.items.len();
            let results = self.call(act_as, &call).await?;
            if results.len() != expected {
                return Err(Error::UnexpectedResponse(format!(
                    "GetItem answered {} of {expected} items",
                    results.len()
                )));
            }
            out.extend(results);
        }
        Ok(out)
    }

    /// Finds calendar items with iCalendar `uid` in `mailbox`'s calendar between `start` and
    /// `end`: how a caller recognises a booking whose `CreateItem` outcome is unknown.
    pub async fn find_by_uid(
        &self,
        act_as: Option<&ConnectingSid>,
        mailbox: &str,
        uid: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<CalendarItem>, Error> {
        let view = CalendarView::new(mailbox, start, end);
        let found = self.call(act_as, &view).await?;
        Ok(found
            .items
            .into_iter()
            .filter(|i| i.uid.as_deref() == Some(uid))
            .collect())
    }
}

/// The `Authorization` value, marked sensitive so that HTTP-level debug output hides it.
fn authorization_header(
    credentials: &crate::auth::Credentials,
) -> Result<reqwest::header::HeaderValue, Error> {
    let auth = credentials.authorization();
    let mut value = reqwest::header::HeaderValue::from_str(auth.expose()).map_err(|_| {
        crate::error::AuthError::Provider(
            "the credential holds characters an HTTP header cannot carry".into(),
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Turns one HTTP answer into the operation's response or a typed error.
fn interpret<O: Operation>(
    status: u16,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<O::Response, Error> {
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let http_error = || Error::Http {
        status,
        retry_after,
        diagnostics: headers
            .get("x-ms-diagnostics")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    // A SOAP fault may come with 500 (or even 200); anything else non-2xx is an HTTP error.
    match soap::parse_for_transport::<O>(bytes) {
        Err(Error::Fault(f)) => Err(Error::Fault(f)),
        _ if !(200..300).contains(&status) => Err(http_error()),
        result => result,
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    httpdate::parse_http_date(v).ok().map(|t| {
        t.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    })
}

fn backoff(attempt: u32, policy: &RetryPolicy) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(16);
    policy
        .base_delay
        .saturating_mul(factor)
        .min(policy.max_delay)
}

/// How long to wait before the next attempt, or `None` to give up now.
fn retry_delay(
    err: &Error,
    class: ErrorClass,
    safety: RetrySafety,
    attempt: u32,
    policy: &RetryPolicy,
) -> Option<Duration> {
    match class {
        // The server refused to run the request: safe for every operation.
        ErrorClass::Throttled { back_off } => {
            Some(back_off.unwrap_or_else(|| backoff(attempt, policy)))
        }
        ErrorClass::Transient => match safety {
            RetrySafety::Idempotent => Some(backoff(attempt, policy)),
            // Nothing reached the server: no connection, or no credentials to send.
            RetrySafety::NotIdempotent => match err {
                Error::Transport(e) if e.is_connect() => Some(backoff(attempt, policy)),
                Error::Auth(_) => Some(backoff(attempt, policy)),
                _ => None,
            },
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_grows_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(backoff(1, &p), Duration::from_millis(500));
        assert_eq!(backoff(2, &p), Duration::from_secs(1));
        assert_eq!(backoff(30, &p), p.max_delay);
    }

    #[test]
    fn create_is_not_retried_on_ambiguous_failure() {
        let p = RetryPolicy::default();
        let e = Error::Http {
            status: 500,
            retry_after: None,
            diagnostics: None,
        };
        let c = e.classify();
        assert_eq!(retry_delay(&e, c, RetrySafety::NotIdempotent, 1, &p), None);
        assert!(retry_delay(&e, c, RetrySafety::Idempotent, 1, &p).is_some());
        let busy = Error::Http {
            status: 429,
            retry_after: Some(Duration::from_secs(2)),
            diagnostics: None,
        };
        assert_eq!(
            retry_delay(&busy, busy.classify(), RetrySafety::NotIdempotent, 1, &p),
            Some(Duration::from_secs(2))
        );
    }
}
