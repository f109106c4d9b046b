//! `/book`: the booking form for one room and slot. It posts to the server's `/book` handler;
//! with JavaScript the attendee field suggests people from the directory.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use roombook_shared::BookingFormData;

use crate::api::{find_people, get_booking_form};
use crate::components::{Csrf, RoomFacts, TimeFields, loading, problem};
use crate::flash::BookDraft;

/// `/book`: the booking form of one room and slot.
///
/// A link brings the room and the slot (`/book?room=…&date=…&start=…`). A refused form is not a
/// link: the server answers its POST with this page rendered again with a [`BookDraft`] (what
/// was typed, why it was refused), so nothing typed and no message ever comes from the URL.
#[component]
pub fn BookPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    // Only on the server, and only when answering a refused POST; the browser gets it with the
    // page's data.
    let refused = use_context::<BookDraft>();
    let form = Resource::new(
        move || (get("room"), get("tz")),
        move |(room, tz)| {
            let draft = refused.clone();
            async move {
                let (room, alternatives, tz) = match &draft {
                    Some(d) => (d.room.clone(), d.alternatives.clone(), d.tz.clone()),
                    None => (room, String::new(), tz),
                };
                get_booking_form(room, alternatives, tz)
                    .await
                    .map(|data| (data, draft))
            }
        },
    );
    view! {
        <Title text="Book a room" />
        <h1>"Book a room"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (data, draft) = match form.await {
                    Ok(d) => d,
                    Err(message) => return problem(message),
                };
                let q = query.get_untracked();
                // From a refused form, everything it had; from a link, the slot only.
                let draft = draft.unwrap_or_else(|| BookDraft {
                    date: q.get("date").unwrap_or_default(),
                    start: q.get("start").unwrap_or_default(),
                    minutes: q.get("minutes").unwrap_or_default(),
                    end: q.get("end").unwrap_or_default(),
                    from: q.get("from").unwrap_or_default(),
                    ..Default::default()
                });
                let key = if draft.key.is_empty() { data.key.clone() } else { draft.key.clone() };
                view! {
                    {(!draft.error.is_empty()).then(|| view! {
                        <div class="notice" role="alert" data-testid="book-error" tabindex="-1" autofocus>
                            <p class="error">{draft.error.clone()}</p>
                            {draft.taken.then(|| view! { <p>"Other rooms free then are below the form."</p> })}
                        </div>
                    })}
                    <BookForm data=data.clone() key draft=draft.clone() />
                }.into_any()
            })}
        </Suspense>
    }
}

/// Free rooms offered after the slot was just taken: each a submit button of the form, so what
/// was typed goes along in the POST (never in a link).
#[component]
fn Alternatives(data: BookingFormData) -> impl IntoView {
    if data.alternatives.is_empty() {
        return view! {
            <p>"No similar room is free then. " <a href="/find">"Find another time"</a> "."</p>
        }
        .into_any();
    }
    view! {
        <p>"These rooms are free then:"</p>
        <ul class="alternatives" data-testid="alternatives">
            {data.alternatives.into_iter().map(|room| {
                let seats = room.capacity.map(|c| format!(" ({c} seats)")).unwrap_or_default();
                view! {
                    <li>
                        <button type="submit" name="instead" value=room.id.clone() class="button small">
                            {format!("Book {} instead", room.name)}
                        </button>
                        {seats}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn BookForm(data: BookingFormData, key: String, draft: BookDraft) -> impl IntoView {
    // One length field: an end time in the link (or a refused form) becomes minutes.
    let minutes = roombook_shared::booking::parse_time(&draft.start)
        .ok()
        .and_then(|start| {
            roombook_shared::booking::parse_length(start, &draft.minutes, &draft.end).ok()
        })
        .map(|n| n.to_string())
        .unwrap_or_else(|| draft.minutes.clone());
    let room = data.room.clone();
    let limits = format!(
        "Bookable for up to {}, at most {} days ahead.",
        duration_words(data.max_minutes),
        data.window_days
    );
    // Back to where the person came from: the day view (its day and zone) or the finder.
    let back = if draft.from == "day" {
        (
            format!(
                "/day?date={}&tz={}",
                draft.date,
                form_urlencoded::byte_serialize(data.time_zone.as_bytes()).collect::<String>()
            ),
            "Back to the day view",
        )
    } else {
        ("/find".to_owned(), "Back to the finder")
    };
    view! {
        <section class="panel" aria-label="The room">
            <RoomFacts room=room.clone() level=2 />
            <p class="hint">{limits}</p>
            {data.room_time_zone.clone().map(|z| view! { <p class="hint">"This room keeps the time of " {z} "; the times below are in " {data.time_zone.clone()} "."</p> })}
        </section>
        <form method="post" action="/book" id="book-form" class="panel form" data-testid="book-form">
            <Csrf />
            <input type="hidden" name="key" value=key />
            <input type="hidden" name="room" value=room.id.clone() />
            <input type="hidden" name="tz" value=data.time_zone.clone() />
            <input type="hidden" name="from" value=draft.from.clone() />
            <div class="filters">
                <TimeFields prefix="b" date=draft.date.clone() start=draft.start.clone() minutes max_minutes=data.max_minutes />
            </div>
            <p class="hint">"Times in " {data.time_zone.clone()} "."</p>
            <div class="field">
                <label for="b-subject">"Subject"</label>
                <input id="b-subject" name="subject" type="text" maxlength="255" placeholder=format!("Meeting in {}", room.name) value=draft.subject.clone() />
            </div>
            <AttendeesField attendees=draft.attendees.clone() directory_search=data.directory_search />
            {(!draft.picks.is_empty()).then(|| view! {
                <fieldset class="field picks" data-testid="attendee-picks">
                    <legend>{format!("Which “{}” do you mean?", draft.pick_for)}</legend>
                    <input type="hidden" name="pick_for" value=draft.pick_for.clone() />
                    {draft.picks.iter().enumerate().map(|(i, (name, email))| view! {
                        <label class="check">
                            <input type="radio" name="pick" value=email.clone() required=true checked=i == 0 />
                            {format!("{name} <{email}>")}
                        </label>
                    }).collect_view()}
                    <p class="hint">"Then book again: the address you choose stands in for the name."</p>
                </fieldset>
            })}
            <div class="field">
                <label for="b-note">"Note (optional)"</label>
                <textarea id="b-note" name="note" rows="3" maxlength="4000">{draft.note.clone()}</textarea>
            </div>
            <div class="actions">
                <button type="submit" class="button primary">"Book " {room.name.clone()}</button>
                <a href=back.0>{back.1}</a>
            </div>
            // After the form's own button, so that Enter still books this room.
            {draft.taken.then(|| view! { <Alternatives data=data.clone() /> })}
        </form>
    }
}

/// The attendee field. With JavaScript (an island) it suggests people from the directory for
/// the name being typed; choosing one puts their address in place of what was typed.
#[island]
fn AttendeesField(attendees: String, directory_search: bool) -> impl IntoView {
    let suggestions = RwSignal::new(Vec::<(String, String)>::new());
    let field = NodeRef::<leptos::html::Textarea>::new();
    let on_attendees = move |ev| {
        let typed = event_target_value(&ev);
        let last = typed
            .rsplit([';', ',', '\n'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if !directory_search || last.chars().count() < 2 || last.contains('@') {
            suggestions.set(Vec::new());
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(found) = find_people(last).await {
                suggestions.set(found.into_iter().map(|p| (p.name, p.email)).collect());
            }
        });
    };
    // The chosen address replaces the name being typed (the text after the last separator).
    let choose = move |email: String| {
        if let Some(field) = field.get_untracked() {
            let typed = field.value();
            let kept = typed
                .rfind([';', ',', '\n'])
                .map(|i| typed[..=i].to_owned() + " ")
                .unwrap_or_default();
            field.set_value(&format!("{kept}{email}; "));
            let _ = field.focus();
        }
        suggestions.set(Vec::new());
    };
    view! {
        <div class="field">
            <label for="b-attendees">"Attendees (optional)"</label>
            <textarea id="b-attendees" name="attendees" rows="2" aria-describedby="b-attendees-hint" node_ref=field on:input=on_attendees>{attendees}</textarea>
            <p class="hint" id="b-attendees-hint">
                {if directory_search { "Names or addresses, separated by semicolons. Names are looked up in your organisation’s directory." } else { "Addresses, separated by semicolons." }}
            </p>
            <ul class="suggestions" aria-live="polite" aria-label="People found">
                {move || suggestions.get().into_iter().map(|(name, email)| {
                    let address = email.clone();
                    view! {
                        <li><button type="button" class="link" on:click=move |_| choose(address.clone())>{name} " <" {email} ">"</button></li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
}

/// "45 minutes", "1 hour", "1 hour 30 minutes", "24 hours".
fn duration_words(minutes: u32) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    let hours = match h {
        0 => String::new(),
        1 => "1 hour".to_owned(),
        h => format!("{h} hours"),
    };
    match (hours.is_empty(), m) {
        (true, m) => format!("{m} minutes"),
        (false, 0) => hours,
        (false, m) => format!("{hours} {m} minutes"),
    }
}
