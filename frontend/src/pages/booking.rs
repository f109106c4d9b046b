//! `/bookings/:id`: one booking, its room's answer, change and cancel.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};
use roombook_shared::{BookingState, BookingView};

use crate::api::{get_booking, take_flash};
use crate::components::{Csrf, TimeFields, loading, problem, status_class};
use crate::flash::Flash;

/// `/bookings/:id`: one booking, its room's answer, change and cancel.
#[component]
pub fn BookingPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let booking = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        |id| async move {
            // A refused change or cancel left its reason (and the typed time) for this page.
            let flash = take_flash(format!("/bookings/{id}"))
                .await
                .unwrap_or_default();
            get_booking(id).await.map(|b| (b, flash))
        },
    );
    view! {
        <Title text="Booking" />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match booking.await {
                    Ok((b, flash)) => view! { <BookingDetails booking=b flash query /> }.into_any(),
                    Err(message) => view! {
                        <h1>"Booking"</h1>
                        {problem(message)}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn BookingDetails(
    booking: BookingView,
    flash: Flash,
    query: Memo<leptos_router::params::ParamsMap>,
) -> impl IntoView {
    // What happened comes from the handler as a code of this closed set, and is said only when
    // it fits the booking (a link can carry any code); a refusal's reason comes from the flash.
    let done = query.get_untracked().get("done").unwrap_or_default();
    let notice = match (done.as_str(), booking.status) {
        ("changed", status) if status != BookingState::Cancelled => {
            Some("The new time was sent to Exchange.")
        }
        ("cancelled", BookingState::Cancelled) => {
            Some("The booking is cancelled: the room is free again and the attendees were told.")
        }
        _ => None,
    };
    let error = flash.get("error").unwrap_or_default();
    let waiting = booking.status.is_open();
    let b = booking.clone();
    let date = flash.get("date").unwrap_or(b.date.clone());
    let start = flash.get("start").unwrap_or(b.start.clone());
    let minutes = flash.get("minutes").unwrap_or(b.minutes.to_string());
    // Cancelling tells every attendee at once: it is asked for first, then confirmed.
    let confirming = query.get_untracked().get("confirm").as_deref() == Some("cancel");
    view! {
        // Without JavaScript, a waiting booking refreshes itself until the room answers.
        {waiting.then(|| view! { <Meta http_equiv="refresh" content="5" /> })}
        <h1>{b.subject.clone()}</h1>
        {notice.map(|n| view! { <p class="notice" role="status" data-testid="booking-done">{n}</p> })}
        {(!error.is_empty()).then(|| view! { <p class="notice error" role="alert" data-testid="booking-error" tabindex="-1" autofocus>{error.clone()}</p> })}
        <section class="panel" aria-labelledby="status-h">
            <h2 id="status-h" class="visually-hidden">"Status"</h2>
            <p role="status" aria-live="polite" data-testid="booking-status" data-status=b.status.as_str()>
                <span class=status_class(b.status)>{b.status.label()}</span>
                {waiting.then(|| view! { <span class="hint">" · this page refreshes by itself"</span> })}
            </p>
            {b.reason.clone().map(|r| view! { <p data-testid="booking-reason">{r}</p> })}
            <dl class="facts">
                <dt>"Room"</dt>
                <dd>{b.room_name.clone()} " " <span class="hint">{b.room_place.clone()}</span></dd>
                <dt>"When"</dt>
                <dd>{b.when.clone()} " " <span class="hint">{format!("({})", b.time_zone)}</span></dd>
                {b.room_time.clone().map(|t| view! { <dt>"Room’s time"</dt><dd>{t}</dd> })}
                {(!b.attendees.is_empty()).then(|| view! { <dt>"Attendees"</dt><dd>{b.attendees.join(", ")}</dd> })}
                {(!b.note.is_empty()).then(|| view! { <dt>"Note"</dt><dd>{b.note.clone()}</dd> })}
            </dl>
        </section>
        {b.can_change.then(|| {
            let change = format!("/bookings/{}/change", b.id);
            let cancel = format!("/bookings/{}/cancel", b.id);
            view! {
                <form method="post" action=change class="panel" data-testid="change-form">
                    <h2>"Change the time"</h2>
                    <Csrf />
                    <input type="hidden" name="tz" value=b.time_zone.clone() />
                    <div class="filters">
                        <TimeFields prefix="c" date=date.clone() start=start.clone() minutes=minutes.clone() />
                        <button type="submit" class="button">"Change time"</button>
                    </div>
                    <p class="hint">"Roombook checks the room is free first; the room answers again and attendees are told."</p>
                </form>
                {if confirming {
                    view! {
                        <form method="post" action=cancel class="panel confirm" data-testid="cancel-form">
                            <h2 id="cancel-h" tabindex="-1" autofocus>"Cancel this booking?"</h2>
                            <Csrf />
                            <input type="hidden" name="confirm" value="yes" />
                            <p>{format!("{} in {}, {}.", b.subject, b.room_name, b.when)}</p>
                            <p>{if b.attendees.is_empty() {
                                "The meeting is removed from Exchange and the room is free again. This cannot be undone.".to_owned()
                            } else {
                                format!("The meeting is removed from Exchange, the room is free again, and {} will be told it is cancelled. This cannot be undone.", attendee_words(&b.attendees))
                            }}</p>
                            <div class="actions">
                                <button type="submit" class="button danger">"Yes, cancel it"</button>
                                <a href=format!("/bookings/{}", b.id)>"No, keep the booking"</a>
                            </div>
                        </form>
                    }.into_any()
                } else {
                    view! {
                        <section class="panel" data-testid="cancel-form" aria-labelledby="cancel-h">
                            <h2 id="cancel-h">"Cancel"</h2>
                            <p>"The meeting is cancelled in Exchange: the room is freed and attendees are told. You are asked to confirm first."</p>
                            <a class="button" href=format!("/bookings/{}?confirm=cancel#cancel-h", b.id)>"Cancel this booking…"</a>
                        </section>
                    }.into_any()
                }}
            }
        })}
        <p><a href="/bookings">"All my bookings"</a> " · " <a href="/find">"Book another room"</a></p>
    }
}

/// "Ana", "Ana and Ben", "3 attendees".
fn attendee_words(attendees: &[String]) -> String {
    match attendees {
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        many => format!("{} attendees", many.len()),
    }
}
