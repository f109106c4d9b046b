//! The live filters of the finder, the day grid and the room list: plain GET forms without
//! JavaScript; with it, the page follows the form's fields once the person pauses typing.

use leptos::prelude::*;
use leptos_router::{NavigateOptions, hooks::use_navigate};
use roombook_shared::{FinderRequest, RoomChoices};

/// The finder's fields from the URL.
pub fn finder_request(
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
pub fn follow_form(
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
    for key in ["q", "people", "building", "floor", "minutes", "end", "tz"] {
        if params.get(key).is_some_and(|v| v.is_empty()) {
            params.delete(key);
        }
    }
    let query: String = params.to_string().into();
    let href = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    navigate(
        &href,
        NavigateOptions {
            replace: true,
            scroll: false,
            ..Default::default()
        },
    );
}

/// A date a person has finished typing: `<input type=date>` reports every key of the year as
/// a whole date (0002-12-02, 0020-12-02, 0202-12-02, then 2026-12-02).
pub fn complete_date(value: &str) -> bool {
    let year = value.split('-').next().and_then(|y| y.parse::<i32>().ok());
    roombook_shared::booking::parse_date(value).is_ok()
        && year.is_some_and(|y| (2000..=2200).contains(&y))
}

/// How long the live filters wait after the last key before they search.
pub const TYPING_PAUSE: std::time::Duration = std::time::Duration::from_millis(350);

/// The `input`/`change` handler of a live filter form: follows the form once the person
/// pauses, so typing "12" is one search for 12, not one for 1 and then one for 12.
pub fn live_filter(
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
pub fn RoomFilters(choices: RoomChoices, request: FinderRequest) -> impl IntoView {
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
