//! The admin section inside the employee shell: its layout, the administration menu each
//! admin page shows under its heading, and the connection wizard's steps.

use leptos::prelude::*;
use leptos_router::components::Outlet;

/// The admin pages' part of the route tree (`/admin/…`), inside the employee shell.
#[component]
pub fn AdminLayout() -> impl IntoView {
    view! {
        <div class="admin">
            <Outlet />
        </div>
    }
}

/// The administration menu; `current` is the page it is shown on.
#[component]
pub fn AdminNav(current: &'static str) -> impl IntoView {
    let items = [
        ("/admin", "Overview"),
        ("/admin/connect/status", "Connection"),
        ("/admin/rooms", "Rooms"),
        ("/admin/people", "People"),
        ("/admin/audit", "Audit log"),
    ];
    view! {
        <nav class="subnav" aria-label="Administration">
            <ul>
                {items.into_iter().map(|(href, label)| {
                    let here = href == current;
                    view! {
                        <li><a href=href aria-current=here.then_some("page")>{label}</a></li>
                    }
                }).collect_view()}
            </ul>
        </nav>
    }
}

/// Where the admin is in the wizard.
#[component]
pub fn Steps(current: u8) -> impl IntoView {
    let steps = [
        (1, "Choose Exchange", "/admin/connect"),
        (2, "Connection details", "/admin/connect"),
        (3, "Check", "/admin/connect/status"),
        (4, "Import rooms", "/admin/rooms"),
    ];
    view! {
        <ol class="steps" aria-label="Progress">
            {steps.into_iter().map(|(n, label, _)| {
                let state = if n < current { "done" } else if n == current { "current" } else { "todo" };
                view! {
                    <li class=state aria-current=(n == current).then_some("step")>
                        <span class="step-n">{n}</span> " " {label}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}
