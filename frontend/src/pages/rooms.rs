//! The room list with its filter.
//!
//! Without JavaScript the filter is a plain GET form and the server renders the filtered list.
//! With JavaScript the list follows the fields as you type (the finder's live filter), without
//! reloading the page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use roombook_shared::{RoomQuery, RoomSummary};

use crate::api::list_rooms;
use crate::components::{live_filter, problem};
use crate::error::ServiceError;

#[component]
pub fn RoomsPage() -> impl IntoView {
    let query = use_query_map();
    let text_in_url = move || query.read().get("q").unwrap_or_default();
    let capacity_in_url = move || query.read().get("people").unwrap_or_default();

    let rooms = Resource::new(
        move || (text_in_url(), capacity_in_url()),
        |(text, capacity)| async move {
            // Validate here first so a typing mistake is explained at once, without a request.
            RoomQuery::parse(&text, &capacity).map_err(|e| ServiceError::Invalid(e.to_string()))?;
            let filtered = !text.trim().is_empty() || !capacity.trim().is_empty();
            let rooms = list_rooms(text, capacity).await?;
            Ok::<_, ServiceError>((filtered, rooms))
        },
    );

    // Filter as you type: the URL follows the form once the person pauses, and the list
    // follows the URL.
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let on_input = live_filter("/", form_ref);

    view! {
        <Title text="Rooms" />
        <h1>"Rooms"</h1>
        <form method="get" action="/" class="filters" role="search" node_ref=form_ref on:input=on_input.clone() on:change=on_input>
            <div class="field">
                <label for="room-q">"Search"</label>
                <input
                    id="room-q"
                    name="q"
                    type="search"
                    placeholder="Name, building or floor"
                    maxlength="200"
                    autocomplete="off"
                    value=text_in_url()
                />
            </div>
            <div class="field narrow">
                <label for="room-people">"People"</label>
                <input
                    id="room-people"
                    name="people"
                    type="number"
                    inputmode="numeric"
                    min="1"
                    max="10000"
                    value=capacity_in_url()
                />
            </div>
            <button type="submit">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading rooms…"</p> }>
            {move || Suspend::new(async move {
                match rooms.await {
                    Ok((filtered, list)) => view! { <RoomList rooms=list filtered /> }.into_any(),
                    Err(error) => problem(error, "/"),
                }
            })}
        </Transition>
    }
}

#[component]
fn RoomList(rooms: Vec<RoomSummary>, filtered: bool) -> impl IntoView {
    if rooms.is_empty() && !filtered {
        return view! {
            <div class="empty" role="status">
                <p><strong>"No rooms yet."</strong></p>
                <p>
                    "An administrator imports them from the Exchange room lists on the "
                    <a href="/admin">"Admin"</a> " page."
                </p>
            </div>
        }
        .into_any();
    }
    if rooms.is_empty() {
        return view! {
            <div class="empty" role="status">
                <p><strong>"No rooms match."</strong></p>
                <p>
                    "Try fewer words or fewer people, or " <a href="/">"show all rooms"</a> "."
                </p>
            </div>
        }
        .into_any();
    }
    let count = rooms.len();
    view! {
        <p class="count" role="status" aria-live="polite">
            {if count == 1 { "1 room".to_owned() } else { format!("{count} rooms") }}
        </p>
        <ul class="rooms" data-testid="room-list">
            {rooms.into_iter().map(|room| view! { <RoomCard room /> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn RoomCard(room: RoomSummary) -> impl IntoView {
    let place = [
        room.building.clone(),
        room.floor.clone().map(|f| format!("floor {f}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <li class="room">
            <h2>{room.name}</h2>
            <p class="place">{place}</p>
            <dl>
                <dt>"Seats"</dt>
                <dd>{room.capacity.map(|c| c.to_string()).unwrap_or_else(|| "not set".into())}</dd>
                {(!room.equipment.is_empty()).then(|| view! {
                    <dt>"Equipment"</dt>
                    <dd>{room.equipment.join(", ")}</dd>
                })}
                {room.wheelchair_accessible.then(|| view! {
                    <dt>"Access"</dt>
                    <dd>"Wheelchair accessible"</dd>
                })}
            </dl>
        </li>
    }
}
