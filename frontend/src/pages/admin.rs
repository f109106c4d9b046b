use leptos::prelude::*;
use leptos_meta::Title;
use roombook_shared::{ConnectionState, TenantOverview};

use crate::api::{error_text, get_tenant_overview};

#[component]
pub fn AdminPage() -> impl IntoView {
    let overview = Resource::new(
        || (),
        |_| async { get_tenant_overview().await.map_err(|e| error_text(&e)) },
    );
    view! {
        <Title text="Admin" />
        <h1>"Admin"</h1>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! { <Overview overview=o /> }.into_any(),
                    Err(message) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Overview(overview: TenantOverview) -> impl IntoView {
    let connection = match overview.connection {
        ConnectionState::NotConnected => view! {
            <p class="badge neutral">"Not connected"</p>
            <p>
                "This organisation is not connected to Exchange yet. Connecting it (Exchange "
                "Online with admin consent, or Exchange Server with a service account) lets "
                "Roombook import rooms and read and write their calendars."
            </p>
        }
        .into_any(),
        ConnectionState::Healthy { last_success } => view! {
            <p class="badge ok">"Healthy"</p>
            <p>"Last successful check: " {last_success}</p>
        }
        .into_any(),
        ConnectionState::Failing { problem, since } => view! {
            <p class="badge bad">"Failing"</p>
            <p>{problem}</p>
            <p>"Since " {since}</p>
        }
        .into_any(),
    };
    view! {
        <section class="panel" aria-labelledby="org-h">
            <h2 id="org-h">{overview.tenant_name}</h2>
            <h3>"Exchange connection"</h3>
            {connection}
        </section>
        <section class="panel" aria-labelledby="rooms-h">
            <h2 id="rooms-h">"Rooms"</h2>
            <p>
                {overview.rooms_active} " active, " {overview.rooms_inactive} " inactive."
            </p>
        </section>
    }
}
