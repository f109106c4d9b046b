//! What browsers are told a page may do (Content-Security-Policy, HSTS, framing, referrer),
//! the cookies' prefixes over https, limits on anonymous sign-in starts, and the demo
//! organisation being off unless asked for.

use chrono::{Duration, Utc};
use roombook_core::domain::{Role, Session, User, UserId};
use roombook_server::{
    auth::{hash_token, limits},
    config::Config,
    startup,
};
use roombook_tests::{ExchangeOptions, TestApp, TestDatabase, TestOptions, spawn_app_with};

/// The nonce of a `script-src … 'nonce-…'` policy.
fn nonce_of(policy: &str) -> Option<&str> {
    policy
        .split(['\'', ' ', ';'])
        .find_map(|token| token.strip_prefix("nonce-"))
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Checks the policy of a rendered page and that every script of the page may run under it.
async fn check_page_policy(app: &TestApp, path: &str, status: u16) {
    let response = app.get(path).await;
    assert_eq!(response.status(), status, "{path}");
    let policy = header(&response, "content-security-policy")
        .expect("a Content-Security-Policy")
        .to_owned();
    assert_eq!(header(&response, "referrer-policy"), Some("same-origin"));
    for directive in [
        "default-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "'wasm-unsafe-eval'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let nonce = nonce_of(&policy).expect("a page's policy has a nonce");
    assert!(nonce.len() >= 16, "{nonce}");
    let html = response.text().await.unwrap();
    // Every inline script carries the nonce (Leptos' hydration loader and resolved resources,
    // the time-zone cookie); scripts from files come from our origin.
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(
        html.contains("/pkg/roombook.js"),
        "the page hydrates: {html}"
    );
    assert!(!scripts.is_empty());
    for script in scripts {
        let tag = &script[..script.find('>').unwrap()];
        let inline = !tag.contains("src=");
        if inline {
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "an inline script without the page's nonce: <script{tag}>"
            );
        } else {
            assert!(tag.contains("src=\"/"), "<script{tag}>");
        }
    }
    // Inline style attributes would be refused by style-src 'self'.
    assert!(!html.contains(" style="), "an inline style in {path}");
    // A second render gets another nonce.
    let again = app.get(path).await;
    let policy_again = header(&again, "content-security-policy").unwrap();
    assert_ne!(nonce_of(policy_again), Some(nonce));
}

#[tokio::test]
async fn pages_and_plain_responses_carry_the_policy_over_http() {
    let app = roombook_tests::spawn_app().await;
    app.add_sample_rooms().await;
    for (path, status) in [
        ("/", 200),
        ("/signin", 200),
        ("/find", 200),
        ("/no-such-page", 404),
    ] {
        check_page_policy(&app, path, status).await;
    }
    let plain = app.get("/healthz").await;
    let policy = header(&plain, "content-security-policy").unwrap();
    assert!(policy.contains("frame-ancestors 'none'") && nonce_of(policy).is_none());
    assert_eq!(header(&plain, "x-frame-options"), Some("DENY"));
    assert_eq!(header(&plain, "referrer-policy"), Some("same-origin"));
    // Plain http: no HSTS, and the cookies keep their plain names.
    assert_eq!(header(&plain, "strict-transport-security"), None);
    app.shutdown().await;
}

/// A person of the demo organisation with a session; returns the session token and CSRF.
async fn session_for(app: &TestApp) -> (String, String) {
    let now = Utc::now();
    let user = app
        .store
        .upsert_user(&User {
            id: UserId::new(),
            tenant_id: app.tenant,
            subject: "subject-dana".into(),
            email: "dana@demo.example".into(),
            display_name: "Dana Demo".into(),
            role: Role::Employee,
            created_at: now,
            last_seen_at: now,
        })
        .await
        .unwrap();
    let token = roombook_server::auth::random_token();
    let csrf = roombook_server::auth::random_token();
    app.store
        .create_session(&Session {
            token_hash: hash_token(&token),
            user_id: user.id,
            tenant_id: app.tenant,
            csrf_token: csrf.clone(),
            created_at: now,
            expires_at: now + Duration::hours(1),
        })
        .await
        .unwrap();
    (token, csrf)
}

async fn signed_in_with(app: &TestApp, cookie: &str) -> bool {
    let html = app
        .client
        .get(app.url("/"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    html.contains("action=\"/auth/signout\"")
}

#[tokio::test]
async fn over_https_cookies_are_prefixed_and_hsts_is_sent() {
    let app = spawn_app_with(TestOptions {
        exchange: Some(ExchangeOptions::default()),
        configure: Some(|c: &mut Config| {
            c.server.public_url = Some("https://rooms.contoso.example".into());
        }),
        ..Default::default()
    })
    .await;
    check_page_policy(&app, "/", 200).await;
    let plain = app.get("/healthz").await;
    assert_eq!(
        header(&plain, "strict-transport-security"),
        Some("max-age=31536000")
    );

    // The sign-in state: Secure, scoped to /auth, so `__Secure-` (not `__Host-`, which must
    // have Path=/).
    let start = app.get("/auth/signin").await;
    assert_eq!(start.status(), 303);
    let set = header(&start, "set-cookie").unwrap().to_owned();
    assert!(set.starts_with("__Secure-roombook_auth="), "{set}");
    assert!(
        set.contains("Secure") && set.contains("Path=/auth") && set.contains("HttpOnly"),
        "{set}"
    );
    assert!(!set.contains("Domain"), "{set}");

    // The session is read only under its `__Host-` name: a plain `roombook_session` (which a
    // sibling host or an http page could plant) is no session.
    let (token, csrf) = session_for(&app).await;
    assert!(signed_in_with(&app, &format!("__Host-roombook_session={token}")).await);
    assert!(!signed_in_with(&app, &format!("roombook_session={token}")).await);
    assert!(!signed_in_with(&app, &format!("__Secure-roombook_session={token}")).await);

    // Set under its `__Host-` name: Secure, Path=/, no Domain (signing out clears it).
    let out = app
        .client
        .post(app.url("/auth/signout"))
        .header("cookie", format!("__Host-roombook_session={token}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let set = header(&out, "set-cookie").unwrap().to_owned();
    assert!(set.starts_with("__Host-roombook_session=;"), "{set}");
    assert!(
        set.contains("Secure") && set.contains("Path=/") && !set.contains("Domain"),
        "{set}"
    );
    assert!(!signed_in_with(&app, &format!("__Host-roombook_session={token}")).await);
    app.shutdown().await;
}

#[tokio::test]
async fn over_http_the_session_keeps_its_plain_name() {
    let app = roombook_tests::spawn_app().await;
    let (token, _) = session_for(&app).await;
    assert!(signed_in_with(&app, &format!("roombook_session={token}")).await);
    app.shutdown().await;
}

#[tokio::test]
async fn sign_in_starts_from_one_address_are_limited_and_rows_stay_bounded() {
    let app = spawn_app_with(TestOptions {
        exchange: Some(ExchangeOptions::default()),
        // The harness lifts the limits for its many people on one address: back to the defaults.
        configure: Some(|c: &mut Config| {
            let defaults = roombook_server::config::AuthConfig::default();
            c.auth.sign_in_burst = defaults.sign_in_burst;
            c.auth.sign_ins_per_minute = defaults.sign_ins_per_minute;
        }),
        ..Default::default()
    })
    .await;
    let defaults = Config::default().auth;
    let (mut started, mut refused) = (0, 0);
    for _ in 0..200 {
        let response = app.get("/auth/signin").await;
        match response.status().as_u16() {
            303 => {
                assert_eq!(refused, 0, "no start is admitted after the first refusal");
                started += 1;
            }
            429 => {
                assert_eq!(header(&response, "retry-after"), Some("60"));
                assert_eq!(header(&response, "set-cookie"), None);
                assert_eq!(response.text().await.unwrap(), limits::TOO_MANY);
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    // The burst, and at most a couple more as the allowance refills (10 a minute).
    let burst = defaults.sign_in_burst as usize;
    assert!((burst..=burst + 2).contains(&started), "{started} started");
    assert_eq!(started + refused, 200);
    let rows = app.store.count_auth_requests(Utc::now()).await.unwrap();
    assert_eq!(rows, started as u64, "a refused start writes nothing");
    app.shutdown().await;
}

#[tokio::test]
async fn sign_in_starts_stop_at_the_cap_on_requests_in_flight() {
    let app = spawn_app_with(TestOptions {
        exchange: Some(ExchangeOptions::default()),
        configure: Some(|c: &mut Config| {
            c.auth.sign_ins_in_flight = 5;
            c.auth.sign_in_burst = 1000;
            c.auth.sign_ins_per_minute = 1000;
        }),
        ..Default::default()
    })
    .await;
    let statuses: Vec<u16> = {
        let mut out = Vec::new();
        for _ in 0..8 {
            out.push(app.get("/auth/signin").await.status().as_u16());
        }
        out
    };
    assert_eq!(statuses, [303, 303, 303, 303, 303, 429, 429, 429]);
    let busy = app.get("/auth/signin").await;
    assert_eq!(busy.text().await.unwrap(), limits::BUSY);
    assert_eq!(app.store.count_auth_requests(Utc::now()).await.unwrap(), 5);
    app.shutdown().await;
}

#[tokio::test]
async fn the_demo_organisation_is_off_by_default() {
    assert!(!Config::default().demo.enabled);
    let database = TestDatabase::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.database.url = database.url().to_owned();
    config.server.site_root = dir.path().join("site");
    config.secrets = roombook_secrets::SecretStoreConfig::Local {
        path: dir.path().join("vault"),
        key: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    config.server.public_url = Some(address.clone());
    let handle = startup::build(listener, config).await.expect("starts");
    assert_eq!(handle.browsing_tenant(), None);
    assert!(handle.store().list_tenants().await.unwrap().is_empty());
    let home = reqwest::get(format!("{address}/")).await.unwrap();
    assert_eq!(home.status(), 200, "the home page renders without one");
    handle.shutdown().await.unwrap();
}
