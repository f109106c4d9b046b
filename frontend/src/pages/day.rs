//! `/day`: every room's day at a glance; a free half-hour books it.

use leptos::prelude::*;
use leptos_meta::Title;
use roombook_shared::{DayGrid, FinderRequest, RoomChoices};

use crate::api::{get_day_grid, get_room_choices};
use crate::components::{
    FormQuery, LiveAnswer, RoomFilters, finder_request, finder_request_in_url, live_filter,
    loading, problem,
};
use crate::error::ServiceError;

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `/day`: every matching room by half hours; a free cell is one click from booking. Rendered
/// on the server; the form and the grid are the [`Day`] island.
#[component]
pub fn DayPage() -> impl IntoView {
    let request = finder_request_in_url();
    let page = Resource::new(
        || (),
        move |_| {
            let request = request.clone();
            async move {
                let choices = get_room_choices(request.time_zone.clone()).await?;
                let request = if request.date.trim().is_empty() {
                    FinderRequest {
                        date: choices.today.clone(),
                        ..request
                    }
                } else {
                    request
                };
                let first = get_day_grid(request.clone()).await;
                Ok::<_, ServiceError>((choices, request, first))
            }
        },
    );
    view! {
        <Title text="Day view" />
        <h1>"Day view"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok((choices, request, first)) => view! { <Day choices request first /> }.into_any(),
                    Err(message) => problem(message, "/day"),
                }
            })}
        </Suspense>
    }
}

/// The day's filters and grid, which follows them as the person types.
#[island]
fn Day(
    choices: RoomChoices,
    request: FinderRequest,
    first: Result<DayGrid, ServiceError>,
) -> impl IntoView {
    let live = LiveAnswer::new(first);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let on_input = live_filter("/day", form_ref, move |fields: FormQuery| {
        let request = finder_request(|k| fields.get(k), |k| fields.get_all(k));
        live.search(get_day_grid(request));
    });
    // Built once, from the address it was opened with (see the finder).
    view! {
        <form method="get" action="/day" class="filters" role="search" node_ref=form_ref on:input=on_input.clone() on:change=on_input>
            <div class="field narrow">
                <label for="d-date">"Date"</label>
                <input id="d-date" name="date" type="date" required value=request.date.clone() />
            </div>
            <RoomFilters choices=choices.clone() request=request.clone() />
            <button type="submit" class="button primary">"Show"</button>
        </form>
        <p class="loading" role="status" hidden=move || !live.searching.get()>"Asking Exchange for the day’s bookings…"</p>
        {move || match live.answer.get() {
            Ok(grid) => view! { <Grid grid /> }.into_any(),
            Err(message) => problem(message, "/day"),
        }}
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
