//! `UpdateItem` of a meeting's start, end, subject or location, with
//! `SendMeetingInvitationsOrCancellations`.
//! <https://learn.microsoft.com/exchange/client-developer/web-service-reference/updateitem-operation>

use chrono::{DateTime, Utc};

use super::Operation;
use crate::error::Error;
use crate::soap;
use crate::types::{ItemId, format_datetime};
use crate::xml::{Element, XmlWriter};

/// `SendMeetingInvitationsOrCancellations` (`CalendarItemUpdateOperationType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SendUpdates {
    /// `SendToNone`
    SendToNone,
    /// `SendOnlyToAll`
    SendOnlyToAll,
    /// `SendOnlyToChanged`
    SendOnlyToChanged,
    /// `SendToAllAndSaveCopy`
    #[default]
    SendToAllAndSaveCopy,
    /// `SendToChangedAndSaveCopy`
    SendToChangedAndSaveCopy,
}

impl SendUpdates {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendToNone => "SendToNone",
            Self::SendOnlyToAll => "SendOnlyToAll",
            Self::SendOnlyToChanged => "SendOnlyToChanged",
            Self::SendToAllAndSaveCopy => "SendToAllAndSaveCopy",
            Self::SendToChangedAndSaveCopy => "SendToChangedAndSaveCopy",
        }
    }
}

/// `ConflictResolution` of `UpdateItem`: what Exchange does when the item changed since the
/// `ChangeKey` sent ([MS-OXWSCORE] 3.1.4.9.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConflictResolution {
    /// `NeverOverwrite`: the update fails with `ErrorIrresolvableConflict`. The default: a
    /// change made in Outlook since is never lost.
    #[default]
    NeverOverwrite,
    /// `AutoResolve`: Exchange merges, which "in most cases" overwrites the other change.
    AutoResolve,
    /// `AlwaysOverwrite`: the update wins.
    AlwaysOverwrite,
}

impl ConflictResolution {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeverOverwrite => "NeverOverwrite",
            Self::AutoResolve => "AutoResolve",
            Self::AlwaysOverwrite => "AlwaysOverwrite",
        }
    }
}

/// Changes to one meeting. Fields left `None` are not touched.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateMeeting {
    /// The item, with the change key it had when last read or written (with
    /// [`ConflictResolution::NeverOverwrite`] a stale key gives `ErrorIrresolvableConflict`).
    pub item: ItemId,
    /// New subject.
    pub subject: Option<String>,
    /// New location.
    pub location: Option<String>,
    /// New start.
    pub start: Option<DateTime<Utc>>,
    /// New end.
    pub end: Option<DateTime<Utc>>,
    /// Who is told.
    pub send: SendUpdates,
    /// `ConflictResolution`.
    pub conflict: ConflictResolution,
}

fn set_field(w: &mut XmlWriter, uri: &str, element: &str, value: &str) {
    w.open("t:SetItemField", &[])
        .empty("t:FieldURI", &[("FieldURI", uri)])
        .open("t:CalendarItem", &[])
        .leaf(element, &[], value)
        .close("t:CalendarItem")
        .close("t:SetItemField");
}

impl Operation for UpdateMeeting {
    const NAME: &'static str = "UpdateItem";
    /// The item's id with its new change key.
    type Response = Option<ItemId>;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        if self.subject.is_none()
            && self.location.is_none()
            && self.start.is_none()
            && self.end.is_none()
        {
            return Err(Error::InvalidArgument(
                "UpdateMeeting changes nothing".into(),
            ));
        }
        if let (Some(s), Some(e)) = (self.start, self.end)
            && e <= s
        {
            return Err(Error::InvalidArgument(
                "meeting ends before it starts".into(),
            ));
        }
        let conflict = self.conflict.as_str();
        w.open(
            "m:UpdateItem",
            &[
                ("ConflictResolution", conflict),
                ("SendMeetingInvitationsOrCancellations", self.send.as_str()),
            ],
        )
        .open("m:ItemChanges", &[])
        .open("t:ItemChange", &[]);
        self.item.write(w, "t:ItemId");
        w.open("t:Updates", &[]);
        if let Some(s) = &self.subject {
            set_field(w, "item:Subject", "t:Subject", s);
        }
        if let Some(s) = &self.start {
            set_field(w, "calendar:Start", "t:Start", &format_datetime(s));
        }
        if let Some(e) = &self.end {
            set_field(w, "calendar:End", "t:End", &format_datetime(e));
        }
        if let Some(l) = &self.location {
            set_field(w, "calendar:Location", "t:Location", l);
        }
        w.close("t:Updates")
            .close("t:ItemChange")
            .close("m:ItemChanges")
            .close("m:UpdateItem");
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<Option<ItemId>, Error> {
        soap::first_item_id(soap::single(body, Self::NAME)?)
    }
}
