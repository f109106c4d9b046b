use leptos::prelude::*;
use leptos_meta::Title;

/// Sign-in placeholder: single sign-on with Entra ID / OpenID Connect replaces it.
#[component]
pub fn SignInPage() -> impl IntoView {
    view! {
        <Title text="Sign in" />
        <h1>"Sign in"</h1>
        <div class="notice" role="status">
            <p>
                "Sign-in with your organisation account (Microsoft Entra ID or your own OpenID "
                "Connect provider) is not available on this server yet."
            </p>
            <p>"You can browse rooms without signing in."</p>
            <p><a href="/">"Go to rooms"</a></p>
        </div>
    }
}
