//! One extractor per kind of caller, so a handler says in its signature who may call it:
//! [`SignedIn`] (anyone with a session of the organisation), [`Admin`] (its admins), and for
//! state-changing posts [`CheckedForm`], which checks the session's CSRF token before the form
//! is even parsed. The session itself was resolved by `auth::load_caller`.

use axum::{
    Form,
    body::Body,
    extract::{FromRequest, FromRequestParts, Request},
    http::request::Parts,
    response::{IntoResponse, Redirect, Response},
};
use serde::de::DeserializeOwned;

use super::{AppError, check_csrf};
use crate::auth::CurrentUser;

/// The largest form body read (a booking's note is at most 4,000 characters).
const FORM_LIMIT: usize = 256 * 1024;

/// A signed-in person. Signed out: to the sign-in page, then back to the finder.
pub struct SignedIn(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<CurrentUser>() {
            Some(current) => Ok(Self(current.clone())),
            None => Err(Redirect::to("/auth/signin?return_to=%2Ffind").into_response()),
        }
    }
}

/// An admin of the organisation. Signed out: to the sign-in page, then back to the page (for
/// a GET) or to the admin page (after a post, whose form is gone); an employee is refused.
pub struct Admin(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<CurrentUser>() {
            Some(current) if current.is_admin() => Ok(Self(current.clone())),
            Some(_) => Err(AppError::Forbidden(
                "Only administrators of this organisation can do that.".into(),
            )
            .into_response()),
            None => {
                let back = if parts.method == axum::http::Method::GET {
                    parts.uri.path().to_owned()
                } else {
                    "/admin".into()
                };
                let back: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
                Err(Redirect::to(&format!("/auth/signin?return_to={back}")).into_response())
            }
        }
    }
}

/// The signed-in person behind a caller extractor.
pub trait Caller {
    fn current(&self) -> &CurrentUser;
}

impl Caller for SignedIn {
    fn current(&self) -> &CurrentUser {
        &self.0
    }
}

impl Caller for Admin {
    fn current(&self) -> &CurrentUser {
        &self.0
    }
}

/// A form posted by caller `W`: its `csrf` field is the session's token (checked first: a
/// forged post learns nothing about the form), then the rest is read into `T`, which needs no
/// `csrf` field of its own.
pub struct CheckedForm<W, T>(pub W, pub T);

/// A form an admin posts.
pub type AdminForm<T> = CheckedForm<Admin, T>;

/// A form a signed-in person posts.
pub type SignedInForm<T> = CheckedForm<SignedIn, T>;

/// A form with nothing but its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct NoFields {}

impl<S, W, T> FromRequest<S> for CheckedForm<W, T>
where
    S: Send + Sync,
    W: FromRequestParts<S, Rejection = Response> + Caller + Send,
    T: DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let who = W::from_request_parts(&mut parts, state).await?;
        let form = checked_form(who.current(), &parts, body)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self(who, form))
    }
}

/// A form body of `current`'s session, read (at most [`FORM_LIMIT`]), its `csrf` field checked
/// against the session's token, then parsed into `T`. For a handler that needs the request's
/// parts as well (the booking form renders its page again); others take [`CheckedForm`].
pub async fn checked_form<T: DeserializeOwned>(
    current: &CurrentUser,
    parts: &Parts,
    body: Body,
) -> Result<T, AppError> {
    let unreadable = || AppError::BadRequest("That form could not be read.".into());
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| unreadable())?;
    let submitted = form_urlencoded::parse(&bytes)
        .find(|(key, _)| key == "csrf")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    check_csrf(current, &submitted)?;
    let Form(form) =
        Form::<T>::from_request(Request::from_parts(parts.clone(), Body::from(bytes)), &())
            .await
            .map_err(|_| unreadable())?;
    Ok(form)
}
