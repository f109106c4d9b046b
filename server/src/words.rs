//! The sentences people read about bookings: core reports cases ([`BookingError`],
//! [`PolicyRefusal`], [`TimeError`], a booking's [`BookingReason`]); this is the one place
//! that words them, for the pages' services and the form handlers alike.

use roombook_core::booking::time::TimeError;
use roombook_core::booking::{BookingError, Invalid, NotConnected, PolicyRefusal, TakenBy, Undone};
use roombook_core::domain::BookingReason;
use roombook_core::ports::calendar::CalendarError;

/// "90 minutes", "1 hour", "2 h 30 min".
pub fn minutes(n: u32) -> String {
    match (n / 60, n % 60) {
        (0, m) => format!("{m} minutes"),
        (1, 0) => "1 hour".into(),
        (h, 0) => format!("{h} hours"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// Why a booking of `room` (its name) ended as it did.
pub fn booking_reason(reason: BookingReason, room: &str) -> String {
    match reason {
        BookingReason::TakenInExchange => "The room was already booked in Exchange.".into(),
        BookingReason::ExchangeDidNotAnswer => "Exchange did not answer.".into(),
        BookingReason::ExchangeRefused => "Exchange refused the meeting.".into(),
        BookingReason::NotInExchange => {
            "Exchange has no such meeting, so nothing was booked and the room is free again.".into()
        }
        BookingReason::RemovedOutsideRoombook => {
            "The meeting was removed from your calendar outside Roombook.".into()
        }
        BookingReason::DeclinedBusy => format!("{room} is already booked for part of that time."),
        BookingReason::DeclinedByRoomRules => format!(
            "{room}'s booking rules in Exchange do not allow this meeting (for example it is too long, too far ahead, or needs a delegate's approval). Your administrator can record the room's rules in Roombook so that such bookings are explained before they are sent."
        ),
    }
}

pub fn policy_refusal(refusal: &PolicyRefusal) -> String {
    match refusal {
        PolicyRefusal::TooLong { room, max_minutes } => format!(
            "{room} can be booked for at most {} at a time.",
            minutes(*max_minutes)
        ),
        PolicyRefusal::TooFarAhead { room, days } => {
            format!("{room} can be booked at most {days} days ahead.")
        }
    }
}

pub fn time_error(e: &TimeError) -> String {
    match e {
        TimeError::UnknownZone(zone) => {
            format!("“{zone}” is not a time zone Roombook knows. Use a name such as Europe/London.")
        }
        TimeError::DoesNotExist { date, time, zone } => format!(
            "{time} does not exist on {date} in {zone}: the clocks go forward then. Choose a time an hour later."
        ),
        TimeError::DayDoesNotExist { date, zone } => format!(
            "{date} does not exist in {zone}: the country moved across the date line, so its calendar skipped that day. Choose another date."
        ),
        TimeError::OutOfRange(date) => {
            format!("{date} is outside the dates Roombook works with. Choose a date nearer today.")
        }
    }
}

/// What to tell a person when the calendar server failed, and what was left as it was.
fn calendar_failure(e: &CalendarError, undone: Undone) -> String {
    let untouched = match undone {
        Undone::LookUp => None,
        Undone::NothingBooked => Some("Nothing was booked"),
        Undone::NothingChanged => Some("Nothing was changed"),
        Undone::NothingCancelled => Some("Nothing was cancelled"),
    };
    let retry = |when: &str| match untouched {
        Some(u) => format!(" {u}; try again {when}."),
        None => format!(" Try again {when}."),
    };
    match e {
        CalendarError::Throttled => format!(
            "Exchange is busy right now and asked Roombook to slow down.{}",
            retry("in a minute")
        ),
        CalendarError::Unavailable(_) => {
            format!("Exchange did not answer in time.{}", retry("in a moment"))
        }
        CalendarError::Refused(_) => "Exchange refused Roombook's access. Ask your administrator to check the connection on the Admin page.".into(),
        CalendarError::NoMailbox(_) => "Exchange has no mailbox for your account, so it cannot hold your meeting. Ask your administrator.".into(),
        CalendarError::NotFound => "The meeting is no longer in the calendar.".into(),
        CalendarError::Rejected(_) => match untouched {
            Some(u) => format!("Exchange refused the request. {u}."),
            None => "Exchange refused the request.".into(),
        },
        CalendarError::Unconfirmed(_) => "Exchange did not confirm the request yet; Roombook is checking and will show the outcome.".into(),
        CalendarError::ChangedElsewhere => match untouched {
            Some(u) => format!("This meeting was changed in Outlook (or by a delegate) since Roombook last wrote it, and Roombook does not overwrite that. {u}; reload the booking to see its time now."),
            None => "This meeting was changed in Outlook since Roombook last wrote it.".into(),
        },
    }
}

/// The sentence for a booking that could not be done as asked. (`NotFound` and `Store` are
/// answered by status pages, not sentences; they get one here too for completeness.)
pub fn booking_error(e: &BookingError) -> String {
    match e {
        BookingError::Invalid(invalid) => match invalid {
            Invalid::Time(e) => time_error(e),
            Invalid::DateOutOfRange(e) => e.to_string(),
            Invalid::Passed => "That time has already passed. Choose a later one.".into(),
            Invalid::NotMovable => "Only a booking that holds its room can be moved.".into(),
            Invalid::FormIncomplete => {
                "The form was incomplete. Reload the page and book again.".into()
            }
            Invalid::NobodyCalled { entry } => format!(
                "Nobody called “{entry}” was found in the directory. Check the spelling or enter the address."
            ),
            Invalid::SeveralCalled { entry, people, total } => {
                if *total > people.len() {
                    format!(
                        "“{entry}” matches {total} people. Choose one of the first {} below, or enter a fuller name or the address.",
                        people.len()
                    )
                } else {
                    format!("“{entry}” matches {total} people. Choose the one you mean below.")
                }
            }
        },
        BookingError::Policy(refusal) => policy_refusal(refusal),
        BookingError::ChangeDeclined { room, reason } => format!(
            "{room} declined the new time. {} Your booking keeps its old time.",
            booking_reason(*reason, room)
        ),
        BookingError::Taken {
            room,
            by,
            free_times,
            ..
        } => {
            let what = match by {
                TakenBy::Roombook => format!("Someone has just booked {room} for that time."),
                TakenBy::Exchange => format!("{room} is busy then."),
            };
            match free_times.as_slice() {
                [] => what,
                [one] => format!("{what} It is free at {one} that day, for the same length."),
                [rest @ .., last] => format!(
                    "{what} It is free at {} or {last} that day, for the same length.",
                    rest.join(", ")
                ),
            }
        }
        BookingError::NotConnected(NotConnected::NotYet) => "Your organisation is not connected to Exchange yet, so rooms cannot be booked. An administrator connects it on the Admin page.".into(),
        BookingError::NotConnected(NotConnected::NeedsAttention) => "Roombook's connection to Exchange needs an administrator's attention, so rooms cannot be booked right now. Your administrator sees why on the Admin page.".into(),
        BookingError::NotFound => "That booking does not exist.".into(),
        BookingError::TooManySearches => {
            "You are searching very fast; wait a few seconds and try again.".into()
        }
        BookingError::LookupFailed { entry, .. } => format!(
            "Roombook could not look up “{entry}” in the directory just now. Enter the address instead, or try again."
        ),
        BookingError::Calendar { error, undone } => calendar_failure(error, *undone),
        BookingError::SettledMeanwhile => "Exchange settled this booking just now. Look at it again, then cancel it if you still want to. Nothing was cancelled.".into(),
        BookingError::TimedOut => "Exchange did not answer in time. Try again in a moment.".into(),
        BookingError::Store(_) => {
            "Roombook cannot reach its database right now. Try again in a moment.".into()
        }
    }
}

/// An audit entry's action code in words ("booking.create" → "Booked a room").
pub fn audit_action(code: &str) -> &'static str {
    match code {
        "booking.create" => "Booked a room",
        "booking.change" => "Moved a booking",
        "booking.cancel" => "Cancelled a booking",
        "booking.declined" => "A room declined a booking",
        "room.update" => "Changed a room's details",
        "rooms.import" => "Imported rooms from Exchange",
        "rooms.import_refused" => "Room import refused",
        "connection.check" => "Checked the Exchange connection",
        "connection.service_account" => "Connected Exchange Server (service account)",
        "connection.consent_requested" => "Asked for admin consent (Exchange Online)",
        "connection.consent_granted" => "Admin consent granted",
        "connection.consent_refused" => "Admin consent refused",
        "sign_in.provider" => "Set the organisation's sign-in provider",
        "sign_in.provider_removed" => "Removed the organisation's sign-in provider",
        "tenant.created" => "Created the organisation",
        "user.first_admin" => "Became the first administrator",
        "user.role" => "Changed a person's role",
        _ => "Other",
    }
}

/// The audit log's kind of an action code (see `roombook_shared::AUDIT_KINDS`).
pub fn audit_kind(code: &str) -> &'static str {
    match code.split('.').next().unwrap_or_default() {
        "booking" => "booking",
        "room" | "rooms" => "room",
        "connection" => "connection",
        _ => "people",
    }
}

/// What a room form changed, field by field: "Capacity: not set → 8; Building: HQ → North".
pub fn room_changes(
    before: &roombook_core::domain::Room,
    after: &roombook_shared::RoomSettings,
) -> String {
    fn shown(value: Option<String>) -> String {
        value.unwrap_or_else(|| "not set".into())
    }
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let number = |n: Option<u32>| shown(n.map(|n| n.to_string()));
    let list = |l: &[String]| {
        if l.is_empty() {
            "none".to_owned()
        } else {
            l.join(", ")
        }
    };
    let fields = [
        ("Capacity", number(before.capacity), number(after.capacity)),
        (
            "Building",
            shown(before.building.clone()),
            shown(after.building.clone()),
        ),
        (
            "Floor",
            shown(before.floor.clone()),
            shown(after.floor.clone()),
        ),
        ("Equipment", list(&before.equipment), list(&after.equipment)),
        (
            "Wheelchair accessible",
            yes_no(before.wheelchair_accessible),
            yes_no(after.wheelchair_accessible),
        ),
        (
            "Booking window (days)",
            number(before.booking_window_days),
            number(after.booking_window_days),
        ),
        (
            "Maximum duration (minutes)",
            number(before.max_duration_minutes),
            number(after.max_duration_minutes),
        ),
        (
            "Time zone",
            shown(before.time_zone.clone()),
            shown(after.time_zone.clone()),
        ),
        (
            "Displays show subjects",
            yes_no(before.display_subjects),
            yes_no(after.display_subjects),
        ),
    ];
    let changed: Vec<String> = fields
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(field, a, b)| format!("{field}: {a} → {b}"))
        .collect();
    if changed.is_empty() {
        "Saved without changes".into()
    } else {
        changed.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_booking_reason_has_its_own_sentence_and_the_declines_name_the_room() {
        let sentences: std::collections::BTreeSet<String> = BookingReason::ALL
            .into_iter()
            .map(|r| booking_reason(r, "Gamma"))
            .collect();
        assert_eq!(sentences.len(), BookingReason::ALL.len());
        for reason in [
            BookingReason::DeclinedBusy,
            BookingReason::DeclinedByRoomRules,
        ] {
            assert!(booking_reason(reason, "Gamma").starts_with("Gamma"));
        }
    }

    #[test]
    fn lengths_read_as_people_say_them() {
        assert_eq!(minutes(45), "45 minutes");
        assert_eq!(minutes(60), "1 hour");
        assert_eq!(minutes(180), "3 hours");
        assert_eq!(minutes(150), "2 h 30 min");
    }

    #[test]
    fn a_skipped_day_says_why_and_what_to_do() {
        let words = time_error(&TimeError::DayDoesNotExist {
            date: "30 December 2011".into(),
            zone: "Pacific/Apia".into(),
        });
        assert_eq!(
            words,
            "30 December 2011 does not exist in Pacific/Apia: the country moved across the date line, so its calendar skipped that day. Choose another date."
        );
    }

    #[test]
    fn a_failed_write_says_what_was_left_as_it_was() {
        let words = booking_error(&BookingError::Calendar {
            error: CalendarError::Throttled,
            undone: Undone::NothingBooked,
        });
        assert!(
            words.contains("Nothing was booked; try again in a minute."),
            "{words}"
        );
        let look_up = booking_error(&BookingError::Calendar {
            error: CalendarError::Unavailable("timeout".into()),
            undone: Undone::LookUp,
        });
        assert!(look_up.ends_with("Try again in a moment."), "{look_up}");
        assert!(!look_up.contains("timeout"), "causes stay in the log");
    }
}
