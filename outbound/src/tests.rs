use super::*;

fn strict() -> Guard {
    Guard::strict()
}

fn refused(ip: &str) -> Option<Range> {
    strict().refuses(ip.parse().unwrap())
}

#[test]
fn every_special_ipv4_range_is_refused() {
    for (ip, range) in [
        ("0.0.0.0", Range::Unspecified),
        ("0.1.2.3", Range::Unspecified),
        ("127.0.0.1", Range::Loopback),
        ("127.255.255.254", Range::Loopback),
        ("10.0.0.1", Range::Private),
        ("172.16.0.1", Range::Private),
        ("172.31.255.255", Range::Private),
        ("192.168.1.1", Range::Private),
        ("169.254.1.1", Range::LinkLocal),
        ("169.254.169.254", Range::Metadata),
        ("168.63.129.16", Range::Metadata),
        ("100.100.100.200", Range::Metadata),
        ("100.64.0.1", Range::CarrierGradeNat),
        ("100.127.255.255", Range::CarrierGradeNat),
        ("198.18.0.1", Range::Benchmarking),
        ("198.19.255.255", Range::Benchmarking),
        ("192.0.2.1", Range::Documentation),
        ("198.51.100.7", Range::Documentation),
        ("203.0.113.9", Range::Documentation),
        ("192.0.0.8", Range::Reserved),
        ("192.88.99.1", Range::Reserved),
        ("240.0.0.1", Range::Reserved),
        ("254.1.1.1", Range::Reserved),
        ("224.0.0.1", Range::Multicast),
        ("239.255.255.250", Range::Multicast),
        ("255.255.255.255", Range::Broadcast),
    ] {
        assert_eq!(refused(ip), Some(range), "{ip}");
    }
    for public in [
        "8.8.8.8",
        "1.1.1.1",
        "100.63.255.255",
        "100.128.0.0",
        "172.32.0.1",
        "198.20.0.1",
        "52.96.0.1",
    ] {
        assert_eq!(refused(public), None, "{public}");
    }
}

#[test]
fn every_special_ipv6_range_and_embedding_is_refused() {
    for (ip, range) in [
        ("::", Range::Unspecified),
        ("::1", Range::Loopback),
        ("::ffff:127.0.0.1", Range::Loopback),
        ("::ffff:10.0.0.1", Range::Private),
        ("::ffff:169.254.169.254", Range::Metadata),
        ("::ffff:0:10.0.0.1", Range::Private),
        ("::10.0.0.1", Range::Private),
        ("::8.8.8.8", Range::Reserved),
        ("64:ff9b::10.0.0.1", Range::Private),
        ("64:ff9b::169.254.169.254", Range::Metadata),
        ("64:ff9b::7f00:1", Range::Loopback),
        ("64:ff9b:1::1", Range::Private),
        ("2002:0a00:0001::1", Range::Private),
        ("2002:7f00:0001::", Range::Loopback),
        ("2002:a9fe:a9fe::1", Range::Metadata),
        ("2001::1", Range::Reserved),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", Range::Reserved),
        ("2001:db8::1", Range::Documentation),
        ("3fff::1", Range::Documentation),
        ("100::1", Range::Reserved),
        ("5f00::1", Range::Reserved),
        ("fc00::1", Range::Private),
        ("fd12:3456::1", Range::Private),
        ("fd00:ec2::254", Range::Metadata),
        ("fe80::1", Range::LinkLocal),
        ("febf::1", Range::LinkLocal),
        ("fec0::1", Range::Private),
        ("ff02::1", Range::Multicast),
        ("4000::1", Range::Reserved),
    ] {
        assert_eq!(refused(ip), Some(range), "{ip}");
    }
    for public in [
        "2606:4700:4700::1111",
        "2a01:111:f400::1",
        "64:ff9b::808:808",
        "2002:0808:0808::1",
    ] {
        assert_eq!(refused(public), None, "{public}");
    }
}

#[test]
fn allowing_private_addresses_never_opens_metadata_or_multicast() {
    let lax = Guard::new(Policy {
        allow_private: true,
        allow_loopback: false,
    });
    for ip in ["10.0.0.1", "127.0.0.1", "::1", "fd12::1", "100.64.0.1"] {
        assert_eq!(lax.refuses(ip.parse().unwrap()), None, "{ip}");
    }
    for ip in [
        "169.254.169.254",
        "fd00:ec2::254",
        "224.0.0.1",
        "0.0.0.0",
        "::",
    ] {
        assert!(lax.refuses(ip.parse().unwrap()).is_some(), "{ip}");
    }
    let loopback = Guard::new(Policy {
        allow_private: false,
        allow_loopback: true,
    });
    assert_eq!(loopback.refuses("127.0.0.1".parse().unwrap()), None);
    assert_eq!(
        loopback.refuses("10.0.0.1".parse().unwrap()),
        Some(Range::Private)
    );
}

#[test]
fn urls_must_be_https_with_public_literals() {
    let g = strict();
    assert!(g.parse("https://8.8.8.8/EWS/Exchange.asmx").is_ok());
    assert!(
        g.parse("https://mail.contoso.example/EWS/Exchange.asmx")
            .is_ok()
    );
    assert!(matches!(
        g.parse("http://8.8.8.8/EWS/Exchange.asmx"),
        Err(Refused::NotHttps { .. })
    ));
    assert!(matches!(
        g.parse("ftp://8.8.8.8/"),
        Err(Refused::NotHttps { .. })
    ));
    for url in [
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://[::ffff:10.0.0.1]/",
        "https://[64:ff9b::a9fe:a9fe]/",
        "https://0x7f000001/",
        "https://2130706433/",
        "https://0177.0.0.1/",
        "https://127.1/",
        "https://169.254.169.254/latest/meta-data",
    ] {
        assert!(
            matches!(g.parse(url), Err(Refused::Address { .. })),
            "{url}: {:?}",
            g.parse(url)
        );
    }
    assert!(matches!(
        g.parse("https://user:pw@8.8.8.8/"),
        Err(Refused::Malformed(_))
    ));
    assert!(matches!(
        g.parse("mail.contoso.com"),
        Err(Refused::Malformed(_))
    ));
    let loopback = Guard::new(Policy {
        allow_private: false,
        allow_loopback: true,
    });
    assert!(loopback.parse("http://127.0.0.1:7070/EWS").is_ok());
    assert!(loopback.parse("http://localhost:7070/EWS").is_ok());
    assert!(matches!(
        loopback.parse("http://10.0.0.1/EWS"),
        Err(Refused::NotHttps { .. })
    ));
}

#[tokio::test]
async fn names_are_refused_by_their_resolved_addresses() {
    let g = strict();
    assert!(matches!(
        g.check_destination("https://localhost/EWS/Exchange.asmx")
            .await,
        Err(Refused::Address {
            range: Range::Loopback,
            ..
        })
    ));
    assert!(matches!(
        g.check_destination("https://no-such-host.invalid/").await,
        Err(Refused::Unresolvable(_))
    ));
}

/// A one-shot HTTP server on loopback that answers every request with `response`.
async fn serve(response: String) -> SocketAddr {
    serve_on(0, response).await
}

async fn serve_on(port: u16, response: String) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for _ in 0..8 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    addr
}

fn redirect_to(location: &str) -> String {
    format!(
        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
}

#[tokio::test]
async fn redirects_are_rechecked_at_every_hop() {
    let loopback = Guard::new(Policy {
        allow_private: false,
        allow_loopback: true,
    });
    let client = loopback.client_builder(5).build().unwrap();
    for (target, expect) in [
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://10.0.0.1/", "private-network"),
        ("https://[::ffff:192.168.0.1]/", "private-network"),
        ("https://[64:ff9b::a00:1]/", "private-network"),
        ("http://8.8.8.8/", "https://"),
    ] {
        let addr = serve(redirect_to(target)).await;
        let err = client
            .get(format!("http://127.0.0.1:{}/", addr.port()))
            .send()
            .await
            .expect_err(target);
        let refusal = refusal_in(&err).unwrap_or_else(|| panic!("{target}: {err:?}"));
        assert!(
            matches!(refusal, Refused::Redirect { .. }),
            "{target}: {refusal:?}"
        );
        assert!(refusal.to_string().contains(expect), "{target}: {refusal}");
    }
    // A redirect loop ends after the allowed hops.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let addr = serve_on(port, redirect_to(&format!("http://127.0.0.1:{port}/again"))).await;
    let err = client
        .get(format!("http://127.0.0.1:{}/", addr.port()))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(refusal_in(&err), Some(Refused::TooManyRedirects(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_name_resolving_to_a_refused_address_never_gets_a_connection() {
    use tokio::io::AsyncReadExt;
    // A server on loopback that counts connections; the strict guard must not reach it by name.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    tokio::spawn({
        let hits = hits.clone();
        async move {
            while let Ok((mut s, _)) = listener.accept().await {
                hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut b = [0u8; 16];
                let _ = s.read(&mut b).await;
            }
        }
    });
    let strict_plain = Guard::strict()
        .client_builder(0)
        .https_only(false)
        .build()
        .unwrap();
    let err = strict_plain
        .get(format!("http://localhost:{port}/"))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            refusal_in(&err),
            Some(Refused::Address {
                range: Range::Loopback,
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[test]
fn https_is_never_downgraded_by_a_redirect() {
    let g = Guard::new(Policy {
        allow_private: false,
        allow_loopback: true,
    });
    let https = Url::parse("https://127.0.0.1:8443/autodiscover").unwrap();
    let http_loopback = Url::parse("http://127.0.0.1:8080/").unwrap();
    // Plain http to loopback is allowed on its own, but not after an https hop.
    assert!(g.redirect_verdict(&[], &http_loopback, 5).is_ok());
    assert!(matches!(
        g.redirect_verdict(std::slice::from_ref(&https), &http_loopback, 5),
        Err(Refused::Redirect { .. })
    ));
    assert!(
        g.redirect_verdict(std::slice::from_ref(&https), &https, 5)
            .is_ok()
    );
    let chain = vec![https.clone(); 6];
    assert!(matches!(
        g.redirect_verdict(&chain, &https, 5),
        Err(Refused::TooManyRedirects(_))
    ));
}
