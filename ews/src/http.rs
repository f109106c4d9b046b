//! HTTP helpers for answers from servers Roombook does not control: bodies read with a cap on
//! their *decompressed* size, and server-given waits clamped to [`MAX_SERVER_WAIT`].
//!
//! reqwest decompresses `gzip` (and the other encodings it is built with) while the body is
//! read, so `Response::bytes()` on a 1 MiB gzip bomb allocates the full gigabyte it expands to.
//! [`read_capped`] reads chunk by chunk instead and stops as soon as the decompressed bytes
//! pass the limit, so at most `limit` bytes plus one chunk are ever held.

use std::fmt;
use std::time::{Duration, SystemTime};

/// The cap for small JSON/XML answers: Autodiscover (v2 JSON and POX), OAuth token
/// responses, OpenID Connect discovery documents and JWKS. Real ones are a few KiB.
pub const SMALL_BODY_LIMIT: usize = roombook_outbound::SMALL_BODY_LIMIT;

/// The longest wait a server can make us start (`Retry-After`, `BackOffMilliseconds`).
/// Exchange Online asks for up to about 5 minutes (`BackOffMilliseconds` around 300000);
/// anything longer is treated as this long, so that a hostile or broken value (say
/// `Retry-After: 18446744073709551615`) can neither overflow a `Duration`/`Instant` sum nor
/// park a caller for ever. Callers with a deadline still give up before it.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(5 * 60);

/// A response body that exceeded the limit once decompressed. The body itself is never part of
/// the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyTooLarge {
    /// The host that sent it (empty if the URL had none).
    pub host: String,
    /// The limit, in decompressed bytes.
    pub limit: usize,
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the response from {} was larger than {}",
            if self.host.is_empty() {
                "the server"
            } else {
                &self.host
            },
            human_size(self.limit)
        )
    }
}

impl std::error::Error for BodyTooLarge {}

/// Why [`read_capped`] returned no body.
#[derive(Debug, thiserror::Error)]
pub enum ReadBodyError {
    /// More than the limit, after decompression.
    #[error(transparent)]
    TooLarge(BodyTooLarge),
    /// The body could not be read (connection lost, timeout, corrupt compression).
    #[error("reading the response from {host} failed: {source}")]
    Transport {
        /// The host that sent it.
        host: String,
        /// What reqwest said.
        #[source]
        source: reqwest::Error,
    },
}

/// `1 MiB`, `64 KiB`, `1000 bytes`.
pub(crate) fn human_size(n: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// Reads `resp`'s body, refusing it as soon as more than `limit` bytes have arrived *after
/// decompression* (a `Content-Length` above the limit on an uncompressed body is refused before
/// anything is read). Memory use is bounded by `limit` plus one chunk, whatever the server
/// sends. Use [`SMALL_BODY_LIMIT`] for discovery documents, key sets and token responses.
///
/// ```no_run
/// # async fn f(resp: reqwest::Response) -> Result<(), roombook_ews::http::ReadBodyError> {
/// use roombook_ews::http::{read_capped, SMALL_BODY_LIMIT};
/// let body = read_capped(resp, SMALL_BODY_LIMIT).await?;
/// # let _ = body; Ok(()) }
/// ```
pub async fn read_capped(resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, ReadBodyError> {
    // The guard's reader (one implementation for every body from outside), with this
    // crate's error types.
    roombook_outbound::read_capped(resp, limit)
        .await
        .map_err(|e| match e {
            roombook_outbound::BodyError::TooLarge { host, limit } => {
                ReadBodyError::TooLarge(BodyTooLarge { host, limit })
            }
            roombook_outbound::BodyError::Transport { host, source } => {
                ReadBodyError::Transport { host, source }
            }
        })
}

/// A server-given wait, at most [`MAX_SERVER_WAIT`].
pub fn clamp_server_wait(wait: Duration) -> Duration {
    wait.min(MAX_SERVER_WAIT)
}

/// A whole number of units as the server wrote it: ASCII digits only (no sign, no fraction),
/// saturating at `u64::MAX` when there are too many digits. `None` for anything else.
pub(crate) fn parse_unsigned_saturating(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u64>().unwrap_or(u64::MAX))
}

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), clamped to
/// [`MAX_SERVER_WAIT`]. A date in the past is a zero wait; negative, fractional or other
/// values are `None` (no hint).
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    if let Some(secs) = parse_unsigned_saturating(v) {
        return Some(clamp_server_wait(Duration::from_secs(secs)));
    }
    let at = httpdate::parse_http_date(v.trim()).ok()?;
    let wait = at
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Some(clamp_server_wait(wait))
}

/// `BackOffMilliseconds` as Exchange sends it in `MessageXml`, clamped to
/// [`MAX_SERVER_WAIT`]; `None` when it is not a whole number of milliseconds.
pub fn parse_back_off_ms(v: &str) -> Option<Duration> {
    parse_unsigned_saturating(v).map(|ms| clamp_server_wait(Duration::from_millis(ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(1024 * 1024), "1 MiB");
        assert_eq!(human_size(64 * 1024 * 1024), "64 MiB");
        assert_eq!(human_size(512 * 1024), "512 KiB");
        assert_eq!(human_size(100), "100 bytes");
        let e = BodyTooLarge {
            host: "login.example".into(),
            limit: SMALL_BODY_LIMIT,
        };
        assert_eq!(
            e.to_string(),
            "the response from login.example was larger than 1 MiB"
        );
    }

    #[test]
    fn retry_after_is_clamped_and_never_overflows() {
        let max = Some(MAX_SERVER_WAIT);
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("301"), max);
        assert_eq!(parse_retry_after("18446744073709551615"), max);
        assert_eq!(parse_retry_after("99999999999999999999999999"), max);
        for bad in ["-1", "-18446744073709551615", "1.5", "+5", "soon", "", "5s"] {
            assert_eq!(parse_retry_after(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT"), max);
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
        let d = parse_retry_after(&soon).unwrap();
        assert!(
            d <= Duration::from_secs(60) && d >= Duration::from_secs(58),
            "{d:?}"
        );
    }

    #[test]
    fn back_off_is_clamped() {
        assert_eq!(parse_back_off_ms("250"), Some(Duration::from_millis(250)));
        assert_eq!(
            parse_back_off_ms("297749"),
            Some(Duration::from_millis(297_749))
        );
        assert_eq!(parse_back_off_ms("300001"), Some(MAX_SERVER_WAIT));
        assert_eq!(
            parse_back_off_ms("18446744073709551615"),
            Some(MAX_SERVER_WAIT)
        );
        assert_eq!(
            parse_back_off_ms("1844674407370955161500"),
            Some(MAX_SERVER_WAIT)
        );
        for bad in ["-5", "abc", "", "1e9", "0x10"] {
            assert_eq!(parse_back_off_ms(bad), None, "{bad:?}");
        }
    }
}
