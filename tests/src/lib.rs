//! Roombook's test kit: [`spawn_app`] starts the real application (the same `build` as
//! production) on port 0 with a database of its own, and returns typed helpers.
//!
//! SQLite is used unless a test asks for PostgreSQL; PostgreSQL tests need
//! `ROOMBOOK_TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`) and create
//! and drop a database of their own.

use std::{path::PathBuf, sync::Arc};

use roombook_core::domain::{Room, RoomDetails, TenantId};
use roombook_core::ports::storage::Store;
use roombook_server::{
    config::Config,
    startup::{self, AppHandle},
};

pub mod databases;
pub mod exchange;

pub use databases::{TestDatabase, postgres_admin_url};
use roombook_simulator::{Simulator, SimulatorConfig, SimulatorHandle, TenantSeed};

/// Options for [`spawn_app_with`].
#[derive(Clone, Debug, Default)]
pub struct TestOptions {
    /// Use PostgreSQL instead of SQLite (the test is skipped by the caller when unavailable).
    pub postgres: bool,
    /// Serve this built site (for the browser tests); otherwise an empty folder.
    pub site_root: Option<PathBuf>,
    /// Start a simulated Microsoft tenant (Exchange, Entra ID) and point the app at it:
    /// sign-in, Exchange Online (our app, certificate) and Exchange Server both work.
    pub exchange: Option<ExchangeOptions>,
    /// Changes the configuration last, just before the app starts.
    pub configure: Option<fn(&mut Config)>,
}

#[derive(Clone, Debug)]
pub struct ExchangeOptions {
    pub seed: TenantSeed,
    /// How long Exchange keeps refusing a freshly consented app.
    pub consent_delay: std::time::Duration,
}

impl Default for ExchangeOptions {
    fn default() -> Self {
        Self {
            seed: exchange::seed(),
            consent_delay: std::time::Duration::ZERO,
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    /// The application's calendar port (the EWS adapter).
    pub calendar: Arc<dyn roombook_core::ports::calendar::CalendarGateway>,
    pub tenant: TenantId,
    /// The simulated tenant, with [`TestOptions::exchange`].
    pub sim: Option<SimulatorHandle>,
    /// The database (the SQLite file can be read by tests).
    pub database: TestDatabase,
    /// The local vault's directory and the app certificate file.
    pub secrets_dir: tempfile::TempDir,
    /// Reads of the application's secret store (`get`), counted.
    pub secret_reads: Arc<std::sync::atomic::AtomicU64>,
    handle: Option<AppHandle>,
    _site: Option<tempfile::TempDir>,
}

/// No request of a test may take longer: a stuck request fails its test instead of holding
/// the whole run until CI's limit.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestOptions::default()).await
}

/// An app beside a simulated tenant (`seed`) whose organisation its admin
/// ([`exchange::ADMIN`]) has connected to Exchange Server with the service account (rooms
/// imported), the configuration changed last by `configure`. Returns the app, the
/// organisation and the admin's browser.
pub async fn spawn_connected(
    seed: roombook_simulator::TenantSeed,
    configure: Option<fn(&mut Config)>,
) -> (TestApp, TenantId, Browser) {
    let app = spawn_app_with(TestOptions {
        exchange: Some(ExchangeOptions {
            seed,
            ..Default::default()
        }),
        configure,
        ..Default::default()
    })
    .await;
    let admin = app.sign_in(exchange::ADMIN).await;
    let (code, to) = admin
        .connect_exchange_server("", exchange::ADMIN, false)
        .await;
    assert_eq!((code, to.as_deref()), (303, Some("/admin/connect/status")));
    let tenant = app.organisation().await;
    (app, tenant, admin)
}

/// Tomorrow's date (UTC) as a form sends it.
pub fn tomorrow() -> String {
    (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string()
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
    // The harness's fixtures (`TestApp::tenant`, `add_room`) live in the demo organisation,
    // which is off by default.
    config.demo.enabled = true;
    // Every test client signs in from 127.0.0.1: one address, many people (the limits have
    // their own test, with the defaults).
    config.auth.sign_in_burst = 10_000;
    config.auth.sign_ins_per_minute = 10_000;
    let secrets_dir = tempfile::tempdir().expect("temporary vault folder");
    config.secrets = roombook_secrets::SecretStoreConfig::Local {
        path: secrets_dir.path().join("vault"),
        key: None,
    };

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    config.server.public_url = Some(address.clone());
    let sim = match options.exchange {
        None => None,
        Some(exchange) => {
            let mut seed = exchange.seed;
            seed = seed.app(exchange::app_registration(&address));
            let mut sim_config = SimulatorConfig::new(seed);
            sim_config.consent_delay = exchange.consent_delay;
            let sim = Simulator::start(sim_config)
                .await
                .expect("simulator starts");
            let cert_file = secrets_dir.path().join("app.pem");
            std::fs::write(&cert_file, &exchange::app_certificate().0).expect("certificate file");
            config.auth.issuer = format!("{}/organizations/v2.0", sim.base_url());
            config.exchange_online.client_id = Some(exchange::APP_ID.into());
            config.exchange_online.authority = sim.base_url();
            config.exchange_online.ews_url = sim.ews_url();
            config.exchange_online.certificate_file = Some(cert_file);
            config.exchange.allow_private_addresses = true;
            config.exchange.consent_retry_seconds = 1;
            config.exchange.check_interval_seconds = 1;
            config.exchange.autodiscover_urls = vec![sim.base_url()];
            Some(sim)
        }
    };
    if let Some(configure) = options.configure {
        configure(&mut config);
    }
    let secret_reads = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = secret_reads.clone();
    let handle = startup::build_with_secrets(listener, config, move |inner| {
        Arc::new(CountingSecrets {
            inner,
            reads: counted,
        })
    })
    .await
    .expect("application starts");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("HTTP client");
    TestApp {
        address,
        client,
        store: handle.store(),
        calendar: handle.calendar(),
        tenant: handle.browsing_tenant().expect("demo tenant"),
        sim,
        database,
        secrets_dir,
        secret_reads,
        handle: Some(handle),
        _site: site_dir,
    }
}

/// The application's secret store, with its reads counted.
struct CountingSecrets {
    inner: Arc<dyn roombook_secrets::SecretStore>,
    reads: Arc<std::sync::atomic::AtomicU64>,
}

#[async_trait::async_trait]
impl roombook_secrets::SecretStore for CountingSecrets {
    async fn put(
        &self,
        name: &str,
        value: &roombook_secrets::Secret,
    ) -> Result<roombook_secrets::SecretRef, roombook_secrets::SecretError> {
        self.inner.put(name, value).await
    }

    async fn get(
        &self,
        reference: &roombook_secrets::SecretRef,
    ) -> Result<roombook_secrets::Secret, roombook_secrets::SecretError> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.get(reference).await
    }

    async fn delete(&self, name: &str) -> Result<(), roombook_secrets::SecretError> {
        self.inner.delete(name).await
    }

    async fn prune(
        &self,
        name: &str,
        retention: &roombook_secrets::Retention,
        now: std::time::SystemTime,
    ) -> Result<usize, roombook_secrets::SecretError> {
        self.inner.prune(name, retention, now).await
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}

impl TestApp {
    /// How many times the application read its secret store so far.
    pub fn secret_reads(&self) -> u64 {
        self.secret_reads.load(std::sync::atomic::Ordering::SeqCst)
    }

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

    /// The organisation the simulated directory's first sign-in created (panics if nobody
    /// has signed in yet).
    pub async fn organisation(&self) -> TenantId {
        self.store
            .tenant_by_directory(&self.sim().tenant_id())
            .await
            .expect("store answers")
            .expect("a sign-in created the organisation")
            .id
    }

    /// The simulated tenant (panics without [`TestOptions::exchange`]).
    pub fn sim(&self) -> &SimulatorHandle {
        self.sim
            .as_ref()
            .expect("spawned with an Exchange simulator")
    }

    /// Signs in through the simulated Entra ID as `email`, the way a browser does (the
    /// sign-in page picks the account), and returns a browser with the session cookie.
    pub async fn sign_in(&self, email: &str) -> Browser {
        sign_in_at(&self.address, email).await
    }

    /// [`Self::sign_in`], with a refused sign-in as `Err(where Roombook sent the browser)`.
    pub async fn try_sign_in(&self, email: &str) -> Result<Browser, String> {
        try_sign_in_at(&self.address, email).await
    }

    pub async fn shutdown(mut self) {
        if let Some(handle) = self.handle.take() {
            handle.shutdown().await.expect("clean shutdown");
        }
    }
}

/// Signs in to the Roombook at `address` through the simulated Entra ID as `email`, the way
/// a browser does (the sign-in page picks the account); a browser with the session cookie.
pub async fn sign_in_at(address: &str, email: &str) -> Browser {
    match try_sign_in_at(address, email).await {
        Ok(browser) => browser,
        Err(to) => panic!("sign-in failed: {to}"),
    }
}

/// [`sign_in_at`], with a refused sign-in as `Err(where Roombook sent the browser)`.
pub async fn try_sign_in_at(address: &str, email: &str) -> Result<Browser, String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("HTTP client");
    let browser = Browser {
        client,
        address: address.to_owned(),
        bodies: Default::default(),
    };
    let start = browser.get("/auth/signin").await;
    assert_eq!(
        start.status().as_u16(),
        303,
        "sign-in starts with a redirect"
    );
    let authorize = location(&start);
    // The simulated sign-in page lists the directory's accounts; picking one is this link.
    let (path, query) = authorize
        .split_once('?')
        .expect("authorize URL has a query");
    let select = format!("{path}/select?{query}&login={}", url_encode(email));
    let picked = browser
        .client
        .get(&select)
        .send()
        .await
        .expect("account picked");
    assert_eq!(
        picked.status().as_u16(),
        303,
        "{}",
        picked.text().await.unwrap_or_default()
    );
    let callback = location(&picked);
    let done = browser
        .client
        .get(&callback)
        .send()
        .await
        .expect("callback");
    assert_eq!(done.status().as_u16(), 303, "callback redirects");
    let to = location(&done);
    if to.contains("error=") {
        return Err(to);
    }
    Ok(browser)
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

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `Location` of a redirect.
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location header")
        .to_owned()
}

/// A signed-in browser: cookies kept, redirects not followed (tests look at them), and every
/// response body it saw kept for the leak checks.
pub struct Browser {
    pub client: reqwest::Client,
    pub address: String,
    pub bodies: std::sync::Mutex<Vec<String>>,
}

impl Browser {
    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.address, path)
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GET a page: status and HTML (kept).
    pub async fn page(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        self.bodies.lock().unwrap().push(body.clone());
        (status, body)
    }

    /// The session's CSRF token, as the pages put it into forms.
    pub async fn csrf(&self) -> String {
        let (_, html) = self.page("/admin/connect/onprem").await;
        exchange::csrf_in(&html).expect("a csrf field on the page")
    }

    /// Connects the organisation to Exchange Server with the simulated tenant's service
    /// account, as an admin does on Admin → Connect (this browser must be an admin's).
    pub async fn connect_exchange_server(
        &self,
        ews_url: &str,
        check_address: &str,
        rooms_only: bool,
    ) -> (u16, Option<String>) {
        let csrf = self.csrf().await;
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("ews_url", ews_url),
            ("username", exchange::SERVICE_ACCOUNT),
            ("password", exchange::SERVICE_PASSWORD),
            ("check_address", check_address),
        ];
        if rooms_only {
            form.push(("rooms_only", "1"));
        }
        self.post("/admin/connect/onprem", &form).await
    }

    /// Starts Exchange Online consent on our side (Admin → Connect → Exchange Online, with
    /// `form`'s extra fields); returns the simulated consent page's decision link (without the
    /// decision). `sim_base` is the simulator's base URL.
    pub async fn start_consent(&self, sim_base: &str, form: &[(&str, &str)]) -> String {
        let csrf = self.csrf().await;
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        let (code, to) = self.post("/admin/connect/online", &fields).await;
        assert_eq!(code, 303);
        let consent_url = to.expect("a redirect to the consent page");
        assert!(consent_url.starts_with(sim_base), "{consent_url}");
        assert!(consent_url.contains("/v2.0/adminconsent?"), "{consent_url}");
        let (path, query) = consent_url.split_once('?').expect("a query");
        let tenant_path = path.trim_end_matches("/v2.0/adminconsent");
        format!("{tenant_path}/adminconsent/decide?{query}&version=v2")
    }

    /// Gives `decision` (`accept`, `cancel`) on the consent page and follows the answer to our
    /// callback; returns where the callback sends the admin.
    pub async fn answer_consent(&self, decide: &str, decision: &str) -> String {
        let answer = self.get(&format!("{decide}&decision={decision}")).await;
        assert_eq!(answer.status().as_u16(), 303);
        let callback = location(&answer);
        let done = self.get(&callback).await;
        location(&done)
    }

    /// Connects the organisation to Exchange Online: consent accepted, our app's certificate
    /// then gets the tokens. Returns where the admin lands.
    pub async fn connect_exchange_online(&self, sim_base: &str, form: &[(&str, &str)]) -> String {
        let decide = self.start_consent(sim_base, form).await;
        self.answer_consent(&decide, "accept").await
    }

    /// POST a form; returns status and `Location` (if any). The body is kept.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Option<String>) {
        let response = self
            .client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        let to = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.unwrap_or_default();
        self.bodies.lock().unwrap().push(body);
        (status, to)
    }
}
