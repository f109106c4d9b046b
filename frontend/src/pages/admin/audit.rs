//! `/admin/audit`: what admins, employees and Roombook did, in words, with filters.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use roombook_shared::{AUDIT_KINDS, AuditFilter};

use crate::api::get_audit_log;
use crate::components::{loading, problem};
use crate::layouts::AdminNav;

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = query.with_untracked(|q| AuditFilter {
        kind: q.get("kind").unwrap_or_default(),
        who: q.get("who").unwrap_or_default(),
        date: q.get("date").unwrap_or_default(),
    });
    let entries = {
        let filter = filter.clone();
        Resource::new(
            || (),
            move |_| {
                let filter = filter.clone();
                async move { get_audit_log(filter).await }
            },
        )
    };
    let filtered = !(filter.kind.is_empty() && filter.who.is_empty() && filter.date.is_empty());
    view! {
        <Title text="Audit log · Admin" />
        <h1>"Audit log"</h1>
        <AdminNav current="/admin/audit" />
        <form method="get" action="/admin/audit" class="filters" role="search" aria-label="Filter the audit log">
            <div class="field">
                <label for="a-kind">"Kind"</label>
                <select id="a-kind" name="kind">
                    <option value="">"Everything"</option>
                    {AUDIT_KINDS.iter().map(|(code, label)| view! {
                        <option value=*code selected=filter.kind == *code>{*label}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="a-who">"Person (name or address)"</label>
                <input id="a-who" name="who" type="search" maxlength="200" value=filter.who.clone() />
            </div>
            <div class="field narrow">
                <label for="a-date">"Day (UTC)"</label>
                <input id="a-date" name="date" type="date" value=filter.date.clone() />
            </div>
            <button type="submit" class="button primary">"Show"</button>
            {filtered.then(|| view! { <a href="/admin/audit">"Show everything"</a> })}
        </form>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match entries.await {
                    Err(m) => problem(m),
                    Ok(list) if list.is_empty() && filtered => view! { <p class="empty" role="status">"Nothing matches these filters."</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"Nothing recorded yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <p class="hint">"The newest first; filters look through the latest 2,000 entries and show up to 200."</p>
                        <table class="table" data-testid="audit-log">
                            <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"On"</th><th scope="col">"Details"</th></tr></thead>
                            <tbody>{list.into_iter().map(|e| view! {
                                <tr>
                                    <td>{e.at}</td>
                                    <td>{e.actor}</td>
                                    <td>{e.what} <br /><code class="hint">{e.action}</code></td>
                                    <td>{e.target}</td>
                                    <td>{e.detail}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
