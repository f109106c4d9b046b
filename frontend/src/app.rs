//! The HTML shell, the layout and the routes.

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode, StaticSegment,
    components::{A, Route, Router, Routes},
};

use crate::pages::{AdminPage, BookingsPage, NotFound, RoomsPage, SignInPage};

/// The whole document, rendered on the server around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="roombook-css" href="/pkg/roombook.css" />
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Meta name="color-scheme" content="light dark" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Roombook".to_owned() } else { format!("{page} · Roombook") }
        } />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="topbar">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"▣"</span>
                    " Roombook"
                </A>
                <nav aria-label="Main">
                    <ul>
                        <li><A href="/" exact=true>"Rooms"</A></li>
                        <li><A href="/bookings">"My bookings"</A></li>
                        <li><A href="/admin">"Admin"</A></li>
                    </ul>
                </nav>
                <A href="/signin" attr:class="signin">"Sign in"</A>
            </header>
            // `Async` rendering: the server waits for the data, so every page is complete HTML
            // for browsers without JavaScript (old door tablets, screen readers, strict policies).
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=RoomsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("bookings") view=BookingsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("admin") view=AdminPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("signin") view=SignInPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="footer">
                <p>"Roombook · meeting rooms on Microsoft Exchange"</p>
            </footer>
        </Router>
    }
}
