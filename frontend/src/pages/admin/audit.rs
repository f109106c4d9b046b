//! `/admin/audit`: what admins and Roombook did.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::get_audit_log;
use crate::components::{loading, problem};
use crate::layouts::AdminNav;

#[component]
pub fn AuditPage() -> impl IntoView {
    let entries = Resource::new(|| (), |_| async { get_audit_log().await });
    view! {
        <Title text="Audit log · Admin" />
        <h1>"Audit log"</h1>
        <AdminNav current="/admin/audit" />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match entries.await {
                    Err(m) => problem(m),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"Nothing recorded yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table">
                            <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th><th scope="col">"On"</th><th scope="col">"Details"</th></tr></thead>
                            <tbody>{list.into_iter().map(|e| view! {
                                <tr><td>{e.at}</td><td>{e.actor}</td><td><code>{e.action}</code></td><td>{e.target}</td><td>{e.detail}</td></tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
