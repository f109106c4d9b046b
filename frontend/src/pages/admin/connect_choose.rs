//! `/admin/connect`: the wizard's first step, Exchange Online or Exchange Server.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::get_setup_options;
use crate::components::{loading, problem};
use crate::layouts::Steps;

/// Step 1: which Exchange.
#[component]
pub fn ConnectChoosePage() -> impl IntoView {
    let options = Resource::new(|| (), |_| async { get_setup_options().await });
    view! {
        <Title text="Connect to Exchange" />
        <h1>"Connect to Exchange"</h1>
        <Steps current=1 />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match options.await {
                    Err(m) => problem(m),
                    Ok(o) => view! {
                        <div class="choices">
                            <section class="panel choice">
                                <h2>"Exchange Online (Microsoft 365)"</h2>
                                <p>"You grant Roombook's app access as a Microsoft 365 administrator. No password is shared."</p>
                                <p class="hint">"Exchange Online blocks EWS from October 2026 unless your tenant allow-lists the app, and switches EWS off on 1 April 2027."</p>
                                {if o.online_available {
                                    view! { <p><a class="button primary" href="/admin/connect/online">"Use Exchange Online"</a></p> }.into_any()
                                } else {
                                    view! { <p class="notice">"Not available on this server: the operator has not configured Roombook's app (exchange_online.client_id and certificate_file)."</p> }.into_any()
                                }}
                            </section>
                            <section class="panel choice">
                                <h2>"Exchange Server (on premises)"</h2>
                                <p>"A service account with the ApplicationImpersonation role. Its password is kept in the secret store, never in Roombook's database."</p>
                                <p><a class="button primary" href="/admin/connect/onprem">"Use Exchange Server"</a></p>
                            </section>
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
