//! `ResolveNames`: look an address or name up in the directory.
//! `ErrorNameResolutionNoResults` is returned as an error (classified `MailboxNotFound`);
//! `ErrorNameResolutionMultipleResults` is a warning that still carries the candidates.
//! <https://learn.microsoft.com/exchange/client-developer/web-service-reference/resolvenames-operation>

use super::Operation;
use crate::error::{Error, ResponseError};
use crate::soap;
use crate::types::EmailAddress;
use crate::xml::{Element, NS_MESSAGES, NS_TYPES, XmlWriter};

/// `SearchScope`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchScope {
    /// `ActiveDirectory`
    #[default]
    ActiveDirectory,
    /// `ActiveDirectoryContacts`
    ActiveDirectoryContacts,
    /// `Contacts`
    Contacts,
    /// `ContactsActiveDirectory`
    ContactsActiveDirectory,
}

impl SearchScope {
    fn as_str(self) -> &'static str {
        match self {
            Self::ActiveDirectory => "ActiveDirectory",
            Self::ActiveDirectoryContacts => "ActiveDirectoryContacts",
            Self::Contacts => "Contacts",
            Self::ContactsActiveDirectory => "ContactsActiveDirectory",
        }
    }
}

/// `ResolveNames`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveNames {
    /// What to resolve (address, name, alias).
    pub entry: String,
    /// Where.
    pub scope: SearchScope,
    /// `ReturnFullContactData`.
    pub full_contact_data: bool,
}

impl ResolveNames {
    /// Resolve `entry` in the directory, returning contact data.
    pub fn directory(entry: impl Into<String>) -> Self {
        Self {
            entry: entry.into(),
            scope: SearchScope::ActiveDirectory,
            full_contact_data: true,
        }
    }
}

/// One candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// `Mailbox` (with `MailboxType`, e.g. `Mailbox`).
    pub mailbox: EmailAddress,
    /// `Contact/DisplayName`.
    pub display_name: Option<String>,
}

/// The candidates, with the warning when there were several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveNamesResult {
    /// Candidates.
    pub resolutions: Vec<Resolution>,
    /// `ErrorNameResolutionMultipleResults` and the like.
    pub warning: Option<ResponseError>,
}

impl Operation for ResolveNames {
    const NAME: &'static str = "ResolveNames";
    type Response = ResolveNamesResult;

    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error> {
        if self.entry.is_empty() {
            return Err(Error::InvalidArgument(
                "ResolveNames needs a non-empty entry".into(),
            ));
        }
        w.open(
            "m:ResolveNames",
            &[
                (
                    "ReturnFullContactData",
                    if self.full_contact_data {
                        "true"
                    } else {
                        "false"
                    },
                ),
                ("SearchScope", self.scope.as_str()),
            ],
        )
        .leaf("m:UnresolvedEntry", &[], &self.entry)
        .close("m:ResolveNames");
        Ok(())
    }

    fn parse_response(body: &Element) -> Result<ResolveNamesResult, Error> {
        let msgs = soap::response_messages(body, Self::NAME)?;
        let msg = msgs.first().ok_or_else(|| {
            Error::UnexpectedResponse("ResolveNamesResponse has no message".into())
        })?;
        let warning = match soap::status(msg) {
            Ok(()) => None,
            Err(e) if e.class == crate::error::ResponseClass::Warning => Some(e),
            Err(e) => return Err(e.into()),
        };
        let resolutions = msg
            .child(NS_MESSAGES, "ResolutionSet")
            .map(|set| {
                set.children_named(NS_TYPES, "Resolution")
                    .map(|r| Resolution {
                        mailbox: r
                            .child(NS_TYPES, "Mailbox")
                            .map(EmailAddress::from_element)
                            .unwrap_or_default(),
                        display_name: r
                            .child(NS_TYPES, "Contact")
                            .and_then(|c| c.child_text(NS_TYPES, "DisplayName"))
                            .map(str::to_owned),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(ResolveNamesResult {
            resolutions,
            warning,
        })
    }
}
