//! The HTML document, the route tree, and which layout each branch of it uses.

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{ParentRoute, Route, Router, Routes},
};

use crate::layouts::{AdminLayout, EmployeeLayout, EmployeeShell};
use crate::pages::{
    AdminPage, AdminRoomsPage, AuditPage, BookPage, BookingPage, BookingsPage, ConnectChoosePage,
    ConnectOnPremPage, ConnectOnlinePage, ConnectStatusPage, DayPage, FindPage, NotFound,
    PeoplePage, RoomsPage, SignInPage,
};
use crate::viewer::provide_viewer;

/// Tells the server the browser's time zone (a cookie), so times are shown in it. When the
/// cookie is new or the zone changed (a first visit, a laptop that flew to New York) and the
/// address names no zone, the page is fetched again at once, before its body is parsed, so the
/// person never sees times in another zone; once per browser and zone, and never when cookies
/// are refused (the reload would not help).
const TIME_ZONE_COOKIE: &str = "try{var c='tz='+encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone),h=function(){return document.cookie.split('; ').indexOf(c)>=0},n=!h();document.cookie=c+';path=/;max-age=31536000;samesite=lax';if(n&&h()&&!/[?&]tz=/.test(location.search))location.replace(location.href)}catch(e){}";

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
                <HydrationScripts options islands=true />
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
    provide_viewer();
    view! {
        <Stylesheet id="roombook-css" href="/pkg/roombook.css" />
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Meta name="color-scheme" content="light dark" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Roombook".to_owned() } else { format!("{page} · Roombook") }
        } />
        <Router>
            // `Async` rendering: the server waits for the data, so every page is complete HTML
            // for browsers without JavaScript (old door tablets, screen readers, strict policies).
            // Each branch of the tree picks its shell: the employee shell (and the admin
            // section inside it) here; door displays mount their routes under a `ParentRoute`
            // whose view is `KioskLayout`, so they get no navigation and no sign-in.
            <Routes fallback=|| view! { <EmployeeShell><NotFound /></EmployeeShell> }>
                <ParentRoute path=StaticSegment("") view=EmployeeLayout ssr=SsrMode::Async>
                    <Route path=StaticSegment("") view=RoomsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("find") view=FindPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("day") view=DayPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("book") view=BookPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("bookings") view=BookingsPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("bookings"), ParamSegment("id")) view=BookingPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("signin") view=SignInPage ssr=SsrMode::Async />
                    <ParentRoute path=StaticSegment("admin") view=AdminLayout ssr=SsrMode::Async>
                        <Route path=StaticSegment("") view=AdminPage ssr=SsrMode::Async />
                        <Route path=StaticSegment("connect") view=ConnectChoosePage ssr=SsrMode::Async />
                        <Route path=(StaticSegment("connect"), StaticSegment("online")) view=ConnectOnlinePage ssr=SsrMode::Async />
                        <Route path=(StaticSegment("connect"), StaticSegment("onprem")) view=ConnectOnPremPage ssr=SsrMode::Async />
                        <Route path=(StaticSegment("connect"), StaticSegment("status")) view=ConnectStatusPage ssr=SsrMode::Async />
                        <Route path=StaticSegment("rooms") view=AdminRoomsPage ssr=SsrMode::Async />
                        <Route path=StaticSegment("people") view=PeoplePage ssr=SsrMode::Async />
                        <Route path=StaticSegment("audit") view=AuditPage ssr=SsrMode::Async />
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
