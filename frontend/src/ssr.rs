//! The port between the pages and the server: what the server functions may ask for.
//!
//! The server crate implements [`Services`] on top of its domain and storage and provides it to
//! every request as context. The pages know nothing of SQL, Exchange or HTTP internals.

use std::sync::Arc;

use roombook_shared::{
    AdminRoom, AuditFilter, AuditLine, BookingFormData, BookingView, ConnectionHealth, DayGrid,
    FinderRequest, FinderResult, Person, PersonMatch, RoomChoices, RoomQuery, RoomSummary,
    SetupOptions, SignInSettings, TenantOverview, Viewer,
};

pub use crate::error::ServiceError;

/// The signed-in person of the request. The server's session middleware puts it into the
/// request's extensions; the tenant is always taken from here, never from a parameter.
#[derive(Clone, Debug)]
pub struct Caller {
    pub viewer: Viewer,
    pub tenant_id: String,
    pub user_id: String,
}

impl Caller {
    /// The caller of the request being handled (rendering or a server function).
    pub fn current() -> Option<Caller> {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Caller>().cloned())
    }

    /// The signed-in caller.
    pub fn signed_in() -> Result<Caller, ServiceError> {
        Self::current().ok_or(ServiceError::NotSignedIn)
    }

    /// The time zone this browser reported (the `tz` cookie), or empty.
    pub fn browser_time_zone() -> String {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get_all(http::header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(';'))
                    .find_map(|c| c.trim().strip_prefix("tz=").map(str::to_owned))
            })
            .map(|v| v.replace("%2F", "/").replace("%2f", "/"))
            .filter(|v| roombook_shared::booking::clean_time_zone(v).is_ok())
            .unwrap_or_default()
    }

    /// The caller, who must be an admin.
    pub fn admin() -> Result<Caller, ServiceError> {
        match Self::current() {
            Some(c) if c.viewer.is_admin => Ok(c),
            Some(_) => Err(ServiceError::NotAdmin),
            None => Err(ServiceError::NotSignedIn),
        }
    }
}

#[async_trait::async_trait]
pub trait Services: Send + Sync + 'static {
    /// Active rooms of the caller's tenant (or the demo tenant for visitors) matching `query`.
    async fn list_rooms(
        &self,
        caller: Option<&Caller>,
        query: &RoomQuery,
    ) -> Result<Vec<RoomSummary>, ServiceError>;
    /// The tenant's overview for the admin page.
    async fn tenant_overview(&self, caller: &Caller) -> Result<TenantOverview, ServiceError>;
    /// The connection's health; `None` when not connected.
    async fn connection_health(
        &self,
        caller: &Caller,
    ) -> Result<Option<ConnectionHealth>, ServiceError>;
    async fn admin_rooms(&self, caller: &Caller) -> Result<Vec<AdminRoom>, ServiceError>;
    async fn people(&self, caller: &Caller) -> Result<Vec<Person>, ServiceError>;
    async fn audit_log(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditLine>, ServiceError>;
    async fn sign_in_settings(&self, caller: &Caller) -> Result<SignInSettings, ServiceError>;
    fn setup_options(&self) -> SetupOptions;

    /// The finder's choices (buildings, floors, equipment) and defaults (zone, today).
    async fn room_choices(
        &self,
        caller: &Caller,
        time_zone: &str,
    ) -> Result<RoomChoices, ServiceError>;
    /// Rooms free for the whole slot, best fit first.
    async fn find_free_rooms(
        &self,
        caller: &Caller,
        request: &FinderRequest,
    ) -> Result<FinderResult, ServiceError>;
    /// The day's half hours for every matching room.
    async fn day_grid(
        &self,
        caller: &Caller,
        request: &FinderRequest,
    ) -> Result<DayGrid, ServiceError>;
    /// The booking form of a room (`alternatives`: comma-separated room ids to offer).
    async fn booking_form(
        &self,
        caller: &Caller,
        room_id: &str,
        alternatives: &str,
        time_zone: &str,
    ) -> Result<BookingFormData, ServiceError>;
    async fn my_bookings(&self, caller: &Caller) -> Result<Vec<BookingView>, ServiceError>;
    async fn booking(&self, caller: &Caller, id: &str) -> Result<BookingView, ServiceError>;
    /// People matching a name (the booking form's suggestions).
    async fn find_people(
        &self,
        caller: &Caller,
        text: &str,
    ) -> Result<Vec<PersonMatch>, ServiceError>;
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
