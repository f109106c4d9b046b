//! Pieces every page shares.

use leptos::prelude::*;

use crate::error::ServiceError;

/// A failed load as a sentence (announced). Signing in is not a failure but the next step: it
/// is an invitation, whose link comes back to this very page (its address and query) after
/// signing in.
pub fn problem(error: ServiceError) -> AnyView {
    if error.needs_sign_in() {
        let href = format!(
            "/auth/signin?return_to={}",
            form_urlencoded::byte_serialize(here().as_bytes()).collect::<String>()
        );
        return view! {
            <div class="empty invite" data-testid="sign-in-invite">
                <p><strong>"Sign in to continue."</strong></p>
                <p>"Roombook uses your work account. After signing in you come back to this page."</p>
                <p><a class="button primary" rel="external" href=href>"Sign in"</a></p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="empty" role="alert">
            <p class="error">{error.to_string()}</p>
        </div>
    }
    .into_any()
}

/// This page's path and query: from the router while rendering on the server, from the
/// browser's address in an island (which has no router).
fn here() -> String {
    #[cfg(feature = "hydrate")]
    let (path, query) = {
        let location = window().location();
        (
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default(),
        )
    };
    #[cfg(not(feature = "hydrate"))]
    let (path, query) = {
        let location = leptos_router::hooks::use_location();
        (
            location.pathname.get_untracked(),
            location.search.get_untracked(),
        )
    };
    let query = query.trim_start_matches('?');
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}
