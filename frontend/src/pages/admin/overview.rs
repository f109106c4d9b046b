//! `/admin`: the organisation at a glance and what to do next.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{get_connection_health, get_tenant_overview};
use crate::components::{badge_class, loading, problem};
use crate::layouts::AdminNav;

#[component]
pub fn AdminPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| async { get_tenant_overview().await });
    let health = Resource::new(|| (), |_| async { get_connection_health().await });
    view! {
        <Title text="Admin" />
        <h1>"Admin"</h1>
        <AdminNav current="/admin" />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match (overview.await, health.await) {
                    (Ok(o), Ok(h)) => view! {
                        <section class="panel" aria-labelledby="org-h">
                            <h2 id="org-h">{o.tenant_name}</h2>
                            <h3>"Exchange connection"</h3>
                            {match h {
                                None => view! {
                                    <p class="badge neutral">"Not connected"</p>
                                    <p>"Connect this organisation to Exchange so Roombook can import rooms and book them."</p>
                                    <p><a class="button primary" href="/admin/connect">"Connect to Exchange"</a></p>
                                }.into_any(),
                                Some(h) => view! {
                                    <p class=badge_class(h.status)>{h.status.label()}</p>
                                    <p>{h.explanation.clone()}</p>
                                    {h.expiry_warning.clone().map(|w| view! { <p class="warning" role="alert">{w}</p> })}
                                    <p><a href="/admin/connect/status">"Connection details"</a></p>
                                }.into_any(),
                            }}
                        </section>
                        <section class="panel" aria-labelledby="rooms-h">
                            <h2 id="rooms-h">"Rooms"</h2>
                            <p>{o.rooms_active} " active, " {o.rooms_inactive} " inactive. "
                               <a href="/admin/rooms">"Manage rooms"</a></p>
                        </section>
                    }.into_any(),
                    (Err(m), _) | (_, Err(m)) => problem(m),
                }
            })}
        </Suspense>
    }
}
