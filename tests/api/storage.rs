//! The storage contract, run against SQLite always and PostgreSQL when
//! `ROOMBOOK_TEST_POSTGRES_URL` is set. Each run has a database of its own.

use std::sync::Arc;

use chrono::{Duration, Utc};
use roombook_server::{
    domain::{
        AuditEntry, AuditId, ConnectionError, ConnectionMode, ExchangeConnection, Role,
        RoomDetails, SecretRef, Session, User, UserId,
    },
    storage::{self, Store, StoreError},
};
use roombook_shared::RoomQuery;
use roombook_tests::{TestDatabase, postgres_admin_url, sample_rooms};

async fn open(db: &TestDatabase) -> Arc<dyn Store> {
    storage::open(db.url(), 4).await.expect("store opens")
}

#[tokio::test]
async fn sqlite_meets_the_storage_contract() {
    let db = TestDatabase::sqlite();
    let store = open(&db).await;
    assert_eq!(store.backend(), "sqlite");
    storage_contract(store).await;
}

#[tokio::test]
async fn postgres_meets_the_storage_contract() {
    if postgres_admin_url().is_none() {
        eprintln!("skipped: set ROOMBOOK_TEST_POSTGRES_URL to run the PostgreSQL storage tests");
        return;
    }
    let db = TestDatabase::postgres().await.expect("test database");
    let store = open(&db).await;
    assert_eq!(store.backend(), "postgres");
    storage_contract(store.clone()).await;
    // Opening again finds the schema up to date.
    drop(store);
    open(&db).await;
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
    let err = storage::open("mysql://localhost/x", 1).await.err().unwrap();
    assert!(
        err.to_string()
            .contains("unsupported database URL scheme “mysql”")
    );
    let err = storage::open("sqlite:///proc/no/such/dir/x.db", 1)
        .await
        .err()
        .unwrap();
    assert_eq!(err.to_string(), "cannot open the database");
}

async fn storage_contract(store: Arc<dyn Store>) {
    store.ping().await.unwrap();

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

    // Rooms: upsert by address (case-insensitive), tenant isolation, filters, counts.
    for room in sample_rooms() {
        store.upsert_room(a.id, &room).await.unwrap();
    }
    let harbour = store
        .upsert_room(
            a.id,
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
            b.id,
            &RoomDetails {
                email: "harbour@demo.example".into(),
                name: "Beta's harbour".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let all = store.find_rooms(a.id, &RoomQuery::default()).await.unwrap();
    assert_eq!(
        all.len(),
        5,
        "one row per address, the other tenant's room not included"
    );
    assert!(all.iter().all(|r| r.tenant_id == a.id));
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
        async move {
            store
                .find_rooms(a.id, &query)
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
        .set_room_active(a.id, "atrium@demo.example", false)
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_room_active(a.id, "nobody@demo.example", false)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(find("atrium", "").await, Vec::<String>::new());
    let counts = store.count_rooms(a.id).await.unwrap();
    assert_eq!((counts.active, counts.inactive), (4, 1));
    // A re-import of a vanished room brings it back.
    store.upsert_room(a.id, &sample_rooms()[4]).await.unwrap();
    assert_eq!(store.count_rooms(a.id).await.unwrap().active, 5);
    assert_eq!(store.count_rooms(b.id).await.unwrap().active, 1);

    // Exchange connection: saved and read back; no secret, only its name and version.
    assert!(store.connection(a.id).await.unwrap().is_none());
    let now = Utc::now();
    let connection = ExchangeConnection {
        tenant_id: a.id,
        mode: ConnectionMode::ServiceAccount,
        ews_url: "https://mail.alpha.example/EWS/Exchange.asmx".into(),
        identity: "svc-roombook".into(),
        directory_tenant: None,
        secret: Some(SecretRef {
            name: "alpha-ews".into(),
            version: Some("v1".into()),
        }),
        rooms_only: true,
        last_success_at: None,
        last_error: Some(ConnectionError {
            message: "The password has expired.".into(),
            class: "authentication".into(),
            at: now,
        }),
        updated_at: now,
    };
    store.save_connection(&connection).await.unwrap();
    let read = store.connection(a.id).await.unwrap().unwrap();
    assert_eq!(read.secret, connection.secret);
    assert_eq!(read.last_error.as_ref().unwrap().class, "authentication");
    assert!(read.rooms_only);
    let healed = ExchangeConnection {
        last_error: None,
        last_success_at: Some(now),
        ..read
    };
    store.save_connection(&healed).await.unwrap();
    let read = store.connection(a.id).await.unwrap().unwrap();
    assert!(read.last_error.is_none());
    assert!(
        store.connection(b.id).await.unwrap().is_none(),
        "tenant isolation"
    );

    // Users: created once per (tenant, subject); the role is kept on later sign-ins.
    let user = User {
        id: UserId::new(),
        tenant_id: a.id,
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
        store.user(b.id, user.id).await.unwrap().is_none(),
        "tenant isolation"
    );
    assert!(store.user(a.id, user.id).await.unwrap().is_some());

    // Sessions: found until they expire.
    let session = Session {
        token_hash: "ab".repeat(32),
        user_id: user.id,
        tenant_id: a.id,
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

    // Audit log: newest first, per tenant.
    for (i, action) in ["room.import", "room.edit", "display.pair"]
        .iter()
        .enumerate()
    {
        store
            .record(&AuditEntry {
                id: AuditId::new(),
                tenant_id: a.id,
                actor: Some(user.id),
                action: (*action).into(),
                target: "harbour@demo.example".into(),
                detail: String::new(),
                at: now + Duration::seconds(i as i64),
            })
            .await
            .unwrap();
    }
    let recent: Vec<_> = store
        .recent(a.id, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(recent, ["display.pair", "room.edit"]);
    assert!(store.recent(b.id, 10).await.unwrap().is_empty());
}
