//! `/admin/rooms`: import the rooms, and each room's details and rules.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use roombook_shared::AdminRoom;

use crate::api::get_admin_rooms;
use crate::components::{Csrf, FlashError, loading, problem, use_flash};
use crate::flash::Flash;
use crate::layouts::AdminNav;

/// One room's form. After a refused save, `draft` holds what was typed and which field was
/// wrong: every value comes back as typed, and the sentence stands beside its field, which has
/// the focus (so the page opens at the problem, and a screen reader reads it).
#[component]
fn RoomEditor(room: AdminRoom, highlighted: bool, draft: Option<Flash>) -> impl IntoView {
    let id = room.id.clone();
    let anchor = format!("room-{id}");
    let field_id = {
        let id = id.clone();
        move |name: &str| format!("{name}-{id}")
    };
    let draft = draft.unwrap_or_default();
    let bad_field = draft.get("room_error_field").unwrap_or_default();
    let sentence = draft.get("room_error").unwrap_or_default();
    let typed = |name: &str, saved: String| draft.get(name).unwrap_or(saved);
    let checked = |name: &str, saved: bool| draft.get(name).map(|v| v == "1").unwrap_or(saved);
    // One text field: its label, the value to show, and its error if it is the wrong one.
    let text_field = {
        let (bad_field, sentence, field_id) =
            (bad_field.clone(), sentence.clone(), field_id.clone());
        move |name: &'static str, label: &'static str, value: String, numeric: bool| {
            let input_id = field_id(name);
            let error_id = format!("{input_id}-error");
            let wrong = !sentence.is_empty() && bad_field == name;
            view! {
                <div class="field">
                    <label for=input_id.clone()>{label}</label>
                    <input id=input_id name=name value=value inputmode=numeric.then_some("numeric")
                        maxlength=(name == "time_zone").then_some("64")
                        aria-invalid=wrong.then_some("true") aria-describedby=wrong.then(|| error_id.clone()) autofocus=wrong />
                    {wrong.then(|| view! { <p class="error" id=error_id role="alert" data-testid="room-error">{sentence.clone()}</p> })}
                </div>
            }
        }
    };
    let form_error = (!sentence.is_empty()
        && ![
            "capacity",
            "building",
            "floor",
            "equipment",
            "booking_window_days",
            "max_duration_minutes",
            "time_zone",
        ]
        .contains(&bad_field.as_str()))
    .then(|| view! { <p class="error" role="alert" tabindex="-1" autofocus data-testid="room-error">{sentence.clone()}</p> });
    view! {
        <details class="room-editor" id=anchor open=highlighted>
            <summary>
                <strong>{room.name.clone()}</strong> " · " {room.email.clone()}
                <span class="hint">
                    {room.building.clone().map(|b| format!(" · {b}")).unwrap_or_default()}
                    {room.floor.clone().map(|f| format!(", floor {f}")).unwrap_or_default()}
                    {room.capacity.map(|c| format!(" · {c} seats")).unwrap_or_else(|| " · capacity unknown".into())}
                </span>
                {(!room.active).then(|| view! { " " <span class="badge neutral">"inactive"</span> })}
                {room.edited.then(|| view! { " " <span class="badge neutral">"edited"</span> })}
            </summary>
            <form method="post" action=format!("/admin/rooms/{}", room.id) class="form grid">
                <Csrf />
                {form_error}
                {text_field("capacity", "Capacity (seats)", typed("capacity", room.capacity.map(|c| c.to_string()).unwrap_or_default()), true)}
                {text_field("building", "Building", typed("building", room.building.clone().unwrap_or_default()), false)}
                {text_field("floor", "Floor", typed("floor", room.floor.clone().unwrap_or_default()), false)}
                {text_field("equipment", "Equipment (comma-separated)", typed("equipment", room.equipment.join(", ")), false)}
                {text_field("booking_window_days", "Booking window (days ahead)", typed("booking_window_days", room.booking_window_days.map(|c| c.to_string()).unwrap_or_default()), true)}
                {text_field("max_duration_minutes", "Maximum duration (minutes)", typed("max_duration_minutes", room.max_duration_minutes.map(|c| c.to_string()).unwrap_or_default()), true)}
                <label class="check"><input type="checkbox" name="wheelchair_accessible" value="1" checked=checked("wheelchair_accessible", room.wheelchair_accessible) /> " Wheelchair accessible"</label>
                {text_field("time_zone", "Time zone (if not the organisation’s, e.g. Europe/Berlin)", typed("time_zone", room.time_zone.clone().unwrap_or_default()), false)}
                <label class="check"><input type="checkbox" name="display_subjects" value="1" checked=checked("display_subjects", room.display_subjects) /> " Door displays may show meeting subjects"</label>
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
                let draft = flash.await;
                let open = draft.get("room").unwrap_or_else(|| saved.clone());
                match rooms.await {
                    Err(m) => problem(m),
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
                                let draft = (highlighted && draft.has("room_error")).then(|| draft.clone());
                                view! { <RoomEditor room highlighted draft /> }
                            }).collect_view()}
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
