//! The admin pages: overview, the connection wizard (choose, details, check, rooms), rooms,
//! people, audit log. Forms post to the server's `/admin/…` handlers, which answer with a
//! redirect back here (post/redirect/get): everything works without JavaScript.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;
use roombook_shared::{AdminRoom, ConnectionHealth, ConnectionStatus, Person, SetupOptions};

use crate::api::{
    get_admin_rooms, get_audit_log, get_connection_health, get_people, get_setup_options,
    get_sign_in_settings, get_tenant_overview, take_flash,
};
use crate::app::use_viewer;
use crate::components::problem;
use crate::error::ServiceError;
use crate::flash::Flash;

/// The one-time message (and what was typed) a form handler left for this page: never taken
/// from the URL, where anyone can write a sentence into a link.
pub(crate) fn use_flash(path: &'static str) -> Resource<Flash> {
    Resource::new(
        || (),
        move |_| async move { take_flash(path.to_owned()).await.unwrap_or_default() },
    )
}

/// A refusal the handler left in the flash under `key`, as an alert.
#[component]
pub(crate) fn FlashError(flash: Resource<Flash>, key: &'static str) -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                flash.await.get(key).map(|m| view! { <p class="error" role="alert" data-testid="flash-error">{m}</p> })
            })}
        </Suspense>
    }
}

pub(crate) fn loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
}

/// The hidden CSRF field of the signed-in session.
#[component]
pub(crate) fn Csrf() -> impl IntoView {
    let viewer = use_viewer();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let token = viewer.await.map(|v| v.csrf_token).unwrap_or_default();
                view! { <input type="hidden" name="csrf" value=token /> }
            })}
        </Suspense>
    }
}

#[component]
fn AdminNav(current: &'static str) -> impl IntoView {
    let items = [
        ("/admin", "Overview"),
        ("/admin/connect/status", "Connection"),
        ("/admin/rooms", "Rooms"),
        ("/admin/people", "People"),
        ("/admin/audit", "Audit log"),
    ];
    view! {
        <nav class="subnav" aria-label="Administration">
            <ul>
                {items.into_iter().map(|(href, label)| {
                    let here = href == current;
                    view! {
                        <li><a href=href aria-current=here.then_some("page")>{label}</a></li>
                    }
                }).collect_view()}
            </ul>
        </nav>
    }
}

/// Where the admin is in the wizard.
#[component]
fn Steps(current: u8) -> impl IntoView {
    let steps = [
        (1, "Choose Exchange", "/admin/connect"),
        (2, "Connection details", "/admin/connect"),
        (3, "Check", "/admin/connect/status"),
        (4, "Import rooms", "/admin/rooms"),
    ];
    view! {
        <ol class="steps" aria-label="Progress">
            {steps.into_iter().map(|(n, label, _)| {
                let state = if n < current { "done" } else if n == current { "current" } else { "todo" };
                view! {
                    <li class=state aria-current=(n == current).then_some("step")>
                        <span class="step-n">{n}</span> " " {label}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

fn badge_class(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Healthy => "badge ok",
        ConnectionStatus::ConsentPending
        | ConnectionStatus::Throttled
        | ConnectionStatus::Unchecked => "badge neutral",
        _ => "badge bad",
    }
}

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
                    (Err(m), _) | (_, Err(m)) => problem(m, "/admin"),
                }
            })}
        </Suspense>
    }
}

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
                    Err(m) => problem(m, "/admin"),
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

#[component]
fn Commands(commands: Vec<String>) -> impl IntoView {
    (!commands.is_empty()).then(|| {
        view! { <pre class="commands"><code>{commands.join("\n")}</code></pre> }
    })
}

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
                    Err(m) => problem(m, "/admin"),
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
                    Err(m) => problem(m, "/admin"),
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

#[component]
fn HealthDetails(h: ConnectionHealth) -> impl IntoView {
    let pending = h.next_check.is_some();
    view! {
        <section class="panel" aria-labelledby="status-h">
            <h2 id="status-h">{h.mode.clone()}</h2>
            <p class=badge_class(h.status) id="connection-status" data-status=h.status.as_str()>{h.status.label()}</p>
            <p class="explanation">{h.explanation.clone()}</p>
            <Commands commands=h.commands.clone() />
            {h.next_check.clone().map(|t| view! {
                <p role="status">"Roombook checks again by itself at " <strong>{t}</strong> ". This page refreshes every 20 seconds."</p>
            })}
            {pending.then(|| view! { <Meta http_equiv="refresh" content="20" /> })}
            {h.expiry_warning.clone().map(|w| view! { <p class="warning" role="alert">{w}</p> })}
            <dl class="facts">
                <dt>"EWS URL"</dt><dd>{h.ews_url.clone()}</dd>
                <dt>{if h.online { "App (client id)" } else { "Service account" }}</dt><dd>{h.identity.clone()}</dd>
                <dt>"Mailbox checked"</dt><dd>{h.check_address.clone()}</dd>
                <dt>"Access"</dt><dd>{if h.rooms_only { "Room mailboxes only (bookings go to room calendars)" } else { "All mailboxes (bookings go to the organiser's calendar)" }}</dd>
                <dt>"Last success"</dt><dd>{h.last_success.clone().unwrap_or_else(|| "never".into())}</dd>
                <dt>"Last error"</dt><dd>{match (h.last_error.clone(), h.last_error_class.clone(), h.last_error_at.clone()) {
                    (Some(e), Some(c), Some(at)) => format!("{e} ({c}), {at}"),
                    _ => "none".into(),
                }}</dd>
                {(!h.online).then(|| view! { <dt>"Password failures"</dt><dd>{h.password_failures}</dd> })}
                {h.certificate_expires.clone().map(|c| view! { <dt>"Certificate expires"</dt><dd>{c}</dd> })}
                <dt>"Secret store"</dt><dd>{h.secret_backend.clone()}</dd>
            </dl>
        </section>
    }
}

/// Step 3: the outcome of the check, and what to do.
#[component]
pub fn ConnectStatusPage() -> impl IntoView {
    let health = Resource::new(|| (), |_| async { get_connection_health().await });
    let flash = use_flash("/admin/connect/status");
    view! {
        <Title text="Connection" />
        <h1>"Exchange connection"</h1>
        <AdminNav current="/admin/connect/status" />
        <FlashError flash key="error" />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match health.await {
                    Err(m) => problem(m, "/admin"),
                    Ok(None) => view! {
                        <Steps current=1 />
                        <p>"This organisation is not connected to Exchange yet."</p>
                        <p><a class="button primary" href="/admin/connect">"Connect to Exchange"</a></p>
                    }.into_any(),
                    Ok(Some(h)) => {
                        let healthy = h.status == ConnectionStatus::Healthy;
                        let change = if h.online { "/admin/connect/online" } else { "/admin/connect/onprem" };
                        view! {
                            <Steps current=if healthy { 4 } else { 3 } />
                            <HealthDetails h=h />
                            <div class="actions">
                                <form method="post" action="/admin/connect/recheck">
                                    <Csrf />
                                    <button type="submit" class="button">"Check again"</button>
                                </form>
                                {healthy.then(|| view! {
                                    <form method="post" action="/admin/rooms/import">
                                        <Csrf />
                                        <button type="submit" class="button primary">"Import rooms"</button>
                                    </form>
                                })}
                                <a class="button" href=change>"Change connection"</a>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn RoomEditor(room: AdminRoom, highlighted: bool) -> impl IntoView {
    let id = room.id.clone();
    let anchor = format!("room-{id}");
    let field = move |name: &str| format!("{name}-{id}");
    view! {
        <details class="room-editor" id=anchor open=highlighted>
            <summary>
                <strong>{room.name.clone()}</strong> " · " {room.email.clone()}
                <span class="hint">
                    {room.building.clone().map(|b| format!(" · {b}")).unwrap_or_default()}
                    {room.floor.clone().map(|f| format!(", floor {f}")).unwrap_or_default()}
                    {room.capacity.map(|c| format!(" · {c} seats")).unwrap_or_else(|| " · capacity not set".into())}
                </span>
                {(!room.active).then(|| view! { " " <span class="badge neutral">"inactive"</span> })}
                {room.edited.then(|| view! { " " <span class="badge neutral">"edited"</span> })}
            </summary>
            <form method="post" action=format!("/admin/rooms/{}", room.id) class="form grid">
                <Csrf />
                <div class="field"><label for=field("capacity")>"Capacity"</label>
                    <input id=field("capacity") name="capacity" inputmode="numeric" value=room.capacity.map(|c| c.to_string()).unwrap_or_default() /></div>
                <div class="field"><label for=field("building")>"Building"</label>
                    <input id=field("building") name="building" value=room.building.clone().unwrap_or_default() /></div>
                <div class="field"><label for=field("floor")>"Floor"</label>
                    <input id=field("floor") name="floor" value=room.floor.clone().unwrap_or_default() /></div>
                <div class="field"><label for=field("equipment")>"Equipment (comma-separated)"</label>
                    <input id=field("equipment") name="equipment" value=room.equipment.join(", ") /></div>
                <div class="field"><label for=field("window")>"Booking window (days ahead)"</label>
                    <input id=field("window") name="booking_window_days" inputmode="numeric" value=room.booking_window_days.map(|c| c.to_string()).unwrap_or_default() /></div>
                <div class="field"><label for=field("max")>"Maximum duration (minutes)"</label>
                    <input id=field("max") name="max_duration_minutes" inputmode="numeric" value=room.max_duration_minutes.map(|c| c.to_string()).unwrap_or_default() /></div>
                <label class="check"><input type="checkbox" name="wheelchair_accessible" value="1" checked=room.wheelchair_accessible /> " Wheelchair accessible"</label>
                <div class="field"><label for=field("tz")>"Time zone (if not the organisation’s, e.g. Europe/Berlin)"</label>
                    <input id=field("tz") name="time_zone" maxlength="64" value=room.time_zone.clone().unwrap_or_default() /></div>
                <label class="check"><input type="checkbox" name="display_subjects" value="1" checked=room.display_subjects /> " Door displays may show meeting subjects"</label>
                <button type="submit" class="button primary">"Save " {room.name.clone()}</button>
            </form>
        </details>
    }
}

#[component]
pub fn AdminRoomsPage() -> impl IntoView {
    let query = use_query_map();
    let rooms = Resource::new(|| (), |_| async { get_admin_rooms().await });
    let flash = use_flash("/admin/rooms");
    view! {
        <Title text="Rooms · Admin" />
        <h1>"Rooms"</h1>
        <AdminNav current="/admin/rooms" />
        <FlashError flash key="error" />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let f = flash.await;
                let n = |k: &str| f.get(k).unwrap_or_default();
                f.has("imported").then(|| view! {
                    <p class="notice" role="status">
                        "Import finished: " {n("imported")} " added, " {n("reactivated")} " active again, "
                        {n("deactivated")} " no longer listed (now inactive), "
                        {n("unchanged")} " unchanged."
                    </p>
                })
            })}
        </Suspense>
        <form method="post" action="/admin/rooms/import" class="actions">
            <Csrf />
            <button type="submit" class="button primary">"Import rooms from Exchange"</button>
            <span class="hint">" New rooms are added, rooms Exchange no longer lists become inactive, and what you edited here is kept."</span>
        </form>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                // `saved` is a room's id: "Saved." only for a room of this list.
                let saved = query.read_untracked().get("saved").unwrap_or_default();
                let open = flash.await.get("room").unwrap_or_else(|| saved.clone());
                match rooms.await {
                    Err(m) => problem(m, "/admin"),
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"No rooms yet. Connect to Exchange, then import rooms."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        {list.iter().any(|r| !saved.is_empty() && r.id == saved).then(|| view! {
                            <p class="notice" role="status">"Saved."</p>
                        })}
                        <p>{list.len()} " rooms. Open one to edit it."</p>
                        <div class="room-editors">
                            {list.into_iter().map(|room| {
                                let highlighted = room.id == open;
                                view! { <RoomEditor room highlighted /> }
                            }).collect_view()}
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

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
                    Err(m) => problem(m, "/admin"),
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
                        Err(m) => problem(m, "/admin"),
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
                    Err(m) => problem(m, "/admin"),
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
