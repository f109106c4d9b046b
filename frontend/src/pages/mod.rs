mod admin;
mod booking;
mod bookings;
mod not_found;
mod rooms;
mod signin;

pub use admin::{
    AdminPage, AdminRoomsPage, AuditPage, ConnectChoosePage, ConnectOnPremPage, ConnectOnlinePage,
    ConnectStatusPage, PeoplePage,
};
pub use booking::{BookPage, BookingPage, DayPage, FindPage};
pub use bookings::BookingsPage;
pub use not_found::NotFound;
pub use rooms::RoomsPage;
pub use signin::SignInPage;
