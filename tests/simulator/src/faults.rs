//! Fault injection, settable while the simulator runs.
//!
//! Fractions are applied deterministically (an accumulator, not a random draw): a fraction of
//! 0.25 faults exactly every fourth eligible call, so tests can assert exact counts.

use std::collections::HashSet;
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

    /// Remove every fault.
    pub fn clear(&self) {
        self.with(|s| *s = FaultState::default());
    }

    pub(crate) fn latency(&self) -> Duration {
        self.with(|s| s.latency)
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
    fn full_fraction_fires_every_time() {
        let faults = Faults::default();
        faults.set_unavailable(1.0);
        assert!((0..10).all(|_| faults.next_fault() == Some(InjectedFault::ServiceUnavailable)));
    }
}
