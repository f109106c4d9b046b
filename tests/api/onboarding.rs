//! Sign-in and onboarding against the simulated tenant: both connection modes and their
//! failures, room import, tenant isolation, and the password never leaving the secret store.

use std::time::Duration;

use roombook_core::domain::{ConnectionStatus, TenantId};
use roombook_tests::{
    Browser, ExchangeOptions, TestApp, TestOptions,
    exchange::{ADMIN, APP_ID, EMPLOYEE, NO_MAILBOX, ROOMS, SERVICE_ACCOUNT, SERVICE_PASSWORD},
    location, spawn_app_with,
};

async fn spawn() -> TestApp {
    spawn_with(ExchangeOptions::default()).await
}

async fn spawn_with(exchange: ExchangeOptions) -> TestApp {
    spawn_app_with(TestOptions {
        exchange: Some(exchange),
        ..Default::default()
    })
    .await
}

/// The tenant the admin's sign-in created.
async fn tenant_of(app: &TestApp) -> TenantId {
    app.organisation().await
}

async fn status(app: &TestApp, tenant: TenantId) -> ConnectionStatus {
    app.store
        .connection(tenant)
        .await
        .unwrap()
        .expect("a connection")
        .status
}

async fn connect_on_prem(browser: &Browser, password: &str, check: &str) -> (u16, Option<String>) {
    connect_on_prem_at(browser, "", password, check).await
}

async fn connect_on_prem_at(
    browser: &Browser,
    ews_url: &str,
    password: &str,
    check: &str,
) -> (u16, Option<String>) {
    let csrf = browser.csrf().await;
    browser
        .post(
            "/admin/connect/onprem",
            &[
                ("csrf", csrf.as_str()),
                ("ews_url", ews_url),
                ("username", SERVICE_ACCOUNT),
                ("password", password),
                ("check_address", check),
            ],
        )
        .await
}

#[tokio::test]
async fn arriving_first_makes_nobody_admin_a_directory_role_does_and_the_next_is_an_employee() {
    let app = spawn().await;
    // Bob holds no directory role: before an admin exists he waits, and no organisation is
    // made for his directory.
    let refused = app.try_sign_in(EMPLOYEE).await.err().expect("Bob waits");
    assert!(refused.contains("error=awaiting_admin"), "{refused}");
    assert!(
        app.store
            .tenant_by_directory(&app.sim().tenant_id())
            .await
            .unwrap()
            .is_none()
    );
    let (_, page) = app.page(&refused).await;
    assert!(page.contains("no Roombook administrator yet"), "{page}");
    // Alice is a Global Administrator of the directory (`wids`): she sets it up.
    let alice = app.sign_in(ADMIN).await;
    let (status_code, html) = alice.page("/admin/connect").await;
    assert_eq!(status_code, 200);
    assert!(
        html.contains("Exchange Online") && html.contains("Exchange Server"),
        "{html}"
    );
    let tenant = tenant_of(&app).await;
    let bob = app.sign_in(EMPLOYEE).await;
    let people = app.store.users(tenant).await.unwrap();
    assert_eq!(people.len(), 2);
    assert!(
        people
            .iter()
            .any(|p| p.email == ADMIN && p.role == roombook_core::domain::Role::Admin)
    );
    assert!(
        people
            .iter()
            .any(|p| p.email == EMPLOYEE && p.role == roombook_core::domain::Role::Employee)
    );
    // The employee cannot use admin forms or data.
    let csrf = bob.csrf().await;
    let (code, _) = bob.post("/admin/rooms/import", &[("csrf", &csrf)]).await;
    assert_eq!(code, 403);
    let (_, page) = bob.page("/admin/rooms").await;
    assert!(page.contains("Only administrators"), "{page}");
    let audit = app.store.recent(tenant, 20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "user.first_admin" && e.detail.contains("Global Administrator")),
        "the audit says what made Alice admin"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_address_the_operator_approved_becomes_the_first_admin_without_a_directory_role() {
    let app = spawn_app_with(TestOptions {
        exchange: Some(ExchangeOptions::default()),
        configure: Some(|config| config.auth.first_admins = vec![" Bob@Contoso.example ".into()]),
        ..Default::default()
    })
    .await;
    let bob = app.sign_in(EMPLOYEE).await;
    let (code, _) = bob.page("/admin/connect").await;
    assert_eq!(code, 200, "Bob administers the organisation");
    let tenant = tenant_of(&app).await;
    let people = app.store.users(tenant).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].role, roombook_core::domain::Role::Admin);
    app.shutdown().await;
}

#[tokio::test]
async fn sign_in_refuses_a_callback_from_another_browser_and_a_replayed_state() {
    let app = spawn().await;
    let victim = app.sign_in(ADMIN).await;
    // An attacker's callback URL (their own code and state) opened in the victim's browser.
    let attacker = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let start = attacker.get(app.url("/auth/signin")).send().await.unwrap();
    let authorize = location(&start);
    let (path, query) = authorize.split_once('?').unwrap();
    let picked = attacker
        .get(format!("{path}/select?{query}&login={EMPLOYEE}"))
        .send()
        .await
        .unwrap();
    let callback = location(&picked);
    let response = victim.get(&callback).await;
    assert!(location(&response).contains("error=other_browser"));
    // The attacker's own browser can use it once; a replay fails.
    let first = attacker.get(&callback).send().await.unwrap();
    assert!(!location(&first).contains("error="), "{}", location(&first));
    let replay = attacker.get(&callback).send().await.unwrap();
    assert!(
        location(&replay).contains("error="),
        "{}",
        location(&replay)
    );
    app.shutdown().await;
}

#[tokio::test]
async fn service_account_journey_imports_rooms_and_reimports_keep_edits() {
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = tenant_of(&app).await;
    // Autodiscover finds the EWS URL from the address (the field is left empty).
    let (code, to) = connect_on_prem(&alice, SERVICE_PASSWORD, ADMIN).await;
    assert_eq!(code, 303);
    assert_eq!(to.as_deref(), Some("/admin/connect/status"));
    assert_eq!(status(&app, tenant).await, ConnectionStatus::Healthy);
    let connection = app.store.connection(tenant).await.unwrap().unwrap();
    assert_eq!(connection.backend.endpoint(), app.sim().ews_url());
    let (_, page) = alice.page("/admin/connect/status").await;
    assert!(page.contains("data-status=\"healthy\""), "{page}");
    // A healthy check imports the rooms, with their room list as building.
    let rooms = app.store.all_rooms(tenant).await.unwrap();
    let mut emails: Vec<_> = rooms.iter().map(|r| r.email.clone()).collect();
    emails.sort();
    assert_eq!(emails, ROOMS.to_vec());
    let alpha = rooms.iter().find(|r| r.email == ROOMS[0]).unwrap();
    assert_eq!(alpha.building.as_deref(), Some("HQ"));

    // The admin edits a room; nonsense is refused with the reason and changes nothing.
    let csrf = alice.csrf().await;
    let path = format!("/admin/rooms/{}", alpha.id);
    let (code, to) = alice
        .post(&path, &[("csrf", &csrf), ("capacity", "eight")])
        .await;
    assert_eq!(code, 303);
    assert!(to.unwrap().contains(&format!("#room-{}", alpha.id)));
    // A wrong value comes back beside its field, with everything typed kept (and none of it
    // in the address).
    let (code, to) = alice
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("capacity", "-5"),
                ("building", "North wing"),
                ("wheelchair_accessible", "1"),
            ],
        )
        .await;
    assert_eq!(code, 303);
    let to = to.unwrap();
    assert!(!to.contains("North") && !to.contains("-5"), "{to}");
    let (_, form) = alice.page(&to).await;
    let capacity_input = format!("id=\"capacity-{}\"", alpha.id);
    let at = form.find(&capacity_input).expect("the capacity field");
    let around = &form[at..at + 600.min(form.len() - at)];
    assert!(
        around.contains("value=\"-5\"")
            && around.contains("aria-invalid=\"true\"")
            && around.contains("data-testid=\"room-error\""),
        "{around}"
    );
    assert!(
        form.contains("value=\"North wing\""),
        "the other fields are kept"
    );
    assert_eq!(
        app.store
            .room(tenant, alpha.id)
            .await
            .unwrap()
            .unwrap()
            .building
            .as_deref(),
        Some("HQ"),
        "nothing was saved"
    );
    let (code, _) = alice
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("capacity", "10"),
                ("building", "Headquarters"),
                ("equipment", "Screen, Video"),
                ("wheelchair_accessible", "1"),
                ("booking_window_days", "90"),
                ("max_duration_minutes", "120"),
            ],
        )
        .await;
    assert_eq!(code, 303);
    // The audit log says what changed, in words, and its filters narrow it.
    let (_, audit) = alice.page("/admin/audit").await;
    assert!(
        audit.contains("Changed a room") && audit.contains("Building: HQ → Headquarters"),
        "{audit}"
    );
    assert!(!audit.contains("RoomSettings {"), "no debug text: {audit}");
    let (_, bookings_only) = alice.page("/admin/audit?kind=booking").await;
    assert!(!bookings_only.contains("Building: HQ"), "{bookings_only}");
    let (_, rooms_only) = alice.page("/admin/audit?kind=room&who=alice").await;
    assert!(
        rooms_only.contains("Building: HQ → Headquarters"),
        "{rooms_only}"
    );
    let (_, nobody) = alice.page("/admin/audit?who=nobody-at-all").await;
    assert!(
        nobody.contains("Nothing matches these filters."),
        "{nobody}"
    );

    // A room disappears from Exchange, a new one appears: re-import.
    app.sim().add_room(roombook_simulator::Room::new(
        "room.delta@contoso.example",
        "Delta",
        6,
    ));
    app.sim().add_room_list(roombook_simulator::RoomList::new(
        "hq-rooms@contoso.example",
        "HQ",
        &[ROOMS[0], "room.delta@contoso.example"],
    ));
    let (code, to) = alice.post("/admin/rooms/import", &[("csrf", &csrf)]).await;
    assert_eq!(code, 303, "{to:?}");
    let to = to.unwrap();
    assert!(to.contains("imported=1"), "{to}");
    assert!(to.contains("deactivated=1"), "{to}");
    let rooms = app.store.all_rooms(tenant).await.unwrap();
    let alpha = rooms.iter().find(|r| r.email == ROOMS[0]).unwrap();
    assert_eq!(alpha.capacity, Some(10));
    assert_eq!(alpha.building.as_deref(), Some("Headquarters"));
    assert_eq!(alpha.max_duration_minutes, Some(120));
    assert!(alpha.edited && alpha.active);
    assert!(!rooms.iter().find(|r| r.email == ROOMS[1]).unwrap().active);
    assert!(
        rooms
            .iter()
            .any(|r| r.email == "room.delta@contoso.example" && r.active)
    );
    // Every admin action is in the audit log.
    let actions: Vec<_> = app
        .store
        .recent(tenant, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "connection.service_account",
        "connection.check",
        "rooms.import",
        "room.update",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn service_account_failures_are_named() {
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = tenant_of(&app).await;

    connect_on_prem(&alice, "wrong password", ADMIN).await;
    assert_eq!(status(&app, tenant).await, ConnectionStatus::WrongPassword);
    let connection = app.store.connection(tenant).await.unwrap().unwrap();
    assert_eq!(connection.password_failures, 1);
    let (_, page) = alice.page("/admin/connect/status").await;
    assert!(page.contains("refused the user name or password"), "{page}");

    // Autodiscover finds nothing for an address without a mailbox: the admin is told so and
    // keeps their input; with the URL entered, the check names the problem.
    let (_, to) = connect_on_prem(&alice, SERVICE_PASSWORD, NO_MAILBOX).await;
    let to = to.unwrap();
    assert!(to.contains("error=Autodiscover"), "{to}");
    assert!(to.contains("check_address=contractor"), "{to}");
    connect_on_prem_at(&alice, &app.sim().ews_url(), SERVICE_PASSWORD, NO_MAILBOX).await;
    assert_eq!(status(&app, tenant).await, ConnectionStatus::NoMailbox);

    app.sim().faults().expire_password(SERVICE_ACCOUNT, true);
    connect_on_prem(&alice, SERVICE_PASSWORD, ADMIN).await;
    assert_eq!(
        status(&app, tenant).await,
        ConnectionStatus::PasswordExpired
    );
    app.sim().faults().expire_password(SERVICE_ACCOUNT, false);

    // Leaving the password empty keeps the stored one.
    connect_on_prem(&alice, "", ADMIN).await;
    assert_eq!(status(&app, tenant).await, ConnectionStatus::Healthy);
    assert_eq!(
        app.store
            .connection(tenant)
            .await
            .unwrap()
            .unwrap()
            .password_failures,
        0
    );

    // A URL pointing elsewhere than https/public is refused before anything is stored.
    let csrf = alice.csrf().await;
    let (_, to) = alice
        .post(
            "/admin/connect/onprem",
            &[
                ("csrf", csrf.as_str()),
                ("ews_url", "ftp://mail.contoso.example/EWS"),
                ("username", SERVICE_ACCOUNT),
                ("password", "x"),
                ("check_address", ADMIN),
            ],
        )
        .await;
    let to = to.unwrap();
    assert!(to.starts_with("/admin/connect/onprem?error="), "{to}");
    assert!(to.contains("username=svc-roombook"), "input kept: {to}");
    assert!(
        !to.contains("password"),
        "the password is never echoed: {to}"
    );
    app.shutdown().await;
}

/// Follows the consent round trip: our start → the simulated consent page → decision →
/// our callback.
async fn consent(app: &TestApp, browser: &Browser, decision: &str, form: &[(&str, &str)]) {
    let decide = start_consent(app, browser, form).await;
    assert_eq!(
        answer_consent(browser, &decide, decision).await,
        "/admin/connect/status"
    );
}

/// Starts consent on our side; returns the simulated consent page's decision link.
async fn start_consent(app: &TestApp, browser: &Browser, form: &[(&str, &str)]) -> String {
    browser.start_consent(&app.sim().base_url(), form).await
}

async fn answer_consent(browser: &Browser, decide: &str, decision: &str) -> String {
    browser.answer_consent(decide, decision).await
}

#[tokio::test]
async fn a_working_connection_is_kept_until_consent_arrives_and_after_a_refusal() {
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = tenant_of(&app).await;
    let (code, _) = connect_on_prem(&alice, SERVICE_PASSWORD, ADMIN).await;
    assert_eq!(code, 303);
    let working = app.store.connection(tenant).await.unwrap().unwrap();
    assert_eq!(working.status, ConnectionStatus::Healthy);
    assert_eq!(
        working.backend.mode(),
        roombook_core::domain::ConnectionMode::ServiceAccount
    );

    // Starting consent changes nothing: the admin is at Microsoft, Exchange is still reached
    // with the service account.
    let decide = start_consent(
        &app,
        &alice,
        &[("rooms_only", "1"), ("check_address", ROOMS[2])],
    )
    .await;
    assert_eq!(
        app.store.connection(tenant).await.unwrap().unwrap(),
        working
    );

    // Cancelled at Microsoft: the connection is as it was, and the admin is told so.
    let to = answer_consent(&alice, &decide, "cancel").await;
    assert!(to.starts_with("/admin/connect/online"), "{to}");
    assert_eq!(
        app.store.connection(tenant).await.unwrap().unwrap(),
        working
    );
    let (_, page) = alice.page("/admin/connect/online").await;
    assert!(
        page.contains("Consent was refused or cancelled")
            && page.contains("connection to Exchange is unchanged"),
        "{page}"
    );
    // The callback's own words (its error_description) come from a URL: never shown.
    assert!(!page.contains("AADSTS"), "{page}");
    let actions: Vec<_> = app
        .store
        .recent(tenant, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.iter().any(|a| a == "connection.consent_refused"),
        "{actions:?}"
    );

    // Granted: now the new connection replaces the old one, with what was asked for.
    let decide = start_consent(
        &app,
        &alice,
        &[("rooms_only", "1"), ("check_address", ROOMS[2])],
    )
    .await;
    assert_eq!(
        app.store.connection(tenant).await.unwrap().unwrap(),
        working
    );
    assert_eq!(
        answer_consent(&alice, &decide, "accept").await,
        "/admin/connect/status"
    );
    let connection = app.store.connection(tenant).await.unwrap().unwrap();
    assert_eq!(
        connection.backend.mode(),
        roombook_core::domain::ConnectionMode::OAuthCertificate
    );
    assert_eq!(connection.status, ConnectionStatus::Healthy);
    assert!(connection.rooms_only);
    assert_eq!(connection.check_address, ROOMS[2]);
    app.shutdown().await;
}

#[tokio::test]
async fn an_import_that_lists_no_rooms_changes_nothing_and_says_so() {
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = tenant_of(&app).await;
    let (code, _) = connect_on_prem(&alice, SERVICE_PASSWORD, ADMIN).await;
    assert_eq!(code, 303);
    let before = app.store.all_rooms(tenant).await.unwrap();
    assert_eq!(before.iter().filter(|r| r.active).count(), 3);

    // The room lists come back empty (deleted, emptied, or no longer readable).
    for (address, name) in [
        ("hq-rooms@contoso.example", "HQ"),
        ("annex-rooms@contoso.example", "Annex"),
    ] {
        app.sim()
            .add_room_list(roombook_simulator::RoomList::new(address, name, &[]));
    }
    let csrf = alice.csrf().await;
    let (code, to) = alice.post("/admin/rooms/import", &[("csrf", &csrf)]).await;
    assert_eq!(code, 303, "{to:?}");
    assert!(!to.unwrap().contains("deactivated="), "no import summary");
    assert_eq!(app.store.all_rooms(tenant).await.unwrap(), before);
    let (_, page) = alice.page("/admin/rooms").await;
    assert!(
        page.contains("Exchange listed no rooms, so Roombook changed nothing")
            && page.contains("the 3 active rooms stay as they are"),
        "{page}"
    );
    let refused = app
        .store
        .recent(tenant, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "rooms.import_refused")
        .expect("the refusal is in the audit log");
    assert!(
        refused.detail.contains("changed nothing"),
        "{}",
        refused.detail
    );

    // A re-check (which imports after a healthy check) changes nothing either.
    let (code, _) = alice
        .post("/admin/connect/recheck", &[("csrf", &csrf)])
        .await;
    assert_eq!(code, 303);
    assert_eq!(app.store.all_rooms(tenant).await.unwrap(), before);
    app.shutdown().await;
}

#[tokio::test]
async fn exchange_online_consent_journey() {
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = tenant_of(&app).await;
    consent(&app, &alice, "accept", &[]).await;
    assert_eq!(status(&app, tenant).await, ConnectionStatus::Healthy);
    let connection = app.store.connection(tenant).await.unwrap().unwrap();
    assert_eq!(connection.check_address, ADMIN);
    assert!(connection.certificate_expires_at.is_some());
    assert_eq!(app.store.all_rooms(tenant).await.unwrap().len(), 3);
    assert!(app.sim().inspect().missing_anchor_mailbox().is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn exchange_online_failures_are_named() {
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = tenant_of(&app).await;

    consent(&app, &alice, "cancel", &[]).await;
    assert_eq!(status(&app, tenant).await, ConnectionStatus::ConsentRefused);

    app.sim().faults().block_app(APP_ID, true);
    consent(&app, &alice, "accept", &[]).await;
    assert_eq!(status(&app, tenant).await, ConnectionStatus::EwsBlocked);
    let (_, page) = alice.page("/admin/connect/status").await;
    assert!(
        page.contains("Set-OrganizationConfig"),
        "the allow-list commands are shown: {page}"
    );
    app.sim().faults().block_app(APP_ID, false);

    // An admin whose address has no mailbox.
    let casey = app.sign_in(NO_MAILBOX).await;
    app.store
        .set_role(
            tenant,
            app.store
                .users(tenant)
                .await
                .unwrap()
                .into_iter()
                .find(|u| u.email == NO_MAILBOX)
                .unwrap()
                .id,
            roombook_core::domain::Role::Admin,
        )
        .await
        .unwrap();
    consent(&app, &casey, "accept", &[]).await;
    assert_eq!(status(&app, tenant).await, ConnectionStatus::NoMailbox);

    // Least privilege: a room is checked instead of the admin.
    consent(
        &app,
        &alice,
        "accept",
        &[("rooms_only", "1"), ("check_address", ROOMS[2])],
    )
    .await;
    let connection = app.store.connection(tenant).await.unwrap().unwrap();
    assert_eq!(connection.status, ConnectionStatus::Healthy);
    assert!(connection.rooms_only);
    assert_eq!(connection.check_address, ROOMS[2]);
    app.shutdown().await;
}

#[tokio::test]
async fn consent_not_yet_in_effect_is_retried_until_healthy() {
    let app = spawn_with(ExchangeOptions {
        consent_delay: Duration::from_secs(3),
        ..Default::default()
    })
    .await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = tenant_of(&app).await;
    consent(&app, &alice, "accept", &[]).await;
    let pending = app.store.connection(tenant).await.unwrap().unwrap();
    assert_eq!(pending.status, ConnectionStatus::ConsentPending);
    assert!(pending.next_check_at.is_some());
    let (_, page) = alice.page("/admin/connect/status").await;
    assert!(page.contains("checks again by itself"), "{page}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if status(&app, tenant).await == ConnectionStatus::Healthy {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "consent never took effect"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    app.shutdown().await;
}

#[tokio::test]
async fn state_changing_forms_need_the_sessions_csrf_token() {
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    for (path, form) in [
        (
            "/admin/connect/onprem",
            vec![
                ("username", SERVICE_ACCOUNT),
                ("password", "x"),
                ("check_address", ADMIN),
            ],
        ),
        ("/admin/connect/online", vec![]),
        ("/admin/connect/recheck", vec![]),
        ("/admin/rooms/import", vec![]),
        ("/admin/sign-in", vec![("remove", "1")]),
        ("/auth/signout", vec![]),
    ] {
        let (code, _) = alice.post(path, &form).await;
        assert_eq!(code, 403, "{path} without a token");
        let mut with_wrong = form.clone();
        with_wrong.push(("csrf", "forged"));
        let (code, _) = alice.post(path, &with_wrong).await;
        assert_eq!(code, 403, "{path} with a wrong token");
    }
    // Signed out, admin forms send people to sign in.
    let (code, to) = roombook_tests::Browser {
        client: app.client.clone(),
        address: app.address.clone(),
        bodies: Default::default(),
    }
    .post("/admin/rooms/import", &[("csrf", "x")])
    .await;
    assert_eq!(code, 303);
    assert!(to.unwrap().starts_with("/auth/signin"));
    app.shutdown().await;
}

#[tokio::test]
async fn an_admin_of_one_tenant_reaches_nothing_of_another() {
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    let tenant_a = tenant_of(&app).await;
    connect_on_prem(&alice, SERVICE_PASSWORD, ADMIN).await;
    // Tenant B: the demo organisation, with rooms and a person of its own.
    let tenant_b = app.tenant;
    assert_ne!(tenant_a, tenant_b);
    let b_rooms = app.add_sample_rooms().await;
    let b_person = app
        .store
        .upsert_user(&roombook_core::domain::User {
            id: roombook_core::domain::UserId::new(),
            tenant_id: tenant_b,
            subject: "b-admin".into(),
            email: "admin@b.example".into(),
            display_name: "B Admin".into(),
            role: roombook_core::domain::Role::Admin,
            created_at: chrono::Utc::now(),
            last_seen_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    let csrf = alice.csrf().await;
    let room_path = format!("/admin/rooms/{}", b_rooms[0].id);
    let (code, _) = alice
        .post(&room_path, &[("csrf", &csrf), ("capacity", "99")])
        .await;
    assert_eq!(code, 404, "another tenant's room");
    let role_path = format!("/admin/people/{}/role", b_person.id);
    let (code, _) = alice
        .post(&role_path, &[("csrf", &csrf), ("role", "employee")])
        .await;
    assert_eq!(code, 404, "another tenant's person");
    assert_eq!(
        app.store
            .room(tenant_b, b_rooms[0].id)
            .await
            .unwrap()
            .unwrap()
            .capacity,
        b_rooms[0].capacity
    );
    assert_eq!(
        app.store
            .user(tenant_b, b_person.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        roombook_core::domain::Role::Admin
    );
    // Every data route answers with tenant A's data only.
    for endpoint in [
        "rooms",
        "tenant",
        "admin/sign-in",
        "admin/connection",
        "admin/rooms",
        "admin/people",
        "admin/audit",
    ] {
        let response = alice
            .client
            .post(format!("{}/api/{endpoint}", app.address))
            .form(&[("text", ""), ("min_capacity", "")])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "{endpoint}: {body}");
        for b_thing in [
            b_rooms[0].email.as_str(),
            "admin@b.example",
            "Demo organisation",
            &tenant_b.to_string(),
        ] {
            assert!(
                !body.contains(b_thing),
                "{endpoint} leaked {b_thing}: {body}"
            );
        }
    }
    // Tenant A's data is there (the check above is not vacuous).
    let (_, rooms_page) = alice.page("/admin/rooms").await;
    assert!(rooms_page.contains(ROOMS[0]), "{rooms_page}");
    app.shutdown().await;
}

#[tokio::test]
async fn the_service_account_password_is_only_in_the_secret_store() {
    let logs = crate::capture::logs();
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = tenant_of(&app).await;
    connect_on_prem(&alice, SERVICE_PASSWORD, ADMIN).await;
    assert_eq!(status(&app, tenant).await, ConnectionStatus::Healthy);
    // A wrong one, an expired one, and pages that show the connection.
    app.sim().faults().expire_password(SERVICE_ACCOUNT, true);
    alice
        .post("/admin/connect/recheck", &[("csrf", &alice.csrf().await)])
        .await;
    app.sim().faults().expire_password(SERVICE_ACCOUNT, false);
    for page in [
        "/admin",
        "/admin/connect/status",
        "/admin/connect/onprem",
        "/admin/rooms",
        "/admin/audit",
        "/admin/people",
    ] {
        alice.page(page).await;
    }
    for endpoint in [
        "tenant",
        "admin/connection",
        "admin/rooms",
        "admin/people",
        "admin/audit",
    ] {
        let body = alice
            .client
            .post(format!("{}/api/{endpoint}", app.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        alice.bodies.lock().unwrap().push(body);
    }
    let db_path = app
        .database
        .url()
        .trim_start_matches("sqlite://")
        .to_owned();
    let secrets_dir = app.secrets_dir.path().to_path_buf();
    // The value and its Basic-auth encoding.
    let basic = base64_of(&format!("{SERVICE_ACCOUNT}:{SERVICE_PASSWORD}"));
    let needles = [SERVICE_PASSWORD.as_bytes(), basic.as_bytes()];
    let bodies = alice.bodies.lock().unwrap().clone();
    assert!(bodies.len() >= 12, "the pages were fetched");
    for body in bodies.iter() {
        for n in needles {
            assert!(
                !contains(body.as_bytes(), n),
                "a response body holds the password"
            );
        }
    }
    // Every file of the database (SQLite with its WAL) and of the vault.
    let mut files = vec![];
    for suffix in ["", "-wal", "-shm"] {
        files.push(std::path::PathBuf::from(format!("{db_path}{suffix}")));
    }
    for entry in walk(&secrets_dir) {
        files.push(entry);
    }
    let mut read = 0;
    for file in files {
        if let Ok(bytes) = std::fs::read(&file) {
            read += bytes.len();
            for n in needles {
                assert!(
                    !contains(&bytes, n),
                    "{} holds the password",
                    file.display()
                );
            }
        }
    }
    assert!(
        read > 10_000,
        "the database and vault were read ({read} bytes)"
    );
    let captured = logs.lock().unwrap().clone();
    assert!(
        captured.len() > 1_000
            && String::from_utf8_lossy(&captured).contains("connection check failed"),
        "logs were captured"
    );
    for n in needles {
        assert!(!contains(&captured, n), "the logs hold the password");
    }
    app.shutdown().await;
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn base64_of(s: &str) -> String {
    openssl::base64::encode_block(s.as_bytes())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn an_organisation_can_sign_in_with_its_own_provider() {
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = app
        .store
        .tenant(tenant_of(&app).await)
        .await
        .unwrap()
        .unwrap();
    // Something that is not an OpenID provider is refused, and nothing is saved.
    let nowhere = format!("{}/nowhere", app.sim().base_url());
    let to = save_provider(&alice, &nowhere, APP_ID, "").await;
    assert!(to.unwrap().contains("sign_in_error="));
    assert!(
        app.store
            .tenant(tenant.id)
            .await
            .unwrap()
            .unwrap()
            .identity_provider
            .is_none()
    );
    let issuer = own_issuer(&app);
    let to = save_provider(&alice, &issuer, APP_ID, "s3cr3t-client").await;
    assert_eq!(to.as_deref(), Some("/admin/people?sign_in_saved=1#sign-in"));
    let saved = app.store.tenant(tenant.id).await.unwrap().unwrap();
    let provider = saved.identity_provider.expect("saved");
    assert_eq!(provider.issuer, issuer);
    assert!(
        provider.secret.is_some(),
        "the client secret went to the secret store"
    );
    let (_, page) = alice.page("/admin/people").await;
    assert!(
        page.contains(&format!("/auth/signin?org={}", tenant.slug)),
        "the sign-in link is shown"
    );
    assert!(!page.contains("s3cr3t-client"));

    // Someone signs in through the organisation's link: its provider, its tenant. What that
    // provider asserts is confirmed with the organisation's Exchange, so it is connected.
    let (code, _) = alice
        .connect_exchange_server(&app.sim().ews_url(), ADMIN, false)
        .await;
    assert_eq!(code, 303);
    let to = sign_in_through_own_provider(&app, &tenant.slug, EMPLOYEE).await;
    assert!(!to.contains("error="), "{to}");
    let people = app.store.users(tenant.id).await.unwrap();
    assert!(
        people.iter().any(|u| u.email == EMPLOYEE),
        "signed in to the organisation"
    );

    // An unknown organisation name is explained.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let unknown = browser
        .get(app.url("/auth/signin?org=nobody"))
        .send()
        .await
        .unwrap();
    assert!(location(&unknown).contains("error=unknown_organisation"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_new_password_prunes_the_old_versions_past_the_retention() {
    let app = spawn_app_with(TestOptions {
        exchange: Some(ExchangeOptions::default()),
        configure: Some(|c: &mut roombook_server::config::Config| {
            c.secret_retention.keep_versions = 1;
            c.secret_retention.retention_days = 0;
        }),
        ..Default::default()
    })
    .await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = tenant_of(&app).await;
    for _ in 0..3 {
        let (code, _) = connect_on_prem(&alice, SERVICE_PASSWORD, ADMIN).await;
        assert_eq!(code, 303);
    }
    let file = app
        .secrets_dir
        .path()
        .join("vault")
        .join(format!("roombook-{tenant}-ews-password.json"));
    let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(stored["versions"].as_array().unwrap().len(), 1, "{stored}");
    // The one kept is the one in use.
    let connection = app.store.connection(tenant).await.unwrap().unwrap();
    assert_eq!(status(&app, tenant).await, ConnectionStatus::Healthy);
    assert_eq!(
        stored["versions"][0]["version"].as_str(),
        connection.backend.password().unwrap().version.as_deref()
    );
    app.shutdown().await;
}

/// A listener on loopback that counts every connection made to it.
async fn counting_listener() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    tokio::spawn({
        let hits = hits.clone();
        async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
            }
        }
    });
    (format!("http://127.0.0.1:{port}/EWS/Exchange.asmx"), hits)
}

#[tokio::test]
async fn the_stored_password_goes_only_to_the_server_and_account_it_was_entered_for() {
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = tenant_of(&app).await;
    connect_on_prem(&alice, SERVICE_PASSWORD, ADMIN).await;
    assert_eq!(status(&app, tenant).await, ConnectionStatus::Healthy);
    let saved = app.store.connection(tenant).await.unwrap().unwrap();

    // A new URL with the password left empty: refused before any request reaches it.
    let (elsewhere, hits) = counting_listener().await;
    let (_, to) = connect_on_prem_at(&alice, &elsewhere, "", ADMIN).await;
    let (_, page) = alice.page(&to.expect("back to the form")).await;
    assert!(
        page.contains("Enter the service account's password again"),
        "{page}"
    );
    // And another user name at the saved URL, likewise.
    let csrf = alice.csrf().await;
    let (_, to) = alice
        .post(
            "/admin/connect/onprem",
            &[
                ("csrf", csrf.as_str()),
                ("ews_url", saved.backend.endpoint()),
                ("username", "someone-else@contoso.example"),
                ("password", ""),
                ("check_address", ADMIN),
            ],
        )
        .await;
    let (_, page) = alice.page(&to.expect("back to the form")).await;
    assert!(
        page.contains("Enter the service account's password again"),
        "{page}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing reached the new URL"
    );
    let after = app.store.connection(tenant).await.unwrap().unwrap();
    assert_eq!(
        after.backend.endpoint(),
        saved.backend.endpoint(),
        "the saved connection is unchanged"
    );
    assert_eq!(after.backend.identity(), saved.backend.identity());

    // The same server and account with the password left empty still works.
    connect_on_prem_at(&alice, saved.backend.endpoint(), "", ADMIN).await;
    assert_eq!(status(&app, tenant).await, ConnectionStatus::Healthy);
    app.shutdown().await;
}

/// The directory's own issuer (a fixed issuer, no tenant template): it stands in for an
/// organisation's own provider (an ADFS).
fn own_issuer(app: &TestApp) -> String {
    format!("{}/{}/v2.0", app.sim().base_url(), app.sim().tenant_id())
}

/// Saves an organisation's own provider (Admin → People → Sign-in); where the form sends the
/// admin.
async fn save_provider(
    admin: &Browser,
    issuer: &str,
    client_id: &str,
    secret: &str,
) -> Option<String> {
    let csrf = admin.csrf().await;
    let (_, to) = admin
        .post(
            "/admin/sign-in",
            &[
                ("csrf", csrf.as_str()),
                ("issuer", issuer),
                ("client_id", client_id),
                ("client_secret", secret),
            ],
        )
        .await;
    to
}

/// Signs in through the organisation's own provider (`/auth/signin?org=`) as the simulated
/// directory's `login`; where Roombook sent the browser at the end.
async fn sign_in_through_own_provider(app: &TestApp, slug: &str, login: &str) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let start = browser
        .get(app.url(&format!("/auth/signin?org={slug}")))
        .send()
        .await
        .unwrap();
    let authorize = location(&start);
    assert!(
        authorize.starts_with(&format!(
            "{}/{}/oauth2",
            app.sim().base_url(),
            app.sim().tenant_id()
        )),
        "the organisation's provider is used: {authorize}"
    );
    let (path, query) = authorize.split_once('?').unwrap();
    let picked = browser
        .get(format!("{path}/select?{query}&login={login}"))
        .send()
        .await
        .unwrap();
    let done = browser.get(location(&picked)).send().await.unwrap();
    location(&done)
}

#[tokio::test]
async fn a_provider_cannot_make_roombook_act_as_a_mailbox_outside_the_organisation_or_another_persons()
 {
    use roombook_simulator::User;
    // Directory entries whose sign-ins assert addresses they do not own, as a hostile or
    // misconfigured provider would: an outside domain, a mailbox that does not exist, Bob's.
    let seed = roombook_tests::exchange::seed()
        .user(User::new("ceo@fabrikam.example", "Outside CEO"))
        .user(User::new("ghost@contoso.example", "Ghost").asserting("nobody@contoso.example"))
        .user(User::new("mallory@contoso.example", "Mallory").asserting(EMPLOYEE));
    let app = spawn_with(ExchangeOptions {
        seed,
        ..Default::default()
    })
    .await;
    let alice = app.sign_in(ADMIN).await;
    let (code, _) = alice
        .connect_exchange_server(&app.sim().ews_url(), ADMIN, false)
        .await;
    assert_eq!(code, 303);
    let tenant = app
        .store
        .tenant(tenant_of(&app).await)
        .await
        .unwrap()
        .unwrap();
    let to = save_provider(&alice, &own_issuer(&app), APP_ID, "s3cr3t-client").await;
    assert_eq!(to.as_deref(), Some("/admin/people?sign_in_saved=1#sign-in"));
    // Bob signs in as himself: his address is his.
    let bob = app.sign_in(EMPLOYEE).await;
    drop(bob);

    // Through the organisation's own provider: an outside address is refused, an address
    // with no mailbox is refused, Bob's address asserted for another subject is refused.
    for login in [
        "ceo@fabrikam.example",
        "ghost@contoso.example",
        "mallory@contoso.example",
    ] {
        let to = sign_in_through_own_provider(&app, &tenant.slug, login).await;
        assert!(to.contains("error=mailbox_elsewhere"), "{login}: {to}");
    }
    // Through the server's provider, Bob's address asserted by Mallory is refused too.
    let to = app.try_sign_in("mallory@contoso.example").await.err();
    assert!(
        to.as_deref()
            .is_some_and(|t| t.contains("error=mailbox_elsewhere")),
        "{to:?}"
    );
    let people = app.store.users(tenant.id).await.unwrap();
    let mut addresses: Vec<_> = people.iter().map(|u| u.email.as_str()).collect();
    addresses.sort();
    assert_eq!(addresses, [ADMIN, EMPLOYEE], "nobody else got in");
    let bobs: Vec<_> = people.iter().filter(|u| u.email == EMPLOYEE).collect();
    assert_eq!(bobs.len(), 1, "one person is Bob");

    // Bob himself through the organisation's provider is still Bob.
    let to = sign_in_through_own_provider(&app, &tenant.slug, EMPLOYEE).await;
    assert!(!to.contains("error="), "{to}");
    let (_, page) = app.page("/signin?error=mailbox_elsewhere").await;
    assert!(
        page.contains("could not confirm that the address"),
        "{page}"
    );
    app.shutdown().await;
}

/// A loopback "identity provider" answering each path with a canned response, counting the
/// requests per path.
async fn canned_provider(
    answers: Vec<(String, String)>,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let answers: Vec<(String, String)> = answers
        .into_iter()
        .map(|(path, response)| {
            // `{base}` becomes this server's address; the body's length is counted after.
            let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
            let body = body.replace("{base}", &base);
            let head: Vec<String> = head
                .replace("{base}", &base)
                .split("\r\n")
                .filter(|h| !h.to_ascii_lowercase().starts_with("content-length:"))
                .map(str::to_owned)
                .collect();
            let response = format!(
                "{}\r\ncontent-length: {}\r\n\r\n{body}",
                head.join("\r\n"),
                body.len()
            );
            (path, response)
        })
        .collect();
    tokio::spawn({
        let asked = asked.clone();
        async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = vec![0u8; 8192];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                asked.lock().unwrap().push(path.clone());
                let response = answers
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, r)| r.clone())
                    .unwrap_or_else(|| {
                        "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            .into()
                    });
                let _ = socket.write_all(response.as_bytes()).await;
            }
        }
    });
    (base, asked)
}

fn json_response(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn an_organisations_provider_is_refused_when_its_discovery_points_elsewhere() {
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = tenant_of(&app).await;
    let discovery = |issuer: &str, token: &str, jwks: &str| {
        json_response(&format!(
            r#"{{"issuer":"{issuer}","authorization_endpoint":"{{base}}/idp/authorize","token_endpoint":"{token}","jwks_uri":"{jwks}","response_types_supported":["code"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"]}}"#
        ))
    };
    let well_known = |name: &str| format!("/{name}/.well-known/openid-configuration");
    let (base, asked) = canned_provider(vec![
        // Its token endpoint is a cloud metadata address.
        (
            well_known("metadata-token"),
            discovery(
                "{base}/metadata-token",
                "https://169.254.169.254/latest/meta-data/iam",
                "{base}/metadata-token/keys",
            ),
        ),
        // Its keys are on another host.
        (
            well_known("keys-elsewhere"),
            discovery(
                "{base}/keys-elsewhere",
                "{base}/keys-elsewhere/token",
                "https://keys.evil.example/keys",
            ),
        ),
        // It claims to be another issuer.
        (
            well_known("other-issuer"),
            discovery(
                "https://login.microsoftonline.com/common/v2.0",
                "{base}/other-issuer/token",
                "{base}/other-issuer/keys",
            ),
        ),
        // It redirects its discovery to the metadata address.
        (
            well_known("redirects"),
            "HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/latest/meta-data/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into(),
        ),
    ])
    .await;
    for (name, expected) in [
        ("metadata-token", "token_endpoint"),
        ("keys-elsewhere", "keys.evil.example"),
        ("other-issuer", "names the issuer"),
        // Not followed (no redirects for an organisation's provider): just unusable.
        ("redirects", "/redirects/.well-known/openid-configuration"),
    ] {
        let to = save_provider(&alice, &format!("{base}/{name}"), APP_ID, "")
            .await
            .expect("back to the form");
        assert!(!to.contains("sign_in_saved"), "{name}: {to}");
        let (_, page) = alice.page(&to).await;
        assert!(
            page.contains("Roombook could not use") && page.contains(expected),
            "{name}: {page}"
        );
        assert!(
            app.store
                .tenant(tenant)
                .await
                .unwrap()
                .unwrap()
                .identity_provider
                .is_none(),
            "{name}: nothing saved"
        );
    }
    // Only the discovery documents were read: no token endpoint, no keys, no redirect target.
    let asked = asked.lock().unwrap().clone();
    assert!(
        asked
            .iter()
            .all(|p| p.ends_with("/.well-known/openid-configuration")),
        "{asked:?}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_saved_client_secret_goes_only_to_the_issuer_and_client_it_was_entered_for() {
    let app = spawn().await;
    let alice = app.sign_in(ADMIN).await;
    let tenant = tenant_of(&app).await;
    let save = |issuer: String, client_id: &'static str, secret: &'static str| {
        let alice = &alice;
        async move {
            save_provider(alice, &issuer, client_id, secret)
                .await
                .expect("a redirect")
        }
    };
    let provider = || async {
        app.store
            .tenant(tenant)
            .await
            .unwrap()
            .unwrap()
            .identity_provider
            .expect("a provider")
    };
    let issuer = own_issuer(&app);
    let to = save(issuer.clone(), APP_ID, "s3cr3t-client").await;
    assert!(to.contains("sign_in_saved"), "{to}");
    let saved = provider().await;
    assert!(saved.secret.is_some());

    // A working OpenID provider elsewhere (valid discovery document and keys).
    let (elsewhere, asked) = canned_provider(vec![
        (
            "/other/.well-known/openid-configuration".into(),
            json_response(
                r#"{"issuer":"{base}/other","authorization_endpoint":"{base}/other/authorize","token_endpoint":"{base}/other/token","jwks_uri":"{base}/other/keys"}"#,
            ),
        ),
        ("/other/keys".into(), json_response(r#"{"keys":[]}"#)),
    ])
    .await;
    // Another issuer, or another client id, with the secret left empty: asked for again,
    // and nothing changes.
    for (issuer, client_id) in [
        (format!("{elsewhere}/other"), APP_ID),
        (issuer.clone(), "another-client-id"),
    ] {
        let to = save(issuer.clone(), client_id, "").await;
        assert!(!to.contains("sign_in_saved"), "{issuer} {client_id}: {to}");
        let (_, page) = alice.page(&to).await;
        assert!(page.contains("Enter the client secret again"), "{page}");
        assert_eq!(provider().await, saved, "{issuer} {client_id}: unchanged");
    }
    assert!(
        !asked.lock().unwrap().iter().any(|p| p.ends_with("/token")),
        "the other issuer's token endpoint was never asked"
    );
    // The same issuer and client with the secret left empty keep the saved secret.
    let to = save(issuer.clone(), APP_ID, "").await;
    assert!(to.contains("sign_in_saved"), "{to}");
    assert_eq!(provider().await.secret, saved.secret);
    app.shutdown().await;
}
