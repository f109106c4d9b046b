//! The employees' state-changing forms: book, change the time, cancel.
//!
//! Plain HTML forms posting here, answered with a redirect (post/redirect/get), so booking
//! works without JavaScript. Each needs a signed-in person and the session's CSRF token; a
//! booking is looked up within the person's own tenant and must be theirs (404 otherwise).
//! A refused form goes back with the reason and everything typed.

use std::sync::Arc;

use axum::{
    Form,
    extract::{FromRequestParts, Path, State},
    http::request::Parts,
    response::{IntoResponse, Redirect, Response},
};
use roombook_shared::booking::{
    check_booking_text, parse_date, parse_length, parse_time, split_attendees,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    auth::{CurrentUser, check_csrf},
    booking::{BookRequest, BookingError},
    context::Context,
    domain::{BookingId, RoomId},
    error::AppError,
};

/// A signed-in person. Signed out: to the sign-in page, then back to the finder.
pub struct RequireUser(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for RequireUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<CurrentUser>() {
            Some(current) => Ok(Self(current.clone())),
            None => Err(Redirect::to("/auth/signin?return_to=%2Ffind").into_response()),
        }
    }
}

fn back_to(path: &str, fields: &[(&str, &str)]) -> Response {
    crate::admin::back_to(path, fields, "")
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BookForm {
    csrf: String,
    key: String,
    room: String,
    date: String,
    start: String,
    minutes: String,
    end: String,
    tz: String,
    subject: String,
    attendees: String,
    note: String,
}

pub async fn book(
    State(ctx): State<Arc<Context>>,
    RequireUser(current): RequireUser,
    Form(form): Form<BookForm>,
) -> Result<Response, AppError> {
    check_csrf(&current, &form.csrf)?;
    let room = Uuid::parse_str(form.room.trim()).map_err(|_| AppError::NotFound)?;
    // Back to the form with the reason and everything typed. After "just taken" the key is
    // left out: the next attempt (another room or time) is a new booking.
    let back = |error: &str, taken: bool, alternatives: &str| {
        back_to(
            "/book",
            &[
                ("room", form.room.as_str()),
                ("date", &form.date),
                ("start", &form.start),
                ("minutes", &form.minutes),
                ("end", &form.end),
                ("tz", &form.tz),
                ("subject", &form.subject),
                ("attendees", &form.attendees),
                ("note", &form.note),
                ("key", if taken { "" } else { &form.key }),
                ("error", error),
                ("taken", if taken { "1" } else { "" }),
                ("alternatives", alternatives),
            ],
        )
    };
    let parsed = (|| {
        let date = parse_date(&form.date)?;
        let start = parse_time(&form.start)?;
        let minutes = parse_length(start, &form.minutes, &form.end)?;
        let attendees = split_attendees(&form.attendees);
        check_booking_text(&form.subject, &form.note, &attendees)?;
        Ok::<_, roombook_shared::BookingFormError>((date, start, minutes, attendees))
    })();
    let (date, start, minutes, attendees) = match parsed {
        Ok(p) => p,
        Err(e) => return Ok(back(&e.to_string(), false, "")),
    };
    let request = BookRequest {
        room: RoomId(room),
        date,
        start,
        minutes,
        time_zone: form.tz.clone(),
        subject: form.subject.clone(),
        note: form.note.clone(),
        attendees,
        idempotency_key: form.key.clone(),
    };
    match ctx.bookings.book(&current.user, request).await {
        Ok(booking) => Ok(Redirect::to(&format!("/bookings/{}", booking.id)).into_response()),
        Err(BookingError::NotFound) => Err(AppError::NotFound),
        Err(BookingError::Store(e)) => Err(AppError::Unavailable(e.into())),
        Err(BookingError::Taken { room, alternatives }) => {
            let ids = alternatives
                .iter()
                .map(|r| r.id.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let message = BookingError::Taken {
                room,
                alternatives: Vec::new(),
            }
            .to_string();
            Ok(back(&message, true, &ids))
        }
        Err(e) => Ok(back(&e.to_string(), false, "")),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChangeForm {
    csrf: String,
    date: String,
    start: String,
    minutes: String,
    end: String,
    tz: String,
}

fn booking_id(raw: &str) -> Result<BookingId, AppError> {
    Uuid::parse_str(raw)
        .map(BookingId)
        .map_err(|_| AppError::NotFound)
}

pub async fn change(
    State(ctx): State<Arc<Context>>,
    RequireUser(current): RequireUser,
    Path(id): Path<String>,
    Form(form): Form<ChangeForm>,
) -> Result<Response, AppError> {
    check_csrf(&current, &form.csrf)?;
    let id = booking_id(&id)?;
    let path = format!("/bookings/{id}");
    let back = |error: &str| {
        back_to(
            &path,
            &[
                ("date", form.date.as_str()),
                ("start", &form.start),
                ("minutes", &form.minutes),
                ("tz", &form.tz),
                ("error", error),
            ],
        )
    };
    let parsed = (|| {
        let date = parse_date(&form.date)?;
        let start = parse_time(&form.start)?;
        let minutes = parse_length(start, &form.minutes, &form.end)?;
        Ok::<_, roombook_shared::BookingFormError>((date, start, minutes))
    })();
    let (date, start, minutes) = match parsed {
        Ok(p) => p,
        Err(e) => return Ok(back(&e.to_string())),
    };
    match ctx
        .bookings
        .change(&current.user, id, date, start, minutes, &form.tz)
        .await
    {
        Ok(_) => Ok(back_to(&path, &[("done", "changed")])),
        Err(BookingError::NotFound) => Err(AppError::NotFound),
        Err(BookingError::Store(e)) => Err(AppError::Unavailable(e.into())),
        Err(e) => Ok(back(&e.to_string())),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CancelForm {
    csrf: String,
}

pub async fn cancel(
    State(ctx): State<Arc<Context>>,
    RequireUser(current): RequireUser,
    Path(id): Path<String>,
    Form(form): Form<CancelForm>,
) -> Result<Response, AppError> {
    check_csrf(&current, &form.csrf)?;
    let id = booking_id(&id)?;
    match ctx.bookings.cancel(&current.user, id).await {
        Ok(_) => Ok(back_to(
            &format!("/bookings/{id}"),
            &[("done", "cancelled")],
        )),
        Err(BookingError::NotFound) => Err(AppError::NotFound),
        Err(BookingError::Store(e)) => Err(AppError::Unavailable(e.into())),
        Err(e) => Ok(back_to(
            &format!("/bookings/{id}"),
            &[("error", &e.to_string())],
        )),
    }
}
