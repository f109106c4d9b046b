//! `/find`: rooms free for a slot.
//!
//! Without JavaScript the finder is a plain GET form and the server renders the answer; with
//! it the results follow the fields as you type.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use roombook_shared::FinderResult;

use crate::api::{find_free_rooms, get_room_choices};
use crate::components::{
    RoomFacts, RoomFilters, TimeFields, finder_request, live_filter, loading, problem,
};
use crate::error::ServiceError;

/// `/find`: rooms free for a slot.
#[component]
pub fn FindPage() -> impl IntoView {
    let query = use_query_map();
    let request = move || {
        let q = query.read();
        finder_request(
            |k| q.get(k).unwrap_or_default(),
            |k| q.get_all(k).unwrap_or_default(),
        )
    };
    // The form is built once, from the URL it was opened with: a reactive source here would
    // rebuild it when typing changes the URL (the time zone field joins the URL at the first
    // key), and the person would lose the field, the cursor and what they typed.
    let first_tz = query.get_untracked().get("tz").unwrap_or_default();
    let choices = Resource::new(
        move || first_tz.clone(),
        |tz| async move { get_room_choices(tz).await },
    );
    let results = Resource::new(request, |r| async move {
        if r.date.trim().is_empty() || r.start.trim().is_empty() {
            return Ok(None);
        }
        // Explain a typing mistake at once, without a request.
        r.parse()
            .map_err(|e| ServiceError::Invalid(e.to_string()))?;
        find_free_rooms(r).await.map(Some)
    });
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let on_input = live_filter("/find", form_ref);
    view! {
        <Title text="Find a room" />
        <h1>"Find a room"</h1>
        <p class="hint">"Rooms free for the whole time, the best fit for your group first. " <a href="/day">"See the day at a glance"</a> "."</p>
        <Suspense fallback=loading>
            {move || { let on_input = on_input.clone(); Suspend::new(async move {
                let choices = match choices.await {
                    Ok(c) => c,
                    Err(message) => return problem(message, "/find"),
                };
                // Untracked: the form follows the person, not the other way round (rebuilding it
                // on every keystroke would lose the focus).
                let r = untrack(request);
                let date = if r.date.is_empty() { choices.today.clone() } else { r.date.clone() };
                let start = if r.start.is_empty() { choices.next_start.clone() } else { r.start.clone() };
                let minutes = if r.minutes.is_empty() && r.end.is_empty() { "30".to_owned() } else { r.minutes.clone() };
                view! {
                    <form method="get" action="/find" class="filters" role="search" node_ref=form_ref on:input=on_input.clone() on:change=on_input>
                        <TimeFields prefix="f" date start minutes end=r.end.clone() />
                        <RoomFilters choices=choices.clone() request=r.clone() />
                        <button type="submit" class="button primary">"Find free rooms"</button>
                    </form>
                }.into_any()
            })}}
        </Suspense>
        <Transition fallback=|| view! { <p class="loading" role="status">"Asking Exchange which rooms are free…"</p> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(None) => view! {
                        <p class="hint" role="status">"Choose a date and time, then “Find free rooms”."</p>
                    }.into_any(),
                    Ok(Some(found)) => view! { <FreeRooms found /> }.into_any(),
                    Err(message) => problem(message, "/find"),
                }
            })}
        </Transition>
    }
}

#[component]
fn FreeRooms(found: FinderResult) -> impl IntoView {
    let count = found.rooms.len();
    let summary = match count {
        0 => "No room is free for the whole time.".to_owned(),
        1 => "1 room is free".to_owned(),
        n => format!("{n} rooms are free"),
    };
    let slot = found.slot_query.clone();
    view! {
        <section aria-labelledby="free-h" class="results">
            <h2 id="free-h">{found.when.clone()}</h2>
            <p class="count" role="status" aria-live="polite" data-testid="free-count">
                {summary}
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
                {found.rooms.into_iter().map(|free| {
                    let href = format!("/book?room={}&{}", free.room.id, slot);
                    let label = format!("Book {}", free.room.name);
                    view! {
                        <li class="room">
                            <RoomFacts room=free.room.clone() />
                            {free.room_time.clone().map(|t| view! { <p class="hint">{t}</p> })}
                            <a class="button primary" href=href aria-label=label>"Book"</a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
