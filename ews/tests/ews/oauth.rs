//! App-only OAuth: certificate loading, client assertion JWT (verified with the public key),
//! the token endpoint exchange, caching, shared renewal, and use by the EWS client.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Verifier};
use openssl::x509::{X509, X509NameBuilder};
use roombook_ews::client::{ClientConfig, EwsClient};
use roombook_ews::oauth::{
    AppOnlyOAuth, AssertionAlgorithm, ClientCertificate, EntraError, client_assertion,
};
use roombook_ews::operations::GetFolder;
use roombook_ews::{Error, ErrorClass, Secret};

use crate::mock::{Canned, MockServer};

pub fn make_cert() -> (X509, PKey<Private>) {
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "roombook-test").unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    (b.build(), key)
}

fn pem_cert() -> (ClientCertificate, X509) {
    let (cert, key) = make_cert();
    let c = ClientCertificate::from_pem(
        &cert.to_pem().unwrap(),
        &key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    (c, cert)
}

fn decode_json(part: &str) -> serde_json::Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn verify(jwt: &str, cert: &X509, alg: AssertionAlgorithm) -> bool {
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    let public = cert.public_key().unwrap();
    let mut v = Verifier::new(MessageDigest::sha256(), &public).unwrap();
    match alg {
        AssertionAlgorithm::Ps256 => {
            v.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
            v.set_rsa_pss_saltlen(RsaPssSaltlen::custom(32)).unwrap();
            v.set_rsa_mgf1_md(MessageDigest::sha256()).unwrap();
        }
        AssertionAlgorithm::Rs256 => v.set_rsa_padding(Padding::PKCS1).unwrap(),
    }
    v.update(input.as_bytes()).unwrap();
    v.verify(&sig).unwrap()
}

const AUD: &str = "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token";

#[test]
fn ps256_assertion_verifies_with_the_public_key() {
    let (c, cert) = pem_cert();
    let jwt = client_assertion(
        &c,
        AssertionAlgorithm::Ps256,
        "client-guid",
        AUD,
        1_800_000_000,
        "jti-1",
    )
    .unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = decode_json(parts[0]);
    assert_eq!(header["alg"], "PS256");
    assert_eq!(header["typ"], "JWT");
    let sha256 = cert.digest(MessageDigest::sha256()).unwrap();
    assert_eq!(header["x5t#S256"], URL_SAFE_NO_PAD.encode(sha256));
    assert!(header.get("x5t").is_none());
    let claims = decode_json(parts[1]);
    assert_eq!(claims["aud"], AUD);
    assert_eq!(claims["iss"], "client-guid");
    assert_eq!(claims["sub"], "client-guid");
    assert_eq!(claims["jti"], "jti-1");
    assert_eq!(claims["nbf"], 1_800_000_000u64);
    assert_eq!(claims["iat"], 1_800_000_000u64);
    assert_eq!(claims["exp"], 1_800_000_300u64);
    assert!(verify(&jwt, &cert, AssertionAlgorithm::Ps256));
    // A tampered payload does not verify.
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(b"{\"aud\":\"x\"}"),
        parts[2]
    );
    assert!(!verify(&tampered, &cert, AssertionAlgorithm::Ps256));
    // No padding, URL-safe alphabet.
    assert!(!jwt.contains('=') && !jwt.contains('+') && !jwt.contains('/'));
}

#[test]
fn rs256_assertion_uses_sha1_thumbprint() {
    let (c, cert) = pem_cert();
    let jwt = client_assertion(
        &c,
        AssertionAlgorithm::Rs256,
        "cid",
        AUD,
        1_800_000_000,
        "j",
    )
    .unwrap();
    let header = decode_json(jwt.split('.').next().unwrap());
    assert_eq!(header["alg"], "RS256");
    let sha1 = cert.digest(MessageDigest::sha1()).unwrap();
    assert_eq!(header["x5t"], URL_SAFE_NO_PAD.encode(sha1));
    assert!(verify(&jwt, &cert, AssertionAlgorithm::Rs256));
    assert!(!verify(&jwt, &cert, AssertionAlgorithm::Ps256));
}

#[test]
fn loads_pkcs12_and_rejects_mismatches() {
    let (cert, key) = make_cert();
    let p12 = openssl::pkcs12::Pkcs12::builder()
        .name("roombook")
        .pkey(&key)
        .cert(&cert)
        .build2("pfx-pass")
        .unwrap()
        .to_der()
        .unwrap();
    let c = ClientCertificate::from_pkcs12(&p12, &Secret::new("pfx-pass")).unwrap();
    assert_eq!(c.der().unwrap(), cert.to_der().unwrap());
    assert!(matches!(
        ClientCertificate::from_pkcs12(&p12, &Secret::new("wrong")),
        Err(EntraError::Certificate(_))
    ));
    // PKCS#1 key PEM, and a combined PEM file.
    let pkcs1 = key.rsa().unwrap().private_key_to_pem().unwrap();
    assert!(ClientCertificate::from_pem(&cert.to_pem().unwrap(), &pkcs1).is_ok());
    let mut combined = cert.to_pem().unwrap();
    combined.extend(key.private_key_to_pem_pkcs8().unwrap());
    assert!(ClientCertificate::from_pem(&combined, &combined).is_ok());
    // A key from another certificate.
    let (_, other_key) = make_cert();
    let e = ClientCertificate::from_pem(
        &cert.to_pem().unwrap(),
        &other_key.private_key_to_pem_pkcs8().unwrap(),
    );
    assert!(matches!(e, Err(EntraError::Certificate(m)) if m.contains("does not belong")));
    // Debug never shows the key.
    assert!(format!("{c:?}").contains("[redacted]"));
}

fn token_json(token: &str, expires_in: u64) -> String {
    format!(
        r#"{{"token_type":"Bearer","expires_in":{expires_in},"ext_expires_in":{expires_in},"access_token":"{token}"}}"#
    )
}

/// Decodes an `application/x-www-form-urlencoded` body.
fn form(body: &str) -> std::collections::HashMap<String, String> {
    body.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn token_request_caching_and_one_shared_renewal() {
    let server = MockServer::start(
        "",
        vec![Canned::new(200, token_json("tok-1", 3599)).delay(Duration::from_millis(200))],
    )
    .await;
    let (c, cert) = pem_cert();
    let oauth = Arc::new(AppOnlyOAuth::with_authority(
        &server.url,
        "tenant-guid",
        "client-guid",
        c,
    ));
    assert_eq!(
        oauth.token_url(),
        format!("{}/tenant-guid/oauth2/v2.0/token", server.url)
    );
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let o = oauth.clone();
        tasks.push(tokio::spawn(async move { o.token().await.unwrap() }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().expose(), "tok-1");
    }
    assert_eq!(oauth.token().await.unwrap().expose(), "tok-1");
    let reqs = server.requests();
    assert_eq!(
        reqs.len(),
        1,
        "concurrent callers must share one token request"
    );
    let r = &reqs[0];
    assert_eq!(r.path, "/tenant-guid/oauth2/v2.0/token");
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let f = form(&r.body_str());
    assert_eq!(f["grant_type"], "client_credentials");
    assert_eq!(f["client_id"], "client-guid");
    assert_eq!(f["scope"], "https://outlook.office365.com/.default");
    assert_eq!(
        f["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    let jwt = &f["client_assertion"];
    assert!(verify(jwt, &cert, AssertionAlgorithm::Ps256));
    let claims = decode_json(jwt.split('.').nth(1).unwrap());
    assert_eq!(claims["aud"], oauth.token_url());
}

#[tokio::test]
async fn token_is_renewed_before_expiry() {
    // expires_in 2 s: renewed after half its life.
    let server = MockServer::start(
        "",
        vec![
            Canned::new(200, token_json("short-1", 2)),
            Canned::new(200, token_json("short-2", 2)),
        ],
    )
    .await;
    let (c, _) = pem_cert();
    let oauth = AppOnlyOAuth::with_authority(&server.url, "t", "cid", c);
    assert_eq!(oauth.token().await.unwrap().expose(), "short-1");
    assert_eq!(oauth.token().await.unwrap().expose(), "short-1");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(oauth.token().await.unwrap().expose(), "short-2");
    assert_eq!(server.requests().len(), 2);
    // Two assertions, two different jti values.
    let jtis: Vec<String> = server
        .requests()
        .iter()
        .map(|r| {
            decode_json(
                form(&r.body_str())["client_assertion"]
                    .split('.')
                    .nth(1)
                    .unwrap(),
            )["jti"]
                .to_string()
        })
        .collect();
    assert_ne!(jtis[0], jtis[1]);
}

#[tokio::test]
async fn token_endpoint_errors_are_typed() {
    let body = r#"{"error":"invalid_client","error_description":"AADSTS700027: Client assertion failed signature validation.","error_codes":[700027],"timestamp":"2026-11-23 10:00:00Z","trace_id":"x","correlation_id":"y"}"#;
    let server = MockServer::start(
        "",
        vec![Canned::new(401, body).header("Content-Type", "application/json")],
    )
    .await;
    let (c, _) = pem_cert();
    let oauth = AppOnlyOAuth::with_authority(&server.url, "t", "cid", c)
        .with_algorithm(AssertionAlgorithm::Rs256);
    match oauth.token().await.unwrap_err() {
        EntraError::TokenEndpoint {
            status,
            error,
            error_codes,
            ..
        } => {
            assert_eq!(status, 401);
            assert_eq!(error, "invalid_client");
            assert_eq!(error_codes, vec![700027]);
        }
        other => panic!("{other:?}"),
    }
    let e: Error = oauth.token().await.unwrap_err().into();
    assert_eq!(e.classify(), ErrorClass::Authentication);
    let jwt = &form(&server.requests()[0].body_str())["client_assertion"];
    assert_eq!(decode_json(jwt.split('.').next().unwrap())["alg"], "RS256");
}

#[tokio::test]
async fn ews_client_uses_bearer_and_renews_once_after_401() {
    let tokens = MockServer::start(
        "",
        vec![
            Canned::new(200, token_json("stale", 3599)),
            Canned::new(200, token_json("fresh", 3599)),
        ],
    )
    .await;
    let ok = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetFolderResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:CalendarFolder><t:FolderId Id="CAL"/></t:CalendarFolder></m:Folders></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse></s:Body></s:Envelope>"#;
    let ews = MockServer::start(
        "/EWS/Exchange.asmx",
        vec![Canned::new(401, ""), Canned::new(200, ok)],
    )
    .await;
    let (c, _) = pem_cert();
    let oauth = AppOnlyOAuth::with_authority(&tokens.url, "t", "cid", c);
    let client = EwsClient::new(ClientConfig::new(&ews.url), oauth).unwrap();
    let who = roombook_ews::ConnectingSid::PrimarySmtpAddress("admin@contoso.example".into());
    let f = client
        .call(Some(&who), &GetFolder::calendar_of("admin@contoso.example"))
        .await
        .unwrap();
    assert_eq!(f.id, "CAL");
    let reqs = ews.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].header("authorization"), Some("Bearer stale"));
    assert_eq!(reqs[1].header("authorization"), Some("Bearer fresh"));
    assert_eq!(
        reqs[1].header("x-anchormailbox"),
        Some("admin@contoso.example")
    );
    assert_eq!(tokens.requests().len(), 2);
}

#[tokio::test]
async fn token_endpoint_outage_is_transient() {
    let server = MockServer::start("", vec![Canned::new(503, "{}")]).await;
    let (c, _) = pem_cert();
    let oauth = AppOnlyOAuth::with_authority(&server.url, "t", "cid", c);
    let e: Error = oauth.token().await.unwrap_err().into();
    assert_eq!(e.classify(), ErrorClass::Transient);
}
