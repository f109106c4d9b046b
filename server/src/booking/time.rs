//! Local wall-clock times and instants: the one place that converts between them.
//!
//! People type times in their own zone; Exchange and the database work in UTC. Daylight-saving
//! changes make two local times special: one that does not exist (clocks jump forward over it)
//! and one that happens twice (clocks go back). The first is refused with a sentence; the
//! second means its first occurrence, as Outlook does.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("“{0}” is not a time zone Roombook knows. Use a name such as Europe/London.")]
    UnknownZone(String),
    #[error(
        "{time} does not exist on {date} in {zone}: the clocks go forward then. Choose a time an hour later."
    )]
    DoesNotExist {
        date: String,
        time: String,
        zone: String,
    },
}

pub fn zone(name: &str) -> Result<Tz, TimeError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| TimeError::UnknownZone(name.chars().take(64).collect()))
}

/// The instant of a local date and time in `tz`.
pub fn to_instant(date: NaiveDate, time: NaiveTime, tz: Tz) -> Result<DateTime<Utc>, TimeError> {
    match tz.from_local_datetime(&NaiveDateTime::new(date, time)) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        // The clocks go back: the time happens twice; the first is meant.
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(TimeError::DoesNotExist {
            date: date.format("%-d %B %Y").to_string(),
            time: time.format("%H:%M").to_string(),
            zone: tz.name().to_owned(),
        }),
    }
}

/// Local midnight to the next local midnight: 23, 24 or 25 hours.
pub fn day_bounds(date: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        start_of_day(date, tz),
        start_of_day(date + Duration::days(1), tz),
    )
}

/// The first instant of a local date (midnight, or the first time after a midnight the clocks
/// skipped).
fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut time = NaiveTime::MIN;
    loop {
        if let Ok(t) = to_instant(date, time, tz) {
            return t;
        }
        time += Duration::minutes(15);
    }
}

/// Half-hour slots from `from` to `to` (local hours) of a day: stepped in real time, so a day
/// whose clocks change has one slot more or fewer, each labelled with its local time.
pub fn half_hours(
    date: NaiveDate,
    tz: Tz,
    from_hour: u32,
    to_hour: u32,
) -> Vec<(DateTime<Utc>, String)> {
    let (day_start, day_end) = day_bounds(date, tz);
    let mut slots = Vec::new();
    let mut t = day_start;
    while t < day_end {
        let local = t.with_timezone(&tz);
        let hour = chrono::Timelike::hour(&local);
        if local.date_naive() == date && hour >= from_hour && hour < to_hour {
            slots.push((t, local.format("%H:%M").to_string()));
        }
        t += Duration::minutes(30);
    }
    slots
}

/// "Mon 23 Nov 2026, 14:00–15:00" in `tz` (the end gets its date when it is another day).
pub fn describe(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> String {
    let s = start.with_timezone(&tz);
    let e = end.with_timezone(&tz);
    if s.date_naive() == e.date_naive() {
        format!("{}–{}", s.format("%a %-d %b %Y, %H:%M"), e.format("%H:%M"))
    } else {
        format!(
            "{} – {}",
            s.format("%a %-d %b %Y, %H:%M"),
            e.format("%a %-d %b, %H:%M")
        )
    }
}

/// Today's date in `tz`, and the next half hour from `now` (local `HH:MM`, and its date).
pub fn next_half_hour(now: DateTime<Utc>, tz: Tz) -> (NaiveDate, NaiveTime) {
    let local = now.with_timezone(&tz);
    let minutes = chrono::Timelike::hour(&local) * 60 + chrono::Timelike::minute(&local);
    let next = (minutes / 30 + 1) * 30;
    if next >= 24 * 60 {
        (local.date_naive() + Duration::days(1), NaiveTime::MIN)
    } else {
        (
            local.date_naive(),
            NaiveTime::from_hms_opt(next / 60, next % 60, 0).expect("valid"),
        )
    }
}

/// The local date, start time and length of an interval (for the change form).
pub fn local_parts(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> (String, String, u32) {
    let s = start.with_timezone(&tz);
    (
        s.format("%Y-%m-%d").to_string(),
        s.format("%H:%M").to_string(),
        u32::try_from((end - start).num_minutes()).unwrap_or(0),
    )
}

/// Whether two zones show the same wall-clock time at `at`.
pub fn same_clock(a: Tz, b: Tz, at: DateTime<Utc>) -> bool {
    let (x, y) = (at.with_timezone(&a), at.with_timezone(&b));
    x.naive_local() == y.naive_local() && x.date_naive().weekday() == y.date_naive().weekday()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }
    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }
    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn local_times_become_the_right_instants_either_side_of_a_change() {
        let london = zone("Europe/London").unwrap();
        // Winter: GMT; summer: BST (UTC+1). 2026's change is on 29 March at 01:00 UTC.
        assert_eq!(
            to_instant(date(2026, 3, 28), time(9, 0), london).unwrap(),
            utc("2026-03-28T09:00:00Z")
        );
        assert_eq!(
            to_instant(date(2026, 3, 30), time(9, 0), london).unwrap(),
            utc("2026-03-30T08:00:00Z")
        );
        let new_york = zone("America/New_York").unwrap();
        assert_eq!(
            to_instant(date(2026, 11, 23), time(9, 0), new_york).unwrap(),
            utc("2026-11-23T14:00:00Z")
        );
    }

    #[test]
    fn a_skipped_time_is_refused_and_a_repeated_one_means_the_first() {
        let london = zone("Europe/London").unwrap();
        let err = to_instant(date(2026, 3, 29), time(1, 30), london).unwrap_err();
        assert!(
            err.to_string().contains("does not exist on 29 March 2026"),
            "{err}"
        );
        // 25 October 2026: 01:30 happens at 00:30 UTC (BST) and again at 01:30 UTC (GMT).
        assert_eq!(
            to_instant(date(2026, 10, 25), time(1, 30), london).unwrap(),
            utc("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn days_with_a_change_are_23_or_25_hours_and_their_slots_follow() {
        let berlin = zone("Europe/Berlin").unwrap();
        let (s, e) = day_bounds(date(2026, 3, 29), berlin);
        assert_eq!(e - s, Duration::hours(23));
        let (s, e) = day_bounds(date(2026, 10, 25), berlin);
        assert_eq!(e - s, Duration::hours(25));
        let (s, e) = day_bounds(date(2026, 11, 23), berlin);
        assert_eq!(e - s, Duration::hours(24));
        // Whole day in half hours: 46, 50 and 48 slots.
        assert_eq!(half_hours(date(2026, 3, 29), berlin, 0, 24).len(), 46);
        let autumn = half_hours(date(2026, 10, 25), berlin, 0, 24);
        assert_eq!(autumn.len(), 50);
        assert_eq!(
            autumn.iter().filter(|(_, label)| label == "02:30").count(),
            2,
            "the repeated hour appears twice"
        );
        // Working hours: 07:00 to 19:00 local is 24 slots on every day, at the right instants.
        let spring = half_hours(date(2026, 3, 29), berlin, 7, 19);
        assert_eq!(spring.len(), 24);
        assert_eq!(spring[0].0, utc("2026-03-29T05:00:00Z"));
        assert_eq!(spring[0].1, "07:00");
    }

    #[test]
    fn descriptions_and_next_half_hour() {
        let tokyo = zone("Asia/Tokyo").unwrap();
        assert_eq!(
            describe(
                utc("2026-11-23T05:00:00Z"),
                utc("2026-11-23T06:30:00Z"),
                tokyo
            ),
            "Mon 23 Nov 2026, 14:00–15:30"
        );
        assert_eq!(
            describe(
                utc("2026-11-23T14:00:00Z"),
                utc("2026-11-23T16:00:00Z"),
                tokyo
            ),
            "Mon 23 Nov 2026, 23:00 – Tue 24 Nov, 01:00"
        );
        assert_eq!(
            next_half_hour(utc("2026-11-23T13:10:00Z"), chrono_tz::UTC),
            (date(2026, 11, 23), time(13, 30))
        );
        assert_eq!(
            next_half_hour(utc("2026-11-23T23:45:00Z"), chrono_tz::UTC),
            (date(2026, 11, 24), time(0, 0))
        );
        assert!(zone("Mars/Olympus").is_err());
        let london = zone("Europe/London").unwrap();
        assert!(same_clock(
            london,
            chrono_tz::UTC,
            utc("2026-11-23T12:00:00Z")
        ));
        assert!(!same_clock(
            london,
            chrono_tz::UTC,
            utc("2026-07-01T12:00:00Z")
        ));
    }
}
