//! `GetUserAvailability`: free/busy (with `CalendarEventDetails`) for up to
//! [`MAX_MAILBOXES_PER_CALL`] mailboxes per call. All times are exchanged in UTC: the request
//! carries a UTC `t:TimeZone`, and the offset-less times Exchange answers with are read as UTC.
//! <https://learn.microsoft.com/exchange/client-developer/web-service-reference/getuseravailability-operation>

use chrono::{DateTime, Utc};

use super::{ItemResult, Operation};
use crate::error::Error;
use crate::soap;
use crate::types::{FreeBusy, parse_datetime, text_is_true};
use crate::xml::{Element, NS_MESSAGES, NS_TYPES, XmlWriter};

/// Exchange refuses more mailboxes than this in one call (`ErrorMailboxDataArrayTooBig`).
pub const MAX_MAILBOXES_PER_CALL: usize = 100;

/// Longest free/busy window Exchange accepts in one call.
pub const MAX_WINDOW_DAYS: i64 = 42;

/// `MeetingAttendeeType` of a queried mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttendeeKind {
    /// `Required`
    #[default]
    Required,
    /// `Room`
    Room,
    /// `Resource`
    Resource,
}

impl AttendeeKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Required => "Required",
            Self::Room => "Room",
            Self::Resource => "Resource",
        }
    }
}

/// One queried mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxRequest {
    /// SMTP address.
    pub address: String,
    /// Attendee type (rooms: [`AttendeeKind::Room`]).
    pub kind: AttendeeKind,
}

impl MailboxRequest {
    /// A room mailbox.
    pub fn room(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            kind: AttendeeKind::Room,
        }
    }
}

/// `FreeBusyViewOptions/RequestedView`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FreeBusyViewKind {
    /// `FreeBusy`: events without details.
    FreeBusy,
    /// `Detailed`: events with `CalendarEventDetails` (where permissions allow).
    #[default]
    Detailed,
    /// `DetailedMerged`: details plus the merged free/busy string.
    DetailedMerged,
}

impl FreeBusyViewKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::FreeBusy => "FreeBusy",
            Self::Detailed => "Detailed",
            Self::DetailedMerged => "DetailedMerged",
        }
    }
}

/// `GetUserAvailabilityRequest` for free/busy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUserAvailability {
    /// Mailboxes (1..=[`MAX_MAILBOXES_PER_CALL`]).
    pub mailboxes: Vec<MailboxRequest>,
    /// Window start.
    pub start: DateTime<Utc>,
    /// Window end (Exchange allows at most 42 days).
    pub end: DateTime<Utc>,
    /// View.
    pub view: FreeBusyViewKind,
    /// `MergedFreeBusyIntervalInMinutes` (used by merged views).
    pub merged_interval_minutes: u32,
}

impl GetUserAvailability {
    /// A detailed view for `mailboxes` (at most [`MAX_MAILBOXES_PER_CALL`]).
    pub fn new(mailboxes: Vec<MailboxRequest>, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self {
            mailboxes,
            start,
            end,
            view: FreeBusyViewKind::Detailed,
            merged_interval_minutes: 30,
        }
    }

    /// Splits any number of mailboxes into requests of at most [`MAX_MAILBOXES_PER_CALL`],
    /// in order. Results of the calls, concatenated, line up with `mailboxes`.
    pub fn batched(
        mailboxes: &[MailboxRequest],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        view: FreeBusyViewKind,
    ) -> Vec<Self> {
        mailboxes
            .chunks(MAX_MAILBOXES_PER_CALL)
            .map(|c| Self {
                view,
                ..Self::new(c.to_vec(), start, end)
            })
            .collect()
    }
}

/// `CalendarEventDetails`
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventDetails {
    /// `ID` (hex entry id).
    pub id: Option<String>,
    /// `Subject`
    pub subject: Option<String>,
    /// `Location`
    pub location: Option<String>,
    /// `IsMeeting`
    pub is_meeting: bool,
    /// `IsRecurring`
    pub is_recurring: bool,
    /// `IsPrivate`
    pub is_private: bool,
}

/// `CalendarEvent`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailabilityEvent {
    /// `StartTime` (UTC).
    pub start: DateTime<Utc>,
    /// `EndTime` (UTC).
    pub end: DateTime<Utc>,
    /// `BusyType`
    pub busy: FreeBusy,
    /// `CalendarEventDetails`, when the view and permissions give them.
    pub details: Option<EventDetails>,
}

/// The answer for one mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailboxAvailability {
    /// `FreeBusyViewType` actually returned (may be less than requested).
    pub view_type: String,
    /// `MergedFreeBusy` digits, for merged views.
    pub merged: Option<String>,
    /// Events.
    pub events: Vec<AvailabilityEvent>,
}

/// The UTC `SerializableTimeZone` (no daylight saving).
fn write_utc_time_zone(w: &mut XmlWriter) {
    w.open("t:TimeZone", &[]).leaf("t:Bias", &[], "0");
    for part in ["t:StandardTime", "t:DaylightTime"] {
        w.open(part, &[])
            .leaf("t:Bias", &[], "0")
            .leaf("t:Time", &[], "00:00:00")
            .leaf("t:DayOrder", &[], "0")
            .leaf("t:Month", &[], "0")
            .leaf("t:DayOfWeek", &[], "Sunday")
            .close(part);
    }
    w.close("t:TimeZone");
}

fn naive(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

impl Operation for GetUserAvailability {
    const NAME: &'static str = "GetUserAvailability";
    /// One result per requested mailbox, in request order.
    type Response = Vec<ItemResult<MailboxAvailability>>;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        if self.mailboxes.is_empty() || self.mailboxes.len() > MAX_MAILBOXES_PER_CALL {
            return Err(Error::InvalidArgument(format!(
                "GetUserAvailability takes 1 to {MAX_MAILBOXES_PER_CALL} mailboxes, got {} (use GetUserAvailability::batched)",
                self.mailboxes.len()
            )));
        }
        if self.end <= self.start {
            return Err(Error::InvalidArgument(
                "availability window ends before it starts".into(),
            ));
        }
        if self.end - self.start > chrono::Duration::days(MAX_WINDOW_DAYS) {
            return Err(Error::InvalidArgument(format!(
                "availability window longer than {MAX_WINDOW_DAYS} days"
            )));
        }
        w.open("m:GetUserAvailabilityRequest", &[]);
        write_utc_time_zone(w);
        w.open("m:MailboxDataArray", &[]);
        for m in &self.mailboxes {
            w.open("t:MailboxData", &[])
                .open("t:Email", &[])
                .leaf("t:Address", &[], &m.address)
                .close("t:Email")
                .leaf("t:AttendeeType", &[], m.kind.as_str())
                .leaf("t:ExcludeConflicts", &[], "false")
                .close("t:MailboxData");
        }
        w.close("m:MailboxDataArray");
        w.open("t:FreeBusyViewOptions", &[])
            .open("t:TimeWindow", &[])
            .leaf("t:StartTime", &[], &naive(&self.start))
            .leaf("t:EndTime", &[], &naive(&self.end))
            .close("t:TimeWindow")
            .leaf(
                "t:MergedFreeBusyIntervalInMinutes",
                &[],
                &self.merged_interval_minutes.to_string(),
            )
            .leaf("t:RequestedView", &[], self.view.as_str())
            .close("t:FreeBusyViewOptions")
            .close("m:GetUserAvailabilityRequest");
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<Self::Response, Error> {
        let resp = soap::expect(body, "GetUserAvailabilityResponse")?;
        let array = resp
            .child(NS_MESSAGES, "FreeBusyResponseArray")
            .ok_or_else(|| Error::UnexpectedResponse("no FreeBusyResponseArray".into()))?;
        array
            .children_named(NS_MESSAGES, "FreeBusyResponse")
            .map(|r| {
                if let Some(msg) = r.child(NS_MESSAGES, "ResponseMessage")
                    && let Err(e) = soap::status(msg)
                {
                    return Ok(Err(e));
                }
                parse_view(r.child(NS_MESSAGES, "FreeBusyView")).map(Ok)
            })
            .collect()
    }

    /// The streaming parser of [`super::availability_stream`]: the same result as the tree
    /// path, without building the tree (this response is the largest the crate reads).
    fn parse_streaming(bytes: &[u8]) -> Option<Self::Response> {
        super::availability_stream::parse(bytes)
    }
}

fn parse_view(view: Option<&Element>) -> Result<MailboxAvailability, Error> {
    let Some(view) = view else {
        return Ok(MailboxAvailability::default());
    };
    let events = view
        .child(NS_TYPES, "CalendarEventArray")
        .map(|a| {
            a.children_named(NS_TYPES, "CalendarEvent")
                .map(parse_event)
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(view_from_parts(
        view.child_text(NS_TYPES, "FreeBusyViewType"),
        view.child_text(NS_TYPES, "MergedFreeBusy")
            .map(str::to_owned),
        events,
    ))
}

fn parse_event(e: &Element) -> Result<AvailabilityEvent, Error> {
    let text = |n: &str| e.child_text(NS_TYPES, n);
    event_from_parts(
        text("StartTime"),
        text("EndTime"),
        text("BusyType"),
        e.child(NS_TYPES, "CalendarEventDetails").map(|d| {
            let text = |n: &str| d.child_text(NS_TYPES, n);
            details_from_parts(
                text("ID").map(str::to_owned),
                text("Subject").map(str::to_owned),
                text("Location").map(str::to_owned),
                text("IsMeeting"),
                text("IsRecurring"),
                text("IsPrivate"),
            )
        }),
    )
}

/// A `FreeBusyView` from the texts of its first `FreeBusyViewType` and `MergedFreeBusy`
/// children and the events of its first `CalendarEventArray` (shared by both parsers).
pub(super) fn view_from_parts(
    view_type: Option<&str>,
    merged: Option<String>,
    events: Vec<AvailabilityEvent>,
) -> MailboxAvailability {
    MailboxAvailability {
        view_type: view_type.unwrap_or_default().trim().to_owned(),
        merged,
        events,
    }
}

/// A `CalendarEvent` from the texts of its first `StartTime`, `EndTime` and `BusyType`
/// children (shared by both parsers).
pub(super) fn event_from_parts(
    start: Option<&str>,
    end: Option<&str>,
    busy: Option<&str>,
    details: Option<EventDetails>,
) -> Result<AvailabilityEvent, Error> {
    fn req<'a>(v: Option<&'a str>, n: &str) -> Result<&'a str, Error> {
        v.ok_or_else(|| Error::UnexpectedResponse(format!("CalendarEvent without {n}")))
    }
    Ok(AvailabilityEvent {
        start: parse_datetime(req(start, "StartTime")?)?,
        end: parse_datetime(req(end, "EndTime")?)?,
        busy: FreeBusy::parse(req(busy, "BusyType")?),
        details,
    })
}

/// `CalendarEventDetails` from the texts of its first children (shared by both parsers).
pub(super) fn details_from_parts(
    id: Option<String>,
    subject: Option<String>,
    location: Option<String>,
    is_meeting: Option<&str>,
    is_recurring: Option<&str>,
    is_private: Option<&str>,
) -> EventDetails {
    EventDetails {
        id,
        subject,
        location,
        is_meeting: is_meeting.is_some_and(text_is_true),
        is_recurring: is_recurring.is_some_and(text_is_true),
        is_private: is_private.is_some_and(text_is_true),
    }
}
