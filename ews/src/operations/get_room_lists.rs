//! `GetRoomLists`: the organisation's room lists.
//! <https://learn.microsoft.com/exchange/client-developer/web-service-reference/getroomlists-operation>

use super::Operation;
use crate::error::Error;
use crate::soap;
use crate::types::EmailAddress;
use crate::xml::{Element, NS_MESSAGES, NS_TYPES, XmlWriter};

/// `GetRoomLists` (no parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetRoomLists;

impl Operation for GetRoomLists {
    const NAME: &'static str = "GetRoomLists";
    type Response = Vec<EmailAddress>;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        w.empty("m:GetRoomLists", &[]);
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<Vec<EmailAddress>, Error> {
        let resp = soap::expect(body, "GetRoomListsResponse")?;
        soap::status(resp)?;
        Ok(resp
            .child(NS_MESSAGES, "RoomLists")
            .map(|l| {
                l.children_named(NS_TYPES, "Address")
                    .map(EmailAddress::from_element)
                    .collect()
            })
            .unwrap_or_default())
    }
}
