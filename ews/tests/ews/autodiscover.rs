//! Autodiscover against local mocks: v2 JSON, POX fallback, redirects, DNS SRV (with an
//! injected resolver and an HTTPS mock), where credentials go, failures.

use std::sync::{Arc, Mutex};

use roombook_ews::autodiscover::{Autodiscover, Method, SrvFuture, SrvRecord, SrvResolver};
use roombook_ews::{Credentials, Error, Secret};

use crate::mock::{Canned, MockServer, Recorded};
use crate::tls_mock::TlsMock;

fn pox(account: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><User><DisplayName>Alice</DisplayName></User><Account>{account}</Account></Response></Autodiscover>"#
    )
}

fn settings() -> String {
    pox(
        "<AccountType>email</AccountType><Action>settings</Action><Protocol><Type>EXCH</Type><Server>mbx01.contoso.example</Server><EwsUrl>https://mail.internal.contoso.example/EWS/Exchange.asmx</EwsUrl></Protocol><Protocol><Type>EXPR</Type><Server>mail.contoso.example</Server><EwsUrl>https://mail.contoso.example/EWS/Exchange.asmx</EwsUrl></Protocol>",
    )
}

fn creds() -> Credentials {
    Credentials::Basic {
        username: "svc".into(),
        password: Secret::new("pw"),
    }
}

fn client(server: &MockServer) -> Autodiscover {
    Autodiscover::default().with_candidates(vec![server.url.clone()])
}

#[tokio::test]
async fn v2_json_is_tried_first_and_anonymously() {
    let server = MockServer::start(
        "",
        vec![
            Canned::new(
                200,
                r#"{"Protocol":"EWS","Url":"https://outlook.office365.com/EWS/Exchange.asmx"}"#,
            )
            .header("Content-Type", "application/json"),
        ],
    )
    .await;
    let d = client(&server)
        .discover("alice@contoso.example", Some(&creds()))
        .await
        .unwrap();
    assert_eq!(d.ews_url, "https://outlook.office365.com/EWS/Exchange.asmx");
    assert_eq!(d.method, Method::Json);
    let r = &server.requests()[0];
    assert_eq!(
        r.path,
        "/autodiscover/autodiscover.json/v1.0/alice@contoso.example?Protocol=EWS"
    );
    assert_eq!(r.header("authorization"), None);
}

#[tokio::test]
async fn pox_fallback_prefers_external_url() {
    let server =
        MockServer::start("", vec![Canned::new(404, ""), Canned::new(200, settings())]).await;
    let d = client(&server)
        .discover("alice@contoso.example", Some(&creds()))
        .await
        .unwrap();
    assert_eq!(d.ews_url, "https://mail.contoso.example/EWS/Exchange.asmx");
    assert_eq!(d.method, Method::Pox);
    let r = &server.requests()[1];
    assert_eq!(r.path, "/autodiscover/autodiscover.xml");
    assert_eq!(r.header("authorization"), Some("Basic c3ZjOnB3"));
    assert!(
        r.body_str()
            .contains("<EMailAddress>alice@contoso.example</EMailAddress>")
    );
}

#[tokio::test]
async fn pox_internal_url_when_no_external() {
    let only_exch = pox(
        "<Action>settings</Action><Protocol><Type>EXCH</Type><EwsUrl>https://mbx.contoso.example/EWS/Exchange.asmx</EwsUrl></Protocol>",
    );
    let server =
        MockServer::start("", vec![Canned::new(404, ""), Canned::new(200, only_exch)]).await;
    let d = client(&server)
        .discover("alice@contoso.example", None)
        .await
        .unwrap();
    assert_eq!(d.ews_url, "https://mbx.contoso.example/EWS/Exchange.asmx");
}

#[tokio::test]
async fn redirect_address_restarts_with_the_new_address() {
    let server = MockServer::start(
        "",
        vec![
            Canned::new(404, ""),
            Canned::new(200, pox("<Action>redirectAddr</Action><RedirectAddr>alice@hq.contoso.example</RedirectAddr>")),
            Canned::new(404, ""),
            Canned::new(200, settings()),
        ],
    )
    .await;
    let d = client(&server)
        .discover("alice@contoso.example", Some(&creds()))
        .await
        .unwrap();
    assert_eq!(d.email, "alice@hq.contoso.example");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    assert!(reqs[2].path.contains("alice@hq.contoso.example"));
    assert!(reqs[3].body_str().contains("alice@hq.contoso.example"));
}

#[tokio::test]
async fn insecure_redirect_and_errors_are_reported() {
    let server = MockServer::start(
        "",
        vec![
            Canned::new(500, "oops"),
            Canned::new(200, pox("<Action>redirectUrl</Action><RedirectUrl>http://evil.example/autodiscover/autodiscover.xml</RedirectUrl>")),
        ],
    )
    .await;
    let e = client(&server)
        .discover("alice@contoso.example", Some(&creds()))
        .await
        .unwrap_err();
    match e {
        Error::Autodiscover { attempts } => {
            assert_eq!(attempts.len(), 2, "{attempts:?}");
            assert!(attempts[0].contains("json") && attempts[0].contains("500"));
            assert!(attempts[1].contains("refused redirect to http://evil.example"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.requests().len(),
        2,
        "the insecure URL was not contacted"
    );

    let error600 = r#"<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response><Error Time="10:00:00" Id="1"><ErrorCode>600</ErrorCode><Message>Invalid Request</Message><DebugData/></Error></Response></Autodiscover>"#;
    let server =
        MockServer::start("", vec![Canned::new(404, ""), Canned::new(200, error600)]).await;
    let e = client(&server)
        .discover("alice@contoso.example", None)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("Autodiscover error 600: Invalid Request"),
        "{e}"
    );
}

#[tokio::test]
async fn bad_address_is_refused() {
    let e = Autodiscover::default()
        .discover("no-at-sign", None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)));
}

#[tokio::test]
async fn address_is_percent_encoded_in_the_json_url() {
    let server = MockServer::start(
        "",
        vec![Canned::new(
            200,
            r#"{"Protocol":"EWS","Url":"https://x/EWS/Exchange.asmx"}"#,
        )],
    )
    .await;
    client(&server)
        .discover("a#b?c@contoso.example", None)
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].path,
        "/autodiscover/autodiscover.json/v1.0/a%23b%3Fc@contoso.example?Protocol=EWS"
    );
}

// ---------------------------------------------------------------------------------------
// DNS SRV (the last step) and where credentials go

/// SRV answers set by the test; records the names asked.
#[derive(Debug, Default)]
struct FakeSrv {
    answers: std::collections::HashMap<String, Result<Vec<SrvRecord>, String>>,
    asked: Arc<Mutex<Vec<String>>>,
}

impl FakeSrv {
    fn with(mut self, name: &str, answer: Result<Vec<SrvRecord>, String>) -> Self {
        self.answers.insert(name.into(), answer);
        self
    }
}

impl SrvResolver for FakeSrv {
    fn lookup_srv<'a>(&'a self, name: &'a str) -> SrvFuture<'a> {
        self.asked.lock().unwrap().push(name.to_owned());
        let answer = self.answers.get(name).cloned().unwrap_or(Ok(Vec::new()));
        Box::pin(async move { answer })
    }
}

fn srv(priority: u16, port: u16, target: &str) -> SrvRecord {
    SrvRecord {
        priority,
        weight: 0,
        port,
        target: target.into(),
    }
}

/// POX answers: the settings for the right Basic credentials, 401 otherwise.
fn pox_needing_credentials(r: &Recorded) -> (u16, String) {
    if r.header("authorization") == Some("Basic c3ZjOnB3") {
        (200, settings())
    } else {
        (401, String::new())
    }
}

const SRV_NAME: &str = "_autodiscover._tcp.contoso.example";

#[tokio::test]
async fn srv_record_is_the_last_step_and_gets_credentials_in_the_domain() {
    // The candidate answers nothing useful; the domain's SRV record names
    // mail.contoso.example on port N (here the HTTPS mock).
    let candidate = MockServer::start("", vec![Canned::new(404, "")]).await;
    let tls = TlsMock::start(&["mail.contoso.example"], pox_needing_credentials);
    let fake = FakeSrv::default().with(
        SRV_NAME,
        Ok(vec![srv(0, tls.port, "mail.contoso.example.")]),
    );
    let asked = fake.asked.clone();
    let d = Autodiscover::new(tls.client())
        .with_candidates(vec![candidate.url.clone()])
        .with_srv_resolver(fake)
        .discover("alice@contoso.example", Some(&creds()))
        .await
        .unwrap();
    assert_eq!(d.ews_url, "https://mail.contoso.example/EWS/Exchange.asmx");
    assert_eq!(d.method, Method::Srv);
    assert_eq!(*asked.lock().unwrap(), [SRV_NAME]);
    // The candidate first (JSON, then POX), then the SRV target.
    assert_eq!(candidate.requests().len(), 2);
    let r = &tls.requests()[0];
    assert_eq!(r.path, "/autodiscover/autodiscover.xml");
    assert_eq!(
        r.header("host"),
        Some(format!("mail.contoso.example:{}", tls.port).as_str())
    );
    assert_eq!(r.header("authorization"), Some("Basic c3ZjOnB3"));
    assert!(
        r.body_str()
            .contains("<EMailAddress>alice@contoso.example</EMailAddress>")
    );
}

#[tokio::test]
async fn srv_target_outside_the_domain_is_asked_without_credentials() {
    // Priority 5 names a host outside contoso.example: asked anonymously (as an untrusted
    // redirect), it answers 401. Priority 10 names a host of the domain: it gets them.
    let candidate = MockServer::start("", vec![Canned::new(404, "")]).await;
    let tls = TlsMock::start(
        &["autodiscover.hosting.example", "mail.contoso.example"],
        pox_needing_credentials,
    );
    let fake = FakeSrv::default().with(
        SRV_NAME,
        Ok(vec![
            srv(10, tls.port, "mail.contoso.example."),
            srv(5, tls.port, "autodiscover.hosting.example."),
        ]),
    );
    let d = Autodiscover::new(tls.client())
        .with_candidates(vec![candidate.url.clone()])
        .with_srv_resolver(fake)
        .discover("alice@contoso.example", Some(&creds()))
        .await
        .unwrap();
    assert_eq!(d.method, Method::Srv);
    let reqs = tls.requests();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs[0]
            .header("host")
            .unwrap()
            .starts_with("autodiscover.hosting.example:")
    );
    assert_eq!(reqs[0].header("authorization"), None);
    assert!(
        reqs[1]
            .header("host")
            .unwrap()
            .starts_with("mail.contoso.example:")
    );
    assert_eq!(reqs[1].header("authorization"), Some("Basic c3ZjOnB3"));

    // Only the outside host: discovery fails, and says why.
    let fake = FakeSrv::default().with(
        SRV_NAME,
        Ok(vec![srv(5, tls.port, "autodiscover.hosting.example.")]),
    );
    let e = Autodiscover::new(tls.client())
        .with_candidates(vec![candidate.url.clone()])
        .with_srv_resolver(fake)
        .discover("alice@contoso.example", Some(&creds()))
        .await
        .unwrap_err();
    let Error::Autodiscover { attempts } = e else {
        panic!("{e:?}")
    };
    assert!(
        attempts
            .iter()
            .any(|a| a.contains("outside contoso.example, asked without credentials")),
        "{attempts:?}"
    );
    assert!(attempts.last().unwrap().contains("401"), "{attempts:?}");
    assert_eq!(tls.requests()[2].header("authorization"), None);
}

#[tokio::test]
async fn srv_without_records_or_with_a_dns_error_is_reported() {
    let candidate = MockServer::start("", vec![Canned::new(404, "")]).await;
    for (answer, expected) in [
        (Ok(vec![srv(0, 443, ".")]), "no usable record"),
        (Ok(Vec::new()), "no usable record"),
        (Err("SERVFAIL".to_owned()), "SERVFAIL"),
    ] {
        let e = Autodiscover::default()
            .with_candidates(vec![candidate.url.clone()])
            .with_srv_resolver(FakeSrv::default().with(SRV_NAME, answer))
            .discover("alice@contoso.example", Some(&creds()))
            .await
            .unwrap_err();
        let Error::Autodiscover { attempts } = e else {
            panic!("{e:?}")
        };
        assert_eq!(attempts.len(), 3, "{attempts:?}");
        assert_eq!(attempts[2], format!("SRV {SRV_NAME}: {expected}"));
    }
    // Explicit candidates without a resolver: no SRV step at all.
    let e = Autodiscover::default()
        .with_candidates(vec![candidate.url.clone()])
        .discover("alice@contoso.example", Some(&creds()))
        .await
        .unwrap_err();
    let Error::Autodiscover { attempts } = e else {
        panic!("{e:?}")
    };
    assert_eq!(attempts.len(), 2, "{attempts:?}");
}

/// Regression: a `redirectUrl` answered by an explicitly set candidate used to receive the
/// credentials whatever its domain (every URL counted as trusted once candidates were set).
#[tokio::test]
async fn redirect_from_an_explicit_candidate_to_another_domain_gets_no_credentials() {
    let tls = TlsMock::start(
        &["evil.example", "mail.contoso.example"],
        pox_needing_credentials,
    );
    let redirect = |host: &str| {
        Canned::new(
            200,
            pox(&format!(
                "<Action>redirectUrl</Action><RedirectUrl>https://{host}:{}/autodiscover/autodiscover.xml</RedirectUrl>",
                tls.port
            )),
        )
    };
    let candidate = MockServer::start(
        "",
        vec![
            Canned::new(404, ""),
            redirect("evil.example"),
            Canned::new(404, ""),
            redirect("mail.contoso.example"),
        ],
    )
    .await;
    let ad = Autodiscover::new(tls.client()).with_candidates(vec![candidate.url.clone()]);
    let e = ad
        .discover("alice@contoso.example", Some(&creds()))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("401"), "{e}");
    assert_eq!(
        candidate.requests()[1].header("authorization"),
        Some("Basic c3ZjOnB3")
    );
    let evil = &tls.requests()[0];
    assert!(evil.header("host").unwrap().starts_with("evil.example:"));
    assert_eq!(
        evil.header("authorization"),
        None,
        "credentials leaked to a redirect"
    );
    // A redirect within the address's domain keeps them.
    let d = ad
        .discover("alice@contoso.example", Some(&creds()))
        .await
        .unwrap();
    assert_eq!(d.method, Method::Pox);
    assert_eq!(
        tls.requests()[1].header("authorization"),
        Some("Basic c3ZjOnB3")
    );
}

/// The guard of every destination an organisation can name: with it, a candidate, a
/// `redirectUrl` answer and an SRV target on a refused address get no request at all.
#[tokio::test]
async fn a_guarded_autodiscover_sends_nothing_to_a_refused_candidate_redirect_or_srv_target() {
    use roombook_outbound::{Guard, Policy};

    // A candidate on loopback, under the strict guard: never asked.
    let candidate = MockServer::start("", vec![Canned::new(200, settings())]).await;
    let tls = TlsMock::start(&["localhost"], pox_needing_credentials);
    // The domain's SRV record names localhost (loopback), on the HTTPS mock's port.
    let fake = FakeSrv::default().with(SRV_NAME, Ok(vec![srv(0, tls.port, "localhost.")]));
    let strict = Guard::strict();
    let e = Autodiscover::new(strict.client_builder(5).build().unwrap())
        .with_guard(strict)
        .with_candidates(vec![candidate.url.clone()])
        .with_srv_resolver(fake)
        .discover("alice@contoso.example", Some(&creds()))
        .await
        .unwrap_err();
    let Error::Autodiscover { attempts } = e else {
        panic!("{e:?}")
    };
    assert!(
        candidate.requests().is_empty(),
        "the refused candidate was asked"
    );
    assert!(
        tls.requests().is_empty(),
        "the refused SRV target was asked"
    );
    assert!(
        attempts
            .iter()
            .any(|a| a.contains("must be reached over https") || a.contains("points at")),
        "{attempts:?}"
    );
    assert!(
        attempts
            .iter()
            .any(|a| a.contains("localhost") && a.contains("loopback")),
        "the SRV target's refusal is named: {attempts:?}"
    );

    // Loopback allowed (the candidate answers), but its redirectUrl to a private, a
    // metadata or an IPv4-mapped private address is refused before any request.
    for target in [
        "https://10.20.30.40/autodiscover/autodiscover.xml",
        "https://169.254.169.254/autodiscover/autodiscover.xml",
        "https://[::ffff:192.168.1.1]/autodiscover/autodiscover.xml",
    ] {
        let candidate = MockServer::start(
            "",
            vec![
                Canned::new(404, ""),
                Canned::new(
                    200,
                    pox(&format!(
                        "<Action>redirectUrl</Action><RedirectUrl>{target}</RedirectUrl>"
                    )),
                ),
            ],
        )
        .await;
        let guard = Guard::new(Policy {
            allow_private: false,
            allow_loopback: true,
        });
        let e = Autodiscover::new(guard.client_builder(5).build().unwrap())
            .with_guard(guard)
            .with_candidates(vec![candidate.url.clone()])
            .without_srv()
            .discover("alice@contoso.example", Some(&creds()))
            .await
            .unwrap_err();
        let Error::Autodiscover { attempts } = e else {
            panic!("{e:?}")
        };
        assert_eq!(candidate.requests().len(), 2, "JSON, then POX");
        assert!(
            attempts.iter().any(|a| a.contains("points at")),
            "{target}: {attempts:?}"
        );
    }
}

/// The real resolver against the machine's DNS (needs network, so not run by default:
/// `cargo test -p roombook-ews --test ews -- --ignored dns_srv`). A name without SRV records
/// answers an empty list, not an error.
#[tokio::test]
#[ignore = "needs the network's DNS"]
async fn dns_srv_resolver_answers_from_the_system_dns() {
    use roombook_ews::autodiscover::DnsSrvResolver;
    let none = DnsSrvResolver
        .lookup_srv("_autodiscover._tcp.roombook-test.invalid")
        .await;
    assert_eq!(none, Ok(Vec::new()));
}
