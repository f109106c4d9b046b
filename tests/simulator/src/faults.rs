//! Fault injection, settable while the simulator runs.
//!
//! Fractions are applied deterministically (an accumulator, not a random draw): a fraction of
//! 0.25 faults exactly every fourth eligible call, so tests can assert exact counts.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

/// A fault chosen for one EWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InjectedFault {
    /// SOAP fault `ErrorServerBusy` with `BackOffMilliseconds`.
    Throttle { back_off: Duration },
    /// HTTP 503 Service Unavailable.
    ServiceUnavailable,
    /// The connection is closed without any response.
    DropConnection,
}

/// What happens to the answer of an operation that was carried out: Exchange committed the
/// change, and the client never hears so (or hears it late).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostAnswer {
    /// The change is made, then HTTP 503 is answered.
    ServiceUnavailable,
    /// The change is made, then the connection is closed without an answer.
    DropConnection,
    /// The change is made, and the answer is sent only after this long.
    Delay(Duration),
}

#[derive(Debug, Default)]
struct FaultState {
    latency: Duration,
    throttle_fraction: f64,
    throttle_back_off: Duration,
    throttle_acc: f64,
    unavailable_fraction: f64,
    unavailable_acc: f64,
    drop_fraction: f64,
    drop_acc: f64,
    /// Faults for the next calls, in order, before any fraction applies.
    queued: Vec<InjectedFault>,
    blocked_apps: HashSet<String>,
    expired_passwords: HashSet<String>,
    /// Per operation name: what happens to the answers of its next calls, in order.
    lost_answers: HashMap<String, Vec<LostAnswer>>,
    /// How many of the next calendar searches (FindItem) find nothing, as a search whose index
    /// has not caught up does.
    missed_searches: u32,
    /// Attendees left out of GetItem's answers (a copy not yet updated with them).
    hidden_attendees: HashSet<String>,
}

/// The fault controls of one simulator. Cheap to share: the simulator holds it in an `Arc`.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<FaultState>,
}

fn fire(acc: &mut f64, fraction: f64) -> bool {
    if fraction <= 0.0 {
        return false;
    }
    *acc += fraction.min(1.0);
    if *acc >= 1.0 - 1e-9 {
        *acc -= 1.0;
        true
    } else {
        false
    }
}

impl Faults {
    fn with<R>(&self, f: impl FnOnce(&mut FaultState) -> R) -> R {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Delay added before every EWS answer.
    pub fn set_latency(&self, latency: Duration) {
        self.with(|s| s.latency = latency);
    }

    /// Throttle this fraction of EWS calls with `ErrorServerBusy`, asking the client to back
    /// off for `back_off`.
    pub fn set_throttling(&self, fraction: f64, back_off: Duration) {
        self.with(|s| {
            s.throttle_fraction = fraction;
            s.throttle_back_off = back_off;
            s.throttle_acc = 0.0;
        });
    }

    /// Answer this fraction of EWS calls with HTTP 503.
    pub fn set_unavailable(&self, fraction: f64) {
        self.with(|s| {
            s.unavailable_fraction = fraction;
            s.unavailable_acc = 0.0;
        });
    }

    /// Close the connection without answering for this fraction of EWS calls.
    pub fn set_dropped_connections(&self, fraction: f64) {
        self.with(|s| {
            s.drop_fraction = fraction;
            s.drop_acc = 0.0;
        });
    }

    /// Inject these faults into the next EWS calls, one each, before fractions apply.
    pub fn queue(&self, faults: impl IntoIterator<Item = InjectedFault>) {
        self.with(|s| s.queued.extend(faults));
    }

    /// Block EWS for an app id, as the Exchange Online EWS allow-list does.
    pub fn block_app(&self, client_id: &str, blocked: bool) {
        self.with(|s| {
            if blocked {
                s.blocked_apps.insert(client_id.to_string());
            } else {
                s.blocked_apps.remove(client_id);
            }
        });
    }

    /// Mark a service account's password as expired (Basic auth then fails with 401).
    pub fn expire_password(&self, username: &str, expired: bool) {
        let username = username.to_ascii_lowercase();
        self.with(|s| {
            if expired {
                s.expired_passwords.insert(username);
            } else {
                s.expired_passwords.remove(&username);
            }
        });
    }

    /// The next call of `operation` (e.g. `CreateItem`) is carried out, and then its answer is
    /// lost as `how` says. Several calls queue in order.
    pub fn lose_answer(&self, operation: &str, how: LostAnswer) {
        self.with(|s| {
            s.lost_answers
                .entry(operation.to_owned())
                .or_default()
                .push(how)
        });
    }

    /// The next `n` calendar searches (FindItem) answer as if the calendar were empty.
    pub fn miss_searches(&self, n: u32) {
        self.with(|s| s.missed_searches = n);
    }

    /// Leave `address` out of the attendees GetItem answers with (or put it back).
    pub fn hide_attendee(&self, address: &str, hidden: bool) {
        let address = address.to_ascii_lowercase();
        self.with(|s| {
            if hidden {
                s.hidden_attendees.insert(address);
            } else {
                s.hidden_attendees.remove(&address);
            }
        });
    }

    /// Remove every fault.
    pub fn clear(&self) {
        self.with(|s| *s = FaultState::default());
    }

    pub(crate) fn latency(&self) -> Duration {
        self.with(|s| s.latency)
    }

    pub(crate) fn take_lost_answer(&self, operation: &str) -> Option<LostAnswer> {
        self.with(|s| {
            let queued = s.lost_answers.get_mut(operation)?;
            let how = (!queued.is_empty()).then(|| queued.remove(0));
            if queued.is_empty() {
                s.lost_answers.remove(operation);
            }
            how
        })
    }

    pub(crate) fn take_missed_search(&self) -> bool {
        self.with(|s| {
            let miss = s.missed_searches > 0;
            s.missed_searches = s.missed_searches.saturating_sub(1);
            miss
        })
    }

    pub(crate) fn hidden_attendees(&self) -> HashSet<String> {
        self.with(|s| s.hidden_attendees.clone())
    }

    pub(crate) fn is_app_blocked(&self, client_id: &str) -> bool {
        self.with(|s| s.blocked_apps.contains(client_id))
    }

    pub(crate) fn is_password_expired(&self, username: &str) -> bool {
        self.with(|s| s.expired_passwords.contains(&username.to_ascii_lowercase()))
    }

    /// The fault for the next call, if any. Transport faults come before throttling.
    pub(crate) fn next_fault(&self) -> Option<InjectedFault> {
        self.with(|s| {
            if !s.queued.is_empty() {
                return Some(s.queued.remove(0));
            }
            if fire(&mut s.drop_acc, s.drop_fraction) {
                return Some(InjectedFault::DropConnection);
            }
            if fire(&mut s.unavailable_acc, s.unavailable_fraction) {
                return Some(InjectedFault::ServiceUnavailable);
            }
            if fire(&mut s.throttle_acc, s.throttle_fraction) {
                return Some(InjectedFault::Throttle {
                    back_off: s.throttle_back_off,
                });
            }
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_exact_and_queue_comes_first() {
        let faults = Faults::default();
        faults.set_throttling(0.25, Duration::from_millis(500));
        let fired = (0..100).filter(|_| faults.next_fault().is_some()).count();
        assert_eq!(fired, 25);
        faults.queue([InjectedFault::DropConnection]);
        assert_eq!(faults.next_fault(), Some(InjectedFault::DropConnection));
        faults.clear();
        assert!((0..10).all(|_| faults.next_fault().is_none()));
    }

    #[test]
    fn lost_answers_and_missed_searches_are_used_once_each() {
        let faults = Faults::default();
        faults.lose_answer("CreateItem", LostAnswer::ServiceUnavailable);
        faults.lose_answer("CreateItem", LostAnswer::DropConnection);
        assert_eq!(faults.take_lost_answer("FindItem"), None);
        assert_eq!(
            faults.take_lost_answer("CreateItem"),
            Some(LostAnswer::ServiceUnavailable)
        );
        assert_eq!(
            faults.take_lost_answer("CreateItem"),
            Some(LostAnswer::DropConnection)
        );
        assert_eq!(faults.take_lost_answer("CreateItem"), None);
        faults.miss_searches(1);
        assert!(faults.take_missed_search());
        assert!(!faults.take_missed_search());
    }

    #[test]
    fn full_fraction_fires_every_time() {
        let faults = Faults::default();
        faults.set_unavailable(1.0);
        assert!((0..10).all(|_| faults.next_fault() == Some(InjectedFault::ServiceUnavailable)));
    }
}
