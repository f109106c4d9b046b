//! Pieces the pages share: how a failure, a load and a form's hidden CSRF field look, the time
//! fields, the live filters, a room's facts and the status badges. A page is put together from
//! these and its own data; a new page (a door display's) reuses them.

mod csrf;
mod filters;
mod flash_error;
mod loading;
mod problem;
mod room_facts;
mod status;
mod time_fields;

pub use csrf::Csrf;
pub use filters::{
    FormQuery, LiveAnswer, RoomFilters, finder_request, finder_request_in_url, live_filter,
};
pub use flash_error::{FlashError, use_flash};
pub use loading::loading;
pub use problem::problem;
pub use room_facts::RoomFacts;
pub use status::{badge_class, status_class};
pub use time_fields::TimeFields;
