//! A streaming (event-based) parser of the `GetUserAvailability` response, the largest
//! response this crate reads (100 mailboxes with detailed events: hundreds of kilobytes).
//!
//! It reads the document once with quick-xml's namespace-aware reader and keeps only what the
//! typed result needs, instead of building the element tree of [`crate::xml::parse`] and then
//! mapping it. The result must be exactly the tree path's ([`crate::soap::parse_response_tree`]),
//! so this parser follows the tree path's rules to the letter: the *first* child of a given name
//! is the one read, text is the element's own character data (children's text excluded),
//! unknown elements are skipped, and every check the tree reader makes on the whole document
//! (undeclared prefixes, attribute syntax, entities, depth, a DTD, content after the root) is
//! made here too.
//!
//! It handles the ordinary case only: a well-formed envelope whose body is a
//! `GetUserAvailabilityResponse`, parsed without error (per-mailbox error and warning messages
//! included). For anything else it returns `None` and the caller falls back to the tree path:
//! SOAP faults, malformed XML, unparseable events, a missing `FreeBusyResponseArray`, and any
//! `ResponseCode` saying `ErrorServerBusy` (the transport's throttling check needs the tree).

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::ItemResult;
use super::get_user_availability::{
    AvailabilityEvent, MailboxAvailability, details_from_parts, event_from_parts, view_from_parts,
};
use crate::soap::status_from_parts;
use crate::xml::{MAX_DEPTH, NS_MESSAGES, NS_SOAP, NS_TYPES};

/// SOAP 1.2, accepted by [`crate::soap::parse_envelope`] too.
const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";

/// The namespaces this parser distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Soap,
    Soap12,
    Messages,
    Types,
    /// Another namespace, or none.
    Other,
}

fn ns_of(r: &ResolveResult<'_>) -> Option<Ns> {
    match r {
        ResolveResult::Bound(ns) => Some(match ns.as_ref() {
            b if b == NS_TYPES.as_bytes() => Ns::Types,
            b if b == NS_MESSAGES.as_bytes() => Ns::Messages,
            b if b == NS_SOAP.as_bytes() => Ns::Soap,
            b if b == NS_SOAP12.as_bytes() => Ns::Soap12,
            _ => Ns::Other,
        }),
        ResolveResult::Unbound => Some(Ns::Other),
        // The tree reader refuses undeclared prefixes.
        ResolveResult::Unknown(_) => None,
    }
}

/// Where a captured text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    ResponseCode,
    MessageText,
    ViewType,
    Merged,
    Start,
    End,
    Busy,
    Id,
    Subject,
    Location,
    IsMeeting,
    IsRecurring,
    IsPrivate,
    /// The text of `MessageXml` value number N.
    Value(usize),
}

/// What an open element is to the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Skipped (still checked).
    Other,
    Envelope,
    /// The first `Body` of the envelope.
    Body,
    /// `m:GetUserAvailabilityResponse`, the first element of the body.
    Response,
    /// Its first `m:FreeBusyResponseArray`.
    Array,
    /// An `m:FreeBusyResponse` of the array.
    Mailbox,
    /// The mailbox's first `m:ResponseMessage`.
    Message,
    /// The message's first `m:MessageXml`, and any element inside it.
    MessageXml,
    /// The mailbox's first `m:FreeBusyView`.
    View,
    /// The view's first `t:CalendarEventArray`.
    EventArray,
    /// A `t:CalendarEvent` of that array.
    Event,
    /// The event's first `t:CalendarEventDetails`.
    Details,
    /// An element whose own text is a field.
    Text(Field),
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    role: Role,
    /// Local name `ResponseCode` (any namespace): its text is checked for `ErrorServerBusy`.
    probe: bool,
}

/// A text field: `None` until its first element is seen, then that element's own text.
#[derive(Debug, Default)]
struct Slot {
    seen: bool,
    text: String,
}

impl Slot {
    fn reset(&mut self) {
        self.seen = false;
        self.text.clear();
    }
    fn get(&self) -> Option<&str> {
        self.seen.then_some(self.text.as_str())
    }
    fn take(&mut self) -> Option<String> {
        self.seen.then(|| std::mem::take(&mut self.text))
    }
}

/// The `m:FreeBusyResponse` being read.
#[derive(Debug, Default)]
struct MailboxState {
    message_seen: bool,
    class: Option<String>,
    code: Slot,
    message_text: Slot,
    message_xml_seen: bool,
    details: Vec<(String, String)>,
    view_seen: bool,
    view_type: Slot,
    merged: Slot,
    array_seen: bool,
    events: Vec<AvailabilityEvent>,
    /// An event of the view could not be mapped (the tree path reports it).
    view_error: bool,
}

/// The `t:CalendarEvent` being read.
#[derive(Debug, Default)]
struct EventState {
    start: Slot,
    end: Slot,
    busy: Slot,
    details_seen: bool,
    id: Slot,
    subject: Slot,
    location: Slot,
    is_meeting: Slot,
    is_recurring: Slot,
    is_private: Slot,
}

/// The first-child flags of the envelope levels.
#[derive(Debug, Default)]
struct Outer {
    soap: Option<Ns>,
    body_seen: bool,
    body_first_seen: bool,
    array_seen: bool,
}

struct Parser {
    stack: Vec<Frame>,
    outer: Outer,
    mailbox: MailboxState,
    event: EventState,
    /// Texts of the open `ResponseCode` elements (see [`Frame::probe`]).
    probes: Vec<String>,
    results: Vec<ItemResult<MailboxAvailability>>,
}

/// Parses a complete `GetUserAvailability` response document, or returns `None` for anything
/// but the ordinary case (see the module documentation).
pub(crate) fn parse(input: &[u8]) -> Option<Vec<ItemResult<MailboxAvailability>>> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = std::str::from_utf8(input).ok()?;
    let mut reader = NsReader::from_str(text);
    let mut p = Parser {
        stack: Vec::with_capacity(16),
        outer: Outer::default(),
        mailbox: MailboxState::default(),
        event: EventState::default(),
        probes: Vec::new(),
        results: Vec::new(),
    };
    let mut root_done = false;
    loop {
        // Unresolved events: only start tags need their namespace (the reader still keeps the
        // declarations in scope).
        let event = reader.read_event().ok()?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root_done || p.stack.len() >= MAX_DEPTH {
                    return None;
                }
                let ns = ns_of(&reader.resolve_element(e.name()).0)?;
                let frame = p.open(ns, e, &reader)?;
                p.stack.push(frame);
                if matches!(event, Event::Empty(_)) {
                    p.close()?;
                    root_done = p.stack.is_empty();
                }
            }
            Event::End(_) => {
                if p.stack.is_empty() {
                    return None;
                }
                p.close()?;
                root_done = p.stack.is_empty();
            }
            Event::Text(t) => {
                if p.stack.is_empty() {
                    let s = t.xml10_content().ok()?;
                    if !s.trim().is_empty() {
                        return None;
                    }
                } else if p.captures() {
                    let s = t.xml10_content().ok()?;
                    p.push_text(&s);
                }
            }
            Event::CData(t) => {
                let s = t.decode().ok()?;
                if p.stack.is_empty() {
                    if !s.trim().is_empty() {
                        return None;
                    }
                } else {
                    p.push_text(&s);
                }
            }
            Event::GeneralRef(r) => {
                // Resolved everywhere: the tree reader refuses unknown entities anywhere.
                let s: Cow<'_, str> = match r.resolve_char_ref().ok()? {
                    Some(c) => Cow::Owned(c.to_string()),
                    None => {
                        let name = r.decode().ok()?;
                        Cow::Borrowed(quick_xml::escape::resolve_predefined_entity(&name)?)
                    }
                };
                if p.stack.is_empty() {
                    if !s.trim().is_empty() {
                        return None;
                    }
                } else {
                    p.push_text(&s);
                }
            }
            Event::DocType(_) => return None,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    let o = &p.outer;
    (root_done && o.body_first_seen && o.array_seen).then_some(p.results)
}

impl Parser {
    /// Whether text of the innermost element is kept.
    fn captures(&self) -> bool {
        self.stack
            .last()
            .is_some_and(|f| f.probe || matches!(f.role, Role::Text(_)))
    }

    fn push_text(&mut self, s: &str) {
        let Some(&Frame { role, probe }) = self.stack.last() else {
            return;
        };
        if probe && let Some(t) = self.probes.last_mut() {
            t.push_str(s);
        }
        if let Role::Text(field) = role {
            self.slot(field).push_str(s);
        }
    }

    fn slot(&mut self, field: Field) -> &mut String {
        let (m, e) = (&mut self.mailbox, &mut self.event);
        match field {
            Field::ResponseCode => &mut m.code.text,
            Field::MessageText => &mut m.message_text.text,
            Field::ViewType => &mut m.view_type.text,
            Field::Merged => &mut m.merged.text,
            Field::Value(i) => &mut m.details[i].1,
            Field::Start => &mut e.start.text,
            Field::End => &mut e.end.text,
            Field::Busy => &mut e.busy.text,
            Field::Id => &mut e.id.text,
            Field::Subject => &mut e.subject.text,
            Field::Location => &mut e.location.text,
            Field::IsMeeting => &mut e.is_meeting.text,
            Field::IsRecurring => &mut e.is_recurring.text,
            Field::IsPrivate => &mut e.is_private.text,
        }
    }

    /// A text child: the first of its name becomes `field`, later ones are skipped.
    fn text_child(slot: &mut Slot, field: Field) -> Role {
        if slot.seen {
            Role::Other
        } else {
            slot.seen = true;
            Role::Text(field)
        }
    }

    /// Decides the role of a new element and makes the checks the tree reader makes on its
    /// attributes. `None`: leave the document to the tree path.
    fn open(&mut self, ns: Ns, e: &BytesStart<'_>, reader: &NsReader<&[u8]>) -> Option<Frame> {
        let local = e.local_name();
        let name = local.as_ref();
        let parent = self.stack.last().map(|f| f.role);
        let role = match parent {
            None => {
                if name != b"Envelope" || !matches!(ns, Ns::Soap | Ns::Soap12) {
                    return None;
                }
                self.outer.soap = Some(ns);
                Role::Envelope
            }
            Some(Role::Envelope) => {
                if !self.outer.body_seen && name == b"Body" && Some(ns) == self.outer.soap {
                    self.outer.body_seen = true;
                    Role::Body
                } else {
                    Role::Other
                }
            }
            Some(Role::Body) => {
                if self.outer.body_first_seen {
                    Role::Other
                } else if ns == Ns::Messages && name == b"GetUserAvailabilityResponse" {
                    self.outer.body_first_seen = true;
                    Role::Response
                } else {
                    // A fault or another response: the tree path says which error.
                    return None;
                }
            }
            Some(Role::Response) => {
                if !self.outer.array_seen && ns == Ns::Messages && name == b"FreeBusyResponseArray"
                {
                    self.outer.array_seen = true;
                    Role::Array
                } else {
                    Role::Other
                }
            }
            Some(Role::Array) => {
                if ns == Ns::Messages && name == b"FreeBusyResponse" {
                    self.start_mailbox();
                    Role::Mailbox
                } else {
                    Role::Other
                }
            }
            Some(Role::Mailbox) => match (ns, name) {
                (Ns::Messages, b"ResponseMessage") if !self.mailbox.message_seen => {
                    self.mailbox.message_seen = true;
                    Role::Message
                }
                (Ns::Messages, b"FreeBusyView") if !self.mailbox.view_seen => {
                    self.mailbox.view_seen = true;
                    Role::View
                }
                _ => Role::Other,
            },
            Some(Role::Message) => match (ns, name) {
                (Ns::Messages, b"ResponseCode") => {
                    Self::text_child(&mut self.mailbox.code, Field::ResponseCode)
                }
                (Ns::Messages, b"MessageText") => {
                    Self::text_child(&mut self.mailbox.message_text, Field::MessageText)
                }
                (Ns::Messages, b"MessageXml") if !self.mailbox.message_xml_seen => {
                    self.mailbox.message_xml_seen = true;
                    Role::MessageXml
                }
                _ => Role::Other,
            },
            // Everything inside `MessageXml` is searched for `Value`s, nested ones included.
            Some(Role::MessageXml | Role::Text(Field::Value(_))) => Role::MessageXml,
            Some(Role::View) => match (ns, name) {
                (Ns::Types, b"FreeBusyViewType") => {
                    Self::text_child(&mut self.mailbox.view_type, Field::ViewType)
                }
                (Ns::Types, b"MergedFreeBusy") => {
                    Self::text_child(&mut self.mailbox.merged, Field::Merged)
                }
                (Ns::Types, b"CalendarEventArray") if !self.mailbox.array_seen => {
                    self.mailbox.array_seen = true;
                    Role::EventArray
                }
                _ => Role::Other,
            },
            Some(Role::EventArray) => {
                if ns == Ns::Types && name == b"CalendarEvent" {
                    self.start_event();
                    Role::Event
                } else {
                    Role::Other
                }
            }
            Some(Role::Event) => match (ns, name) {
                (Ns::Types, b"StartTime") => Self::text_child(&mut self.event.start, Field::Start),
                (Ns::Types, b"EndTime") => Self::text_child(&mut self.event.end, Field::End),
                (Ns::Types, b"BusyType") => Self::text_child(&mut self.event.busy, Field::Busy),
                (Ns::Types, b"CalendarEventDetails") if !self.event.details_seen => {
                    self.event.details_seen = true;
                    Role::Details
                }
                _ => Role::Other,
            },
            Some(Role::Details) => {
                let ev = &mut self.event;
                match (ns, name) {
                    (Ns::Types, b"ID") => Self::text_child(&mut ev.id, Field::Id),
                    (Ns::Types, b"Subject") => Self::text_child(&mut ev.subject, Field::Subject),
                    (Ns::Types, b"Location") => Self::text_child(&mut ev.location, Field::Location),
                    (Ns::Types, b"IsMeeting") => {
                        Self::text_child(&mut ev.is_meeting, Field::IsMeeting)
                    }
                    (Ns::Types, b"IsRecurring") => {
                        Self::text_child(&mut ev.is_recurring, Field::IsRecurring)
                    }
                    (Ns::Types, b"IsPrivate") => {
                        Self::text_child(&mut ev.is_private, Field::IsPrivate)
                    }
                    _ => Role::Other,
                }
            }
            Some(Role::Other | Role::Text(_)) => Role::Other,
        };
        // Attributes: checked as the tree reader does; the two this parser needs are kept.
        let wants_class = role == Role::Message;
        let in_xml = role == Role::MessageXml;
        let mut value_name: Option<String> = None;
        for a in e.attributes() {
            let a = a.ok()?;
            let key = a.key;
            let k = key.as_ref();
            if k == b"xmlns" || k.starts_with(b"xmlns:") {
                continue;
            }
            let prefixed = key.prefix().is_some();
            if prefixed {
                let (r, _) = reader.resolve_attribute(key);
                ns_of(&r)?;
            }
            let wanted =
                !prefixed && ((wants_class && k == b"ResponseClass") || (in_xml && k == b"Name"));
            if wanted {
                let v = a.unescape_value().ok()?.into_owned();
                if wants_class {
                    self.mailbox.class.get_or_insert(v);
                } else {
                    value_name.get_or_insert(v);
                }
            } else if a.value.contains(&b'&') {
                a.unescape_value().ok()?;
            }
        }
        let role = match (role, value_name) {
            // A `Value` with a `Name` anywhere in `MessageXml` is a detail, in document order.
            (Role::MessageXml, Some(n)) if name == b"Value" => {
                self.mailbox.details.push((n, String::new()));
                Role::Text(Field::Value(self.mailbox.details.len() - 1))
            }
            (role, _) => role,
        };
        let probe = name == b"ResponseCode";
        if probe {
            self.probes.push(String::new());
        }
        Some(Frame { role, probe })
    }

    fn start_mailbox(&mut self) {
        let m = &mut self.mailbox;
        m.message_seen = false;
        m.class = None;
        m.code.reset();
        m.message_text.reset();
        m.message_xml_seen = false;
        m.details.clear();
        m.view_seen = false;
        m.view_type.reset();
        m.merged.reset();
        m.array_seen = false;
        m.events = Vec::new();
        m.view_error = false;
    }

    fn start_event(&mut self) {
        let e = &mut self.event;
        for s in [
            &mut e.start,
            &mut e.end,
            &mut e.busy,
            &mut e.id,
            &mut e.subject,
            &mut e.location,
            &mut e.is_meeting,
            &mut e.is_recurring,
            &mut e.is_private,
        ] {
            s.reset();
        }
        e.details_seen = false;
    }

    /// Closes the innermost element. `None`: leave the document to the tree path.
    fn close(&mut self) -> Option<()> {
        let frame = self.stack.pop()?;
        if frame.probe {
            let text = self.probes.pop()?;
            if text.trim() == "ErrorServerBusy" {
                return None;
            }
        }
        match frame.role {
            Role::Text(Field::Value(i)) => {
                let v = &mut self.mailbox.details[i].1;
                let trimmed = v.trim();
                if trimmed.len() != v.len() {
                    *v = trimmed.to_owned();
                }
            }
            Role::Event => self.end_event(),
            Role::Mailbox => self.end_mailbox()?,
            _ => {}
        }
        Some(())
    }

    fn end_event(&mut self) {
        let e = &mut self.event;
        let details = e.details_seen.then(|| {
            details_from_parts(
                e.id.take(),
                e.subject.take(),
                e.location.take(),
                e.is_meeting.get(),
                e.is_recurring.get(),
                e.is_private.get(),
            )
        });
        match event_from_parts(e.start.get(), e.end.get(), e.busy.get(), details) {
            Ok(ev) => self.mailbox.events.push(ev),
            Err(_) => self.mailbox.view_error = true,
        }
    }

    fn end_mailbox(&mut self) -> Option<()> {
        let m = &mut self.mailbox;
        if m.message_seen {
            let status = status_from_parts(
                m.class.as_deref(),
                m.code.get(),
                m.message_text.get(),
                || std::mem::take(&mut m.details),
            );
            if let Err(e) = status {
                self.results.push(Err(e));
                return Some(());
            }
        }
        if !m.view_seen {
            self.results.push(Ok(MailboxAvailability::default()));
            return Some(());
        }
        if m.view_error {
            return None;
        }
        self.results.push(Ok(view_from_parts(
            m.view_type.get(),
            m.merged.take(),
            std::mem::take(&mut m.events),
        )));
        Some(())
    }
}
