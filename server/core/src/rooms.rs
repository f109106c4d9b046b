//! The room list (the home page's search): the rooms whose text matches, those that may seat
//! the group, best fit first. The same capacity rule as the finder's ([`Room::may_seat`]).

use roombook_shared::RoomQuery;

use crate::booking::best_fit;
use crate::domain::{Room, TenantId};
use crate::ports::storage::{Store, StoreResult};

/// The active rooms of `tenant` matching `query`: by name, or best fit first when a head count
/// is asked for (rooms whose seats nobody recorded after those known to fit).
pub async fn find(
    store: &dyn Store,
    tenant: TenantId,
    query: &RoomQuery,
) -> StoreResult<Vec<Room>> {
    let matching = store.rooms_matching(tenant, &query.text).await?;
    Ok(seating(matching, query.min_capacity))
}

/// Of `rooms` (by name), those that may seat `people`, best fit first; all of them, as they
/// came, when no head count is asked for.
pub fn seating(rooms: Vec<Room>, people: Option<u32>) -> Vec<Room> {
    let Some(people) = people else {
        return rooms;
    };
    let mut fitting: Vec<Room> = rooms.into_iter().filter(|r| r.may_seat(people)).collect();
    best_fit(&mut fitting);
    fitting
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RoomId;
    use chrono::Utc;

    fn room(name: &str, capacity: Option<u32>) -> Room {
        let now = Utc::now();
        Room {
            id: RoomId::new(),
            tenant_id: TenantId::new(),
            email: format!("{}@t.example", name.to_lowercase()),
            name: name.into(),
            capacity,
            building: None,
            floor: None,
            equipment: vec![],
            wheelchair_accessible: false,
            room_list: None,
            booking_window_days: None,
            max_duration_minutes: None,
            display_subjects: false,
            time_zone: None,
            active: true,
            edited: false,
            created_at: now,
            updated_at: now,
        }
    }

    fn names(rooms: &[Room]) -> Vec<&str> {
        rooms.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn a_head_count_keeps_the_rooms_that_may_seat_it_smallest_first_unknown_last() {
        let rooms = vec![
            room("Atrium", Some(10)),
            room("Boardroom", Some(16)),
            room("Focus", Some(2)),
            room("Harbour", Some(9)),
            room("Unmeasured", None),
        ];
        assert_eq!(
            names(&seating(rooms.clone(), Some(9))),
            ["Harbour", "Atrium", "Boardroom", "Unmeasured"]
        );
        assert_eq!(
            names(&seating(rooms.clone(), None)),
            ["Atrium", "Boardroom", "Focus", "Harbour", "Unmeasured"],
            "no head count: every room, by name"
        );
        assert_eq!(names(&seating(rooms, Some(100))), ["Unmeasured"]);
    }
}
