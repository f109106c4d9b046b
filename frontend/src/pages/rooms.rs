//! The room list with its filter.
//!
//! Without JavaScript the filter is a plain GET form and the server renders the filtered list.
//! With JavaScript (an island) the list follows the fields as you type (the finder's live
//! filter), without reloading the page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use roombook_shared::{RoomQuery, RoomSummary};

use crate::api::list_rooms;
use crate::components::{FormQuery, LiveAnswer, RoomFacts, live_filter, problem};
use crate::error::ServiceError;
use crate::viewer::use_viewer;

#[component]
pub fn RoomsPage() -> impl IntoView {
    let query = use_query_map();
    let (text, capacity) = query.with_untracked(|q| {
        (
            q.get("q").unwrap_or_default(),
            q.get("people").unwrap_or_default(),
        )
    });
    let page = Resource::new(
        || (),
        move |_| {
            let (text, capacity) = (text.clone(), capacity.clone());
            async move {
                let first = rooms_for(text.clone(), capacity.clone()).await;
                (text, capacity, first)
            }
        },
    );
    let viewer = use_viewer();
    view! {
        <Title text="Rooms" />
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading rooms…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = viewer.await.is_some();
                let (text, capacity, first) = page.await;
                if signed_in {
                    return view! { <h1>"Rooms"</h1> <RoomSearch text capacity first /> }.into_any();
                }
                // A visitor is welcomed first; an organisation's rooms are listed only where
                // this server shows them without sign-in (the demo's).
                let public = !matches!(first, Err(ServiceError::NotSignedIn));
                view! {
                    <Welcome />
                    {public.then(|| view! {
                        <h2 class="section">"The demo organisation’s rooms"</h2>
                        <RoomSearch text capacity first />
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

/// What a first visit says: what Roombook is, and the way in.
#[component]
fn Welcome() -> impl IntoView {
    view! {
        <section class="panel welcome" aria-labelledby="welcome-h" data-testid="welcome">
            <h1 id="welcome-h">"Book a meeting room"</h1>
            <p>"Roombook finds a free meeting room in your organisation’s Exchange calendars and books it for you. The room answers at once, and the meeting is in your Outlook calendar like any other."</p>
            <ol>
                <li>"Sign in with your work account."</li>
                <li>"Find a room free at your time, or look at every room’s day."</li>
                <li>"Book it. Change or cancel it later under My bookings."</li>
            </ol>
            <p><a class="button primary" rel="external" href="/auth/signin?return_to=%2Ffind">"Sign in"</a></p>
        </section>
    }
}

/// The rooms matching the filter, and whether it filters at all (for the empty state). A
/// typing mistake is explained at once, without a request.
async fn rooms_for(
    text: String,
    capacity: String,
) -> Result<(bool, Vec<RoomSummary>), ServiceError> {
    RoomQuery::parse(&text, &capacity).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    let filtered = !text.trim().is_empty() || !capacity.trim().is_empty();
    let rooms = list_rooms(text, capacity).await?;
    Ok((filtered, rooms))
}

/// The filter and the list, which follows it as the person types.
#[island]
fn RoomSearch(
    text: String,
    capacity: String,
    first: Result<(bool, Vec<RoomSummary>), ServiceError>,
) -> impl IntoView {
    let live = LiveAnswer::new(first);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let on_input = live_filter("/", form_ref, move |fields: FormQuery| {
        live.search(rooms_for(fields.get("q"), fields.get("people")));
    });
    view! {
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
                    value=text
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
                    value=capacity
                />
            </div>
            <button type="submit">"Filter"</button>
        </form>
        <p class="loading" role="status" hidden=move || !live.searching.get()>"Loading rooms…"</p>
        {move || match live.answer.get() {
            Ok((filtered, list)) => view! { <RoomList rooms=list filtered /> }.into_any(),
            Err(error) => problem(error),
        }}
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
            {rooms.into_iter().map(|room| view! { <li class="room"><RoomFacts room level=2 /></li> }).collect_view()}
        </ul>
    }
    .into_any()
}
