//! Pieces every page shares.

use leptos::prelude::*;

use crate::error::ServiceError;

/// A failed load as a sentence (announced), with a sign-in link that comes back to
/// `return_to` when signing in is what is missing.
pub fn problem(error: ServiceError, return_to: &str) -> AnyView {
    let href = format!(
        "/auth/signin?return_to={}",
        form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()
    );
    let needs_sign_in = error.needs_sign_in();
    view! {
        <div class="empty" role="alert">
            <p class="error">{error.to_string()}</p>
            {needs_sign_in.then(|| view! {
                <p><a class="button primary" rel="external" href=href>"Sign in"</a></p>
            })}
        </div>
    }
    .into_any()
}
