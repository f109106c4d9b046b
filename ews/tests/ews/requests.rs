//! Every request the crate builds, in each variant: golden XML, and validation against the
//! official schema (`shared/ews-schema/messages.xsd`) with xmllint.
//!
//! Golden files live in `tests/golden/NAME.xml`, pretty-printed (line breaks only between
//! tags). Regenerate with `UPDATE_GOLDEN=1 cargo test -p roombook-ews --test ews`, then review
//! the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, TimeZone, Utc};
use roombook_ews::operations::*;
use roombook_ews::types::{
    BaseShape, Body, BodyKind, DistinguishedFolder, FolderId, FreeBusy, ItemId, ItemShape,
};
use roombook_ews::{ConnectingSid, Envelope, Error, ExchangeVersion, Operation, RequestHeader};

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
}

fn room_header() -> RequestHeader {
    RequestHeader::impersonating(ConnectingSid::PrimarySmtpAddress(
        "room.alpha@contoso.example".into(),
    ))
}

fn env<O: Operation>(h: &RequestHeader, op: &O) -> String {
    Envelope::new(h, op).to_xml().expect("request builds")
}

fn id(n: u32) -> ItemId {
    ItemId {
        id: format!("AAMkAD{n}=="),
        change_key: Some(format!("DwAAABYA{n}")),
    }
}

fn meeting_with_free_busy(fb: FreeBusy) -> CreateMeeting {
    CreateMeeting {
        meeting: NewMeeting {
            free_busy: Some(fb),
            ..NewMeeting::in_room(
                "FB",
                "room.beta@contoso.example",
                t(7, 0),
                t(8, 0),
                "uid-fb",
            )
        },
        send: SendInvitations::SendToNone,
        saved_item_folder: None,
    }
}

/// (name, envelope) for every request variant the crate can build.
#[allow(clippy::vec_init_then_push)]
pub fn all_requests() -> Vec<(&'static str, String)> {
    let h = room_header();
    let plain = RequestHeader::default();
    let mut v: Vec<(&'static str, String)> = Vec::new();

    // Headers.
    v.push((
        "header_upn_timezone_2016",
        env(
            &RequestHeader {
                version: ExchangeVersion::Exchange2016,
                impersonation: Some(ConnectingSid::PrincipalName("admin@contoso.example".into())),
                time_zone_id: Some("W. Europe Standard Time".into()),
            },
            &GetFolder::calendar_of("admin@contoso.example"),
        ),
    ));
    v.push((
        "header_smtp_address",
        env(
            &RequestHeader {
                version: ExchangeVersion::Exchange2010Sp1,
                impersonation: Some(ConnectingSid::SmtpAddress("alias@contoso.example".into())),
                time_zone_id: None,
            },
            &GetRoomLists,
        ),
    ));
    v.push((
        "header_sid_v2016_10_10",
        env(
            &RequestHeader {
                version: ExchangeVersion::V2016_10_10,
                impersonation: Some(ConnectingSid::Sid("S-1-5-21-1-2-3-1001".into())),
                time_zone_id: Some("UTC".into()),
            },
            &GetRoomLists,
        ),
    ));

    // GetFolder.
    v.push((
        "get_folder_calendar",
        env(&h, &GetFolder::calendar_of("room.alpha@contoso.example")),
    ));
    v.push((
        "get_folder_by_id_default_shape",
        env(
            &plain,
            &GetFolder {
                folder: FolderId::Id {
                    id: "AQMkADAw".into(),
                    change_key: Some("AgAAAA==".into()),
                },
                shape: BaseShape::Default,
            },
        ),
    ));

    for (name, folder, shape) in [
        (
            "get_folder_inbox_all_properties",
            DistinguishedFolder::Inbox,
            BaseShape::AllProperties,
        ),
        (
            "get_folder_deleteditems",
            DistinguishedFolder::DeletedItems,
            BaseShape::IdOnly,
        ),
        (
            "get_folder_msgfolderroot",
            DistinguishedFolder::MsgFolderRoot,
            BaseShape::Default,
        ),
    ] {
        v.push((
            name,
            env(
                &plain,
                &GetFolder {
                    folder: FolderId::Distinguished {
                        folder,
                        mailbox: Some("admin@contoso.example".into()),
                    },
                    shape,
                },
            ),
        ));
    }
    for (name, version) in [
        ("header_exchange2010_sp2", ExchangeVersion::Exchange2010Sp2),
        ("header_exchange2013_sp1", ExchangeVersion::Exchange2013Sp1),
    ] {
        v.push((
            name,
            env(
                &RequestHeader {
                    version,
                    ..room_header()
                },
                &GetRoomLists,
            ),
        ));
    }

    // Rooms.
    v.push(("get_room_lists", env(&plain, &GetRoomLists)));
    v.push((
        "get_rooms",
        env(
            &plain,
            &GetRooms {
                room_list: "rooms-hq@contoso.example".into(),
            },
        ),
    ));

    // FindItem.
    let mut view = CalendarView::new("room.alpha@contoso.example", t(0, 0), t(23, 59));
    view.max_entries = Some(200);
    v.push(("find_item_calendar_view", env(&h, &view)));
    v.push((
        "find_item_calendar_view_impersonated_no_max",
        env(
            &h,
            &CalendarView {
                folder: FolderId::calendar(None),
                ..CalendarView::new("x@contoso.example", t(8, 0), t(18, 0))
            },
        ),
    ));

    // GetUserAvailability.
    let rooms = vec![
        MailboxRequest::room("room.alpha@contoso.example"),
        MailboxRequest::room("room.beta@contoso.example"),
        MailboxRequest {
            address: "someone@contoso.example".into(),
            kind: AttendeeKind::Required,
        },
    ];
    v.push((
        "get_user_availability_detailed",
        env(
            &plain,
            &GetUserAvailability::new(rooms.clone(), t(0, 0), t(23, 0)),
        ),
    ));
    v.push((
        "get_user_availability_freebusy",
        env(
            &plain,
            &GetUserAvailability {
                view: FreeBusyViewKind::FreeBusy,
                ..GetUserAvailability::new(
                    vec![MailboxRequest {
                        address: "projector@contoso.example".into(),
                        kind: AttendeeKind::Resource,
                    }],
                    t(9, 0),
                    t(10, 0),
                )
            },
        ),
    ));
    v.push((
        "get_user_availability_detailed_merged",
        env(
            &plain,
            &GetUserAvailability {
                view: FreeBusyViewKind::DetailedMerged,
                merged_interval_minutes: 15,
                ..GetUserAvailability::new(rooms, t(9, 0), t(10, 0))
            },
        ),
    ));

    // CreateItem.
    v.push((
        "create_meeting_minimal",
        env(
            &h,
            &CreateMeeting {
                meeting: NewMeeting::in_room(
                    "Team sync",
                    "room.alpha@contoso.example",
                    t(10, 0),
                    t(11, 0),
                    "roombook-7f9c2b1e-4d5a-4e0b-9a57-3c1d2e4f5a6b",
                ),
                send: SendInvitations::SendToAllAndSaveCopy,
                saved_item_folder: None,
            },
        ),
    ));
    v.push((
        "create_meeting_full",
        env(
            &h,
            &CreateMeeting {
                meeting: NewMeeting {
                    subject: "Budget <Q4> & \"review\" — Zürich 😀".into(),
                    body: Some(Body {
                        kind: BodyKind::Html,
                        content: "<p>Agenda:\r\n1. a &amp; b</p>".into(),
                    }),
                    uid: Some("roombook-1".into()),
                    start: t(13, 30),
                    end: t(14, 0),
                    free_busy: Some(FreeBusy::Busy),
                    location: Some("Room Alpha (3rd floor)".into()),
                    required_attendees: vec![
                        "alice@contoso.example".into(),
                        "bob@contoso.example".into(),
                    ],
                    optional_attendees: vec!["carol@contoso.example".into()],
                    resources: vec!["room.alpha@contoso.example".into()],
                },
                send: SendInvitations::SendOnlyToAll,
                saved_item_folder: Some(FolderId::calendar(Some("organizer@contoso.example"))),
            },
        ),
    ));
    v.push((
        "create_meeting_send_to_none",
        env(
            &plain,
            &CreateMeeting {
                meeting: NewMeeting {
                    body: Some(Body::text("plain text")),
                    ..NewMeeting::in_room(
                        "Hold",
                        "room.beta@contoso.example",
                        t(7, 0),
                        t(7, 15),
                        "uid-2",
                    )
                },
                send: SendInvitations::SendToNone,
                saved_item_folder: Some(FolderId::calendar(None)),
            },
        ),
    ));

    for (name, fb) in [
        ("create_meeting_free", FreeBusy::Free),
        ("create_meeting_tentative", FreeBusy::Tentative),
        ("create_meeting_oof", FreeBusy::Oof),
        (
            "create_meeting_working_elsewhere",
            FreeBusy::WorkingElsewhere,
        ),
        ("create_meeting_no_data", FreeBusy::NoData),
    ] {
        v.push((name, env(&plain, &meeting_with_free_busy(fb))));
    }

    // UpdateItem.
    v.push((
        "update_meeting_subject",
        env(
            &h,
            &UpdateMeeting {
                item: id(1),
                subject: Some("Renamed".into()),
                ..UpdateMeeting::default()
            },
        ),
    ));
    v.push((
        "update_meeting_times",
        env(
            &h,
            &UpdateMeeting {
                item: id(1),
                start: Some(t(15, 0)),
                end: Some(t(16, 0)),
                send: SendUpdates::SendToChangedAndSaveCopy,
                ..UpdateMeeting::default()
            },
        ),
    ));
    v.push((
        "update_meeting_all_overwrite",
        env(
            &h,
            &UpdateMeeting {
                item: ItemId::new("AAMkAD1=="),
                subject: Some("All".into()),
                location: Some("Room Beta".into()),
                start: Some(t(15, 0)),
                end: Some(t(16, 0)),
                send: SendUpdates::SendToNone,
                conflict: ConflictResolution::AlwaysOverwrite,
            },
        ),
    ));
    v.push((
        "update_meeting_auto_resolve",
        env(
            &h,
            &UpdateMeeting {
                item: id(1),
                start: Some(t(15, 0)),
                end: Some(t(16, 0)),
                conflict: ConflictResolution::AutoResolve,
                ..UpdateMeeting::default()
            },
        ),
    ));
    for (name, send) in [
        (
            "update_meeting_send_only_to_all",
            SendUpdates::SendOnlyToAll,
        ),
        (
            "update_meeting_send_only_to_changed",
            SendUpdates::SendOnlyToChanged,
        ),
        (
            "update_meeting_send_to_all_and_save_copy",
            SendUpdates::SendToAllAndSaveCopy,
        ),
    ] {
        v.push((
            name,
            env(
                &h,
                &UpdateMeeting {
                    item: id(2),
                    end: Some(t(17, 0)),
                    send,
                    ..UpdateMeeting::default()
                },
            ),
        ));
    }

    // Cancel / decline / delete.
    v.push((
        "cancel_calendar_item",
        env(
            &h,
            &CancelCalendarItem {
                item: id(3),
                message: Some(Body::text("The room is needed for maintenance.")),
            },
        ),
    ));
    v.push((
        "cancel_calendar_item_no_message",
        env(
            &h,
            &CancelCalendarItem {
                item: id(3),
                message: None,
            },
        ),
    ));
    v.push((
        "decline_item_send",
        env(
            &h,
            &DeclineItem {
                item: id(4),
                message: Some(Body::text("Room unavailable")),
                send: true,
            },
        ),
    ));
    v.push((
        "decline_item_save_only",
        env(
            &h,
            &DeclineItem {
                item: id(4),
                message: None,
                send: false,
            },
        ),
    ));
    v.push((
        "delete_item_move_to_deleted",
        env(
            &h,
            &DeleteItem {
                items: vec![id(5)],
                delete_type: DeleteType::MoveToDeletedItems,
                send_cancellations: SendInvitations::SendToAllAndSaveCopy,
            },
        ),
    ));
    v.push((
        "delete_item_hard_many",
        env(
            &h,
            &DeleteItem {
                items: vec![id(5), id(6), ItemId::new("AAMkAD7==")],
                delete_type: DeleteType::HardDelete,
                send_cancellations: SendInvitations::SendToNone,
            },
        ),
    ));
    v.push((
        "delete_item_soft",
        env(
            &h,
            &DeleteItem {
                items: vec![id(8)],
                delete_type: DeleteType::SoftDelete,
                send_cancellations: SendInvitations::SendOnlyToAll,
            },
        ),
    ));

    // SyncFolderItems.
    v.push((
        "sync_folder_items_initial",
        env(
            &h,
            &SyncFolderItems {
                folder: FolderId::calendar(Some("room.alpha@contoso.example")),
                shape: ItemShape::calendar(),
                sync_state: None,
                max_changes: 512,
            },
        ),
    ));
    v.push((
        "sync_folder_items_with_state",
        env(
            &h,
            &SyncFolderItems {
                folder: FolderId::Id {
                    id: "AQMkADAw".into(),
                    change_key: None,
                },
                shape: ItemShape::calendar_detailed(),
                sync_state: Some("H4sIAAAAAAAEAO29B2AcSZYlJi9tynt/SvVK1+B0oQiAYBMk2JBAEOzBiM3mkuwdaUcjKasqgcplVmVdZhZAzO2dvPfee++999577733".into()),
                max_changes: 100,
            },
        ),
    ));

    // GetItem.
    for (i, batch) in GetItem::batched(&[id(1), id(2), id(3)], 2, &ItemShape::calendar_detailed())
        .into_iter()
        .enumerate()
    {
        let name = if i == 0 {
            "get_item_batch_1"
        } else {
            "get_item_batch_2"
        };
        v.push((name, env(&h, &batch)));
    }
    v.push((
        "get_item_all_properties",
        env(
            &h,
            &GetItem {
                items: vec![ItemId::new("AAMkAD9==")],
                shape: ItemShape {
                    base: BaseShape::AllProperties,
                    body_type: Some(BodyKind::Html),
                    additional: vec![],
                },
            },
        ),
    ));

    // ResolveNames.
    v.push((
        "resolve_names_directory",
        env(&h, &ResolveNames::directory("admin@contoso.example")),
    ));
    v.push((
        "resolve_names_contacts",
        env(
            &plain,
            &ResolveNames {
                entry: "Alice".into(),
                scope: SearchScope::ContactsActiveDirectory,
                full_contact_data: false,
            },
        ),
    ));
    for (name, scope) in [
        (
            "resolve_names_ad_contacts",
            SearchScope::ActiveDirectoryContacts,
        ),
        ("resolve_names_contacts_only", SearchScope::Contacts),
    ] {
        v.push((
            name,
            env(
                &plain,
                &ResolveNames {
                    entry: "bob".into(),
                    scope,
                    full_contact_data: true,
                },
            ),
        ));
    }
    v
}

/// Line breaks between tags only, so that [`normalise`] undoes it exactly.
fn pretty(xml: &str) -> String {
    let mut out = String::new();
    let mut depth: usize = 0;
    for (i, seg) in xml.split("><").enumerate() {
        let seg = if i == 0 {
            seg.to_owned()
        } else {
            format!("<{seg}")
        };
        let seg = if seg.ends_with('>') {
            seg
        } else {
            format!("{seg}>")
        };
        let closing = seg.starts_with("</");
        let self_contained =
            seg.starts_with("<?") || seg.ends_with("/>") || (!closing && seg.contains("</"));
        if closing {
            depth = depth.saturating_sub(1);
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&"  ".repeat(depth));
        out.push_str(&seg);
        if !closing && !self_contained {
            depth += 1;
        }
    }
    out.push('\n');
    out
}

fn normalise(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut pending = String::new();
    let mut after_gt = false;
    for c in xml.chars() {
        if after_gt && c.is_whitespace() {
            pending.push(c);
            continue;
        }
        if c == '<' {
            pending.clear();
        } else {
            out.push_str(&pending);
            pending.clear();
        }
        out.push(c);
        after_gt = c == '>';
    }
    out
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn pretty_and_normalise_are_inverse() {
    for (name, xml) in all_requests() {
        assert_eq!(normalise(&pretty(&xml)), xml, "{name}");
    }
}

#[test]
fn golden_requests() {
    let dir = manifest_dir().join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (name, xml) in all_requests() {
        assert!(names.insert(name), "duplicate golden name {name}");
        let path = dir.join(format!("{name}.xml"));
        if update {
            std::fs::write(&path, pretty(&xml)).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(golden) if normalise(&golden) == xml => {}
            Ok(golden) => failures.push(format!(
                "{name}: differs from {}\n--- golden\n{}\n--- actual\n{}",
                path.display(),
                golden,
                pretty(&xml)
            )),
            Err(e) => failures.push(format!(
                "{name}: {} ({e}); run with UPDATE_GOLDEN=1",
                path.display()
            )),
        }
    }
    // No stale golden files.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        if !names.contains(stem.as_str()) {
            failures.push(format!("stale golden file {}", p.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A minimal SOAP 1.1 envelope schema: Header children and the single Body child are
/// validated strictly against the global elements of messages.xsd / types.xsd.
const SOAP_XSD: &str = r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://schemas.xmlsoap.org/soap/envelope/" elementFormDefault="qualified">
  <xs:element name="Envelope"><xs:complexType><xs:sequence>
    <xs:element name="Header" minOccurs="0"><xs:complexType><xs:sequence>
      <xs:any namespace="##other" processContents="strict" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence></xs:complexType></xs:element>
    <xs:element name="Body"><xs:complexType><xs:sequence>
      <xs:any namespace="##other" processContents="strict" minOccurs="1" maxOccurs="1"/>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"###;

/// types.xsd imports the XML namespace without a location; libxml2 needs `xml:lang` declared.
const XML_NS_XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace"><xs:attribute name="lang" type="xs:language"/></xs:schema>"#;

const WRAPPER_XSD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:roombook:ews-test-wrapper">
  <xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="xml.xsd"/>
  <xs:import namespace="http://schemas.xmlsoap.org/soap/envelope/" schemaLocation="soap-envelope.xsd"/>
  <xs:import namespace="http://schemas.microsoft.com/exchange/services/2006/messages" schemaLocation="messages.xsd"/>
</xs:schema>"#;

/// The one change libxml2 needs in the official types.xsd: `ArrayOfTransitionsType` lists
/// `t:Transition` and three members of its substitution group in one sequence, which libxml2
/// rejects as non-deterministic ("Unique Particle Attribution"). Collapsing it to the group
/// head accepts the same elements; none of our requests use transitions.
const UPA_FROM: &str = r#"            <xs:element ref="t:AbsoluteDateTransition" minOccurs="0" maxOccurs="unbounded" />
            <xs:element ref="t:RecurringDayTransition" minOccurs="0" maxOccurs="unbounded" />
            <xs:element ref="t:RecurringDateTransition" minOccurs="0" maxOccurs="unbounded" />
            <xs:element ref="t:Transition" minOccurs="0" maxOccurs="unbounded" />"#;
const UPA_TO: &str =
    r#"            <xs:element ref="t:Transition" minOccurs="0" maxOccurs="unbounded" />"#;

fn schema_dir() -> PathBuf {
    manifest_dir().join("../../shared/ews-schema")
}

/// Prepares the schema set in `dir` and returns the wrapper's path.
fn prepare_schema(dir: &Path) -> PathBuf {
    let src = schema_dir();
    let read = |f: &str| {
        std::fs::read_to_string(src.join(f)).unwrap_or_else(|e| {
            panic!("cannot read {} ({e}): the EWS schema must sit at ../../shared/ews-schema from ews/", src.join(f).display())
        })
    };
    let types = read("types.xsd").replace("\r\n", "\n");
    assert_eq!(
        types.matches(UPA_FROM).count(),
        1,
        "types.xsd changed: revisit the UPA patch in tests/ews/requests.rs"
    );
    std::fs::write(dir.join("types.xsd"), types.replace(UPA_FROM, UPA_TO)).unwrap();
    std::fs::write(dir.join("messages.xsd"), read("messages.xsd")).unwrap();
    std::fs::write(dir.join("xml.xsd"), XML_NS_XSD).unwrap();
    std::fs::write(dir.join("soap-envelope.xsd"), SOAP_XSD).unwrap();
    let wrapper = dir.join("wrapper.xsd");
    std::fs::write(&wrapper, WRAPPER_XSD).unwrap();
    wrapper
}

/// Runs xmllint over `files`; returns (success, stderr).
fn xmllint(schema: &Path, files: &[PathBuf]) -> (bool, String) {
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run xmllint ({e}). Install it: apt-get install libxml2-utils")
        });
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_request_validates_against_messages_xsd() {
    let tmp = tempfile::tempdir().unwrap();
    let schema = prepare_schema(tmp.path());
    let requests = all_requests();
    let files: Vec<PathBuf> = requests
        .iter()
        .map(|(name, xml)| {
            let p = tmp.path().join(format!("{name}.xml"));
            std::fs::write(&p, xml).unwrap();
            p
        })
        .collect();
    let (ok, stderr) = xmllint(&schema, &files);
    assert!(
        !stderr.contains("failed to compile"),
        "schema did not compile:\n{stderr}"
    );
    for f in &files {
        let line = format!("{} validates", f.display());
        assert!(
            stderr.contains(&line),
            "{} did not validate:\n{stderr}",
            f.display()
        );
    }
    assert!(ok, "xmllint failed:\n{stderr}");
    assert!(
        requests.len() >= 30,
        "expected every variant, got {}",
        requests.len()
    );
}

#[test]
fn validator_rejects_a_broken_request() {
    let tmp = tempfile::tempdir().unwrap();
    let schema = prepare_schema(tmp.path());
    let good = env(&room_header(), &GetFolder::calendar_of("a@contoso.example"));
    let cases = [
        (
            "bad_enum",
            good.replace("Id=\"calendar\"", "Id=\"kalender\""),
        ),
        // Element order matters: FolderIds before FolderShape is invalid.
        (
            "bad_order",
            good.replace(
                "<m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>",
                "",
            )
            .replace(
                "</m:FolderIds>",
                "</m:FolderIds><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>",
            ),
        ),
        (
            "bad_header",
            good.replace("Version=\"Exchange2013\"", "Version=\"Exchange2099\""),
        ),
    ];
    for (name, xml) in cases {
        assert_ne!(xml, good, "{name}: the mutation did not apply");
        let p = tmp.path().join(format!("{name}.xml"));
        std::fs::write(&p, xml).unwrap();
        let (ok, stderr) = xmllint(&schema, std::slice::from_ref(&p));
        assert!(
            !ok && stderr.contains("fails to validate"),
            "{name} unexpectedly validated: {stderr}"
        );
    }
}

#[test]
fn invalid_inputs_are_refused_before_sending() {
    let h = RequestHeader::default();
    let bad_char = CreateMeeting {
        meeting: NewMeeting::in_room("bell\u{7}", "r@contoso.example", t(1, 0), t(2, 0), "u"),
        send: SendInvitations::SendToNone,
        saved_item_folder: None,
    };
    assert!(matches!(
        Envelope::new(&h, &bad_char).to_xml(),
        Err(Error::InvalidXmlChar { codepoint: 7 })
    ));
    let backwards = CreateMeeting {
        meeting: NewMeeting::in_room("x", "r@contoso.example", t(2, 0), t(1, 0), "u"),
        send: SendInvitations::SendToNone,
        saved_item_folder: None,
    };
    assert!(matches!(
        Envelope::new(&h, &backwards).to_xml(),
        Err(Error::InvalidArgument(_))
    ));
    let empty = DeleteItem {
        items: vec![],
        delete_type: DeleteType::HardDelete,
        send_cancellations: SendInvitations::SendToNone,
    };
    assert!(matches!(
        Envelope::new(&h, &empty).to_xml(),
        Err(Error::InvalidArgument(_))
    ));
    let too_many: Vec<_> = (0..101)
        .map(|i| MailboxRequest::room(format!("r{i}@contoso.example")))
        .collect();
    let ua = GetUserAvailability::new(too_many.clone(), t(1, 0), t(2, 0));
    assert!(matches!(
        Envelope::new(&h, &ua).to_xml(),
        Err(Error::InvalidArgument(_))
    ));
    let batches =
        GetUserAvailability::batched(&too_many, t(1, 0), t(2, 0), FreeBusyViewKind::Detailed);
    assert_eq!(
        batches
            .iter()
            .map(|b| b.mailboxes.len())
            .collect::<Vec<_>>(),
        vec![100, 1]
    );
    assert_eq!(batches[1].mailboxes[0].address, "r100@contoso.example");
    let long = GetUserAvailability::new(
        vec![MailboxRequest::room("r@contoso.example")],
        t(0, 0),
        t(0, 0) + chrono::Duration::days(43),
    );
    assert!(matches!(
        Envelope::new(&h, &long).to_xml(),
        Err(Error::InvalidArgument(_))
    ));
    let mut odd = meeting_with_free_busy(FreeBusy::Other("Away".into()));
    assert!(matches!(
        Envelope::new(&h, &odd).to_xml(),
        Err(Error::InvalidArgument(_))
    ));
    odd.meeting.free_busy = None;
    assert!(Envelope::new(&h, &odd).to_xml().is_ok());
    let nothing = UpdateMeeting {
        item: ItemId::new("x"),
        ..UpdateMeeting::default()
    };
    assert!(matches!(
        Envelope::new(&h, &nothing).to_xml(),
        Err(Error::InvalidArgument(_))
    ));
}
