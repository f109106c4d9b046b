//! The composition root: builds the whole application on a listener it is given, so tests and
//! production start the same way (tests bind port 0).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use leptos::prelude::*;
use roombook_frontend::ssr::ServicesHandle;
use roombook_secrets::SecretStore;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{
    auth::{
        self,
        oidc::{ClientAuth, OidcProvider},
    },
    config::Config,
    http::{AppState, Context, Web, router},
    onboarding::{Onboarding, OnboardingSettings, ServiceAccountInput},
    services::{AppServices, rooms_only_commands_online, rooms_only_commands_onprem},
    telemetry::error_chain,
};
use roombook_calendar_ews::{Exchange, ExchangeSettings, check_retry_policy};
use roombook_core::booking::{BookingSettings, Bookings};
use roombook_core::domain::{ConnectionStatus, TenantId, slugify};
use roombook_core::ports::calendar::CalendarGateway;
use roombook_core::ports::storage::{Store, StoreError};
use roombook_store::OpenError;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] OpenError),
    #[error("cannot prepare the demo organisation")]
    Demo(#[source] StoreError),
    #[error("cannot read the listener's address")]
    Listener(#[source] std::io::Error),
    #[error("cannot open the secret store: {0}")]
    Secrets(#[source] roombook_secrets::SecretError),
    #[error("{0}")]
    Config(String),
}

/// A running application.
pub struct AppHandle {
    addr: SocketAddr,
    store: Arc<dyn Store>,
    calendar: Arc<dyn CalendarGateway>,
    browsing_tenant: Option<TenantId>,
    shutdown: CancellationToken,
    grace: Duration,
    server: JoinHandle<std::io::Result<()>>,
}

impl AppHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The application's store (for the test kit's fixtures).
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// The application's calendar port (for tests of what the adapter reads).
    pub fn calendar(&self) -> Arc<dyn CalendarGateway> {
        self.calendar.clone()
    }

    /// The organisation visitors see until sign-in exists.
    pub fn browsing_tenant(&self) -> Option<TenantId> {
        self.browsing_tenant
    }

    /// Stops accepting connections, lets in-flight requests finish within the grace period.
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.shutdown.cancel();
        let mut server = self.server;
        match tokio::time::timeout(self.grace, &mut server).await {
            Ok(joined) => joined.map_err(std::io::Error::other)?,
            Err(_) => {
                tracing::warn!(grace = ?self.grace, "requests still running after the grace period; closing them");
                server.abort();
                Ok(())
            }
        }
    }

    /// Runs until the server stops by itself (it does not, unless it fails).
    pub async fn wait(self) -> std::io::Result<()> {
        self.server.await.map_err(std::io::Error::other)?
    }
}

/// Builds the application on `listener` and starts serving.
pub async fn build(listener: TcpListener, config: Config) -> Result<AppHandle, StartupError> {
    build_with_secrets(listener, config, |secrets| secrets).await
}

/// [`build`], with the secret store the configuration opens passed through `wrap` first (the
/// tests count its reads this way).
pub async fn build_with_secrets(
    listener: TcpListener,
    config: Config,
    wrap: impl FnOnce(Arc<dyn SecretStore>) -> Arc<dyn SecretStore>,
) -> Result<AppHandle, StartupError> {
    let addr = listener.local_addr().map_err(StartupError::Listener)?;
    let store = roombook_store::open(&config.database.url, config.database.max_connections).await?;
    tracing::info!(backend = store.backend(), "database ready");

    let browsing_tenant = if config.demo.enabled {
        Some(ensure_demo_tenant(store.as_ref(), &config.demo.tenant_name).await?)
    } else {
        None
    };

    let secrets = wrap(
        roombook_secrets::open(&config.secrets)
            .await
            .map_err(StartupError::Secrets)?,
    );
    tracing::info!(backend = secrets.backend(), "secret store ready");
    // Destinations an organisation names go through the guard; the operator's own (the
    // configured identity provider) through a plain client without redirects.
    let guard = roombook_outbound::Guard::new(roombook_outbound::Policy {
        allow_private: config.exchange.allow_private_addresses,
        allow_loopback: config.exchange.allow_loopback_addresses,
    });
    let http = http_client(&config, guard.client_builder(5))?;
    let org_oidc_http = http_client(&config, guard.client_builder(0))?;
    let oidc_http = http_client(
        &config,
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()),
    )?;
    let certificate = store_app_certificate(&config, secrets.as_ref()).await?;
    let exchange = Arc::new(Exchange::new(
        ExchangeSettings {
            online_ews_url: config.exchange_online.ews_url.clone(),
            authority: config.exchange_online.authority.clone(),
            client_id: config
                .exchange_online
                .client_id
                .clone()
                .filter(|_| certificate.is_some()),
            certificate: certificate.clone(),
            guard,
            retry: check_retry_policy(),
            autodiscover_urls: config.exchange.autodiscover_urls.clone(),
            max_requests_in_flight: config.exchange.max_requests_in_flight,
            password_cache: Duration::from_secs(config.exchange.password_cache_seconds),
        },
        secrets.clone(),
        http.clone(),
    ));
    let public_url = config.public_url();
    let onboarding = Arc::new(Onboarding::new(
        store.clone(),
        exchange.clone(),
        exchange.clone(),
        secrets.clone(),
        OnboardingSettings {
            public_url: public_url.clone(),
            consent_retry_first: Duration::from_secs(config.exchange.consent_retry_seconds.max(1)),
            consent_retry_max: Duration::from_secs(15 * 60),
            consent_wait: Duration::from_secs(config.exchange.consent_wait_minutes * 60),
            secret_retention: config.secret_retention.retention(),
        },
    ));
    let oidc = match config
        .auth
        .client_id
        .clone()
        .or(config.exchange_online.client_id.clone())
    {
        None => None,
        Some(client_id) => {
            let client_auth = if let Some(secret) = &config.auth.client_secret {
                ClientAuth::Secret(secret.as_secret().clone())
            } else if certificate.is_some() {
                match exchange.app_certificate().await {
                    Ok(cert) => ClientAuth::Certificate(cert),
                    Err(e) => return Err(StartupError::Config(e.to_string())),
                }
            } else {
                ClientAuth::None
            };
            Some(Arc::new(OidcProvider::new(
                oidc_http.clone(),
                &config.auth.issuer,
                &client_id,
                client_auth,
            )))
        }
    };
    let setup = roombook_shared::SetupOptions {
        sign_in_available: oidc.is_some(),
        online_available: exchange.settings().client_id.is_some(),
        client_id: exchange.settings().client_id.clone(),
        rooms_only_commands_online: rooms_only_commands_online(
            exchange
                .settings()
                .client_id
                .as_deref()
                .unwrap_or("<Roombook's client id>"),
        ),
        rooms_only_commands_onprem: rooms_only_commands_onprem("<service account>"),
    };
    let bookings = Arc::new(
        Bookings::new(
            store.clone(),
            exchange.clone(),
            BookingSettings {
                default_time_zone: roombook_core::booking::time::zone(&config.booking.time_zone)
                    .map_err(|e| StartupError::Config(format!("booking.time_zone: {e}")))?,
                day_starts: config.booking.day_starts.min(23),
                day_ends: config
                    .booking
                    .day_ends
                    .clamp(config.booking.day_starts.min(23) + 1, 24),
                answer_wait: Duration::from_millis(config.booking.answer_wait_ms),
                answer_poll: Duration::from_secs(config.booking.answer_poll_secs.max(1)),
                ..BookingSettings::default()
            },
        )
        .with_search_limit(roombook_core::search_limit::SearchLimiter::new(
            config.booking.search_burst,
            config.booking.searches_per_minute,
        )),
    );
    let ctx = Arc::new(Context {
        store: store.clone(),
        oidc,
        onboarding: onboarding.clone(),
        bookings: bookings.clone(),
        secure_cookies: public_url.starts_with("https://"),
        public_url,
        session_ttl: chrono::Duration::hours(i64::from(config.auth.session_hours.max(1))),
        open_signup: config.auth.open_signup,
        first_admins: config
            .auth
            .first_admins
            .iter()
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty())
            .collect(),
        oidc_http,
        org_oidc_http,
        guard,
        tenant_providers: Default::default(),
    });
    if let (Some(tenant), Some(demo)) = (browsing_tenant, config.demo.exchange.clone()) {
        connect_demo(store.as_ref(), &onboarding, tenant, demo).await;
    }

    let site_root = config.server.site_root.to_string_lossy().into_owned();
    if !config.server.site_root.join("pkg").exists() {
        tracing::warn!(
            site_root,
            "the site folder has no pkg/: pages render, but without styles and interactivity. Build it with scripts/build-site.sh (make run does this first)."
        );
    }
    let leptos_options = LeptosOptions::builder()
        .output_name("roombook")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();

    let reconciler = bookings.clone();
    let services = ServicesHandle(Arc::new(AppServices::new(
        store.clone(),
        bookings,
        browsing_tenant,
        setup,
        secrets.backend(),
        config.public_url(),
    )));
    let state = AppState {
        leptos_options: leptos_options.clone(),
        store: store.clone(),
        ctx,
        services: services.clone(),
    };
    let web = Web {
        security: crate::http::security::Security {
            https: config.public_url().starts_with("https://"),
        },
        sign_in_limits: Arc::new(auth::limits::SignInLimits::new(
            store.clone(),
            auth::limits::SignInLimitSettings {
                per_address_burst: config.auth.sign_in_burst,
                per_address_per_minute: config.auth.sign_ins_per_minute,
                total_per_minute: config.auth.sign_ins_per_minute_total,
                max_in_flight: u64::from(config.auth.sign_ins_in_flight),
                client_address_header: config.auth.client_address_header.clone(),
            },
        )),
    };
    let router = router(state, services, web);

    let shutdown = CancellationToken::new();
    // Background work, each loop supervised (a panicking pass is logged, the loop goes on):
    // re-checks of connections whose consent is propagating or that Exchange throttled; the
    // sweep of expired sessions; the look-ups of booking outcomes Exchange did not confirm
    // (also those a crash left `sending`, so they settle without anyone opening a page).
    supervise(
        "connection re-checks",
        shutdown.clone(),
        Duration::from_secs(config.exchange.check_interval_seconds.max(1)),
        RESTART_AFTER,
        move || {
            let onboarding = onboarding.clone();
            async move { onboarding.run_due_checks().await }
        },
    );
    supervise(
        "session sweep",
        shutdown.clone(),
        Duration::from_secs(600),
        RESTART_AFTER,
        {
            let store = store.clone();
            move || {
                let store = store.clone();
                async move {
                    match store.delete_expired_sessions(chrono::Utc::now()).await {
                        Ok(n) if n > 0 => tracing::info!(sessions = n, "expired sessions removed"),
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %error_chain(&e), "cannot remove expired sessions")
                        }
                    }
                    // Sign-ins and consents never finished; a bounded batch per pass (new
                    // requests also clear expired ones as they come in).
                    match store
                        .delete_expired_auth_requests(chrono::Utc::now(), AUTH_REQUEST_SWEEP)
                        .await
                    {
                        Ok(n) if n > 0 => {
                            tracing::info!(requests = n, "expired sign-in requests removed")
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %error_chain(&e), "cannot remove expired sign-in requests")
                        }
                    }
                }
            }
        },
    );
    // Both the outcomes Exchange did not confirm and the rooms' answers are settled here, in
    // the background, never on a page view.
    supervise(
        "booking outcomes",
        shutdown.clone(),
        reconciler.settings().outcome_poll,
        RESTART_AFTER,
        move || {
            let bookings = reconciler.clone();
            async move {
                bookings.reconcile_due().await;
                bookings.settle_waiting().await;
            }
        },
    );
    let server = tokio::spawn({
        let stop = shutdown.clone();
        async move {
            // The peer's address reaches handlers (the sign-in limits).
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
        }
    });

    Ok(AppHandle {
        addr,
        store,
        calendar: exchange,
        browsing_tenant,
        shutdown,
        grace: Duration::from_secs(config.server.shutdown_grace_seconds),
        server,
    })
}

/// How long a background loop waits after a panicking pass before the next one.
const RESTART_AFTER: Duration = Duration::from_secs(5);

/// Runs `pass` every `every` until `stop`, each pass in a task of its own, so that a panic is
/// caught: it is logged, and the next pass runs after `restart_after`. A bug that panics on one
/// record does not end the loop for everything else.
pub fn supervise<F, Fut>(
    name: &'static str,
    stop: CancellationToken,
    every: Duration,
    restart_after: Duration,
    mut pass: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut wait = every;
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
            let mut running = tokio::spawn(pass());
            let joined = tokio::select! {
                joined = &mut running => joined,
                _ = stop.cancelled() => {
                    running.abort();
                    break;
                }
            };
            wait = match joined {
                Err(e) if e.is_panic() => {
                    let panic = e.into_panic();
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "(no message)".into());
                    tracing::error!(task = name, panic = %message, restart_in = ?restart_after, "a background task panicked; it restarts");
                    restart_after
                }
                _ => every,
            };
        }
    })
}

/// Expired auth requests removed per sweep at most.
const AUTH_REQUEST_SWEEP: u32 = 10_000;

/// The organisation visitors browse before sign-in exists; created on first start.
async fn ensure_demo_tenant(store: &dyn Store, name: &str) -> Result<TenantId, StartupError> {
    let slug = slugify(name);
    if let Some(tenant) = store
        .tenant_by_slug(&slug)
        .await
        .map_err(StartupError::Demo)?
    {
        return Ok(tenant.id);
    }
    match store.create_tenant(&slug, name).await {
        Ok(tenant) => {
            tracing::info!(tenant = %tenant.slug, "created the demo organisation");
            Ok(tenant.id)
        }
        // Another instance created it between our read and write.
        Err(StoreError::Conflict) => store
            .tenant_by_slug(&slug)
            .await
            .map_err(StartupError::Demo)?
            .map(|t| t.id)
            .ok_or(StartupError::Demo(StoreError::NotFound)),
        Err(e) => Err(StartupError::Demo(e)),
    }
}

/// An HTTP client for Exchange or an identity provider, from `builder` (the guard's, or a
/// plain one): rustls with the system roots, plus `auth.extra_ca_file` (a private CA, or the
/// simulator's in tests), gzip, a 60-second budget per request.
fn http_client(
    config: &Config,
    builder: reqwest::ClientBuilder,
) -> Result<reqwest::Client, StartupError> {
    let mut builder = builder
        .gzip(true)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("Roombook/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &config.auth.extra_ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            StartupError::Config(format!(
                "cannot read auth.extra_ca_file {}: {e}",
                path.display()
            ))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            StartupError::Config(format!(
                "auth.extra_ca_file {} is not PEM: {e}",
                path.display()
            ))
        })?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| StartupError::Config(format!("cannot build the HTTP client: {e}")))
}

/// The secret store's name for our certificate.
const APP_CERTIFICATE: &str = "roombook-app-certificate";

/// Puts our certificate (PEM file) into the secret store; tokens are signed from there.
async fn store_app_certificate(
    config: &Config,
    secrets: &dyn roombook_secrets::SecretStore,
) -> Result<Option<roombook_secrets::SecretRef>, StartupError> {
    let Some(path) = &config.exchange_online.certificate_file else {
        return Ok(None);
    };
    let pem = std::fs::read_to_string(path).map_err(|e| {
        StartupError::Config(format!(
            "cannot read exchange_online.certificate_file {}: {e}",
            path.display()
        ))
    })?;
    roombook_entra::ClientCertificate::from_pem(pem.as_bytes(), pem.as_bytes()).map_err(|e| {
        StartupError::Config(format!(
            "exchange_online.certificate_file {} must hold the certificate and its private key in PEM: {e}",
            path.display()
        ))
    })?;
    let stored = secrets
        .put(APP_CERTIFICATE, &roombook_entra::Secret::new(pem))
        .await
        .map_err(StartupError::Secrets)?;
    // Every start writes a version: old ones go after the retention period.
    if let Err(e) = secrets
        .prune(
            APP_CERTIFICATE,
            &config.secret_retention.retention(),
            std::time::SystemTime::now(),
        )
        .await
    {
        tracing::warn!(error = %error_chain(&e), "cannot remove old versions of the app certificate");
    }
    Ok(Some(stored))
}

/// Connects the demo organisation through the admin's own onboarding path (service account).
async fn connect_demo(
    store: &dyn Store,
    onboarding: &Onboarding,
    tenant: TenantId,
    demo: crate::config::DemoExchange,
) {
    if let Some(directory) = &demo.directory_id
        && let Err(e) = store.set_tenant_directory(tenant, directory).await
    {
        tracing::warn!(error = %error_chain(&e), "cannot bind the demo organisation to its directory");
    }
    let healthy = matches!(
        store.connection(tenant).await,
        Ok(Some(c)) if c.status == ConnectionStatus::Healthy
    );
    let result = if healthy {
        onboarding.recheck(tenant, None).await
    } else {
        onboarding
            .connect_service_account(
                tenant,
                None,
                ServiceAccountInput {
                    ews_url: demo.ews_url,
                    username: demo.username,
                    password: demo.password.as_secret().clone(),
                    check_address: demo.check_address,
                    rooms_only: false,
                },
            )
            .await
    };
    match result {
        Ok(c) => tracing::info!(
            status = c.status.as_str(),
            "demo organisation connected to Exchange"
        ),
        Err(e) => tracing::warn!(error = %error_chain(&e), "cannot connect the demo organisation"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_panicking_pass_does_not_stop_later_passes() {
        let passes = Arc::new(AtomicUsize::new(0));
        let stop = CancellationToken::new();
        let task = supervise(
            "test",
            stop.clone(),
            Duration::from_millis(5),
            Duration::from_millis(10),
            {
                let passes = passes.clone();
                move || {
                    let n = passes.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if n.is_multiple_of(2) {
                            panic!("pass {n} fails");
                        }
                    }
                }
            },
        );
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while passes.load(Ordering::SeqCst) < 5 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the loop stopped after a panic"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(!task.is_finished(), "the loop is still running");
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("stops when told")
            .expect("the loop itself never panics");
    }
}
