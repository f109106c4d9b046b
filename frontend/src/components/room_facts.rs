//! What a room offers, as the finder, the day grid and the booking form show it.

use leptos::prelude::*;
use roombook_shared::RoomSummary;

/// The room's name as a heading (`h3` under a page's section, `h2` in the room list), where it
/// is, its seats, equipment and access.
#[component]
pub fn RoomFacts(
    room: RoomSummary,
    /// Heading level of the room's name: 2 or 3.
    #[prop(default = 3)]
    level: u8,
) -> impl IntoView {
    let place = [
        room.building.clone(),
        room.floor.clone().map(|f| format!("floor {f}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        {if level == 2 {
            view! { <h2>{room.name.clone()}</h2> }.into_any()
        } else {
            view! { <h3>{room.name.clone()}</h3> }.into_any()
        }}
        <p class="place">{place}</p>
        <dl>
            <dt>"Seats"</dt>
            <dd>{room.capacity.map(|c| c.to_string()).unwrap_or_else(|| "unknown".into())}</dd>
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
