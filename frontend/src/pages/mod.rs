//! One file per page (`admin/` holds the admin pages, one file each).

mod admin;
mod book;
mod booking;
mod bookings;
mod day;
mod find;
mod not_found;
mod rooms;
mod signin;

pub use admin::{
    AdminPage, AdminRoomsPage, AuditPage, ConnectChoosePage, ConnectOnPremPage, ConnectOnlinePage,
    ConnectStatusPage, PeoplePage,
};
pub use book::BookPage;
pub use booking::BookingPage;
pub use bookings::BookingsPage;
pub use day::DayPage;
pub use find::FindPage;
pub use not_found::NotFound;
pub use rooms::RoomsPage;
pub use signin::SignInPage;
