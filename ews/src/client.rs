//! The async transport: posts envelopes to the EWS endpoint with bounded retries, a
//! concurrency limit, and `X-AnchorMailbox` on impersonated calls.
//!
//! Retry rules:
//! - Throttling (`ErrorServerBusy` with `BackOffMilliseconds`, HTTP 429, HTTP 503 with
//!   `Retry-After`) waits what the server asked (at most [`crate::http::MAX_SERVER_WAIT`]), for
//!   every operation: the server did not run it.
//! - HTTP 503 without a SOAP fault (IIS / HTTP.sys "Service Unavailable", the front door
//!   refusing) is retried with exponential back-off for every operation, writes included: the
//!   request was refused before EWS saw it.
//! - Other transient failures (timeouts, other 5xx, store unavailable) are retried with
//!   exponential back-off only for [`RetrySafety::Idempotent`] operations. An operation that may
//!   have created or sent something (`CreateItem`, cancel, decline) is retried only if the
//!   connection could not even be made; otherwise the error is returned and the caller looks the
//!   booking up by its UID (see [`EwsClient::find_by_uid`]).
//! - Every HTTP 401 is reported to the credential provider ([`CredentialProvider::rejected`]);
//!   one retry follows when it says fresh credentials may help (token caches).
//! - Never more than [`RetryPolicy::max_attempts`], and never a wait that would end after
//!   [`RetryPolicy::deadline`]; then [`Error::RetriesExhausted`] carries the last error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use tokio::sync::Semaphore;

use crate::auth::CredentialProvider;
use crate::error::{Error, ErrorClass};
use crate::operations::{
    CalendarView, ConflictResolution, FindItemResult, FreeBusyViewKind, GetItem,
    GetUserAvailability, ItemResult, MailboxAvailability, MailboxRequest, Operation, RetrySafety,
    SendUpdates, UpdateMeeting,
};
use crate::response_code::ResponseCode;
use crate::soap::{self, ConnectingSid, Envelope, ExchangeVersion, RequestHeader};
use crate::types::{CalendarItem, ItemId, ItemShape};

/// Most `FindItem` pages [`EwsClient::calendar_view_all`] asks for before giving up.
pub const MAX_CALENDAR_VIEW_PAGES: usize = 50;

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
                // Every refusal is reported, retried or not: a provider that caches a
                // password drops it even though resending the same one would not help.
                if let Some(c) = &sent_credentials {
                    self.credentials.rejected(c);
                }
                if retried_unauthorized || !self.credentials.retry_on_unauthorized() {
                    return Err(err);
                }
                retried_unauthorized = true;
                Duration::ZERO
            } else {
                match retry_delay(&err, class, O::RETRY, attempt, policy) {
                    Some(d) => d,
                    None => return Err(err),
                }
            };
            if attempt >= policy.max_attempts
                || started.elapsed().saturating_add(delay) >= policy.deadline
            {
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
            let resp = req.send().await.map_err(Error::Transport)?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            // Counted after decompression, chunk by chunk: a gzip bomb stops at the limit.
            let bytes = crate::http::read_capped(resp, self.config.max_response_bytes)
                .await
                .map_err(|e| match e {
                    crate::http::ReadBodyError::TooLarge(t) => Error::from(t),
                    crate::http::ReadBodyError::Transport { source, .. } => {
                        Error::Transport(source)
                    }
                })?;
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
        let found = self.calendar_view_all(act_as, &view).await?;
        Ok(found
            .items
            .into_iter()
            .filter(|i| i.uid.as_deref() == Some(uid))
            .collect())
    }
}

impl<C: CredentialProvider> EwsClient<C> {
    /// Every item of a calendar view, following the pages when Exchange cut the answer
    /// (`IncludesLastItemInRange="false"`: `MaxEntriesReturned`, or the server's own limit of
    /// about 1,000 items). `CalendarView` has no offset; as Microsoft suggests, the next request
    /// starts where the last item returned starts. That item and any other that overlaps that
    /// instant come again; they are recognised by `ItemId` and kept once. (Starting at the last
    /// item's *end* would miss items that start between its start and its end.)
    ///
    /// A request is never sent twice unchanged: when a page would not move the start forward
    /// (no item, or none starting after the current start), or after
    /// [`MAX_CALENDAR_VIEW_PAGES`], the call fails with [`Error::UnexpectedResponse`] rather
    /// than return a view that is known to be incomplete.
    pub async fn calendar_view_all(
        &self,
        act_as: Option<&ConnectingSid>,
        view: &CalendarView,
    ) -> Result<FindItemResult, Error> {
        let mut view = view.clone();
        let mut seen = std::collections::HashSet::new();
        let mut all = FindItemResult {
            items: Vec::new(),
            total_items_in_view: None,
            includes_last_item_in_range: true,
        };
        for page in 1..=MAX_CALENDAR_VIEW_PAGES {
            let found = self.call(act_as, &view).await?;
            if page == 1 {
                all.total_items_in_view = found.total_items_in_view;
            }
            let last_start = found.items.iter().filter_map(|i| i.start).max();
            for item in found.items {
                let fresh = match &item.item_id {
                    Some(id) => seen.insert(id.id.clone()),
                    None => true,
                };
                if fresh {
                    all.items.push(item);
                }
            }
            if found.includes_last_item_in_range {
                return Ok(all);
            }
            match last_start {
                Some(next) if next > view.start && next < view.end => view.start = next,
                _ => {
                    return Err(Error::UnexpectedResponse(format!(
                        "CalendarView paging made no progress at {} ({} items so far)",
                        crate::types::format_datetime(&view.start),
                        all.items.len()
                    )));
                }
            }
        }
        Err(Error::UnexpectedResponse(format!(
            "CalendarView still incomplete after {MAX_CALENDAR_VIEW_PAGES} pages ({} items)",
            all.items.len()
        )))
    }

    /// Moves a meeting to `start..end` without overwriting a change made elsewhere (Outlook,
    /// a delegate) since the caller last wrote it.
    ///
    /// `item` carries the change key of the caller's last read or write; the update is sent
    /// with `ConflictResolution="NeverOverwrite"` (`AutoResolve` would, in Microsoft's words,
    /// "in most cases overwrite the existing value"). On `ErrorIrresolvableConflict` the item
    /// is read again (`GetItem`) and:
    /// - if it is already at `start..end`, its fresh id is returned;
    /// - if its start and end are still `last_written` (what the caller last wrote: only
    ///   something else, such as the room's answer, changed the key), the update is sent once
    ///   more with the fresh change key;
    /// - otherwise (or when the caller has no record, `None`, or the second attempt conflicts
    ///   too) [`Error::ChangedElsewhere`] says where the meeting is now.
    pub async fn move_meeting(
        &self,
        act_as: Option<&ConnectingSid>,
        item: &ItemId,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        send: SendUpdates,
        last_written: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Option<ItemId>, Error> {
        let update = |item: ItemId| UpdateMeeting {
            item,
            start: Some(start),
            end: Some(end),
            send,
            conflict: ConflictResolution::NeverOverwrite,
            ..UpdateMeeting::default()
        };
        let conflict =
            |e: &Error| e.response_code() == Some(&ResponseCode::ErrorIrresolvableConflict);
        match self.call(act_as, &update(item.clone())).await {
            Err(e) if conflict(&e) => {}
            other => return other,
        }
        let current = self
            .get_items(
                act_as,
                &[ItemId::new(item.id.clone())],
                1,
                &ItemShape::calendar(),
            )
            .await?
            .pop()
            .ok_or_else(|| Error::UnexpectedResponse("GetItem answered nothing".into()))?
            .map_err(Error::from)?;
        let changed = Error::ChangedElsewhere {
            start: current.start,
            end: current.end,
        };
        let now = (current.start, current.end);
        let fresh = current
            .item_id
            .ok_or_else(|| Error::UnexpectedResponse("GetItem answered no ItemId".into()))?;
        if now == (Some(start), Some(end)) {
            return Ok(Some(fresh));
        }
        match last_written {
            Some((s, e)) if now == (Some(s), Some(e)) => {}
            _ => return Err(changed),
        }
        match self.call(act_as, &update(fresh)).await {
            Err(e) if conflict(&e) => Err(changed),
            other => other,
        }
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

pub use crate::http::parse_retry_after;

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
        ErrorClass::Throttled { back_off } => Some(
            back_off
                .map(crate::http::clamp_server_wait)
                .unwrap_or_else(|| backoff(attempt, policy)),
        ),
        ErrorClass::Transient => match safety {
            RetrySafety::Idempotent => Some(backoff(attempt, policy)),
            // Nothing reached the server: no connection, or no credentials to send.
            RetrySafety::NotIdempotent => match err {
                Error::Transport(e) if e.is_connect() => Some(backoff(attempt, policy)),
                Error::Auth(_) => Some(backoff(attempt, policy)),
                // 503 without a SOAP fault comes from IIS / HTTP.sys or the front door
                // (application pool stopped or recycling, request queue full, service
                // throttling): the request never reached EWS. Exchange's own errors come as
                // SOAP faults with 500, and those are not resent.
                Error::Http { status: 503, .. } => Some(backoff(attempt, policy)),
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
