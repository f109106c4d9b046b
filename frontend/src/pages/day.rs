//! `/day`: every room's day at a glance; a free half-hour books it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use roombook_shared::{DayGrid, FinderRequest};

use crate::api::{get_day_grid, get_room_choices};
use crate::components::{RoomFilters, finder_request, live_filter, loading, problem};

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `/day`: every matching room by half hours; a free cell is one click from booking.
#[component]
pub fn DayPage() -> impl IntoView {
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
    let grid = Resource::new(request, |r| async move {
        let r = if r.date.trim().is_empty() {
            let today = get_room_choices(r.time_zone.clone()).await?.today;
            FinderRequest { date: today, ..r }
        } else {
            r
        };
        get_day_grid(r).await
    });
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let on_input = live_filter("/day", form_ref);
    view! {
        <Title text="Day view" />
        <h1>"Day view"</h1>
        <Suspense fallback=loading>
            {move || { let on_input = on_input.clone(); Suspend::new(async move {
                let choices = match choices.await {
                    Ok(c) => c,
                    Err(message) => return problem(message, "/day"),
                };
                let r = untrack(request);
                let date = if r.date.is_empty() { choices.today.clone() } else { r.date.clone() };
                view! {
                    <form method="get" action="/day" class="filters" role="search" node_ref=form_ref on:input=on_input.clone() on:change=on_input>
                        <div class="field narrow">
                            <label for="d-date">"Date"</label>
                            <input id="d-date" name="date" type="date" required value=date />
                        </div>
                        <RoomFilters choices=choices.clone() request=r.clone() />
                        <button type="submit" class="button primary">"Show"</button>
                    </form>
                }.into_any()
            })}}
        </Suspense>
        <Transition fallback=|| view! { <p class="loading" role="status">"Asking Exchange for the day’s bookings…"</p> }>
            {move || Suspend::new(async move {
                match grid.await {
                    Ok(g) => view! { <Grid grid=g /> }.into_any(),
                    Err(message) => problem(message, "/day"),
                }
            })}
        </Transition>
    }
}

#[component]
fn Grid(grid: DayGrid) -> impl IntoView {
    let tz = grid.time_zone.clone();
    let day_link = |date: &str| format!("/day?date={date}&tz={}", urlencode(&tz));
    if grid.rows.is_empty() {
        return view! {
            <div class="empty" role="status">
                <p><strong>"No rooms match."</strong></p>
                <p>"Try fewer filters."</p>
            </div>
        }
        .into_any();
    }
    let slots = grid.slots.clone();
    view! {
        <nav class="actions" aria-label="Days">
            <a class="button small" href=day_link(&grid.previous_date)>"← Previous day"</a>
            <strong>{grid.date_label.clone()}</strong>
            <a class="button small" href=day_link(&grid.next_date)>"Next day →"</a>
            <span class="hint">"Times in " {grid.time_zone.clone()}</span>
        </nav>
        <div class="grid-scroll" tabindex="0" role="region" aria-label="Rooms by half hour">
            <table class="grid" data-testid="day-grid">
                <caption class="visually-hidden">{format!("Rooms by half hour on {}; free cells link to booking", grid.date_label)}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Room"</th>
                        {slots.iter().map(|s| view! { <th scope="col">{s.label.clone()}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {grid.rows.into_iter().map(|row| {
                        let seats = row.room.capacity.map(|c| format!("{c} seats")).unwrap_or_default();
                        let cells = if row.free.is_empty() {
                            view! { <td colspan=slots.len() class="unknown">"Exchange could not say whether this room is free."</td> }.into_any()
                        } else {
                            row.free.iter().zip(slots.iter()).map(|(free, slot)| {
                                if *free {
                                    let href = format!(
                                        "/book?room={}&date={}&start={}&minutes=30&tz={}",
                                        row.room.id, grid.date, slot.time, urlencode(&tz)
                                    );
                                    let label = format!("Book {} at {}", row.room.name, slot.label);
                                    view! { <td class="free"><a href=href aria-label=label.clone() title=label>"Free"</a></td> }.into_any()
                                } else {
                                    view! { <td class="busy"><span aria-label=format!("{} busy at {}", row.room.name, slot.label)>"Busy"</span></td> }.into_any()
                                }
                            }).collect_view().into_any()
                        };
                        view! {
                            <tr>
                                <th scope="row">{row.room.name.clone()} " " <span class="hint">{seats}</span></th>
                                {cells}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
