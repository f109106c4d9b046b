//! Finding the EWS URL of a mailbox.
//!
//! Order, per candidate host (`https://autodiscover.{domain}` then `https://{domain}`, unless
//! [`Autodiscover::with_candidates`] sets them):
//! 1. **Autodiscover v2 (JSON)**, anonymous:
//!    `GET {base}/autodiscover/autodiscover.json/v1.0/{email}?Protocol=EWS` →
//!    `{"Protocol":"EWS","Url":"…"}`. Exchange Online and current Exchange Server answer this.
//! 2. **POX** with credentials: `POST {base}/autodiscover/autodiscover.xml` (the Outlook
//!    request schema). `EXPR` (external) is preferred to `EXCH`. `redirectAddr` restarts with the
//!    new address and `redirectUrl` follows the new URL, at most [`MAX_REDIRECTS`] times in all.
//!
//! 3. **DNS SRV**, when every candidate failed: the `_autodiscover._tcp.{domain}` SRV records
//!    (lowest priority first, then highest weight), and POX at
//!    `https://{target}:{port}/autodiscover/autodiscover.xml` of each, with the same redirect
//!    handling. Microsoft documents this as the last step. The lookup goes through an
//!    [`SrvResolver`]: [`DnsSrvResolver`] (hickory-resolver with the system's DNS
//!    configuration) by default, or one set with [`Autodiscover::with_srv_resolver`]. With
//!    [`Autodiscover::with_candidates`] there is no SRV step unless a resolver is set.
//!
//! Only `https` URLs are followed (except candidates set explicitly). Credentials are sent only
//! to explicitly set candidates or to hosts in the original address's domain (or a subdomain),
//! never to another domain named by a redirect or by an SRV record: such a host is asked
//! without credentials, as an untrusted redirect is. The unauthenticated HTTP-redirect method
//! and the Active Directory SCP lookup are not implemented.
//! <https://learn.microsoft.com/exchange/client-developer/exchange-web-services/autodiscover-for-exchange>

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

use crate::auth::Credentials;
use crate::error::Error;
use crate::xml::{self, Element, XmlWriter};

/// Redirects followed at most (addresses and URLs together).
pub const MAX_REDIRECTS: usize = 10;

const NS_POX_REQUEST: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
const NS_POX_RESPONSE_A: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/// How the URL was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Autodiscover v2 JSON.
    Json,
    /// POX (`autodiscover.xml`) at a candidate host.
    Pox,
    /// POX at a host named by the domain's `_autodiscover._tcp` SRV record.
    Srv,
}

/// One SRV record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    /// Lower is tried first.
    pub priority: u16,
    /// Among equal priorities, higher is tried first.
    pub weight: u16,
    /// TCP port of the HTTPS server.
    pub port: u16,
    /// Host name, e.g. `mail.contoso.example.` (a trailing dot is allowed; `.` means "no
    /// service").
    pub target: String,
}

/// What [`SrvResolver::lookup_srv`] returns.
pub type SrvFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<SrvRecord>, String>> + Send + 'a>>;

/// Looks up SRV records for the DNS step of Autodiscover. [`DnsSrvResolver`] asks DNS; tests
/// (or special set-ups) inject their own answers.
pub trait SrvResolver: Send + Sync + fmt::Debug {
    /// The SRV records of `name`, e.g. `_autodiscover._tcp.contoso.example`: an empty list
    /// when the name has none, an error (as text, for the attempt list) when DNS failed.
    fn lookup_srv<'a>(&'a self, name: &'a str) -> SrvFuture<'a>;
}

/// SRV lookups with hickory-resolver, configured from the system (`/etc/resolv.conf` on
/// Unix, the registry on Windows).
#[derive(Debug, Clone, Copy, Default)]
pub struct DnsSrvResolver;

impl SrvResolver for DnsSrvResolver {
    fn lookup_srv<'a>(&'a self, name: &'a str) -> SrvFuture<'a> {
        Box::pin(async move {
            use hickory_resolver::proto::rr::RData;
            let resolver = hickory_resolver::TokioResolver::builder_tokio()
                .and_then(|b| b.build())
                .map_err(|e| format!("DNS resolver: {e}"))?;
            // Absolute: no search domains appended.
            let absolute = format!("{}.", name.trim_end_matches('.'));
            match resolver.srv_lookup(absolute.as_str()).await {
                Ok(lookup) => Ok(lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::SRV(srv) => Some(SrvRecord {
                            priority: srv.priority,
                            weight: srv.weight,
                            port: srv.port,
                            target: srv.target.to_ascii(),
                        }),
                        _ => None,
                    })
                    .collect()),
                Err(e) if e.is_no_records_found() || e.is_nx_domain() => Ok(Vec::new()),
                Err(e) => Err(e.to_string()),
            }
        })
    }
}

/// Whether and how the SRV step runs.
#[derive(Debug, Clone)]
enum Srv {
    /// [`DnsSrvResolver`], unless candidates were set explicitly.
    Default,
    /// This resolver.
    Custom(Arc<dyn SrvResolver>),
    /// Never.
    Off,
}

/// The result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// The EWS endpoint, e.g. `https://outlook.office365.com/EWS/Exchange.asmx`.
    pub ews_url: String,
    /// The address it was found for (differs from the input after `redirectAddr`).
    pub email: String,
    /// How.
    pub method: Method,
}

/// An Autodiscover client.
#[derive(Debug, Clone)]
pub struct Autodiscover {
    http: reqwest::Client,
    candidates: Option<Vec<String>>,
    srv: Srv,
    timeout: Duration,
    /// Checks every URL before a request (literal addresses, scheme); `None`: unchecked.
    guard: Option<roombook_outbound::Guard>,
}

impl Default for Autodiscover {
    fn default() -> Self {
        Self::new(reqwest::Client::new())
    }
}

enum Pox {
    Found(String),
    RedirectAddr(String),
    RedirectUrl(String),
}

/// The end of one POX chain (a URL and the redirects it leads to).
enum Chain {
    Found(String),
    /// `redirectAddr`: start again with this address.
    Restart(String),
    /// Too many redirects: give up altogether.
    Stop,
    /// This chain failed; try the next host.
    Failed,
}

impl Autodiscover {
    /// Over `http`, with candidates derived from the address's domain.
    pub fn new(http: reqwest::Client) -> Self {
        Self {
            http,
            candidates: None,
            srv: Srv::Default,
            timeout: Duration::from_secs(20),
            guard: None,
        }
    }

    /// Checks every URL it is about to call (a candidate, a `redirectUrl`, an SRV target)
    /// with `guard` first; give it an HTTP client built by the same guard
    /// ([`roombook_outbound::Guard::client_builder`]) so host names are checked too.
    pub fn with_guard(mut self, guard: roombook_outbound::Guard) -> Self {
        self.guard = Some(guard);
        self
    }

    fn check(&self, url: &reqwest::Url) -> Result<(), Error> {
        match &self.guard {
            Some(guard) => guard.check_url(url).map_err(Error::Destination),
            None => Ok(()),
        }
    }

    /// Uses these base URLs (e.g. `https://mail.contoso.example`) instead of the ones derived
    /// from the domain. Credentials are sent to them. The SRV step is then skipped, unless a
    /// resolver is set with [`Autodiscover::with_srv_resolver`].
    pub fn with_candidates(mut self, bases: Vec<String>) -> Self {
        self.candidates = Some(bases);
        self
    }

    /// Looks SRV records up with `resolver` instead of [`DnsSrvResolver`] (and also when
    /// candidates are set explicitly).
    pub fn with_srv_resolver(mut self, resolver: impl SrvResolver + 'static) -> Self {
        self.srv = Srv::Custom(Arc::new(resolver));
        self
    }

    /// No SRV step.
    pub fn without_srv(mut self) -> Self {
        self.srv = Srv::Off;
        self
    }

    /// Timeout of each HTTP request and of the SRV lookup (default 20 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn srv_resolver(&self) -> Option<Arc<dyn SrvResolver>> {
        match &self.srv {
            Srv::Default if self.candidates.is_none() => Some(Arc::new(DnsSrvResolver)),
            Srv::Default | Srv::Off => None,
            Srv::Custom(r) => Some(r.clone()),
        }
    }

    fn bases_for(&self, email: &str) -> Result<Vec<String>, Error> {
        if let Some(c) = &self.candidates {
            return Ok(c.clone());
        }
        let domain = domain_of(email)?;
        Ok(vec![
            format!("https://autodiscover.{domain}"),
            format!("https://{domain}"),
        ])
    }

    /// Finds the EWS URL of `email`. `credentials` are used for POX only (v2 is anonymous).
    pub async fn discover(
        &self,
        email: &str,
        credentials: Option<&Credentials>,
    ) -> Result<Discovered, Error> {
        let home_domain = email
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default();
        let mut email = email.to_owned();
        let mut log = Log {
            attempts: Vec::new(),
            hops: 0,
        };
        'restart: loop {
            let bases = self.bases_for(&email)?;
            for base in &bases {
                let base = base.trim_end_matches('/');
                match self.json(base, &email).await {
                    Ok(url) => {
                        return Ok(Discovered {
                            ews_url: url,
                            email,
                            method: Method::Json,
                        });
                    }
                    Err(e) => log.attempts.push(format!("{base} (json): {e}")),
                }
                let url = format!("{base}/autodiscover/autodiscover.xml");
                // A candidate set explicitly is trusted with the credentials; a derived one
                // is in the home domain unless a redirectAddr moved us elsewhere.
                let trusted = self.candidates.is_some() || host_in_domain(&url, &home_domain);
                let creds = credentials.filter(|_| trusted);
                match self
                    .pox_chain(url, &email, creds, credentials, &home_domain, &mut log)
                    .await
                {
                    Chain::Found(ews_url) => {
                        return Ok(Discovered {
                            ews_url,
                            email,
                            method: Method::Pox,
                        });
                    }
                    Chain::Restart(addr) => {
                        email = addr;
                        continue 'restart;
                    }
                    Chain::Stop => break 'restart,
                    Chain::Failed => {}
                }
            }
            // Last: the hosts named by the domain's SRV record.
            if let Some(resolver) = self.srv_resolver() {
                for url in self.srv_urls(resolver.as_ref(), &email, &mut log).await? {
                    let trusted = host_in_domain(&url, &home_domain);
                    let creds = credentials.filter(|_| trusted);
                    if !trusted {
                        log.attempts.push(format!(
                            "{url}: outside {home_domain}, asked without credentials"
                        ));
                    }
                    match self
                        .pox_chain(url, &email, creds, credentials, &home_domain, &mut log)
                        .await
                    {
                        Chain::Found(ews_url) => {
                            return Ok(Discovered {
                                ews_url,
                                email,
                                method: Method::Srv,
                            });
                        }
                        Chain::Restart(addr) => {
                            email = addr;
                            continue 'restart;
                        }
                        Chain::Stop => break 'restart,
                        Chain::Failed => {}
                    }
                }
            }
            break;
        }
        Err(Error::Autodiscover {
            attempts: log.attempts,
        })
    }

    /// The POX URLs of the SRV records of `email`'s domain, in the order to try them.
    async fn srv_urls(
        &self,
        resolver: &dyn SrvResolver,
        email: &str,
        log: &mut Log,
    ) -> Result<Vec<String>, Error> {
        let name = format!("_autodiscover._tcp.{}", domain_of(email)?);
        let records = match tokio::time::timeout(self.timeout, resolver.lookup_srv(&name)).await {
            Ok(Ok(records)) => records,
            Ok(Err(e)) => {
                log.attempts.push(format!("SRV {name}: {e}"));
                return Ok(Vec::new());
            }
            Err(_) => {
                log.attempts.push(format!("SRV {name}: timed out"));
                return Ok(Vec::new());
            }
        };
        let urls = srv_urls(records);
        if urls.is_empty() {
            log.attempts.push(format!("SRV {name}: no usable record"));
        }
        Ok(urls)
    }

    /// POX at `url`, then the `redirectUrl`s it leads to. `creds` are sent to `url` itself;
    /// a redirect gets `credentials` only when its host is in `home_domain`.
    async fn pox_chain(
        &self,
        mut url: String,
        email: &str,
        mut creds: Option<&Credentials>,
        credentials: Option<&Credentials>,
        home_domain: &str,
        log: &mut Log,
    ) -> Chain {
        loop {
            match self.pox(&url, email, creds).await {
                Ok(Pox::Found(ews_url)) => return Chain::Found(ews_url),
                Ok(Pox::RedirectAddr(addr)) => {
                    log.hops += 1;
                    if log.hops > MAX_REDIRECTS {
                        log.attempts.push(format!("{url}: too many redirects"));
                        return Chain::Stop;
                    }
                    log.attempts
                        .push(format!("{url}: redirected to address {addr}"));
                    return Chain::Restart(addr);
                }
                Ok(Pox::RedirectUrl(next)) => {
                    log.hops += 1;
                    if log.hops > MAX_REDIRECTS || !next.starts_with("https://") {
                        log.attempts
                            .push(format!("{url}: refused redirect to {next}"));
                        return Chain::Failed;
                    }
                    log.attempts.push(format!("{url}: redirected to {next}"));
                    url = next;
                    // Never to a domain a redirect named, even from a trusted candidate.
                    creds = credentials.filter(|_| host_in_domain(&url, home_domain));
                }
                Err(e) => {
                    log.attempts.push(format!("{url} (pox): {e}"));
                    return Chain::Failed;
                }
            }
        }
    }

    async fn json(&self, base: &str, email: &str) -> Result<String, Error> {
        #[derive(serde::Deserialize)]
        struct V2 {
            #[serde(rename = "Protocol")]
            protocol: Option<String>,
            #[serde(rename = "Url")]
            url: Option<String>,
        }
        let mut url = reqwest::Url::parse(base)
            .map_err(|e| Error::InvalidArgument(format!("autodiscover base {base:?}: {e}")))?;
        url.path_segments_mut()
            .map_err(|_| Error::InvalidArgument(format!("autodiscover base {base:?}")))?
            .pop_if_empty()
            .extend(["autodiscover", "autodiscover.json", "v1.0", email]);
        url.set_query(Some("Protocol=EWS"));
        self.check(&url)?;
        let resp = self
            .http
            .get(url)
            .header("Accept", "application/json")
            .timeout(self.timeout)
            .send()
            .await
            .map_err(Error::Transport)?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(http(status));
        }
        let bytes = read_small(resp).await?;
        let v: V2 = serde_json::from_slice(&bytes)
            .map_err(|e| Error::UnexpectedResponse(format!("autodiscover.json: {e}")))?;
        match (v.protocol.as_deref(), v.url) {
            (Some(p), Some(u)) if p.eq_ignore_ascii_case("EWS") && !u.is_empty() => Ok(u),
            _ => Err(Error::UnexpectedResponse(
                "autodiscover.json without an EWS Url".into(),
            )),
        }
    }

    async fn pox(
        &self,
        url: &str,
        email: &str,
        credentials: Option<&Credentials>,
    ) -> Result<Pox, Error> {
        let mut w = XmlWriter::new();
        w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
            .open("Autodiscover", &[("xmlns", NS_POX_REQUEST)])
            .open("Request", &[])
            .leaf("EMailAddress", &[], email)
            .leaf("AcceptableResponseSchema", &[], NS_POX_RESPONSE_A)
            .close("Request")
            .close("Autodiscover");
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| Error::InvalidArgument(format!("autodiscover URL {url:?}: {e}")))?;
        self.check(&parsed)?;
        let mut req = self
            .http
            .post(parsed)
            .header(CONTENT_TYPE, "text/xml; charset=utf-8")
            .timeout(self.timeout)
            .body(w.finish()?);
        if let Some(c) = credentials {
            let mut v = reqwest::header::HeaderValue::from_str(c.authorization().expose())
                .map_err(|_| Error::InvalidArgument("credential not valid in a header".into()))?;
            v.set_sensitive(true);
            req = req.header(AUTHORIZATION, v);
        }
        let resp = req.send().await.map_err(Error::Transport)?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(http(status));
        }
        let bytes = read_small(resp).await?;
        parse_pox(&xml::parse(&bytes)?)
    }
}

/// An Autodiscover body, at most [`crate::http::SMALL_BODY_LIMIT`] once decompressed (real
/// ones are a few KiB; the candidates include hosts we know nothing about).
async fn read_small(resp: reqwest::Response) -> Result<Vec<u8>, Error> {
    crate::http::read_capped(resp, crate::http::SMALL_BODY_LIMIT)
        .await
        .map_err(|e| match e {
            crate::http::ReadBodyError::TooLarge(t) => Error::from(t),
            crate::http::ReadBodyError::Transport { source, .. } => Error::Transport(source),
        })
}

/// Attempts so far and redirects followed, across candidates.
struct Log {
    attempts: Vec<String>,
    hops: usize,
}

/// The domain of an email address.
fn domain_of(email: &str) -> Result<&str, Error> {
    email
        .rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty() && !d.contains('/'))
        .ok_or_else(|| Error::InvalidArgument(format!("not an email address: {email:?}")))
}

/// POX URLs for SRV records: lowest priority first, then highest weight; records whose
/// target is `.` (no service), not a host name, or port 0 are left out, and so are repeats.
fn srv_urls(mut records: Vec<SrvRecord>) -> Vec<String> {
    records.sort_by_key(|r| (r.priority, std::cmp::Reverse(r.weight)));
    let mut urls: Vec<String> = Vec::new();
    for r in records {
        let host = r.target.trim_end_matches('.').to_ascii_lowercase();
        let is_host_name = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !is_host_name || r.port == 0 {
            continue;
        }
        let url = format!("https://{host}:{}/autodiscover/autodiscover.xml", r.port);
        if reqwest::Url::parse(&url).is_ok() && !urls.contains(&url) {
            urls.push(url);
        }
    }
    urls
}

/// Whether `url`'s host is `domain` or a subdomain of it.
fn host_in_domain(url: &str, domain: &str) -> bool {
    let Some(host) = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    else {
        return false;
    };
    !domain.is_empty() && (host == domain || host.ends_with(&format!(".{domain}")))
}

fn http(status: u16) -> Error {
    Error::Http {
        status,
        retry_after: None,
        diagnostics: None,
    }
}

fn local_child<'a>(e: &'a Element, name: &str) -> Option<&'a Element> {
    e.children.iter().find(|c| c.name == name)
}

fn parse_pox(root: &Element) -> Result<Pox, Error> {
    let response = local_child(root, "Response")
        .ok_or_else(|| Error::UnexpectedResponse("Autodiscover without Response".into()))?;
    if let Some(err) = local_child(response, "Error") {
        let code = local_child(err, "ErrorCode")
            .map(|e| e.text.trim())
            .unwrap_or("?");
        let msg = local_child(err, "Message")
            .map(|e| e.text.trim())
            .unwrap_or("");
        return Err(Error::UnexpectedResponse(format!(
            "Autodiscover error {code}: {msg}"
        )));
    }
    let account = local_child(response, "Account")
        .ok_or_else(|| Error::UnexpectedResponse("Autodiscover without Account".into()))?;
    let text = |name: &str| local_child(account, name).map(|e| e.text.trim().to_owned());
    match text("Action").as_deref() {
        Some("redirectAddr") => {
            return text("RedirectAddr")
                .filter(|a| !a.is_empty())
                .map(Pox::RedirectAddr)
                .ok_or_else(|| {
                    Error::UnexpectedResponse("redirectAddr without RedirectAddr".into())
                });
        }
        Some("redirectUrl") => {
            return text("RedirectUrl")
                .filter(|a| !a.is_empty())
                .map(Pox::RedirectUrl)
                .ok_or_else(|| {
                    Error::UnexpectedResponse("redirectUrl without RedirectUrl".into())
                });
        }
        _ => {}
    }
    let url_of = |kind: &str| {
        account
            .children
            .iter()
            .filter(|p| p.name == "Protocol")
            .find(|p| local_child(p, "Type").is_some_and(|t| t.text.trim() == kind))
            .and_then(|p| local_child(p, "EwsUrl"))
            .map(|u| u.text.trim().to_owned())
            .filter(|u| !u.is_empty())
    };
    url_of("EXPR")
        .or_else(|| url_of("EXCH"))
        .map(Pox::Found)
        .ok_or_else(|| Error::UnexpectedResponse("Autodiscover response without EwsUrl".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_stay_in_the_home_domain() {
        assert!(host_in_domain(
            "https://autodiscover.contoso.example/x",
            "contoso.example"
        ));
        assert!(host_in_domain(
            "https://contoso.example/x",
            "contoso.example"
        ));
        assert!(!host_in_domain(
            "https://evilcontoso.example/x",
            "contoso.example"
        ));
        assert!(!host_in_domain(
            "https://contoso.example.evil.test/x",
            "contoso.example"
        ));
        assert!(!host_in_domain("not a url", "contoso.example"));
    }

    #[test]
    fn srv_records_are_ordered_and_filtered() {
        let r = |priority, weight, port, target: &str| SrvRecord {
            priority,
            weight,
            port,
            target: target.into(),
        };
        assert_eq!(
            srv_urls(vec![
                r(20, 0, 443, "backup.contoso.example."),
                r(10, 5, 443, "low-weight.contoso.example."),
                r(10, 50, 8443, "Mail.Contoso.Example."),
                r(5, 0, 443, "."),
                r(5, 0, 0, "zero-port.contoso.example."),
                r(5, 0, 443, "evil.example/path?"),
                r(30, 0, 8443, "mail.contoso.example"),
            ]),
            [
                "https://mail.contoso.example:8443/autodiscover/autodiscover.xml",
                "https://low-weight.contoso.example:443/autodiscover/autodiscover.xml",
                "https://backup.contoso.example:443/autodiscover/autodiscover.xml",
            ]
        );
    }

    #[test]
    fn pox_prefers_expr() {
        let doc = br#"<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><Account><Action>settings</Action><Protocol><Type>EXCH</Type><EwsUrl>https://in/EWS/Exchange.asmx</EwsUrl></Protocol><Protocol><Type>EXPR</Type><EwsUrl>https://out/EWS/Exchange.asmx</EwsUrl></Protocol></Account></Response></Autodiscover>"#;
        match parse_pox(&xml::parse(doc).unwrap()).unwrap() {
            Pox::Found(u) => assert_eq!(u, "https://out/EWS/Exchange.asmx"),
            _ => panic!("expected a URL"),
        }
    }
}
