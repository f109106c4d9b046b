use leptos::prelude::*;
use leptos_meta::Title;

/// My bookings. Booking is its own capability (a later release); until an employee can sign in
/// and book, the page says so plainly instead of showing an empty table.
#[component]
pub fn BookingsPage() -> impl IntoView {
    view! {
        <Title text="My bookings" />
        <h1>"My bookings"</h1>
        <div class="empty" role="status">
            <p><strong>"You have no upcoming bookings."</strong></p>
            <p>"Sign in with your organisation account to book rooms; your bookings will be listed here."</p>
            <p><a href="/">"Browse rooms"</a></p>
        </div>
    }
}
