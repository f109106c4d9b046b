//! Server functions: the pages' only way to data. Each one re-validates its input on the server.

use leptos::prelude::*;
use roombook_shared::{RoomSummary, TenantOverview};

/// Rooms matching the filter as the person typed it (`min_capacity` may be empty).
#[server(prefix = "/api", endpoint = "rooms")]
pub async fn list_rooms(
    text: String,
    min_capacity: String,
) -> Result<Vec<RoomSummary>, ServerFnError> {
    use crate::ssr::{ServiceError, ServicesHandle};
    let query = roombook_shared::RoomQuery::parse(&text, &min_capacity)
        .map_err(|e| ServiceError::Invalid(e.to_string()))
        .map_err(to_fn_error)?;
    let services = ServicesHandle::current().map_err(to_fn_error)?;
    services.list_rooms(&query).await.map_err(to_fn_error)
}

#[server(prefix = "/api", endpoint = "tenant")]
pub async fn get_tenant_overview() -> Result<TenantOverview, ServerFnError> {
    use crate::ssr::ServicesHandle;
    let services = ServicesHandle::current().map_err(to_fn_error)?;
    services.tenant_overview().await.map_err(to_fn_error)
}

#[cfg(feature = "ssr")]
fn to_fn_error(e: crate::ssr::ServiceError) -> ServerFnError {
    ServerFnError::ServerError(e.to_string())
}

/// The sentence to show a person for a failed server function.
pub fn error_text(e: &ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(message) => message.clone(),
        ServerFnError::Request(_) => {
            "Roombook could not be reached. Check your connection and try again.".to_owned()
        }
        _ => "Something went wrong on our side. Try again in a moment.".to_owned(),
    }
}
