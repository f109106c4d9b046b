//! Autodiscover against a local mock: v2 JSON, POX fallback, redirects, failures.

use roombook_ews::autodiscover::{Autodiscover, Method};
use roombook_ews::{Credentials, Error, Secret};

use crate::mock::{Canned, MockServer};

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
