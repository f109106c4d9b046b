//! Types shared by the Roombook server and its browser frontend.
//!
//! Everything here compiles for `wasm32-unknown-unknown` as well as for the server, so it holds
//! plain data and validation only: no I/O, no async, no database or HTTP types.

pub mod address;
pub mod admin;
pub mod booking;
pub mod rooms;
pub mod tenant;

pub use address::looks_like_address;
pub use admin::{
    AUDIT_KINDS, AdminRoom, AuditFilter, AuditLine, ConnectionHealth, ConnectionStatus, Person,
    RoomSettings, RoomSettingsError, SetupOptions, SignInSettings, Viewer,
};
pub use booking::{
    BookingFormData, BookingFormError, BookingState, BookingView, DayGrid, FinderRequest,
    FinderResult, FreeRoom, GridRow, GridSlot, PersonMatch, RoomChoices, SlotFilter,
};
pub use rooms::{RoomQuery, RoomQueryError, RoomSummary};
pub use tenant::{ConnectionState, TenantOverview};
