//! `/admin/people`: who may sign in and who is an admin; the organisation's own sign-in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use roombook_shared::Person;

use crate::api::{get_people, get_sign_in_settings};
use crate::components::{Csrf, FlashError, loading, problem, use_flash};
use crate::flash::Flash;
use crate::layouts::AdminNav;

#[component]
fn PersonRow(person: Person) -> impl IntoView {
    let (role, label) = if person.is_admin {
        ("employee", "Remove admin role")
    } else {
        ("admin", "Make admin")
    };
    view! {
        <tr>
            <td>{person.name.clone()}</td>
            <td>{person.email.clone()}</td>
            <td>{if person.is_admin { "Administrator" } else { "Employee" }}</td>
            <td>{person.last_seen.clone()}</td>
            <td>
                <form method="post" action=format!("/admin/people/{}/role", person.id)>
                    <Csrf />
                    <input type="hidden" name="role" value=role />
                    <button type="submit" class="button small">{label}</button>
                </form>
            </td>
        </tr>
    }
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    // One flash for the page: the role form's refusal and the sign-in form's.
    let flash = use_flash("/admin/people");
    let people = Resource::new(|| (), |_| async { get_people().await });
    view! {
        <Title text="People · Admin" />
        <h1>"People"</h1>
        <AdminNav current="/admin/people" />
        <FlashError flash key="error" />
        <p class="hint">"Everyone who has signed in. Administrators connect Exchange, manage rooms and name other administrators."</p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match people.await {
                    Err(m) => problem(m),
                    Ok(list) => view! {
                        <table class="table">
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Last seen"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>{list.into_iter().map(|person| view! { <PersonRow person /> }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
        <SignInSection flash />
    }
}

/// The organisation's own sign-in provider (ADFS, …).
#[component]
fn SignInSection(flash: Resource<Flash>) -> impl IntoView {
    let query = use_query_map();
    let settings = Resource::new(|| (), |_| async { get_sign_in_settings().await });
    view! {
        <section class="panel" id="sign-in" aria-labelledby="sign-in-h">
            <h2 id="sign-in-h">"Sign-in"</h2>
            <FlashError flash key="sign_in_error" />
            {move || query.read().get("sign_in_saved").map(|_| view! { <p class="notice" role="status">"Saved."</p> })}
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match settings.await {
                        Err(m) => problem(m),
                        Ok(s) => {
                            let typed = flash.await;
                            let typed_issuer = typed.get("issuer");
                            let typed_client = typed.get("client_id");
                            let issuer = typed_issuer.or(s.issuer.clone()).unwrap_or_default();
                            let client_id = typed_client.or(s.client_id.clone()).unwrap_or_default();
                            let own = s.issuer.is_some();
                            view! {
                                {if own {
                                    view! {
                                        <p>"People of this organisation sign in with its own provider at this link: "
                                           <code>{s.sign_in_link.clone()}</code></p>
                                    }.into_any()
                                } else {
                                    view! { <p>"People sign in with the server's provider (Microsoft Entra ID work accounts). If your organisation uses its own OpenID Connect provider (such as ADFS), enter it here."</p> }.into_any()
                                }}
                                <form method="post" action="/admin/sign-in" class="form">
                                    <Csrf />
                                    <div class="field"><label for="issuer">"Issuer"</label>
                                        <input id="issuer" name="issuer" type="url" value=issuer placeholder="https://adfs.contoso.com/adfs" /></div>
                                    <div class="field"><label for="client_id">"Client id"</label>
                                        <input id="client_id" name="client_id" value=client_id /></div>
                                    <div class="field"><label for="client_secret">"Client secret"</label>
                                        <input id="client_secret" name="client_secret" type="password" autocomplete="new-password" aria-describedby="secret-hint" />
                                        <p class="hint" id="secret-hint">{if s.has_secret { "Stored in the secret store. Leave empty to keep it." } else { "Optional. Stored in the secret store only." }}</p></div>
                                    <p class="hint">"Register this redirect URI at the provider: " <code>{s.redirect_uri.clone()}</code></p>
                                    <div class="actions">
                                        <button type="submit" class="button primary">"Check and save"</button>
                                        {own.then(|| view! { <button type="submit" name="remove" value="1" class="button">"Use the server's provider again"</button> })}
                                    </div>
                                </form>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}
