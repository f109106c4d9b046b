//! What a room offers, as the finder, the day grid and the booking form show it.

use leptos::prelude::*;
use roombook_shared::RoomSummary;

#[component]
pub fn RoomFacts(room: RoomSummary) -> impl IntoView {
    let place = [
        room.building.clone(),
        room.floor.clone().map(|f| format!("floor {f}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <h3>{room.name.clone()}</h3>
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
    }
}
