//! The admin's state-changing forms: connect (both modes), consent callback, check again,
//! import rooms, edit a room, change a role.
//!
//! Plain HTML forms posting here, answered with a redirect to the page that shows the result
//! (post/redirect/get), so everything works without JavaScript. Every handler requires an
//! admin of the tenant and the session's CSRF token; every object is looked up within the
//! admin's own tenant, so another tenant's ids answer 404.

use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use roombook_shared::RoomSettings;
use serde::Deserialize;
use uuid::Uuid;

use super::caller::{Admin, AdminForm, CheckedForm, NoFields};
use super::{AppError, Context};
use crate::{
    auth::CurrentUser,
    onboarding::{ConsentCallback, OnboardingError, ServiceAccountInput},
    telemetry::error_chain,
};
use roombook_core::domain::{Role, RoleChange, RoomId, UserId};

/// Back to a form page with the reason and what was typed (never a password); empty values
/// are left out. The page shows them from a one-time cookie for this session and page
/// (`roombook_frontend::flash`), never from the URL, where a link could put any sentence.
/// (They are still in the query too, as before; nothing reads them there.)
pub(crate) fn back_to(
    ctx: &Context,
    current: &CurrentUser,
    path: &str,
    fields: &[(&str, &str)],
    anchor: &str,
) -> Response {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in fields.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(key, value);
    }
    super::flash::redirect_with_flash(
        ctx,
        current,
        path,
        fields,
        &format!("{path}?{}{anchor}", query.finish()),
    )
}

async fn audit(ctx: &Context, current: &CurrentUser, action: &str, target: &str, detail: String) {
    roombook_core::audit::record(
        ctx.store.as_ref(),
        current.tenant.id,
        Some(current.user.id),
        action,
        target,
        detail,
    )
    .await;
}

/// An onboarding failure as the sentence shown on the form; the cause goes to the log.
fn message(e: &OnboardingError) -> String {
    match e {
        OnboardingError::Invalid(m) => m.clone(),
        OnboardingError::Store(_)
        | OnboardingError::Import(_)
        | OnboardingError::Secrets(_)
        | OnboardingError::Autodiscover { .. } => {
            tracing::error!(error = %error_chain(e), "onboarding step failed");
            e.to_string()
        }
    }
}

#[derive(Deserialize)]
pub struct ServiceAccountForm {
    #[serde(default)]
    ews_url: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    check_address: String,
    #[serde(default)]
    rooms_only: Option<String>,
}

pub async fn connect_service_account(
    State(ctx): State<Arc<Context>>,
    CheckedForm(Admin(current), form): AdminForm<ServiceAccountForm>,
) -> Result<Response, AppError> {
    let rooms_only = form.rooms_only.is_some();
    let input = ServiceAccountInput {
        ews_url: form.ews_url.clone(),
        username: form.username.clone(),
        password: roombook_entra::Secret::new(form.password),
        check_address: form.check_address.clone(),
        rooms_only,
    };
    match ctx
        .onboarding
        .connect_service_account(current.tenant.id, Some(current.user.id), input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/connect/status").into_response()),
        Err(e) => Ok(back_to(
            &ctx,
            &current,
            "/admin/connect/onprem",
            &[
                ("error", &message(&e)),
                ("ews_url", &form.ews_url),
                ("username", &form.username),
                ("check_address", &form.check_address),
                ("rooms_only", if rooms_only { "1" } else { "" }),
            ],
            "",
        )),
    }
}

#[derive(Deserialize)]
pub struct OnlineForm {
    #[serde(default)]
    check_address: String,
    #[serde(default)]
    rooms_only: Option<String>,
}

pub async fn connect_online(
    State(ctx): State<Arc<Context>>,
    CheckedForm(Admin(current), form): AdminForm<OnlineForm>,
) -> Result<Response, AppError> {
    let rooms_only = form.rooms_only.is_some();
    match ctx
        .onboarding
        .start_consent(&current, rooms_only, &form.check_address)
        .await
    {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(e) => Ok(back_to(
            &ctx,
            &current,
            "/admin/connect/online",
            &[
                ("error", &message(&e)),
                ("check_address", &form.check_address),
                ("rooms_only", if rooms_only { "1" } else { "" }),
            ],
            "",
        )),
    }
}

pub async fn consent_callback(
    State(ctx): State<Arc<Context>>,
    Admin(current): Admin,
    Query(callback): Query<ConsentCallback>,
) -> Response {
    match ctx.onboarding.finish_consent(&current, &callback).await {
        Ok(_) => Redirect::to("/admin/connect/status").into_response(),
        Err(e) => back_to(
            &ctx,
            &current,
            "/admin/connect/online",
            &[("error", &message(&e))],
            "",
        ),
    }
}

pub async fn recheck(
    State(ctx): State<Arc<Context>>,
    CheckedForm(Admin(current), NoFields {}): AdminForm<NoFields>,
) -> Result<Response, AppError> {
    match ctx
        .onboarding
        .recheck(current.tenant.id, Some(current.user.id))
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin/connect/status").into_response()),
        Err(e) => Ok(back_to(
            &ctx,
            &current,
            "/admin/connect/status",
            &[("error", &message(&e))],
            "",
        )),
    }
}

pub async fn import_rooms(
    State(ctx): State<Arc<Context>>,
    CheckedForm(Admin(current), NoFields {}): AdminForm<NoFields>,
) -> Result<Response, AppError> {
    match ctx
        .onboarding
        .import_rooms(current.tenant.id, Some(current.user.id))
        .await
    {
        Ok(s) => Ok(back_to(
            &ctx,
            &current,
            "/admin/rooms",
            &[
                ("imported", &s.added.to_string()),
                ("reactivated", &s.reactivated.to_string()),
                ("deactivated", &s.deactivated.to_string()),
                ("unchanged", &s.unchanged.to_string()),
            ],
            "",
        )),
        Err(e) => Ok(back_to(
            &ctx,
            &current,
            "/admin/rooms",
            &[("error", &message(&e))],
            "",
        )),
    }
}

#[derive(Deserialize)]
pub struct RoomForm {
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    building: String,
    #[serde(default)]
    floor: String,
    #[serde(default)]
    equipment: String,
    #[serde(default)]
    wheelchair_accessible: Option<String>,
    #[serde(default)]
    booking_window_days: String,
    #[serde(default)]
    max_duration_minutes: String,
    #[serde(default)]
    display_subjects: Option<String>,
    #[serde(default)]
    time_zone: String,
}

fn parse_id(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

pub async fn update_room(
    State(ctx): State<Arc<Context>>,
    Path(id): Path<String>,
    CheckedForm(Admin(current), form): AdminForm<RoomForm>,
) -> Result<Response, AppError> {
    let id = RoomId(parse_id(&id)?);
    // Looked up within the admin's tenant: another tenant's room is "not found".
    let room = ctx
        .store
        .room(current.tenant.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let settings = RoomSettings::parse(
        &form.capacity,
        &form.building,
        &form.floor,
        &form.equipment,
        form.wheelchair_accessible.is_some(),
        &form.booking_window_days,
        &form.max_duration_minutes,
        form.display_subjects.is_some(),
    )
    .and_then(|s| s.with_time_zone(&form.time_zone))
    .map_err(|e| (e.field_name(), e.to_string()))
    .and_then(|s| match &s.time_zone {
        Some(zone) => roombook_core::booking::time::zone(zone)
            .map(|_| s.clone())
            .map_err(|e| ("time_zone", e.to_string())),
        None => Ok(s),
    });
    let settings = match settings {
        Ok(s) => s,
        Err((field, sentence)) => {
            // Back to the room's form with every value as typed and the sentence beside its
            // field; the values travel in the one-time flash, never in the address.
            let room_id = id.0.to_string();
            let check = |on: &Option<String>| if on.is_some() { "1" } else { "0" };
            return Ok(super::flash::redirect_with_flash(
                &ctx,
                &current,
                "/admin/rooms",
                &[
                    ("room_error", &sentence),
                    ("room_error_field", field),
                    ("room", &room_id),
                    ("capacity", &form.capacity),
                    ("building", &form.building),
                    ("floor", &form.floor),
                    ("equipment", &form.equipment),
                    ("wheelchair_accessible", check(&form.wheelchair_accessible)),
                    ("booking_window_days", &form.booking_window_days),
                    ("max_duration_minutes", &form.max_duration_minutes),
                    ("time_zone", &form.time_zone),
                    ("display_subjects", check(&form.display_subjects)),
                ],
                &format!("/admin/rooms?room={room_id}#room-{room_id}"),
            ));
        }
    };
    ctx.store
        .update_room_settings(current.tenant.id, id, &settings)
        .await?;
    audit(
        &ctx,
        &current,
        "room.update",
        &room.email,
        crate::words::room_changes(&room, &settings),
    )
    .await;
    Ok(Redirect::to(&format!("/admin/rooms?saved={}#room-{}", id.0, id.0)).into_response())
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn set_role(
    State(ctx): State<Arc<Context>>,
    Path(id): Path<String>,
    CheckedForm(Admin(current), form): AdminForm<RoleForm>,
) -> Result<Response, AppError> {
    let id = UserId(parse_id(&id)?);
    let role = Role::parse(&form.role)
        .ok_or_else(|| AppError::BadRequest("Choose admin or employee.".into()))?;
    let person = ctx
        .store
        .user(current.tenant.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // The last-admin rule is kept by the store, in the same transaction as the change.
    if ctx.store.set_role(current.tenant.id, id, role).await? == RoleChange::LastAdmin {
        return Ok(back_to(
            &ctx,
            &current,
            "/admin/people",
            &[(
                "error",
                "An organisation needs at least one administrator. Name another one first.",
            )],
            "",
        ));
    }
    audit(
        &ctx,
        &current,
        "user.role",
        &person.email,
        role.as_str().into(),
    )
    .await;
    Ok(Redirect::to("/admin/people?saved=1").into_response())
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    remove: Option<String>,
}

/// The organisation's own OpenID Connect provider (ADFS, …): checked before it is saved.
pub async fn set_sign_in(
    State(ctx): State<Arc<Context>>,
    CheckedForm(Admin(current), form): AdminForm<SignInForm>,
) -> Result<Response, AppError> {
    let back = |error: &str| {
        back_to(
            &ctx,
            &current,
            "/admin/people",
            &[
                ("sign_in_error", error),
                ("issuer", &form.issuer),
                ("client_id", &form.client_id),
            ],
            "#sign-in",
        )
    };
    if form.remove.is_some() {
        ctx.store
            .set_identity_provider(current.tenant.id, None)
            .await?;
        audit(
            &ctx,
            &current,
            "sign_in.provider_removed",
            &current.tenant.slug,
            String::new(),
        )
        .await;
        return Ok(Redirect::to("/admin/people?sign_in_saved=1#sign-in").into_response());
    }
    let issuer = form.issuer.trim().trim_end_matches('/').to_owned();
    let client_id = form.client_id.trim().to_owned();
    if client_id.is_empty() || client_id.len() > 256 {
        return Ok(back("Enter the client id Roombook has at your provider."));
    }
    if let Err(e) = ctx.guard.check_destination(&issuer).await {
        return Ok(back(&format!("The issuer address was refused. {e}")));
    }
    // Prove the issuer is an OpenID provider before anyone depends on it: its discovery
    // document and keys, read through the guard, with every endpoint on the issuer's host.
    let probe = crate::auth::oidc::OidcProvider::for_organisation(
        ctx.org_oidc_http.clone(),
        &issuer,
        &client_id,
        crate::auth::oidc::ClientAuth::None,
        ctx.guard,
    );
    if let Err(e) = probe.check().await {
        tracing::info!(error = %error_chain(&e), "an organisation's issuer was refused");
        let reason = match &e {
            // The guard's and the metadata checks' sentences name what is wrong; nothing
            // the other side sent is echoed.
            crate::auth::oidc::OidcError::Destination(m) => {
                format!(" ({})", m.chars().take(300).collect::<String>())
            }
            _ => String::new(),
        };
        return Ok(back(&format!(
            "Roombook could not use {issuer}/.well-known/openid-configuration and its keys{reason}. Check the issuer address."
        )));
    }
    let existing = current.tenant.identity_provider.clone();
    let secret = if form.client_secret.is_empty() {
        match existing {
            // The saved secret goes only to the provider it was entered for.
            Some(p)
                if p.secret.is_some()
                    && (p.issuer.trim_end_matches('/') != issuer || p.client_id != client_id) =>
            {
                return Ok(back(
                    "Enter the client secret again: Roombook sends the saved secret only to the issuer and client it was entered for.",
                ));
            }
            Some(p) => p.secret,
            None => None,
        }
    } else {
        let stored = ctx
            .onboarding
            .secrets()
            .put(
                &format!("roombook-{}-oidc-secret", current.tenant.id),
                &roombook_entra::Secret::new(form.client_secret.clone()),
            )
            .await
            .map_err(|e| AppError::Unavailable(e.into()))?;
        Some(roombook_core::domain::SecretRef {
            name: stored.name,
            version: Some(stored.version),
        })
    };
    let provider = roombook_core::domain::IdentityProvider {
        issuer: issuer.clone(),
        client_id,
        secret,
    };
    ctx.store
        .set_identity_provider(current.tenant.id, Some(&provider))
        .await?;
    audit(
        &ctx,
        &current,
        "sign_in.provider",
        &issuer,
        format!("client {}", provider.client_id),
    )
    .await;
    Ok(Redirect::to("/admin/people?sign_in_saved=1#sign-in").into_response())
}
