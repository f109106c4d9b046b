//! The kiosk shell: what a door display shows around its page. No top bar, no navigation and
//! no footer: a tablet by the door shows one room, full screen, and nobody signs in on it.
//! The displays' routes go under a `ParentRoute` with this view in `app.rs`.

use leptos::prelude::*;
use leptos_router::components::Outlet;

#[component]
pub fn KioskLayout() -> impl IntoView {
    view! {
        <main id="main" class="kiosk" tabindex="-1">
            <Outlet />
        </main>
    }
}
