//! Starting and stopping the simulator: configuration, the HTTP router, and a connection loop
//! that can drop connections on demand.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

use crate::autodiscover;
use crate::directory::{BookingPolicy, Room, RoomList, ServiceAccount, TenantSeed, User};
use crate::entra::{self, AppRegistration, Entra, RegistrationError};
use crate::ews::{self, DropConnection};
use crate::faults::Faults;
use crate::inspect::{Counters, Inspector};
use crate::keyvault::{self, Vaults};
use crate::schema::{SchemaValidator, default_schema_dir};
use crate::tenant::Tenant;
use crate::tls::Authority;
use tokio_rustls::TlsAcceptor;

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    pub seed: TenantSeed,
    /// Where `messages.xsd` and `types.xsd` are (default: `shared/ews-schema` beside the
    /// repository, or `ROOMBOOK_EWS_SCHEMA_DIR`).
    pub schema_dir: PathBuf,
    /// Validate every request against the schema (on by default, as Exchange does).
    pub validate_schema: bool,
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Refuse impersonated calls without a matching `X-AnchorMailbox` (otherwise they are
    /// only counted, see `Inspector::missing_anchor_mailbox`).
    pub require_anchor_mailbox: bool,
    /// How long after an admin grants consent Exchange still answers 401 to the app's tokens
    /// (Exchange's permission cache; minutes to hours in real tenants).
    pub consent_delay: Duration,
    /// Address of the HTTPS listener (Key Vault, and Entra for clients that insist on
    /// HTTPS); port 0 picks a free port.
    pub https_bind: SocketAddr,
}

impl SimulatorConfig {
    pub fn new(seed: TenantSeed) -> Self {
        SimulatorConfig {
            seed,
            schema_dir: default_schema_dir(),
            validate_schema: true,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            require_anchor_mailbox: false,
            consent_delay: Duration::ZERO,
            https_bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("EWS schema: {0}")]
    Schema(String),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error(transparent)]
    App(#[from] crate::entra::RegistrationError),
}

/// State shared by the request handlers.
pub struct Shared {
    pub(crate) config: SimulatorConfig,
    pub(crate) tenant: Arc<Mutex<Tenant>>,
    pub(crate) counters: Arc<Mutex<Counters>>,
    pub(crate) faults: Arc<Faults>,
    pub(crate) validator: Option<Arc<SchemaValidator>>,
    pub(crate) entra: Entra,
    pub(crate) vaults: Arc<Vaults>,
}

impl Shared {
    pub(crate) fn tenant(&self) -> MutexGuard<'_, Tenant> {
        self.tenant.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn ews_url(&self) -> String {
        format!("{}/EWS/Exchange.asmx", self.entra.base_url)
    }

    pub(crate) fn counters(&self) -> MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct Simulator;

impl Simulator {
    /// Seeds the tenant, compiles the schema (once per process) and starts listening.
    pub async fn start(config: SimulatorConfig) -> Result<SimulatorHandle, StartError> {
        let validator = if config.validate_schema {
            let dir = config.schema_dir.clone();
            let validator = tokio::task::spawn_blocking(move || SchemaValidator::global(&dir))
                .await
                .map_err(|e| StartError::Schema(e.to_string()))?
                .map_err(StartError::Schema)?;
            Some(validator)
        } else {
            None
        };
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
        let https_listener = TcpListener::bind(config.https_bind)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.https_bind,
                source,
            })?;
        let https_addr = https_listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                addr: config.https_bind,
                source,
            })?;
        let authority = tokio::task::spawn_blocking(Authority::shared)
            .await
            .map_err(|e| StartError::Schema(e.to_string()))??;
        let tenant = Tenant::new(&config.seed);
        let entra = Entra::new(
            &format!("http://{addr}"),
            &format!("https://localhost:{}", https_addr.port()),
            &config.seed.tenant_id,
            &config.seed.domain,
            &config.seed.apps,
            config.consent_delay,
        )?;
        let shared = Arc::new(Shared {
            config,
            tenant: Arc::new(Mutex::new(tenant)),
            counters: Arc::new(Mutex::new(Counters::default())),
            faults: Arc::new(Faults::default()),
            validator,
            entra,
            vaults: keyvault::new_vaults(),
        });
        let router = router(shared.clone());
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(serve(listener, router.clone(), None, shutdown_rx.clone()));
        let acceptor = TlsAcceptor::from(authority.server_config.clone());
        let https_task = tokio::spawn(serve(https_listener, router, Some(acceptor), shutdown_rx));
        Ok(SimulatorHandle {
            addr,
            https_addr,
            ca_pem: authority.ca_pem.clone(),
            https_task: Some(https_task),
            shared,
            shutdown: shutdown_tx,
            task: Some(task),
        })
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/EWS/Exchange.asmx", post(ews::handle))
        .route("/ews/exchange.asmx", post(ews::handle))
        .route("/health", get(|| async { "ok" }))
        .route("/secrets", get(keyvault::list_secrets))
        .route(
            "/secrets/{name}",
            get(keyvault::get_latest)
                .put(keyvault::set_secret)
                .delete(keyvault::delete_secret),
        )
        .route("/secrets/{name}/", get(keyvault::get_latest))
        .route("/secrets/{name}/versions", get(keyvault::list_versions))
        .route(
            "/secrets/{name}/{version}",
            get(keyvault::get_version).patch(keyvault::update_version),
        )
        .route(
            "/autodiscover/autodiscover.json/v1.0/{email}",
            get(autodiscover::json_v1),
        )
        .route("/autodiscover/autodiscover.xml", post(autodiscover::pox))
        .route("/Autodiscover/Autodiscover.xml", post(autodiscover::pox))
        .route("/{tenant}/oauth2/v2.0/token", post(entra::token))
        .route("/{tenant}/oauth2/v2.0/authorize", get(entra::authorize))
        .route(
            "/{tenant}/oauth2/v2.0/authorize/select",
            get(entra::authorize_select),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(entra::jwks))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(entra::discovery),
        )
        .route("/{tenant}/adminconsent", get(entra::admin_consent))
        .route("/{tenant}/v2.0/adminconsent", get(entra::admin_consent_v2))
        .route(
            "/{tenant}/adminconsent/decide",
            get(entra::admin_consent_decide),
        )
        .with_state(shared)
}

/// The error a connection's service returns to make hyper close the socket unanswered.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = shutdown.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut conn_shutdown = shutdown.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve_connection(TokioIo::new(stream), router, &mut conn_shutdown).await,
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        serve_connection(TokioIo::new(stream), router, &mut conn_shutdown).await;
                    }
                }
            }
        });
    }
}

async fn serve_connection<I>(io: I, router: Router, conn_shutdown: &mut watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    {
        let service =
            hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let router = router.clone();
                async move {
                    let response = router
                        .oneshot(request.map(axum::body::Body::new))
                        .await
                        .unwrap_or_else(|never| match never {});
                    if response.extensions().get::<DropConnection>().is_some() {
                        return Err(Dropped);
                    }
                    Ok(response)
                }
            });
        let connection = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            .serve_connection(io, service);
        tokio::pin!(connection);
        tokio::select! {
            _ = connection.as_mut() => {}
            _ = conn_shutdown.changed() => {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
        }
    }
}

/// A running simulator. Dropping it stops the server.
pub struct SimulatorHandle {
    addr: SocketAddr,
    https_addr: SocketAddr,
    ca_pem: String,
    https_task: Option<tokio::task::JoinHandle<()>>,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SimulatorHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `https://localhost:PORT`, the HTTPS listener (same routes as `base_url`).
    pub fn https_base_url(&self) -> String {
        format!("https://localhost:{}", self.https_addr.port())
    }

    pub fn https_addr(&self) -> SocketAddr {
        self.https_addr
    }

    /// The Entra authority over HTTPS, for SDKs that refuse an `http` authority host.
    pub fn https_authority_url(&self) -> String {
        format!("{}/{}", self.https_base_url(), self.tenant_id())
    }

    /// A vault's URL: `https://{name}.vault.localhost:PORT`. `*.localhost` names resolve to
    /// loopback on most systems; otherwise map them to `https_addr()` in the client.
    pub fn key_vault_url(&self, vault: &str) -> String {
        format!("https://{vault}.vault.localhost:{}", self.https_addr.port())
    }

    /// The PEM of the CA generated at start, which signed the HTTPS certificate.
    pub fn ca_certificate_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The current value of a secret, for assertions.
    pub fn secret_value(&self, vault: &str, name: &str) -> Option<String> {
        self.shared.vaults.current_value(vault, name)
    }

    /// Whether each version of a secret is enabled, oldest first, for assertions.
    pub fn secret_versions_enabled(&self, vault: &str, name: &str) -> Vec<bool> {
        self.shared.vaults.versions_enabled(vault, name)
    }

    /// The EWS endpoint, `…/EWS/Exchange.asmx`.
    pub fn ews_url(&self) -> String {
        format!("{}/EWS/Exchange.asmx", self.base_url())
    }

    pub fn tenant_id(&self) -> String {
        self.shared.tenant().tenant_id.clone()
    }

    /// Fault controls, effective immediately.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    pub fn inspect(&self) -> Inspector {
        Inspector {
            tenant: self.shared.tenant.clone(),
            counters: self.shared.counters.clone(),
        }
    }

    pub fn add_user(&self, user: User) {
        self.shared.tenant().add_user(user);
    }

    pub fn add_room(&self, room: Room) {
        self.shared.tenant().add_room(room);
    }

    pub fn add_room_list(&self, list: RoomList) {
        let mut tenant = self.shared.tenant();
        tenant.room_lists.retain(|l| l.address != list.address);
        tenant.room_lists.push(list);
    }

    pub fn add_service_account(&self, account: ServiceAccount) {
        self.shared.tenant().add_service_account(account);
    }

    /// The Entra authority for this tenant, standing in for
    /// `https://login.microsoftonline.com/{tenant id}`.
    pub fn authority_url(&self) -> String {
        format!("{}/{}", self.base_url(), self.tenant_id())
    }

    /// The v2 token endpoint, also the `aud` a client assertion must carry.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/v2.0/token", self.authority_url())
    }

    /// Adds or replaces an app registration.
    pub fn register_app(&self, app: AppRegistration) -> Result<(), RegistrationError> {
        self.shared.entra.register(app)
    }

    /// Grants `full_access_as_app` to an app now, as an admin's consent does (Exchange honours
    /// it after `consent_delay`).
    pub fn grant_consent(&self, client_id: &str) {
        self.shared.entra.grant_consent(client_id);
    }

    /// Changes a room's booking settings; returns false for an unknown room.
    pub fn set_booking_policy(&self, room: &str, policy: BookingPolicy) -> bool {
        match self
            .shared
            .tenant()
            .rooms
            .get_mut(&room.to_ascii_lowercase())
        {
            Some(r) => {
                r.policy = policy;
                true
            }
            None => false,
        }
    }

    /// Stops accepting connections and waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(task) = self.https_task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimulatorHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
