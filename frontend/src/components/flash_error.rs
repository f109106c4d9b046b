//! What a form handler left for the page it redirected to (post/redirect/get).

use leptos::prelude::*;

use crate::api::take_flash;
use crate::flash::Flash;

/// The one-time message (and what was typed) a form handler left for this page: never taken
/// from the URL, where anyone can write a sentence into a link.
pub fn use_flash(path: &'static str) -> Resource<Flash> {
    Resource::new(
        || (),
        move |_| async move { take_flash(path.to_owned()).await.unwrap_or_default() },
    )
}

/// A refusal the handler left in the flash under `key`, as an alert that takes the focus when
/// the page loads (`autofocus` works without JavaScript), so a screen reader reads it first and
/// the keyboard continues from it.
#[component]
pub fn FlashError(flash: Resource<Flash>, key: &'static str) -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                flash.await.get(key).map(|m| view! { <p class="error" role="alert" data-testid="flash-error" tabindex="-1" autofocus>{m}</p> })
            })}
        </Suspense>
    }
}
