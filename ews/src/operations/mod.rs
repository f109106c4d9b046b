//! One module per EWS operation. Each request type implements [`Operation`], which links it to
//! its response type, writes the `soap:Body` content and parses the `soap:Body` answer.

pub use crate::operation::{Operation, RetrySafety};

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

/// A per-item outcome in a batched response.
pub type ItemResult<T> = Result<T, crate::error::ResponseError>;
