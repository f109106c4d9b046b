//! The HTML shell, the layout and the routes.

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{A, Route, Router, Routes},
};

use roombook_shared::Viewer;

use crate::api::get_viewer;
use crate::pages::{
    AdminPage, AdminRoomsPage, AuditPage, BookPage, BookingPage, BookingsPage, ConnectChoosePage,
    ConnectOnPremPage, ConnectOnlinePage, ConnectStatusPage, DayPage, FindPage, NotFound,
    PeoplePage, RoomsPage, SignInPage,
};

/// The signed-in person (or `None`), loaded once per page and shared through context.
#[derive(Clone, Copy)]
pub struct ViewerResource(pub Resource<Option<Viewer>>);

/// The viewer resource of the page.
pub fn use_viewer() -> Resource<Option<Viewer>> {
    expect_context::<ViewerResource>().0
}

/// Tells the server the browser's time zone (a cookie), so times are shown in it.
const TIME_ZONE_COOKIE: &str = "try{document.cookie='tz='+encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone)+';path=/;max-age=31536000;samesite=lax'}catch(e){}";

/// The whole document, rendered on the server around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // The browser's time zone, for the server's first answer on the next page.
                // Its nonce lets it run under the Content-Security-Policy (see the server's
                // security.rs); Leptos gives its own inline scripts the same one.
                <script nonce=leptos::nonce::use_nonce() inner_html=TIME_ZONE_COOKIE></script>
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
    let viewer = Resource::new(|| (), |_| async { get_viewer().await.ok().flatten() });
    provide_context(ViewerResource(viewer));
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
                        <li><A href="/find">"Find a room"</A></li>
                        <li><A href="/day">"Day view"</A></li>
                        <li><A href="/" exact=true>"Rooms"</A></li>
                        <li><A href="/bookings">"My bookings"</A></li>
                        <li><A href="/admin">"Admin"</A></li>
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
            // `Async` rendering: the server waits for the data, so every page is complete HTML
            // for browsers without JavaScript (old door tablets, screen readers, strict policies).
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=RoomsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("find") view=FindPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("day") view=DayPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("book") view=BookPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("bookings") view=BookingsPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("bookings"), ParamSegment("id")) view=BookingPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("admin") view=AdminPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("connect")) view=ConnectChoosePage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("connect"), StaticSegment("online")) view=ConnectOnlinePage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("connect"), StaticSegment("onprem")) view=ConnectOnPremPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("connect"), StaticSegment("status")) view=ConnectStatusPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("rooms")) view=AdminRoomsPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("people")) view=PeoplePage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("audit")) view=AuditPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("signin") view=SignInPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="footer">
                <p>"Roombook · meeting rooms on Microsoft Exchange"</p>
            </footer>
        </Router>
    }
}
