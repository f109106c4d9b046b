//! What tests can observe: request counts per operation and per mailbox, any calendar, the
//! rooms' answers, and consistency checks (double bookings, orphan meetings).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::tenant::{CalendarItem, FreeBusy, Response, RoomResponse, Tenant};

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub by_operation: HashMap<String, u64>,
    pub by_mailbox: HashMap<String, u64>,
    pub total: u64,
    pub missing_anchor_mailbox: Vec<String>,
    pub schema_violations: u64,
    /// EWS requests being handled now (received, not yet answered).
    pub in_flight: u64,
    /// The most that were ever in flight at once.
    pub max_in_flight: u64,
}

/// A handle on the simulator's state for assertions. Clone freely.
#[derive(Clone)]
pub struct Inspector {
    pub(crate) tenant: Arc<Mutex<Tenant>>,
    pub(crate) counters: Arc<Mutex<Counters>>,
}

/// Two accepted meetings overlapping in one room's calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct DoubleBooking {
    pub room: String,
    pub first: CalendarItem,
    pub second: CalendarItem,
}

/// A room's meeting whose organiser no longer has it (or no longer invites the room), or an
/// organiser's meeting the room accepted that is missing from the room's calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Orphan {
    pub room: String,
    pub item: CalendarItem,
    pub why: &'static str,
}

impl Inspector {
    fn tenant(&self) -> std::sync::MutexGuard<'_, Tenant> {
        self.tenant.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// EWS calls that reached an operation (after authentication), by operation name
    /// (`"CreateItem"`, `"GetUserAvailability"`, …).
    pub fn calls(&self, operation: &str) -> u64 {
        self.counters()
            .by_operation
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    /// All operation counts, sorted by name.
    pub fn calls_by_operation(&self) -> BTreeMap<String, u64> {
        self.counters()
            .by_operation
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// Calls that acted on this mailbox (impersonated, or named in the request).
    pub fn calls_for_mailbox(&self, address: &str) -> u64 {
        self.counters()
            .by_mailbox
            .get(&address.to_ascii_lowercase())
            .copied()
            .unwrap_or(0)
    }

    /// Every EWS request received, including refused ones.
    pub fn total_requests(&self) -> u64 {
        self.counters().total
    }

    /// Impersonated calls sent without `X-AnchorMailbox` (the impersonated address each time).
    pub fn missing_anchor_mailbox(&self) -> Vec<String> {
        self.counters().missing_anchor_mailbox.clone()
    }

    pub fn schema_violations(&self) -> u64 {
        self.counters().schema_violations
    }

    /// The most EWS requests that were in flight at once (received and not yet answered,
    /// the simulator's latency included) since the start or the last [`Self::reset_counts`].
    pub fn max_in_flight(&self) -> u64 {
        self.counters().max_in_flight
    }

    /// EWS requests in flight now.
    pub fn in_flight(&self) -> u64 {
        self.counters().in_flight
    }

    /// Resets the request counters (not the calendars, nor the requests in flight now).
    pub fn reset_counts(&self) {
        let mut counters = self.counters();
        let in_flight = counters.in_flight;
        *counters = Counters {
            in_flight,
            max_in_flight: in_flight,
            ..Counters::default()
        };
    }

    /// The calendar of a mailbox, by start time.
    pub fn calendar(&self, address: &str) -> Vec<CalendarItem> {
        let tenant = self.tenant();
        let mut items: Vec<CalendarItem> = tenant
            .mailbox(&address.to_ascii_lowercase())
            .map(|m| m.items().cloned().collect())
            .unwrap_or_default();
        items.sort_by_key(|i| (i.start, i.end));
        items
    }

    /// Every response the rooms' booking attendants sent, oldest first.
    pub fn room_responses(&self) -> Vec<RoomResponse> {
        self.tenant().room_responses.clone()
    }

    pub fn room_addresses(&self) -> Vec<String> {
        let mut rooms: Vec<String> = self.tenant().rooms.keys().cloned().collect();
        rooms.sort();
        rooms
    }

    /// Overlapping busy meetings in any room.
    pub fn double_bookings(&self) -> Vec<DoubleBooking> {
        let tenant = self.tenant();
        let mut found = Vec::new();
        for room in tenant.rooms.keys() {
            let Some(mb) = tenant.mailbox(room) else {
                continue;
            };
            let mut items: Vec<&CalendarItem> = mb
                .items()
                .filter(|i| !i.is_cancelled && i.free_busy == FreeBusy::Busy)
                .collect();
            items.sort_by_key(|i| i.start);
            for (n, a) in items.iter().enumerate() {
                for b in items.iter().skip(n + 1) {
                    if b.start >= a.end {
                        break;
                    }
                    found.push(DoubleBooking {
                        room: room.clone(),
                        first: (*a).clone(),
                        second: (*b).clone(),
                    });
                }
            }
        }
        found
    }

    /// Room meetings without a live organiser meeting, and accepted organiser meetings
    /// missing from the room.
    pub fn orphans(&self) -> Vec<Orphan> {
        let tenant = self.tenant();
        let mut found = Vec::new();
        for room in tenant.rooms.keys() {
            let Some(mb) = tenant.mailbox(room) else {
                continue;
            };
            for item in mb.items() {
                if item.organizer == *room {
                    continue;
                }
                let organizer_copy = tenant.mailbox(&item.organizer).and_then(|m| {
                    m.items()
                        .find(|i| i.uid == item.uid && i.is_organizer_copy())
                });
                let why = match organizer_copy {
                    None => Some("the organiser's meeting no longer exists"),
                    Some(org)
                        if !org
                            .resources
                            .iter()
                            .chain(org.required.iter())
                            .any(|a| a.address == *room) =>
                    {
                        Some("the organiser's meeting no longer invites the room")
                    }
                    Some(_) => None,
                };
                if let Some(why) = why {
                    found.push(Orphan {
                        room: room.clone(),
                        item: item.clone(),
                        why,
                    });
                }
            }
        }
        for mb in tenant.mailboxes.values() {
            for item in mb.items().filter(|i| i.is_organizer_copy()) {
                for room in item
                    .resources
                    .iter()
                    .filter(|a| a.response == Response::Accept && tenant.is_room(&a.address))
                {
                    let present = tenant
                        .mailbox(&room.address)
                        .is_some_and(|m| m.items().any(|i| i.uid == item.uid));
                    if !present {
                        found.push(Orphan {
                            room: room.address.clone(),
                            item: item.clone(),
                            why: "the room accepted but its calendar no longer has the meeting",
                        });
                    }
                }
            }
        }
        found
    }
}
