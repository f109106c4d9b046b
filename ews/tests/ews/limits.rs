//! Hostile sizes and values: gzip bombs from Autodiscover, token and EWS endpoints, a body of
//! tiny elements, and server-given waits that would overflow a `Duration`.
//!
//! The memory tests run in a child process (this test binary started again with one ignored
//! test), so that other tests running in parallel do not move the figures. They read VmRSS
//! and VmHWM (peak) from /proc/self/status before and after, and print them.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use roombook_ews::client::{ClientConfig, EwsClient};
use roombook_ews::http::{MAX_SERVER_WAIT, SMALL_BODY_LIMIT};
use roombook_ews::oauth::{AppOnlyOAuth, ClientCertificate};
use roombook_ews::operations::{GetFolder, GetItem, GetUserAvailability};
use roombook_ews::{AuthError, Credentials, Error, ErrorClass, Secret, StaticCredentials};

use crate::fixtures::{T, envelope};
use crate::mock::{Canned, MockServer};

const GIB: usize = 1024 * 1024 * 1024;
const MIB: usize = 1024 * 1024;

/// 1 GiB of zeros, gzipped (about 1 MiB).
fn gzip_bomb() -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 4 * MIB];
    for _ in 0..GIB / zeros.len() {
        gz.write_all(&zeros).unwrap();
    }
    gz.finish().unwrap()
}

/// (VmRSS, VmHWM) in bytes.
fn memory() -> (usize, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
            .unwrap()
            * 1024
    };
    (kib("VmRSS:"), kib("VmHWM:"))
}

fn mib(n: usize) -> f64 {
    n as f64 / MIB as f64
}

/// Runs `name` (an ignored test of this module) alone in a child process; its output is
/// printed here, and its failure fails this test.
fn in_child(name: &str) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ROOMBOOK_EWS_MEMORY_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(out.status.success(), "child {name} failed");
    assert!(
        stdout.contains("1 passed"),
        "child {name} did not run: {stdout}"
    );
}

fn bomb_reply(bomb: &[u8], content_type: &str) -> Canned {
    Canned {
        status: 200,
        headers: vec![
            ("Content-Type".into(), content_type.into()),
            ("Content-Encoding".into(), "gzip".into()),
        ],
        body: bomb.to_vec(),
        delay: Duration::ZERO,
    }
}

#[test]
fn gzip_bombs_are_refused_with_bounded_memory() {
    in_child("limits::child_gzip_bombs");
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "run by gzip_bombs_are_refused_with_bounded_memory in a child process"]
async fn child_gzip_bombs() {
    let bomb = gzip_bomb();
    println!("gzip bomb: {} bytes, 1 GiB decompressed", bomb.len());

    let autodiscover = MockServer::start("", vec![bomb_reply(&bomb, "application/json")]).await;
    let token = MockServer::start("", vec![bomb_reply(&bomb, "application/json")]).await;
    let ews = MockServer::start("/EWS/Exchange.asmx", vec![bomb_reply(&bomb, "text/xml")]).await;

    let (rss0, hwm0) = memory();
    // Autodiscover: v2 JSON and POX both meet the bomb.
    let e = roombook_ews::autodiscover::Autodiscover::default()
        .with_candidates(vec![autodiscover.url.clone()])
        .discover(
            "alice@contoso.example",
            Some(&Credentials::Basic {
                username: "svc".into(),
                password: Secret::new("pw"),
            }),
        )
        .await
        .unwrap_err();
    let Error::Autodiscover { attempts } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(autodiscover.requests().len(), 2, "{attempts:?}");
    for a in attempts {
        assert!(
            a.contains("the response from 127.0.0.1 was larger than 1 MiB"),
            "{a}"
        );
    }
    // The token endpoint.
    let (cert, key) = crate::oauth::make_cert();
    let cert = ClientCertificate::from_pem(
        &cert.to_pem().unwrap(),
        &key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    let oauth = AppOnlyOAuth::with_authority(&token.url, "contoso.example", "app-id", cert);
    // As the EWS client reports it (the token cache lives in roombook-entra).
    let e: AuthError = oauth.token().await.unwrap_err().into();
    match &e {
        AuthError::ResponseTooLarge(t) => {
            assert_eq!(t.limit, SMALL_BODY_LIMIT);
            assert_eq!(t.host, "127.0.0.1");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.to_string(),
        "token endpoint: the response from 127.0.0.1 was larger than 1 MiB"
    );
    let (rss1, hwm1) = memory();
    println!(
        "Autodiscover + token bombs: VmRSS {:.1} -> {:.1} MiB, VmHWM {:.1} -> {:.1} MiB",
        mib(rss0),
        mib(rss1),
        mib(hwm0),
        mib(hwm1)
    );
    assert!(rss1.saturating_sub(rss0) < 64 * MIB);
    assert!(hwm1.saturating_sub(hwm0) < 64 * MIB);

    // EWS keeps its own cap (64 MiB by default), counted after decompression while reading.
    let client = EwsClient::new(
        ClientConfig::new(&ews.url),
        StaticCredentials(Credentials::Basic {
            username: "svc".into(),
            password: Secret::new("pw"),
        }),
    )
    .unwrap();
    let e = client
        .call(None, &GetFolder::calendar_of("room.alpha@contoso.example"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::ResponseTooLarge { limit, .. } if *limit == 64 * MIB),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "the response from 127.0.0.1 was larger than 64 MiB"
    );
    assert_eq!(e.classify(), ErrorClass::Other);
    assert_eq!(ews.requests().len(), 1, "a too-large answer is not retried");
    let (rss2, hwm2) = memory();
    println!(
        "EWS bomb (64 MiB cap): VmRSS {:.1} -> {:.1} MiB, VmHWM {:.1} -> {:.1} MiB",
        mib(rss1),
        mib(rss2),
        mib(hwm1),
        mib(hwm2)
    );
    // The cap plus the buffer's last doubling, far from the gigabyte it would otherwise be.
    assert!(hwm2.saturating_sub(hwm1) < 160 * MIB);
}

#[test]
fn a_body_of_tiny_elements_is_refused_with_bounded_memory() {
    in_child("limits::child_tiny_elements");
}

#[test]
#[ignore = "run by a_body_of_tiny_elements_is_refused_with_bounded_memory in a child process"]
fn child_tiny_elements() {
    // 64 MiB: an envelope whose body holds 16 million empty elements in the EWS namespace.
    let open = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns="{T}"><m:ResponseMessages>"#
    );
    let close = "</m:ResponseMessages></m:GetItemResponse></s:Body></s:Envelope>";
    let mut body = Vec::with_capacity(64 * MIB);
    body.extend_from_slice(open.as_bytes());
    while body.len() + 4 + close.len() <= 64 * MIB {
        body.extend_from_slice(b"<a/>");
    }
    body.extend_from_slice(close.as_bytes());
    let (rss0, hwm0) = memory();
    let t0 = Instant::now();
    let e = roombook_ews::soap::parse_response::<GetItem>(&body).unwrap_err();
    let tree = t0.elapsed();
    assert!(
        matches!(e, Error::TooManyXmlNodes { limit } if limit == roombook_ews::xml::MAX_NODES),
        "{e:?}"
    );
    // The streaming GetUserAvailability parser hands it to the tree path, which refuses it.
    let e = roombook_ews::soap::parse_response::<GetUserAvailability>(&body).unwrap_err();
    assert!(matches!(e, Error::TooManyXmlNodes { .. }), "{e:?}");
    let (rss1, hwm1) = memory();
    println!(
        "64 MiB of tiny elements ({} bytes, refused in {tree:?}): VmRSS {:.1} -> {:.1} MiB, VmHWM {:.1} -> {:.1} MiB",
        body.len(),
        mib(rss0),
        mib(rss1),
        mib(hwm0),
        mib(hwm1)
    );
    assert!(rss1.saturating_sub(rss0) < 64 * MIB);
    assert!(hwm1.saturating_sub(hwm0) < 64 * MIB);
}

fn basic() -> StaticCredentials {
    StaticCredentials(Credentials::Basic {
        username: "svc".into(),
        password: Secret::new("pw"),
    })
}

fn busy_fault(back_off: &str) -> String {
    envelope(&format!(
        r#"<s:Fault><faultcode xmlns:a="{T}">a:ErrorServerBusy</faultcode><faultstring>The server cannot service this request right now. Try again later.</faultstring><detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode><t:MessageXml xmlns:t="{T}"><t:Value Name="BackOffMilliseconds">{back_off}</t:Value></t:MessageXml></detail></s:Fault>"#
    ))
}

/// One call against a server that always answers `reply`; the error and the requests made.
async fn always(reply: Canned) -> (Error, usize, Duration) {
    let server = MockServer::start("/", vec![reply]).await;
    let client = EwsClient::new(crate::client::config(&server.url), basic()).unwrap();
    let t0 = Instant::now();
    let e = client
        .call(None, &GetFolder::calendar_of("room.alpha@contoso.example"))
        .await
        .unwrap_err();
    (e, server.requests().len(), t0.elapsed())
}

#[tokio::test]
async fn huge_retry_after_is_clamped_not_a_panic() {
    for value in [
        "18446744073709551615",
        "99999999999999999999999",
        "301",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        for status in [429, 503] {
            let (e, requests, took) =
                always(Canned::new(status, "").header("Retry-After", value)).await;
            // Five minutes is past the 10 s deadline: given up at once, with the clamped wait.
            assert_eq!(
                e.classify(),
                ErrorClass::Throttled {
                    back_off: Some(MAX_SERVER_WAIT)
                },
                "{status} {value}: {e:?}"
            );
            assert_eq!(requests, 1, "{status} {value}");
            assert!(took < Duration::from_secs(5));
        }
    }
}

#[tokio::test]
async fn negative_or_garbage_retry_after_is_no_hint() {
    for value in ["-1", "-18446744073709551615", "1.5", "soon", "+3"] {
        // 429 without a usable hint: throttled, own back-off (10 ms doubling), 4 attempts.
        let (e, requests, _) = always(Canned::new(429, "").header("Retry-After", value)).await;
        assert_eq!(
            e.classify(),
            ErrorClass::Throttled { back_off: None },
            "{value}"
        );
        assert_eq!(requests, 4, "{value}");
    }
    // A date in the past: retry at once.
    let (e, requests, _) =
        always(Canned::new(503, "").header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")).await;
    assert_eq!(
        e.classify(),
        ErrorClass::Throttled {
            back_off: Some(Duration::ZERO)
        }
    );
    assert_eq!(requests, 4);
}

#[tokio::test]
async fn huge_back_off_milliseconds_is_clamped() {
    for value in ["18446744073709551615", "184467440737095516150000", "300001"] {
        let (e, requests, took) = always(Canned::new(500, busy_fault(value))).await;
        assert_eq!(
            e.classify(),
            ErrorClass::Throttled {
                back_off: Some(MAX_SERVER_WAIT)
            },
            "{value}: {e:?}"
        );
        assert_eq!(requests, 1);
        assert!(took < Duration::from_secs(5));
    }
    for value in ["-5", "soon", ""] {
        let (e, requests, _) = always(Canned::new(500, busy_fault(value))).await;
        assert_eq!(
            e.classify(),
            ErrorClass::Throttled { back_off: None },
            "{value}"
        );
        assert_eq!(requests, 4, "{value}");
    }
}

#[tokio::test]
async fn a_huge_wait_with_a_huge_deadline_does_not_overflow() {
    // The deadline check adds the wait to the elapsed time: with Duration::MAX as the
    // deadline the sum must saturate. One attempt only, so nothing actually waits.
    let server = MockServer::start(
        "/",
        vec![Canned::new(429, "").header("Retry-After", "18446744073709551615")],
    )
    .await;
    let mut cfg = crate::client::config(&server.url);
    cfg.retry.deadline = Duration::MAX;
    cfg.retry.max_attempts = 1;
    let client = EwsClient::new(cfg, basic()).unwrap();
    let e = client
        .call(None, &GetFolder::calendar_of("room.alpha@contoso.example"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::RetriesExhausted { attempts: 1, .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_token_that_never_expires_is_not_a_panic() {
    let server = MockServer::start(
        "",
        vec![
            Canned::new(
                200,
                r#"{"token_type":"Bearer","expires_in":18446744073709551615,"access_token":"tok"}"#,
            )
            .header("Content-Type", "application/json"),
        ],
    )
    .await;
    let (cert, key) = crate::oauth::make_cert();
    let cert = ClientCertificate::from_pem(
        &cert.to_pem().unwrap(),
        &key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    let oauth = AppOnlyOAuth::with_authority(&server.url, "contoso.example", "app-id", cert);
    assert_eq!(oauth.token().await.unwrap().expose(), "tok");
    assert_eq!(oauth.token().await.unwrap().expose(), "tok");
    assert_eq!(server.requests().len(), 1, "cached");
}
