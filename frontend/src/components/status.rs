//! The badges of a booking's state and of a connection's status.

use roombook_shared::{BookingState, ConnectionStatus};

pub fn status_class(status: BookingState) -> &'static str {
    match status {
        BookingState::Accepted => "badge ok",
        BookingState::Waiting
        | BookingState::Sending
        | BookingState::Unknown
        | BookingState::Cancelled => "badge neutral",
        BookingState::Declined | BookingState::Failed => "badge bad",
    }
}

pub fn badge_class(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Healthy => "badge ok",
        ConnectionStatus::ConsentPending
        | ConnectionStatus::Throttled
        | ConnectionStatus::Unchecked => "badge neutral",
        _ => "badge bad",
    }
}
