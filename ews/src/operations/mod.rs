//! One module per EWS operation. Each request type implements [`Operation`], which links it to
//! its response type, writes the `soap:Body` content and parses the `soap:Body` answer.

use crate::error::Error;
use crate::xml::{Element, XmlWriter};

mod availability_stream;
pub mod cancel_calendar_item;
pub mod create_item;
pub mod decline_item;
pub mod delete_item;
pub mod find_item;
pub mod get_folder;
pub mod get_item;
pub mod get_room_lists;
pub mod get_rooms;
pub mod get_user_availability;
pub mod resolve_names;
pub mod sync_folder_items;
pub mod update_item;

pub use cancel_calendar_item::CancelCalendarItem;
pub use create_item::{CreateMeeting, CreatedItem, NewMeeting, SendInvitations};
pub use decline_item::DeclineItem;
pub use delete_item::{DeleteItem, DeleteType};
pub use find_item::{CalendarView, FindItemResult};
pub use get_folder::{FolderInfo, GetFolder};
pub use get_item::GetItem;
pub use get_room_lists::GetRoomLists;
pub use get_rooms::GetRooms;
pub use get_user_availability::{
    AttendeeKind, AvailabilityEvent, EventDetails, FreeBusyViewKind, GetUserAvailability,
    MAX_MAILBOXES_PER_CALL, MAX_WINDOW_DAYS, MailboxAvailability, MailboxRequest,
};
pub use resolve_names::{Resolution, ResolveNames, ResolveNamesResult, SearchScope};
pub use sync_folder_items::{SyncChange, SyncFolderItems, SyncFolderItemsResult};
pub use update_item::{ConflictResolution, SendUpdates, UpdateMeeting};

/// Whether the transport may resend a request after an ambiguous failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetrySafety {
    /// Reading, or an update that converges: safe to resend.
    Idempotent,
    /// May have created or sent something (CreateItem, cancellations): resent only when the
    /// server proved it did not run it (throttling answers, connection refused).
    NotIdempotent,
}

/// An EWS operation: request body, response type, and how to parse it.
pub trait Operation {
    /// SOAPAction / request element local name, e.g. `GetFolder`.
    const NAME: &'static str;
    /// Retry policy for the transport.
    const RETRY: RetrySafety = RetrySafety::Idempotent;
    /// What a successful call returns.
    type Response;
    /// Writes the request element (`m:…`) into the body.
    fn write_body(&self, w: &mut XmlWriter) -> Result<(), Error>;
    /// Parses the first element of the response body.
    fn parse_response(body: &Element) -> Result<Self::Response, Error>;

    /// An optional streaming parser of the complete response document, for operations whose
    /// responses are large (it skips building the element tree). `Some` must be exactly what
    /// the tree path ([`crate::soap::parse_response_tree`]) returns, and may only be given for
    /// a well-formed document that parses without error and in which no `ResponseCode` says
    /// `ErrorServerBusy`. For anything else (faults, errors, throttling, oddities) it returns
    /// `None` and the tree path decides. The default has no streaming parser.
    fn parse_streaming(bytes: &[u8]) -> Option<Self::Response> {
        let _ = bytes;
        None
    }
}

/// A per-item outcome in a batched response.
pub type ItemResult<T> = Result<T, crate::error::ResponseError>;
