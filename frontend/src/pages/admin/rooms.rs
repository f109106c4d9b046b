//! `/admin/rooms`: import the rooms, and each room's details and rules.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use roombook_shared::AdminRoom;

use crate::api::get_admin_rooms;
use crate::components::{Csrf, FlashError, loading, problem, use_flash};
use crate::layouts::AdminNav;

#[component]
fn RoomEditor(room: AdminRoom, highlighted: bool) -> impl IntoView {
    let id = room.id.clone();
    let anchor = format!("room-{id}");
    let field = move |name: &str| format!("{name}-{id}");
    view! {
        <details class="room-editor" id=anchor open=highlighted>
            <summary>
                <strong>{room.name.clone()}</strong> " · " {room.email.clone()}
                <span class="hint">
                    {room.building.clone().map(|b| format!(" · {b}")).unwrap_or_default()}
                    {room.floor.clone().map(|f| format!(", floor {f}")).unwrap_or_default()}
                    {room.capacity.map(|c| format!(" · {c} seats")).unwrap_or_else(|| " · capacity not set".into())}
                </span>
                {(!room.active).then(|| view! { " " <span class="badge neutral">"inactive"</span> })}
                {room.edited.then(|| view! { " " <span class="badge neutral">"edited"</span> })}
            </summary>
            <form method="post" action=format!("/admin/rooms/{}", room.id) class="form grid">
                <Csrf />
                <div class="field"><label for=field("capacity")>"Capacity"</label>
                    <input id=field("capacity") name="capacity" inputmode="numeric" value=room.capacity.map(|c| c.to_string()).unwrap_or_default() /></div>
                <div class="field"><label for=field("building")>"Building"</label>
                    <input id=field("building") name="building" value=room.building.clone().unwrap_or_default() /></div>
                <div class="field"><label for=field("floor")>"Floor"</label>
                    <input id=field("floor") name="floor" value=room.floor.clone().unwrap_or_default() /></div>
                <div class="field"><label for=field("equipment")>"Equipment (comma-separated)"</label>
                    <input id=field("equipment") name="equipment" value=room.equipment.join(", ") /></div>
                <div class="field"><label for=field("window")>"Booking window (days ahead)"</label>
                    <input id=field("window") name="booking_window_days" inputmode="numeric" value=room.booking_window_days.map(|c| c.to_string()).unwrap_or_default() /></div>
                <div class="field"><label for=field("max")>"Maximum duration (minutes)"</label>
                    <input id=field("max") name="max_duration_minutes" inputmode="numeric" value=room.max_duration_minutes.map(|c| c.to_string()).unwrap_or_default() /></div>
                <label class="check"><input type="checkbox" name="wheelchair_accessible" value="1" checked=room.wheelchair_accessible /> " Wheelchair accessible"</label>
                <div class="field"><label for=field("tz")>"Time zone (if not the organisation’s, e.g. Europe/Berlin)"</label>
                    <input id=field("tz") name="time_zone" maxlength="64" value=room.time_zone.clone().unwrap_or_default() /></div>
                <label class="check"><input type="checkbox" name="display_subjects" value="1" checked=room.display_subjects /> " Door displays may show meeting subjects"</label>
                <button type="submit" class="button primary">"Save " {room.name.clone()}</button>
            </form>
        </details>
    }
}

#[component]
pub fn AdminRoomsPage() -> impl IntoView {
    let query = use_query_map();
    let rooms = Resource::new(|| (), |_| async { get_admin_rooms().await });
    let flash = use_flash("/admin/rooms");
    view! {
        <Title text="Rooms · Admin" />
        <h1>"Rooms"</h1>
        <AdminNav current="/admin/rooms" />
        <FlashError flash key="error" />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let f = flash.await;
                let n = |k: &str| f.get(k).unwrap_or_default();
                f.has("imported").then(|| view! {
                    <p class="notice" role="status">
                        "Import finished: " {n("imported")} " added, " {n("reactivated")} " active again, "
                        {n("deactivated")} " no longer listed (now inactive), "
                        {n("unchanged")} " unchanged."
                    </p>
                })
            })}
        </Suspense>
        <form method="post" action="/admin/rooms/import" class="actions">
            <Csrf />
            <button type="submit" class="button primary">"Import rooms from Exchange"</button>
            <span class="hint">" New rooms are added, rooms Exchange no longer lists become inactive, and what you edited here is kept."</span>
        </form>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                // `saved` is a room's id: "Saved." only for a room of this list.
                let saved = query.read_untracked().get("saved").unwrap_or_default();
                let open = flash.await.get("room").unwrap_or_else(|| saved.clone());
                match rooms.await {
                    Err(m) => problem(m, "/admin"),
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"No rooms yet. Connect to Exchange, then import rooms."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        {list.iter().any(|r| !saved.is_empty() && r.id == saved).then(|| view! {
                            <p class="notice" role="status">"Saved."</p>
                        })}
                        <p>{list.len()} " rooms. Open one to edit it."</p>
                        <div class="room-editors">
                            {list.into_iter().map(|room| {
                                let highlighted = room.id == open;
                                view! { <RoomEditor room highlighted /> }
                            }).collect_view()}
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
