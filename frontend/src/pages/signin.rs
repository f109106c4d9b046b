use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::get_setup_options;
use crate::viewer::use_viewer;

/// Why the last sign-in did not work, as the callback reported it: a code of this closed set
/// (the URL is anyone's to write, so an unknown code says nothing).
fn sign_in_problem(code: &str) -> Option<&'static str> {
    Some(match code {
        "not_configured" => {
            "Sign-in is not configured on this Roombook server yet. The operator sets auth.issuer and auth.client_id (see the README)."
        }
        "unreachable" => {
            "Your organisation's sign-in service could not be reached. Try again in a moment."
        }
        "cancelled" => "Sign-in was cancelled.",
        "refused" => {
            "Your organisation's sign-in service did not let you in. Try again, or ask your IT department."
        }
        "expired" => "That sign-in took too long or was already used. Start again.",
        "other_browser" => {
            "That sign-in was started in another browser or tab, so Roombook did not accept it. Start again here."
        }
        "invalid_token" => {
            "Roombook could not verify the answer of your sign-in service. Start again; if it persists, tell your IT department."
        }
        "no_own_provider" => {
            "That organisation signs in with the usual work account. Use the button below."
        }
        "unknown_organisation" => {
            "Your organisation does not use this Roombook server yet. Ask your IT department to set it up."
        }
        "awaiting_admin" => {
            "Your organisation has no Roombook administrator yet, so Roombook cannot let you in. Its set-up is started by a Global, Exchange or Privileged Role Administrator of your Microsoft directory, or by someone your Roombook operator approved; ask your IT department, then sign in again."
        }
        "mailbox_elsewhere" => {
            "Roombook could not confirm that the address your sign-in service gave is your own mailbox in your organisation, so it did not let you in. Ask your IT department."
        }
        "failed" => "Sign-in did not work. Start again.",
        _ => return None,
    })
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let viewer = use_viewer();
    let options = Resource::new(|| (), |_| async { get_setup_options().await.ok() });
    let error = move || query.read().get("error");
    let signed_out = move || query.read().get("signed_out").is_some();
    let return_to = move || query.read().get("return_to").unwrap_or_else(|| "/".into());
    view! {
        <Title text="Sign in" />
        <h1>"Sign in"</h1>
        {move || error().and_then(|code| sign_in_problem(&code)).map(|problem| view! {
            <p class="error" role="alert" tabindex="-1" autofocus>{problem}</p>
        })}
        {move || signed_out().then(|| view! {
            <p class="notice" role="status">"You have signed out."</p>
        })}
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let who = viewer.await;
                let available = options.await.map(|o| o.sign_in_available).unwrap_or(false);
                match (who, available) {
                    (Some(v), _) => view! {
                        <div class="panel">
                            <p>"You are signed in as " <strong>{v.name}</strong> " (" {v.email} "), "
                               {if v.is_admin { "an administrator of " } else { "a member of " }}
                               {v.tenant_name} "."</p>
                            <p><a href="/">"Go to rooms"</a></p>
                        </div>
                    }.into_any(),
                    (None, true) => {
                        let href = format!(
                            "/auth/signin?return_to={}",
                            form_urlencoded::byte_serialize(return_to().as_bytes()).collect::<String>()
                        );
                        view! {
                            <div class="panel">
                                <p>"Sign in with your work account (Microsoft Entra ID, or your organisation's own sign-in service)."</p>
                                <p><a class="button primary" rel="external" href=href>"Sign in with your work account"</a></p>
                                <p class="hint">"A new organisation is set up by a Global, Exchange or Privileged Role Administrator of its Microsoft directory (or someone the Roombook operator approved), who then connects it to Exchange."</p>
                            </div>
                            <OwnProviderForm return_to=return_to() />
                        }.into_any()
                    }
                    (None, false) => view! {
                        <div class="notice" role="status">
                            <p>"Sign-in is not configured on this Roombook server yet."</p>
                            <p>"You can browse the demo organisation's rooms without signing in."</p>
                            <p><a href="/">"Go to rooms"</a></p>
                        </div>
                        <OwnProviderForm return_to=return_to() />
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// For organisations with their own sign-in service (ADFS, …): a plain GET form.
#[component]
fn OwnProviderForm(return_to: String) -> impl IntoView {
    view! {
        <form class="panel form" method="get" action="/auth/signin">
            <h2>"Your organisation has its own sign-in service?"</h2>
            <input type="hidden" name="return_to" value=return_to />
            <div class="field">
                <label for="org">"Organisation's Roombook name"</label>
                <input id="org" name="org" required placeholder="contoso" aria-describedby="org-hint" />
                <p class="hint" id="org-hint">"Your administrator gives you this name, or a sign-in link that includes it."</p>
            </div>
            <button type="submit" class="button">"Continue"</button>
        </form>
    }
}
