//! `GetRooms`: the rooms of one room list.
//! <https://learn.microsoft.com/exchange/client-developer/web-service-reference/getrooms-operation>

use super::Operation;
use crate::error::Error;
use crate::soap;
use crate::types::EmailAddress;
use crate::xml::{Element, NS_MESSAGES, NS_TYPES, XmlWriter};

/// `GetRooms` for a room list address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRooms {
    /// SMTP address of the room list.
    pub room_list: String,
}

impl Operation for GetRooms {
    const NAME: &'static str = "GetRooms";
    type Response = Vec<EmailAddress>;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        w.open("m:GetRooms", &[])
            .open("m:RoomList", &[])
            .leaf("t:EmailAddress", &[], &self.room_list)
            .close("m:RoomList")
            .close("m:GetRooms");
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<Vec<EmailAddress>, Error> {
        let resp = soap::expect(body, "GetRoomsResponse")?;
        soap::status(resp)?;
        Ok(resp
            .child(NS_MESSAGES, "Rooms")
            .map(|l| {
                l.children_named(NS_TYPES, "Room")
                    .filter_map(|r| r.child(NS_TYPES, "Id"))
                    .map(EmailAddress::from_element)
                    .collect()
            })
            .unwrap_or_default())
    }
}
