//! The storage contract: named cases, each run on SQLite and on PostgreSQL (when
//! `ROOMBOOK_TEST_POSTGRES_URL` is set), each on a database of its own, so a failure names the
//! case and the database: `storage::postgres::bookings_claim_move_and_settle`.

use std::sync::Arc;

use chrono::{Duration, Utc};
use roombook_core::domain::{
    Admit, AuditEntry, AuditId, AuthPurpose, AuthRequest, BookingReason, CalendarBackend,
    ConnectionError, ConnectionStatus, EwsAuth, ExchangeConnection, ImportedRoom, PendingConsent,
    Role, RoleChange, RoomDetails, RoomId, RoomSettings, SecretRef, Session, TenantId, User,
    UserId,
};
use roombook_core::ports::storage::{Store, StoreError};
use roombook_shared::RoomQuery;
use roombook_tests::{TestDatabase, postgres_admin_url, sample_rooms};

async fn open(db: &TestDatabase) -> Arc<dyn Store> {
    roombook_store::open(db.url(), 4)
        .await
        .expect("store opens")
}

/// A PostgreSQL database of the case's own, or `None` (the case is skipped, and says so).
async fn postgres_database() -> Option<TestDatabase> {
    if postgres_admin_url().is_none() {
        eprintln!("skipped: set ROOMBOOK_TEST_POSTGRES_URL to run the PostgreSQL storage tests");
        return None;
    }
    Some(TestDatabase::postgres().await.expect("test database"))
}

/// One `#[tokio::test]` per case and database, in modules `sqlite` and `postgres`.
macro_rules! on_both_databases {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let db = roombook_tests::TestDatabase::sqlite();
                    let store = super::open(&db).await;
                    assert_eq!(store.backend(), "sqlite");
                    store.ping().await.unwrap();
                    super::$case(store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(db) = super::postgres_database().await else {
                        return;
                    };
                    let store = super::open(&db).await;
                    assert_eq!(store.backend(), "postgres");
                    store.ping().await.unwrap();
                    super::$case(store).await;
                }
            )*
        }
    };
}

on_both_databases!(
    tenants_have_unique_slugs,
    rooms_are_one_per_address_filtered_and_kept_apart,
    connections_round_trip_each_backend_and_come_due,
    users_are_created_once_and_keep_their_role,
    sessions_are_found_until_they_expire,
    audit_log_is_newest_first_per_tenant,
    bookings_claim_move_and_settle,
    sign_in_and_onboarding_state_round_trips,
    first_and_last_admin_rules_hold_under_concurrent_sign_ins,
);

/// Two organisations, `alpha` and `beta`: most cases check that one never sees the other's.
async fn two_tenants(store: &Arc<dyn Store>) -> (TenantId, TenantId) {
    let a = store.create_tenant("alpha", "Alpha Ltd").await.unwrap();
    let b = store.create_tenant("beta", "Beta plc").await.unwrap();
    (a.id, b.id)
}

/// Ada, the one admin of `tenant`.
async fn an_admin(store: &Arc<dyn Store>, tenant: TenantId) -> UserId {
    let now = Utc::now();
    store
        .upsert_user(&User {
            id: UserId::new(),
            tenant_id: tenant,
            subject: "oid-1".into(),
            email: "ada@alpha.example".into(),
            display_name: "Ada".into(),
            role: Role::Admin,
            created_at: now,
            last_seen_at: now,
        })
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn postgres_finds_its_schema_up_to_date_when_opened_again() {
    let Some(db) = postgres_database().await else {
        return;
    };
    let store = open(&db).await;
    store.create_tenant("kept", "Kept").await.unwrap();
    drop(store);
    let store = open(&db).await;
    assert!(store.tenant_by_slug("kept").await.unwrap().is_some());
}

#[tokio::test]
async fn sqlite_reopens_an_existing_file() {
    let db = TestDatabase::sqlite();
    let store = open(&db).await;
    store.create_tenant("kept", "Kept").await.unwrap();
    drop(store);
    let store = open(&db).await;
    assert!(store.tenant_by_slug("kept").await.unwrap().is_some());
}

#[tokio::test]
async fn a_bad_database_url_is_a_clear_error() {
    let err = roombook_store::open("mysql://localhost/x", 1)
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("unsupported database URL scheme “mysql”")
    );
    let err = roombook_store::open("sqlite:///proc/no/such/dir/x.db", 1)
        .await
        .err()
        .unwrap();
    assert_eq!(err.to_string(), "cannot open the database");
}

async fn tenants_have_unique_slugs(store: Arc<dyn Store>) {
    // Tenants: slugs are unique.
    let a = store.create_tenant("alpha", "Alpha Ltd").await.unwrap();
    let b = store.create_tenant("beta", "Beta plc").await.unwrap();
    assert!(matches!(
        store.create_tenant("alpha", "Again").await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.tenant_by_slug("beta").await.unwrap().unwrap().id,
        b.id
    );
    assert_eq!(store.tenant(a.id).await.unwrap().unwrap().name, "Alpha Ltd");
    assert!(store.tenant_by_slug("gamma").await.unwrap().is_none());
    let slugs: Vec<_> = store
        .list_tenants()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.slug)
        .collect();
    assert_eq!(slugs, ["alpha", "beta"]);
}

async fn rooms_are_one_per_address_filtered_and_kept_apart(store: Arc<dyn Store>) {
    let (a, b) = two_tenants(&store).await;
    // Rooms: upsert by address (case-insensitive), tenant isolation, filters, counts.
    for room in sample_rooms() {
        store.upsert_room(a, &room).await.unwrap();
    }
    let harbour = store
        .upsert_room(
            a,
            &RoomDetails {
                email: "HARBOUR@demo.example".into(),
                name: "Harbour (renovated)".into(),
                capacity: Some(10),
                equipment: vec!["Display".into(), "Écran tactile".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(harbour.email, "harbour@demo.example");
    assert_eq!(harbour.equipment, ["Display", "Écran tactile"]);
    store
        .upsert_room(
            b,
            &RoomDetails {
                email: "harbour@demo.example".into(),
                name: "Beta's harbour".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let all = store.rooms_matching(a, "").await.unwrap();
    assert_eq!(
        all.len(),
        5,
        "one row per address, the other tenant's room not included"
    );
    assert!(all.iter().all(|r| r.tenant_id == a));
    let names: Vec<_> = all.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Atrium",
            "Boardroom",
            "Focus 1",
            "Harbour (renovated)",
            "Lighthouse"
        ]
    );

    let find = |text: &str, people: &str| {
        let store = store.clone();
        let query = RoomQuery::parse(text, people).unwrap();
        // The room list as the home page asks for it: the store's text match, the core's
        // capacity rule.
        async move {
            roombook_core::rooms::find(&*store, a, &query)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(find("RENOVATED", "").await, ["Harbour (renovated)"]);
    assert_eq!(find("north", "").await, ["Boardroom", "Focus 1"]);
    assert_eq!(
        find("", "9").await,
        ["Harbour (renovated)", "Boardroom", "Atrium"]
    );
    assert_eq!(find("100%", "").await, Vec::<String>::new());
    assert_eq!(
        find("focus_1", "").await,
        Vec::<String>::new(),
        "_ is not a wildcard"
    );

    store
        .set_room_active(a, "atrium@demo.example", false)
        .await
        .unwrap();
    assert!(matches!(
        store.set_room_active(a, "nobody@demo.example", false).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(find("atrium", "").await, Vec::<String>::new());
    let counts = store.count_rooms(a).await.unwrap();
    assert_eq!((counts.active, counts.inactive), (4, 1));
    // A re-import of a vanished room brings it back.
    store.upsert_room(a, &sample_rooms()[4]).await.unwrap();
    assert_eq!(store.count_rooms(a).await.unwrap().active, 5);
    assert_eq!(store.count_rooms(b).await.unwrap().active, 1);
}

async fn connections_round_trip_each_backend_and_come_due(store: Arc<dyn Store>) {
    let (a, b) = two_tenants(&store).await;
    // Exchange connection: saved and read back; no secret, only its name and version.
    assert!(store.connection(a).await.unwrap().is_none());
    let now = Utc::now();
    let connection = ExchangeConnection {
        tenant_id: a,
        backend: CalendarBackend::Ews {
            url: "https://mail.alpha.example/EWS/Exchange.asmx".into(),
            auth: EwsAuth::ServiceAccount {
                username: "svc-roombook".into(),
                password: SecretRef {
                    name: "alpha-ews".into(),
                    version: Some("v1".into()),
                },
            },
        },
        rooms_only: true,
        status: ConnectionStatus::PasswordExpired,
        check_address: "room@alpha.example".into(),
        consent_at: None,
        next_check_at: Some(now + chrono::Duration::minutes(5)),
        password_failures: 2,
        certificate_expires_at: None,
        last_success_at: None,
        last_error: Some(ConnectionError {
            message: "The password has expired.".into(),
            class: "authentication".into(),
            at: now,
        }),
        updated_at: now,
    };
    store.save_connection(&connection).await.unwrap();
    let read = store.connection(a).await.unwrap().unwrap();
    // (PostgreSQL keeps microseconds: the times are compared by the rest of this case.)
    assert_eq!(
        read.backend, connection.backend,
        "the backend comes back as saved"
    );
    assert_eq!(read.last_error.as_ref().unwrap().class, "authentication");
    assert!(read.rooms_only);
    assert_eq!(read.status, ConnectionStatus::PasswordExpired);
    assert_eq!(read.password_failures, 2);
    assert_eq!(read.check_address, "room@alpha.example");
    // Due checks: not before their time, then listed.
    assert!(store.connections_due(now).await.unwrap().is_empty());
    let due = store
        .connections_due(now + chrono::Duration::minutes(6))
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].tenant_id, a);
    let healed = ExchangeConnection {
        last_error: None,
        last_success_at: Some(now),
        ..read
    };
    store.save_connection(&healed).await.unwrap();
    let read = store.connection(a).await.unwrap().unwrap();
    assert!(read.last_error.is_none());
    // The app-only variant comes back as itself: the directory, no password.
    let online = ExchangeConnection {
        backend: CalendarBackend::Ews {
            url: "https://outlook.office365.com/EWS/Exchange.asmx".into(),
            auth: EwsAuth::AppCertificate {
                client_id: "11111111-2222-3333-4444-555555555555".into(),
                directory: "alpha-directory".into(),
            },
        },
        ..read.clone()
    };
    store.save_connection(&online).await.unwrap();
    let read_online = store.connection(a).await.unwrap().unwrap();
    assert_eq!(read_online.backend, online.backend);
    assert!(read_online.backend.password().is_none());
    store.save_connection(&read).await.unwrap();
    assert!(
        store.connection(b).await.unwrap().is_none(),
        "tenant isolation"
    );
}

async fn users_are_created_once_and_keep_their_role(store: Arc<dyn Store>) {
    let (a, b) = two_tenants(&store).await;
    let now = Utc::now();
    // Users: created once per (tenant, subject); the role is kept on later sign-ins.
    let user = User {
        id: UserId::new(),
        tenant_id: a,
        subject: "oid-1".into(),
        email: "ada@alpha.example".into(),
        display_name: "Ada".into(),
        role: Role::Admin,
        created_at: now,
        last_seen_at: now,
    };
    let stored = store.upsert_user(&user).await.unwrap();
    assert_eq!(stored.id, user.id);
    let again = store
        .upsert_user(&User {
            id: UserId::new(),
            display_name: "Ada L.".into(),
            role: Role::Employee,
            ..user.clone()
        })
        .await
        .unwrap();
    assert_eq!(again.id, user.id, "same person, same id");
    assert_eq!(again.display_name, "Ada L.");
    assert_eq!(again.role, Role::Admin, "role unchanged by sign-in");
    assert!(
        store.user(b, user.id).await.unwrap().is_none(),
        "tenant isolation"
    );
    assert!(store.user(a, user.id).await.unwrap().is_some());
}

async fn sessions_are_found_until_they_expire(store: Arc<dyn Store>) {
    let (a, _) = two_tenants(&store).await;
    let user = an_admin(&store, a).await;
    let now = Utc::now();
    // Sessions: found until they expire.
    let session = Session {
        token_hash: "ab".repeat(32),
        user_id: user,
        tenant_id: a,
        csrf_token: "csrf".into(),
        created_at: now,
        expires_at: now + Duration::hours(8),
    };
    store.create_session(&session).await.unwrap();
    assert!(
        store
            .session(&session.token_hash, now)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session(&session.token_hash, now + Duration::hours(9))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .delete_expired_sessions(now + Duration::hours(9))
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .session(&session.token_hash, now)
            .await
            .unwrap()
            .is_none()
    );
}

async fn audit_log_is_newest_first_per_tenant(store: Arc<dyn Store>) {
    let (a, b) = two_tenants(&store).await;
    let user = an_admin(&store, a).await;
    let now = Utc::now();
    // Audit log: newest first, per tenant.
    for (i, action) in ["room.import", "room.edit", "display.pair"]
        .iter()
        .enumerate()
    {
        store
            .record(&AuditEntry {
                id: AuditId::new(),
                tenant_id: a,
                actor: Some(user),
                action: (*action).into(),
                target: "harbour@demo.example".into(),
                detail: String::new(),
                at: now + Duration::seconds(i as i64),
            })
            .await
            .unwrap();
    }
    let recent: Vec<_> = store
        .recent(a, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(recent, ["display.pair", "room.edit"]);
    assert!(store.recent(b, 10).await.unwrap().is_empty());
}

async fn bookings_claim_move_and_settle(store: Arc<dyn Store>) {
    let (a, b) = two_tenants(&store).await;
    let user = an_admin(&store, a).await;
    booking_contract(store, a, b, user).await;
}

async fn sign_in_and_onboarding_state_round_trips(store: Arc<dyn Store>) {
    let (a, b) = two_tenants(&store).await;
    let admin = an_admin(&store, a).await;
    signin_and_onboarding_contract(store, a, b, admin).await;
}

/// The first-admin and last-admin rules hold when the attempts arrive at once: exactly one of
/// many proven people becomes the first admin, unproven people are not admitted before, and
/// two admins demoting each other leave one admin.
async fn first_and_last_admin_rules_hold_under_concurrent_sign_ins(store: Arc<dyn Store>) {
    let now = Utc::now();
    let tenant = store.create_tenant("race", "Race").await.unwrap().id;
    let person = |n: usize| User {
        id: UserId::new(),
        tenant_id: tenant,
        subject: format!("oid-{n}"),
        email: format!("p{n}@race.example"),
        display_name: format!("Person {n}"),
        role: Role::Employee,
        created_at: now,
        last_seen_at: now,
    };
    // Before any admin: an unproven person is not admitted, and nothing is stored.
    assert_eq!(
        store.admit_user(&person(0), false).await.unwrap(),
        Admit::AwaitingAdmin
    );
    assert!(store.users(tenant).await.unwrap().is_empty());

    // Twelve proven people and twelve unproven ones at once.
    let attempts = (1..=24).map(|n| {
        let store = store.clone();
        let user = person(n);
        tokio::spawn(async move { store.admit_user(&user, n % 2 == 0).await })
    });
    let mut first_admins = 0;
    let mut admitted = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        if let Admit::In(admission) = attempt.await.unwrap().expect("the store answers") {
            admitted += 1;
            if admission.first_admin {
                first_admins += 1;
                assert_eq!(admission.user.role, Role::Admin);
            } else {
                assert_eq!(admission.user.role, Role::Employee);
            }
        }
    }
    let people = store.users(tenant).await.unwrap();
    let admins: Vec<_> = people.iter().filter(|u| u.role == Role::Admin).collect();
    assert_eq!(first_admins, 1, "exactly one first admin");
    assert_eq!(admins.len(), 1, "exactly one admin stored");
    assert_eq!(people.len(), admitted, "only the admitted are stored");
    assert!(admitted >= 12, "every proven person got in: {admitted}");

    // A returning person keeps their role; proof does not promote once an admin exists.
    let employee = people.iter().find(|u| u.role == Role::Employee).unwrap();
    let Admit::In(back) = store
        .admit_user(
            &User {
                id: UserId::new(),
                ..employee.clone()
            },
            true,
        )
        .await
        .unwrap()
    else {
        panic!("a returning person is admitted");
    };
    // Another subject asserting an admitted person's address is not let in as them.
    assert_eq!(
        store
            .admit_user(
                &User {
                    id: UserId::new(),
                    subject: "oid-someone-else".into(),
                    ..employee.clone()
                },
                true,
            )
            .await
            .unwrap(),
        Admit::MailboxOfAnother
    );
    assert_eq!(
        (back.user.id, back.user.role, back.first_admin),
        (employee.id, Role::Employee, false)
    );

    // Two admins demote each other at the same moment, many times over: one always stays.
    let first = admins[0].id;
    for round in 0..10 {
        let other = people
            .iter()
            .filter(|u| u.role == Role::Employee)
            .nth(round)
            .unwrap()
            .id;
        assert_eq!(
            store.set_role(tenant, other, Role::Admin).await.unwrap(),
            RoleChange::Changed
        );
        let demote = |id| {
            let store = store.clone();
            tokio::spawn(async move { store.set_role(tenant, id, Role::Employee).await })
        };
        let (one, two) = (demote(first), demote(other));
        let outcomes = [one.await.unwrap().unwrap(), two.await.unwrap().unwrap()];
        let admins: Vec<_> = store
            .users(tenant)
            .await
            .unwrap()
            .into_iter()
            .filter(|u| u.role == Role::Admin)
            .collect();
        assert_eq!(admins.len(), 1, "round {round}: {outcomes:?}");
        assert!(outcomes.contains(&RoleChange::LastAdmin), "round {round}");
        // Put the first admin back in place for the next round.
        if admins[0].id != first {
            store.set_role(tenant, first, Role::Admin).await.unwrap();
            store
                .set_role(tenant, admins[0].id, Role::Employee)
                .await
                .unwrap();
        }
    }
}

async fn booking_contract(store: Arc<dyn Store>, a: TenantId, b: TenantId, user: UserId) {
    use roombook_core::domain::{Booking, BookingId, BookingStatus, Claim};
    let room = store
        .upsert_room(
            a,
            &RoomDetails {
                email: "claims@alpha.example".into(),
                name: "Claims".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let day = (Utc::now() + Duration::days(1)).date_naive();
    let at = |h: u32, m: u32| day.and_hms_opt(h, m, 0).unwrap().and_utc();
    let now = Utc::now();
    let booking = |key: &str, start, end| {
        let id = BookingId::new();
        Booking {
            id,
            tenant_id: a,
            user_id: user,
            room_id: room.id,
            idempotency_key: key.into(),
            uid: format!("roombook-{id}"),
            subject: "Standup".into(),
            note: String::new(),
            attendees: vec!["x@alpha.example".into()],
            start,
            end,
            time_zone: "Europe/Berlin".into(),
            status: BookingStatus::Sending,
            reason: None,
            calendar: "ada@alpha.example".into(),
            item_id: None,
            change_key: None,
            created_at: now,
            updated_at: now,
        }
    };
    let first = booking("k1", at(10, 0), at(11, 0));
    assert_eq!(
        store.claim_booking(&first, now).await.unwrap(),
        Claim::Claimed
    );
    let stored = store.booking(a, first.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.start, stored.end, stored.status),
        (first.start, first.end, BookingStatus::Sending)
    );
    assert_eq!(stored.attendees, first.attendees);
    // The same form again: the first booking.
    let again = booking("k1", at(16, 0), at(17, 0));
    assert!(
        matches!(store.claim_booking(&again, now).await.unwrap(), Claim::Duplicate(d) if d.id == first.id)
    );
    // Overlapping: taken. Back to back: fine.
    assert_eq!(
        store
            .claim_booking(&booking("k2", at(10, 30), at(11, 30)), now)
            .await
            .unwrap(),
        Claim::Taken
    );
    let second = booking("k3", at(11, 0), at(12, 0));
    assert_eq!(
        store.claim_booking(&second, now).await.unwrap(),
        Claim::Claimed
    );
    // Fifty claims on one slot at once: exactly one wins.
    let claims = (0..50).map(|i| {
        let store = store.clone();
        let b = booking(&format!("race-{i}"), at(13, 0), at(14, 0));
        async move { store.claim_booking(&b, now).await.unwrap() }
    });
    let outcomes = futures_util::future::join_all(claims).await;
    assert_eq!(
        outcomes.iter().filter(|c| **c == Claim::Claimed).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(outcomes.iter().filter(|c| **c == Claim::Taken).count(), 49);
    // A declined booking frees its slot; a claim left `sending` (a request that died) keeps
    // it until Exchange settles it, however old.
    let mut declined = store.booking(a, first.id).await.unwrap().unwrap();
    declined.status = BookingStatus::Declined;
    declined.reason = Some(BookingReason::DeclinedByRoomRules);
    store.update_booking(&declined).await.unwrap();
    assert_eq!(
        store.booking(a, first.id).await.unwrap().unwrap().reason,
        Some(BookingReason::DeclinedByRoomRules)
    );
    // Every reason round-trips through its stored code.
    for reason in BookingReason::ALL {
        declined.reason = Some(reason);
        store.update_booking(&declined).await.unwrap();
        let read = store.booking(a, first.id).await.unwrap().unwrap();
        assert_eq!(read.reason, Some(reason));
    }
    assert_eq!(
        store
            .claim_booking(&booking("k4", at(10, 0), at(10, 30)), now)
            .await
            .unwrap(),
        Claim::Claimed
    );
    let stale = booking("k5", at(18, 0), at(19, 0));
    assert_eq!(
        store
            .claim_booking(&stale, now - Duration::minutes(10))
            .await
            .unwrap(),
        Claim::Claimed
    );
    assert_eq!(
        store
            .claim_booking(&booking("k6", at(18, 0), at(19, 0)), now)
            .await
            .unwrap(),
        Claim::Taken
    );
    // Moving: into a held slot is refused, into a free one done.
    assert!(
        !store
            .move_booking(a, second.id, at(13, 30), at(14, 30), now)
            .await
            .unwrap()
    );
    assert!(
        store
            .move_booking(a, second.id, at(15, 0), at(16, 0), now)
            .await
            .unwrap()
    );
    let moved = store.booking(a, second.id).await.unwrap().unwrap();
    assert_eq!((moved.start, moved.end), (at(15, 0), at(16, 0)));
    let held = store.held_slots(a, at(0, 0), at(23, 0), now).await.unwrap();
    let mut spans: Vec<_> = held.iter().map(|h| (h.start, h.end)).collect();
    spans.sort();
    assert_eq!(
        spans,
        vec![
            (at(10, 0), at(10, 30)),
            (at(13, 0), at(14, 0)),
            (at(15, 0), at(16, 0)),
            (at(18, 0), at(19, 0))
        ]
    );
    let mine = store.bookings_of(a, user, now).await.unwrap();
    assert!(
        mine.windows(2).all(|w| w[0].start <= w[1].start),
        "soonest first"
    );
    assert_eq!(mine.len(), 5, "every booking, whatever its state");
    // Open outcomes: `sending` ones untouched long enough, `unknown` ones when due.
    let due = |at| {
        let store = store.clone();
        async move {
            let mut ids: Vec<_> = store
                .open_outcomes(at, at - Duration::minutes(5), 100)
                .await
                .unwrap()
                .into_iter()
                .map(|o| (o.booking.id, o.checks))
                .collect();
            ids.sort();
            ids
        }
    };
    assert_eq!(due(now).await, vec![(stale.id, 0)], "only the old claim");
    let later = now + Duration::minutes(10);
    let mut sending: Vec<_> = store
        .open_outcomes(later, later - Duration::minutes(5), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.booking.id)
        .collect();
    sending.sort();
    assert!(sending.contains(&second.id) && sending.contains(&stale.id));
    assert!(!sending.contains(&first.id), "declined is settled");
    // Planned: unknown, counted, due at its time; still holding its slot.
    assert!(
        store
            .plan_outcome_check(
                a,
                stale.id,
                BookingStatus::Sending,
                BookingStatus::Unknown,
                2,
                Some(now + Duration::minutes(1)),
            )
            .await
            .unwrap()
    );
    assert!(due(now).await.is_empty(), "not due yet");
    assert_eq!(
        due(now + Duration::minutes(2)).await.first(),
        Some(&(stale.id, 2))
    );
    assert_eq!(
        store.booking(a, stale.id).await.unwrap().unwrap().status,
        BookingStatus::Unknown
    );
    assert_eq!(
        store
            .claim_booking(&booking("k7", at(18, 0), at(19, 0)), now)
            .await
            .unwrap(),
        Claim::Taken,
        "an unknown outcome holds its slot"
    );
    // Only from the expected state: a second planner or saver loses.
    assert!(
        !store
            .plan_outcome_check(
                a,
                stale.id,
                BookingStatus::Sending,
                BookingStatus::Unknown,
                3,
                None,
            )
            .await
            .unwrap()
    );
    let mut found = store.booking(a, stale.id).await.unwrap().unwrap();
    found.status = BookingStatus::Waiting;
    found.item_id = Some("item".into());
    assert!(
        !store
            .update_booking_from(&found, BookingStatus::Sending)
            .await
            .unwrap()
    );
    assert!(
        store
            .update_booking_from(&found, BookingStatus::Unknown)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .booking(a, stale.id)
            .await
            .unwrap()
            .unwrap()
            .item_id
            .as_deref(),
        Some("item")
    );
    assert!(
        due(now + Duration::minutes(2)).await.is_empty(),
        "settled: no more look-ups"
    );
    // A failed one frees its slot.
    found.status = BookingStatus::Failed;
    store.update_booking(&found).await.unwrap();
    assert_eq!(
        store
            .claim_booking(&booking("k8", at(18, 0), at(19, 0)), now)
            .await
            .unwrap(),
        Claim::Claimed
    );
    // Another tenant sees none of it.
    assert!(store.booking(b, first.id).await.unwrap().is_none());
    assert!(
        !store
            .plan_outcome_check(
                b,
                second.id,
                BookingStatus::Sending,
                BookingStatus::Unknown,
                1,
                None,
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .held_slots(b, at(0, 0), at(23, 0), now)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .move_booking(b, second.id, at(8, 0), at(9, 0), now)
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn signin_and_onboarding_contract(
    store: Arc<dyn Store>,
    a: TenantId,
    b: TenantId,
    admin: UserId,
) {
    let now = Utc::now();
    // Directories: one tenant each.
    store.set_tenant_directory(a, "dir-a").await.unwrap();
    assert_eq!(
        store
            .tenant_by_directory("dir-a")
            .await
            .unwrap()
            .unwrap()
            .id,
        a
    );
    assert!(matches!(
        store.set_tenant_directory(b, "dir-a").await,
        Err(StoreError::Conflict)
    ));
    assert!(store.tenant_by_directory("dir-x").await.unwrap().is_none());

    // Import: add, keep, deactivate, reactivate; admin edits survive (in a fresh tenant).
    let b = store.create_tenant("gamma", "Gamma GmbH").await.unwrap().id;
    let imported = |email: &str, name: &str| ImportedRoom {
        email: email.into(),
        name: name.into(),
        room_list: Some("HQ".into()),
    };
    let first = store
        .import_rooms(
            b,
            &[
                imported("One@B.example", "One"),
                imported("two@b.example", "Two"),
            ],
        )
        .await
        .unwrap();
    assert_eq!((first.added, first.deactivated), (2, 0));
    let rooms = store.all_rooms(b).await.unwrap();
    let one = rooms
        .iter()
        .find(|r| r.email == "one@b.example")
        .unwrap()
        .clone();
    assert_eq!(one.building.as_deref(), Some("HQ"));
    let settings = RoomSettings {
        capacity: Some(7),
        building: Some("Tower".into()),
        equipment: vec!["Screen".into()],
        max_duration_minutes: Some(90),
        ..Default::default()
    };
    let edited = store
        .update_room_settings(b, one.id, &settings)
        .await
        .unwrap();
    assert!(edited.edited);
    assert_eq!(edited.max_duration_minutes, Some(90));
    assert!(
        matches!(
            store.update_room_settings(a, one.id, &settings).await,
            Err(StoreError::NotFound)
        ),
        "another tenant's room"
    );
    assert!(store.room(a, one.id).await.unwrap().is_none());
    assert!(matches!(
        store
            .update_room_settings(b, RoomId::new(), &settings)
            .await,
        Err(StoreError::NotFound)
    ));
    let second = store
        .import_rooms(
            b,
            &[
                imported("one@b.example", "One renamed"),
                imported("three@b.example", "Three"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        (second.added, second.deactivated, second.unchanged),
        (1, 1, 1)
    );
    let one = store.room(b, one.id).await.unwrap().unwrap();
    assert_eq!(one.name, "One renamed");
    assert_eq!(
        (one.capacity, one.building.as_deref()),
        (Some(7), Some("Tower"))
    );
    let third = store
        .import_rooms(b, &[imported("two@b.example", "Two")])
        .await
        .unwrap();
    assert_eq!((third.reactivated, third.deactivated), (1, 2));
    let search = store.rooms_matching(b, "tower").await.unwrap();
    assert!(search.is_empty(), "inactive rooms are not offered");

    // People and roles, per tenant.
    let people = store.users(a).await.unwrap();
    assert!(people.iter().any(|u| u.id == admin));
    let admins = people.iter().filter(|u| u.role == Role::Admin).count();
    assert_eq!(admins, 1, "the contract's tenant has one admin here");
    assert_eq!(
        store.set_role(a, admin, Role::Employee).await.unwrap(),
        RoleChange::LastAdmin,
        "the last admin stays admin"
    );
    assert_eq!(
        store.user(a, admin).await.unwrap().unwrap().role,
        Role::Admin
    );
    assert!(matches!(
        store.set_role(b, admin, Role::Admin).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.users(b).await.unwrap().is_empty());

    // Sign-in round trips: single use, and expired ones are gone.
    let request = AuthRequest {
        state_hash: "state-1".into(),
        purpose: AuthPurpose::Consent,
        nonce: "n".into(),
        pkce_verifier: "v".into(),
        session_hash: Some("s".into()),
        tenant_id: Some(a),
        return_to: "/admin".into(),
        created_at: now,
        expires_at: now + Duration::minutes(10),
    };
    store.create_auth_request(&request).await.unwrap();
    let taken = store
        .take_auth_request("state-1", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (taken.purpose, taken.tenant_id),
        (AuthPurpose::Consent, Some(a))
    );
    assert!(
        store
            .take_auth_request("state-1", now)
            .await
            .unwrap()
            .is_none(),
        "single use"
    );
    store
        .create_auth_request(&AuthRequest {
            state_hash: "state-2".into(),
            expires_at: now - Duration::seconds(1),
            ..request.clone()
        })
        .await
        .unwrap();
    assert!(
        store
            .take_auth_request("state-2", now)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );

    // A consent request keeps what the admin asked for until its callback; single use.
    let pending = PendingConsent {
        check_address: "room@a.example".into(),
        rooms_only: true,
    };
    store
        .create_consent_request(
            &AuthRequest {
                state_hash: "state-3".into(),
                ..request.clone()
            },
            &pending,
        )
        .await
        .unwrap();
    let (taken, asked) = store
        .take_consent_request("state-3", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((taken.tenant_id, asked), (Some(a), pending.clone()));
    assert!(
        store
            .take_consent_request("state-3", now)
            .await
            .unwrap()
            .is_none(),
        "single use"
    );

    // Requests in flight are counted; expired ones are swept in bounded batches (with what
    // a consent request carried).
    for i in 0..5 {
        store
            .create_consent_request(
                &AuthRequest {
                    state_hash: format!("old-{i}"),
                    created_at: now,
                    expires_at: now + Duration::minutes(1),
                    ..request.clone()
                },
                &pending,
            )
            .await
            .unwrap();
    }
    assert_eq!(store.count_auth_requests(now).await.unwrap(), 5);
    let later = now + Duration::minutes(2);
    assert_eq!(store.count_auth_requests(later).await.unwrap(), 0);
    assert_eq!(
        store.delete_expired_auth_requests(later, 3).await.unwrap(),
        3
    );
    assert_eq!(
        store.delete_expired_auth_requests(later, 3).await.unwrap(),
        2
    );
    assert_eq!(
        store.delete_expired_auth_requests(later, 3).await.unwrap(),
        0
    );
}
