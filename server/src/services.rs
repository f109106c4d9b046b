//! The application services the pages call (the frontend's `Services` port), on top of the
//! domain and storage. Failures are logged here with their cause; the page gets a sentence.

use std::sync::Arc;

use roombook_frontend::ssr::{ServiceError, Services};
use roombook_shared::{ConnectionState, RoomQuery, RoomSummary, TenantOverview};

use crate::{
    domain::{Room, TenantId},
    storage::{Store, StoreError},
    telemetry::error_chain,
};

pub struct AppServices {
    store: Arc<dyn Store>,
    /// The organisation shown to visitors until sign-in decides per person.
    browsing_tenant: Option<TenantId>,
}

impl AppServices {
    pub fn new(store: Arc<dyn Store>, browsing_tenant: Option<TenantId>) -> Self {
        Self {
            store,
            browsing_tenant,
        }
    }

    fn tenant(&self) -> Result<TenantId, ServiceError> {
        self.browsing_tenant.ok_or(ServiceError::NoTenant)
    }
}

fn unavailable(what: &str, e: StoreError) -> ServiceError {
    tracing::error!(error = %error_chain(&e), "{what} failed");
    ServiceError::Unavailable
}

fn summary(room: Room) -> RoomSummary {
    RoomSummary {
        id: room.id.to_string(),
        email: room.email,
        name: room.name,
        capacity: room.capacity,
        building: room.building,
        floor: room.floor,
        equipment: room.equipment,
        wheelchair_accessible: room.wheelchair_accessible,
    }
}

#[async_trait::async_trait]
impl Services for AppServices {
    async fn list_rooms(&self, query: &RoomQuery) -> Result<Vec<RoomSummary>, ServiceError> {
        let tenant = self.tenant()?;
        let rooms = self
            .store
            .find_rooms(tenant, query)
            .await
            .map_err(|e| unavailable("listing rooms", e))?;
        Ok(rooms.into_iter().map(summary).collect())
    }

    async fn tenant_overview(&self) -> Result<TenantOverview, ServiceError> {
        let id = self.tenant()?;
        let tenant = self
            .store
            .tenant(id)
            .await
            .map_err(|e| unavailable("reading the tenant", e))?
            .ok_or(ServiceError::NoTenant)?;
        let connection = self
            .store
            .connection(id)
            .await
            .map_err(|e| unavailable("reading the connection", e))?;
        let counts = self
            .store
            .count_rooms(id)
            .await
            .map_err(|e| unavailable("counting rooms", e))?;
        let connection = match connection {
            None => ConnectionState::NotConnected,
            Some(c) => match (c.last_error, c.last_success_at) {
                (Some(error), success) if success.is_none_or(|s| s < error.at) => {
                    ConnectionState::Failing {
                        problem: error.message,
                        since: error.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    }
                }
                (_, Some(success)) => ConnectionState::Healthy {
                    last_success: success.format("%Y-%m-%d %H:%M UTC").to_string(),
                },
                _ => ConnectionState::NotConnected,
            },
        };
        Ok(TenantOverview {
            tenant_name: tenant.name,
            connection,
            rooms_active: counts.active,
            rooms_inactive: counts.inactive,
        })
    }
}
