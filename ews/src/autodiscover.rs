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
//! Only `https` URLs are followed (except candidates set explicitly). Credentials are sent only
//! to explicitly set candidates or to hosts in the original address's domain, never to a
//! domain a redirect named. DNS SRV records and the unauthenticated HTTP-redirect method are
//! not implemented.
//! <https://learn.microsoft.com/exchange/client-developer/exchange-web-services/autodiscover-for-exchange>

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
    /// POX (`autodiscover.xml`).
    Pox,
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
    timeout: Duration,
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

impl Autodiscover {
    /// Over `http`, with candidates derived from the address's domain.
    pub fn new(http: reqwest::Client) -> Self {
        Self {
            http,
            candidates: None,
            timeout: Duration::from_secs(20),
        }
    }

    /// Uses these base URLs (e.g. `https://mail.contoso.example`) instead of the ones derived
    /// from the domain.
    pub fn with_candidates(mut self, bases: Vec<String>) -> Self {
        self.candidates = Some(bases);
        self
    }

    fn bases_for(&self, email: &str) -> Result<Vec<String>, Error> {
        if let Some(c) = &self.candidates {
            return Ok(c.clone());
        }
        let domain = email
            .rsplit_once('@')
            .map(|(_, d)| d)
            .filter(|d| !d.is_empty() && !d.contains('/'))
            .ok_or_else(|| Error::InvalidArgument(format!("not an email address: {email:?}")))?;
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
        let mut attempts = Vec::new();
        let mut hops = 0usize;
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
                    Err(e) => attempts.push(format!("{base} (json): {e}")),
                }
                let mut url = format!("{base}/autodiscover/autodiscover.xml");
                loop {
                    let trusted = self.candidates.is_some() || host_in_domain(&url, &home_domain);
                    let creds = credentials.filter(|_| trusted);
                    match self.pox(&url, &email, creds).await {
                        Ok(Pox::Found(ews_url)) => {
                            return Ok(Discovered {
                                ews_url,
                                email,
                                method: Method::Pox,
                            });
                        }
                        Ok(Pox::RedirectAddr(addr)) => {
                            hops += 1;
                            if hops > MAX_REDIRECTS {
                                attempts.push(format!("{url}: too many redirects"));
                                break 'restart;
                            }
                            attempts.push(format!("{url}: redirected to address {addr}"));
                            email = addr;
                            continue 'restart;
                        }
                        Ok(Pox::RedirectUrl(next)) => {
                            hops += 1;
                            if hops > MAX_REDIRECTS || !next.starts_with("https://") {
                                attempts.push(format!("{url}: refused redirect to {next}"));
                                break;
                            }
                            attempts.push(format!("{url}: redirected to {next}"));
                            url = next;
                        }
                        Err(e) => {
                            attempts.push(format!("{url} (pox): {e}"));
                            break;
                        }
                    }
                }
            }
            break;
        }
        Err(Error::Autodiscover { attempts })
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
        let bytes = resp.bytes().await.map_err(Error::Transport)?;
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
        let mut req = self
            .http
            .post(url)
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
        let bytes = resp.bytes().await.map_err(Error::Transport)?;
        parse_pox(&xml::parse(&bytes)?)
    }
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
    fn pox_prefers_expr() {
        let doc = br#"<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><Account><Action>settings</Action><Protocol><Type>EXCH</Type><EwsUrl>https://in/EWS/Exchange.asmx</EwsUrl></Protocol><Protocol><Type>EXPR</Type><EwsUrl>https://out/EWS/Exchange.asmx</EwsUrl></Protocol></Account></Response></Autodiscover>"#;
        match parse_pox(&xml::parse(doc).unwrap()).unwrap() {
            Pox::Found(u) => assert_eq!(u, "https://out/EWS/Exchange.asmx"),
            _ => panic!("expected a URL"),
        }
    }
}
