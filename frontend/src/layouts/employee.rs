//! The employee shell: the top bar (brand, navigation, who is signed in), the page, the footer.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::viewer::use_viewer;

/// The shell around `children`: for the routes (through [`EmployeeLayout`]) and for the page
/// no route matched.
#[component]
pub fn EmployeeShell(children: Children) -> impl IntoView {
    let viewer = use_viewer();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"▣"</span>
                " Roombook"
            </A>
            <nav aria-label="Main">
                <ul>
                    <li><A href="/find">"Find a room"</A></li>
                    <li><A href="/day">"Day view"</A></li>
                    <li><A href="/" exact=true>"Rooms"</A></li>
                    <li><A href="/bookings">"My bookings"</A></li>
                    // Only admins have anything there: others would find a refusal.
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            viewer.await.filter(|v| v.is_admin).map(|_| view! {
                                <li><A href="/admin">"Admin"</A></li>
                            })
                        })}
                    </Suspense>
                </ul>
            </nav>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match viewer.await {
                        Some(v) => view! {
                            <form class="signout" method="post" action="/auth/signout">
                                <span class="who" title=v.email.clone()>{v.name.clone()}</span>
                                <input type="hidden" name="csrf" value=v.csrf_token.clone() />
                                <button type="submit" class="link">"Sign out"</button>
                            </form>
                        }.into_any(),
                        None => view! {
                            <a href="/signin" class="signin">"Sign in"</a>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </header>
        <main id="main" tabindex="-1">
            {children()}
        </main>
        <footer class="footer">
            <p>"Roombook · meeting rooms on Microsoft Exchange"</p>
        </footer>
    }
}

/// The employee shell around the matched page.
#[component]
pub fn EmployeeLayout() -> impl IntoView {
    view! {
        <EmployeeShell>
            <Outlet />
        </EmployeeShell>
    }
}
