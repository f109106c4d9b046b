//! A simulated Microsoft tenant: Exchange (EWS), Entra ID and Key Vault, for tests and the demo.
//! Independent of the `ews` crate: its own XML handling, so a client mistake is not mirrored here.
//!
//! ```no_run
//! # async fn demo() -> Result<(), roombook_simulator::StartError> {
//! use roombook_simulator::{Simulator, SimulatorConfig, TenantSeed, User, Room, ServiceAccount};
//! let seed = TenantSeed::new("contoso.example")
//!     .user(User::new("alice@contoso.example", "Alice"))
//!     .room(Room::new("room.a@contoso.example", "Room A", 8))
//!     .service_account(ServiceAccount::new("svc@contoso.example", "password"));
//! let sim = Simulator::start(SimulatorConfig::new(seed)).await?;
//! println!("EWS at {}", sim.ews_url());
//! sim.faults().set_throttling(0.1, std::time::Duration::from_millis(500));
//! assert!(sim.inspect().double_bookings().is_empty());
//! # Ok(()) }
//! ```

pub mod autodiscover;
pub mod demo;
pub mod directory;
pub mod entra;
pub mod ews;
pub mod faults;
pub mod inspect;
pub mod jwt;
pub mod keyvault;
pub mod schema;
pub mod server;
pub mod tenant;
pub mod tls;
pub mod xml;

pub use directory::{
    BookingPolicy, GLOBAL_ADMINISTRATOR, MailboxScope, Room, RoomList, SeedMeeting, ServiceAccount,
    TenantSeed, User,
};
pub use entra::AppRegistration;
pub use faults::{Faults, InjectedFault, LostAnswer};
pub use inspect::{DoubleBooking, Inspector, Orphan};
pub use server::{Simulator, SimulatorConfig, SimulatorHandle, StartError};
pub use tenant::{Attendee, CalendarItem, DeclineReason, FreeBusy, Response, RoomResponse};
