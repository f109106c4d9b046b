//! `/auth/signin`, `/auth/callback`, `/auth/signout`.

use std::sync::Arc;

use axum::{
    Extension, Form,
    extract::{Query, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Redirect, Response},
};
use chrono::Utc;
use serde::Deserialize;

use super::{AppError, Context, check_csrf};
use crate::auth::{
    AUTH_COOKIE, CurrentUser, SESSION_COOKIE, cookie, hash_token, random_token, safe_return_path,
    same_secret, set_cookie,
};
use crate::telemetry::error_chain;
use roombook_core::domain::{
    Admit, AuthPurpose, AuthRequest, Role, Session, Tenant, User, UserId, slugify,
};
use roombook_core::ports::storage::StoreError;

#[derive(Deserialize)]
pub struct SignInQuery {
    return_to: Option<String>,
    login_hint: Option<String>,
    /// An organisation with its own provider (its slug): sign in there.
    org: Option<String>,
}

fn to_signin_page(error: &str) -> Response {
    Redirect::to(&format!("/signin?error={error}")).into_response()
}

pub async fn sign_in(State(ctx): State<Arc<Context>>, Query(q): Query<SignInQuery>) -> Response {
    // An organisation's own provider, or the server's.
    let (oidc, tenant_id) = match q.org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(slug) => {
            let tenant = match ctx.store.tenant_by_slug(&slug.to_lowercase()).await {
                Ok(Some(t)) => t,
                Ok(None) => return to_signin_page("unknown_organisation"),
                Err(e) => return AppError::from(e).into_response(),
            };
            match ctx.provider_for(&tenant).await {
                Ok(Some(p)) => (p, Some(tenant.id)),
                Ok(None) => return to_signin_page("no_own_provider"),
                Err(e) => {
                    tracing::error!(error = %error_chain(&e), "cannot use an organisation's provider");
                    return to_signin_page("unreachable");
                }
            }
        }
        None => match ctx.oidc.clone() {
            Some(p) => (p, None),
            None => return to_signin_page("not_configured"),
        },
    };
    let state = random_token();
    let nonce = random_token();
    let hint = q
        .login_hint
        .as_deref()
        .filter(|h| h.len() < 256 && !h.trim().is_empty());
    let start = match oidc.start(&ctx.redirect_uri(), &state, &nonce, hint).await {
        Ok(start) => start,
        Err(e) => {
            tracing::error!(error = %error_chain(&e), "cannot start a sign-in");
            return to_signin_page("unreachable");
        }
    };
    let now = Utc::now();
    let request = AuthRequest {
        state_hash: hash_token(&state),
        purpose: AuthPurpose::SignIn,
        nonce,
        pkce_verifier: start.pkce_verifier,
        session_hash: None,
        tenant_id,
        return_to: safe_return_path(q.return_to.as_deref()),
        created_at: now,
        expires_at: now + chrono::Duration::minutes(10),
    };
    if let Err(e) = ctx.store.create_auth_request(&request).await {
        return AppError::from(e).into_response();
    }
    (
        [(
            header::SET_COOKIE,
            set_cookie(AUTH_COOKIE, &state, "/auth", 600, ctx.secure_cookies),
        )],
        Redirect::to(&start.url),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// RFC 9207: the issuer of the authorization response.
    iss: Option<String>,
}

pub async fn callback(
    State(ctx): State<Arc<Context>>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let clear_auth = set_cookie(AUTH_COOKIE, "", "/auth", 0, ctx.secure_cookies);
    let fail = |code: &str| {
        (
            [(header::SET_COOKIE, clear_auth.clone())],
            to_signin_page(code),
        )
            .into_response()
    };
    let state = q.state.unwrap_or_default();
    // The state must be the one this browser was given: a callback started elsewhere
    // (login CSRF) is refused.
    let from_this_browser = cookie(&headers, AUTH_COOKIE).is_some_and(|c| same_secret(&c, &state));
    if state.is_empty() || !from_this_browser {
        return fail("other_browser");
    }
    let request = match ctx
        .store
        .take_auth_request(&hash_token(&state), Utc::now())
        .await
    {
        Ok(Some(r)) if r.purpose == AuthPurpose::SignIn => r,
        Ok(_) => return fail("expired"),
        Err(e) => return AppError::from(e).into_response(),
    };
    if let Some(error) = q.error {
        tracing::info!(
            error,
            "the identity provider returned an error to the sign-in"
        );
        return fail(if error == "access_denied" {
            "cancelled"
        } else {
            "refused"
        });
    }
    let Some(code) = q.code else {
        return fail("refused");
    };
    // The provider the sign-in started with: the organisation's own, or the server's.
    let own_tenant = match request.tenant_id {
        Some(id) => match ctx.store.tenant(id).await {
            Ok(Some(t)) => Some(t),
            Ok(None) => return fail("expired"),
            Err(e) => return AppError::from(e).into_response(),
        },
        None => None,
    };
    let oidc = match &own_tenant {
        Some(t) => match ctx.provider_for(t).await {
            Ok(Some(p)) => p,
            Ok(None) => return fail("no_own_provider"),
            Err(_) => return fail("unreachable"),
        },
        None => match ctx.oidc.clone() {
            Some(p) => p,
            None => return fail("not_configured"),
        },
    };
    // A mix-up (a response from another provider than the one this sign-in started with)
    // is refused before the code is redeemed anywhere.
    if let Err(e) = oidc.check_response_issuer(q.iss.as_deref()).await {
        tracing::warn!(error = %error_chain(&e), "sign-in response from another issuer");
        return fail("refused");
    }
    let claims = match oidc
        .finish(
            &ctx.redirect_uri(),
            &code,
            &request.pkce_verifier,
            &request.nonce,
        )
        .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %error_chain(&e), "sign-in failed");
            return fail(match e {
                crate::auth::oidc::OidcError::Unreachable(_) => "unreachable",
                crate::auth::oidc::OidcError::InvalidToken(_) => "invalid_token",
                _ => "refused",
            });
        }
    };
    // Only the server's own provider can prove a first admin (an organisation's own provider
    // is that organisation's word about itself).
    let through_own_provider = own_tenant.is_some();
    let proof = crate::auth::first_admin::proof(&claims, &ctx.first_admins, !through_own_provider);
    // With its own provider the organisation is the one the sign-in started for (the
    // provider's checked issuer vouches for it); otherwise the directory in the token decides.
    let (tenant, created) = match own_tenant {
        Some(t) => (t, false),
        None => match tenant_for(&ctx, &claims, proof.is_some()).await {
            Ok(Arrival::Known(t)) => (t, false),
            Ok(Arrival::Created(t)) => (t, true),
            Ok(Arrival::Unknown) => return fail("unknown_organisation"),
            Ok(Arrival::AwaitingAdmin) => return fail("awaiting_admin"),
            Err(e) => return e.into_response(),
        },
    };
    let mailbox = match crate::auth::mailbox::mailbox_for(
        ctx.store.as_ref(),
        &ctx.bookings,
        &tenant,
        &claims.username,
        through_own_provider,
    )
    .await
    {
        Ok(m) => m,
        Err(refusal) => {
            tracing::warn!(tenant = %tenant.slug, reason = %refusal, "sign-in refused: not the person's mailbox");
            return fail(refusal.code());
        }
    };
    let (user, first_admin) = match admit(&ctx, &tenant, &claims, &mailbox, proof.is_some()).await {
        Ok(Admit::In(admission)) => (admission.user, admission.first_admin),
        Ok(Admit::AwaitingAdmin) => {
            tracing::info!(tenant = %tenant.slug, "sign-in waits: the organisation has no admin yet");
            return fail("awaiting_admin");
        }
        Ok(Admit::MailboxOfAnother) => {
            tracing::warn!(tenant = %tenant.slug, "sign-in refused: the mailbox is another person's");
            return fail("mailbox_elsewhere");
        }
        Err(e) => return e.into_response(),
    };
    if created {
        roombook_core::audit::record(
            ctx.store.as_ref(),
            tenant.id,
            Some(user.id),
            "tenant.created",
            &tenant.name,
            format!("first administrator {}", user.email),
        )
        .await;
    }
    if first_admin && let Some(proof) = proof {
        roombook_core::audit::record(
            ctx.store.as_ref(),
            tenant.id,
            Some(user.id),
            "user.first_admin",
            &user.email,
            proof.describe(),
        )
        .await;
    }
    let token = random_token();
    let now = Utc::now();
    let session = Session {
        token_hash: hash_token(&token),
        user_id: user.id,
        tenant_id: tenant.id,
        csrf_token: random_token(),
        created_at: now,
        expires_at: now + ctx.session_ttl,
    };
    if let Err(e) = ctx.store.create_session(&session).await {
        return AppError::from(e).into_response();
    }
    tracing::info!(tenant = %tenant.slug, user = %user.id, "signed in");
    let destination = if created {
        "/admin/connect".to_owned()
    } else {
        request.return_to
    };
    let mut response = Redirect::to(&destination).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, clear_auth);
    headers.append(
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            &token,
            "/",
            ctx.session_ttl.num_seconds(),
            ctx.secure_cookies,
        ),
    );
    response
}

/// Where a sign-in through the server's provider lands.
enum Arrival {
    Known(Tenant),
    /// A new organisation, made for this person (its first admin).
    Created(Tenant),
    /// Sign-up is closed and the directory is unknown.
    Unknown,
    /// The directory is unknown and this person cannot prove they may set it up.
    AwaitingAdmin,
}

/// The tenant of the signed-in directory; a new one for an unknown directory, if sign-up is
/// open and the person proved they may be its first admin.
async fn tenant_for(
    ctx: &Context,
    claims: &crate::auth::oidc::IdClaims,
    proven_admin: bool,
) -> Result<Arrival, AppError> {
    if let Some(t) = ctx.store.tenant_by_directory(&claims.directory_id).await? {
        return Ok(Arrival::Known(t));
    }
    if !ctx.open_signup {
        return Ok(Arrival::Unknown);
    }
    if !proven_admin {
        return Ok(Arrival::AwaitingAdmin);
    }
    let name = claims
        .username
        .rsplit_once('@')
        .map(|(_, domain)| domain.to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "New organisation".into());
    let base = slugify(&name);
    for attempt in 0..20 {
        let slug = if attempt == 0 {
            base.clone()
        } else {
            format!("{base}-{}", attempt + 1)
        };
        match ctx.store.create_tenant(&slug, &name).await {
            Ok(mut tenant) => {
                match ctx
                    .store
                    .set_tenant_directory(tenant.id, &claims.directory_id)
                    .await
                {
                    Ok(()) => {}
                    // Someone of the same directory signed in at the same moment.
                    Err(StoreError::Conflict) => {
                        return Ok(ctx
                            .store
                            .tenant_by_directory(&claims.directory_id)
                            .await?
                            .map_or(Arrival::Unknown, Arrival::Known));
                    }
                    Err(e) => return Err(e.into()),
                }
                tenant.directory_id = Some(claims.directory_id.clone());
                return Ok(Arrival::Created(tenant));
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict)
}

/// Creates or refreshes the person as `mailbox`, under the first-admin and mailbox rules.
async fn admit(
    ctx: &Context,
    tenant: &Tenant,
    claims: &crate::auth::oidc::IdClaims,
    mailbox: &str,
    proven_admin: bool,
) -> Result<Admit, AppError> {
    let now = Utc::now();
    let user = User {
        id: UserId::new(),
        tenant_id: tenant.id,
        subject: claims.subject.clone(),
        email: mailbox.to_owned(),
        display_name: claims.name.clone(),
        role: Role::Employee,
        created_at: now,
        last_seen_at: now,
    };
    Ok(ctx.store.admit_user(&user, proven_admin).await?)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(
    State(ctx): State<Arc<Context>>,
    current: Option<Extension<CurrentUser>>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    let Some(Extension(current)) = current else {
        return Ok(Redirect::to("/").into_response());
    };
    check_csrf(&current, &form.csrf)?;
    ctx.store
        .delete_session(&current.session.token_hash)
        .await?;
    Ok((
        [(
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", "/", 0, ctx.secure_cookies),
        )],
        Redirect::to("/signin?signed_out=1"),
    )
        .into_response())
}
