//! `/admin/connect/online`: Exchange Online, admin consent for Roombook's app.

use leptos::prelude::*;
use leptos_meta::Title;
use roombook_shared::SetupOptions;

use super::Commands;
use crate::api::get_setup_options;
use crate::components::{Csrf, FlashError, loading, problem, use_flash};
use crate::error::ServiceError;
use crate::layouts::Steps;

/// Step 2, Exchange Online: consent.
#[component]
pub fn ConnectOnlinePage() -> impl IntoView {
    let options: Resource<Result<SetupOptions, ServiceError>> =
        Resource::new(|| (), |_| async { get_setup_options().await });
    let flash = use_flash("/admin/connect/online");
    view! {
        <Title text="Exchange Online" />
        <h1>"Connect Exchange Online"</h1>
        <Steps current=2 />
        <FlashError flash key="error" />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let typed = flash.await;
                let check_address = typed.get("check_address").unwrap_or_default();
                let rooms_only = typed.has("rooms_only");
                match options.await {
                    Err(m) => problem(m),
                    Ok(o) => view! {
                        <form class="panel form" method="post" action="/admin/connect/online">
                            <Csrf />
                            <p>"You will be sent to Microsoft to grant Roombook's app ("
                               <code>{o.client_id.clone().unwrap_or_default()}</code>
                               ") the application permission " <code>"full_access_as_app"</code>
                               " to Exchange Online. Then Roombook opens your own mailbox's calendar to prove the connection works."</p>
                            <fieldset>
                                <legend>"Least privilege (optional)"</legend>
                                <label class="check">
                                    <input type="checkbox" name="rooms_only" value="1" checked=rooms_only />
                                    " Limit Roombook to room mailboxes"
                                </label>
                                <p class="hint">"Then Roombook checks a room instead of your mailbox, and writes bookings to room calendars. Run these commands in Exchange Online PowerShell after consent, and remove the full_access_as_app grant in Entra (the two grants add up):"</p>
                                <Commands commands=o.rooms_only_commands_online.clone() />
                                <div class="field">
                                    <label for="check_address">"Room to check (with least privilege)"</label>
                                    <input id="check_address" name="check_address" type="email" value=check_address placeholder="room.alpha@contoso.com" />
                                </div>
                            </fieldset>
                            <button type="submit" class="button primary">"Grant consent at Microsoft"</button>
                        </form>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
