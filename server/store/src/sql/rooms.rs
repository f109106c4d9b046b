//! Rooms: import, settings, the filter (`rooms`).

use super::Adapter;
use crate::Db;
use crate::rows::{RoomCountsRow, RoomRow, convert};

#[async_trait::async_trait]
impl roombook_core::ports::storage::RoomStore for Adapter {
    async fn upsert_room(
        &self,
        tenant: roombook_core::domain::TenantId,
        details: &roombook_core::domain::RoomDetails,
    ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::Room> {
        let d = details.clone().normalised();
        let equipment = serde_json::to_string(&d.equipment)
            .map_err(|e| roombook_core::ports::storage::StoreError::Internal(Box::new(e)))?;
        let row: RoomRow = sqlx::query_as(
            "INSERT INTO rooms (id, tenant_id, email, name, capacity, building, floor, \
             equipment, wheelchair_accessible, search_text, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, TRUE, $11, $11) \
             ON CONFLICT (tenant_id, email) DO UPDATE SET name = excluded.name, \
             capacity = excluded.capacity, building = excluded.building, \
             floor = excluded.floor, equipment = excluded.equipment, \
             wheelchair_accessible = excluded.wheelchair_accessible, \
             search_text = excluded.search_text, active = TRUE, \
             updated_at = excluded.updated_at \
             RETURNING id, tenant_id, email, name, capacity, building, floor, equipment, \
             wheelchair_accessible, room_list, booking_window_days, \
             max_duration_minutes, display_subjects, time_zone, active, edited, \
             created_at, updated_at",
        )
        .bind(roombook_core::domain::RoomId::new().to_string())
        .bind(tenant.to_string())
        .bind(&d.email)
        .bind(&d.name)
        .bind(d.capacity.map(i64::from))
        .bind(&d.building)
        .bind(&d.floor)
        .bind(equipment)
        .bind(d.wheelchair_accessible)
        .bind(crate::search_text(&d))
        .bind(chrono::Utc::now())
        .fetch_one(&self.pool)
        .await
        .db()?;
        row.try_into()
    }

    async fn rooms_matching(
        &self,
        tenant: roombook_core::domain::TenantId,
        text: &str,
    ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::Room>> {
        let rows: Vec<RoomRow> = sqlx::query_as(concat!(
            "SELECT ",
            room_columns!(),
            " FROM rooms WHERE tenant_id = $1 AND active = TRUE \
              AND search_text LIKE $2 ESCAPE '\\' ORDER BY name, email"
        ))
        .bind(tenant.to_string())
        .bind(crate::like_pattern(text))
        .fetch_all(&self.pool)
        .await
        .db()?;
        convert(rows)
    }

    async fn set_room_active(
        &self,
        tenant: roombook_core::domain::TenantId,
        email: &str,
        active: bool,
    ) -> roombook_core::ports::storage::StoreResult<()> {
        let done = sqlx::query(
            "UPDATE rooms SET active = $1, updated_at = $2 WHERE tenant_id = $3 AND email = $4",
        )
        .bind(active)
        .bind(chrono::Utc::now())
        .bind(tenant.to_string())
        .bind(email.trim().to_lowercase())
        .execute(&self.pool)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(roombook_core::ports::storage::StoreError::NotFound);
        }
        Ok(())
    }

    async fn count_rooms(
        &self,
        tenant: roombook_core::domain::TenantId,
    ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::RoomCounts> {
        let row: RoomCountsRow = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN active THEN 1 ELSE 0 END), 0) AS active, \
             COALESCE(SUM(CASE WHEN active THEN 0 ELSE 1 END), 0) AS inactive \
             FROM rooms WHERE tenant_id = $1",
        )
        .bind(tenant.to_string())
        .fetch_one(&self.pool)
        .await
        .db()?;
        let count = |n: i64| {
            u32::try_from(n).map_err(|_| {
                roombook_core::ports::storage::StoreError::Corrupt("room count out of range".into())
            })
        };
        Ok(roombook_core::domain::RoomCounts {
            active: count(row.active)?,
            inactive: count(row.inactive)?,
        })
    }

    async fn room(
        &self,
        tenant: roombook_core::domain::TenantId,
        id: roombook_core::domain::RoomId,
    ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::Room>> {
        let row: Option<RoomRow> = sqlx::query_as(concat!(
            "SELECT ",
            room_columns!(),
            " FROM rooms WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(TryInto::try_into).transpose()
    }

    async fn all_rooms(
        &self,
        tenant: roombook_core::domain::TenantId,
    ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::Room>> {
        let rows: Vec<RoomRow> = sqlx::query_as(concat!(
            "SELECT ",
            room_columns!(),
            " FROM rooms WHERE tenant_id = $1 ORDER BY active DESC, name, email"
        ))
        .bind(tenant.to_string())
        .fetch_all(&self.pool)
        .await
        .db()?;
        convert(rows)
    }

    async fn update_room_settings(
        &self,
        tenant: roombook_core::domain::TenantId,
        id: roombook_core::domain::RoomId,
        settings: &roombook_core::domain::RoomSettings,
    ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::Room> {
        let Some(current) =
            roombook_core::ports::storage::RoomStore::room(self, tenant, id).await?
        else {
            return Err(roombook_core::ports::storage::StoreError::NotFound);
        };
        let details = roombook_core::domain::RoomDetails {
            email: current.email.clone(),
            name: current.name.clone(),
            capacity: settings.capacity,
            building: settings.building.clone(),
            floor: settings.floor.clone(),
            equipment: settings.equipment.clone(),
            wheelchair_accessible: settings.wheelchair_accessible,
        };
        let equipment = serde_json::to_string(&settings.equipment)
            .map_err(|e| roombook_core::ports::storage::StoreError::Internal(Box::new(e)))?;
        let row: RoomRow = sqlx::query_as(concat!(
            "UPDATE rooms SET capacity = $1, building = $2, floor = $3, equipment = $4, \
             wheelchair_accessible = $5, booking_window_days = $6, \
             max_duration_minutes = $7, display_subjects = $8, search_text = $9, \
             edited = TRUE, updated_at = $10, time_zone = $13 \
             WHERE tenant_id = $11 AND id = $12 RETURNING ",
            room_columns!()
        ))
        .bind(settings.capacity.map(i64::from))
        .bind(&settings.building)
        .bind(&settings.floor)
        .bind(equipment)
        .bind(settings.wheelchair_accessible)
        .bind(settings.booking_window_days.map(i64::from))
        .bind(settings.max_duration_minutes.map(i64::from))
        .bind(settings.display_subjects)
        .bind(crate::search_text(&details))
        .bind(chrono::Utc::now())
        .bind(tenant.to_string())
        .bind(id.to_string())
        .bind(&settings.time_zone)
        .fetch_one(&self.pool)
        .await
        .db()?;
        row.try_into()
    }

    async fn import_rooms(
        &self,
        tenant: roombook_core::domain::TenantId,
        rooms: &[roombook_core::domain::ImportedRoom],
    ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::ImportSummary> {
        let now = chrono::Utc::now();
        let mut summary = roombook_core::domain::ImportSummary::default();
        let mut tx = self.pool.begin().await.db()?;
        let existing: Vec<RoomRow> = sqlx::query_as(concat!(
            "SELECT ",
            room_columns!(),
            " FROM rooms WHERE tenant_id = $1"
        ))
        .bind(tenant.to_string())
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let existing: Vec<roombook_core::domain::Room> = convert(existing)?;
        let mut listed = std::collections::HashSet::new();
        for imported in rooms {
            let email = imported.email.trim().to_lowercase();
            if email.is_empty() || !listed.insert(email.clone()) {
                continue;
            }
            let name = if imported.name.trim().is_empty() {
                email.clone()
            } else {
                imported.name.trim().to_owned()
            };
            match existing.iter().find(|r| r.email == email) {
                None => {
                    // A new room: the room list (usually a building) is its building
                    // until an admin says otherwise.
                    let details = roombook_core::domain::RoomDetails {
                        email: email.clone(),
                        name: name.clone(),
                        building: imported.room_list.clone(),
                        ..Default::default()
                    };
                    sqlx::query(
                        "INSERT INTO rooms (id, tenant_id, email, name, building, \
                         room_list, search_text, active, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8, $8)",
                    )
                    .bind(roombook_core::domain::RoomId::new().to_string())
                    .bind(tenant.to_string())
                    .bind(&email)
                    .bind(&name)
                    .bind(&imported.room_list)
                    .bind(&imported.room_list)
                    .bind(crate::search_text(&details))
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .db()?;
                    summary.added += 1;
                }
                Some(room) => {
                    if room.active && room.name == name && room.room_list == imported.room_list {
                        summary.unchanged += 1;
                        continue;
                    }
                    if room.active {
                        summary.unchanged += 1;
                    } else {
                        summary.reactivated += 1;
                    }
                    let details = roombook_core::domain::RoomDetails {
                        email: email.clone(),
                        name: name.clone(),
                        capacity: room.capacity,
                        building: room.building.clone(),
                        floor: room.floor.clone(),
                        equipment: room.equipment.clone(),
                        wheelchair_accessible: room.wheelchair_accessible,
                    };
                    sqlx::query(
                        "UPDATE rooms SET name = $1, room_list = $2, active = TRUE, \
                         search_text = $3, updated_at = $4 WHERE tenant_id = $5 AND id = $6",
                    )
                    .bind(&name)
                    .bind(&imported.room_list)
                    .bind(crate::search_text(&details))
                    .bind(now)
                    .bind(tenant.to_string())
                    .bind(room.id.to_string())
                    .execute(&mut *tx)
                    .await
                    .db()?;
                }
            }
        }
        for room in existing
            .iter()
            .filter(|r| r.active && !listed.contains(&r.email))
        {
            sqlx::query(
                "UPDATE rooms SET active = FALSE, updated_at = $1 \
                 WHERE tenant_id = $2 AND id = $3",
            )
            .bind(now)
            .bind(tenant.to_string())
            .bind(room.id.to_string())
            .execute(&mut *tx)
            .await
            .db()?;
            summary.deactivated += 1;
        }
        tx.commit().await.db()?;
        Ok(summary)
    }
}
