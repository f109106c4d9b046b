//! The date, start and length fields of the finder, the booking form and the change form.

use leptos::prelude::*;

/// Date, start and minutes (and, for the finder, an end time instead of minutes). Each `id`
/// is `{prefix}-date`, `{prefix}-start`, … so a page's labels and tests find them.
#[component]
pub fn TimeFields(
    /// Distinguishes two forms on one page (`f`, `b`, `c`).
    prefix: &'static str,
    date: String,
    start: String,
    minutes: String,
    /// The longest booking the room allows.
    #[prop(default = 1440)]
    max_minutes: u32,
    /// Offers "or end" beside the minutes, with this value.
    #[prop(optional)]
    end: Option<String>,
) -> impl IntoView {
    let id = move |field: &str| format!("{prefix}-{field}");
    view! {
        <div class="field narrow">
            <label for=id("date")>"Date"</label>
            <input id=id("date") name="date" type="date" required value=date />
        </div>
        <div class="field narrow">
            <label for=id("start")>"Start"</label>
            <input id=id("start") name="start" type="time" step="300" required value=start />
        </div>
        <div class="field narrow">
            <label for=id("minutes")>"Minutes"</label>
            <input id=id("minutes") name="minutes" type="number" inputmode="numeric" min="15" max=max_minutes step="5" value=minutes />
        </div>
        {end.map(|end| view! {
            <div class="field narrow">
                <label for=id("end")>"or end"</label>
                <input id=id("end") name="end" type="time" step="300" value=end />
            </div>
        })}
    }
}
