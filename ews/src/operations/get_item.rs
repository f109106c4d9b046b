//! `GetItem` for several items in one call.
//! <https://learn.microsoft.com/exchange/client-developer/web-service-reference/getitem-operation>

use super::{ItemResult, Operation};
use crate::error::Error;
use crate::soap;
use crate::types::{CalendarItem, ItemId, ItemShape, write_item_ids};
use crate::xml::{Element, NS_MESSAGES, XmlWriter};

/// Items per call that Exchange Online handles comfortably; [`GetItem::batched`] uses it.
pub const DEFAULT_BATCH: usize = 50;

/// `GetItem`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetItem {
    /// Items (at least one).
    pub items: Vec<ItemId>,
    /// Properties to return.
    pub shape: ItemShape,
}

impl GetItem {
    /// Splits `ids` into calls of at most `batch` items (in order).
    pub fn batched(ids: &[ItemId], batch: usize, shape: &ItemShape) -> Vec<GetItem> {
        ids.chunks(batch.max(1))
            .map(|c| GetItem {
                items: c.to_vec(),
                shape: shape.clone(),
            })
            .collect()
    }
}

impl Operation for GetItem {
    const NAME: &'static str = "GetItem";
    /// One result per requested id, in request order.
    type Response = Vec<ItemResult<CalendarItem>>;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        w.open("m:GetItem", &[]);
        self.shape.write(w, "m:ItemShape");
        write_item_ids(w, "m:ItemIds", &self.items)?;
        w.close("m:GetItem");
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<Self::Response, Error> {
        soap::response_messages(body, Self::NAME)?
            .into_iter()
            .map(|msg| match soap::status(msg) {
                Err(e) => Ok(Err(e)),
                Ok(()) => msg
                    .child(NS_MESSAGES, "Items")
                    .and_then(|i| i.children.first())
                    .ok_or_else(|| Error::UnexpectedResponse("GetItem message without item".into()))
                    .and_then(CalendarItem::from_element)
                    .map(Ok),
            })
            .collect()
    }
}
