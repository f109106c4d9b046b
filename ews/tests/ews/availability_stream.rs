//! The streaming `GetUserAvailability` parser against the element-tree path: the same typed
//! result for every response in `tests/responses/get_user_availability/` (success, warning,
//! error, throttled, fault, malformed), for a large generated response, and for random
//! mutations of a response.

use std::path::PathBuf;

use proptest::prelude::*;
use roombook_ews::Operation;
use roombook_ews::operations::GetUserAvailability;
use roombook_ews::soap::{parse_response, parse_response_tree};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/responses/get_user_availability")
}

/// Both paths, compared through `Debug` (errors do not implement `PartialEq`). Returns whether
/// the streaming parser took the document.
fn agree(name: &str, bytes: &[u8]) -> bool {
    let tree = parse_response_tree::<GetUserAvailability>(bytes);
    let streamed = GetUserAvailability::parse_streaming(bytes);
    if let Some(s) = &streamed {
        match &tree {
            Ok(t) => assert_eq!(s, t, "{name}: streaming and tree results differ"),
            Err(e) => panic!("{name}: streaming parsed what the tree path refuses ({e})"),
        }
    }
    // And the public entry point (streaming first, tree otherwise) gives the tree's answer.
    assert_eq!(
        format!("{:?}", parse_response::<GetUserAvailability>(bytes)),
        format!("{tree:?}"),
        "{name}"
    );
    streamed.is_some()
}

#[test]
fn streaming_and_tree_paths_agree_on_every_golden_response() {
    let mut names: Vec<_> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    for path in names {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let streamed = agree(&name, &bytes);
        // Files named `fallback_*` are left to the tree path; every other one is streamed.
        assert_eq!(
            streamed,
            !name.starts_with("fallback_"),
            "{name}: streamed = {streamed}"
        );
    }
}

#[test]
fn golden_responses_parse_to_what_they_say() {
    use roombook_ews::types::FreeBusy;
    use roombook_ews::{ErrorClass, ResponseClass, ResponseCode};
    let read = |n: &str| std::fs::read(dir().join(n)).unwrap();

    let r =
        parse_response::<GetUserAvailability>(&read("detailed_default_namespaces.xml")).unwrap();
    assert_eq!(r.len(), 3);
    let first = r[0].as_ref().unwrap();
    assert_eq!(first.events.len(), 2);
    assert_eq!(
        first.events[0].details.as_ref().unwrap().id.as_deref(),
        Some("00000000B5F1A1E0")
    );
    assert_eq!(
        r[1].as_ref().unwrap_err().code,
        ResponseCode::ErrorMailRecipientNotFound
    );

    let r = parse_response::<GetUserAvailability>(&read("warning_and_errors_with_message_xml.xml"))
        .unwrap();
    assert_eq!(r.len(), 5);
    let w = r[0].as_ref().unwrap_err();
    assert_eq!(w.class, ResponseClass::Warning);
    assert_eq!(
        w.message.as_deref(),
        Some("The free/busy data could not be generated for part of the window.")
    );
    assert_eq!(
        w.details,
        [
            ("Server".to_owned(), "mbx02.contoso.example".to_owned()),
            ("Attempt".to_owned(), "2".to_owned()),
            ("Inner".to_owned(), "x".to_owned()),
        ]
    );
    assert_eq!(
        r[1].as_ref().unwrap_err().classify(),
        ErrorClass::Permission
    );
    let no_class = r[2].as_ref().unwrap_err();
    assert_eq!(no_class.class, ResponseClass::Error);
    assert!(r[3].as_ref().unwrap().events.is_empty());
    assert_eq!(r[4].as_ref().unwrap().view_type, "");

    let r = parse_response::<GetUserAvailability>(&read("oddities_bom_crlf_cdata_repeats.xml"))
        .unwrap();
    assert_eq!(r.len(), 2);
    let m = r[0].as_ref().unwrap();
    assert_eq!(m.view_type, "Detailed");
    assert_eq!(m.merged.as_deref(), Some("012034"));
    assert_eq!(m.events.len(), 1);
    let d = m.events[0].details.as_ref().unwrap();
    assert_eq!(
        d.subject.as_deref(),
        Some("Q4 <review> & \"planning\" \u{2014} caf\u{e9} <3")
    );
    assert_eq!(d.location.as_deref(), Some("Line one\nline two"));
    assert_eq!(d.id.as_deref(), Some(""));
    assert!(d.is_meeting && !d.is_private && !d.is_recurring);
    assert_eq!(r[1].as_ref().unwrap().view_type, "FreeBusy");

    let r = parse_response::<GetUserAvailability>(&read("freebusy_all_busy_types.xml")).unwrap();
    let busy: Vec<_> = r[0]
        .as_ref()
        .unwrap()
        .events
        .iter()
        .map(|e| e.busy.clone())
        .collect();
    assert_eq!(
        busy,
        [
            FreeBusy::Free,
            FreeBusy::Oof,
            FreeBusy::WorkingElsewhere,
            FreeBusy::NoData,
            FreeBusy::Other("Elsewhere2030".into())
        ]
    );
}

/// A response as large as the benchmark's, in the simulator's prefixed style.
fn large_response(mailboxes: usize, events: usize) -> String {
    let mut body = String::new();
    for m in 0..mailboxes {
        body.push_str("<m:FreeBusyResponse><m:ResponseMessage ResponseClass=\"Success\"><m:ResponseCode>NoError</m:ResponseCode></m:ResponseMessage><m:FreeBusyView><t:FreeBusyViewType>Detailed</t:FreeBusyViewType><t:CalendarEventArray>");
        for e in 0..events {
            body.push_str(&format!(
                "<t:CalendarEvent><t:StartTime>2026-11-23T{:02}:00:00</t:StartTime><t:EndTime>2026-11-23T{:02}:30:00</t:EndTime><t:BusyType>Busy</t:BusyType><t:CalendarEventDetails><t:ID>{m:04}{e:04}</t:ID><t:Subject>Meeting {e} &amp; room {m}</t:Subject><t:Location>Room {m}</t:Location><t:IsMeeting>true</t:IsMeeting><t:IsRecurring>false</t:IsRecurring><t:IsException>false</t:IsException><t:IsReminderSet>false</t:IsReminderSet><t:IsPrivate>false</t:IsPrivate></t:CalendarEventDetails></t:CalendarEvent>",
                8 + e % 10,
                8 + e % 10
            ));
        }
        body.push_str("</t:CalendarEventArray></m:FreeBusyView></m:FreeBusyResponse>");
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:GetUserAvailabilityResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:FreeBusyResponseArray>{body}</m:FreeBusyResponseArray></m:GetUserAvailabilityResponse></s:Body></s:Envelope>"#
    )
}

#[test]
fn streaming_and_tree_paths_agree_on_a_large_response() {
    let xml = large_response(100, 10);
    assert!(agree("large", xml.as_bytes()));
    let r = parse_response::<GetUserAvailability>(xml.as_bytes()).unwrap();
    assert_eq!(r.len(), 100);
    assert!(r.iter().all(|m| m.as_ref().unwrap().events.len() == 10));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Cut, insert into or truncate a response anywhere: whenever the streaming parser gives
    /// a result, it is the tree path's.
    #[test]
    fn streaming_agrees_with_tree_on_mutated_responses(
        file in 0usize..6,
        cut in 0usize..100_000,
        insert in "[<>&;/=\"a-zA-Z:#x0-9 \\[\\]!-]{0,8}",
    ) {
        let files = [
            "detailed_default_namespaces.xml",
            "detailed_merged_prefixed.xml",
            "freebusy_all_busy_types.xml",
            "warning_and_errors_with_message_xml.xml",
            "oddities_bom_crlf_cdata_repeats.xml",
            "empty_array.xml",
        ];
        let base = std::fs::read(dir().join(files[file])).unwrap();
        let at = cut % (base.len() + 1);
        let mut mutated = base[..at].to_vec();
        mutated.extend_from_slice(insert.as_bytes());
        mutated.extend_from_slice(&base[at..]);
        agree("mutated", &mutated);
        agree("truncated", &base[..at]);
        let mut removed = base[..at].to_vec();
        removed.extend_from_slice(&base[(at + insert.len()).min(base.len())..]);
        agree("removed", &removed);
    }
}
