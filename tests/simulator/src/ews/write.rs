//! Response writing: the envelope, faults, response messages and calendar items, in the
//! element order of the schema.

use chrono::{DateTime, Utc};

use crate::tenant::{Attendee, CalendarItem};
use crate::xml::{NS_ERRORS, NS_MESSAGES, NS_SOAP, NS_TYPES, escape};

/// `ServerVersionInfo` of an Exchange Online server. Clients such as exchangelib read it to
/// pick the request version.
const SERVER_VERSION: &str = r#"<h:ServerVersionInfo MajorVersion="15" MinorVersion="20" MajorBuildNumber="8769" MinorBuildNumber="21" Version="V2018_01_08" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types" xmlns="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"/>"#;

pub fn envelope(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 700);
    out.push_str(r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s=""#);
    out.push_str(NS_SOAP);
    out.push_str(r#""><s:Header>"#);
    out.push_str(SERVER_VERSION);
    out.push_str(r#"</s:Header><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">"#);
    out.push_str(body);
    out.push_str("</s:Body></s:Envelope>");
    out
}

/// The body of a SOAP fault, as Exchange writes it: `faultcode` in the types namespace, the
/// code and message again in `detail`, and optional `MessageXml`.
pub fn soap_fault_body(code: &str, message: &str, message_xml: &str) -> String {
    let message = escape(message);
    let mut detail = format!(
        r#"<e:ResponseCode xmlns:e="{NS_ERRORS}">{code}</e:ResponseCode><e:Message xmlns:e="{NS_ERRORS}">{message}</e:Message>"#
    );
    if !message_xml.is_empty() {
        detail.push_str(&format!(
            r#"<t:MessageXml xmlns:t="{NS_TYPES}">{message_xml}</t:MessageXml>"#
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{NS_SOAP}"><s:Body><s:Fault><faultcode xmlns:a="{NS_TYPES}">a:{code}</faultcode><faultstring xml:lang="en-US">{message}</faultstring><detail>{detail}</detail></s:Fault></s:Body></s:Envelope>"#
    )
}

/// Opens an operation's response element with the `m` and `t` prefixes declared.
pub fn open_response(out: &mut String, name: &str) {
    out.push_str("<m:");
    out.push_str(name);
    out.push_str(r#" xmlns:m=""#);
    out.push_str(NS_MESSAGES);
    out.push_str(r#"" xmlns:t=""#);
    out.push_str(NS_TYPES);
    out.push_str(r#"">"#);
}

/// A response message's opening and code. The caller writes the payload and closes it.
pub fn open_success(out: &mut String, name: &str) {
    out.push_str("<m:");
    out.push_str(name);
    out.push_str(r#" ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>"#);
}

/// A complete error response message.
pub fn error_message(out: &mut String, name: &str, code: &str, text: &str) {
    error_message_with(out, name, code, text, "");
}

/// An error response message with extra content after the standard elements.
pub fn error_message_with(out: &mut String, name: &str, code: &str, text: &str, extra: &str) {
    out.push_str(&format!(
        r#"<m:{name} ResponseClass="Error"><m:MessageText>{}</m:MessageText><m:ResponseCode>{code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>{extra}</m:{name}>"#,
        escape(text)
    ));
}

pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn mailbox(out: &mut String, name: &str, address: &str, mailbox_type: &str) {
    out.push_str(&format!(
        "<t:Name>{}</t:Name><t:EmailAddress>{}</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>{mailbox_type}</t:MailboxType>",
        escape(name),
        escape(address)
    ));
}

fn attendees(out: &mut String, element: &str, list: &[Attendee]) {
    if list.is_empty() {
        return;
    }
    out.push_str(&format!("<t:{element}>"));
    for a in list {
        out.push_str("<t:Attendee><t:Mailbox>");
        mailbox(out, &a.name, &a.address, "Mailbox");
        out.push_str(&format!(
            "</t:Mailbox><t:ResponseType>{}</t:ResponseType></t:Attendee>",
            a.response.as_str()
        ));
    }
    out.push_str(&format!("</t:{element}>"));
}

/// The properties a response includes for each calendar item.
#[derive(Debug, Clone, Copy, Default)]
pub struct ItemShape {
    pub all: bool,
    pub subject: bool,
    pub body: bool,
    pub created: bool,
    pub last_modified: bool,
    pub uid: bool,
    pub start: bool,
    pub end: bool,
    pub all_day: bool,
    pub free_busy: bool,
    pub location: bool,
    pub is_meeting: bool,
    pub is_cancelled: bool,
    pub is_recurring: bool,
    pub item_type: bool,
    pub my_response: bool,
    pub organizer: bool,
    pub attendees: bool,
    pub item_class: bool,
    /// FindItem cannot return body or attendees, whatever is asked.
    pub find_item: bool,
}

impl ItemShape {
    pub fn id_only() -> Self {
        ItemShape::default()
    }

    pub fn everything() -> Self {
        ItemShape {
            all: true,
            ..ItemShape::default()
        }
    }

    /// Adds a property by its `FieldURI`; unknown ones are ignored.
    pub fn add(&mut self, field_uri: &str) {
        match field_uri {
            "item:Subject" => self.subject = true,
            "item:Body" | "item:TextBody" | "item:UniqueBody" => self.body = true,
            "item:DateTimeCreated" => self.created = true,
            "item:LastModifiedTime" => self.last_modified = true,
            "item:ItemClass" => self.item_class = true,
            "calendar:UID" => self.uid = true,
            "calendar:Start" => self.start = true,
            "calendar:End" => self.end = true,
            "calendar:IsAllDayEvent" => self.all_day = true,
            "calendar:LegacyFreeBusyStatus" => self.free_busy = true,
            "calendar:Location" => self.location = true,
            "calendar:IsMeeting" => self.is_meeting = true,
            "calendar:IsCancelled" => self.is_cancelled = true,
            "calendar:IsRecurring" => self.is_recurring = true,
            "calendar:CalendarItemType" => self.item_type = true,
            "calendar:MyResponseType" => self.my_response = true,
            "calendar:Organizer" => self.organizer = true,
            "calendar:RequiredAttendees" | "calendar:OptionalAttendees" | "calendar:Resources" => {
                self.attendees = true
            }
            _ => {}
        }
    }
}

pub fn item_id(item: &CalendarItem) -> String {
    format!(
        r#"<t:ItemId Id="{}" ChangeKey="{}"/>"#,
        item.id, item.change_key
    )
}

/// A `t:CalendarItem` in schema order, with the properties of `shape`.
pub fn calendar_item(out: &mut String, item: &CalendarItem, shape: &ItemShape, folder_id: &str) {
    let all = shape.all;
    out.push_str("<t:CalendarItem>");
    out.push_str(&item_id(item));
    if all {
        out.push_str(&format!(r#"<t:ParentFolderId Id="{folder_id}"/>"#));
    }
    if all || shape.item_class {
        out.push_str("<t:ItemClass>IPM.Appointment</t:ItemClass>");
    }
    if all || shape.subject {
        out.push_str(&format!("<t:Subject>{}</t:Subject>", escape(&item.subject)));
    }
    if (all || shape.body) && !shape.find_item {
        let kind = if item.body_is_html { "HTML" } else { "Text" };
        out.push_str(&format!(
            r#"<t:Body BodyType="{kind}">{}</t:Body>"#,
            escape(&item.body)
        ));
    }
    if all || shape.created {
        out.push_str(&format!(
            "<t:DateTimeCreated>{}</t:DateTimeCreated>",
            time(item.created)
        ));
    }
    if all || shape.last_modified {
        out.push_str(&format!(
            "<t:LastModifiedTime>{}</t:LastModifiedTime>",
            time(item.last_modified)
        ));
    }
    if all || shape.uid {
        out.push_str(&format!("<t:UID>{}</t:UID>", escape(&item.uid)));
    }
    if all || shape.start {
        out.push_str(&format!("<t:Start>{}</t:Start>", time(item.start)));
    }
    if all || shape.end {
        out.push_str(&format!("<t:End>{}</t:End>", time(item.end)));
    }
    if all || shape.all_day {
        out.push_str(&format!(
            "<t:IsAllDayEvent>{}</t:IsAllDayEvent>",
            item.is_all_day
        ));
    }
    if all || shape.free_busy {
        out.push_str(&format!(
            "<t:LegacyFreeBusyStatus>{}</t:LegacyFreeBusyStatus>",
            item.free_busy.as_str()
        ));
    }
    if all || shape.location {
        out.push_str(&format!(
            "<t:Location>{}</t:Location>",
            escape(&item.location)
        ));
    }
    if all || shape.is_meeting {
        out.push_str(&format!("<t:IsMeeting>{}</t:IsMeeting>", item.is_meeting()));
    }
    if all || shape.is_cancelled {
        out.push_str(&format!(
            "<t:IsCancelled>{}</t:IsCancelled>",
            item.is_cancelled
        ));
    }
    if all || shape.is_recurring {
        out.push_str("<t:IsRecurring>false</t:IsRecurring>");
    }
    if all || shape.item_type {
        out.push_str("<t:CalendarItemType>Single</t:CalendarItemType>");
    }
    if all || shape.my_response {
        out.push_str(&format!(
            "<t:MyResponseType>{}</t:MyResponseType>",
            item.my_response.as_str()
        ));
    }
    if all || shape.organizer {
        out.push_str("<t:Organizer><t:Mailbox>");
        mailbox(out, &item.organizer_name, &item.organizer, "Mailbox");
        out.push_str("</t:Mailbox></t:Organizer>");
    }
    if (all || shape.attendees) && !shape.find_item {
        attendees(out, "RequiredAttendees", &item.required);
        attendees(out, "OptionalAttendees", &item.optional);
        attendees(out, "Resources", &item.resources);
    }
    out.push_str("</t:CalendarItem>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_has_exchange_shape() {
        let body = soap_fault_body(
            "ErrorServerBusy",
            "The server cannot service this request right now. Try again later.",
            r#"<t:Value Name="BackOffMilliseconds">500</t:Value>"#,
        );
        let doc = crate::xml::parse(body.as_bytes()).unwrap();
        let fault = doc.path(&["Body", "Fault"]).unwrap();
        assert_eq!(fault.child_text("faultcode"), Some("a:ErrorServerBusy"));
        let detail = fault.child("detail").unwrap();
        assert_eq!(detail.child_text("ResponseCode"), Some("ErrorServerBusy"));
        assert_eq!(detail.child("ResponseCode").unwrap().namespace, NS_ERRORS);
        assert_eq!(
            detail.path(&["MessageXml", "Value"]).unwrap().attr("Name"),
            Some("BackOffMilliseconds")
        );
    }
}
