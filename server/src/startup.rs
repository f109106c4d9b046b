//! The composition root: builds the whole application on a listener it is given, so tests and
//! production start the same way (tests bind port 0).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, extract::FromRef, http::HeaderValue, routing::get};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use roombook_frontend::{App, shell, ssr::ServicesHandle};
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

use crate::{
    config::Config,
    domain::{TenantId, slugify},
    routes,
    services::AppServices,
    storage::{self, OpenError, Store, StoreError},
};

/// State shared by the plain HTTP routes; Leptos takes its options from it.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Arc<dyn Store>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] OpenError),
    #[error("cannot prepare the demo organisation")]
    Demo(#[source] StoreError),
    #[error("cannot read the listener's address")]
    Listener(#[source] std::io::Error),
}

/// A running application.
pub struct AppHandle {
    addr: SocketAddr,
    store: Arc<dyn Store>,
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
    let addr = listener.local_addr().map_err(StartupError::Listener)?;
    let store = storage::open(&config.database.url, config.database.max_connections).await?;
    tracing::info!(backend = store.backend(), "database ready");

    let browsing_tenant = if config.demo.enabled {
        Some(ensure_demo_tenant(store.as_ref(), &config.demo.tenant_name).await?)
    } else {
        None
    };

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

    let services = ServicesHandle(Arc::new(AppServices::new(store.clone(), browsing_tenant)));
    let state = AppState {
        leptos_options: leptos_options.clone(),
        store: store.clone(),
    };
    let router = router(state, services);

    let shutdown = CancellationToken::new();
    let server = tokio::spawn({
        let stop = shutdown.clone();
        async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        }
    });

    Ok(AppHandle {
        addr,
        store,
        browsing_tenant,
        shutdown,
        grace: Duration::from_secs(config.server.shutdown_grace_seconds),
        server,
    })
}

fn router(state: AppState, services: ServicesHandle) -> Router {
    let routes = generate_route_list(App);
    let context = move || provide_context(services.clone());
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let request_id = request
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

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
