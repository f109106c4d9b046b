//! `CreateItem` of a meeting: the room is a `Resources` attendee, and a client-set `UID` lets a
//! caller find the booking again after an ambiguous failure (see [`crate::client`]: this
//! request is never resent blindly).
//! <https://learn.microsoft.com/exchange/client-developer/web-service-reference/createitem-operation-calendar-item>

use chrono::{DateTime, Utc};

use super::{Operation, RetrySafety};
use crate::error::Error;
use crate::soap;
use crate::types::{Body, FolderId, FreeBusy, ItemId, format_datetime};
use crate::xml::{Element, XmlWriter};

/// `SendMeetingInvitations` (`CalendarItemCreateOrDeleteOperationType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SendInvitations {
    /// `SendToNone`: save only (no attendee, the room included, hears of it).
    SendToNone,
    /// `SendOnlyToAll`
    SendOnlyToAll,
    /// `SendToAllAndSaveCopy` (what a booking normally wants: the room gets the request).
    #[default]
    SendToAllAndSaveCopy,
}

impl SendInvitations {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendToNone => "SendToNone",
            Self::SendOnlyToAll => "SendOnlyToAll",
            Self::SendToAllAndSaveCopy => "SendToAllAndSaveCopy",
        }
    }
}

/// A meeting to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    /// `Subject`
    pub subject: String,
    /// `Body`
    pub body: Option<Body>,
    /// iCalendar `UID` chosen by the client (e.g. the booking's UUID). Keep it: it is how a
    /// retried booking is recognised.
    pub uid: Option<String>,
    /// `Start` (UTC).
    pub start: DateTime<Utc>,
    /// `End` (UTC).
    pub end: DateTime<Utc>,
    /// `LegacyFreeBusyStatus` shown to others.
    pub free_busy: Option<FreeBusy>,
    /// `Location` (usually the room's display name).
    pub location: Option<String>,
    /// `RequiredAttendees` (SMTP addresses).
    pub required_attendees: Vec<String>,
    /// `OptionalAttendees` (SMTP addresses).
    pub optional_attendees: Vec<String>,
    /// `Resources`: the room mailbox(es).
    pub resources: Vec<String>,
}

impl NewMeeting {
    /// A meeting in `room` with a client-set UID.
    pub fn in_room(
        subject: impl Into<String>,
        room: impl Into<String>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        uid: impl Into<String>,
    ) -> Self {
        Self {
            subject: subject.into(),
            body: None,
            uid: Some(uid.into()),
            start,
            end,
            free_busy: None,
            location: None,
            required_attendees: Vec::new(),
            optional_attendees: Vec::new(),
            resources: vec![room.into()],
        }
    }
}

pub(crate) fn write_attendees(w: &mut XmlWriter, name: &str, list: &[String]) {
    if list.is_empty() {
        return;
    }
    w.open(name, &[]);
    for a in list {
        w.open("t:Attendee", &[])
            .open("t:Mailbox", &[])
            .leaf("t:EmailAddress", &[], a)
            .close("t:Mailbox")
            .close("t:Attendee");
    }
    w.close(name);
}

/// `CreateItem` of one meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateMeeting {
    /// The meeting.
    pub meeting: NewMeeting,
    /// `SendMeetingInvitations`.
    pub send: SendInvitations,
    /// `SavedItemFolderId`: whose calendar (e.g. [`FolderId::calendar`] of the organiser).
    pub saved_item_folder: Option<FolderId>,
}

/// The created item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedItem {
    /// Its id (absent when Exchange sent but did not save, e.g. `SendOnlyToAll`).
    pub item_id: Option<ItemId>,
}

impl Operation for CreateMeeting {
    const NAME: &'static str = "CreateItem";
    const RETRY: RetrySafety = RetrySafety::NotIdempotent;
    type Response = CreatedItem;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        let m = &self.meeting;
        if m.end <= m.start {
            return Err(Error::InvalidArgument(
                "meeting ends before it starts".into(),
            ));
        }
        if let Some(FreeBusy::Other(s)) = &m.free_busy {
            return Err(Error::InvalidArgument(format!(
                "unknown LegacyFreeBusyStatus {s:?}"
            )));
        }
        w.open(
            "m:CreateItem",
            &[("SendMeetingInvitations", self.send.as_str())],
        );
        if let Some(f) = &self.saved_item_folder {
            w.open("m:SavedItemFolderId", &[]);
            f.write(w);
            w.close("m:SavedItemFolderId");
        }
        w.open("m:Items", &[]).open("t:CalendarItem", &[]);
        w.leaf("t:Subject", &[], &m.subject);
        if let Some(b) = &m.body {
            b.write(w, "t:Body");
        }
        w.leaf_opt("t:UID", m.uid.as_deref());
        w.leaf("t:Start", &[], &format_datetime(&m.start));
        w.leaf("t:End", &[], &format_datetime(&m.end));
        w.leaf_opt(
            "t:LegacyFreeBusyStatus",
            m.free_busy.as_ref().map(FreeBusy::as_str),
        );
        w.leaf_opt("t:Location", m.location.as_deref());
        write_attendees(w, "t:RequiredAttendees", &m.required_attendees);
        write_attendees(w, "t:OptionalAttendees", &m.optional_attendees);
        write_attendees(w, "t:Resources", &m.resources);
        w.close("t:CalendarItem")
            .close("m:Items")
            .close("m:CreateItem");
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<CreatedItem, Error> {
        parse_created(body)
    }
}

/// The first item id of a `CreateItemResponse` (also used by cancel and decline).
pub(crate) fn parse_created(body: &Element) -> Result<CreatedItem, Error> {
    let msg = soap::single(body, "CreateItem")?;
    Ok(CreatedItem {
        item_id: soap::first_item_id(msg)?,
    })
}
