//! `DeleteItem`, with `SendMeetingCancellations` for calendar items.
//! <https://learn.microsoft.com/exchange/client-developer/web-service-reference/deleteitem-operation>

use super::create_item::SendInvitations;
use super::{ItemResult, Operation};
use crate::error::Error;
use crate::soap;
use crate::types::{ItemId, write_item_ids};
use crate::xml::{Element, XmlWriter};

/// `DeleteType` (`DisposalType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeleteType {
    /// `HardDelete`
    HardDelete,
    /// `SoftDelete`
    SoftDelete,
    /// `MoveToDeletedItems`
    #[default]
    MoveToDeletedItems,
}

impl DeleteType {
    fn as_str(self) -> &'static str {
        match self {
            Self::HardDelete => "HardDelete",
            Self::SoftDelete => "SoftDelete",
            Self::MoveToDeletedItems => "MoveToDeletedItems",
        }
    }
}

/// Delete items. A second delete of the same item answers `ErrorItemNotFound`, so resending
/// is harmless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteItem {
    /// Items (at least one).
    pub items: Vec<ItemId>,
    /// How.
    pub delete_type: DeleteType,
    /// `SendMeetingCancellations` (required by Exchange for calendar items).
    pub send_cancellations: SendInvitations,
}

impl Operation for DeleteItem {
    const NAME: &'static str = "DeleteItem";
    /// One result per item, in request order.
    type Response = Vec<ItemResult<()>>;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        w.open(
            "m:DeleteItem",
            &[
                ("DeleteType", self.delete_type.as_str()),
                ("SendMeetingCancellations", self.send_cancellations.as_str()),
            ],
        );
        write_item_ids(w, "m:ItemIds", &self.items)?;
        w.close("m:DeleteItem");
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<Self::Response, Error> {
        Ok(soap::response_messages(body, Self::NAME)?
            .into_iter()
            .map(soap::status)
            .collect())
    }
}
