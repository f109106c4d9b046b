//! `/bookings`: the person's upcoming bookings with their rooms' answers.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use roombook_shared::BookingView;

use crate::api::get_my_bookings;
use crate::components::problem;
use crate::components::{loading, status_class};

#[component]
pub fn BookingsPage() -> impl IntoView {
    let bookings = Resource::new(|| (), |_| async { get_my_bookings().await });
    view! {
        <Title text="My bookings" />
        <h1>"My bookings"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match bookings.await {
                    Ok(list) => view! { <BookingList list /> }.into_any(),
                    Err(error) => problem(error),
                }
            })}
        </Suspense>
    }
}

#[component]
fn BookingList(list: Vec<BookingView>) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <div class="empty" role="status">
                <p><strong>"You have no upcoming bookings."</strong></p>
                <p><a class="button primary" href="/find">"Find a room"</a></p>
            </div>
        }
        .into_any();
    }
    let waiting = list.iter().any(|b| b.status.is_open());
    view! {
        {waiting.then(|| view! { <Meta http_equiv="refresh" content="10" /> })}
        <ul class="bookings" data-testid="my-bookings">
            {list.into_iter().map(|b| {
                let href = format!("/bookings/{}", b.id);
                view! {
                    <li class="room" data-status=b.status.as_str()>
                        <h2><a href=href>{b.subject.clone()}</a></h2>
                        <p>{b.when.clone()} " · " {b.room_name.clone()} " " <span class="hint">{b.room_place.clone()}</span></p>
                        <p><span class=status_class(b.status)>{b.status.label()}</span></p>
                        {b.reason.clone().map(|r| view! { <p class="hint">{r}</p> })}
                    </li>
                }
            }).collect_view()}
        </ul>
        <p><a href="/find">"Book another room"</a></p>
    }
    .into_any()
}
