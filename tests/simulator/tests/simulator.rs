//! End-to-end tests of the simulator over HTTP, with hand-written SOAP (not the `ews` crate,
//! so a mistake in the client cannot hide a mistake here).

use std::time::Duration;

use chrono::{DateTime, Duration as Span, Timelike, Utc};
use roombook_simulator::xml::{Element, parse};
use roombook_simulator::{
    BookingPolicy, InjectedFault, MailboxScope, Room, RoomList, ServiceAccount, Simulator,
    SimulatorConfig, SimulatorHandle, TenantSeed, User,
};

const SVC: &str = "svc-booking@contoso.example";
const SVC_PASSWORD: &str = "correct horse";

fn seed() -> TenantSeed {
    TenantSeed::new("contoso.example")
        .user(User::new("alice@contoso.example", "Alice Archer"))
        .user(User::new("bob@contoso.example", "Bob Baker"))
        .user(User::new("nomail@contoso.example", "No Mailbox").without_mailbox())
        .room(
            Room::new("room.alpha@contoso.example", "Room Alpha", 8)
                .in_building("HQ", 3)
                .with_equipment(&["screen", "vc"]),
        )
        .room(
            Room::new("room.beta@contoso.example", "Room Beta", 4).with_policy(BookingPolicy {
                max_duration_minutes: 60,
                booking_window_days: 14,
                ..BookingPolicy::default()
            }),
        )
        .room_list(RoomList::new(
            "rooms-hq@contoso.example",
            "HQ rooms",
            &["room.alpha@contoso.example", "room.beta@contoso.example"],
        ))
        .service_account(ServiceAccount::new(SVC, SVC_PASSWORD))
        .service_account(
            ServiceAccount::new("svc-rooms@contoso.example", "pw2")
                .with_impersonation(MailboxScope::RoomsOnly),
        )
        .service_account(
            ServiceAccount::new("plain@contoso.example", "pw3")
                .without_impersonation()
                .with_mailbox("alice@contoso.example"),
        )
}

async fn start() -> SimulatorHandle {
    Simulator::start(SimulatorConfig::new(seed()))
        .await
        .expect("simulator starts")
}

struct Client {
    http: reqwest::Client,
    url: String,
    user: String,
    password: String,
}

struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn doc(&self) -> Element {
        parse(self.body.as_bytes()).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The single element inside `s:Body`.
    fn payload(&self) -> Element {
        self.doc()
            .child("Body")
            .and_then(|b| b.children.first().cloned())
            .unwrap_or_else(|| panic!("no body: {}", self.body))
    }

    fn messages(&self) -> Vec<Element> {
        self.payload()
            .child("ResponseMessages")
            .map(|m| m.children.clone())
            .unwrap_or_default()
    }

    fn fault_code(&self) -> String {
        self.doc()
            .path(&["Body", "Fault", "detail", "ResponseCode"])
            .map(|e| e.text.clone())
            .unwrap_or_else(|| panic!("no fault: {}", self.body))
    }
}

fn code(message: &Element) -> &str {
    message.child_text("ResponseCode").unwrap_or("")
}

impl Client {
    fn new(sim: &SimulatorHandle) -> Client {
        Client::as_user(sim, SVC, SVC_PASSWORD)
    }

    fn as_user(sim: &SimulatorHandle, user: &str, password: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            url: sim.ews_url(),
            user: user.into(),
            password: password.into(),
        }
    }

    /// Sends a body, impersonating `act_as` (with a matching X-AnchorMailbox) if given.
    async fn call(&self, act_as: Option<&str>, body: &str) -> Reply {
        self.call_with(act_as, act_as, body).await
    }

    async fn call_with(&self, act_as: Option<&str>, anchor: Option<&str>, body: &str) -> Reply {
        let header = match act_as {
            Some(who) => format!(
                "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{who}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
            ),
            None => String::new(),
        };
        let envelope = format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header><t:RequestServerVersion Version="Exchange2013"/>{header}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"#
        );
        let mut request = self
            .http
            .post(&self.url)
            .basic_auth(&self.user, Some(&self.password))
            .header("content-type", "text/xml; charset=utf-8")
            .body(envelope);
        if let Some(anchor) = anchor {
            request = request.header("X-AnchorMailbox", anchor);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        Reply { status, body }
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Tomorrow at `hour`:00 UTC, so tests never straddle "now".
fn tomorrow_at(hour: u32) -> DateTime<Utc> {
    (Utc::now() + Span::days(1))
        .with_hour(hour)
        .and_then(|t| t.with_minute(0))
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .expect("valid time")
}

fn create_meeting(
    organizer: &str,
    room: &str,
    uid: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> String {
    format!(
        r#"<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy"><m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"><t:Mailbox><t:EmailAddress>{organizer}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>Planning &amp; review</t:Subject><t:Body BodyType="Text">Agenda</t:Body><t:UID>{uid}</t:UID><t:Start>{}</t:Start><t:End>{}</t:End><t:LegacyFreeBusyStatus>Busy</t:LegacyFreeBusyStatus><t:Location>Room</t:Location><t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>bob@contoso.example</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees><t:Resources><t:Attendee><t:Mailbox><t:EmailAddress>{room}</t:EmailAddress></t:Mailbox></t:Attendee></t:Resources></t:CalendarItem></m:Items></m:CreateItem>"#,
        ts(start),
        ts(end)
    )
}

fn get_item(id: &str) -> String {
    format!(
        r#"<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="{id}"/></m:ItemIds></m:GetItem>"#
    )
}

fn created_id(reply: &Reply) -> (String, String) {
    let messages = reply.messages();
    assert_eq!(code(&messages[0]), "NoError", "{}", reply.body);
    let id = messages[0]
        .path(&["Items", "CalendarItem", "ItemId"])
        .expect("item id");
    (
        id.attr("Id").unwrap().to_string(),
        id.attr("ChangeKey").unwrap().to_string(),
    )
}

fn room_response(item: &Element, room: &str) -> String {
    item.child("Resources")
        .expect("resources")
        .children_named("Attendee")
        .find(|a| {
            a.path(&["Mailbox", "EmailAddress"])
                .map(|e| e.text.as_str())
                == Some(room)
        })
        .and_then(|a| a.child_text("ResponseType"))
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn room_lists_rooms_and_directory() {
    let sim = start().await;
    let c = Client::new(&sim);
    let lists = c.call(None, "<m:GetRoomLists/>").await;
    assert_eq!(lists.status, 200, "{}", lists.body);
    let payload = lists.payload();
    assert_eq!(payload.attr("ResponseClass"), Some("Success"));
    let addresses: Vec<_> = payload
        .child("RoomLists")
        .unwrap()
        .children
        .iter()
        .map(|a| a.child_text("EmailAddress").unwrap().to_string())
        .collect();
    assert_eq!(addresses, ["rooms-hq@contoso.example"]);

    let rooms = c
        .call(None, "<m:GetRooms><m:RoomList><t:EmailAddress>rooms-hq@contoso.example</t:EmailAddress></m:RoomList></m:GetRooms>")
        .await;
    let names: Vec<_> = rooms
        .payload()
        .child("Rooms")
        .unwrap()
        .children
        .iter()
        .map(|r| r.path(&["Id", "Name"]).unwrap().text.clone())
        .collect();
    assert_eq!(names, ["Room Alpha", "Room Beta"]);
    let unknown = c
        .call(None, "<m:GetRooms><m:RoomList><t:EmailAddress>nope@contoso.example</t:EmailAddress></m:RoomList></m:GetRooms>")
        .await;
    assert_eq!(
        unknown.payload().child_text("ResponseCode"),
        Some("ErrorNameResolutionNoResults")
    );

    let resolved = c
        .call(None, r#"<m:ResolveNames ReturnFullContactData="true" SearchScope="ActiveDirectory"><m:UnresolvedEntry>alice@contoso.example</m:UnresolvedEntry></m:ResolveNames>"#)
        .await;
    let message = &resolved.messages()[0];
    assert_eq!(code(message), "NoError", "{}", resolved.body);
    assert_eq!(
        message
            .path(&["ResolutionSet", "Resolution", "Mailbox", "Name"])
            .unwrap()
            .text,
        "Alice Archer"
    );
    let several = c
        .call(None, r#"<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>room</m:UnresolvedEntry></m:ResolveNames>"#)
        .await;
    assert_eq!(
        code(&several.messages()[0]),
        "ErrorNameResolutionMultipleResults"
    );
    assert_eq!(several.messages()[0].attr("ResponseClass"), Some("Warning"));
    let none = c
        .call(None, r#"<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>zzz</m:UnresolvedEntry></m:ResolveNames>"#)
        .await;
    assert_eq!(code(&none.messages()[0]), "ErrorNameResolutionNoResults");
}

#[tokio::test]
async fn booking_attendant_accepts_declines_updates_and_cancels() {
    let sim = start().await;
    let c = Client::new(&sim);
    let alice = "alice@contoso.example";
    let alpha = "room.alpha@contoso.example";
    let start = tomorrow_at(10);

    let first = c
        .call(
            Some(alice),
            &create_meeting(alice, alpha, "uid-1", start, start + Span::minutes(30)),
        )
        .await;
    let (first_id, _) = created_id(&first);
    let item = c.call(Some(alice), &get_item(&first_id)).await;
    let item_el = item.messages()[0]
        .path(&["Items", "CalendarItem"])
        .unwrap()
        .clone();
    assert_eq!(room_response(&item_el, alpha), "Accept", "{}", item.body);
    assert_eq!(item_el.child_text("UID"), Some("uid-1"));
    assert_eq!(item_el.child_text("MyResponseType"), Some("Organizer"));

    // Bob books the same room over Alice's meeting: declined for a conflict.
    let second = c
        .call(
            Some("bob@contoso.example"),
            &create_meeting(
                "bob@contoso.example",
                alpha,
                "uid-2",
                start + Span::minutes(15),
                start + Span::minutes(45),
            ),
        )
        .await;
    let (second_id, _) = created_id(&second);
    let item = c
        .call(Some("bob@contoso.example"), &get_item(&second_id))
        .await;
    let item_el = item.messages()[0]
        .path(&["Items", "CalendarItem"])
        .unwrap()
        .clone();
    assert_eq!(room_response(&item_el, alpha), "Decline");
    let responses = sim.inspect().room_responses();
    assert_eq!(
        responses.last().unwrap().reason,
        Some(roombook_simulator::DeclineReason::Conflict)
    );
    assert_eq!(sim.inspect().calendar(alpha).len(), 1);

    // Room Beta: too long, then outside the booking window.
    let beta = "room.beta@contoso.example";
    let long = c
        .call(
            Some(alice),
            &create_meeting(alice, beta, "uid-3", start, start + Span::hours(2)),
        )
        .await;
    let (long_id, _) = created_id(&long);
    let far_start = start + Span::days(30);
    let far = c
        .call(
            Some(alice),
            &create_meeting(
                alice,
                beta,
                "uid-4",
                far_start,
                far_start + Span::minutes(30),
            ),
        )
        .await;
    created_id(&far);
    let reasons: Vec<_> = sim
        .inspect()
        .room_responses()
        .iter()
        .filter(|r| r.room == beta)
        .map(|r| r.reason)
        .collect();
    assert_eq!(
        reasons,
        [
            Some(roombook_simulator::DeclineReason::TooLong),
            Some(roombook_simulator::DeclineReason::OutsideBookingWindow)
        ]
    );
    let long_item = c.call(Some(alice), &get_item(&long_id)).await;
    assert_eq!(
        room_response(
            long_item.messages()[0]
                .path(&["Items", "CalendarItem"])
                .unwrap(),
            beta
        ),
        "Decline"
    );

    // Move Alice's meeting an hour later: the room follows.
    let (_, change_key) = {
        let item = c.call(Some(alice), &get_item(&first_id)).await;
        let id = item.messages()[0]
            .path(&["Items", "CalendarItem", "ItemId"])
            .unwrap()
            .clone();
        (
            id.attr("Id").unwrap().to_string(),
            id.attr("ChangeKey").unwrap().to_string(),
        )
    };
    let new_start = start + Span::hours(1);
    let update = format!(
        r#"<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy"><m:ItemChanges><t:ItemChange><t:ItemId Id="{first_id}" ChangeKey="{change_key}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="calendar:Start"/><t:CalendarItem><t:Start>{}</t:Start></t:CalendarItem></t:SetItemField><t:SetItemField><t:FieldURI FieldURI="calendar:End"/><t:CalendarItem><t:End>{}</t:End></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"#,
        ts(new_start),
        ts(new_start + Span::minutes(30))
    );
    let updated = c.call(Some(alice), &update).await;
    assert_eq!(code(&updated.messages()[0]), "NoError", "{}", updated.body);
    let room_calendar = sim.inspect().calendar(alpha);
    assert_eq!(room_calendar.len(), 1);
    assert_eq!(room_calendar[0].start, new_start);
    // A stale change key with NeverOverwrite is refused.
    let stale = update.replace("AlwaysOverwrite", "NeverOverwrite");
    let refused = c.call(Some(alice), &stale).await;
    assert_eq!(code(&refused.messages()[0]), "ErrorIrresolvableConflict");

    assert!(sim.inspect().double_bookings().is_empty());
    assert!(
        sim.inspect().orphans().is_empty(),
        "{:?}",
        sim.inspect().orphans()
    );

    // Cancel: the room's copy goes, Bob's copy is marked cancelled.
    let cancel = format!(
        r#"<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:CancelCalendarItem><t:ReferenceItemId Id="{first_id}"/><t:NewBodyContent BodyType="Text">Sorry</t:NewBodyContent></t:CancelCalendarItem></m:Items></m:CreateItem>"#
    );
    let cancelled = c.call(Some(alice), &cancel).await;
    assert_eq!(
        code(&cancelled.messages()[0]),
        "NoError",
        "{}",
        cancelled.body
    );
    assert!(sim.inspect().calendar(alpha).is_empty());
    assert!(
        sim.inspect()
            .calendar("bob@contoso.example")
            .iter()
            .any(|i| i.uid == "uid-1" && i.is_cancelled)
    );
    let gone = c.call(Some(alice), &get_item(&first_id)).await;
    assert_eq!(code(&gone.messages()[0]), "ErrorItemNotFound");
    assert!(sim.inspect().orphans().is_empty());
}

#[tokio::test]
async fn delete_without_cancellations_leaves_an_orphan_and_room_decline_reaches_organizer() {
    let sim = start().await;
    let c = Client::new(&sim);
    let alice = "alice@contoso.example";
    let alpha = "room.alpha@contoso.example";
    let start = tomorrow_at(13);
    let (id, _) = created_id(
        &c.call(
            Some(alice),
            &create_meeting(alice, alpha, "uid-o", start, start + Span::minutes(30)),
        )
        .await,
    );
    let delete = format!(
        r#"<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToNone"><m:ItemIds><t:ItemId Id="{id}"/></m:ItemIds></m:DeleteItem>"#
    );
    let deleted = c.call(Some(alice), &delete).await;
    assert_eq!(code(&deleted.messages()[0]), "NoError");
    let orphans = sim.inspect().orphans();
    assert_eq!(orphans.len(), 1);
    assert_eq!(orphans[0].item.uid, "uid-o");

    // The server declines as the room: the organiser's copy records it.
    let (id2, _) = created_id(
        &c.call(
            Some(alice),
            &create_meeting(
                alice,
                alpha,
                "uid-d",
                start + Span::hours(2),
                start + Span::hours(3),
            ),
        )
        .await,
    );
    let room_copy = sim
        .inspect()
        .calendar(alpha)
        .into_iter()
        .find(|i| i.uid == "uid-d")
        .unwrap();
    let decline = format!(
        r#"<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:DeclineItem><t:ReferenceItemId Id="{}"/></t:DeclineItem></m:Items></m:CreateItem>"#,
        room_copy.id
    );
    let declined = c.call(Some(alpha), &decline).await;
    assert_eq!(
        code(&declined.messages()[0]),
        "NoError",
        "{}",
        declined.body
    );
    let organizer = c.call(Some(alice), &get_item(&id2)).await;
    assert_eq!(
        room_response(
            organizer.messages()[0]
                .path(&["Items", "CalendarItem"])
                .unwrap(),
            alpha
        ),
        "Decline"
    );
}

#[tokio::test]
async fn calendar_view_availability_and_sync() {
    let sim = start().await;
    let c = Client::new(&sim);
    let alice = "alice@contoso.example";
    let alpha = "room.alpha@contoso.example";
    let day = tomorrow_at(0);

    let sync_body = |state: &str| {
        format!(
            r#"<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="calendar:UID"/><t:FieldURI FieldURI="calendar:Start"/></t:AdditionalProperties></m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="calendar"/></m:SyncFolderId>{}<m:MaxChangesReturned>1</m:MaxChangesReturned></m:SyncFolderItems>"#,
            if state.is_empty() {
                String::new()
            } else {
                format!("<m:SyncState>{state}</m:SyncState>")
            }
        )
    };
    let initial = c.call(Some(alpha), &sync_body("")).await;
    let message = &initial.messages()[0];
    assert_eq!(code(message), "NoError", "{}", initial.body);
    let state0 = message.child_text("SyncState").unwrap().to_string();

    for (n, hour) in [9, 11].iter().enumerate() {
        let start = day + Span::hours(*hour);
        created_id(
            &c.call(
                Some(alice),
                &create_meeting(
                    alice,
                    alpha,
                    &format!("uid-s{n}"),
                    start,
                    start + Span::hours(1),
                ),
            )
            .await,
        );
    }

    // Two creations, one per page.
    let page1 = c.call(Some(alpha), &sync_body(&state0)).await;
    let m1 = &page1.messages()[0];
    assert_eq!(m1.child_text("IncludesLastItemInRange"), Some("false"));
    let creates: Vec<_> = m1
        .child("Changes")
        .unwrap()
        .children_named("Create")
        .collect();
    assert_eq!(creates.len(), 1);
    assert_eq!(
        creates[0].path(&["CalendarItem", "UID"]).unwrap().text,
        "uid-s0"
    );
    let page2 = c
        .call(Some(alpha), &sync_body(m1.child_text("SyncState").unwrap()))
        .await;
    let m2 = &page2.messages()[0];
    assert_eq!(m2.child_text("IncludesLastItemInRange"), Some("true"));
    let bad = c.call(Some(alpha), &sync_body("bm90IGEgc3RhdGU=")).await;
    assert_eq!(code(&bad.messages()[0]), "ErrorInvalidSyncStateData");

    // CalendarView with a cap of one entry.
    let view = format!(
        r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="calendar:UID"/><t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="calendar:Organizer"/></t:AdditionalProperties></m:ItemShape><m:CalendarView MaxEntriesReturned="1" StartDate="{}" EndDate="{}"/><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"><t:Mailbox><t:EmailAddress>{alpha}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:ParentFolderIds></m:FindItem>"#,
        ts(day),
        ts(day + Span::days(1))
    );
    let found = c.call(Some(alpha), &view).await;
    let root = found.messages()[0].child("RootFolder").unwrap().clone();
    assert_eq!(root.attr("TotalItemsInView"), Some("2"), "{}", found.body);
    assert_eq!(root.attr("IncludesLastItemInRange"), Some("false"));
    assert_eq!(root.child("Items").unwrap().children.len(), 1);

    // Free/busy: merged in 60-minute slots from 08:00 for 5 hours, with details.
    let availability = format!(
        r#"<m:GetUserAvailabilityRequest><t:TimeZone><t:Bias>0</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone><m:MailboxDataArray><t:MailboxData><t:Email><t:Address>{alpha}</t:Address></t:Email><t:AttendeeType>Room</t:AttendeeType><t:ExcludeConflicts>false</t:ExcludeConflicts></t:MailboxData><t:MailboxData><t:Email><t:Address>ghost@contoso.example</t:Address></t:Email><t:AttendeeType>Required</t:AttendeeType><t:ExcludeConflicts>false</t:ExcludeConflicts></t:MailboxData></m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>{}</t:StartTime><t:EndTime>{}</t:EndTime></t:TimeWindow><t:MergedFreeBusyIntervalInMinutes>60</t:MergedFreeBusyIntervalInMinutes><t:RequestedView>DetailedMerged</t:RequestedView></t:FreeBusyViewOptions></m:GetUserAvailabilityRequest>"#,
        (day + Span::hours(8)).format("%Y-%m-%dT%H:%M:%S"),
        (day + Span::hours(13)).format("%Y-%m-%dT%H:%M:%S"),
    );
    let fb = c.call(None, &availability).await;
    assert_eq!(fb.status, 200, "{}", fb.body);
    let responses: Vec<_> = fb
        .payload()
        .child("FreeBusyResponseArray")
        .unwrap()
        .children
        .clone();
    let room_view = responses[0].child("FreeBusyView").unwrap();
    assert_eq!(
        room_view.child_text("MergedFreeBusy"),
        Some("02020"),
        "{}",
        fb.body
    );
    let events: Vec<_> = room_view
        .child("CalendarEventArray")
        .unwrap()
        .children_named("CalendarEvent")
        .collect();
    assert_eq!(events.len(), 2);
    // Exchange's default privacy: the room's copy carries the organiser's name as subject.
    assert_eq!(
        events[0]
            .path(&["CalendarEventDetails", "Subject"])
            .unwrap()
            .text,
        "Alice Archer"
    );
    assert_eq!(
        responses[1]
            .path(&["ResponseMessage", "ResponseCode"])
            .unwrap()
            .text,
        "ErrorMailRecipientNotFound"
    );
}

#[tokio::test]
async fn schema_validation_fault_matches_exchange() {
    let sim = start().await;
    let c = Client::new(&sim);
    // Elements out of order in FindItem (ParentFolderIds before ItemShape).
    let bad = r#"<m:FindItem Traversal="Shallow"><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape></m:FindItem>"#;
    let reply = c.call(Some("room.alpha@contoso.example"), bad).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.fault_code(), "ErrorSchemaValidation");
    let doc = reply.doc();
    let fault = doc.path(&["Body", "Fault"]).unwrap();
    assert_eq!(
        fault.child_text("faultcode"),
        Some("a:ErrorSchemaValidation")
    );
    assert!(
        fault
            .child_text("faultstring")
            .unwrap()
            .starts_with("The request failed schema validation")
    );
    let xml = fault.path(&["detail", "MessageXml"]).unwrap();
    assert!(
        xml.child_text("LineNumber")
            .unwrap()
            .parse::<u32>()
            .unwrap()
            >= 1
    );
    assert!(xml.child("Violation").is_some());
    // A wrong enumeration value.
    let bad_enum = r#"<m:GetFolder><m:FolderShape><t:BaseShape>Everything</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>"#;
    let reply = c.call(Some("room.alpha@contoso.example"), bad_enum).await;
    assert_eq!(reply.fault_code(), "ErrorSchemaValidation");
    assert_eq!(sim.inspect().schema_violations(), 2);
    // No operation ran.
    assert_eq!(sim.inspect().calls("FindItem"), 0);
}

#[tokio::test]
async fn basic_auth_and_impersonation_rules() {
    let sim = start().await;
    let folder = r#"<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>"#;
    let wrong = Client::as_user(&sim, SVC, "wrong").call(None, folder).await;
    assert_eq!(wrong.status, 401);
    let raw = reqwest::Client::new()
        .post(sim.ews_url())
        .body("<x/>")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);
    assert!(raw.headers().contains_key("www-authenticate"));

    let svc = Client::new(&sim);
    // Impersonating a room works and opens its calendar.
    let ok = svc.call(Some("room.alpha@contoso.example"), folder).await;
    let message = &ok.messages()[0];
    assert_eq!(code(message), "NoError", "{}", ok.body);
    assert_eq!(
        message
            .path(&["Folders", "CalendarFolder", "DisplayName"])
            .unwrap()
            .text,
        "Calendar"
    );
    // The service account has no mailbox of its own.
    let no_mailbox = svc.call(None, folder).await;
    assert_eq!(code(&no_mailbox.messages()[0]), "ErrorMissingEmailAddress");
    // Nor may it open Alice's calendar without impersonation.
    let other = folder.replace(
        r#"<t:DistinguishedFolderId Id="calendar"/>"#,
        r#"<t:DistinguishedFolderId Id="calendar"><t:Mailbox><t:EmailAddress>alice@contoso.example</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>"#,
    );
    let denied = svc.call(None, &other).await;
    assert_eq!(code(&denied.messages()[0]), "ErrorAccessDenied");
    // Unknown target, and a directory user without a mailbox.
    let ghost = svc.call(Some("ghost@contoso.example"), folder).await;
    assert_eq!(ghost.fault_code(), "ErrorNonExistentMailbox");
    let nomail = svc.call(Some("nomail@contoso.example"), folder).await;
    assert_eq!(nomail.fault_code(), "ErrorNonExistentMailbox");
    // An account without the impersonation role.
    let plain = Client::as_user(&sim, "plain@contoso.example", "pw3");
    let refused = plain.call(Some("room.alpha@contoso.example"), folder).await;
    assert_eq!(refused.fault_code(), "ErrorImpersonateUserDenied");
    // ... which can still open its own mailbox.
    let own = plain.call(None, folder).await;
    assert_eq!(code(&own.messages()[0]), "NoError");
    // A scope limited to rooms.
    let rooms_only = Client::as_user(&sim, "svc-rooms@contoso.example", "pw2");
    let user = rooms_only.call(Some("alice@contoso.example"), folder).await;
    assert_eq!(user.fault_code(), "ErrorImpersonateUserDenied");
    let room = rooms_only
        .call(Some("room.beta@contoso.example"), folder)
        .await;
    assert_eq!(code(&room.messages()[0]), "NoError");

    // X-AnchorMailbox missing: answered, but reported.
    assert!(sim.inspect().missing_anchor_mailbox().is_empty());
    let unanchored = svc
        .call_with(Some("room.alpha@contoso.example"), None, folder)
        .await;
    assert_eq!(code(&unanchored.messages()[0]), "NoError");
    assert_eq!(
        sim.inspect().missing_anchor_mailbox(),
        ["room.alpha@contoso.example"]
    );

    // Expired password.
    sim.faults().expire_password(SVC, true);
    let expired = svc.call(Some("room.alpha@contoso.example"), folder).await;
    assert_eq!(expired.status, 401);
    sim.faults().expire_password(SVC, false);
    let back = svc.call(Some("room.alpha@contoso.example"), folder).await;
    assert_eq!(back.status, 200);
}

#[tokio::test]
async fn strict_anchor_mailbox_refuses_unanchored_calls() {
    let mut config = SimulatorConfig::new(seed());
    config.require_anchor_mailbox = true;
    let sim = Simulator::start(config).await.unwrap();
    let svc = Client::new(&sim);
    let folder = r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>"#;
    let refused = svc
        .call_with(
            Some("room.alpha@contoso.example"),
            Some("alice@contoso.example"),
            folder,
        )
        .await;
    assert_eq!(refused.status, 500);
    assert_eq!(refused.fault_code(), "ErrorInternalServerTransientError");
}

#[tokio::test]
async fn faults_throttle_unavailable_drop_and_latency() {
    let sim = start().await;
    let svc = Client::new(&sim);
    let body = "<m:GetRoomLists/>";

    sim.faults()
        .set_throttling(0.5, Duration::from_millis(1234));
    let mut busy = 0;
    for _ in 0..10 {
        let reply = svc.call(None, body).await;
        if reply.status == 500 {
            assert_eq!(reply.fault_code(), "ErrorServerBusy");
            let value = reply
                .doc()
                .path(&["Body", "Fault", "detail", "MessageXml", "Value"])
                .unwrap()
                .clone();
            assert_eq!(value.attr("Name"), Some("BackOffMilliseconds"));
            assert_eq!(value.text, "1234");
            busy += 1;
        }
    }
    assert_eq!(busy, 5);
    // Throttled calls never reached the operation.
    assert_eq!(sim.inspect().calls("GetRoomLists"), 5);
    sim.faults().clear();

    sim.faults().set_unavailable(1.0);
    assert_eq!(svc.call(None, body).await.status, 503);
    sim.faults().clear();

    sim.faults().queue([InjectedFault::DropConnection]);
    let dropped = svc
        .http
        .post(&svc.url)
        .basic_auth(SVC, Some(SVC_PASSWORD))
        .body("<x/>")
        .send()
        .await;
    assert!(dropped.is_err(), "the connection should close unanswered");
    assert_eq!(svc.call(None, body).await.status, 200);

    sim.faults().set_latency(Duration::from_millis(150));
    let started = std::time::Instant::now();
    svc.call(None, body).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn inspection_counts_operations_and_mailboxes() {
    let sim = start().await;
    let svc = Client::new(&sim);
    let folder = r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>"#;
    for _ in 0..3 {
        svc.call(Some("room.alpha@contoso.example"), folder).await;
    }
    svc.call(Some("room.beta@contoso.example"), folder).await;
    svc.call(None, "<m:GetRoomLists/>").await;
    let inspect = sim.inspect();
    assert_eq!(inspect.calls("GetFolder"), 4);
    assert_eq!(inspect.calls("GetRoomLists"), 1);
    assert_eq!(inspect.calls_for_mailbox("room.alpha@contoso.example"), 3);
    assert_eq!(inspect.calls_for_mailbox("Room.Beta@contoso.example"), 1);
    assert_eq!(inspect.total_requests(), 5);
    inspect.reset_counts();
    assert_eq!(inspect.calls("GetFolder"), 0);
}

#[tokio::test]
async fn rooms_added_at_run_time_and_policies_changed() {
    let sim = start().await;
    let svc = Client::new(&sim);
    sim.add_room(Room::new("room.new@contoso.example", "New Room", 2));
    assert!(sim.set_booking_policy(
        "room.new@contoso.example",
        BookingPolicy {
            auto_accept: false,
            ..BookingPolicy::default()
        }
    ));
    let alice = "alice@contoso.example";
    let start = tomorrow_at(15);
    let (id, _) = created_id(
        &svc.call(
            Some(alice),
            &create_meeting(
                alice,
                "room.new@contoso.example",
                "uid-n",
                start,
                start + Span::minutes(30),
            ),
        )
        .await,
    );
    let item = svc.call(Some(alice), &get_item(&id)).await;
    assert_eq!(
        room_response(
            item.messages()[0].path(&["Items", "CalendarItem"]).unwrap(),
            "room.new@contoso.example"
        ),
        "Tentative"
    );
}

// ---------------------------------------------------------------------------------------
// Entra ID and OAuth

mod oauth {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use openssl::hash::{MessageDigest, hash};
    use openssl::pkey::{PKey, Private};
    use openssl::rsa::{Padding, Rsa};
    use openssl::sign::{RsaPssSaltlen, Signer};
    use openssl::x509::X509;
    use roombook_simulator::AppRegistration;
    use serde_json::{Value, json};

    pub const APP: &str = "11111111-2222-3333-4444-555555555555";
    pub const ROOMS_APP: &str = "22222222-2222-3333-4444-555555555555";
    pub const NEW_APP: &str = "33333333-2222-3333-4444-555555555555";
    pub const REDIRECT: &str = "http://localhost:3000/auth/callback";

    pub struct Credential {
        pub key: PKey<Private>,
        pub cert: X509,
    }

    pub fn credential(cn: &str) -> Credential {
        use openssl::asn1::Asn1Time;
        use openssl::x509::{X509Builder, X509NameBuilder};
        let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", cn).unwrap();
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        Credential {
            key,
            cert: b.build(),
        }
    }

    impl Credential {
        pub fn pem(&self) -> String {
            String::from_utf8(self.cert.to_pem().unwrap()).unwrap()
        }

        /// An MSAL-style client assertion: PS256 + x5t#S256, or RS256 + x5t.
        pub fn assertion(&self, client_id: &str, aud: &str, pss: bool, exp_in: i64) -> String {
            let der = self.cert.to_der().unwrap();
            let header = if pss {
                json!({"alg": "PS256", "typ": "JWT", "x5t#S256": B64URL.encode(hash(MessageDigest::sha256(), &der).unwrap())})
            } else {
                json!({"alg": "RS256", "typ": "JWT", "x5t": B64URL.encode(hash(MessageDigest::sha1(), &der).unwrap())})
            };
            let now = Utc::now().timestamp();
            let claims = json!({"aud": aud, "iss": client_id, "sub": client_id, "jti": uuid::Uuid::new_v4().to_string(), "nbf": now, "iat": now, "exp": now + exp_in});
            let input = format!(
                "{}.{}",
                B64URL.encode(header.to_string()),
                B64URL.encode(claims.to_string())
            );
            let mut signer = Signer::new(MessageDigest::sha256(), &self.key).unwrap();
            if pss {
                signer.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
                signer
                    .set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)
                    .unwrap();
            }
            signer.update(input.as_bytes()).unwrap();
            format!("{input}.{}", B64URL.encode(signer.sign_to_vec().unwrap()))
        }
    }

    pub async fn token_request(
        sim: &SimulatorHandle,
        client_id: &str,
        assertion: &str,
    ) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(sim.token_url())
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion),
                ("scope", "https://outlook.office365.com/.default"),
            ])
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    pub async fn bearer_call(
        sim: &SimulatorHandle,
        token: &str,
        act_as: Option<&str>,
    ) -> (u16, String, Option<String>) {
        let header = act_as.map(|who| format!("<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{who}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>")).unwrap_or_default();
        let envelope = format!(
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><soap:Header><t:RequestServerVersion Version="Exchange2016"/>{header}</soap:Header><soap:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder></soap:Body></soap:Envelope>"#
        );
        let mut request = reqwest::Client::new()
            .post(sim.ews_url())
            .bearer_auth(token)
            .header("content-type", "text/xml; charset=utf-8")
            .body(envelope);
        if let Some(who) = act_as {
            request = request.header("X-AnchorMailbox", who);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let diagnostics = response
            .headers()
            .get("x-ms-diagnostics")
            .map(|v| v.to_str().unwrap().to_string());
        (status, response.text().await.unwrap(), diagnostics)
    }

    pub fn error_code(body: &Value) -> u64 {
        body["error_codes"][0].as_u64().unwrap_or(0)
    }

    pub async fn start_with_apps(consent_delay: Duration) -> (SimulatorHandle, Credential) {
        let credential = credential("roombook test app");
        let seed = seed()
            .app(
                AppRegistration::new(APP, "Roombook")
                    .with_certificate(&credential.pem())
                    .with_redirect_uri(REDIRECT)
                    .consented(),
            )
            .app(
                AppRegistration::new(ROOMS_APP, "Roombook rooms only")
                    .with_certificate(&credential.pem())
                    .consented()
                    .scoped_to(MailboxScope::RoomsOnly),
            )
            .app(
                AppRegistration::new(NEW_APP, "Roombook (new tenant)")
                    .with_certificate(&credential.pem())
                    .with_redirect_uri(REDIRECT),
            );
        let mut config = SimulatorConfig::new(seed);
        config.consent_delay = consent_delay;
        (Simulator::start(config).await.unwrap(), credential)
    }
}

#[tokio::test]
async fn client_credentials_with_certificate_assertion_and_bearer_ews() {
    use oauth::*;
    let (sim, cred) = start_with_apps(Duration::ZERO).await;
    let aud = sim.token_url();

    let assertion = cred.assertion(APP, &aud, true, 600);
    let (status, body) = token_request(&sim, APP, &assertion).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap().to_string();
    let (status, text, _) = bearer_call(&sim, &token, Some("room.alpha@contoso.example")).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("NoError"));

    // Replayed assertion, wrong audience, expired, unknown certificate, unknown app.
    let (status, body) = token_request(&sim, APP, &assertion).await;
    assert_eq!((status, error_code(&body)), (401, 50027), "{body}");
    assert_eq!(body["error"], "invalid_client");
    let (_, body) = token_request(
        &sim,
        APP,
        &cred.assertion(APP, "https://elsewhere/token", true, 600),
    )
    .await;
    assert_eq!(error_code(&body), 700023, "{body}");
    let (_, body) = token_request(&sim, APP, &cred.assertion(APP, &aud, true, -3600)).await;
    assert_eq!(error_code(&body), 700024, "{body}");
    let stranger = credential("not registered");
    let (_, body) = token_request(&sim, APP, &stranger.assertion(APP, &aud, true, 600)).await;
    assert_eq!(error_code(&body), 700027, "{body}");
    let (status, body) = token_request(
        &sim,
        "no-such-app",
        &cred.assertion("no-such-app", &aud, true, 600),
    )
    .await;
    assert_eq!((status, error_code(&body)), (400, 700016), "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS700016:")
    );
    // iss/sub for another app.
    let (_, body) = token_request(&sim, APP, &cred.assertion(ROOMS_APP, &aud, true, 600)).await;
    assert_eq!(error_code(&body), 700021, "{body}");

    // RS256 + x5t is accepted too.
    let (status, _) = token_request(&sim, APP, &cred.assertion(APP, &aud, false, 600)).await;
    assert_eq!(status, 200);

    // App-only tokens must impersonate.
    let (status, text, _) = bearer_call(&sim, &token, None).await;
    assert_eq!(status, 500);
    assert!(
        text.contains("ErrorInvalidExchangeImpersonationHeaderData"),
        "{text}"
    );
    // A tampered token is refused with 401.
    let (status, _, diagnostics) = bearer_call(
        &sim,
        &format!("{token}x"),
        Some("room.alpha@contoso.example"),
    )
    .await;
    assert_eq!(status, 401);
    assert!(diagnostics.unwrap().starts_with("2000001"));
    // EWS blocked for the app (the Exchange Online allow-list).
    sim.faults().block_app(APP, true);
    let (status, _, _) = bearer_call(&sim, &token, Some("room.alpha@contoso.example")).await;
    assert_eq!(status, 403);
    sim.faults().block_app(APP, false);

    // An app scoped to room mailboxes.
    let (_, body) =
        token_request(&sim, ROOMS_APP, &cred.assertion(ROOMS_APP, &aud, true, 600)).await;
    let rooms_token = body["access_token"].as_str().unwrap().to_string();
    let (_, text, _) = bearer_call(&sim, &rooms_token, Some("alice@contoso.example")).await;
    assert!(text.contains("ErrorAccessDenied"), "{text}");
    let (status, _, _) = bearer_call(&sim, &rooms_token, Some("room.beta@contoso.example")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn admin_consent_then_delay_before_exchange_accepts() {
    use oauth::*;
    let delay = Duration::from_millis(1500);
    let (sim, cred) = start_with_apps(delay).await;
    let aud = sim.token_url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Before consent the token has no roles: 401 with 2000008.
    let (_, body) = token_request(&sim, NEW_APP, &cred.assertion(NEW_APP, &aud, true, 600)).await;
    let token = body["access_token"].as_str().unwrap().to_string();
    let (status, _, diagnostics) =
        bearer_call(&sim, &token, Some("room.alpha@contoso.example")).await;
    assert_eq!(status, 401);
    assert!(diagnostics.unwrap().starts_with("2000008"));

    // The admin cancels (v1 form).
    let consent_url = |version: &str| {
        format!(
            "{}/{}adminconsent?client_id={NEW_APP}&redirect_uri={}&state=s123&scope=https%3A%2F%2Foutlook.office365.com%2F.default",
            sim.base_url(),
            format!("{}/{version}", sim.tenant_id()).replace("//", "/"),
            roombook_simulator::entra::urlencode(REDIRECT)
        )
    };
    let follow = |page: String, id: &str| {
        let start = page.find(&format!("id=\"{id}\" href=\"")).unwrap() + id.len() + 12;
        let end = page[start..].find('"').unwrap() + start;
        format!(
            "{}{}",
            sim.base_url(),
            page[start..end].replace("&amp;", "&")
        )
    };
    let page = http
        .get(consent_url(""))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let cancelled = http.get(follow(page, "cancel")).send().await.unwrap();
    let location = cancelled.headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(location.starts_with(REDIRECT), "{location}");
    assert!(location.contains("error=permission_denied"), "{location}");
    assert!(location.contains("state=s123"));

    // The admin accepts (v2 form).
    let page = http
        .get(consent_url("v2.0/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let accepted = http.get(follow(page, "accept")).send().await.unwrap();
    let location = accepted.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("admin_consent=True"), "{location}");
    assert!(
        location.contains(&format!("tenant={}", sim.tenant_id())),
        "{location}"
    );
    assert!(location.contains("state=s123"));
    let consented_at = std::time::Instant::now();

    // A fresh token carries the role, but Exchange answers 401 until the delay has passed.
    let (_, body) = token_request(&sim, NEW_APP, &cred.assertion(NEW_APP, &aud, true, 600)).await;
    let token = body["access_token"].as_str().unwrap().to_string();
    let (status, _, _) = bearer_call(&sim, &token, Some("room.alpha@contoso.example")).await;
    if consented_at.elapsed() < delay {
        assert_eq!(status, 401);
    }
    let deadline = consented_at + Duration::from_secs(10);
    loop {
        let (status, _, _) = bearer_call(&sim, &token, Some("room.alpha@contoso.example")).await;
        if status == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "consent never took effect"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(consented_at.elapsed() >= delay);
}

#[tokio::test]
async fn openid_connect_sign_in_with_pkce() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
    use oauth::*;
    use openssl::bn::BigNum;
    use openssl::hash::{MessageDigest, hash};
    use serde_json::Value;
    let (sim, _) = start_with_apps(Duration::ZERO).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Discovery: templated issuer for organizations, the tenant's own otherwise.
    let orgs: Value = http
        .get(format!(
            "{}/organizations/v2.0/.well-known/openid-configuration",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        orgs["issuer"],
        format!("{}/{{tenantid}}/v2.0", sim.base_url())
    );
    let own: Value = http
        .get(format!(
            "{}/v2.0/.well-known/openid-configuration",
            sim.authority_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issuer = format!("{}/v2.0", sim.authority_url());
    assert_eq!(own["issuer"], issuer);

    let verifier = "a-very-long-random-code-verifier-0123456789-abcdefghijklmnop";
    let challenge = B64URL.encode(hash(MessageDigest::sha256(), verifier.as_bytes()).unwrap());
    let authorize = format!(
        "{}?client_id={APP}&response_type=code&redirect_uri={}&scope=openid%20profile&state=st&nonce=n0&code_challenge={challenge}&code_challenge_method=S256",
        own["authorization_endpoint"].as_str().unwrap(),
        roombook_simulator::entra::urlencode(REDIRECT)
    );
    let page = http
        .get(&authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "data-user=\"alice@contoso.example\"";
    let link_end = page.find(marker).unwrap();
    let link_start = page[..link_end].rfind("href=\"").unwrap() + 6;
    let link = page[link_start..link_end]
        .trim_end()
        .trim_end_matches('"')
        .replace("&amp;", "&");
    let picked = http
        .get(format!("{}{link}", sim.base_url()))
        .send()
        .await
        .unwrap();
    let location = picked.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(REDIRECT) && location.contains("state=st"),
        "{location}"
    );
    let code = location
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("code="))
        .unwrap()
        .to_string();

    let exchange = |verifier: &str| {
        http.post(own["token_endpoint"].as_str().unwrap())
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", APP),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ])
            .send()
    };
    let wrong: Value = exchange("wrong-verifier")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&wrong), 501481, "{wrong}");
    // The failed attempt consumed the code, as Entra does: sign in again.
    let picked = http
        .get(format!("{}{link}", sim.base_url()))
        .send()
        .await
        .unwrap();
    let location = picked.headers()["location"].to_str().unwrap().to_string();
    let code2 = location
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("code="))
        .unwrap()
        .to_string();
    let tokens: Value = http
        .post(own["token_endpoint"].as_str().unwrap())
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", APP),
            ("code", &code2),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{tokens}"));

    // Verify the id_token with the published key.
    let jwks: Value = http
        .get(own["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    let n = BigNum::from_slice(&B64URL.decode(key["n"].as_str().unwrap()).unwrap()).unwrap();
    let e = BigNum::from_slice(&B64URL.decode(key["e"].as_str().unwrap()).unwrap()).unwrap();
    let public =
        openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::from_public_components(n, e).unwrap())
            .unwrap();
    let parsed = roombook_simulator::jwt::parse(id_token).unwrap();
    assert!(roombook_simulator::jwt::verify(&parsed, &public));
    assert_eq!(parsed.header["kid"], key["kid"]);
    let claims = &parsed.claims;
    assert_eq!(claims["iss"], issuer);
    assert_eq!(claims["aud"], APP);
    assert_eq!(claims["tid"], sim.tenant_id());
    assert_eq!(claims["preferred_username"], "alice@contoso.example");
    assert_eq!(claims["nonce"], "n0");
    assert!(claims["oid"].as_str().unwrap().len() == 36);
    assert!(claims["name"].is_string());

    // Codes are single use.
    let reused: Value = http
        .post(own["token_endpoint"].as_str().unwrap())
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", APP),
            ("code", &code2),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reused["error"], "invalid_grant");
}

#[tokio::test]
async fn autodiscover_json_and_pox_point_at_ews() {
    let sim = start().await;
    let http = reqwest::Client::new();
    let found: serde_json::Value = http
        .get(format!(
            "{}/autodiscover/autodiscover.json/v1.0/alice@contoso.example?Protocol=EWS",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["Protocol"], "EWS");
    assert_eq!(found["Url"], sim.ews_url());
    let missing = http
        .get(format!(
            "{}/autodiscover/autodiscover.json/v1.0/ghost@contoso.example?Protocol=EWS",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let request = r#"<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>room.alpha@contoso.example</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>"#;
    let unauthenticated = http
        .post(format!("{}/autodiscover/autodiscover.xml", sim.base_url()))
        .body(request)
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    let pox = http
        .post(format!("{}/autodiscover/autodiscover.xml", sim.base_url()))
        .basic_auth(SVC, Some(SVC_PASSWORD))
        .body(request)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = parse(pox.as_bytes()).unwrap();
    let protocols: Vec<_> = doc
        .path(&["Response", "Account"])
        .unwrap()
        .children_named("Protocol")
        .map(|p| {
            (
                p.child_text("Type").unwrap().to_string(),
                p.child_text("EwsUrl").unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(protocols.len(), 2);
    assert!(protocols.iter().all(|(_, url)| *url == sim.ews_url()));
}

#[tokio::test]
async fn client_credentials_with_a_secret() {
    let seed = seed().app(
        roombook_simulator::AppRegistration::new("secret-app", "Secret app")
            .with_secret("s3cret")
            .consented(),
    );
    let sim = Simulator::start(SimulatorConfig::new(seed)).await.unwrap();
    let request = |secret: &'static str| {
        reqwest::Client::new()
            .post(sim.token_url())
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "secret-app"),
                ("client_secret", secret),
                ("scope", "https://outlook.office365.com/.default"),
            ])
            .send()
    };
    let wrong: serde_json::Value = request("nope").await.unwrap().json().await.unwrap();
    assert_eq!(wrong["error_codes"][0], 7000215);
    let ok: serde_json::Value = request("s3cret").await.unwrap().json().await.unwrap();
    let token = ok["access_token"].as_str().unwrap();
    let (status, _, _) = oauth::bearer_call(&sim, token, Some("room.alpha@contoso.example")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn key_vault_secrets_over_https_with_challenge() {
    use oauth::*;
    use serde_json::Value;
    let credential = credential("kv app");
    let seed = seed()
        .app(
            roombook_simulator::AppRegistration::new("kv-app", "Roombook KV")
                .with_certificate(&credential.pem())
                .with_key_vault_access(),
        )
        .app(
            roombook_simulator::AppRegistration::new("no-kv-app", "No KV")
                .with_certificate(&credential.pem()),
        );
    let sim = Simulator::start(SimulatorConfig::new(seed)).await.unwrap();
    let vault = sim.key_vault_url("roombook");
    let http = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(sim.ca_certificate_pem().as_bytes()).unwrap(),
        )
        .resolve("roombook.vault.localhost", sim.https_addr())
        .resolve("localhost", sim.https_addr())
        .build()
        .unwrap();
    let api = "api-version=2025-07-01";

    // 1. The SDK's first request carries no token and no body: a challenge comes back.
    let first = http
        .put(format!("{vault}/secrets/db-password?{api}"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 401);
    let challenge = first.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.starts_with("Bearer authorization=\""),
        "{challenge}"
    );
    assert!(challenge.contains("resource=\"https://vault.localhost\""));
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["error"]["code"], "Unauthorized");

    // 2. A token for the challenged resource, from the authority over HTTPS.
    let authority = challenge.split('"').nth(1).unwrap().to_string();
    assert_eq!(authority, sim.https_authority_url());
    let token_url = format!("{authority}/oauth2/v2.0/token");
    let token_for = |client: &'static str| {
        let assertion = credential.assertion(client, &token_url, true, 600);
        let http = http.clone();
        let token_url = token_url.clone();
        async move {
            let body: Value = http
                .post(&token_url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &assertion),
                    ("scope", "https://vault.localhost/.default"),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["access_token"]
                .as_str()
                .unwrap_or_else(|| panic!("{body}"))
                .to_string()
        }
    };
    let token = token_for("kv-app").await;

    // 3. Set twice, get latest and a version, list versions, list, delete, 404.
    let set = |value: &'static str| {
        http.put(format!("{vault}/secrets/db-password?{api}"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"value": value, "contentType": "text/plain"}))
            .send()
    };
    let v1: Value = set("one").await.unwrap().json().await.unwrap();
    let v1_id = v1["id"].as_str().unwrap().to_string();
    assert!(
        v1_id.starts_with(&format!("{vault}/secrets/db-password/")),
        "{v1_id}"
    );
    assert_eq!(v1["attributes"]["enabled"], true);
    set("two").await.unwrap();
    // An authorised GET whose answer is JSON.
    let get_json = |url: String| {
        let request = http.get(url).bearer_auth(&token);
        async move {
            let body: Value = request.send().await.unwrap().json().await.unwrap();
            body
        }
    };
    let latest = get_json(format!("{vault}/secrets/db-password/?{api}")).await;
    assert_eq!(latest["value"], "two");
    let old = get_json(format!("{v1_id}?{api}")).await;
    assert_eq!(old["value"], "one");
    let versions = get_json(format!("{vault}/secrets/db-password/versions?{api}")).await;
    assert_eq!(versions["value"].as_array().unwrap().len(), 2);
    assert!(versions["value"][0].get("value").is_none());
    let all = get_json(format!("{vault}/secrets?{api}")).await;
    assert_eq!(all["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        sim.secret_value("roombook", "db-password").as_deref(),
        Some("two")
    );
    let deleted: Value = http
        .delete(format!("{vault}/secrets/db-password?{api}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        deleted["recoveryId"]
            .as_str()
            .unwrap()
            .ends_with("/deletedsecrets/db-password")
    );
    let gone = http
        .get(format!("{vault}/secrets/db-password/?{api}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let body: Value = gone.json().await.unwrap();
    assert_eq!(body["error"]["code"], "SecretNotFound");

    // 4. No access policy: 403. Missing api-version: 400. Wrong audience: 401.
    let other = token_for("no-kv-app").await;
    let forbidden = http
        .get(format!("{vault}/secrets?{api}"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403);
    let body: Value = forbidden.json().await.unwrap();
    assert_eq!(body["error"]["code"], "Forbidden");
    let no_version = http
        .get(format!("{vault}/secrets"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), 400);
    let ews_token = {
        let (_, body) = token_request(
            &sim,
            "kv-app",
            &credential.assertion("kv-app", &sim.token_url(), true, 600),
        )
        .await;
        body["access_token"].as_str().unwrap().to_string()
    };
    let wrong_audience = http
        .get(format!("{vault}/secrets?{api}"))
        .bearer_auth(&ews_token)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_audience.status(), 401);
}

/// The exchangelib version the realism check pins.
const EXCHANGELIB: &str = "exchangelib==5.6.0";

/// A Python venv with exchangelib under the cargo target dir, created once.
async fn exchangelib_python() -> std::path::PathBuf {
    let venv = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("exchangelib-5.6.0-venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join(".installed");
    if marker.exists() {
        return python;
    }
    let host_python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let run = |program: std::ffi::OsString, args: Vec<std::ffi::OsString>| async move {
        let output = tokio::process::Command::new(&program)
            .args(&args)
            .output()
            .await
            .unwrap_or_else(|e| {
                panic!("cannot run {program:?}: {e} (install python3 and python3-venv)")
            });
        assert!(
            output.status.success(),
            "{program:?} {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(
        host_python.into(),
        vec!["-m".into(), "venv".into(), venv.clone().into_os_string()],
    )
    .await;
    run(
        python.clone().into_os_string(),
        vec![
            "-m".into(),
            "pip".into(),
            "install".into(),
            "--quiet".into(),
            "--disable-pip-version-check".into(),
            EXCHANGELIB.into(),
        ],
    )
    .await;
    std::fs::write(&marker, EXCHANGELIB).unwrap();
    python
}

#[tokio::test]
async fn exchangelib_against_the_simulator() {
    let python = exchangelib_python().await;
    let organizer = "alice@contoso.example";
    let room = "room.alpha@contoso.example";
    let seed = seed().app(
        roombook_simulator::AppRegistration::new("exchangelib-app", "exchangelib check")
            .with_secret("exchangelib-secret")
            .consented(),
    );
    let sim = Simulator::start(SimulatorConfig::new(seed)).await.unwrap();
    let ca = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("simulator-ca-{}.pem", sim.https_addr().port()));
    std::fs::write(&ca, sim.ca_certificate_pem()).unwrap();
    let settings = serde_json::json!({
        "ews_url": sim.ews_url(),
        "https_ews_url": format!("{}/EWS/Exchange.asmx", sim.https_base_url()),
        "https_token_url": format!("{}/oauth2/v2.0/token", sim.https_authority_url()),
        "tenant_id": sim.tenant_id(),
        "username": SVC,
        "password": SVC_PASSWORD,
        "client_id": "exchangelib-app",
        "client_secret": "exchangelib-secret",
        "organizer": organizer,
        "attendee": "bob@contoso.example",
        "room": room,
        "other_room": "room.beta@contoso.example",
        "room_list": "rooms-hq@contoso.example",
    });
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/exchangelib_check.py");
    let child = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(settings.to_string())
        .env("REQUESTS_CA_BUNDLE", &ca)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), child)
        .await
        .expect("exchangelib finishes within 3 minutes")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let _ = std::fs::remove_file(&ca);
    assert!(
        output.status.success(),
        "exchangelib checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let passed = stdout.lines().filter(|l| l.starts_with("PASS ")).count();
    assert_eq!(passed, 16, "{stdout}");
    // What exchangelib did left the tenant consistent, and it anchored every impersonated call.
    let inspect = sim.inspect();
    assert!(inspect.double_bookings().is_empty());
    assert!(inspect.orphans().is_empty(), "{:?}", inspect.orphans());
    assert!(
        inspect.calendar(room).is_empty(),
        "cancelled meetings left the room"
    );
    assert!(inspect.missing_anchor_mailbox().is_empty());
    assert!(inspect.calls("CreateItem") >= 6);
    assert_eq!(inspect.schema_violations(), 0);
}

#[tokio::test]
async fn five_thousand_rooms_are_served() {
    let seed = roombook_simulator::demo::tenant(300, 5000);
    let started = std::time::Instant::now();
    let sim = Simulator::start(SimulatorConfig::new(seed)).await.unwrap();
    let startup = started.elapsed();
    let c = Client::as_user(
        &sim,
        roombook_simulator::demo::DEMO_SERVICE_ACCOUNT,
        roombook_simulator::demo::DEMO_SERVICE_PASSWORD,
    );
    let lists = c.call(None, "<m:GetRoomLists/>").await;
    let list_addresses: Vec<String> = lists
        .payload()
        .child("RoomLists")
        .unwrap()
        .children
        .iter()
        .map(|a| a.child_text("EmailAddress").unwrap().to_string())
        .collect();
    assert_eq!(list_addresses.len(), 3);
    let mut total = 0;
    for list in &list_addresses {
        let rooms = c
            .call(None, &format!("<m:GetRooms><m:RoomList><t:EmailAddress>{list}</t:EmailAddress></m:RoomList></m:GetRooms>"))
            .await;
        total += rooms.payload().child("Rooms").unwrap().children.len();
    }
    assert_eq!(total, 5000);
    assert_eq!(sim.inspect().room_addresses().len(), 5000);
    // Seeding is not the bottleneck of a test run.
    assert!(startup < Duration::from_secs(30), "{startup:?}");
}

#[tokio::test]
async fn official_key_vault_client_against_the_simulator() {
    use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
    use azure_core::http::{ClientOptions, Transport};
    use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
    use azure_security_keyvault_secrets::models::{
        SecretClientGetSecretOptions, SetSecretParameters,
    };
    use azure_security_keyvault_secrets::{ResourceExt, SecretClient, SecretClientOptions};
    use futures::TryStreamExt;
    use std::sync::Arc;

    let seed = seed().app(
        roombook_simulator::AppRegistration::new("kv-app", "Roombook KV")
            .with_secret("kv-secret")
            .with_key_vault_access(),
    );
    let sim = Simulator::start(SimulatorConfig::new(seed)).await.unwrap();
    let http = reqwest_013::Client::builder()
        .add_root_certificate(
            reqwest_013::Certificate::from_pem(sim.ca_certificate_pem().as_bytes()).unwrap(),
        )
        .resolve("roombook.vault.localhost", sim.https_addr())
        .resolve("localhost", sim.https_addr())
        .build()
        .unwrap();
    let mut custom = CustomConfiguration::default();
    custom.authority_host = sim.https_base_url();
    let options = ClientOptions {
        transport: Some(Transport::new(Arc::new(http))),
        cloud: Some(Arc::new(CloudConfiguration::Custom(custom))),
        ..Default::default()
    };
    let credential = ClientSecretCredential::new(
        &sim.tenant_id(),
        "kv-app".into(),
        "kv-secret".to_string().into(),
        Some(ClientSecretCredentialOptions {
            client_options: options.clone(),
        }),
    )
    .unwrap();
    // verify_challenge_resource stays on: the vault host ends with the challenge's host.
    let client = SecretClient::new(
        &sim.key_vault_url("roombook"),
        credential,
        Some(SecretClientOptions {
            client_options: options,
            ..Default::default()
        }),
    )
    .unwrap();

    let set = |value: &str| SetSecretParameters {
        value: Some(value.into()),
        ..Default::default()
    };
    let first = client
        .set_secret("ews-password", set("one").try_into().unwrap(), None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    let first_version = first.resource_id().unwrap().version.unwrap();
    client
        .set_secret("ews-password", set("two").try_into().unwrap(), None)
        .await
        .unwrap();
    let latest = client
        .get_secret("ews-password", None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(latest.value.as_deref(), Some("two"));
    let old = client
        .get_secret(
            "ews-password",
            Some(SecretClientGetSecretOptions {
                secret_version: Some(first_version),
                ..Default::default()
            }),
        )
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(old.value.as_deref(), Some("one"));
    let mut versions = client
        .list_secret_properties_versions("ews-password", None)
        .unwrap();
    let mut count = 0;
    while versions.try_next().await.unwrap().is_some() {
        count += 1;
    }
    assert_eq!(count, 2);
    client.delete_secret("ews-password", None).await.unwrap();
    let missing = client.get_secret("ews-password", None).await.unwrap_err();
    match missing.kind() {
        azure_core::error::ErrorKind::HttpResponse {
            status, error_code, ..
        } => {
            assert_eq!(u16::from(*status), 404);
            assert_eq!(error_code.as_deref(), Some("SecretNotFound"));
        }
        other => panic!("unexpected error {other:?}"),
    }
}
