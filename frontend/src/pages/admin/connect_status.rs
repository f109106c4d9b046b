//! `/admin/connect/status`: the connection's health, what it means and what to do.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use roombook_shared::{ConnectionHealth, ConnectionStatus};

use super::Commands;
use crate::api::get_connection_health;
use crate::components::{Csrf, FlashError, badge_class, loading, problem, use_flash};
use crate::layouts::{AdminNav, Steps};

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
                    Err(m) => problem(m),
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
