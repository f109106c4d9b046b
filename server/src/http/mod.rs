//! The HTTP layer: one router (pages, form posts, sign-in, health), the state handlers get,
//! and the thin handlers per resource. A handler reads its caller (the session middleware
//! puts a [`CurrentUser`](crate::auth::CurrentUser) in the request), calls one use case, and
//! turns its answer into a page, a redirect or an [`AppError`]; sentences come from
//! [`crate::words`]. Nothing below this layer knows HTTP.
//!
//! - `health.rs`: `/healthz`, `/readyz`.
//! - `sign_in.rs`: `/auth/*` (OIDC sign-in, callback, sign-out).
//! - `admin.rs`: the admin forms (`/admin/*` posts, the consent callback).
//! - `booking.rs`: the booking forms (`/book`, `/bookings/{id}/change|cancel`).
//! - `caller.rs`: who may call a handler (`SignedIn`, `Admin`) and CSRF-checked form posts
//!   (`AdminForm<T>`, `SignedInForm<T>`).
//! - `context.rs`: [`Context`], what every handler gets (`State<Arc<Context>>`).
//! - `flash.rs`: back to a form's page with a one-time message.
//! - `error.rs`: [`AppError`], each error's one status and opaque body.
//! - `security.rs`: headers, the Content-Security-Policy, cookie prefixes over https.
//!
//! The pages themselves are Leptos routes; their data comes through the frontend's server
//! functions, which call [`crate::services`].

use std::sync::Arc;

use axum::{
    Router,
    extract::FromRef,
    http::HeaderValue,
    routing::{get, post},
};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use roombook_core::ports::storage::Store;
use roombook_frontend::{App, shell, ssr::ServicesHandle};
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

use crate::auth;

pub mod admin;
pub mod booking;
pub mod caller;
pub mod context;
pub mod error;
mod flash;
pub mod health;
pub mod security;
pub mod sign_in;

pub use context::Context;
pub use error::AppError;

/// Refuses a state-changing request whose form token is not the session's.
pub fn check_csrf(current: &auth::CurrentUser, submitted: &str) -> Result<(), AppError> {
    if auth::same_secret(&current.session.csrf_token, submitted) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "This form has expired or was not sent from Roombook. Reload the page and try again."
                .into(),
        ))
    }
}

/// The router's state. Handlers take `State<Arc<Context>>` from it (one name for what a
/// handler gets); Leptos takes its options, and a form handler that answers with a page the
/// pages' services.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Arc<dyn Store>,
    pub ctx: Arc<Context>,
    /// The pages' services, for handlers that answer with a page (a refused booking form).
    pub services: ServicesHandle,
}

/// The pages' route list, generated once per process. While Leptos generates it, it suspends
/// resource loading process-wide, and a page whose data starts loading at that moment never
/// finishes (leptos#4773). One server per process never meets this; the tests run several
/// side by side, and did (a booking page stalled in about one run in three).
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// What the router's security layers need.
pub struct Web {
    pub security: security::Security,
    pub sign_in_limits: Arc<auth::limits::SignInLimits>,
}

/// The whole router: every route, then the layers every response passes through.
pub fn router(state: AppState, services: ServicesHandle, web: Web) -> Router {
    let routes = route_list();
    let context = move || {
        provide_context(services.clone());
        // A page's policy carries the nonce Leptos puts on its inline scripts.
        security::page_policy();
    };
    let options = state.leptos_options.clone();
    let store = state.store.clone();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(
            "/auth/signin",
            get(sign_in::sign_in).layer(axum::middleware::from_fn_with_state(
                web.sign_in_limits,
                auth::limits::limit_sign_in,
            )),
        )
        .route("/auth/callback", get(sign_in::callback))
        .route("/auth/signout", post(sign_in::sign_out))
        .route("/admin/connect/onprem", post(admin::connect_service_account))
        .route("/admin/connect/online", post(admin::connect_online))
        .route("/admin/connect/recheck", post(admin::recheck))
        .route("/admin/consent/callback", get(admin::consent_callback))
        .route("/admin/rooms/import", post(admin::import_rooms))
        .route("/admin/rooms/{id}", post(admin::update_room))
        .route("/admin/people/{id}/role", post(admin::set_role))
        .route("/admin/sign-in", post(admin::set_sign_in))
        .route("/book", post(booking::book))
        .route("/bookings/{id}/change", post(booking::change))
        .route("/bookings/{id}/cancel", post(booking::cancel))
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(axum::middleware::from_fn_with_state(store, auth::load_caller))
        // Outside `load_caller`: over https it renames the prefixed cookies before anyone
        // reads them, and prefixes ours as they are set.
        .layer(axum::middleware::from_fn_with_state(
            web.security,
            security::layer,
        ))
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
            // The path only: query strings carry sign-in codes and states (/auth/callback).
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
