//! The employees' state-changing forms: book, change the time, cancel.
//!
//! Plain HTML forms posting here, answered with a redirect (post/redirect/get), so booking
//! works without JavaScript. Each needs a signed-in person and the session's CSRF token; a
//! booking is looked up within the person's own tenant and must be theirs (404 otherwise).
//! A refused form comes back with the reason and everything typed, never in a URL (history,
//! proxy logs, and a page that shows a sentence from its URL shows one anyone can write):
//! a refused booking is answered with its form rendered again (`POST /book`, 422 or 409), a
//! refused change or cancel with a one-time flash cookie for the booking's page.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use leptos::prelude::provide_context;
use roombook_frontend::flash::BookDraft;
use roombook_shared::booking::{
    check_booking_text, parse_date, parse_length, parse_time, split_attendees,
};
use serde::Deserialize;
use uuid::Uuid;

use super::caller::{CheckedForm, SignedIn, SignedInForm, checked_form};
use super::{AppError, AppState, Context};
use crate::{auth::CurrentUser, words};
use roombook_core::booking::{BookRequest, BookingError, Invalid};
use roombook_core::domain::{BookingId, RoomId};

/// Back to a booking's page with a one-time message (and what was typed) for it.
fn back_to(ctx: &Context, current: &CurrentUser, path: &str, fields: &[(&str, &str)]) -> Response {
    super::flash::redirect_with_flash(ctx, current, path, fields, path)
}

/// The booking form page rendered again for a refused POST, with `draft` (what was typed and
/// why it was refused) as its data; the URL stays `/book`, so hydration matches.
async fn book_page_again(
    state: &AppState,
    mut parts: Parts,
    draft: BookDraft,
    status: StatusCode,
) -> Response {
    parts.method = axum::http::Method::GET;
    parts.uri = axum::http::Uri::from_static("/book");
    let request = Request::from_parts(parts, Body::empty());
    let context = {
        let (state, draft) = (state.clone(), draft);
        move || {
            provide_context(state.clone());
            provide_context(state.services.clone());
            provide_context(draft.clone());
            // The page's own policy with its nonce: without it the default policy blocks
            // the hydration script and the re-rendered form never comes alive.
            super::security::page_policy();
        }
    };
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(context, move || {
        roombook_frontend::shell(options.clone())
    });
    let mut response = render(request).await;
    *response.status_mut() = status;
    // What was typed is in this page: no cache keeps it.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BookForm {
    key: String,
    room: String,
    /// "Book … instead": a free room offered after the slot was just taken.
    instead: String,
    date: String,
    start: String,
    minutes: String,
    end: String,
    tz: String,
    subject: String,
    attendees: String,
    note: String,
    /// The page the form was opened from, for the refused form's back link.
    from: String,
    /// The person chosen (an address) for `pick_for`, a name that matched several people.
    pick: String,
    pick_for: String,
}

pub async fn book(
    State(state): State<AppState>,
    SignedIn(current): SignedIn,
    request: Request,
) -> Result<Response, AppError> {
    let (parts, body) = request.into_parts();
    let form: BookForm = checked_form(&current, &parts, body).await?;
    let ctx = state.ctx.clone();
    let room_field = if form.instead.trim().is_empty() {
        form.room.trim()
    } else {
        form.instead.trim()
    };
    let room = Uuid::parse_str(room_field).map_err(|_| AppError::NotFound)?;
    // Back to the form with the reason and everything typed. After "just taken" the key is
    // left out: the next attempt (another room or time) is a new booking.
    // A name that matched several people, and the one chosen among them: the address stands
    // in for the name (in the attendees kept, too, if the form comes back again).
    let attendees_typed = match (form.pick.trim(), form.pick_for.trim()) {
        (pick, name)
            if !pick.is_empty()
                && !name.is_empty()
                && roombook_shared::looks_like_address(pick) =>
        {
            split_attendees(&form.attendees)
                .into_iter()
                .map(|a| {
                    if a.eq_ignore_ascii_case(name) {
                        pick.to_owned()
                    } else {
                        a
                    }
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
        _ => form.attendees.clone(),
    };
    let back = |error: String,
                taken: bool,
                alternatives: String,
                picks: Option<(String, Vec<(String, String)>)>| {
        let (pick_for, picks) = picks.unwrap_or_default();
        let draft = BookDraft {
            room: room.to_string(),
            date: form.date.clone(),
            start: form.start.clone(),
            minutes: form.minutes.clone(),
            end: form.end.clone(),
            tz: form.tz.clone(),
            subject: form.subject.clone(),
            attendees: attendees_typed.clone(),
            note: form.note.clone(),
            key: if taken {
                String::new()
            } else {
                form.key.clone()
            },
            error,
            taken,
            alternatives,
            from: if form.from == "day" {
                "day".into()
            } else {
                String::new()
            },
            pick_for,
            picks,
        };
        let status = if taken {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        book_page_again(&state, parts.clone(), draft, status)
    };
    let parsed = (|| {
        let date = parse_date(&form.date)?;
        let start = parse_time(&form.start)?;
        let minutes = parse_length(start, &form.minutes, &form.end)?;
        let attendees = split_attendees(&attendees_typed);
        check_booking_text(&form.subject, &form.note, &attendees)?;
        Ok::<_, roombook_shared::BookingFormError>((date, start, minutes, attendees))
    })();
    let (date, start, minutes, attendees) = match parsed {
        Ok(p) => p,
        Err(e) => return Ok(back(e.to_string(), false, String::new(), None).await),
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
        Err(e) => {
            // The loser of a race is offered the rooms still free, with what they typed.
            let alternatives = match &e {
                BookingError::Taken { alternatives, .. } => Some(
                    alternatives
                        .iter()
                        .map(|r| r.id.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                _ => None,
            };
            let picks = match &e {
                BookingError::Invalid(Invalid::SeveralCalled { entry, people, .. }) => {
                    Some((entry.clone(), people.clone()))
                }
                _ => None,
            };
            let sentence = refusal(e)?;
            let taken = alternatives.is_some();
            Ok(back(sentence, taken, alternatives.unwrap_or_default(), picks).await)
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChangeForm {
    date: String,
    start: String,
    minutes: String,
    end: String,
    tz: String,
}

/// The one mapping of a booking's failure for the forms: a missing booking and a database
/// that cannot be reached are status pages (`AppError`); everything else goes back to the form
/// as the sentence `words` writes for it.
fn refusal(e: BookingError) -> Result<String, AppError> {
    match e {
        BookingError::NotFound => Err(AppError::NotFound),
        BookingError::Store(e) => Err(AppError::Unavailable(e.into())),
        e => Ok(words::booking_error(&e)),
    }
}

fn booking_id(raw: &str) -> Result<BookingId, AppError> {
    Uuid::parse_str(raw)
        .map(BookingId)
        .map_err(|_| AppError::NotFound)
}

pub async fn change(
    State(ctx): State<Arc<Context>>,
    Path(id): Path<String>,
    CheckedForm(SignedIn(current), form): SignedInForm<ChangeForm>,
) -> Result<Response, AppError> {
    let id = booking_id(&id)?;
    let path = format!("/bookings/{id}");
    let back = |error: &str| {
        back_to(
            &ctx,
            &current,
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
        Ok(_) => Ok(Redirect::to(&format!("{path}?done=changed")).into_response()),
        Err(e) => Ok(back(&refusal(e)?)),
    }
}

/// The cancel form's second step: only a post that says it was confirmed cancels.
#[derive(serde::Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    confirm: String,
}

/// Cancels a booking once the person has confirmed it (the booking's page asks first, as a
/// page of its own, so it works without JavaScript); an unconfirmed post is sent to that
/// question instead of cancelling a meeting whose attendees would be told at once.
pub async fn cancel(
    State(ctx): State<Arc<Context>>,
    Path(id): Path<String>,
    CheckedForm(SignedIn(current), form): SignedInForm<CancelForm>,
) -> Result<Response, AppError> {
    let id = booking_id(&id)?;
    if form.confirm != "yes" {
        return Ok(
            Redirect::to(&format!("/bookings/{id}?confirm=cancel#cancel-h")).into_response(),
        );
    }
    match ctx.bookings.cancel(&current.user, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/bookings/{id}?done=cancelled")).into_response()),
        Err(e) => Ok(back_to(
            &ctx,
            &current,
            &format!("/bookings/{id}"),
            &[("error", &refusal(e)?)],
        )),
    }
}
