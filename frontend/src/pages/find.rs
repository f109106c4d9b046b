//! `/find`: rooms free for a slot.
//!
//! Without JavaScript the finder is a plain GET form and the server renders the answer; with
//! it (an island) the results follow the fields as you type.

use leptos::prelude::*;
use leptos_meta::Title;
use roombook_shared::{FinderRequest, FinderResult, RoomChoices};

use crate::api::{find_free_rooms, get_room_choices};
use crate::components::{
    FormQuery, LiveAnswer, RoomFacts, RoomFilters, TimeFields, finder_request,
    finder_request_in_url, live_filter, loading, problem,
};
use crate::error::ServiceError;

/// `/find`: rooms free for a slot. Rendered on the server with the answer for the address's
/// slot; the form and the answer are the [`Finder`] island.
#[component]
pub fn FindPage() -> impl IntoView {
    let request = finder_request_in_url();
    let page = Resource::new(
        || (),
        move |_| {
            let request = request.clone();
            async move {
                let choices = get_room_choices(request.time_zone.clone()).await?;
                let first = search(request.clone()).await;
                Ok::<_, ServiceError>((choices, request, first))
            }
        },
    );
    view! {
        <Title text="Find a room" />
        <h1>"Find a room"</h1>
        <p class="hint">"Rooms free for the whole time, the best fit for your group first. " <a href="/day">"See the day at a glance"</a> "."</p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok((choices, request, first)) => view! { <Finder choices request first /> }.into_any(),
                    Err(message) => problem(message),
                }
            })}
        </Suspense>
    }
}

/// The rooms free for a request: none asked yet without a date and start; a typing mistake
/// explained at once, without asking the server.
async fn search(request: FinderRequest) -> Result<Option<FinderResult>, ServiceError> {
    if request.date.trim().is_empty() || request.start.trim().is_empty() {
        return Ok(None);
    }
    request
        .parse()
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    find_free_rooms(request).await.map(Some)
}

/// The finder's form and its answer, which follows the form as the person types.
#[island]
fn Finder(
    choices: RoomChoices,
    request: FinderRequest,
    first: Result<Option<FinderResult>, ServiceError>,
) -> impl IntoView {
    let live = LiveAnswer::new(first);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let on_input = live_filter("/find", form_ref, move |fields: FormQuery| {
        let request = finder_request(|k| fields.get(k), |k| fields.get_all(k));
        live.search(search(request));
    });
    let date = if request.date.is_empty() {
        choices.today.clone()
    } else {
        request.date.clone()
    };
    let start = if request.start.is_empty() {
        choices.next_start.clone()
    } else {
        request.start.clone()
    };
    let minutes = if request.minutes.is_empty() && request.end.is_empty() {
        "30".to_owned()
    } else {
        request.minutes.clone()
    };
    // The form is built once: it follows the person, not the other way round (rebuilding it
    // on every search would lose the field, the cursor and what was typed).
    view! {
        <form method="get" action="/find" class="filters" role="search" node_ref=form_ref on:input=on_input.clone() on:change=on_input>
            <TimeFields prefix="f" date start minutes end=request.end.clone() />
            <RoomFilters choices=choices.clone() request=request.clone() />
            <button type="submit" class="button primary">"Find free rooms"</button>
        </form>
        <p class="loading" role="status" hidden=move || !live.searching.get()>"Asking Exchange which rooms are free…"</p>
        {move || match live.answer.get() {
            Ok(None) => view! {
                <p class="hint" role="status">"Choose a date and time, then “Find free rooms”."</p>
            }.into_any(),
            Ok(Some(found)) => view! { <FreeRooms found /> }.into_any(),
            Err(message) => problem(message),
        }}
    }
}

#[component]
fn FreeRooms(found: FinderResult) -> impl IntoView {
    // For a head count, a room whose seats nobody recorded is not a match: it is listed apart.
    let (rooms, unsure): (Vec<_>, Vec<_>) = found
        .rooms
        .into_iter()
        .partition(|free| found.people.is_none() || free.room.capacity.is_some());
    let count = rooms.len();
    let summary = match count {
        0 if unsure.is_empty() => "No room is free for the whole time.".to_owned(),
        0 => "No room known to be big enough is free.".to_owned(),
        1 => "1 room is free".to_owned(),
        n => format!("{n} rooms are free"),
    };
    let slot = found.slot_query.clone();
    let card = move |free: roombook_shared::FreeRoom| {
        let href = format!("/book?room={}&{}", free.room.id, slot);
        let label = format!("Book {}", free.room.name);
        view! {
            <li class="room">
                <RoomFacts room=free.room.clone() />
                {free.room_time.clone().map(|t| view! { <p class="hint">{t}</p> })}
                <a class="button primary" href=href aria-label=label>"Book"</a>
            </li>
        }
    };
    let unsure_heading = format!(
        "Free, capacity unknown: {} ({} may not fit)",
        unsure.len(),
        found
            .people
            .map(|p| format!("{p} people"))
            .unwrap_or_default()
    );
    view! {
        <section aria-labelledby="free-h" class="results">
            <h2 id="free-h">{found.when.clone()}</h2>
            <p class="count" role="status" aria-live="polite" data-testid="free-count">
                {summary}
                {(!unsure.is_empty()).then(|| format!(" · {} more with capacity unknown", unsure.len()))}
                {(found.busy > 0).then(|| format!(" · {} busy then", found.busy))}
                {(found.unknown > 0).then(|| format!(" · {} could not be checked", found.unknown))}
            </p>
            {(!found.refused_by_policy.is_empty()).then(|| view! {
                <details class="notice">
                    <summary>{format!("{} matching rooms do not take this booking", found.refused_by_policy.len())}</summary>
                    <ul>{found.refused_by_policy.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}</ul>
                </details>
            })}
            {(count == 0).then(|| view! {
                <div class="empty">
                    <p>"Try another time, fewer people or fewer filters, or "
                    <a href="/day">"look at the whole day"</a> "."</p>
                </div>
            })}
            <ul class="rooms" data-testid="free-rooms">
                {rooms.into_iter().map(card.clone()).collect_view()}
            </ul>
            {(!unsure.is_empty()).then(|| view! {
                <h3 class="section">{unsure_heading}</h3>
                <p class="hint">"Exchange’s room lists do not say how many seats a room has; an administrator can record it."</p>
                <ul class="rooms" data-testid="capacity-unknown">
                    {unsure.into_iter().map(card).collect_view()}
                </ul>
            })}
        </section>
    }
}
