//! Finding and booking rooms: the finder, the day grid, the booking form, one booking.
//!
//! Without JavaScript every form is a plain GET (finder, grid) or POST (book, change, cancel)
//! form and the server renders the answer. With JavaScript the finder and the grid follow their
//! fields as you type, and the attendee field suggests people from the directory.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_params_map, use_query_map},
};
use roombook_shared::{
    BookingFormData, BookingState, BookingView, DayGrid, FinderRequest, FinderResult, RoomChoices,
    RoomSummary,
};

use crate::api::{
    find_free_rooms, find_people, get_booking, get_booking_form, get_day_grid, get_room_choices,
    take_flash,
};
use crate::components::problem;
use crate::error::ServiceError;
use crate::flash::{BookDraft, Flash};
use crate::pages::admin::loading;

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The finder's fields from the URL.
fn finder_request(
    get: impl Fn(&str) -> String,
    get_all: impl Fn(&str) -> Vec<String>,
) -> FinderRequest {
    FinderRequest {
        date: get("date"),
        start: get("start"),
        minutes: get("minutes"),
        end: get("end"),
        people: get("people"),
        equipment: get_all("equipment").join(","),
        building: get("building"),
        floor: get("floor"),
        accessible: !get("accessible").is_empty(),
        time_zone: get("tz"),
    }
}

/// Replaces the URL's query with the form's fields (live filtering; the page's resources
/// follow the URL, so the server and the browser render the same thing). Only a complete form
/// is a search: a field the browser finds invalid (a number half typed, a required time
/// cleared) or a date whose year is still being typed (0002-…, 0020-…) leaves the URL alone.
fn follow_form(
    path: &'static str,
    form: &web_sys::HtmlFormElement,
    navigate: &impl Fn(&str, NavigateOptions),
) {
    if !form.check_validity() {
        return;
    }
    let Ok(data) = web_sys::FormData::new_with_form(form) else {
        return;
    };
    let Ok(params) = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data) else {
        return;
    };
    if params.get("date").is_some_and(|d| !complete_date(&d)) {
        return;
    }
    // Empty fields say nothing; leave them out of the address.
    for key in ["people", "building", "floor", "minutes", "end", "tz"] {
        if params.get(key).is_some_and(|v| v.is_empty()) {
            params.delete(key);
        }
    }
    let query: String = params.to_string().into();
    navigate(
        &format!("{path}?{query}"),
        NavigateOptions {
            replace: true,
            scroll: false,
            ..Default::default()
        },
    );
}

/// A date a person has finished typing: `<input type=date>` reports every key of the year as
/// a whole date (0002-12-02, 0020-12-02, 0202-12-02, then 2026-12-02).
fn complete_date(value: &str) -> bool {
    let year = value.split('-').next().and_then(|y| y.parse::<i32>().ok());
    roombook_shared::booking::parse_date(value).is_ok()
        && year.is_some_and(|y| (2000..=2200).contains(&y))
}

/// How long the live filters wait after the last key before they search.
const TYPING_PAUSE: std::time::Duration = std::time::Duration::from_millis(350);

/// The `input`/`change` handler of a live filter form: follows the form once the person
/// pauses, so typing "12" is one search for 12, not one for 1 and then one for 12.
fn live_filter(
    path: &'static str,
    form_ref: NodeRef<leptos::html::Form>,
) -> impl Fn(web_sys::Event) + Clone + 'static {
    let navigate = use_navigate();
    let pending = StoredValue::new(None::<TimeoutHandle>);
    move |_| {
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let navigate = navigate.clone();
        let handle = set_timeout_with_handle(
            move || {
                if let Some(form) = form_ref.get_untracked() {
                    follow_form(path, &form, &navigate);
                }
            },
            TYPING_PAUSE,
        )
        .ok();
        pending.set_value(handle);
    }
}

/// The filters both the finder and the day grid have.
#[component]
fn RoomFilters(choices: RoomChoices, request: FinderRequest) -> impl IntoView {
    let wanted: Vec<String> = request
        .equipment
        .split(',')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    view! {
        <div class="field narrow">
            <label for="f-people">"People"</label>
            <input id="f-people" name="people" type="number" inputmode="numeric" min="1" max="10000" value=request.people.clone() />
        </div>
        <div class="field">
            <label for="f-building">"Building"</label>
            <select id="f-building" name="building">
                <option value="">"Any building"</option>
                {choices.buildings.iter().map(|b| {
                    let selected = b.eq_ignore_ascii_case(&request.building);
                    view! { <option value=b.clone() selected=selected>{b.clone()}</option> }
                }).collect_view()}
            </select>
        </div>
        <div class="field narrow">
            <label for="f-floor">"Floor"</label>
            <select id="f-floor" name="floor">
                <option value="">"Any floor"</option>
                {choices.floors.iter().map(|f| {
                    let selected = f.eq_ignore_ascii_case(&request.floor);
                    view! { <option value=f.clone() selected=selected>{f.clone()}</option> }
                }).collect_view()}
            </select>
        </div>
        {(!choices.equipment.is_empty()).then(|| view! {
            <fieldset class="field equipment">
                <legend>"Equipment"</legend>
                {choices.equipment.iter().map(|e| {
                    let checked = wanted.contains(&e.to_lowercase());
                    view! {
                        <label class="check">
                            <input type="checkbox" name="equipment" value=e.clone() checked=checked />
                            {e.clone()}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
        })}
        <label class="check">
            <input type="checkbox" name="accessible" value="1" checked=request.accessible />
            "Wheelchair accessible"
        </label>
        <details class="field zone">
            <summary>"Time zone: " {choices.time_zone.clone()}</summary>
            <label for="f-tz">"Time zone (e.g. Europe/London)"</label>
            <input id="f-tz" name="tz" type="text" maxlength="64" autocomplete="off" value=choices.time_zone.clone() />
        </details>
    }
}

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
                        <div class="field narrow">
                            <label for="f-date">"Date"</label>
                            <input id="f-date" name="date" type="date" required value=date />
                        </div>
                        <div class="field narrow">
                            <label for="f-start">"Start"</label>
                            <input id="f-start" name="start" type="time" step="300" required value=start />
                        </div>
                        <div class="field narrow">
                            <label for="f-minutes">"Minutes"</label>
                            <input id="f-minutes" name="minutes" type="number" inputmode="numeric" min="15" max="1440" step="5" value=minutes />
                        </div>
                        <div class="field narrow">
                            <label for="f-end">"or end"</label>
                            <input id="f-end" name="end" type="time" step="300" value=r.end.clone() />
                        </div>
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

#[component]
fn RoomFacts(room: RoomSummary) -> impl IntoView {
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

/// `/book`: the booking form of one room and slot.
///
/// A link brings the room and the slot (`/book?room=…&date=…&start=…`). A refused form is not a
/// link: the server answers its POST with this page rendered again with a [`BookDraft`] (what
/// was typed, why it was refused), so nothing typed and no message ever comes from the URL.
#[component]
pub fn BookPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    // Only on the server, and only when answering a refused POST; the browser gets it with the
    // page's data.
    let refused = use_context::<BookDraft>();
    let form = Resource::new(
        move || (get("room"), get("tz")),
        move |(room, tz)| {
            let draft = refused.clone();
            async move {
                let (room, alternatives, tz) = match &draft {
                    Some(d) => (d.room.clone(), d.alternatives.clone(), d.tz.clone()),
                    None => (room, String::new(), tz),
                };
                get_booking_form(room, alternatives, tz)
                    .await
                    .map(|data| (data, draft))
            }
        },
    );
    view! {
        <Title text="Book a room" />
        <h1>"Book a room"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (data, draft) = match form.await {
                    Ok(d) => d,
                    Err(message) => return problem(message, "/find"),
                };
                let q = query.get_untracked();
                // From a refused form, everything it had; from a link, the slot only.
                let draft = draft.unwrap_or_else(|| BookDraft {
                    date: q.get("date").unwrap_or_default(),
                    start: q.get("start").unwrap_or_default(),
                    minutes: q.get("minutes").unwrap_or_default(),
                    end: q.get("end").unwrap_or_default(),
                    ..Default::default()
                });
                let key = if draft.key.is_empty() { data.key.clone() } else { draft.key.clone() };
                view! {
                    {(!draft.error.is_empty()).then(|| view! {
                        <div class="notice" role="alert" data-testid="book-error">
                            <p class="error">{draft.error.clone()}</p>
                            {draft.taken.then(|| view! { <p>"Other rooms free then are below the form."</p> })}
                        </div>
                    })}
                    <BookForm data=data.clone() key draft=draft.clone() />
                }.into_any()
            })}
        </Suspense>
    }
}

/// Free rooms offered after the slot was just taken: each a submit button of the form, so what
/// was typed goes along in the POST (never in a link).
#[component]
fn Alternatives(data: BookingFormData) -> impl IntoView {
    if data.alternatives.is_empty() {
        return view! {
            <p>"No similar room is free then. " <a href="/find">"Find another time"</a> "."</p>
        }
        .into_any();
    }
    view! {
        <p>"These rooms are free then:"</p>
        <ul class="alternatives" data-testid="alternatives">
            {data.alternatives.into_iter().map(|room| {
                let seats = room.capacity.map(|c| format!(" ({c} seats)")).unwrap_or_default();
                view! {
                    <li>
                        <button type="submit" name="instead" value=room.id.clone() class="button small">
                            {format!("Book {} instead", room.name)}
                        </button>
                        {seats}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn BookForm(data: BookingFormData, key: String, draft: BookDraft) -> impl IntoView {
    // Suggestions from the directory for the name being typed (with JavaScript).
    let suggestions = RwSignal::new(Vec::<(String, String)>::new());
    let on_attendees = move |ev| {
        let typed = event_target_value(&ev);
        let last = typed
            .rsplit([';', ',', '\n'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if last.chars().count() < 2 || last.contains('@') {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(found) = find_people(last).await {
                suggestions.set(found.into_iter().map(|p| (p.name, p.email)).collect());
            }
        });
    };
    // One length field: an end time in the link (or a refused form) becomes minutes.
    let minutes = roombook_shared::booking::parse_time(&draft.start)
        .ok()
        .and_then(|start| {
            roombook_shared::booking::parse_length(start, &draft.minutes, &draft.end).ok()
        })
        .map(|n| n.to_string())
        .unwrap_or_else(|| draft.minutes.clone());
    let room = data.room.clone();
    let limits = format!(
        "{} can be booked for up to {} minutes, at most {} days ahead.",
        room.name, data.max_minutes, data.window_days
    );
    view! {
        <section class="panel" aria-labelledby="room-h">
            <h2 id="room-h">{room.name.clone()}</h2>
            <RoomFacts room=room.clone() />
            <p class="hint">{limits}</p>
            {data.room_time_zone.clone().map(|z| view! { <p class="hint">"This room keeps the time of " {z} "; the times below are in " {data.time_zone.clone()} "."</p> })}
        </section>
        <form method="post" action="/book" id="book-form" class="panel form" data-testid="book-form">
            <input type="hidden" name="csrf" value=data.csrf.clone() />
            <input type="hidden" name="key" value=key />
            <input type="hidden" name="room" value=room.id.clone() />
            <input type="hidden" name="tz" value=data.time_zone.clone() />
            <div class="filters">
                <div class="field narrow">
                    <label for="b-date">"Date"</label>
                    <input id="b-date" name="date" type="date" required value=draft.date.clone() />
                </div>
                <div class="field narrow">
                    <label for="b-start">"Start"</label>
                    <input id="b-start" name="start" type="time" step="300" required value=draft.start.clone() />
                </div>
                <div class="field narrow">
                    <label for="b-minutes">"Minutes"</label>
                    <input id="b-minutes" name="minutes" type="number" inputmode="numeric" min="15" max=data.max_minutes step="5" value=minutes />
                </div>
            </div>
            <p class="hint">"Times in " {data.time_zone.clone()} "."</p>
            <div class="field">
                <label for="b-subject">"Subject"</label>
                <input id="b-subject" name="subject" type="text" maxlength="255" placeholder=format!("Meeting in {}", room.name) value=draft.subject.clone() />
            </div>
            <div class="field">
                <label for="b-attendees">"Attendees (optional)"</label>
                <textarea id="b-attendees" name="attendees" rows="2" aria-describedby="b-attendees-hint" on:input=on_attendees>{draft.attendees.clone()}</textarea>
                <p class="hint" id="b-attendees-hint">
                    {if data.directory_search { "Names or addresses, separated by semicolons. Names are looked up in your organisation’s directory." } else { "Addresses, separated by semicolons." }}
                </p>
                <ul class="suggestions" aria-live="polite">
                    {move || suggestions.get().into_iter().map(|(name, email)| view! {
                        <li>{name} " <" {email} ">"</li>
                    }).collect_view()}
                </ul>
            </div>
            <div class="field">
                <label for="b-note">"Note (optional)"</label>
                <textarea id="b-note" name="note" rows="3" maxlength="4000">{draft.note.clone()}</textarea>
            </div>
            <div class="actions">
                <button type="submit" class="button primary">"Book " {room.name.clone()}</button>
                <a href="/find">"Back to the finder"</a>
            </div>
            // After the form's own button, so that Enter still books this room.
            {draft.taken.then(|| view! { <Alternatives data=data.clone() /> })}
        </form>
    }
}

/// `/bookings/:id`: one booking, its room's answer, change and cancel.
#[component]
pub fn BookingPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let booking = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        |id| async move {
            // A refused change or cancel left its reason (and the typed time) for this page.
            let flash = take_flash(format!("/bookings/{id}"))
                .await
                .unwrap_or_default();
            get_booking(id).await.map(|b| (b, flash))
        },
    );
    view! {
        <Title text="Booking" />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match booking.await {
                    Ok((b, flash)) => view! { <BookingDetails booking=b flash query /> }.into_any(),
                    Err(message) => view! {
                        <h1>"Booking"</h1>
                        {problem(message, "/bookings")}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

pub(crate) fn status_class(status: BookingState) -> &'static str {
    match status {
        BookingState::Accepted => "badge ok",
        BookingState::Waiting
        | BookingState::Sending
        | BookingState::Unknown
        | BookingState::Cancelled => "badge neutral",
        BookingState::Declined | BookingState::Failed => "badge bad",
    }
}

#[component]
fn BookingDetails(
    booking: BookingView,
    flash: Flash,
    query: Memo<leptos_router::params::ParamsMap>,
) -> impl IntoView {
    // What happened comes from the handler as a code of this closed set, and is said only when
    // it fits the booking (a link can carry any code); a refusal's reason comes from the flash.
    let done = query.get_untracked().get("done").unwrap_or_default();
    let notice = match (done.as_str(), booking.status) {
        ("changed", status) if status != BookingState::Cancelled => {
            Some("The new time was sent to Exchange.")
        }
        ("cancelled", BookingState::Cancelled) => {
            Some("The booking is cancelled: the room is free again and the attendees were told.")
        }
        _ => None,
    };
    let error = flash.get("error").unwrap_or_default();
    let waiting = booking.status.is_open();
    let b = booking.clone();
    let date = flash.get("date").unwrap_or(b.date.clone());
    let start = flash.get("start").unwrap_or(b.start.clone());
    let minutes = flash.get("minutes").unwrap_or(b.minutes.to_string());
    view! {
        // Without JavaScript, a waiting booking refreshes itself until the room answers.
        {waiting.then(|| view! { <Meta http_equiv="refresh" content="5" /> })}
        <h1>{b.subject.clone()}</h1>
        {notice.map(|n| view! { <p class="notice" role="status" data-testid="booking-done">{n}</p> })}
        {(!error.is_empty()).then(|| view! { <p class="notice error" role="alert" data-testid="booking-error">{error.clone()}</p> })}
        <section class="panel" aria-labelledby="status-h">
            <h2 id="status-h" class="visually-hidden">"Status"</h2>
            <p role="status" aria-live="polite" data-testid="booking-status" data-status=b.status.as_str()>
                <span class=status_class(b.status)>{b.status.label()}</span>
                {waiting.then(|| view! { <span class="hint">" · this page refreshes by itself"</span> })}
            </p>
            {b.reason.clone().map(|r| view! { <p data-testid="booking-reason">{r}</p> })}
            <dl class="facts">
                <dt>"Room"</dt>
                <dd>{b.room_name.clone()} " " <span class="hint">{b.room_place.clone()}</span></dd>
                <dt>"When"</dt>
                <dd>{b.when.clone()} " " <span class="hint">{format!("({})", b.time_zone)}</span></dd>
                {b.room_time.clone().map(|t| view! { <dt>"Room’s time"</dt><dd>{t}</dd> })}
                {(!b.attendees.is_empty()).then(|| view! { <dt>"Attendees"</dt><dd>{b.attendees.join(", ")}</dd> })}
                {(!b.note.is_empty()).then(|| view! { <dt>"Note"</dt><dd>{b.note.clone()}</dd> })}
            </dl>
        </section>
        {b.can_change.then(|| {
            let change = format!("/bookings/{}/change", b.id);
            let cancel = format!("/bookings/{}/cancel", b.id);
            view! {
                <form method="post" action=change class="panel" data-testid="change-form">
                    <h2>"Change the time"</h2>
                    <input type="hidden" name="csrf" value=b.csrf.clone() />
                    <input type="hidden" name="tz" value=b.time_zone.clone() />
                    <div class="filters">
                        <div class="field narrow">
                            <label for="c-date">"Date"</label>
                            <input id="c-date" name="date" type="date" required value=date.clone() />
                        </div>
                        <div class="field narrow">
                            <label for="c-start">"Start"</label>
                            <input id="c-start" name="start" type="time" step="300" required value=start.clone() />
                        </div>
                        <div class="field narrow">
                            <label for="c-minutes">"Minutes"</label>
                            <input id="c-minutes" name="minutes" type="number" min="15" max="1440" step="5" value=minutes.clone() />
                        </div>
                        <button type="submit" class="button">"Change time"</button>
                    </div>
                    <p class="hint">"Roombook checks the room is free first; the room answers again and attendees are told."</p>
                </form>
                <form method="post" action=cancel class="panel" data-testid="cancel-form">
                    <h2>"Cancel"</h2>
                    <input type="hidden" name="csrf" value=b.csrf.clone() />
                    <p>"The meeting is cancelled in Exchange: the room is freed and attendees are told."</p>
                    <button type="submit" class="button">"Cancel this booking"</button>
                </form>
            }
        })}
        <p><a href="/bookings">"All my bookings"</a> " · " <a href="/find">"Book another room"</a></p>
    }
}
