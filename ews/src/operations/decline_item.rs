//! Declining a meeting request or calendar item (e.g. as the room): `CreateItem` with a
//! `t:DeclineItem` response object.
//! <https://learn.microsoft.com/exchange/client-developer/web-service-reference/declineitem>

use super::create_item::{CreatedItem, parse_created};
use super::{Operation, RetrySafety};
use crate::error::Error;
use crate::types::{Body, ItemId};
use crate::xml::{Element, XmlWriter};

/// Decline `item`, optionally with a message, and send the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclineItem {
    /// The meeting request or calendar item.
    pub item: ItemId,
    /// Reply text.
    pub message: Option<Body>,
    /// `true`: send the decline to the organiser (`SendAndSaveCopy`); `false`: `SaveOnly`.
    pub send: bool,
}

impl Operation for DeclineItem {
    const NAME: &'static str = "CreateItem";
    const RETRY: RetrySafety = RetrySafety::NotIdempotent;
    type Response = CreatedItem;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        let disposition = if self.send {
            "SendAndSaveCopy"
        } else {
            "SaveOnly"
        };
        w.open("m:CreateItem", &[("MessageDisposition", disposition)])
            .open("m:Items", &[])
            .open("t:DeclineItem", &[]);
        if let Some(b) = &self.message {
            b.write(w, "t:Body");
        }
        self.item.write(w, "t:ReferenceItemId");
        w.close("t:DeclineItem")
            .close("m:Items")
            .close("m:CreateItem");
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<CreatedItem, Error> {
        parse_created(body)
    }
}
