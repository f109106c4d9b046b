//! Limits on anonymous sign-in starts. Each `/auth/signin` writes an `auth_requests` row (the
//! state, nonce and PKCE verifier of a round trip in flight) before anyone is known, so
//! without limits anyone could fill the table.
//!
//! - Per client address: a burst, then a steady rate (`governor`'s keyed GCRA, one timestamp
//!   per address; idle addresses are dropped as the search limiter does).
//! - For everyone together: a global rate, so many addresses cannot do what one may not.
//! - Rows in flight: above `auth.sign_ins_in_flight` unexpired requests, new starts are
//!   refused until some expire (ten minutes) or finish. The background sweep removes expired
//!   rows in bounded batches (`startup.rs`).
//!
//! A refused start is answered 429 with a sentence and `Retry-After`, and writes nothing.
//! The client address is the TCP peer's, or with `auth.client_address_header` (behind a
//! reverse proxy that sets it) the last address in that header, the one the proxy added.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed, keyed::DashMapStateStore};
use governor::{Quota, RateLimiter};

use crate::telemetry::error_chain;
use roombook_core::ports::storage::Store;

/// What a client that starts sign-ins too fast is told.
pub const TOO_MANY: &str = "Too many sign-ins were started from your address just now. Wait a minute, then choose Sign in again.";
/// What everyone is told while Roombook as a whole refuses new sign-in starts.
pub const BUSY: &str =
    "Roombook is receiving too many sign-ins right now. Wait a minute, then choose Sign in again.";

/// How often idle addresses are dropped from the map.
const SWEEP_EVERY: u64 = 1024;
/// Above this many addresses in the map, idle ones are dropped at the next check.
const MAX_REMEMBERED: usize = 10_000;

/// The limits, from `[auth]`.
#[derive(Clone, Debug)]
pub struct SignInLimitSettings {
    /// Starts one address may make at once, then `per_address_per_minute`.
    pub per_address_burst: u32,
    /// 0: no per-address limit.
    pub per_address_per_minute: u32,
    /// Starts by everyone together per minute (also the burst); 0: no global limit.
    pub total_per_minute: u32,
    /// Unexpired auth requests above which new starts are refused; 0: no cap.
    pub max_in_flight: u64,
    /// A header naming the client (`X-Forwarded-For`), set by a trusted reverse proxy.
    pub client_address_header: Option<String>,
}

type PerAddress<C> =
    RateLimiter<IpAddr, DashMapStateStore<IpAddr>, C, NoOpMiddleware<<C as Clock>::Instant>>;
type Global<C> = RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// Why a start is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// This address started too many.
    Address,
    /// Everyone together started too many, or too many are in flight.
    Busy,
}

impl Refusal {
    pub fn sentence(self) -> &'static str {
        match self {
            Self::Address => TOO_MANY,
            Self::Busy => BUSY,
        }
    }
}

/// The rate limits (the row cap needs the store; see [`SignInLimits`]).
pub struct SignInRates<C: Clock = DefaultClock> {
    per_address: Option<PerAddress<C>>,
    global: Option<Global<C>>,
    checks: AtomicU64,
}

impl SignInRates {
    pub fn new(settings: &SignInLimitSettings) -> Self {
        Self::with_clock(settings, DefaultClock::default())
    }
}

impl<C: Clock + Clone> SignInRates<C> {
    pub fn with_clock(settings: &SignInLimitSettings, clock: C) -> Self {
        let per_address = NonZeroU32::new(settings.per_address_per_minute).map(|rate| {
            let burst = NonZeroU32::new(settings.per_address_burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::dashmap_with_clock(
                Quota::per_minute(rate).allow_burst(burst),
                clock.clone(),
            )
        });
        let global = NonZeroU32::new(settings.total_per_minute)
            .map(|rate| RateLimiter::direct_with_clock(Quota::per_minute(rate), clock.clone()));
        Self {
            per_address,
            global,
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one start from `client`.
    pub fn check(&self, client: IpAddr) -> Result<(), Refusal> {
        if let Some(limiter) = &self.per_address {
            let n = self.checks.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(SWEEP_EVERY) || limiter.len() > MAX_REMEMBERED {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
            limiter.check_key(&client).map_err(|_| Refusal::Address)?;
        }
        if let Some(global) = &self.global {
            global.check().map_err(|_| Refusal::Busy)?;
        }
        Ok(())
    }

    /// Addresses whose allowance is not full.
    pub fn remembered(&self) -> usize {
        self.per_address.as_ref().map_or(0, |l| l.len())
    }
}

/// Everything the middleware needs.
pub struct SignInLimits {
    pub rates: SignInRates,
    pub store: Arc<dyn Store>,
    pub settings: SignInLimitSettings,
}

impl SignInLimits {
    pub fn new(store: Arc<dyn Store>, settings: SignInLimitSettings) -> Self {
        Self {
            rates: SignInRates::new(&settings),
            store,
            settings,
        }
    }

    /// Whether a start from `client` may go ahead now.
    pub async fn admit(&self, client: IpAddr) -> Result<(), Refusal> {
        self.rates.check(client)?;
        if self.settings.max_in_flight > 0 {
            match self.store.count_auth_requests(chrono::Utc::now()).await {
                Ok(n) if n >= self.settings.max_in_flight => {
                    tracing::warn!(
                        in_flight = n,
                        "sign-in starts refused: too many sign-ins in flight"
                    );
                    return Err(Refusal::Busy);
                }
                Ok(_) => {}
                // The start itself will meet the same database and say so.
                Err(e) => {
                    tracing::warn!(error = %error_chain(&e), "cannot count sign-ins in flight")
                }
            }
        }
        Ok(())
    }
}

/// The client of a request: the last address in `header` (set by a trusted reverse proxy)
/// if configured and present, else the TCP peer.
pub fn client_address(
    header: Option<&str>,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> IpAddr {
    let from_header = header.and_then(|name| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .next_back()
    });
    from_header
        .or(peer.map(|p| p.ip()))
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The middleware on `/auth/signin`.
pub async fn limit_sign_in(
    State(limits): State<Arc<SignInLimits>>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let client = client_address(
        limits.settings.client_address_header.as_deref(),
        request.headers(),
        peer,
    );
    match limits.admit(client).await {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::info!(client = %client, ?refusal, "sign-in start refused");
            refused(refusal)
        }
    }
}

fn refused(refusal: Refusal) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::RETRY_AFTER, HeaderValue::from_static("60")),
        ],
        refusal.sentence(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    fn settings() -> SignInLimitSettings {
        SignInLimitSettings {
            per_address_burst: 5,
            per_address_per_minute: 6,
            total_per_minute: 12,
            max_in_flight: 0,
            client_address_header: None,
        }
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
    }

    #[test]
    fn one_address_gets_its_burst_then_its_rate() {
        let clock = FakeRelativeClock::default();
        let rates = SignInRates::with_clock(&settings(), clock.clone());
        for _ in 0..5 {
            assert_eq!(rates.check(ip(1)), Ok(()));
        }
        assert_eq!(rates.check(ip(1)), Err(Refusal::Address));
        // Another address is not affected.
        assert_eq!(rates.check(ip(2)), Ok(()));
        // Six a minute: one more after ten seconds.
        clock.advance(Duration::from_secs(10));
        assert_eq!(rates.check(ip(1)), Ok(()));
        assert_eq!(rates.check(ip(1)), Err(Refusal::Address));
    }

    #[test]
    fn many_addresses_together_meet_the_global_cap() {
        let clock = FakeRelativeClock::default();
        let rates = SignInRates::with_clock(&settings(), clock.clone());
        let admitted = (0..100u8).filter(|n| rates.check(ip(*n)).is_ok()).count();
        assert_eq!(admitted, 12);
        assert_eq!(rates.check(ip(200)), Err(Refusal::Busy));
        clock.advance(Duration::from_secs(60));
        assert_eq!(rates.check(ip(201)), Ok(()));
    }

    #[test]
    fn the_proxy_header_names_the_client_when_configured() {
        let peer = Some(SocketAddr::from(([10, 0, 0, 1], 4000)));
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.7"),
        );
        assert_eq!(
            client_address(None, &headers, peer),
            IpAddr::from([10, 0, 0, 1])
        );
        assert_eq!(
            client_address(Some("X-Forwarded-For"), &headers, peer),
            IpAddr::from([198, 51, 100, 7])
        );
        assert_eq!(
            client_address(Some("X-Forwarded-For"), &HeaderMap::new(), peer),
            IpAddr::from([10, 0, 0, 1])
        );
    }
}
