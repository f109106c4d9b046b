//! Roombook's test kit: [`spawn_app`] starts the real application (the same `build` as
//! production) on port 0 with a database of its own, and returns typed helpers.
//!
//! SQLite is used unless a test asks for PostgreSQL; PostgreSQL tests need
//! `ROOMBOOK_TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`) and create
//! and drop a database of their own.

use std::{path::PathBuf, sync::Arc};

use roombook_server::{
    config::Config,
    domain::{Room, RoomDetails, TenantId},
    startup::{self, AppHandle},
    storage::Store,
};

pub mod databases;

pub use databases::{TestDatabase, postgres_admin_url};

/// Options for [`spawn_app_with`].
#[derive(Clone, Debug, Default)]
pub struct TestOptions {
    /// Use PostgreSQL instead of SQLite (the test is skipped by the caller when unavailable).
    pub postgres: bool,
    /// Serve this built site (for the browser tests); otherwise an empty folder.
    pub site_root: Option<PathBuf>,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub tenant: TenantId,
    handle: Option<AppHandle>,
    _database: TestDatabase,
    _site: Option<tempfile::TempDir>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestOptions::default()).await
}

pub async fn spawn_app_with(options: TestOptions) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = roombook_server::telemetry::init(&Default::default());
    }
    let database = if options.postgres {
        TestDatabase::postgres()
            .await
            .expect("PostgreSQL test database")
    } else {
        TestDatabase::sqlite()
    };
    let (site_root, site_dir) = match options.site_root {
        Some(root) => (root, None),
        None => {
            let dir = tempfile::tempdir().expect("temporary site folder");
            (dir.path().to_path_buf(), Some(dir))
        }
    };

    let mut config = Config::default();
    config.database.url = database.url().to_owned();
    config.database.max_connections = 4;
    config.server.site_root = site_root;
    config.server.shutdown_grace_seconds = 2;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let handle = startup::build(listener, config)
        .await
        .expect("application starts");
    let address = format!("http://{}", handle.local_addr());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client");
    TestApp {
        address,
        client,
        store: handle.store(),
        tenant: handle.browsing_tenant().expect("demo tenant"),
        handle: Some(handle),
        _database: database,
        _site: site_dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GET a page and return its status and HTML.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// Adds a room to the browsing tenant.
    pub async fn add_room(&self, details: RoomDetails) -> Room {
        self.store
            .upsert_room(self.tenant, &details)
            .await
            .expect("room stored")
    }

    /// A varied set of rooms, as the demo and the browser tests use.
    pub async fn add_sample_rooms(&self) -> Vec<Room> {
        let mut rooms = Vec::new();
        for room in sample_rooms() {
            rooms.push(self.add_room(room).await);
        }
        rooms
    }

    pub async fn shutdown(mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await.expect("clean shutdown");
        }
    }
}

pub fn sample_rooms() -> Vec<RoomDetails> {
    let room = |email: &str,
                name: &str,
                capacity: u32,
                building: &str,
                floor: &str,
                equipment: &[&str],
                wheelchair: bool| RoomDetails {
        email: email.into(),
        name: name.into(),
        capacity: Some(capacity),
        building: Some(building.into()),
        floor: Some(floor.into()),
        equipment: equipment.iter().map(|e| e.to_string()).collect(),
        wheelchair_accessible: wheelchair,
    };
    vec![
        room(
            "boardroom@demo.example",
            "Boardroom",
            16,
            "North",
            "5",
            &["Display", "Video conference"],
            true,
        ),
        room(
            "focus-1@demo.example",
            "Focus 1",
            2,
            "North",
            "2",
            &[],
            false,
        ),
        room(
            "harbour@demo.example",
            "Harbour",
            8,
            "South",
            "1",
            &["Display", "Whiteboard"],
            true,
        ),
        room(
            "lighthouse@demo.example",
            "Lighthouse",
            6,
            "South",
            "3",
            &["Whiteboard"],
            false,
        ),
        room(
            "atrium@demo.example",
            "Atrium",
            40,
            "West",
            "0",
            &["Display", "Microphones"],
            true,
        ),
    ]
}
