//! Cancelling a meeting as its organiser: `CreateItem` with a `t:CancelCalendarItem` response
//! object, sent and saved.
//! <https://learn.microsoft.com/exchange/client-developer/exchange-web-services/how-to-cancel-a-meeting-by-using-ews-in-exchange>

use super::create_item::{CreatedItem, parse_created};
use super::{Operation, RetrySafety};
use crate::error::Error;
use crate::types::{Body, ItemId};
use crate::xml::{Element, XmlWriter};

/// Cancel the meeting `item` and notify attendees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelCalendarItem {
    /// The organiser's calendar item.
    pub item: ItemId,
    /// Text for the cancellation message (`NewBodyContent`).
    pub message: Option<Body>,
}

impl Operation for CancelCalendarItem {
    const NAME: &'static str = "CreateItem";
    const RETRY: RetrySafety = RetrySafety::NotIdempotent;
    type Response = CreatedItem;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        w.open("m:CreateItem", &[("MessageDisposition", "SendAndSaveCopy")])
            .open("m:Items", &[])
            .open("t:CancelCalendarItem", &[]);
        self.item.write(w, "t:ReferenceItemId");
        if let Some(b) = &self.message {
            b.write(w, "t:NewBodyContent");
        }
        w.close("t:CancelCalendarItem")
            .close("m:Items")
            .close("m:CreateItem");
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<CreatedItem, Error> {
        parse_created(body)
    }
}
