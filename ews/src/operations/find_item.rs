//! `FindItem` with a `CalendarView`: the calendar items (occurrences expanded) in a window.
//! <https://learn.microsoft.com/exchange/client-developer/web-service-reference/finditem-operation>

use chrono::{DateTime, Utc};

use super::Operation;
use crate::error::Error;
use crate::soap;
use crate::types::{CalendarItem, FolderId, ItemShape, format_datetime, items_of};
use crate::xml::{Element, NS_MESSAGES, NS_TYPES, XmlWriter};

/// `FindItem` over a calendar with `CalendarView`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarView {
    /// The calendar folder (usually [`FolderId::calendar`]).
    pub folder: FolderId,
    /// `CalendarView/@StartDate`
    pub start: DateTime<Utc>,
    /// `CalendarView/@EndDate`
    pub end: DateTime<Utc>,
    /// `CalendarView/@MaxEntriesReturned`
    pub max_entries: Option<u32>,
    /// Properties to return.
    pub shape: ItemShape,
}

impl CalendarView {
    /// The calendar of `mailbox` between `start` and `end`, with [`ItemShape::calendar`].
    pub fn new(mailbox: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self {
            folder: FolderId::calendar(Some(mailbox)),
            start,
            end,
            max_entries: None,
            shape: ItemShape::calendar(),
        }
    }
}

/// The items found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FindItemResult {
    /// Items in the view.
    pub items: Vec<CalendarItem>,
    /// `RootFolder/@TotalItemsInView`
    pub total_items_in_view: Option<u32>,
    /// `RootFolder/@IncludesLastItemInRange`: `false` when `max_entries` cut the view.
    pub includes_last_item_in_range: bool,
}

impl Operation for CalendarView {
    const NAME: &'static str = "FindItem";
    type Response = FindItemResult;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        if self.end <= self.start {
            return Err(Error::InvalidArgument(
                "calendar view ends before it starts".into(),
            ));
        }
        w.open("m:FindItem", &[("Traversal", "Shallow")]);
        self.shape.write(w, "m:ItemShape");
        let start = format_datetime(&self.start);
        let end = format_datetime(&self.end);
        let max = self.max_entries.map(|m| m.to_string());
        let mut attrs = Vec::new();
        if let Some(m) = &max {
            attrs.push(("MaxEntriesReturned", m.as_str()));
        }
        attrs.push(("StartDate", start.as_str()));
        attrs.push(("EndDate", end.as_str()));
        w.empty("m:CalendarView", &attrs);
        w.open("m:ParentFolderIds", &[]);
        self.folder.write(w);
        w.close("m:ParentFolderIds").close("m:FindItem");
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<FindItemResult, Error> {
        let msg = soap::single(body, "FindItem")?;
        let Some(root) = msg.child(NS_MESSAGES, "RootFolder") else {
            return Ok(FindItemResult {
                includes_last_item_in_range: true,
                ..FindItemResult::default()
            });
        };
        Ok(FindItemResult {
            items: items_of(root.child(NS_TYPES, "Items"))?,
            total_items_in_view: root.attr("TotalItemsInView").and_then(|v| v.parse().ok()),
            includes_last_item_in_range: root.attr("IncludesLastItemInRange") != Some("false"),
        })
    }
}
