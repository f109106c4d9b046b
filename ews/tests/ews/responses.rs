//! Response parsing on realistic Exchange answers: success, warning and error messages, SOAP
//! faults, any prefixes and default namespaces.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use roombook_ews::operations::*;
use roombook_ews::soap::parse_response;
use roombook_ews::types::{FreeBusy, ItemId};
use roombook_ews::{Error, ErrorClass, ResponseClass, ResponseCode};

use crate::fixtures::{M, T, envelope};

fn parse<O: Operation>(body: &str) -> Result<O::Response, Error> {
    parse_response::<O>(envelope(body).as_bytes())
}

fn response_error(e: Error) -> roombook_ews::ResponseError {
    match e {
        Error::Response(r) => *r,
        other => panic!("expected a response error, got {other:?}"),
    }
}

#[test]
fn get_folder_success() {
    let f = parse::<GetFolder>(&format!(
        r#"<m:GetFolderResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:CalendarFolder><t:FolderId Id="AAMkADcal" ChangeKey="AgAAABQA"/><t:DisplayName>Calendar</t:DisplayName><t:SomethingNew>ignored</t:SomethingNew></t:CalendarFolder></m:Folders></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse>"#
    ))
    .unwrap();
    assert_eq!(f.kind, "CalendarFolder");
    assert_eq!(f.id, "AAMkADcal");
    assert_eq!(f.change_key.as_deref(), Some("AgAAABQA"));
    assert_eq!(f.display_name.as_deref(), Some("Calendar"));
}

#[test]
fn get_folder_non_existent_mailbox() {
    let e = parse::<GetFolder>(&format!(
        r#"<m:GetFolderResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Error"><m:MessageText>The SMTP address has no mailbox associated with it.</m:MessageText><m:ResponseCode>ErrorNonExistentMailbox</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:MessageXml><t:Value Name="SmtpAddress">nobody@contoso.example</t:Value></m:MessageXml><m:Folders/></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse>"#
    ))
    .unwrap_err();
    assert_eq!(e.classify(), ErrorClass::MailboxNotFound);
    let r = response_error(e);
    assert_eq!(r.code, ResponseCode::ErrorNonExistentMailbox);
    assert_eq!(r.class, ResponseClass::Error);
    assert_eq!(r.detail("SmtpAddress"), Some("nobody@contoso.example"));
    assert!(r.message.unwrap().contains("no mailbox"));
}

#[test]
fn get_folder_non_primary_address_carries_primary() {
    let r = response_error(parse::<GetFolder>(&format!(
        r#"<GetFolderResponse xmlns="{M}"><ResponseMessages><GetFolderResponseMessage ResponseClass="Error"><MessageText>The SMTP address format is invalid.</MessageText><ResponseCode>ErrorNonPrimarySmtpAddress</ResponseCode><DescriptiveLinkKey>0</DescriptiveLinkKey><MessageXml><Value Name="Primary" xmlns="{T}">admin@contoso.example</Value></MessageXml></GetFolderResponseMessage></ResponseMessages></GetFolderResponse>"#
    ))
    .unwrap_err());
    assert_eq!(r.code, ResponseCode::ErrorNonPrimarySmtpAddress);
    assert_eq!(r.detail("Primary"), Some("admin@contoso.example"));
}

#[test]
fn server_busy_response_message_has_back_off() {
    let e = parse::<GetFolder>(&format!(
        r#"<m:GetFolderResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Error"><m:MessageText>The server cannot service this request right now. Try again later.</m:MessageText><m:ResponseCode>ErrorServerBusy</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:MessageXml><t:Value Name="BackOffMilliseconds">3000</t:Value></m:MessageXml></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse>"#
    ))
    .unwrap_err();
    assert_eq!(
        e.classify(),
        ErrorClass::Throttled {
            back_off: Some(Duration::from_secs(3))
        }
    );
}

#[test]
fn room_lists_and_rooms() {
    let lists = parse::<GetRoomLists>(&format!(
        r#"<m:GetRoomListsResponse ResponseClass="Success" xmlns:m="{M}" xmlns:t="{T}"><m:ResponseCode>NoError</m:ResponseCode><m:RoomLists><t:Address><t:Name>HQ Rooms</t:Name><t:EmailAddress>rooms-hq@contoso.example</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>PublicDL</t:MailboxType></t:Address><t:Address><t:Name>Annex</t:Name><t:EmailAddress>rooms-annex@contoso.example</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>PublicDL</t:MailboxType></t:Address></m:RoomLists></m:GetRoomListsResponse>"#
    ))
    .unwrap();
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[0].name.as_deref(), Some("HQ Rooms"));
    assert_eq!(
        lists[1].address.as_deref(),
        Some("rooms-annex@contoso.example")
    );
    assert_eq!(lists[0].mailbox_type.as_deref(), Some("PublicDL"));

    let empty = parse::<GetRoomLists>(&format!(
        r#"<m:GetRoomListsResponse ResponseClass="Success" xmlns:m="{M}"><m:ResponseCode>NoError</m:ResponseCode><m:RoomLists/></m:GetRoomListsResponse>"#
    ))
    .unwrap();
    assert!(empty.is_empty());

    let rooms = parse::<GetRooms>(&format!(
        r#"<m:GetRoomsResponse ResponseClass="Success" xmlns:m="{M}" xmlns:t="{T}"><m:ResponseCode>NoError</m:ResponseCode><m:Rooms><t:Room><t:Id><t:Name>Room Alpha</t:Name><t:EmailAddress>room.alpha@contoso.example</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Id></t:Room><t:Room><t:Id><t:Name>Room Beta &amp; Co</t:Name><t:EmailAddress>room.beta@contoso.example</t:EmailAddress></t:Id></t:Room></m:Rooms></m:GetRoomsResponse>"#
    ))
    .unwrap();
    assert_eq!(rooms.len(), 2);
    assert_eq!(rooms[1].name.as_deref(), Some("Room Beta & Co"));

    let e = parse::<GetRooms>(&format!(
        r#"<m:GetRoomsResponse ResponseClass="Error" xmlns:m="{M}"><m:MessageText>No Room List found for the given e-mail address.</m:MessageText><m:ResponseCode>ErrorNameResolutionNoResults</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:GetRoomsResponse>"#
    ))
    .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorNameResolutionNoResults)
    );
}

#[test]
fn find_item_calendar_view() {
    let r = parse::<CalendarView>(&format!(
        r#"<m:FindItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:RootFolder TotalItemsInView="2" IncludesLastItemInRange="true"><t:Items><t:CalendarItem><t:ItemId Id="AAMkAD1" ChangeKey="DwAAAB1"/><t:Subject>Team sync</t:Subject><t:LastModifiedTime>2026-11-20T08:00:00Z</t:LastModifiedTime><t:UID>roombook-7f9c</t:UID><t:Start>2026-11-23T10:00:00Z</t:Start><t:End>2026-11-23T11:00:00Z</t:End><t:IsAllDayEvent>false</t:IsAllDayEvent><t:LegacyFreeBusyStatus>Busy</t:LegacyFreeBusyStatus><t:Location>Room Alpha</t:Location><t:IsMeeting>true</t:IsMeeting><t:IsCancelled>false</t:IsCancelled><t:CalendarItemType>Single</t:CalendarItemType><t:Organizer><t:Mailbox><t:Name>Alice</t:Name><t:EmailAddress>alice@contoso.example</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType></t:Mailbox></t:Organizer></t:CalendarItem><t:CalendarItem><t:ItemId Id="AAMkAD2" ChangeKey="DwAAAB2"/><t:Subject>Weekly</t:Subject><t:Start>2026-11-23T13:00:00+01:00</t:Start><t:End>2026-11-23T14:00:00+01:00</t:End><t:LegacyFreeBusyStatus>Tentative</t:LegacyFreeBusyStatus><t:CalendarItemType>Occurrence</t:CalendarItemType></t:CalendarItem></t:Items></m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse>"#
    ))
    .unwrap();
    assert_eq!(r.total_items_in_view, Some(2));
    assert!(r.includes_last_item_in_range);
    assert_eq!(r.items.len(), 2);
    let a = &r.items[0];
    assert_eq!(a.item_id.as_ref().unwrap().id, "AAMkAD1");
    assert_eq!(a.uid.as_deref(), Some("roombook-7f9c"));
    assert_eq!(
        a.start,
        Some(Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap())
    );
    assert_eq!(a.free_busy, Some(FreeBusy::Busy));
    assert_eq!(a.is_cancelled, Some(false));
    assert_eq!(
        a.organizer.as_ref().unwrap().address.as_deref(),
        Some("alice@contoso.example")
    );
    assert_eq!(
        r.items[1].start,
        Some(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap())
    );
    assert_eq!(r.items[1].calendar_item_type.as_deref(), Some("Occurrence"));
}

#[test]
fn find_item_truncated_and_error() {
    let r = parse::<CalendarView>(&format!(
        r#"<m:FindItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:RootFolder TotalItemsInView="300" IncludesLastItemInRange="false"><t:Items/></m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse>"#
    ))
    .unwrap();
    assert!(!r.includes_last_item_in_range);
    let e = parse::<CalendarView>(&format!(
        r#"<m:FindItemResponse xmlns:m="{M}"><m:ResponseMessages><m:FindItemResponseMessage ResponseClass="Error"><m:MessageText>The access to the mailbox is denied.</m:MessageText><m:ResponseCode>ErrorAccessDenied</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse>"#
    ))
    .unwrap_err();
    assert_eq!(e.classify(), ErrorClass::Permission);
}

#[test]
fn user_availability_mixed_results_default_namespaces() {
    // Exchange writes this response with default namespaces, not prefixes.
    let r = parse::<GetUserAvailability>(&format!(
        r#"<GetUserAvailabilityResponse xmlns="{M}"><FreeBusyResponseArray><FreeBusyResponse><ResponseMessage ResponseClass="Success"><ResponseCode>NoError</ResponseCode></ResponseMessage><FreeBusyView><FreeBusyViewType xmlns="{T}">Detailed</FreeBusyViewType><CalendarEventArray xmlns="{T}"><CalendarEvent><StartTime>2026-11-23T10:00:00</StartTime><EndTime>2026-11-23T11:00:00</EndTime><BusyType>Busy</BusyType><CalendarEventDetails><ID>00000000B5F1</ID><Subject>Team sync</Subject><Location>Room Alpha</Location><IsMeeting>true</IsMeeting><IsRecurring>false</IsRecurring><IsException>false</IsException><IsReminderSet>true</IsReminderSet><IsPrivate>false</IsPrivate></CalendarEventDetails></CalendarEvent><CalendarEvent><StartTime>2026-11-23T15:00:00</StartTime><EndTime>2026-11-23T15:30:00</EndTime><BusyType>Tentative</BusyType></CalendarEvent></CalendarEventArray><WorkingHours xmlns="{T}"><TimeZone><Bias>0</Bias></TimeZone></WorkingHours></FreeBusyView></FreeBusyResponse><FreeBusyResponse><ResponseMessage ResponseClass="Error"><MessageText>Unable to resolve e-mail address &lt;&gt;SMTP:gone@contoso.example to an Active Directory object.</MessageText><ResponseCode>ErrorMailRecipientNotFound</ResponseCode><DescriptiveLinkKey>0</DescriptiveLinkKey><MessageXml><ExceptionType xmlns="{T}">Microsoft.Exchange.InfoWorker.Common.Availability.MailRecipientNotFoundException</ExceptionType><ExceptionCode xmlns="{T}">5009</ExceptionCode></MessageXml></ResponseMessage><FreeBusyView><FreeBusyViewType xmlns="{T}">None</FreeBusyViewType></FreeBusyView></FreeBusyResponse><FreeBusyResponse><ResponseMessage ResponseClass="Success"><ResponseCode>NoError</ResponseCode></ResponseMessage><FreeBusyView><FreeBusyViewType xmlns="{T}">FreeBusy</FreeBusyViewType><CalendarEventArray xmlns="{T}"/></FreeBusyView></FreeBusyResponse></FreeBusyResponseArray></GetUserAvailabilityResponse>"#
    ))
    .unwrap();
    assert_eq!(r.len(), 3);
    let first = r[0].as_ref().unwrap();
    assert_eq!(first.view_type, "Detailed");
    assert_eq!(first.events.len(), 2);
    assert_eq!(
        first.events[0].start,
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
    );
    let d = first.events[0].details.as_ref().unwrap();
    assert_eq!(d.subject.as_deref(), Some("Team sync"));
    assert!(d.is_meeting && !d.is_private);
    assert_eq!(first.events[1].busy, FreeBusy::Tentative);
    assert!(first.events[1].details.is_none());
    let err = r[1].as_ref().unwrap_err();
    assert_eq!(err.code, ResponseCode::ErrorMailRecipientNotFound);
    assert_eq!(err.classify(), ErrorClass::MailboxNotFound);
    assert!(r[2].as_ref().unwrap().events.is_empty());
}

#[test]
fn create_item_success_and_errors() {
    let ok = parse::<CreateMeeting>(&format!(
        r#"<m:CreateItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:CalendarItem><t:ItemId Id="AAMkADnew" ChangeKey="DwAAABYAnew"/></t:CalendarItem></m:Items></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>"#
    ))
    .unwrap();
    assert_eq!(
        ok.item_id,
        Some(ItemId {
            id: "AAMkADnew".into(),
            change_key: Some("DwAAABYAnew".into())
        })
    );
    let e = parse::<CreateMeeting>(&format!(
        r#"<m:CreateItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass="Error"><m:MessageText>EndDate is earlier than StartDate</m:MessageText><m:ResponseCode>ErrorCalendarEndDateIsEarlierThanStartDate</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Items/></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>"#
    ))
    .unwrap_err();
    assert_eq!(e.classify(), ErrorClass::InvalidRequest);
    // Cancel and decline answer with CreateItemResponse and often no item.
    let c = parse::<CancelCalendarItem>(&format!(
        r#"<m:CreateItemResponse xmlns:m="{M}"><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items/></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>"#
    ))
    .unwrap();
    assert_eq!(c.item_id, None);
    let d = parse::<DeclineItem>(&format!(
        r#"<m:CreateItemResponse xmlns:m="{M}"><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass="Error"><m:MessageText>The specified object was not found in the store.</m:MessageText><m:ResponseCode>ErrorItemNotFound</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Items/></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>"#
    ))
    .unwrap_err();
    assert_eq!(d.response_code(), Some(&ResponseCode::ErrorItemNotFound));
}

#[test]
fn update_item_new_change_key_and_conflict() {
    let id = parse::<UpdateMeeting>(&format!(
        r#"<m:UpdateItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:UpdateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:CalendarItem><t:ItemId Id="AAMkAD1" ChangeKey="DwAAAB1-v2"/></t:CalendarItem></m:Items><m:ConflictResults><t:Count>0</t:Count></m:ConflictResults></m:UpdateItemResponseMessage></m:ResponseMessages></m:UpdateItemResponse>"#
    ))
    .unwrap()
    .unwrap();
    assert_eq!(id.change_key.as_deref(), Some("DwAAAB1-v2"));
    let e = parse::<UpdateMeeting>(&format!(
        r#"<m:UpdateItemResponse xmlns:m="{M}"><m:ResponseMessages><m:UpdateItemResponseMessage ResponseClass="Error"><m:MessageText>The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.</m:MessageText><m:ResponseCode>ErrorIrresolvableConflict</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:UpdateItemResponseMessage></m:ResponseMessages></m:UpdateItemResponse>"#
    ))
    .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorIrresolvableConflict)
    );
}

#[test]
fn delete_item_per_item_results() {
    let r = parse::<DeleteItem>(&format!(
        r#"<m:DeleteItemResponse xmlns:m="{M}"><m:ResponseMessages><m:DeleteItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:DeleteItemResponseMessage><m:DeleteItemResponseMessage ResponseClass="Error"><m:MessageText>The specified object was not found in the store.</m:MessageText><m:ResponseCode>ErrorItemNotFound</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:DeleteItemResponseMessage><m:DeleteItemResponseMessage ResponseClass="Warning"><m:MessageText>Processing stopped.</m:MessageText><m:ResponseCode>ErrorBatchProcessingStopped</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:DeleteItemResponseMessage></m:ResponseMessages></m:DeleteItemResponse>"#
    ))
    .unwrap();
    assert_eq!(r.len(), 3);
    assert!(r[0].is_ok());
    assert_eq!(
        r[1].as_ref().unwrap_err().code,
        ResponseCode::ErrorItemNotFound
    );
    let w = r[2].as_ref().unwrap_err();
    assert_eq!(w.class, ResponseClass::Warning);
    assert_eq!(w.classify(), ErrorClass::Transient);
}

#[test]
fn get_item_batch_with_error() {
    let r = parse::<GetItem>(&format!(
        r#"<m:GetItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Items><t:CalendarItem><t:ItemId Id="A1" ChangeKey="C1"/><t:Subject>With body</t:Subject><t:Body BodyType="Text" IsTruncated="false">Line 1
Line 2 &amp; more</t:Body><t:Start>2026-11-23T10:00:00Z</t:Start><t:End>2026-11-23T11:00:00Z</t:End><t:RequiredAttendees><t:Attendee><t:Mailbox><t:Name>Bob</t:Name><t:EmailAddress>bob@contoso.example</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox><t:ResponseType>Accept</t:ResponseType><t:LastResponseTime>2026-11-21T09:00:00Z</t:LastResponseTime></t:Attendee></t:RequiredAttendees><t:Resources><t:Attendee><t:Mailbox><t:Name>Room Alpha</t:Name><t:EmailAddress>room.alpha@contoso.example</t:EmailAddress></t:Mailbox><t:ResponseType>Accept</t:ResponseType></t:Attendee></t:Resources></t:CalendarItem></m:Items></m:GetItemResponseMessage><m:GetItemResponseMessage ResponseClass="Error"><m:MessageText>Id is malformed.</m:MessageText><m:ResponseCode>ErrorInvalidIdMalformed</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Items/></m:GetItemResponseMessage></m:ResponseMessages></m:GetItemResponse>"#
    ))
    .unwrap();
    let a = r[0].as_ref().unwrap();
    assert_eq!(a.body.as_ref().unwrap().content, "Line 1\nLine 2 & more");
    assert_eq!(a.required_attendees[0].response.as_deref(), Some("Accept"));
    assert_eq!(
        a.resources[0].mailbox.address.as_deref(),
        Some("room.alpha@contoso.example")
    );
    assert_eq!(
        r[1].as_ref().unwrap_err().classify(),
        ErrorClass::InvalidRequest
    );
}

#[test]
fn sync_folder_items_changes() {
    let r = parse::<SyncFolderItems>(&format!(
        r#"<m:SyncFolderItemsResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:SyncFolderItemsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:SyncState>H4sIAAAAstate2</m:SyncState><m:IncludesLastItemInRange>false</m:IncludesLastItemInRange><m:Changes><t:Create><t:CalendarItem><t:ItemId Id="N1" ChangeKey="K1"/><t:Subject>New</t:Subject><t:UID>u-1</t:UID></t:CalendarItem></t:Create><t:Update><t:CalendarItem><t:ItemId Id="U1" ChangeKey="K2"/><t:Subject>Moved</t:Subject></t:CalendarItem></t:Update><t:Delete><t:ItemId Id="D1" ChangeKey="K3"/></t:Delete><t:ReadFlagChange><t:ItemId Id="R1" ChangeKey="K4"/><t:IsRead>true</t:IsRead></t:ReadFlagChange></m:Changes></m:SyncFolderItemsResponseMessage></m:ResponseMessages></m:SyncFolderItemsResponse>"#
    ))
    .unwrap();
    assert_eq!(r.sync_state, "H4sIAAAAstate2");
    assert!(!r.includes_last_item_in_range);
    assert_eq!(r.changes.len(), 4);
    assert!(matches!(&r.changes[0], SyncChange::Created(i) if i.uid.as_deref() == Some("u-1")));
    assert!(
        matches!(&r.changes[1], SyncChange::Updated(i) if i.subject.as_deref() == Some("Moved"))
    );
    assert!(matches!(&r.changes[2], SyncChange::Deleted(i) if i.id == "D1"));
    assert!(matches!(&r.changes[3], SyncChange::ReadFlagChanged(i) if i.id == "R1"));
    let e = parse::<SyncFolderItems>(&format!(
        r#"<m:SyncFolderItemsResponse xmlns:m="{M}"><m:ResponseMessages><m:SyncFolderItemsResponseMessage ResponseClass="Error"><m:MessageText>Synchronization state data is corrupt or otherwise invalid.</m:MessageText><m:ResponseCode>ErrorInvalidSyncStateData</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:SyncFolderItemsResponseMessage></m:ResponseMessages></m:SyncFolderItemsResponse>"#
    ))
    .unwrap_err();
    assert_eq!(
        e.response_code(),
        Some(&ResponseCode::ErrorInvalidSyncStateData)
    );
}

#[test]
fn resolve_names_success_warning_error() {
    let one = parse::<ResolveNames>(&format!(
        r#"<m:ResolveNamesResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:ResolveNamesResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:ResolutionSet TotalItemsInView="1" IncludesLastItemInRange="true"><t:Resolution><t:Mailbox><t:Name>Admin</t:Name><t:EmailAddress>admin@contoso.example</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox><t:Contact><t:DisplayName>Ada Admin</t:DisplayName><t:EmailAddresses><t:Entry Key="EmailAddress1">SMTP:admin@contoso.example</t:Entry></t:EmailAddresses></t:Contact></t:Resolution></m:ResolutionSet></m:ResolveNamesResponseMessage></m:ResponseMessages></m:ResolveNamesResponse>"#
    ))
    .unwrap();
    assert_eq!(one.resolutions.len(), 1);
    assert!(one.warning.is_none());
    assert_eq!(
        one.resolutions[0].mailbox.mailbox_type.as_deref(),
        Some("Mailbox")
    );
    assert_eq!(
        one.resolutions[0].display_name.as_deref(),
        Some("Ada Admin")
    );

    let many = parse::<ResolveNames>(&format!(
        r#"<m:ResolveNamesResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages><m:ResolveNamesResponseMessage ResponseClass="Warning"><m:MessageText>Multiple results were found.</m:MessageText><m:ResponseCode>ErrorNameResolutionMultipleResults</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:ResolutionSet TotalItemsInView="2" IncludesLastItemInRange="true"><t:Resolution><t:Mailbox><t:Name>Bob A</t:Name><t:EmailAddress>bob.a@contoso.example</t:EmailAddress></t:Mailbox></t:Resolution><t:Resolution><t:Mailbox><t:Name>Bob B</t:Name><t:EmailAddress>bob.b@contoso.example</t:EmailAddress></t:Mailbox></t:Resolution></m:ResolutionSet></m:ResolveNamesResponseMessage></m:ResponseMessages></m:ResolveNamesResponse>"#
    ))
    .unwrap();
    assert_eq!(many.resolutions.len(), 2);
    assert_eq!(
        many.warning.unwrap().code,
        ResponseCode::ErrorNameResolutionMultipleResults
    );

    let none = parse::<ResolveNames>(&format!(
        r#"<m:ResolveNamesResponse xmlns:m="{M}"><m:ResponseMessages><m:ResolveNamesResponseMessage ResponseClass="Error"><m:MessageText>No results were found.</m:MessageText><m:ResponseCode>ErrorNameResolutionNoResults</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:ResolveNamesResponseMessage></m:ResponseMessages></m:ResolveNamesResponse>"#
    ))
    .unwrap_err();
    assert_eq!(none.classify(), ErrorClass::MailboxNotFound);
}

#[test]
fn bom_crlf_and_other_prefixes() {
    let body = format!(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\r\n  <soap:Body>\r\n    <msg:GetFolderResponse xmlns:msg=\"{M}\">\r\n      <msg:ResponseMessages>\r\n        <msg:GetFolderResponseMessage ResponseClass=\"Success\">\r\n          <msg:ResponseCode>NoError</msg:ResponseCode>\r\n          <msg:Folders><types:CalendarFolder xmlns:types=\"{T}\"><types:FolderId Id=\"X\"/></types:CalendarFolder></msg:Folders>\r\n        </msg:GetFolderResponseMessage>\r\n      </msg:ResponseMessages>\r\n    </msg:GetFolderResponse>\r\n  </soap:Body>\r\n</soap:Envelope>\r\n"
    );
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(body.as_bytes());
    let f = parse_response::<GetFolder>(&bytes).unwrap();
    assert_eq!(f.id, "X");
}

#[test]
fn wrong_operation_response_is_unexpected() {
    let e = parse::<GetFolder>(&format!(
        r#"<m:GetItemResponse xmlns:m="{M}"><m:ResponseMessages/></m:GetItemResponse>"#
    ))
    .unwrap_err();
    assert!(matches!(e, Error::UnexpectedResponse(_)));
}

#[test]
fn namespace_matters() {
    // The right local names in the wrong namespace are not accepted as the response.
    let e = parse::<GetRoomLists>(
        r#"<GetRoomListsResponse xmlns="urn:not-ews" ResponseClass="Success"><ResponseCode>NoError</ResponseCode></GetRoomListsResponse>"#,
    )
    .unwrap_err();
    assert!(matches!(e, Error::UnexpectedResponse(_)));
}
