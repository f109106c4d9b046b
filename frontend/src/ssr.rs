//! The port between the pages and the server: what the server functions may ask for.
//!
//! The server crate implements [`Services`] on top of its domain and storage and provides it to
//! every request as context. The pages know nothing of SQL, Exchange or HTTP internals.

use std::sync::Arc;

use roombook_shared::{RoomQuery, RoomSummary, TenantOverview};

/// Why a service call failed, in terms a page can show. The cause has already been logged by the
/// implementation; it is never sent to the browser.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("Roombook cannot reach its database right now. Try again in a moment.")]
    Unavailable,
    #[error("No organisation is set up yet. An administrator connects one to Exchange first.")]
    NoTenant,
    #[error("{0}")]
    Invalid(String),
}

#[async_trait::async_trait]
pub trait Services: Send + Sync + 'static {
    /// Active rooms of the current tenant matching `query`, in display order.
    async fn list_rooms(&self, query: &RoomQuery) -> Result<Vec<RoomSummary>, ServiceError>;
    /// The current tenant's overview for the admin page.
    async fn tenant_overview(&self) -> Result<TenantOverview, ServiceError>;
}

/// What the server puts in each request's context.
#[derive(Clone)]
pub struct ServicesHandle(pub Arc<dyn Services>);

impl ServicesHandle {
    /// The services of the request being handled. Missing context is a wiring bug in the
    /// server, reported as "unavailable" rather than a panic.
    pub fn current() -> Result<Arc<dyn Services>, ServiceError> {
        leptos::prelude::use_context::<ServicesHandle>()
            .map(|h| h.0)
            .ok_or_else(|| {
                tracing::error!("ServicesHandle missing from the request context");
                ServiceError::Unavailable
            })
    }
}
