//! Server functions: the pages' only way to data. Each one re-validates its input on the server
//! and takes the tenant from the signed-in caller, never from an argument.

use leptos::prelude::*;

pub use crate::error::ServiceError;
use roombook_shared::{
    AdminRoom, AuditFilter, AuditLine, BookingFormData, BookingView, ConnectionHealth, DayGrid,
    FinderRequest, FinderResult, Person, PersonMatch, RoomChoices, RoomSummary, SetupOptions,
    SignInSettings, TenantOverview, Viewer,
};

/// Rooms matching the filter as the person typed it (`min_capacity` may be empty).
#[server(prefix = "/api", endpoint = "rooms")]
pub async fn list_rooms(
    text: String,
    min_capacity: String,
) -> Result<Vec<RoomSummary>, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let query = roombook_shared::RoomQuery::parse(&text, &min_capacity)
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let services = ServicesHandle::current()?;
    let caller = Caller::current();
    services.list_rooms(caller.as_ref(), &query).await
}

/// The signed-in person, if any.
#[server(prefix = "/api", endpoint = "viewer")]
pub async fn get_viewer() -> Result<Option<Viewer>, ServiceError> {
    Ok(crate::ssr::Caller::current().map(|c| c.viewer))
}

#[server(prefix = "/api", endpoint = "setup")]
pub async fn get_setup_options() -> Result<SetupOptions, ServiceError> {
    let services = crate::ssr::ServicesHandle::current()?;
    Ok(services.setup_options())
}

#[server(prefix = "/api", endpoint = "tenant")]
pub async fn get_tenant_overview() -> Result<TenantOverview, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::admin()?;
    let services = ServicesHandle::current()?;
    services.tenant_overview(&caller).await
}

#[server(prefix = "/api", endpoint = "admin/connection")]
pub async fn get_connection_health() -> Result<Option<ConnectionHealth>, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::admin()?;
    let services = ServicesHandle::current()?;
    services.connection_health(&caller).await
}

#[server(prefix = "/api", endpoint = "admin/rooms")]
pub async fn get_admin_rooms() -> Result<Vec<AdminRoom>, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::admin()?;
    let services = ServicesHandle::current()?;
    services.admin_rooms(&caller).await
}

#[server(prefix = "/api", endpoint = "admin/people")]
pub async fn get_people() -> Result<Vec<Person>, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::admin()?;
    let services = ServicesHandle::current()?;
    services.people(&caller).await
}

#[server(prefix = "/api", endpoint = "admin/audit")]
pub async fn get_audit_log(
    #[server(default)] filter: AuditFilter,
) -> Result<Vec<AuditLine>, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::admin()?;
    let services = ServicesHandle::current()?;
    services.audit_log(&caller, &filter).await
}

#[server(prefix = "/api", endpoint = "admin/sign-in")]
pub async fn get_sign_in_settings() -> Result<SignInSettings, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::admin()?;
    let services = ServicesHandle::current()?;
    services.sign_in_settings(&caller).await
}

/// The finder's choices and defaults for this person.
#[server(prefix = "/api", endpoint = "rooms/choices")]
pub async fn get_room_choices(time_zone: String) -> Result<RoomChoices, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::signed_in()?;
    let services = ServicesHandle::current()?;
    let zone = preferred_zone(time_zone);
    services.room_choices(&caller, &zone).await
}

/// Rooms free for the whole slot.
#[server(prefix = "/api", endpoint = "rooms/free")]
pub async fn find_free_rooms(request: FinderRequest) -> Result<FinderResult, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::signed_in()?;
    let services = ServicesHandle::current()?;
    let request = FinderRequest {
        time_zone: preferred_zone(request.time_zone),
        ..request
    };
    services.find_free_rooms(&caller, &request).await
}

/// A day of half-hour slots for every matching room.
#[server(prefix = "/api", endpoint = "rooms/day")]
pub async fn get_day_grid(request: FinderRequest) -> Result<DayGrid, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::signed_in()?;
    let services = ServicesHandle::current()?;
    let request = FinderRequest {
        time_zone: preferred_zone(request.time_zone),
        ..request
    };
    services.day_grid(&caller, &request).await
}

#[server(prefix = "/api", endpoint = "book/form")]
pub async fn get_booking_form(
    room: String,
    alternatives: String,
    time_zone: String,
) -> Result<BookingFormData, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::signed_in()?;
    let services = ServicesHandle::current()?;
    let zone = preferred_zone(time_zone);
    services
        .booking_form(&caller, &room, &alternatives, &zone)
        .await
}

#[server(prefix = "/api", endpoint = "bookings")]
pub async fn get_my_bookings() -> Result<Vec<BookingView>, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::signed_in()?;
    let services = ServicesHandle::current()?;
    services.my_bookings(&caller).await
}

#[server(prefix = "/api", endpoint = "booking")]
pub async fn get_booking(id: String) -> Result<BookingView, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::signed_in()?;
    let services = ServicesHandle::current()?;
    services.booking(&caller, &id).await
}

/// People whose name matches (at least two characters).
#[server(prefix = "/api", endpoint = "people")]
pub async fn find_people(text: String) -> Result<Vec<PersonMatch>, ServiceError> {
    use crate::ssr::{Caller, ServicesHandle};
    let caller = Caller::signed_in()?;
    let text = text.trim();
    if text.chars().count() < 2 || text.chars().count() > 100 {
        return Ok(Vec::new());
    }
    let services = ServicesHandle::current()?;
    services.find_people(&caller, text).await
}

/// The one-time message a form handler left for this page (see [`crate::flash`]), cleared as it
/// is read. Empty when there is none, or it was meant for another page or session.
#[server(prefix = "/api", endpoint = "flash")]
pub async fn take_flash(path: String) -> Result<crate::flash::Flash, ServiceError> {
    use crate::flash;
    let Some(caller) = crate::ssr::Caller::current() else {
        return Ok(flash::Flash::default());
    };
    let Some(parts) = use_context::<http::request::Parts>() else {
        return Ok(flash::Flash::default());
    };
    let found = parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(flash::in_cookie_header)
        .find_map(|value| flash::decode(value, &caller.viewer.csrf_token, &path));
    let Some(fields) = found else {
        return Ok(flash::Flash::default());
    };
    // Shown once: the answer that carries it also clears it.
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.append_header(
            http::header::SET_COOKIE,
            http::HeaderValue::from_static(
                "roombook_flash=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
            ),
        );
    }
    Ok(flash::Flash(fields))
}

/// The zone asked for, else the one this browser reported, else empty (the server's default).
#[cfg(feature = "ssr")]
fn preferred_zone(asked: String) -> String {
    if asked.trim().is_empty() {
        crate::ssr::Caller::browser_time_zone()
    } else {
        asked
    }
}
