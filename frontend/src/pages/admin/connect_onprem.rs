//! `/admin/connect/onprem`: Exchange Server, the service account.

use leptos::prelude::*;
use leptos_meta::Title;
use roombook_shared::SetupOptions;

use super::Commands;
use crate::api::{get_connection_health, get_setup_options};
use crate::components::{Csrf, FlashError, loading, problem, use_flash};
use crate::error::ServiceError;
use crate::layouts::Steps;

/// Step 2, Exchange Server: the service account.
#[component]
pub fn ConnectOnPremPage() -> impl IntoView {
    let options: Resource<Result<SetupOptions, ServiceError>> =
        Resource::new(|| (), |_| async { get_setup_options().await });
    // Changing an existing connection starts from what is saved (never the password).
    let current = Resource::new(
        || (),
        |_| async { get_connection_health().await.ok().flatten() },
    );
    let flash = use_flash("/admin/connect/onprem");
    view! {
        <Title text="Exchange Server" />
        <h1>"Connect Exchange Server"</h1>
        <Steps current=2 />
        <FlashError flash key="error" />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let saved = current.await.filter(|h| !h.online);
                let refused = flash.await;
                let from_refusal = refused.has("username");
                let value = |k: &str| -> String {
                    let typed = refused.get(k).unwrap_or_default();
                    match (&saved, from_refusal) {
                        (Some(h), false) => match k {
                            "ews_url" => h.ews_url.clone(),
                            "username" => h.identity.clone(),
                            "check_address" => h.check_address.clone(),
                            "rooms_only" => if h.rooms_only { "1".into() } else { String::new() },
                            _ => typed,
                        },
                        _ => typed,
                    }
                };
                let rooms_only = !value("rooms_only").is_empty();
                match options.await {
                    Err(m) => problem(m),
                    Ok(o) => view! {
                        <form class="panel form" method="post" action="/admin/connect/onprem">
                            <Csrf />
                            <div class="field">
                                <label for="ews_url">"EWS URL"</label>
                                <input id="ews_url" name="ews_url" type="url" value=value("ews_url")
                                    placeholder="https://mail.contoso.com/EWS/Exchange.asmx" aria-describedby="ews-hint" />
                                <p class="hint" id="ews-hint">"Leave empty to find it by Autodiscover from the mailbox address below."</p>
                            </div>
                            <div class="field">
                                <label for="username">"Service account"</label>
                                <input id="username" name="username" required autocomplete="username" value=value("username") placeholder="CONTOSO\\svc-roombook" />
                            </div>
                            <div class="field">
                                <label for="password">"Password"</label>
                                <input id="password" name="password" type="password" autocomplete="new-password" aria-describedby="pw-hint" />
                                <p class="hint" id="pw-hint">"Stored in the secret store only. Leave empty to keep the stored one."</p>
                            </div>
                            <div class="field">
                                <label for="check_address">"Mailbox to check"</label>
                                <input id="check_address" name="check_address" type="email" required value=value("check_address") placeholder="you@contoso.com" aria-describedby="check-hint" />
                                <p class="hint" id="check-hint">"Your own address; with least privilege, a room's."</p>
                            </div>
                            <fieldset>
                                <legend>"Least privilege (optional)"</legend>
                                <label class="check">
                                    <input type="checkbox" name="rooms_only" value="1" checked=rooms_only />
                                    " The account may impersonate room mailboxes only"
                                </label>
                                <p class="hint">"Bookings are then written to room calendars. In the Exchange Management Shell:"</p>
                                <Commands commands=o.rooms_only_commands_onprem.clone() />
                            </fieldset>
                            <button type="submit" class="button primary">"Save and check"</button>
                        </form>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
