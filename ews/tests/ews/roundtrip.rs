//! Property tests: any subject/body text survives build → parse, text XML 1.0 forbids is
//! refused, and the response parser never panics on arbitrary input.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use roombook_ews::operations::*;
use roombook_ews::soap::parse_response;
use roombook_ews::types::Body;
use roombook_ews::xml::{self, NS_MESSAGES, NS_SOAP, NS_TYPES, XmlWriter, is_xml10_char};
use roombook_ews::{Envelope, Error, RequestHeader};

fn meeting(subject: &str, body: &str) -> CreateMeeting {
    let t = |h| Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap();
    CreateMeeting {
        meeting: NewMeeting {
            body: Some(Body::text(body)),
            ..NewMeeting::in_room(subject, "room@contoso.example", t(9), t(10), "uid")
        },
        send: SendInvitations::SendToNone,
        saved_item_folder: None,
    }
}

/// Subject and body as they appear in the request we would send.
fn request_texts(subject: &str, body: &str) -> Result<(String, String), Error> {
    let xml = Envelope::new(&RequestHeader::default(), &meeting(subject, body)).to_xml()?;
    let root = xml::parse(xml.as_bytes()).expect("our own output parses");
    let item = root
        .child(NS_SOAP, "Body")
        .and_then(|b| b.child(NS_MESSAGES, "CreateItem"))
        .and_then(|c| c.child(NS_MESSAGES, "Items"))
        .and_then(|i| i.child(NS_TYPES, "CalendarItem"))
        .expect("calendar item");
    Ok((
        item.child_text(NS_TYPES, "Subject")
            .unwrap_or_default()
            .to_owned(),
        item.child_text(NS_TYPES, "Body")
            .unwrap_or_default()
            .to_owned(),
    ))
}

/// Subject and body after a GetItem response carrying them is parsed.
fn response_texts(subject: &str, body: &str) -> (String, String) {
    let mut w = XmlWriter::new();
    w.open(
        "s:Envelope",
        &[
            ("xmlns:s", NS_SOAP),
            ("xmlns:m", NS_MESSAGES),
            ("xmlns:t", NS_TYPES),
        ],
    )
    .open("s:Body", &[])
    .open("m:GetItemResponse", &[])
    .open("m:ResponseMessages", &[])
    .open("m:GetItemResponseMessage", &[("ResponseClass", "Success")])
    .leaf("m:ResponseCode", &[], "NoError")
    .open("m:Items", &[])
    .open("t:CalendarItem", &[])
    .empty("t:ItemId", &[("Id", subject)])
    .leaf("t:Subject", &[], subject)
    .leaf("t:Body", &[("BodyType", "Text")], body)
    .close("t:CalendarItem")
    .close("m:Items")
    .close("m:GetItemResponseMessage")
    .close("m:ResponseMessages")
    .close("m:GetItemResponse")
    .close("s:Body")
    .close("s:Envelope");
    let xml = w.finish().expect("valid text");
    let mut items = parse_response::<GetItem>(xml.as_bytes()).expect("parses");
    let item = items.remove(0).expect("success");
    assert_eq!(item.item_id.unwrap().id, subject, "attribute round trip");
    (item.subject.unwrap_or_default(), item.body.unwrap().content)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\PC\r\n\t<>&\"' ]{0,64}",
        "[ \r\n\t]{0,8}[a-z&<]{0,8}[ \r\n\t]{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn subject_and_body_round_trip(subject in text(), body in text()) {
        let valid = subject.chars().all(is_xml10_char) && body.chars().all(is_xml10_char);
        match request_texts(&subject, &body) {
            Ok((s, b)) => {
                prop_assert!(valid);
                prop_assert_eq!(&s, &subject);
                prop_assert_eq!(&b, &body);
                let (s, b) = response_texts(&subject, &body);
                prop_assert_eq!(s, subject);
                prop_assert_eq!(b, body);
            }
            Err(Error::InvalidXmlChar { codepoint }) => {
                prop_assert!(!valid);
                let c = char::from_u32(codepoint).unwrap();
                prop_assert!(!is_xml10_char(c));
                prop_assert!(subject.contains(c) || body.contains(c));
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn parser_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_response::<GetItem>(&bytes);
        let _ = parse_response::<GetUserAvailability>(&bytes);
    }

    #[test]
    fn parser_never_panics_on_mutated_responses(cut in 0usize..2000, insert in "[<>&;/=\"a-z:#x0-9 ]{0,6}") {
        let base = r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:FindItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:RootFolder TotalItemsInView="1" IncludesLastItemInRange="true"><t:Items><t:CalendarItem><t:ItemId Id="A" ChangeKey="B"/><t:Subject>x &amp; y</t:Subject><t:Start>2026-11-23T10:00:00Z</t:Start><t:End>2026-11-23T11:00:00Z</t:End></t:CalendarItem></t:Items></m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse></s:Body></s:Envelope>"#;
        let at = cut % (base.len() + 1);
        let mutated = format!("{}{}{}", &base[..at], insert, &base[at..]);
        let _ = parse_response::<CalendarView>(mutated.as_bytes());
        let truncated = &base.as_bytes()[..at];
        let _ = parse_response::<CalendarView>(truncated);
    }
}
