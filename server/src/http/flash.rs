//! Back to a form's page with a one-time message: the reason and what was typed (never a
//! password) travel in a short-lived cookie for this session and that page
//! (`roombook_frontend::flash`), never in the URL, where a link could put any sentence.

use axum::response::{IntoResponse, Redirect, Response};

use super::Context;
use crate::auth::CurrentUser;

/// Redirects to `to` with `fields` waiting for the page at `path` (the path of `to`).
pub fn redirect_with_flash(
    ctx: &Context,
    current: &CurrentUser,
    path: &str,
    fields: &[(&str, &str)],
    to: &str,
) -> Response {
    let value = roombook_frontend::flash::encode(&current.session.csrf_token, path, fields);
    let cookie = crate::auth::set_cookie(
        roombook_frontend::flash::COOKIE,
        &value,
        "/",
        roombook_frontend::flash::MAX_AGE_SECONDS,
        ctx.secure_cookies,
    );
    ([(axum::http::header::SET_COOKIE, cookie)], Redirect::to(to)).into_response()
}
