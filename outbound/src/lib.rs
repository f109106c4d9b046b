//! The outbound guard: every destination an organisation can name (an EWS URL, an Autodiscover
//! domain and whatever its answers point at, an SRV target, an OpenID Connect issuer and the
//! endpoints its discovery document names) is reached only through this guard.
//!
//! - **https only**; plain http only to loopback, and only when the operator allows it (the
//!   demo and the tests run Exchange's simulator there).
//! - **Addresses**: a host name is resolved once, by the guard's resolver, and refused if any of
//!   its addresses is loopback, private, link-local, carrier-grade NAT, benchmarking,
//!   documentation, reserved, multicast or a cloud metadata address, in IPv4 or IPv6 and in
//!   every IPv6 form that embeds an IPv4 address (mapped, compatible, translated, NAT64, 6to4,
//!   Teredo). The connection then goes to exactly the addresses that were checked, so a second
//!   DNS answer cannot rebind it. Literal addresses in URLs are checked by [`Guard::check_url`].
//! - **Redirects** are re-checked at every hop ([`Guard::client_builder`]): at most five, never
//!   from https to http, each target checked like the first.
//! - No proxy from the environment: a proxy would resolve names where the guard cannot see.
//!
//! What a refusal says ([`Refused`]) names the host and the kind of address, never a body or a
//! status code from the other side.

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// What kind of address a refused destination had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    Unspecified,
    Loopback,
    Private,
    LinkLocal,
    CarrierGradeNat,
    Benchmarking,
    Documentation,
    Reserved,
    Multicast,
    Broadcast,
    Metadata,
}

impl Range {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Unspecified => "an unspecified (this-network) address",
            Self::Loopback => "a loopback address",
            Self::Private => "a private-network address",
            Self::LinkLocal => "a link-local address",
            Self::CarrierGradeNat => "a carrier-grade NAT address",
            Self::Benchmarking => "a benchmarking-network address",
            Self::Documentation => "a documentation-only address",
            Self::Reserved => "a reserved address",
            Self::Multicast => "a multicast address",
            Self::Broadcast => "the broadcast address",
            Self::Metadata => "a cloud metadata service address",
        }
    }

    /// Ranges the operator's `allow_private_addresses` opens (never metadata, multicast,
    /// broadcast or unspecified: nothing legitimate lives there).
    fn private_like(self) -> bool {
        matches!(
            self,
            Self::Loopback
                | Self::Private
                | Self::LinkLocal
                | Self::CarrierGradeNat
                | Self::Benchmarking
                | Self::Documentation
                | Self::Reserved
        )
    }
}

/// Why the guard refused a destination. The message is for an admin: it names the host and
/// what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("“{0}” is not a web address Roombook can use.")]
    Malformed(String),
    #[error(
        "{host} must be reached over https:// (Roombook does not send credentials in clear text)."
    )]
    NotHttps { host: String },
    #[error(
        "{host} points at {}. Roombook only connects to servers on public addresses unless its configuration allows private ones (exchange.allow_private_addresses).",
        range.describe()
    )]
    Address { host: String, range: Range },
    #[error("The host name {0} could not be resolved. Check the spelling.")]
    Unresolvable(String),
    #[error("{from} redirected to {to}, which Roombook does not follow: {reason}")]
    Redirect {
        from: String,
        to: String,
        reason: String,
    },
    #[error("{0} redirected too many times.")]
    TooManyRedirects(String),
}

/// The first [`Refused`] in an error's cause chain (reqwest wraps the resolver's and the
/// redirect policy's errors).
pub fn refusal_in<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a Refused> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    let mut depth = 0;
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused);
        }
        depth += 1;
        if depth > 32 {
            break;
        }
        current = e.source();
    }
    None
}

/// The class of an IPv4 address that the guard refuses, if any.
pub fn classify_v4(ip: Ipv4Addr) -> Option<Range> {
    let [a, b, c, d] = ip.octets();
    let in_net = |net: [u8; 4], bits: u32| {
        let mask = if bits == 0 {
            0
        } else {
            u32::MAX << (32 - bits)
        };
        (u32::from(ip) & mask) == (u32::from_be_bytes(net) & mask)
    };
    Some(match () {
        // Cloud metadata first: AWS/GCP/Azure IMDS, Azure's wire server, Alibaba.
        _ if ip == Ipv4Addr::new(169, 254, 169, 254)
            || ip == Ipv4Addr::new(168, 63, 129, 16)
            || ip == Ipv4Addr::new(100, 100, 100, 200) =>
        {
            Range::Metadata
        }
        _ if ip == Ipv4Addr::BROADCAST => Range::Broadcast,
        _ if a == 0 => Range::Unspecified,
        _ if a == 127 => Range::Loopback,
        _ if a == 10 || in_net([172, 16, 0, 0], 12) || in_net([192, 168, 0, 0], 16) => {
            Range::Private
        }
        _ if in_net([169, 254, 0, 0], 16) => Range::LinkLocal,
        _ if in_net([100, 64, 0, 0], 10) => Range::CarrierGradeNat,
        _ if in_net([198, 18, 0, 0], 15) => Range::Benchmarking,
        _ if in_net([192, 0, 2, 0], 24)
            || in_net([198, 51, 100, 0], 24)
            || in_net([203, 0, 113, 0], 24) =>
        {
            Range::Documentation
        }
        // IETF protocol assignments (192.0.0.0/24), the retired 6to4 relay anycast
        // (192.88.99.0/24) and 240.0.0.0/4.
        _ if in_net([192, 0, 0, 0], 24) || in_net([192, 88, 99, 0], 24) || a >= 240 => {
            Range::Reserved
        }
        _ if (224..=239).contains(&a) => Range::Multicast,
        _ => {
            let _ = (b, c, d);
            return None;
        }
    })
}

/// The class of an IPv6 address that the guard refuses, if any. Every form that carries an
/// IPv4 address is judged by that address as well.
pub fn classify_v6(ip: Ipv6Addr) -> Option<Range> {
    let s = ip.segments();
    let v4_at = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if ip.is_unspecified() {
        return Some(Range::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Range::Loopback);
    }
    // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (translated, RFC 2765).
    if s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff
        || s[..4] == [0, 0, 0, 0] && s[4] == 0xffff && s[5] == 0
    {
        return Some(classify_v4(v4_at(s[6], s[7])).unwrap_or(Range::Reserved));
    }
    // ::a.b.c.d, IPv4-compatible: deprecated since 2006, never a real destination.
    if s[..6] == [0, 0, 0, 0, 0, 0] {
        return Some(classify_v4(v4_at(s[6], s[7])).unwrap_or(Range::Reserved));
    }
    // 64:ff9b::/96, NAT64: the embedded IPv4 address is where it really goes.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(v4_at(s[6], s[7]));
    }
    // 64:ff9b:1::/48, local-use NAT64.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        return Some(Range::Private);
    }
    // 2002::/16, 6to4: bits 16..48 are an IPv4 address.
    if s[0] == 0x2002 {
        return classify_v4(v4_at(s[1], s[2]));
    }
    // fd00:ec2::254, AWS's IPv6 metadata service (inside fc00::/7, named first).
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return Some(Range::Metadata);
    }
    Some(match s[0] {
        // 2001::/23 holds Teredo (2001::/32, whose IPv4 address is obfuscated), ORCHID and
        // other IETF assignments; 2001:db8::/32 and 3fff::/20 are for documentation.
        0x2001 if s[1] == 0x0db8 => Range::Documentation,
        0x2001 if s[1] < 0x0200 => Range::Reserved,
        0x3fff if s[1] < 0x1000 => Range::Documentation,
        // 100::/64, discard-only.
        0x0100 if s[1..4] == [0, 0, 0] => Range::Reserved,
        // 5f00::/16, SRv6 segment identifiers.
        0x5f00 => Range::Reserved,
        x if x & 0xfe00 == 0xfc00 => Range::Private,
        x if x & 0xffc0 == 0xfe80 => Range::LinkLocal,
        // fec0::/10, the deprecated site-local range.
        x if x & 0xffc0 == 0xfec0 => Range::Private,
        x if x & 0xff00 == 0xff00 => Range::Multicast,
        // Outside 2000::/3 nothing is globally routed.
        x if x & 0xe000 != 0x2000 => Range::Reserved,
        _ => return None,
    })
}

pub fn classify(ip: IpAddr) -> Option<Range> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// Where the operator lets organisations point Roombook.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// `exchange.allow_private_addresses`: loopback, private, link-local, CGNAT, benchmarking,
    /// documentation and reserved addresses, and plain http to loopback.
    pub allow_private: bool,
    /// Loopback alone (and plain http to it): a local Exchange proxy, and the tests, which
    /// need to see every other range refused.
    pub allow_loopback: bool,
}

/// The guard itself: checks URLs and addresses under one [`Policy`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Guard {
    policy: Policy,
}

impl Guard {
    pub fn new(policy: Policy) -> Self {
        Self { policy }
    }

    /// Public https destinations only.
    pub fn strict() -> Self {
        Self::default()
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Whether the policy refuses `ip`, and as what.
    pub fn refuses(&self, ip: IpAddr) -> Option<Range> {
        let range = classify(ip)?;
        let allowed = (self.policy.allow_private && range.private_like())
            || (self.policy.allow_loopback && range == Range::Loopback);
        (!allowed).then_some(range)
    }

    fn loopback_allowed(&self) -> bool {
        self.policy.allow_private || self.policy.allow_loopback
    }

    /// Checks a URL before a request: its scheme, and its host if that is a literal address
    /// (a name is checked by the resolver when the connection is made).
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        let host = url
            .host()
            .ok_or_else(|| Refused::Malformed(url.as_str().chars().take(100).collect()))?;
        let literal = match host {
            url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
            url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
            url::Host::Domain(_) => None,
        };
        let host_text = url.host_str().unwrap_or_default().to_owned();
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused::Malformed(
                "a URL with a user name or password".into(),
            ));
        }
        match url.scheme() {
            "https" => {}
            "http"
                if self.loopback_allowed()
                    && (literal.is_some_and(|ip| classify(ip) == Some(Range::Loopback))
                        || host_text.eq_ignore_ascii_case("localhost")) => {}
            _ => return Err(Refused::NotHttps { host: host_text }),
        }
        if let Some(ip) = literal
            && let Some(range) = self.refuses(ip)
        {
            return Err(Refused::Address {
                host: host_text,
                range,
            });
        }
        Ok(())
    }

    /// Parses and checks a URL an admin typed or a server named.
    pub fn parse(&self, raw: &str) -> Result<Url, Refused> {
        let raw = raw.trim();
        let url =
            Url::parse(raw).map_err(|_| Refused::Malformed(raw.chars().take(100).collect()))?;
        self.check_url(&url)?;
        Ok(url)
    }

    /// Resolves `host` the way the guarded client will, and checks every address: for forms,
    /// so that an admin hears of a refused address when typing it, not at the first request.
    pub async fn check_host(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, Refused> {
        resolve_checked(*self, host, port).await
    }

    /// Parses, checks and resolves a URL: what a form runs on an address it is given.
    pub async fn check_destination(&self, raw: &str) -> Result<Url, Refused> {
        let url = self.parse(raw)?;
        if let Some(url::Host::Domain(name)) = url.host() {
            let port = url.port_or_known_default().unwrap_or(443);
            self.check_host(name, port).await?;
        }
        Ok(url)
    }

    /// Whether a redirect from the chain `previous` (the first request first) to `to` may be
    /// followed.
    pub fn redirect_verdict(
        &self,
        previous: &[Url],
        to: &Url,
        max_redirects: usize,
    ) -> Result<(), Refused> {
        let from = previous
            .last()
            .map(|u| u.host_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        if previous.len() > max_redirects {
            return Err(Refused::TooManyRedirects(from));
        }
        let to_host = to.host_str().unwrap_or_default().to_owned();
        if previous.iter().any(|u| u.scheme() == "https") && to.scheme() != "https" {
            return Err(Refused::Redirect {
                from,
                to: to_host,
                reason: "it leaves https".into(),
            });
        }
        self.check_url(to).map_err(|e| Refused::Redirect {
            from,
            to: to_host,
            reason: e.to_string(),
        })
    }

    /// A `reqwest` client builder that reaches only what this guard allows: its resolver,
    /// its redirect policy (at most `max_redirects` hops, each re-checked; 0 turns redirects
    /// off), https only unless loopback is allowed, and no proxy.
    pub fn client_builder(&self, max_redirects: usize) -> reqwest::ClientBuilder {
        let guard = *self;
        let redirects = if max_redirects == 0 {
            reqwest::redirect::Policy::none()
        } else {
            reqwest::redirect::Policy::custom(move |attempt| {
                match guard.redirect_verdict(attempt.previous(), attempt.url(), max_redirects) {
                    Ok(()) => attempt.follow(),
                    Err(e) => attempt.error(e),
                }
            })
        };
        reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver { guard }))
            .redirect(redirects)
            .https_only(!self.loopback_allowed())
            .no_proxy()
    }
}

/// The resolver of guarded clients: resolves once and refuses a name if any address is
/// refused; the connection then uses exactly these addresses.
#[derive(Debug)]
struct GuardedResolver {
    guard: Guard,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = resolve_checked(guard, &host, 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// How many addresses of one name are looked at: a name with thousands is not a server.
const MAX_ADDRESSES: usize = 64;

async fn resolve_checked(guard: Guard, host: &str, port: u16) -> Result<Vec<SocketAddr>, Refused> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match guard.refuses(ip) {
            Some(range) => Err(Refused::Address {
                host: host.to_owned(),
                range,
            }),
            None => Ok(vec![SocketAddr::new(ip, port)]),
        };
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| Refused::Unresolvable(host.to_owned()))?
        .take(MAX_ADDRESSES)
        .collect();
    if addrs.is_empty() {
        return Err(Refused::Unresolvable(host.to_owned()));
    }
    if let Some(range) = addrs.iter().find_map(|a| guard.refuses(a.ip())) {
        tracing::info!(host, range = ?range, "outbound destination refused");
        return Err(Refused::Address {
            host: host.to_owned(),
            range,
        });
    }
    Ok(addrs)
}

/// The cap on a small answer from outside (discovery documents, keys, tokens): 1 MiB of
/// decompressed bytes.
pub const SMALL_BODY_LIMIT: usize = 1024 * 1024;

/// Why a body was not read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the answer from {host} was larger than {limit} bytes (decompressed); it was not read")]
    TooLarge { host: String, limit: usize },
    #[error("the answer from {host} could not be read")]
    Transport {
        host: String,
        #[source]
        source: reqwest::Error,
    },
}

/// Reads a response body chunk by chunk, counting the bytes after decompression (reqwest
/// gunzips transparently), and stops at `limit`: a small gzip bomb cannot grow in memory.
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let host = response.url().host_str().unwrap_or_default().to_owned();
    let too_large = |host: String| BodyError::TooLarge { host, limit };
    // Content-Length counts compressed bytes when the body is compressed, so it can only
    // refuse early, never accept.
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large(host));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(too_large(host));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(source) => return Err(BodyError::Transport { host, source }),
        }
    }
}

#[cfg(test)]
mod tests;
