//! The live filters of the finder, the day grid and the room list: plain GET forms without
//! JavaScript; with it (each sits in an island), the results follow the form's fields once the
//! person pauses typing, without reloading the page.

use leptos::prelude::*;
use roombook_shared::{FinderRequest, RoomChoices};

/// The finder's fields in the page's address, as the server renders it (the page is not
/// reactive: its islands follow typing).
pub fn finder_request_in_url() -> FinderRequest {
    leptos_router::hooks::use_query_map().with_untracked(|q| {
        finder_request(
            |k| q.get(k).unwrap_or_default(),
            |k| q.get_all(k).unwrap_or_default(),
        )
    })
}

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
        page: get("page"),
    }
}

/// A filter form's fields as they go into the address: empty fields left out (they say nothing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormQuery(Vec<(String, String)>);

impl FormQuery {
    /// The first value of `key`, or empty.
    pub fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of `key` (the equipment check boxes).
    pub fn get_all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// `path?query`, or `path` when no field says anything.
    pub fn href(&self, path: &str) -> String {
        if self.0.is_empty() {
            return path.to_owned();
        }
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.0.iter())
            .finish();
        format!("{path}?{query}")
    }
}

/// The form's fields, once the form is a complete search: a field the browser finds invalid
/// (a number half typed, a required time cleared) or a date whose year is still being typed
/// (0002-…, 0020-…) is not one.
fn complete_form_query(form: &web_sys::HtmlFormElement) -> Option<FormQuery> {
    if !form.check_validity() {
        return None;
    }
    let data = web_sys::FormData::new_with_form(form).ok()?;
    let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(String::from(params.to_string()).as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
    let query = FormQuery(pairs);
    let date = query.get("date");
    (date.is_empty() || complete_date(&date)).then_some(query)
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

/// The `input`/`change` handler of a live filter form (inside an island): once the person
/// pauses typing and the form is complete, the address follows the form and `search` gets its
/// fields. So typing "12" is one search for 12, not one for 1 and then one for 12. The address
/// is replaced, not pushed: Back leaves the page instead of stepping through keystrokes, and a
/// reload or a shared link shows the same search, rendered by the server.
pub fn live_filter(
    path: &'static str,
    form_ref: NodeRef<leptos::html::Form>,
    search: impl Fn(FormQuery) + Clone + 'static,
) -> impl Fn(web_sys::Event) + Clone + 'static {
    let pending = StoredValue::new(None::<TimeoutHandle>);
    move |_| {
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let search = search.clone();
        let handle = set_timeout_with_handle(
            move || {
                let Some(query) = form_ref
                    .get_untracked()
                    .and_then(|form| complete_form_query(&form))
                else {
                    return;
                };
                if let Ok(history) = window().history() {
                    let _ = history.replace_state_with_url(
                        &web_sys::wasm_bindgen::JsValue::NULL,
                        "",
                        Some(&query.href(path)),
                    );
                }
                search(query);
            },
            TYPING_PAUSE,
        )
        .ok();
        pending.set_value(handle);
    }
}

/// What a live filter shows: the answer the server rendered the page with, then the answer to
/// the latest search. An answer that arrives after a newer search began is dropped, so a slow
/// answer to "1" never replaces the answer to "12".
pub struct LiveAnswer<T: Send + Sync + 'static> {
    pub answer: RwSignal<T>,
    /// A search is under way (the page says so, and keeps showing the last answer).
    pub searching: RwSignal<bool>,
    latest: StoredValue<u64>,
}

impl<T: Send + Sync + 'static> Clone for LiveAnswer<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for LiveAnswer<T> {}

impl<T: Send + Sync + 'static> LiveAnswer<T> {
    pub fn new(first: T) -> Self {
        Self {
            answer: RwSignal::new(first),
            searching: RwSignal::new(false),
            latest: StoredValue::new(0),
        }
    }

    /// Starts a search; its answer replaces the shown one unless a newer search began.
    pub fn search(self, answer: impl std::future::Future<Output = T> + 'static) {
        let mine = self.latest.get_value() + 1;
        self.latest.set_value(mine);
        self.searching.set(true);
        leptos::task::spawn_local(async move {
            let value = answer.await;
            if self.latest.get_value() == mine {
                self.answer.set(value);
                self.searching.set(false);
            }
        });
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
