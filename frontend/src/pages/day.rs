//! `/day`: every room's day at a glance; a free half-hour books it.

use leptos::prelude::*;
use leptos_meta::Title;
use roombook_shared::booking::GRID_LENGTHS;
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
                    Err(message) => problem(message),
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
    let live = LiveAnswer::new((request.clone(), first));
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let on_input = live_filter("/day", form_ref, move |fields: FormQuery| {
        let request = finder_request(|k| fields.get(k), |k| fields.get_all(k));
        live.search(async move {
            let grid = get_day_grid(request.clone()).await;
            (request, grid)
        });
    });
    let length = request
        .minutes
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| GRID_LENGTHS.contains(m))
        .unwrap_or(30);
    // Built once, from the address it was opened with (see the finder).
    view! {
        <form method="get" action="/day" class="filters" role="search" node_ref=form_ref on:input=on_input.clone() on:change=on_input>
            <div class="field narrow">
                <label for="d-date">"Date"</label>
                <input id="d-date" name="date" type="date" required value=request.date.clone() />
            </div>
            <div class="field narrow">
                <label for="d-minutes">"Book for"</label>
                <select id="d-minutes" name="minutes">
                    {GRID_LENGTHS.iter().map(|m| view! {
                        <option value=m.to_string() selected=*m == length>{length_words(*m)}</option>
                    }).collect_view()}
                </select>
            </div>
            <RoomFilters choices=choices.clone() request=request.clone() />
            <button type="submit" class="button primary">"Show"</button>
        </form>
        <p class="loading" role="status" hidden=move || !live.searching.get()>"Asking Exchange for the day’s bookings…"</p>
        {move || match live.answer.get() {
            (request, Ok(grid)) => view! { <Grid grid request /> }.into_any(),
            (_, Err(message)) => problem(message),
        }}
    }
}

/// "30 minutes", "1 hour", "1 hour 30 minutes", "2 hours".
fn length_words(minutes: u32) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    let hours = match h {
        0 => String::new(),
        1 => "1 hour".to_owned(),
        h => format!("{h} hours"),
    };
    match (hours.is_empty(), m) {
        (true, m) => format!("{m} minutes"),
        (false, 0) => hours,
        (false, m) => format!("{hours} {m} minutes"),
    }
}

/// The day view's address for `date` and `page` with the filters of `request`.
fn day_href(
    request: &FinderRequest,
    date: &str,
    time_zone: &str,
    minutes: u32,
    page: u32,
) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("date", date);
    if minutes != 30 {
        query.append_pair("minutes", &minutes.to_string());
    }
    for (key, value) in [
        ("people", request.people.as_str()),
        ("building", request.building.as_str()),
        ("floor", request.floor.as_str()),
    ] {
        if !value.trim().is_empty() {
            query.append_pair(key, value.trim());
        }
    }
    for item in request
        .equipment
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        query.append_pair("equipment", item);
    }
    if request.accessible {
        query.append_pair("accessible", "1");
    }
    query.append_pair("tz", time_zone);
    if page > 1 {
        query.append_pair("page", &page.to_string());
    }
    format!("/day?{}", query.finish())
}

/// One page of rooms by half hours. Without JavaScript every free cell is a link in the tab
/// order; with it the table is one tab stop in the grid pattern (arrow keys, Home/End,
/// Ctrl+Home/End, Page Up/Down move between cells; Enter books), so reaching the last room's
/// afternoon is a few keys, not hundreds of Tabs.
#[component]
fn Grid(grid: DayGrid, request: FinderRequest) -> impl IntoView {
    let tz = grid.time_zone.clone();
    if grid.rows.is_empty() {
        return view! {
            <div class="empty" role="status">
                <p><strong>"No rooms match."</strong></p>
                <p>"Try fewer filters."</p>
            </div>
        }
        .into_any();
    }
    let link = {
        let (request, tz, minutes) = (request.clone(), tz.clone(), grid.minutes);
        move |date: &str, page: u32| day_href(&request, date, &tz, minutes, page)
    };
    let slots = grid.slots.clone();
    let (rows, cols) = (grid.rows.len(), slots.len() + 1);
    let table = NodeRef::<leptos::html::Table>::new();
    // Only in the browser (effects do not run on the server): the grid pattern, set up on the
    // rendered table (plain attributes, so the cells need no reactive code each).
    Effect::new(move |_| {
        if let Some(table) = table.get() {
            grid_keyboard_on(&table);
        }
    });
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        let Some(table) = table.get_untracked() else {
            return;
        };
        let Some((r, c)) = active_cell(&table) else {
            return;
        };
        let ctrl = ev.ctrl_key() || ev.meta_key();
        let to = match ev.key().as_str() {
            "ArrowRight" => (r, (c + 1).min(cols - 1)),
            "ArrowLeft" => (r, c.saturating_sub(1)),
            "ArrowDown" => ((r + 1).min(rows - 1), c),
            "ArrowUp" => (r.saturating_sub(1), c),
            "Home" if ctrl => (0, 0),
            "End" if ctrl => (rows - 1, cols - 1),
            "Home" => (r, 0),
            "End" => (r, cols - 1),
            "PageDown" => ((r + 5).min(rows - 1), c),
            "PageUp" => (r.saturating_sub(5), c),
            _ => return,
        };
        ev.prevent_default();
        focus_cell(&table, to);
    };
    let on_focusin = move |ev: web_sys::FocusEvent| {
        if let (Some(table), Some(target)) = (table.get_untracked(), ev.target()) {
            use web_sys::wasm_bindgen::JsCast;
            if let Some(cell) = target.dyn_ref::<web_sys::Element>() {
                make_tab_stop(&table, cell);
            }
        }
    };
    let first = (grid.page - 1) * grid.page_size + 1;
    let last = first + grid.rows.len() as u32 - 1;
    let length = length_words(grid.minutes);
    view! {
        <nav class="actions" aria-label="Days">
            <a class="button small" href=link(&grid.previous_date, 1)>"← Previous day"</a>
            <strong>{grid.date_label.clone()}</strong>
            <a class="button small" href=link(&grid.next_date, 1)>"Next day →"</a>
            <span class="hint">"Times in " {grid.time_zone.clone()} "; a free cell books " {length.clone()} "."</span>
        </nav>
        {(grid.pages > 1).then(|| view! {
            <nav class="actions pages" aria-label="Pages of rooms">
                <span>{format!("Rooms {first}–{last} of {}", grid.matching_rooms)}</span>
                {(grid.page > 1).then(|| view! { <a class="button small" href=link(&grid.date, grid.page - 1)>"← Previous rooms"</a> })}
                {(grid.page < grid.pages).then(|| view! { <a class="button small" href=link(&grid.date, grid.page + 1)>"Next rooms →"</a> })}
                <span class="hint">"Choose a building or floor to see fewer rooms."</span>
            </nav>
        })}
        <div class="grid-scroll" tabindex="0" role="region" aria-label="Rooms by half hour">
            <table class="grid" data-testid="day-grid" node_ref=table aria-describedby="grid-keys" on:keydown=on_keydown on:focusin=on_focusin>
                <caption class="visually-hidden">{format!("Rooms by half hour on {}; free cells link to booking", grid.date_label)}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Room"</th>
                        {slots.iter().map(|s| view! { <th scope="col">{s.label.clone()}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {grid.rows.into_iter().enumerate().map(|(r, row)| {
                        let seats = row.room.capacity.map(|c| format!("{c} seats")).unwrap_or_default();
                        let cells = if row.free.is_empty() {
                            view! { <td colspan=slots.len() class="unknown" data-cell=format!("{r}-1")>"Exchange could not say whether this room is free."</td> }.into_any()
                        } else {
                            row.free.iter().zip(slots.iter()).enumerate().map(|(i, (free, slot))| {
                                let c = i + 1;
                                if *free {
                                    let href = format!(
                                        "/book?room={}&date={}&start={}&minutes={}&tz={}&from=day",
                                        row.room.id, grid.date, slot.time, grid.minutes, urlencode(&tz)
                                    );
                                    let name = format!(": book {} at {} for {length}", row.room.name, slot.label);
                                    view! { <td class="free"><a href=href data-cell=format!("{r}-{c}")>"Free"<span class="visually-hidden">{name}</span></a></td> }.into_any()
                                } else {
                                    let name = format!(": {} at {}", row.room.name, slot.label);
                                    view! { <td class="busy" data-cell=format!("{r}-{c}")>"Busy"<span class="visually-hidden">{name}</span></td> }.into_any()
                                }
                            }).collect_view().into_any()
                        };
                        view! {
                            <tr>
                                <th scope="row" data-cell=format!("{r}-0")>{row.room.name.clone()} " " <span class="hint">{seats}</span></th>
                                {cells}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <p class="hint" id="grid-keys" hidden>"In the grid, arrow keys move between rooms and times; Enter books a free time."</p>
    }
    .into_any()
}

/// Turns the rendered table into one tab stop with the grid pattern: every cell focusable by
/// script, the first time of the first room the tab stop; the scroll box itself leaves the tab
/// order (its cells scroll it), and the keys are explained.
fn grid_keyboard_on(table: &web_sys::HtmlTableElement) {
    let _ = table.set_attribute("role", "grid");
    if let Ok(cells) = table.query_selector_all("[data-cell]") {
        for i in 0..cells.length() {
            if let Some(cell) = cells.item(i).and_then(|n| element(&n)) {
                let _ = cell.set_attribute("tabindex", "-1");
            }
        }
    }
    if let Some(first) = cell_at(table, (0, 1)) {
        let _ = first.set_attribute("tabindex", "0");
    }
    if let Some(scroll) = table.parent_element() {
        let _ = scroll.remove_attribute("tabindex");
    }
    if let Some(keys) = leptos::prelude::document().get_element_by_id("grid-keys") {
        let _ = keys.remove_attribute("hidden");
    }
}

fn element(node: &web_sys::Node) -> Option<web_sys::Element> {
    use web_sys::wasm_bindgen::JsCast;
    node.dyn_ref::<web_sys::Element>().cloned()
}

/// The `(row, column)` of the grid's tab stop.
fn active_cell(table: &web_sys::HtmlTableElement) -> Option<(usize, usize)> {
    let cell = table
        .query_selector("[data-cell][tabindex=\"0\"]")
        .ok()??
        .get_attribute("data-cell")?;
    let (r, c) = cell.split_once('-')?;
    Some((r.parse().ok()?, c.parse().ok()?))
}

/// The cell at `(r, c)`, or in a row Exchange did not answer for, its one cell.
fn cell_at(table: &web_sys::HtmlTableElement, (r, c): (usize, usize)) -> Option<web_sys::Element> {
    [c, 1, 0].into_iter().find_map(|c| {
        table
            .query_selector(&format!("[data-cell=\"{r}-{c}\"]"))
            .ok()
            .flatten()
    })
}

/// Makes the cell `inside` is in the grid's one tab stop.
fn make_tab_stop(table: &web_sys::HtmlTableElement, inside: &web_sys::Element) {
    let Ok(Some(cell)) = inside.closest("[data-cell]") else {
        return;
    };
    if let Ok(Some(previous)) = table.query_selector("[data-cell][tabindex=\"0\"]") {
        let _ = previous.set_attribute("tabindex", "-1");
    }
    let _ = cell.set_attribute("tabindex", "0");
}

/// Moves the focus to the cell at `to` and makes it the tab stop.
fn focus_cell(table: &web_sys::HtmlTableElement, to: (usize, usize)) {
    use web_sys::wasm_bindgen::JsCast;
    let Some(cell) = cell_at(table, to) else {
        return;
    };
    make_tab_stop(table, &cell);
    if let Some(cell) = cell.dyn_ref::<web_sys::HtmlElement>() {
        let _ = cell.focus();
    }
}
