//! The shells pages sit in, chosen by the route tree in `app.rs`: the employee shell (top bar,
//! navigation, sign-in), the admin pages' chrome inside it, and the kiosk shell for door
//! displays (no navigation, nothing to sign out of, the whole screen for the room).

mod admin;
mod employee;
mod kiosk;

pub use admin::{AdminLayout, AdminNav, Steps};
pub use employee::{EmployeeLayout, EmployeeShell};
pub use kiosk::KioskLayout;
