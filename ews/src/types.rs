//! Types shared by several operations.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::error::Error;
use crate::xml::{Element, NS_TYPES, XmlWriter};

/// Formats a UTC instant the way this crate sends it: `2026-11-23T10:00:00Z`.
pub fn format_datetime(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parses an `xs:dateTime` from Exchange. A value without an offset is taken as UTC (this crate
/// asks for UTC wherever Exchange writes local times, e.g. `GetUserAvailability`).
pub fn parse_datetime(s: &str) -> Result<DateTime<Utc>, Error> {
    let s = s.trim();
    if let Some(t) = parse_datetime_fast(s) {
        return Ok(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|n| n.and_utc())
        .map_err(|e| Error::UnexpectedResponse(format!("bad dateTime {s:?}: {e}")))
}

/// `YYYY-MM-DDTHH:MM:SS`, optionally followed by `Z`: the forms Exchange sends, read without
/// chrono's format parser. Anything else (fractions, offsets, leap seconds, out-of-range
/// values) returns `None` and takes the general path, which gives the same value for these.
fn parse_datetime_fast(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let b = match b.len() {
        19 => b,
        20 if b[19] == b'Z' => &b[..19],
        _ => return None,
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    let date = chrono::NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)?;
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if second > 59 {
        return None;
    }
    date.and_hms_opt(hour, minute, second).map(|t| t.and_utc())
}

pub(crate) fn opt_datetime(el: &Element, name: &str) -> Result<Option<DateTime<Utc>>, Error> {
    el.child_text(NS_TYPES, name)
        .map(parse_datetime)
        .transpose()
}

pub(crate) fn opt_bool(el: &Element, name: &str) -> Option<bool> {
    el.child_text(NS_TYPES, name).map(text_is_true)
}

/// An `xs:boolean` that is true (`true` or `1`, surrounding whitespace allowed).
pub(crate) fn text_is_true(s: &str) -> bool {
    matches!(s.trim(), "true" | "1")
}

/// An item id with its change key (`t:ItemId`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ItemId {
    /// `Id`
    pub id: String,
    /// `ChangeKey`; required by Exchange for updates unless conflict resolution overrides it.
    pub change_key: Option<String>,
}

impl ItemId {
    /// An id without change key.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            change_key: None,
        }
    }

    pub(crate) fn write(&self, w: &mut XmlWriter, name: &str) {
        match &self.change_key {
            Some(ck) => w.empty(name, &[("Id", &self.id), ("ChangeKey", ck)]),
            None => w.empty(name, &[("Id", &self.id)]),
        };
    }

    pub(crate) fn from_element(el: &Element) -> Result<Self, Error> {
        Ok(Self {
            id: el
                .attr("Id")
                .ok_or_else(|| Error::UnexpectedResponse(format!("{} without Id", el.name)))?
                .to_owned(),
            change_key: el.attr("ChangeKey").map(str::to_owned),
        })
    }
}

/// Well-known folders used by this crate (`t:DistinguishedFolderIdNameType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DistinguishedFolder {
    /// `calendar`
    Calendar,
    /// `inbox`
    Inbox,
    /// `deleteditems`
    DeletedItems,
    /// `msgfolderroot`
    MsgFolderRoot,
}

impl DistinguishedFolder {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Calendar => "calendar",
            Self::Inbox => "inbox",
            Self::DeletedItems => "deleteditems",
            Self::MsgFolderRoot => "msgfolderroot",
        }
    }
}

/// A folder reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderId {
    /// `t:FolderId`
    Id {
        /// `Id`
        id: String,
        /// `ChangeKey`
        change_key: Option<String>,
    },
    /// `t:DistinguishedFolderId`, optionally in another mailbox.
    Distinguished {
        /// Which folder.
        folder: DistinguishedFolder,
        /// `t:Mailbox/t:EmailAddress`: whose folder (needed for app-only or delegate access
        /// without impersonation).
        mailbox: Option<String>,
    },
}

impl FolderId {
    /// The calendar of `mailbox` (or of the impersonated user when `None`).
    pub fn calendar(mailbox: Option<&str>) -> Self {
        Self::Distinguished {
            folder: DistinguishedFolder::Calendar,
            mailbox: mailbox.map(str::to_owned),
        }
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        match self {
            FolderId::Id { id, change_key } => {
                match change_key {
                    Some(ck) => w.empty("t:FolderId", &[("Id", id), ("ChangeKey", ck)]),
                    None => w.empty("t:FolderId", &[("Id", id)]),
                };
            }
            FolderId::Distinguished { folder, mailbox } => match mailbox {
                None => {
                    w.empty("t:DistinguishedFolderId", &[("Id", folder.as_str())]);
                }
                Some(m) => {
                    w.open("t:DistinguishedFolderId", &[("Id", folder.as_str())])
                        .open("t:Mailbox", &[])
                        .leaf("t:EmailAddress", &[], m)
                        .close("t:Mailbox")
                        .close("t:DistinguishedFolderId");
                }
            },
        }
    }
}

/// `t:BaseShape`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BaseShape {
    /// `IdOnly`
    #[default]
    IdOnly,
    /// `Default`
    Default,
    /// `AllProperties`
    AllProperties,
}

impl BaseShape {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdOnly => "IdOnly",
            Self::Default => "Default",
            Self::AllProperties => "AllProperties",
        }
    }
}

/// Body format (`BodyType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyKind {
    /// `Text`
    #[default]
    Text,
    /// `HTML`
    Html,
}

impl BodyKind {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "Text",
            Self::Html => "HTML",
        }
    }
}

/// An item body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// Format.
    pub kind: BodyKind,
    /// Content (escaped on write).
    pub content: String,
}

impl Body {
    /// A plain-text body.
    pub fn text(s: impl Into<String>) -> Self {
        Self {
            kind: BodyKind::Text,
            content: s.into(),
        }
    }

    pub(crate) fn write(&self, w: &mut XmlWriter, name: &str) {
        w.leaf(name, &[("BodyType", self.kind.as_str())], &self.content);
    }

    fn from_element(el: &Element) -> Self {
        Self {
            kind: if el.attr("BodyType") == Some("HTML") {
                BodyKind::Html
            } else {
                BodyKind::Text
            },
            content: el.text.clone(),
        }
    }
}

/// Properties to return for items (`t:ItemResponseShapeType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemShape {
    /// `BaseShape`
    pub base: BaseShape,
    /// `BodyType` to return the body in, if the body is requested.
    pub body_type: Option<BodyKind>,
    /// `AdditionalProperties/FieldURI` values, e.g. `calendar:UID`.
    pub additional: Vec<&'static str>,
}

impl ItemShape {
    /// The calendar properties this crate parses into [`CalendarItem`], without the body.
    pub const CALENDAR_FIELDS: &'static [&'static str] = &[
        "item:Subject",
        "item:LastModifiedTime",
        "calendar:UID",
        "calendar:Start",
        "calendar:End",
        "calendar:IsAllDayEvent",
        "calendar:LegacyFreeBusyStatus",
        "calendar:Location",
        "calendar:IsMeeting",
        "calendar:IsCancelled",
        "calendar:CalendarItemType",
        "calendar:Organizer",
    ];

    /// `IdOnly` plus [`ItemShape::CALENDAR_FIELDS`]: enough for a calendar view.
    pub fn calendar() -> Self {
        Self {
            base: BaseShape::IdOnly,
            body_type: None,
            additional: Self::CALENDAR_FIELDS.to_vec(),
        }
    }

    /// [`ItemShape::calendar`] plus attendees and the body as text (for `GetItem`).
    pub fn calendar_detailed() -> Self {
        let mut additional = Self::CALENDAR_FIELDS.to_vec();
        additional.extend([
            "item:Body",
            "calendar:RequiredAttendees",
            "calendar:OptionalAttendees",
            "calendar:Resources",
        ]);
        Self {
            base: BaseShape::IdOnly,
            body_type: Some(BodyKind::Text),
            additional,
        }
    }

    pub(crate) fn write(&self, w: &mut XmlWriter, name: &str) {
        w.open(name, &[])
            .leaf("t:BaseShape", &[], self.base.as_str());
        if let Some(b) = self.body_type {
            w.leaf("t:BodyType", &[], b.as_str());
        }
        if !self.additional.is_empty() {
            w.open("t:AdditionalProperties", &[]);
            for f in &self.additional {
                w.empty("t:FieldURI", &[("FieldURI", f)]);
            }
            w.close("t:AdditionalProperties");
        }
        w.close(name);
    }
}

/// A mailbox as Exchange returns it (`t:EmailAddressType`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailAddress {
    /// `Name` (display name).
    pub name: Option<String>,
    /// `EmailAddress`.
    pub address: Option<String>,
    /// `RoutingType`, usually `SMTP`.
    pub routing_type: Option<String>,
    /// `MailboxType`, e.g. `Mailbox`, `PublicDL`, `Contact`.
    pub mailbox_type: Option<String>,
}

impl EmailAddress {
    pub(crate) fn from_element(el: &Element) -> Self {
        let t = |n: &str| el.child_text(NS_TYPES, n).map(|s| s.trim().to_owned());
        Self {
            name: t("Name"),
            address: t("EmailAddress"),
            routing_type: t("RoutingType"),
            mailbox_type: t("MailboxType"),
        }
    }
}

/// `LegacyFreeBusyType`
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FreeBusy {
    /// `Free`
    Free,
    /// `Tentative`
    Tentative,
    /// `Busy`
    Busy,
    /// `OOF`
    Oof,
    /// `WorkingElsewhere`
    WorkingElsewhere,
    /// `NoData`
    NoData,
    /// Anything newer.
    Other(String),
}

impl FreeBusy {
    /// Parses a wire value.
    pub fn parse(s: &str) -> Self {
        match s.trim() {
            "Free" => Self::Free,
            "Tentative" => Self::Tentative,
            "Busy" => Self::Busy,
            "OOF" => Self::Oof,
            "WorkingElsewhere" => Self::WorkingElsewhere,
            "NoData" => Self::NoData,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Free => "Free",
            Self::Tentative => "Tentative",
            Self::Busy => "Busy",
            Self::Oof => "OOF",
            Self::WorkingElsewhere => "WorkingElsewhere",
            Self::NoData => "NoData",
            Self::Other(s) => s,
        }
    }
}

/// An attendee as returned by Exchange.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attendee {
    /// The mailbox.
    pub mailbox: EmailAddress,
    /// `ResponseType`, e.g. `Accept`, `Decline`, `Unknown`.
    pub response: Option<String>,
}

fn attendees(el: &Element, name: &str) -> Vec<Attendee> {
    el.child(NS_TYPES, name)
        .map(|list| {
            list.children_named(NS_TYPES, "Attendee")
                .map(|a| Attendee {
                    mailbox: a
                        .child(NS_TYPES, "Mailbox")
                        .map(EmailAddress::from_element)
                        .unwrap_or_default(),
                    response: a.child_text(NS_TYPES, "ResponseType").map(str::to_owned),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An item read from Exchange. Calendar fields are filled for `t:CalendarItem`; for other item
/// kinds (`kind` says which) only the item fields are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarItem {
    /// Element name, e.g. `CalendarItem`, `Message`, `MeetingRequest`.
    pub kind: String,
    /// `ItemId`
    pub item_id: Option<ItemId>,
    /// `Subject`
    pub subject: Option<String>,
    /// `Body`
    pub body: Option<Body>,
    /// `LastModifiedTime`
    pub last_modified: Option<DateTime<Utc>>,
    /// `UID` (iCalendar UID; the client-set booking key).
    pub uid: Option<String>,
    /// `Start`
    pub start: Option<DateTime<Utc>>,
    /// `End`
    pub end: Option<DateTime<Utc>>,
    /// `IsAllDayEvent`
    pub is_all_day: Option<bool>,
    /// `LegacyFreeBusyStatus`
    pub free_busy: Option<FreeBusy>,
    /// `Location`
    pub location: Option<String>,
    /// `IsMeeting`
    pub is_meeting: Option<bool>,
    /// `IsCancelled`
    pub is_cancelled: Option<bool>,
    /// `CalendarItemType`: `Single`, `Occurrence`, `Exception`, `RecurringMaster`.
    pub calendar_item_type: Option<String>,
    /// `Organizer/Mailbox`
    pub organizer: Option<EmailAddress>,
    /// `RequiredAttendees`
    pub required_attendees: Vec<Attendee>,
    /// `OptionalAttendees`
    pub optional_attendees: Vec<Attendee>,
    /// `Resources`
    pub resources: Vec<Attendee>,
}

impl CalendarItem {
    /// Parses any item element (`t:CalendarItem`, `t:Message`, …). Unknown children are ignored.
    pub fn from_element(el: &Element) -> Result<Self, Error> {
        let text = |n: &str| el.child_text(NS_TYPES, n).map(str::to_owned);
        Ok(Self {
            kind: el.name.clone(),
            item_id: el
                .child(NS_TYPES, "ItemId")
                .map(ItemId::from_element)
                .transpose()?,
            subject: text("Subject"),
            body: el.child(NS_TYPES, "Body").map(Body::from_element),
            last_modified: opt_datetime(el, "LastModifiedTime")?,
            uid: text("UID"),
            start: opt_datetime(el, "Start")?,
            end: opt_datetime(el, "End")?,
            is_all_day: opt_bool(el, "IsAllDayEvent"),
            free_busy: el
                .child_text(NS_TYPES, "LegacyFreeBusyStatus")
                .map(FreeBusy::parse),
            location: text("Location"),
            is_meeting: opt_bool(el, "IsMeeting"),
            is_cancelled: opt_bool(el, "IsCancelled"),
            calendar_item_type: text("CalendarItemType"),
            organizer: el
                .child(NS_TYPES, "Organizer")
                .and_then(|o| o.child(NS_TYPES, "Mailbox"))
                .map(EmailAddress::from_element),
            required_attendees: attendees(el, "RequiredAttendees"),
            optional_attendees: attendees(el, "OptionalAttendees"),
            resources: attendees(el, "Resources"),
        })
    }
}

/// Parses every item element under `parent` (e.g. `t:Items`).
pub(crate) fn items_of(parent: Option<&Element>) -> Result<Vec<CalendarItem>, Error> {
    parent
        .map(|p| {
            p.children
                .iter()
                .filter(|c| c.ns.as_deref() == Some(NS_TYPES))
                .map(CalendarItem::from_element)
                .collect()
        })
        .unwrap_or_else(|| Ok(Vec::new()))
}

/// Writes `<name><t:ItemId …/>…</name>`; fails on an empty list (the schema requires one).
pub(crate) fn write_item_ids(w: &mut XmlWriter, name: &str, ids: &[ItemId]) -> Result<(), Error> {
    if ids.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{name} needs at least one item id"
        )));
    }
    w.open(name, &[]);
    for id in ids {
        id.write(w, "t:ItemId");
    }
    w.close(name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The general path of [`parse_datetime`], without the fast one.
    fn general(s: &str) -> Option<DateTime<Utc>> {
        let s = s.trim();
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .map(|n| n.and_utc())
            })
    }

    #[test]
    fn fast_datetime_path_agrees_with_the_general_one() {
        for s in [
            "2026-11-23T10:00:00",
            "2026-11-23T10:00:00Z",
            " 2026-11-23T23:59:59Z ",
            "2024-02-29T00:00:00",
            "2023-02-29T00:00:00",
            "0000-01-01T00:00:00",
            "9999-12-31T23:59:59Z",
            "2026-11-23T24:00:00",
            "2026-11-23T10:60:00",
            "2026-11-23T10:00:60",
            "2026-13-01T00:00:00",
            "2026-00-10T00:00:00",
            "2026-11-23t10:00:00",
            "2026-11-23T10:00:00z",
            "2026-11-23T10:00:00.5",
            "2026-11-23T10:00:00+01:00",
            "2026-11-23 10:00:00",
            "2026-1a-23T10:00:00",
            "+026-11-23T10:00:00",
            "",
        ] {
            assert_eq!(
                parse_datetime_fast(s.trim()).or_else(|| general(s)),
                general(s),
                "{s:?}"
            );
            assert_eq!(parse_datetime(s).ok(), general(s), "{s:?}");
        }
    }
}
