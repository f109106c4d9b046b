//! The CSRF field every state-changing form carries: one source, the signed-in session.

use leptos::prelude::*;

use crate::viewer::use_viewer;

/// The hidden CSRF field of the signed-in session.
#[component]
pub fn Csrf() -> impl IntoView {
    let viewer = use_viewer();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let token = viewer.await.map(|v| v.csrf_token).unwrap_or_default();
                view! { <input type="hidden" name="csrf" value=token /> }
            })}
        </Suspense>
    }
}
