//! One function per EWS operation. Each takes the validated request element and returns the
//! body of the response envelope.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};

use super::Caller;
use super::write::{
    self, ItemShape, calendar_item, error_message, error_message_with, item_id, open_response,
    open_success, time,
};
use crate::server::Shared;
use crate::tenant::{
    CalendarError, ChangeKind, FieldChange, FreeBusy, NewItem, Notify, Tenant, parse_item_id,
    parse_sync_state, sync_state,
};
use crate::xml::{Element, escape};

pub fn dispatch(shared: &Shared, caller: &Caller, op: &Element, envelope: &Element) -> String {
    let now = Utc::now();
    let mut tenant = shared.tenant();
    match op.name.as_str() {
        "GetRoomLists" => get_room_lists(&tenant),
        "GetRooms" => get_rooms(&tenant, op),
        "GetUserAvailabilityRequest" => get_user_availability(&tenant, op),
        "FindItem" => find_item(&tenant, caller, op, shared.faults.take_missed_search()),
        "GetItem" => get_item(&tenant, caller, op, &shared.faults.hidden_attendees()),
        "CreateItem" => create_item(&mut tenant, caller, op, now),
        "UpdateItem" => update_item(&mut tenant, caller, op, now),
        "DeleteItem" => delete_item(&mut tenant, caller, op, now),
        "SyncFolderItems" => sync_folder_items(&tenant, caller, op),
        "GetFolder" => get_folder(&tenant, caller, op),
        "ResolveNames" => resolve_names(&tenant, op),
        "GetServerTimeZones" => get_server_time_zones(op),
        other => {
            let _ = envelope;
            let mut out = String::new();
            let name = format!("{other}Response");
            open_response(&mut out, &name);
            out.push_str("<m:ResponseMessages>");
            error_message(
                &mut out,
                &format!("{other}ResponseMessage"),
                "ErrorInvalidOperation",
                "The simulator does not implement this operation.",
            );
            out.push_str(&format!("</m:ResponseMessages></m:{name}>"));
            out
        }
    }
}

fn lower(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}

/// Parses an `xs:dateTime`. Times without a zone are taken as UTC.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| Utc.from_utc_datetime(&n))
}

// ---------------------------------------------------------------------------------------
// Directory

fn get_room_lists(tenant: &Tenant) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        r#"<m:GetRoomListsResponse ResponseClass="Success" xmlns:m="{}" xmlns:t="{}"><m:ResponseCode>NoError</m:ResponseCode><m:RoomLists>"#,
        crate::xml::NS_MESSAGES,
        crate::xml::NS_TYPES
    ));
    for list in &tenant.room_lists {
        out.push_str("<t:Address>");
        write::mailbox(&mut out, &list.display_name, &list.address, "PublicDL");
        out.push_str("</t:Address>");
    }
    out.push_str("</m:RoomLists></m:GetRoomListsResponse>");
    out
}

fn get_rooms(tenant: &Tenant, op: &Element) -> String {
    let wanted = op
        .path(&["RoomList", "EmailAddress"])
        .map(|e| lower(&e.text))
        .unwrap_or_default();
    let head = format!(
        r#" xmlns:m="{}" xmlns:t="{}""#,
        crate::xml::NS_MESSAGES,
        crate::xml::NS_TYPES
    );
    let Some(list) = tenant.room_lists.iter().find(|l| l.address == wanted) else {
        return format!(
            r#"<m:GetRoomsResponse ResponseClass="Error"{head}><m:MessageText>No results were found.</m:MessageText><m:ResponseCode>ErrorNameResolutionNoResults</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:GetRoomsResponse>"#
        );
    };
    let mut out = format!(
        r#"<m:GetRoomsResponse ResponseClass="Success"{head}><m:ResponseCode>NoError</m:ResponseCode><m:Rooms>"#
    );
    for address in &list.rooms {
        let name = tenant.display_name(address);
        out.push_str("<t:Room><t:Id>");
        write::mailbox(&mut out, &name, address, "Mailbox");
        out.push_str("</t:Id></t:Room>");
    }
    out.push_str("</m:Rooms></m:GetRoomsResponse>");
    out
}

fn resolve_names(tenant: &Tenant, op: &Element) -> String {
    let entry = op.child_text("UnresolvedEntry").unwrap_or_default().trim();
    let query = lower(entry.strip_prefix("SMTP:").unwrap_or(entry));
    let full = op.attr("ReturnFullContactData") == Some("true");
    // (address, name, mailbox type)
    let mut found: Vec<(String, String, &str)> = Vec::new();
    let matches = |address: &str, name: &str| {
        address == query
            || (!query.is_empty()
                && (address.starts_with(&query)
                    || name.to_ascii_lowercase().starts_with(&query)
                    || name
                        .to_ascii_lowercase()
                        .split_whitespace()
                        .any(|w| w.starts_with(&query))))
    };
    for user in tenant.users.values() {
        if matches(&user.address, &user.display_name) {
            found.push((user.address.clone(), user.display_name.clone(), "Mailbox"));
        }
    }
    for room in tenant.rooms.values() {
        if matches(&room.address, &room.display_name) {
            found.push((room.address.clone(), room.display_name.clone(), "Mailbox"));
        }
    }
    for list in &tenant.room_lists {
        if matches(&list.address, &list.display_name) {
            found.push((list.address.clone(), list.display_name.clone(), "PublicDL"));
        }
    }
    // An exact address wins over prefixes, as Exchange resolves it unambiguously.
    if let Some(exact) = found.iter().position(|f| f.0 == query) {
        let one = found.swap_remove(exact);
        found = vec![one];
    }
    found.sort();
    let mut out = String::new();
    open_response(&mut out, "ResolveNamesResponse");
    out.push_str("<m:ResponseMessages>");
    if found.is_empty() {
        error_message(
            &mut out,
            "ResolveNamesResponseMessage",
            "ErrorNameResolutionNoResults",
            "No results were found.",
        );
    } else {
        let (class, code, text) = if found.len() > 1 {
            (
                "Warning",
                "ErrorNameResolutionMultipleResults",
                "<m:MessageText>Multiple results were found.</m:MessageText>",
            )
        } else {
            ("Success", "NoError", "")
        };
        let link = if class == "Warning" {
            "<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>"
        } else {
            ""
        };
        out.push_str(&format!(
            r#"<m:ResolveNamesResponseMessage ResponseClass="{class}">{text}<m:ResponseCode>{code}</m:ResponseCode>{link}<m:ResolutionSet TotalItemsInView="{}" IncludesLastItemInRange="true">"#,
            found.len()
        ));
        for (address, name, kind) in &found {
            out.push_str("<t:Resolution><t:Mailbox>");
            write::mailbox(&mut out, name, address, kind);
            out.push_str("</t:Mailbox>");
            if full {
                out.push_str(&format!(
                    r#"<t:Contact><t:DisplayName>{}</t:DisplayName><t:EmailAddresses><t:Entry Key="EmailAddress1">SMTP:{}</t:Entry></t:EmailAddresses><t:ContactSource>ActiveDirectory</t:ContactSource></t:Contact>"#,
                    escape(name),
                    escape(address)
                ));
            }
            out.push_str("</t:Resolution>");
        }
        out.push_str("</m:ResolutionSet></m:ResolveNamesResponseMessage>");
    }
    out.push_str("</m:ResponseMessages></m:ResolveNamesResponse>");
    out
}

/// GetServerTimeZones. Only `UTC` is defined: the simulator stores and answers in UTC.
fn get_server_time_zones(op: &Element) -> String {
    let name = "GetServerTimeZonesResponseMessage";
    let mut out = String::new();
    open_response(&mut out, "GetServerTimeZonesResponse");
    out.push_str("<m:ResponseMessages>");
    let ids: Vec<String> = op
        .child("Ids")
        .map(|ids| {
            ids.children
                .iter()
                .map(|i| i.text.trim().to_string())
                .collect()
        })
        .unwrap_or_default();
    if let Some(unknown) = ids.iter().find(|id| id.as_str() != "UTC") {
        error_message(
            &mut out,
            name,
            "ErrorInvalidRequest",
            &format!(
                "The time zone '{unknown}' is not known to this server (the simulator defines only UTC)."
            ),
        );
    } else {
        open_success(&mut out, name);
        out.push_str(r#"<m:TimeZoneDefinitions><t:TimeZoneDefinition Id="UTC" Name="(UTC) Coordinated Universal Time"><t:Periods><t:Period Bias="PT0M" Name="Standard" Id="Std"/></t:Periods><t:TransitionsGroups><t:TransitionsGroup Id="0"><t:Transition><t:To Kind="Period">Std</t:To></t:Transition></t:TransitionsGroup></t:TransitionsGroups><t:Transitions><t:Transition><t:To Kind="Group">0</t:To></t:Transition></t:Transitions></t:TimeZoneDefinition></m:TimeZoneDefinitions>"#);
        out.push_str(&format!("</m:{name}>"));
    }
    out.push_str("</m:ResponseMessages></m:GetServerTimeZonesResponse>");
    out
}

// ---------------------------------------------------------------------------------------
// Availability

fn bias_minutes(op: &Element) -> i64 {
    op.child("TimeZone")
        .and_then(|tz| tz.child_text("Bias"))
        .and_then(|b| b.trim().parse().ok())
        .unwrap_or(0)
}

fn fb_rank(f: FreeBusy) -> u8 {
    match f {
        FreeBusy::NoData => 0,
        FreeBusy::Free => 1,
        FreeBusy::WorkingElsewhere => 2,
        FreeBusy::Tentative => 3,
        FreeBusy::Busy => 4,
        FreeBusy::Oof => 5,
    }
}

fn get_user_availability(tenant: &Tenant, op: &Element) -> String {
    // Request times are local to the request's time zone: UTC = local + bias.
    let bias = Duration::minutes(bias_minutes(op));
    let options = op.child("FreeBusyViewOptions");
    let window = options.and_then(|o| o.child("TimeWindow"));
    let start = window
        .and_then(|w| w.child_text("StartTime"))
        .and_then(parse_time)
        .map(|t| t + bias);
    let end = window
        .and_then(|w| w.child_text("EndTime"))
        .and_then(parse_time)
        .map(|t| t + bias);
    let view = options
        .and_then(|o| o.child_text("RequestedView"))
        .unwrap_or("Detailed")
        .to_string();
    let interval = options
        .and_then(|o| o.child_text("MergedFreeBusyIntervalInMinutes"))
        .and_then(|i| i.trim().parse::<i64>().ok())
        .unwrap_or(30)
        .max(5);
    let local = |t: DateTime<Utc>| (t - bias).format("%Y-%m-%dT%H:%M:%S").to_string();
    let detailed = view.starts_with("Detailed");
    let merged = view.ends_with("Merged") || view == "MergedOnly";
    let mut out = format!(
        r#"<m:GetUserAvailabilityResponse xmlns:m="{}" xmlns:t="{}"><m:FreeBusyResponseArray>"#,
        crate::xml::NS_MESSAGES,
        crate::xml::NS_TYPES
    );
    let (Some(start), Some(end)) = (start, end) else {
        out.push_str("</m:FreeBusyResponseArray></m:GetUserAvailabilityResponse>");
        return out;
    };
    let mailboxes = op
        .child("MailboxDataArray")
        .map(|a| a.children_named("MailboxData").collect::<Vec<_>>())
        .unwrap_or_default();
    for data in mailboxes {
        let address = data
            .path(&["Email", "Address"])
            .map(|a| lower(&a.text))
            .unwrap_or_default();
        out.push_str("<m:FreeBusyResponse>");
        let Some(mb) = tenant.mailbox(&address) else {
            out.push_str(&format!(
                r#"<m:ResponseMessage ResponseClass="Error"><m:MessageText>Unable to resolve e-mail address &lt;&gt;SMTP:{} to an Active Directory object.</m:MessageText><m:ResponseCode>ErrorMailRecipientNotFound</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey></m:ResponseMessage><m:FreeBusyView><t:FreeBusyViewType>None</t:FreeBusyViewType></m:FreeBusyView>"#,
                escape(&address)
            ));
            out.push_str("</m:FreeBusyResponse>");
            continue;
        };
        let events: Vec<_> = tenant
            .calendar_view(&address, start, end)
            .into_iter()
            .filter(|i| !i.is_cancelled && i.free_busy != FreeBusy::Free)
            .collect();
        out.push_str(r#"<m:ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:ResponseMessage><m:FreeBusyView>"#);
        out.push_str(&format!("<t:FreeBusyViewType>{view}</t:FreeBusyViewType>"));
        if merged {
            out.push_str("<t:MergedFreeBusy>");
            let mut slot = start;
            while slot < end {
                let slot_end = slot + Duration::minutes(interval);
                let status = events
                    .iter()
                    .filter(|e| e.overlaps(slot, slot_end))
                    .map(|e| e.free_busy)
                    .max_by_key(|f| fb_rank(*f))
                    .unwrap_or(FreeBusy::Free);
                out.push(status.merged_digit() as char);
                slot = slot_end;
            }
            out.push_str("</t:MergedFreeBusy>");
        }
        if view != "MergedOnly" {
            out.push_str("<t:CalendarEventArray>");
            for e in &events {
                out.push_str(&format!(
                    "<t:CalendarEvent><t:StartTime>{}</t:StartTime><t:EndTime>{}</t:EndTime><t:BusyType>{}</t:BusyType>",
                    local(e.start),
                    local(e.end),
                    e.free_busy.as_str()
                ));
                if detailed {
                    out.push_str(&format!(
                        "<t:CalendarEventDetails><t:ID>{}</t:ID><t:Subject>{}</t:Subject><t:Location>{}</t:Location><t:IsMeeting>{}</t:IsMeeting><t:IsRecurring>false</t:IsRecurring><t:IsException>false</t:IsException><t:IsReminderSet>false</t:IsReminderSet><t:IsPrivate>false</t:IsPrivate></t:CalendarEventDetails>",
                        escape(&e.id),
                        escape(&e.subject),
                        escape(&e.location),
                        e.is_meeting()
                    ));
                }
                out.push_str("</t:CalendarEvent>");
            }
            out.push_str("</t:CalendarEventArray>");
        }
        let _ = mb;
        out.push_str(r#"<t:WorkingHours><t:TimeZone><t:Bias>0</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone><t:WorkingPeriodArray><t:WorkingPeriod><t:DayOfWeek>Monday Tuesday Wednesday Thursday Friday</t:DayOfWeek><t:StartTimeInMinutes>480</t:StartTimeInMinutes><t:EndTimeInMinutes>1020</t:EndTimeInMinutes></t:WorkingPeriod></t:WorkingPeriodArray></t:WorkingHours>"#);
        out.push_str("</m:FreeBusyView></m:FreeBusyResponse>");
    }
    out.push_str("</m:FreeBusyResponseArray></m:GetUserAvailabilityResponse>");
    out
}

// ---------------------------------------------------------------------------------------
// Folders and items

/// Which mailbox a folder id names: a distinguished folder (with or without `Mailbox`) or
/// one of our calendar folder ids.
enum FolderTarget {
    Calendar(String),
    Other { mailbox: String, id: String },
}

enum FolderError {
    MissingEmailAddress,
    NonExistentMailbox,
    NotFound,
}

fn folder_target(
    tenant: &Tenant,
    caller: &Caller,
    folder: &Element,
) -> Result<FolderTarget, FolderError> {
    match folder.name.as_str() {
        "DistinguishedFolderId" => {
            let mailbox = match folder.path(&["Mailbox", "EmailAddress"]) {
                Some(e) => lower(&e.text),
                None => caller
                    .mailbox
                    .clone()
                    .ok_or(FolderError::MissingEmailAddress)?,
            };
            if !tenant.has_mailbox(&mailbox) {
                return Err(FolderError::NonExistentMailbox);
            }
            let id = folder.attr("Id").unwrap_or_default().to_string();
            if id == "calendar" {
                Ok(FolderTarget::Calendar(mailbox))
            } else {
                Ok(FolderTarget::Other { mailbox, id })
            }
        }
        "FolderId" => {
            let id = folder.attr("Id").unwrap_or_default();
            for mb in tenant.mailboxes.values() {
                if mb.calendar_folder_id() == id {
                    return Ok(FolderTarget::Calendar(mb.address.clone()));
                }
            }
            Err(FolderError::NotFound)
        }
        _ => Err(FolderError::NotFound),
    }
}

fn folder_error(out: &mut String, message: &str, e: FolderError) {
    match e {
        FolderError::MissingEmailAddress => error_message(
            out,
            message,
            "ErrorMissingEmailAddress",
            "When making a request as an account that does not have a mailbox, you must specify the mailbox primary SMTP address for any distinguished folder Ids.",
        ),
        FolderError::NonExistentMailbox => error_message(
            out,
            message,
            "ErrorNonExistentMailbox",
            "The SMTP address has no mailbox associated with it.",
        ),
        FolderError::NotFound => error_message(
            out,
            message,
            "ErrorFolderNotFound",
            "The specified folder could not be found in the store.",
        ),
    }
}

fn access_denied(out: &mut String, message: &str) {
    error_message(
        out,
        message,
        "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.",
    );
}

fn item_shape(op: &Element) -> ItemShape {
    let shape = op.child("ItemShape");
    let mut result = match shape.and_then(|s| s.child_text("BaseShape")) {
        Some("AllProperties") | Some("Default") => ItemShape::everything(),
        _ => ItemShape::id_only(),
    };
    if let Some(extra) = shape.and_then(|s| s.child("AdditionalProperties")) {
        for field in extra.children_named("FieldURI") {
            result.add(field.attr("FieldURI").unwrap_or_default());
        }
    }
    result
}

fn get_folder(tenant: &Tenant, caller: &Caller, op: &Element) -> String {
    let mut out = String::new();
    open_response(&mut out, "GetFolderResponse");
    out.push_str("<m:ResponseMessages>");
    let id_only = op
        .path(&["FolderShape", "BaseShape"])
        .map(|b| b.text.as_str())
        == Some("IdOnly");
    let ids = op
        .child("FolderIds")
        .map(|f| f.children.clone())
        .unwrap_or_default();
    for folder in &ids {
        let name = "GetFolderResponseMessage";
        let target = match folder_target(tenant, caller, folder) {
            Ok(t) => t,
            Err(e) => {
                folder_error(&mut out, name, e);
                continue;
            }
        };
        let (mailbox, element, display, class, id, count) = match &target {
            FolderTarget::Calendar(m) => {
                let mb = tenant.mailbox(m).expect("checked");
                (
                    m.clone(),
                    "CalendarFolder",
                    "Calendar".to_string(),
                    "IPF.Appointment",
                    mb.calendar_folder_id(),
                    mb.items().count(),
                )
            }
            FolderTarget::Other { mailbox, id } => {
                use base64::Engine as _;
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("FOLDER:{mailbox}:{id}"));
                let display = match id.as_str() {
                    "msgfolderroot" => "Top of Information Store".to_string(),
                    "deleteditems" => "Deleted Items".to_string(),
                    "inbox" => "Inbox".to_string(),
                    "root" => "Root".to_string(),
                    other => {
                        let mut c = other.chars();
                        c.next()
                            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                            .unwrap_or_default()
                    }
                };
                (mailbox.clone(), "Folder", display, "IPF.Note", encoded, 0)
            }
        };
        if !caller.can_open(tenant, &mailbox) {
            access_denied(&mut out, name);
            continue;
        }
        open_success(&mut out, name);
        out.push_str(&format!(
            r#"<m:Folders><t:{element}><t:FolderId Id="{id}" ChangeKey="AQAAAA=="/>"#
        ));
        if !id_only {
            out.push_str(&format!(
                "<t:FolderClass>{class}</t:FolderClass><t:DisplayName>{}</t:DisplayName><t:TotalCount>{count}</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount>",
                escape(&display)
            ));
            if element == "Folder" {
                out.push_str("<t:UnreadCount>0</t:UnreadCount>");
            }
        }
        out.push_str(&format!("</t:{element}></m:Folders></m:{name}>"));
    }
    out.push_str("</m:ResponseMessages></m:GetFolderResponse>");
    out
}

/// `miss`: answer as a search whose index has not caught up does (no items).
fn find_item(tenant: &Tenant, caller: &Caller, op: &Element, miss: bool) -> String {
    let name = "FindItemResponseMessage";
    let mut out = String::new();
    open_response(&mut out, "FindItemResponse");
    out.push_str("<m:ResponseMessages>");
    let mut shape = item_shape(op);
    shape.find_item = true;
    let folders = op
        .child("ParentFolderIds")
        .map(|f| f.children.clone())
        .unwrap_or_default();
    for folder in &folders {
        let mailbox = match folder_target(tenant, caller, folder) {
            Ok(FolderTarget::Calendar(m)) => m,
            Ok(FolderTarget::Other { .. }) => {
                // Only calendars hold items here; other folders are empty.
                open_success(&mut out, name);
                out.push_str(r#"<m:RootFolder TotalItemsInView="0" IncludesLastItemInRange="true"><t:Items/></m:RootFolder></m:FindItemResponseMessage>"#);
                continue;
            }
            Err(e) => {
                folder_error(&mut out, name, e);
                continue;
            }
        };
        if !caller.can_open(tenant, &mailbox) {
            access_denied(&mut out, name);
            continue;
        }
        let folder_id = tenant
            .mailbox(&mailbox)
            .expect("checked")
            .calendar_folder_id();
        let items: Vec<_> = match op.child("CalendarView") {
            Some(view) => {
                let start = view.attr("StartDate").and_then(parse_time);
                let end = view.attr("EndDate").and_then(parse_time);
                let (Some(start), Some(end)) = (start, end) else {
                    error_message(
                        &mut out,
                        name,
                        "ErrorInvalidRequest",
                        "The request is invalid.",
                    );
                    continue;
                };
                if end < start {
                    error_message(
                        &mut out,
                        name,
                        "ErrorCalendarEndDateIsEarlierThanStartDate",
                        "EndDate is earlier than StartDate",
                    );
                    continue;
                }
                if end - start > Duration::days(365 * 2) {
                    error_message(
                        &mut out,
                        name,
                        "ErrorCalendarViewRangeTooBig",
                        "The calendar view range is too big.",
                    );
                    continue;
                }
                if miss {
                    Vec::new()
                } else {
                    tenant.calendar_view(&mailbox, start, end)
                }
            }
            None => {
                let mut all: Vec<_> = tenant
                    .mailbox(&mailbox)
                    .map(|m| m.items().collect())
                    .unwrap_or_default();
                all.sort_by_key(|i| i.start);
                all
            }
        };
        let max = op
            .child("CalendarView")
            .and_then(|v| v.attr("MaxEntriesReturned"))
            .and_then(|m| m.parse::<usize>().ok());
        let total = items.len();
        let included = max.map_or(total, |m| m.min(total));
        open_success(&mut out, name);
        out.push_str(&format!(
            r#"<m:RootFolder TotalItemsInView="{total}" IncludesLastItemInRange="{}"><t:Items>"#,
            included == total
        ));
        for item in items.into_iter().take(included) {
            calendar_item(&mut out, item, &shape, &folder_id);
        }
        out.push_str("</t:Items></m:RootFolder></m:FindItemResponseMessage>");
    }
    out.push_str("</m:ResponseMessages></m:FindItemResponse>");
    out
}

fn calendar_error(out: &mut String, name: &str, e: &CalendarError) {
    let text = match e {
        CalendarError::ItemNotFound => "The specified object was not found in the store.",
        CalendarError::MalformedId => "Id is malformed.",
        CalendarError::EndBeforeStart => "EndDate is earlier than StartDate",
        CalendarError::NotOrganizer => "The user isn't the organizer of this meeting.",
        CalendarError::OrganizerCannotDecline => "The organizer can't decline the meeting.",
        CalendarError::StaleChangeKey => {
            "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item."
        }
        CalendarError::MissingTimes => "The request is invalid.",
    };
    error_message(out, name, &e.to_string(), text);
}

/// Finds an item by id and checks the caller may open its mailbox.
fn open_item<'t>(
    tenant: &'t Tenant,
    caller: &Caller,
    id: &str,
) -> Result<&'t crate::tenant::CalendarItem, Result<CalendarError, ()>> {
    let (mailbox, _) = parse_item_id(id).ok_or(Ok(CalendarError::MalformedId))?;
    if !tenant.has_mailbox(&mailbox) {
        return Err(Ok(CalendarError::ItemNotFound));
    }
    if !caller.can_open(tenant, &mailbox) {
        return Err(Err(()));
    }
    tenant.item(id).map_err(Ok)
}

/// `hidden`: attendees left out of the answer (a copy not yet updated with them).
fn get_item(
    tenant: &Tenant,
    caller: &Caller,
    op: &Element,
    hidden: &std::collections::HashSet<String>,
) -> String {
    let name = "GetItemResponseMessage";
    let mut out = String::new();
    open_response(&mut out, "GetItemResponse");
    out.push_str("<m:ResponseMessages>");
    let shape = item_shape(op);
    for id in op
        .child("ItemIds")
        .map(|i| i.children.clone())
        .unwrap_or_default()
    {
        let id_text = id.attr("Id").unwrap_or_default();
        match open_item(tenant, caller, id_text) {
            Ok(item) => {
                let folder = tenant
                    .mailbox(&item.mailbox)
                    .map(|m| m.calendar_folder_id())
                    .unwrap_or_default();
                open_success(&mut out, name);
                out.push_str("<m:Items>");
                let mut shown = item.clone();
                for list in [
                    &mut shown.required,
                    &mut shown.optional,
                    &mut shown.resources,
                ] {
                    list.retain(|a| !hidden.contains(&a.address.to_ascii_lowercase()));
                }
                calendar_item(&mut out, &shown, &shape, &folder);
                out.push_str("</m:Items></m:GetItemResponseMessage>");
            }
            Err(Ok(e)) => calendar_error(&mut out, name, &e),
            Err(Err(())) => access_denied(&mut out, name),
        }
    }
    out.push_str("</m:ResponseMessages></m:GetItemResponse>");
    out
}

fn addresses(list: Option<&Element>) -> Vec<String> {
    list.map(|l| {
        l.children_named("Attendee")
            .filter_map(|a| a.path(&["Mailbox", "EmailAddress"]))
            .map(|e| lower(&e.text))
            .collect()
    })
    .unwrap_or_default()
}

fn new_item(element: &Element) -> NewItem {
    let body = element.child("Body");
    NewItem {
        uid: element.child_text("UID").map(|s| s.trim().to_string()),
        subject: element
            .child_text("Subject")
            .unwrap_or_default()
            .to_string(),
        body: body.map(|b| b.text.clone()).unwrap_or_default(),
        body_is_html: body.and_then(|b| b.attr("BodyType")) == Some("HTML"),
        start: element.child_text("Start").and_then(parse_time),
        end: element.child_text("End").and_then(parse_time),
        is_all_day: element.child_text("IsAllDayEvent") == Some("true"),
        location: element
            .child_text("Location")
            .unwrap_or_default()
            .to_string(),
        free_busy: element
            .child_text("LegacyFreeBusyStatus")
            .map(FreeBusy::parse),
        required: addresses(element.child("RequiredAttendees")),
        optional: addresses(element.child("OptionalAttendees")),
        resources: addresses(element.child("Resources")),
        is_recurring: element.child("Recurrence").is_some(),
    }
}

fn notify_from(attr: Option<&str>) -> Notify {
    match attr {
        Some("SendToNone") | None => Notify::None,
        Some(_) => Notify::All,
    }
}

fn create_item(tenant: &mut Tenant, caller: &Caller, op: &Element, now: DateTime<Utc>) -> String {
    let name = "CreateItemResponseMessage";
    let mut out = String::new();
    open_response(&mut out, "CreateItemResponse");
    out.push_str("<m:ResponseMessages>");
    let notify = notify_from(op.attr("SendMeetingInvitations"));
    let saved = op
        .child("SavedItemFolderId")
        .and_then(|f| f.children.first());
    let items = op
        .child("Items")
        .map(|i| i.children.clone())
        .unwrap_or_default();
    for element in &items {
        match element.name.as_str() {
            "CalendarItem" => {
                let target = match saved {
                    Some(folder) => match folder_target(tenant, caller, folder) {
                        Ok(FolderTarget::Calendar(m)) => Ok(m),
                        Ok(FolderTarget::Other { .. }) => Err(FolderError::NotFound),
                        Err(e) => Err(e),
                    },
                    None => caller
                        .mailbox
                        .clone()
                        .ok_or(FolderError::MissingEmailAddress),
                };
                let mailbox = match target {
                    Ok(m) => m,
                    Err(e) => {
                        folder_error(&mut out, name, e);
                        continue;
                    }
                };
                if !caller.can_open(tenant, &mailbox) {
                    access_denied(&mut out, name);
                    continue;
                }
                match tenant.create_item(&mailbox, new_item(element), notify, now) {
                    Ok(id) => {
                        let item = tenant.item(&id).expect("just created");
                        open_success(&mut out, name);
                        out.push_str(&format!(
                            "<m:Items><t:CalendarItem>{}</t:CalendarItem></m:Items></m:{name}>",
                            item_id(item)
                        ));
                    }
                    Err(e) => calendar_error(&mut out, name, &e),
                }
            }
            "CancelCalendarItem" | "DeclineItem" => {
                let id = element
                    .child("ReferenceItemId")
                    .and_then(|r| r.attr("Id"))
                    .unwrap_or_default()
                    .to_string();
                let result = match open_item(tenant, caller, &id) {
                    Ok(_) if element.name == "CancelCalendarItem" => {
                        tenant.cancel_item(&id, now).map_err(Ok)
                    }
                    Ok(_) => tenant.decline_item(&id, now).map_err(Ok),
                    Err(e) => Err(e),
                };
                match result {
                    Ok(()) => {
                        open_success(&mut out, name);
                        out.push_str(&format!("<m:Items/></m:{name}>"));
                    }
                    Err(Ok(e)) => calendar_error(&mut out, name, &e),
                    Err(Err(())) => access_denied(&mut out, name),
                }
            }
            _ => error_message_with(
                &mut out,
                name,
                "ErrorInvalidOperation",
                "The simulator only creates calendar items, cancellations and declines.",
                "<m:Items/>",
            ),
        }
    }
    out.push_str("</m:ResponseMessages></m:CreateItemResponse>");
    out
}

fn field_changes(updates: &Element) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    for update in &updates.children {
        let uri = update
            .child("FieldURI")
            .and_then(|f| f.attr("FieldURI"))
            .unwrap_or_default();
        let value = update.child("CalendarItem");
        match update.name.as_str() {
            "SetItemField" | "AppendToItemField" => {
                let Some(v) = value else { continue };
                let append = update.name == "AppendToItemField";
                let change = match uri {
                    "item:Subject" => {
                        FieldChange::Subject(v.child_text("Subject").unwrap_or_default().into())
                    }
                    "item:Body" => {
                        let b = v.child("Body");
                        FieldChange::Body(
                            b.map(|b| b.text.clone()).unwrap_or_default(),
                            b.and_then(|b| b.attr("BodyType")) == Some("HTML"),
                        )
                    }
                    "calendar:Start" => match v.child_text("Start").and_then(parse_time) {
                        Some(t) => FieldChange::Start(t),
                        None => continue,
                    },
                    "calendar:End" => match v.child_text("End").and_then(parse_time) {
                        Some(t) => FieldChange::End(t),
                        None => continue,
                    },
                    "calendar:Location" => {
                        FieldChange::Location(v.child_text("Location").unwrap_or_default().into())
                    }
                    "calendar:LegacyFreeBusyStatus" => FieldChange::FreeBusy(FreeBusy::parse(
                        v.child_text("LegacyFreeBusyStatus").unwrap_or_default(),
                    )),
                    "calendar:RequiredAttendees" => {
                        let list = addresses(v.child("RequiredAttendees"));
                        if append {
                            FieldChange::AppendRequired(list)
                        } else {
                            FieldChange::Required(list)
                        }
                    }
                    "calendar:OptionalAttendees" => {
                        let list = addresses(v.child("OptionalAttendees"));
                        if append {
                            FieldChange::AppendOptional(list)
                        } else {
                            FieldChange::Optional(list)
                        }
                    }
                    "calendar:Resources" => {
                        let list = addresses(v.child("Resources"));
                        if append {
                            FieldChange::AppendResources(list)
                        } else {
                            FieldChange::Resources(list)
                        }
                    }
                    _ => continue,
                };
                changes.push(change);
            }
            "DeleteItemField" => match uri {
                "calendar:Location" => changes.push(FieldChange::Location(String::new())),
                "item:Body" => changes.push(FieldChange::Body(String::new(), false)),
                "calendar:RequiredAttendees" => changes.push(FieldChange::Required(Vec::new())),
                "calendar:OptionalAttendees" => changes.push(FieldChange::Optional(Vec::new())),
                "calendar:Resources" => changes.push(FieldChange::Resources(Vec::new())),
                _ => {}
            },
            _ => {}
        }
    }
    changes
}

fn update_item(tenant: &mut Tenant, caller: &Caller, op: &Element, now: DateTime<Utc>) -> String {
    let name = "UpdateItemResponseMessage";
    let mut out = String::new();
    open_response(&mut out, "UpdateItemResponse");
    out.push_str("<m:ResponseMessages>");
    let notify = notify_from(op.attr("SendMeetingInvitationsOrCancellations"));
    let check_key = op.attr("ConflictResolution") == Some("NeverOverwrite");
    let changes = op
        .child("ItemChanges")
        .map(|c| c.children.clone())
        .unwrap_or_default();
    for change in &changes {
        let id_element = change.child("ItemId");
        let id = id_element
            .and_then(|i| i.attr("Id"))
            .unwrap_or_default()
            .to_string();
        let key = if check_key {
            id_element.and_then(|i| i.attr("ChangeKey"))
        } else {
            None
        };
        let fields = change
            .child("Updates")
            .map(field_changes)
            .unwrap_or_default();
        let result = match open_item(tenant, caller, &id) {
            Ok(_) => tenant
                .update_item(&id, key, &fields, notify, now)
                .map_err(Ok),
            Err(e) => Err(e),
        };
        match result {
            Ok((id, ck)) => {
                open_success(&mut out, name);
                out.push_str(&format!(
                    r#"<m:Items><t:CalendarItem><t:ItemId Id="{id}" ChangeKey="{ck}"/></t:CalendarItem></m:Items><m:ConflictResults><t:Count>0</t:Count></m:ConflictResults></m:{name}>"#
                ));
            }
            Err(Ok(e)) => calendar_error(&mut out, name, &e),
            Err(Err(())) => access_denied(&mut out, name),
        }
    }
    out.push_str("</m:ResponseMessages></m:UpdateItemResponse>");
    out
}

fn delete_item(tenant: &mut Tenant, caller: &Caller, op: &Element, now: DateTime<Utc>) -> String {
    let name = "DeleteItemResponseMessage";
    let mut out = String::new();
    open_response(&mut out, "DeleteItemResponse");
    out.push_str("<m:ResponseMessages>");
    let notify = notify_from(op.attr("SendMeetingCancellations"));
    for id in op
        .child("ItemIds")
        .map(|i| i.children.clone())
        .unwrap_or_default()
    {
        let id = id.attr("Id").unwrap_or_default().to_string();
        let result = match open_item(tenant, caller, &id) {
            Ok(_) => tenant.delete_item(&id, notify, now).map_err(Ok),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                open_success(&mut out, name);
                out.push_str(&format!("</m:{name}>"));
            }
            Err(Ok(e)) => calendar_error(&mut out, name, &e),
            Err(Err(())) => access_denied(&mut out, name),
        }
    }
    out.push_str("</m:ResponseMessages></m:DeleteItemResponse>");
    out
}

fn sync_folder_items(tenant: &Tenant, caller: &Caller, op: &Element) -> String {
    let name = "SyncFolderItemsResponseMessage";
    let mut out = String::new();
    open_response(&mut out, "SyncFolderItemsResponse");
    out.push_str("<m:ResponseMessages>");
    let shape = item_shape(op);
    let folder = op.child("SyncFolderId").and_then(|f| f.children.first());
    let mailbox = match folder.map(|f| folder_target(tenant, caller, f)) {
        Some(Ok(FolderTarget::Calendar(m))) => Ok(m),
        Some(Ok(FolderTarget::Other { .. })) | None => Err(FolderError::NotFound),
        Some(Err(e)) => Err(e),
    };
    match mailbox {
        Err(e) => folder_error(&mut out, name, e),
        Ok(mailbox) if !caller.can_open(tenant, &mailbox) => access_denied(&mut out, name),
        Ok(mailbox) => {
            let state_text = op.child_text("SyncState").unwrap_or_default().trim();
            let since = if state_text.is_empty() {
                Some(0)
            } else {
                parse_sync_state(state_text, &mailbox)
            };
            match since {
                None => error_message(
                    &mut out,
                    name,
                    "ErrorInvalidSyncStateData",
                    "Synchronization state data is corrupt or otherwise invalid.",
                ),
                Some(since) => {
                    let max = op
                        .child_text("MaxChangesReturned")
                        .and_then(|m| m.trim().parse::<usize>().ok())
                        .unwrap_or(512);
                    let (changes, new_state, complete) = tenant.sync(&mailbox, since, max);
                    let folder_id = tenant
                        .mailbox(&mailbox)
                        .map(|m| m.calendar_folder_id())
                        .unwrap_or_default();
                    open_success(&mut out, name);
                    out.push_str(&format!(
                        "<m:SyncState>{}</m:SyncState><m:IncludesLastItemInRange>{complete}</m:IncludesLastItemInRange><m:Changes>",
                        sync_state(&mailbox, new_state)
                    ));
                    for change in &changes {
                        match (change.kind, &change.item) {
                            (ChangeKind::Delete, _) | (_, None) => out.push_str(&format!(
                                r#"<t:Delete><t:ItemId Id="{}" ChangeKey="{}"/></t:Delete>"#,
                                change.item_id, change.change_key
                            )),
                            (kind, Some(item)) => {
                                let tag = if kind == ChangeKind::Create {
                                    "Create"
                                } else {
                                    "Update"
                                };
                                out.push_str(&format!("<t:{tag}>"));
                                calendar_item(&mut out, item, &shape, &folder_id);
                                out.push_str(&format!("</t:{tag}>"));
                            }
                        }
                    }
                    out.push_str("</m:Changes></m:SyncFolderItemsResponseMessage>");
                }
            }
        }
    }
    out.push_str("</m:ResponseMessages></m:SyncFolderItemsResponse>");
    let _ = time;
    out
}
