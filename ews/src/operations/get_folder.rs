//! `GetFolder`: used to prove that a mailbox exists and that we may open it
//! (distinguished folder `calendar` with `Mailbox`).
//! <https://learn.microsoft.com/exchange/client-developer/web-service-reference/getfolder-operation>

use super::Operation;
use crate::error::Error;
use crate::soap;
use crate::types::{BaseShape, FolderId};
use crate::xml::{Element, NS_MESSAGES, NS_TYPES, XmlWriter};

/// `GetFolder` for one folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetFolder {
    /// The folder.
    pub folder: FolderId,
    /// `FolderShape/BaseShape`.
    pub shape: BaseShape,
}

impl GetFolder {
    /// The calendar of `mailbox`, id only: the cheapest "does this mailbox exist" probe.
    pub fn calendar_of(mailbox: &str) -> Self {
        Self {
            folder: FolderId::calendar(Some(mailbox)),
            shape: BaseShape::IdOnly,
        }
    }
}

/// The folder found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderInfo {
    /// Element name, e.g. `CalendarFolder`.
    pub kind: String,
    /// `FolderId/@Id`
    pub id: String,
    /// `FolderId/@ChangeKey`
    pub change_key: Option<String>,
    /// `DisplayName`, if the shape returned it.
    pub display_name: Option<String>,
}

impl Operation for GetFolder {
    const NAME: &'static str = "GetFolder";
    type Response = FolderInfo;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        w.open("m:GetFolder", &[])
            .open("m:FolderShape", &[])
            .leaf("t:BaseShape", &[], self.shape.as_str())
            .close("m:FolderShape")
            .open("m:FolderIds", &[]);
        self.folder.write(w);
        w.close("m:FolderIds").close("m:GetFolder");
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<FolderInfo, Error> {
        let msg = soap::single(body, Self::NAME)?;
        let folder = msg
            .child(NS_MESSAGES, "Folders")
            .and_then(|f| f.children.first())
            .ok_or_else(|| Error::UnexpectedResponse("GetFolder returned no folder".into()))?;
        let fid = folder
            .child(NS_TYPES, "FolderId")
            .ok_or_else(|| Error::UnexpectedResponse("folder without FolderId".into()))?;
        Ok(FolderInfo {
            kind: folder.name.clone(),
            id: fid.attr("Id").unwrap_or_default().to_owned(),
            change_key: fid.attr("ChangeKey").map(str::to_owned),
            display_name: folder
                .child_text(NS_TYPES, "DisplayName")
                .map(str::to_owned),
        })
    }
}
