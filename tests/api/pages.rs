//! Server-rendered pages, read as a browser without JavaScript would.

use roombook_tests::spawn_app;

/// The names of the rooms listed on a rooms page, in order.
fn listed_rooms(html: &str) -> Vec<String> {
    html.split("<li class=\"room\"><h2>")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn rooms_page_lists_active_rooms_without_javascript() {
    let app = spawn_app().await;
    app.add_sample_rooms().await;
    let (status, html) = app.page("/").await;
    assert_eq!(status, 200);
    assert_eq!(
        listed_rooms(&html),
        ["Atrium", "Boardroom", "Focus 1", "Harbour", "Lighthouse"]
    );
    assert!(html.contains("5 rooms"), "count shown");
    // A visitor is welcomed first: what Roombook is, and how to sign in.
    assert!(html.contains("data-testid=\"welcome\""), "{html}");
    // The page links the hydration bundle it was built with.
    assert!(html.contains("/pkg/roombook.js"), "hydration script linked");
    assert!(html.contains("/pkg/roombook.wasm"), "wasm linked");
    app.shutdown().await;
}

#[tokio::test]
async fn rooms_filter_works_as_a_plain_get_form() {
    let app = spawn_app().await;
    app.add_sample_rooms().await;

    let (_, html) = app.page("/?q=HARB").await;
    assert_eq!(
        listed_rooms(&html),
        ["Harbour"],
        "case-insensitive text match"
    );

    let (_, html) = app.page("/?q=south").await;
    assert_eq!(
        listed_rooms(&html),
        ["Harbour", "Lighthouse"],
        "matches the building"
    );

    // A head count lists the rooms that fit, best fit (smallest) first.
    let (_, html) = app.page("/?people=7").await;
    assert_eq!(listed_rooms(&html), ["Harbour", "Boardroom", "Atrium"]);

    // LIKE wildcards are taken literally.
    let (_, html) = app.page("/?q=%25").await;
    assert!(listed_rooms(&html).is_empty());
    assert!(html.contains("No rooms match."), "empty state shown");
    app.shutdown().await;
}

#[tokio::test]
async fn rooms_filter_explains_nonsense_input() {
    let app = spawn_app().await;
    let (status, html) = app.page("/?people=lots").await;
    assert_eq!(status, 200);
    assert!(html.contains("is not a number of people"), "{html}");
    // The person's input is kept in the form.
    assert!(html.contains("value=\"lots\""), "input kept");
    app.shutdown().await;
}

#[tokio::test]
async fn rooms_page_has_an_empty_state_for_a_new_organisation() {
    let app = spawn_app().await;
    let (status, html) = app.page("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("No rooms yet."), "{html}");
    assert!(html.contains("imports them from the Exchange room lists"));
    assert!(!html.contains("No rooms match."));
    app.shutdown().await;
}

#[tokio::test]
async fn inactive_rooms_are_not_listed() {
    let app = spawn_app().await;
    app.add_sample_rooms().await;
    app.store
        .set_room_active(app.tenant, "Harbour@Demo.example", false)
        .await
        .unwrap();
    let (_, html) = app.page("/?q=harbour").await;
    assert!(listed_rooms(&html).is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn admin_page_shows_the_organisation_and_room_counts() {
    let app = roombook_tests::spawn_app_with(roombook_tests::TestOptions {
        exchange: Some(Default::default()),
        ..Default::default()
    })
    .await;
    // A visitor is asked to sign in.
    let (status, html) = app.page("/admin").await;
    assert_eq!(status, 200);
    assert!(html.contains("Sign in to continue."), "{html}");
    assert!(
        html.contains("/auth/signin?return_to=%2Fadmin\""),
        "the sign-in link comes back here: {html}"
    );
    let admin = app.sign_in(roombook_tests::exchange::ADMIN).await;
    let tenant = app.organisation().await;
    for room in roombook_tests::sample_rooms() {
        app.store.upsert_room(tenant, &room).await.unwrap();
    }
    app.store
        .set_room_active(tenant, "focus-1@demo.example", false)
        .await
        .unwrap();
    let (status, html) = admin.page("/admin").await;
    assert_eq!(status, 200);
    assert!(html.contains("contoso.example"), "{html}");
    assert!(html.contains("Not connected"), "{html}");
    assert!(
        html.contains("4<!> active, <!>1<!> inactive") || html.contains("4 active, 1 inactive"),
        "{html}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn other_pages_render_and_unknown_ones_are_404() {
    let app = spawn_app().await;
    for (path, text) in [("/bookings", "My bookings"), ("/signin", "Sign in")] {
        let (status, html) = app.page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(&format!("<h1>{text}</h1>")), "{path}");
        assert!(
            html.contains(&format!("<title>{text} · Roombook</title>")),
            "{path}: title"
        );
    }
    let (status, html) = app.page("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
    app.shutdown().await;
}

/// The route tree picks the shell: every employee and admin page, and the page no route
/// matched, sits in the employee shell exactly once (one navigation, one `main`, one footer);
/// the admin pages also sit in the admin section.
#[tokio::test]
async fn every_page_sits_in_the_employee_shell_once() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/find",
        "/day",
        "/bookings",
        "/signin",
        "/admin",
        "/admin/rooms",
        "/no/such/page",
    ] {
        let (_, html) = app.page(path).await;
        for (part, what) in [
            ("<nav aria-label=\"Main\"", "the main navigation"),
            ("<main id=\"main\"", "the main landmark"),
            ("<footer class=\"footer\"", "the footer"),
            ("class=\"skip-link\"", "the skip link"),
        ] {
            assert_eq!(html.matches(part).count(), 1, "{path}: {what}");
        }
        assert_eq!(
            html.contains("<div class=\"admin\">"),
            path.starts_with("/admin"),
            "{path}: the admin section"
        );
    }
    app.shutdown().await;
}

/// A server function's failure crosses the wire as a case the page can match (JSON), not as a
/// sentence the page would have to read: the sign-in link depends on the case alone.
#[tokio::test]
async fn server_function_errors_cross_the_wire_as_typed_cases() {
    let app = roombook_tests::spawn_app_with(roombook_tests::TestOptions {
        exchange: Some(Default::default()),
        ..Default::default()
    })
    .await;
    for endpoint in ["/api/bookings", "/api/admin/people"] {
        let response = app
            .client
            .post(app.url(endpoint))
            .header("Accept", "application/json")
            .form::<[(&str, &str); 0]>(&[])
            .send()
            .await
            .unwrap();
        let body = response.text().await.unwrap();
        let error: roombook_frontend::error::ServiceError =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{endpoint}: {e}: {body}"));
        assert_eq!(error, roombook_frontend::error::ServiceError::NotSignedIn);
        assert!(error.needs_sign_in());
    }
    // The organisation's first admin signs in first; then an employee.
    app.sign_in(roombook_tests::exchange::ADMIN).await;
    let bob = app.sign_in(roombook_tests::exchange::EMPLOYEE).await;
    let response = bob
        .client
        .post(app.url("/api/admin/people"))
        .header("Accept", "application/json")
        .form::<[(&str, &str); 0]>(&[])
        .send()
        .await
        .unwrap();
    let error: roombook_frontend::error::ServiceError =
        serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(error, roombook_frontend::error::ServiceError::NotAdmin);
    assert!(
        !error.needs_sign_in(),
        "an employee is not sent to sign in again"
    );
}

/// No page decides what to show by reading an error's sentence.
#[test]
fn no_page_matches_error_text() {
    let pages = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/src");
    let mut files = vec![pages.clone()];
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for needle in [
            "starts_with(\"Sign in",
            "contains(\"Sign in",
            "== \"Sign in",
        ] {
            assert!(
                !text.contains(needle),
                "{} reads an error's text",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} files read");
}
