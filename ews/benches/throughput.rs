//! Rough throughput of request building and response parsing (no HTTP).
//! Run: `cargo bench -p roombook-ews --bench throughput`. Plain `std::time`, no framework: the
//! numbers are indicative, for spotting regressions of an order of magnitude.
//!
//! With `ROOMBOOK_BENCH_INPUTS=DIR` the parsed responses are also written to DIR, so that
//! `bench/ews-vs-exchangelib.sh` can time Python's exchangelib on exactly the same bytes.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use roombook_ews::operations::*;
use roombook_ews::soap::{parse_response, parse_response_tree};
use roombook_ews::{ConnectingSid, Envelope, RequestHeader};

fn measure(name: &str, bytes_per_iter: usize, mut f: impl FnMut()) {
    // Warm up, then run for about a second.
    for _ in 0..10 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(1) {
        f();
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let mib = (bytes_per_iter as f64 * n as f64) / secs / (1024.0 * 1024.0);
    println!(
        "{name:<40} {:>10.0} /s  {:>8.1} µs each  {mib:>7.1} MiB/s",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}

fn find_item_response(items: usize) -> String {
    let mut body = String::new();
    for i in 0..items {
        body.push_str(&format!(
            "<t:CalendarItem><t:ItemId Id=\"AAMkAD{i:06}\" ChangeKey=\"DwAAABYA{i}\"/><t:Subject>Meeting {i} &amp; more</t:Subject><t:LastModifiedTime>2026-11-20T08:00:00Z</t:LastModifiedTime><t:UID>roombook-{i:08x}</t:UID><t:Start>2026-11-23T10:00:00Z</t:Start><t:End>2026-11-23T11:00:00Z</t:End><t:IsAllDayEvent>false</t:IsAllDayEvent><t:LegacyFreeBusyStatus>Busy</t:LegacyFreeBusyStatus><t:Location>Room Alpha</t:Location><t:IsMeeting>true</t:IsMeeting><t:IsCancelled>false</t:IsCancelled><t:CalendarItemType>Single</t:CalendarItemType><t:Organizer><t:Mailbox><t:Name>Alice</t:Name><t:EmailAddress>alice@contoso.example</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType></t:Mailbox></t:Organizer></t:CalendarItem>"
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:FindItemResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:RootFolder TotalItemsInView="{items}" IncludesLastItemInRange="true"><t:Items>{body}</t:Items></m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse></s:Body></s:Envelope>"#
    )
}

/// A GetUserAvailability answer for `mailboxes` rooms, each with `events` detailed events and
/// a merged free/busy string, as Exchange sends for a `DetailedMerged` view of one day.
fn availability_response(mailboxes: usize, events: usize) -> String {
    let mut body = String::new();
    for m in 0..mailboxes {
        body.push_str(r#"<FreeBusyResponse><ResponseMessage ResponseClass="Success"><ResponseCode>NoError</ResponseCode></ResponseMessage><FreeBusyView><FreeBusyViewType xmlns="http://schemas.microsoft.com/exchange/services/2006/types">DetailedMerged</FreeBusyViewType><MergedFreeBusy xmlns="http://schemas.microsoft.com/exchange/services/2006/types">000000000000000000222200002222000000000000000000</MergedFreeBusy><CalendarEventArray xmlns="http://schemas.microsoft.com/exchange/services/2006/types">"#);
        for e in 0..events {
            let hour = 8 + e % 10;
            body.push_str(&format!(
                "<CalendarEvent><StartTime>2026-11-23T{hour:02}:00:00</StartTime><EndTime>2026-11-23T{hour:02}:30:00</EndTime><BusyType>Busy</BusyType><CalendarEventDetails><ID>00000000{m:04}{e:04}</ID><Subject>Meeting {e} in room {m} &amp; friends</Subject><Location>Room {m}</Location><IsMeeting>true</IsMeeting><IsRecurring>false</IsRecurring><IsException>false</IsException><IsReminderSet>false</IsReminderSet><IsPrivate>false</IsPrivate></CalendarEventDetails></CalendarEvent>"
            ));
        }
        body.push_str("</CalendarEventArray><WorkingHours xmlns=\"http://schemas.microsoft.com/exchange/services/2006/types\"><TimeZone><Bias>0</Bias><StandardTime><Bias>0</Bias><Time>00:00:00</Time><DayOrder>0</DayOrder><Month>0</Month><DayOfWeek>Sunday</DayOfWeek></StandardTime><DaylightTime><Bias>0</Bias><Time>00:00:00</Time><DayOrder>0</DayOrder><Month>0</Month><DayOfWeek>Sunday</DayOfWeek></DaylightTime></TimeZone><WorkingPeriodArray><WorkingPeriod><DayOfWeek>Monday Tuesday Wednesday Thursday Friday</DayOfWeek><StartTimeInMinutes>480</StartTimeInMinutes><EndTimeInMinutes>1020</EndTimeInMinutes></WorkingPeriod></WorkingPeriodArray></WorkingHours></FreeBusyView></FreeBusyResponse>");
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><GetUserAvailabilityResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages"><FreeBusyResponseArray>{body}</FreeBusyResponseArray></GetUserAvailabilityResponse></s:Body></s:Envelope>"#
    )
}

/// Writes a benchmark input for the exchangelib comparison when asked to.
fn save_input(name: &str, xml: &str) {
    if let Some(dir) = std::env::var_os("ROOMBOOK_BENCH_INPUTS") {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::create_dir_all(&dir).expect("create the inputs folder");
        std::fs::write(&path, xml).expect("write a benchmark input");
    }
}

fn main() {
    let t = |h| Utc.with_ymd_and_hms(2026, 11, 23, h, 0, 0).unwrap();
    let header = RequestHeader::impersonating(ConnectingSid::PrimarySmtpAddress(
        "room.alpha@contoso.example".into(),
    ));
    let create = CreateMeeting {
        meeting: NewMeeting {
            required_attendees: (0..10)
                .map(|i| format!("person{i}@contoso.example"))
                .collect(),
            ..NewMeeting::in_room(
                "Quarterly review — Zürich <all hands>",
                "room.alpha@contoso.example",
                t(10),
                t(11),
                "roombook-1",
            )
        },
        send: SendInvitations::SendToAllAndSaveCopy,
        saved_item_folder: None,
    };
    let len = Envelope::new(&header, &create).to_xml().unwrap().len();
    measure("build CreateItem envelope (10 attendees)", len, || {
        black_box(Envelope::new(&header, black_box(&create)).to_xml().unwrap());
    });

    let rooms: Vec<_> = (0..100)
        .map(|i| MailboxRequest::room(format!("room{i}@contoso.example")))
        .collect();
    let ua = GetUserAvailability::new(rooms, t(0), t(23));
    let len = Envelope::new(&header, &ua).to_xml().unwrap().len();
    measure("build GetUserAvailability (100 rooms)", len, || {
        black_box(Envelope::new(&header, black_box(&ua)).to_xml().unwrap());
    });

    for n in [1usize, 100, 1000] {
        let xml = find_item_response(n);
        save_input(&format!("find-item-{n}.xml"), &xml);
        let name = format!("parse FindItem response ({n} items)");
        measure(&name, xml.len(), || {
            let r = parse_response::<CalendarView>(black_box(xml.as_bytes())).unwrap();
            assert_eq!(r.items.len(), n);
            black_box(r);
        });
    }

    let xml = availability_response(100, 10);
    save_input("availability-100.xml", &xml);
    measure("parse GetUserAvailability (100 rooms)", xml.len(), || {
        let r = parse_response::<GetUserAvailability>(black_box(xml.as_bytes())).unwrap();
        assert_eq!(r.len(), 100);
        assert!(
            r.iter()
                .all(|m| m.as_ref().is_ok_and(|m| m.events.len() == 10))
        );
        black_box(r);
    });
    // The element-tree path, which the streaming parser replaced for this response (kept for
    // faults and errors). Its label must not contain the line above's: the comparison script
    // finds lines by that text.
    measure("tree path: GetUserAvailability (100)", xml.len(), || {
        let r = parse_response_tree::<GetUserAvailability>(black_box(xml.as_bytes())).unwrap();
        assert_eq!(r.len(), 100);
        black_box(r);
    });
}
