//! `SyncFolderItems`: incremental changes of a folder since a sync state.
//! <https://learn.microsoft.com/exchange/client-developer/web-service-reference/syncfolderitems-operation>

use super::Operation;
use crate::error::Error;
use crate::soap;
use crate::types::{CalendarItem, FolderId, ItemId, ItemShape};
use crate::xml::{Element, NS_MESSAGES, NS_TYPES, XmlWriter};

/// `SyncFolderItems`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFolderItems {
    /// The folder.
    pub folder: FolderId,
    /// Properties of created/updated items.
    pub shape: ItemShape,
    /// State from the previous call (`None` for the first sync).
    pub sync_state: Option<String>,
    /// `MaxChangesReturned` (1..=512).
    pub max_changes: u32,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncChange {
    /// `Create`
    Created(CalendarItem),
    /// `Update`
    Updated(CalendarItem),
    /// `Delete`
    Deleted(ItemId),
    /// `ReadFlagChange`
    ReadFlagChanged(ItemId),
}

/// A page of changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFolderItemsResult {
    /// State to pass to the next call.
    pub sync_state: String,
    /// `true` when there are no more changes now.
    pub includes_last_item_in_range: bool,
    /// Changes in server order.
    pub changes: Vec<SyncChange>,
}

impl Operation for SyncFolderItems {
    const NAME: &'static str = "SyncFolderItems";
    type Response = SyncFolderItemsResult;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        if !(1..=512).contains(&self.max_changes) {
            return Err(Error::InvalidArgument(
                "MaxChangesReturned must be 1..=512".into(),
            ));
        }
        w.open("m:SyncFolderItems", &[]);
        self.shape.write(w, "m:ItemShape");
        w.open("m:SyncFolderId", &[]);
        self.folder.write(w);
        w.close("m:SyncFolderId");
        w.leaf_opt("m:SyncState", self.sync_state.as_deref());
        w.leaf("m:MaxChangesReturned", &[], &self.max_changes.to_string());
        w.close("m:SyncFolderItems");
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<SyncFolderItemsResult, Error> {
        let msg = soap::single(body, Self::NAME)?;
        let mut changes = Vec::new();
        if let Some(list) = msg.child(NS_MESSAGES, "Changes") {
            for c in list
                .children
                .iter()
                .filter(|c| c.ns.as_deref() == Some(NS_TYPES))
            {
                let first = c.children.first();
                let change = match c.name.as_str() {
                    "Create" | "Update" => {
                        let item = first.ok_or_else(|| {
                            Error::UnexpectedResponse(format!("{} without item", c.name))
                        })?;
                        let item = CalendarItem::from_element(item)?;
                        if c.name == "Create" {
                            SyncChange::Created(item)
                        } else {
                            SyncChange::Updated(item)
                        }
                    }
                    "Delete" | "ReadFlagChange" => {
                        let id = c.child(NS_TYPES, "ItemId").ok_or_else(|| {
                            Error::UnexpectedResponse(format!("{} without ItemId", c.name))
                        })?;
                        let id = ItemId::from_element(id)?;
                        if c.name == "Delete" {
                            SyncChange::Deleted(id)
                        } else {
                            SyncChange::ReadFlagChanged(id)
                        }
                    }
                    _ => continue,
                };
                changes.push(change);
            }
        }
        Ok(SyncFolderItemsResult {
            sync_state: msg
                .child_text(NS_MESSAGES, "SyncState")
                .unwrap_or_default()
                .to_owned(),
            includes_last_item_in_range: msg
                .child_text(NS_MESSAGES, "IncludesLastItemInRange")
                .map(|s| s.trim() == "true")
                .unwrap_or(true),
            changes,
        })
    }
}
