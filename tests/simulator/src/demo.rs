//! Seeded tenants: the demo tenant (3 buildings, about 40 rooms, 200 people, a working week
//! of meetings) and large tenants for scale tests. Deterministic: the same seed every run.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};

use crate::directory::{
    BookingPolicy, Room, RoomList, SeedMeeting, ServiceAccount, TenantSeed, User,
};

pub const DEMO_DOMAIN: &str = "contoso.example";
/// The demo's Basic-auth service account (impersonation of all mailboxes).
pub const DEMO_SERVICE_ACCOUNT: &str = "svc-roombook@contoso.example";
pub const DEMO_SERVICE_PASSWORD: &str = "demo-password";

const BUILDINGS: [(&str, &str); 3] = [
    ("Harbour House", "harbour"),
    ("Mill Yard", "mill"),
    ("North Tower", "north"),
];

const FIRST_NAMES: [&str; 20] = [
    "Ada", "Ben", "Chloé", "Dara", "Emil", "Farah", "Gus", "Hana", "Ivo", "Jun", "Kofi", "Lena",
    "Mats", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tove",
];
const LAST_NAMES: [&str; 10] = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Novak",
    "Haddad",
    "Silva",
    "Kowalski",
    "Byrne",
    "Öztürk",
];
const ROOM_NAMES: [&str; 14] = [
    "Aurora", "Basalt", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
    "Kestrel", "Lagoon", "Meridian", "Nimbus",
];
const EQUIPMENT: [&str; 5] = [
    "screen",
    "videoconference",
    "whiteboard",
    "phone",
    "wheelchair-access",
];

/// A small deterministic generator (64-bit LCG); enough for varied demo data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn person_address(n: usize) -> String {
    let first = FIRST_NAMES[n % FIRST_NAMES.len()];
    let last = LAST_NAMES[(n / FIRST_NAMES.len()) % LAST_NAMES.len()];
    format!(
        "{}.{}{}@{DEMO_DOMAIN}",
        ascii(first),
        ascii(last),
        if n >= 200 {
            n.to_string()
        } else {
            String::new()
        }
    )
}

fn person_name(n: usize) -> String {
    let first = FIRST_NAMES[n % FIRST_NAMES.len()];
    let last = LAST_NAMES[(n / FIRST_NAMES.len()) % LAST_NAMES.len()];
    format!("{first} {last}")
}

fn ascii(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'é' => 'e',
            'ö' => 'o',
            'ü' => 'u',
            c => c,
        })
        .collect()
}

/// A tenant with `people` users and `rooms` rooms spread over the three buildings, with one
/// room list per building. Meetings are not added here.
pub fn tenant(people: usize, rooms: usize) -> TenantSeed {
    let mut rng = Lcg(0x5eed_1234);
    let mut seed = TenantSeed::new(DEMO_DOMAIN).service_account(ServiceAccount::new(
        DEMO_SERVICE_ACCOUNT,
        DEMO_SERVICE_PASSWORD,
    ));
    for n in 0..people {
        let mut user = User::new(&person_address(n), &person_name(n));
        // One person in fifty is a directory entry without a mailbox.
        if n % 50 == 49 {
            user = user.without_mailbox();
        }
        seed.users.push(user);
    }
    let mut lists: Vec<Vec<String>> = vec![Vec::new(); BUILDINGS.len()];
    for n in 0..rooms {
        let building = n % BUILDINGS.len();
        let (building_name, slug) = BUILDINGS[building];
        let index = n / BUILDINGS.len();
        let floor = (index % 6) as i32;
        let base = ROOM_NAMES[index % ROOM_NAMES.len()];
        let suffix = if index >= ROOM_NAMES.len() {
            format!(" {}", index / ROOM_NAMES.len() + 1)
        } else {
            String::new()
        };
        let capacity = [2, 4, 4, 6, 8, 8, 10, 12, 16, 20][rng.below(10) as usize];
        let mut equipment: Vec<&str> = EQUIPMENT
            .iter()
            .copied()
            .filter(|_| rng.below(3) == 0)
            .collect();
        if capacity >= 8 && !equipment.contains(&"screen") {
            equipment.push("screen");
        }
        let policy = BookingPolicy {
            max_duration_minutes: if capacity <= 4 { 120 } else { 480 },
            booking_window_days: if capacity >= 16 { 90 } else { 180 },
            // Most rooms keep Exchange's privacy defaults; every seventh shows subjects.
            add_organizer_to_subject: n % 7 != 3,
            delete_subject: n % 7 != 3,
            ..BookingPolicy::default()
        };
        let address = format!(
            "room.{slug}.{}{}@{DEMO_DOMAIN}",
            base.to_lowercase(),
            suffix.trim()
        );
        let room = Room::new(
            &address,
            &format!("{building_name} {base}{suffix}"),
            capacity,
        )
        .in_building(building_name, floor)
        .with_equipment(&equipment)
        .with_policy(policy);
        lists[building].push(room.address.clone());
        seed.rooms.push(room);
    }
    for (building, members) in lists.into_iter().enumerate() {
        let (name, slug) = BUILDINGS[building];
        seed.room_lists.push(RoomList {
            address: format!("rooms.{slug}@{DEMO_DOMAIN}"),
            display_name: format!("{name} rooms"),
            rooms: members,
        });
    }
    seed
}

/// The demo tenant: 3 buildings, 42 rooms, 200 people and the meetings of the working week
/// that contains `now` (or the next one on a weekend), booked through the booking attendant.
pub fn demo_seed(now: DateTime<Utc>) -> TenantSeed {
    let mut seed = tenant(200, 42);
    let mut rng = Lcg(0xdead_beef);
    let mut monday = now.date_naive();
    while monday.weekday() != Weekday::Mon {
        monday = if matches!(monday.weekday(), Weekday::Sat | Weekday::Sun) {
            monday + Duration::days(1)
        } else {
            monday - Duration::days(1)
        };
    }
    let people: Vec<String> = seed
        .users
        .iter()
        .filter(|u| u.has_mailbox)
        .map(|u| u.address.clone())
        .collect();
    let subjects = [
        "Stand-up",
        "Design review",
        "1:1",
        "Customer call",
        "Sprint planning",
        "Retro",
        "Interview",
        "Budget",
    ];
    for day in 0..5 {
        let date = monday + Duration::days(day);
        for room in &seed.rooms {
            // Two to five meetings per room per day, between 08:00 and 18:00 UTC.
            let mut hour = 8 + rng.below(2) as u32;
            let count = 2 + rng.below(4);
            for _ in 0..count {
                let minutes = [30, 30, 45, 60, 60, 90][rng.below(6) as usize];
                let start = date
                    .and_time(NaiveTime::from_hms_opt(hour, 0, 0).expect("valid hour"))
                    .and_utc();
                let end = start + Duration::minutes(minutes);
                if end.time() > NaiveTime::from_hms_opt(18, 0, 0).expect("valid") {
                    break;
                }
                let organizer = people[rng.below(people.len() as u64) as usize].clone();
                let attendees = (0..rng.below(4))
                    .map(|_| people[rng.below(people.len() as u64) as usize].clone())
                    .filter(|a| *a != organizer)
                    .collect();
                seed.meetings.push(SeedMeeting {
                    organizer,
                    subject: subjects[rng.below(subjects.len() as u64) as usize].to_string(),
                    start,
                    end,
                    attendees,
                    room: Some(room.address.clone()),
                });
                hour += 1 + rng.below(3) as u32;
                if hour >= 18 {
                    break;
                }
            }
        }
    }
    seed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_has_the_promised_shape() {
        let seed = demo_seed(Utc::now());
        assert_eq!(seed.users.len(), 200);
        assert_eq!(seed.rooms.len(), 42);
        assert_eq!(seed.room_lists.len(), 3);
        let buildings: std::collections::BTreeSet<_> =
            seed.rooms.iter().map(|r| r.building.clone()).collect();
        assert_eq!(buildings.len(), 3);
        assert!(seed.meetings.len() > 200, "{}", seed.meetings.len());
        let addresses: std::collections::HashSet<_> =
            seed.users.iter().map(|u| u.address.clone()).collect();
        assert_eq!(addresses.len(), 200, "user addresses are unique");
        let rooms: std::collections::HashSet<_> =
            seed.rooms.iter().map(|r| r.address.clone()).collect();
        assert_eq!(rooms.len(), 42, "room addresses are unique");
        let capacities: std::collections::BTreeSet<_> =
            seed.rooms.iter().map(|r| r.capacity).collect();
        assert!(capacities.len() >= 4, "varied sizes: {capacities:?}");
    }

    #[test]
    fn demo_meetings_are_processed_by_the_booking_attendant() {
        let seed = demo_seed(Utc::now());
        let tenant = crate::tenant::Tenant::new(&seed);
        let booked: usize = seed
            .rooms
            .iter()
            .map(|r| tenant.mailbox(&r.address).unwrap().items().count())
            .sum();
        assert!(booked > 200, "{booked}");
        let accepted = tenant
            .room_responses
            .iter()
            .filter(|r| r.response == crate::tenant::Response::Accept)
            .count();
        assert_eq!(accepted, booked, "every room copy comes from an acceptance");
    }

    #[test]
    fn five_thousand_rooms_have_unique_addresses() {
        let seed = tenant(1000, 5000);
        let rooms: std::collections::HashSet<_> =
            seed.rooms.iter().map(|r| r.address.clone()).collect();
        assert_eq!(rooms.len(), 5000);
        let users: std::collections::HashSet<_> =
            seed.users.iter().map(|u| u.address.clone()).collect();
        assert_eq!(users.len(), 1000);
    }
}
