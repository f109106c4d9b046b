//! What a page shows while its data loads.

use leptos::prelude::*;

pub fn loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
}
