//! Bookings: the claim on a slot, moves, outcomes (`bookings`).

use super::Adapter;
use crate::Db;
use crate::rows::{BookingRow, OpenOutcomeRow, convert};

#[async_trait::async_trait]
impl roombook_core::ports::storage::BookingStore for Adapter {
    async fn claim_booking(
        &self,
        b: &roombook_core::domain::Booking,
        now: chrono::DateTime<chrono::Utc>,
    ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::Claim> {
        let mut tx = self.pool.begin().await.db()?;
        // Lock the room first: PostgreSQL serialises on the row lock, SQLite takes its
        // write lock at the first write. Either way the check below and the insert
        // happen with no other claim on this room in between.
        let locked = sqlx::query(
            "UPDATE rooms SET updated_at = updated_at WHERE tenant_id = $1 AND id = $2",
        )
        .bind(b.tenant_id.to_string())
        .bind(b.room_id.to_string())
        .execute(&mut *tx)
        .await
        .db()?;
        if locked.rows_affected() == 0 {
            return Err(roombook_core::ports::storage::StoreError::NotFound);
        }
        let earlier: Option<BookingRow> = sqlx::query_as(concat!(
            "SELECT ",
            booking_columns!(),
            " FROM bookings WHERE tenant_id = $1 AND user_id = $2 AND idempotency_key = $3"
        ))
        .bind(b.tenant_id.to_string())
        .bind(b.user_id.to_string())
        .bind(&b.idempotency_key)
        .fetch_optional(&mut *tx)
        .await
        .db()?;
        if let Some(earlier) = earlier {
            return Ok(roombook_core::domain::Claim::Duplicate(Box::new(
                earlier.try_into()?,
            )));
        }
        let overlapping: i64 = sqlx::query_scalar(overlap_check!())
            .bind(b.tenant_id.to_string())
            .bind(b.room_id.to_string())
            .bind(b.id.to_string())
            .bind(b.end)
            .bind(b.start)
            .fetch_one(&mut *tx)
            .await
            .db()?;
        if overlapping > 0 {
            return Ok(roombook_core::domain::Claim::Taken);
        }
        let attendees = serde_json::to_string(&b.attendees)
            .map_err(|e| roombook_core::ports::storage::StoreError::Internal(Box::new(e)))?;
        sqlx::query(concat!(
            "INSERT INTO bookings (",
            booking_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19)"
        ))
        .bind(b.id.to_string())
        .bind(b.tenant_id.to_string())
        .bind(b.user_id.to_string())
        .bind(b.room_id.to_string())
        .bind(&b.idempotency_key)
        .bind(&b.uid)
        .bind(&b.subject)
        .bind(&b.note)
        .bind(attendees)
        .bind(b.start)
        .bind(b.end)
        .bind(&b.time_zone)
        .bind(roombook_core::domain::BookingStatus::Sending.as_str())
        .bind(b.reason.map(|r| r.code()))
        .bind(&b.calendar)
        .bind(&b.item_id)
        .bind(&b.change_key)
        .bind(b.created_at)
        .bind(now)
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(roombook_core::domain::Claim::Claimed)
    }

    async fn move_booking(
        &self,
        tenant: roombook_core::domain::TenantId,
        id: roombook_core::domain::BookingId,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> roombook_core::ports::storage::StoreResult<bool> {
        let mut tx = self.pool.begin().await.db()?;
        let locked = sqlx::query(
            "UPDATE rooms SET updated_at = updated_at WHERE tenant_id = $1 AND id = \
             (SELECT room_id FROM bookings WHERE tenant_id = $1 AND id = $2)",
        )
        .bind(tenant.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .db()?;
        if locked.rows_affected() == 0 {
            return Err(roombook_core::ports::storage::StoreError::NotFound);
        }
        let room: String =
            sqlx::query_scalar("SELECT room_id FROM bookings WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.to_string())
                .bind(id.to_string())
                .fetch_one(&mut *tx)
                .await
                .db()?;
        let overlapping: i64 = sqlx::query_scalar(overlap_check!())
            .bind(tenant.to_string())
            .bind(room)
            .bind(id.to_string())
            .bind(end)
            .bind(start)
            .fetch_one(&mut *tx)
            .await
            .db()?;
        if overlapping > 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE bookings SET start_at = $1, end_at = $2, updated_at = $3 \
             WHERE tenant_id = $4 AND id = $5",
        )
        .bind(start)
        .bind(end)
        .bind(now)
        .bind(tenant.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(true)
    }

    async fn update_booking(
        &self,
        b: &roombook_core::domain::Booking,
    ) -> roombook_core::ports::storage::StoreResult<()> {
        let done = sqlx::query(
            "UPDATE bookings SET status = $1, reason = $2, item_id = $3, change_key = $4, \
             start_at = $5, end_at = $6, updated_at = $7 WHERE tenant_id = $8 AND id = $9",
        )
        .bind(b.status.as_str())
        .bind(b.reason.map(|r| r.code()))
        .bind(&b.item_id)
        .bind(&b.change_key)
        .bind(b.start)
        .bind(b.end)
        .bind(chrono::Utc::now())
        .bind(b.tenant_id.to_string())
        .bind(b.id.to_string())
        .execute(&self.pool)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(roombook_core::ports::storage::StoreError::NotFound);
        }
        Ok(())
    }

    async fn booking(
        &self,
        tenant: roombook_core::domain::TenantId,
        id: roombook_core::domain::BookingId,
    ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::Booking>> {
        let row: Option<BookingRow> = sqlx::query_as(concat!(
            "SELECT ",
            booking_columns!(),
            " FROM bookings WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(TryInto::try_into).transpose()
    }

    async fn bookings_of(
        &self,
        tenant: roombook_core::domain::TenantId,
        user: roombook_core::domain::UserId,
        after: chrono::DateTime<chrono::Utc>,
    ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::Booking>> {
        let rows: Vec<BookingRow> = sqlx::query_as(concat!(
            "SELECT ",
            booking_columns!(),
            " FROM bookings WHERE tenant_id = $1 AND user_id = $2 AND end_at > $3 \
              ORDER BY start_at, created_at LIMIT 500"
        ))
        .bind(tenant.to_string())
        .bind(user.to_string())
        .bind(after)
        .fetch_all(&self.pool)
        .await
        .db()?;
        convert(rows)
    }

    async fn held_slots(
        &self,
        tenant: roombook_core::domain::TenantId,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
        _now: chrono::DateTime<chrono::Utc>,
    ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::ports::storage::HeldSlot>>
    {
        let rows: Vec<(
            String,
            chrono::DateTime<chrono::Utc>,
            chrono::DateTime<chrono::Utc>,
        )> = sqlx::query_as(
            "SELECT room_id, start_at, end_at FROM bookings WHERE tenant_id = $1 \
                 AND start_at < $2 AND end_at > $3 \
                 AND status IN ('sending', 'unknown', 'waiting', 'accepted')",
        )
        .bind(tenant.to_string())
        .bind(end)
        .bind(start)
        .fetch_all(&self.pool)
        .await
        .db()?;
        rows.into_iter()
            .map(|(room, start, end)| {
                Ok(roombook_core::ports::storage::HeldSlot {
                    room_id: roombook_core::domain::RoomId(uuid::Uuid::parse_str(&room).map_err(
                        |_| {
                            roombook_core::ports::storage::StoreError::Corrupt(
                                "bookings.room_id".into(),
                            )
                        },
                    )?),
                    start,
                    end,
                })
            })
            .collect()
    }

    async fn open_outcomes(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        sending_before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::ports::storage::OpenOutcome>>
    {
        let rows: Vec<OpenOutcomeRow> = sqlx::query_as(concat!(
            "SELECT ",
            booking_columns!(),
            ", checks FROM bookings WHERE item_id IS NULL AND \
             ((status IN ('unknown', 'cancelled') AND next_check_at <= $1) \
              OR (status = 'sending' AND updated_at <= $2)) \
             ORDER BY updated_at LIMIT $3"
        ))
        .bind(now)
        .bind(sending_before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .db()?;
        convert(rows)
    }

    async fn waiting_for_answer(
        &self,
        asked_before: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::Booking>> {
        let rows: Vec<BookingRow> = sqlx::query_as(concat!(
            "SELECT ",
            booking_columns!(),
            " FROM bookings WHERE status = 'waiting' AND item_id IS NOT NULL \
              AND end_at > $1 AND updated_at <= $2 ORDER BY updated_at LIMIT $3"
        ))
        .bind(now)
        .bind(asked_before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .db()?;
        convert(rows)
    }

    async fn plan_outcome_check(
        &self,
        tenant: roombook_core::domain::TenantId,
        id: roombook_core::domain::BookingId,
        from: roombook_core::domain::BookingStatus,
        to: roombook_core::domain::BookingStatus,
        checks: u32,
        next: Option<chrono::DateTime<chrono::Utc>>,
    ) -> roombook_core::ports::storage::StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE bookings SET status = $1, checks = $2, next_check_at = $3, \
             updated_at = $4 WHERE tenant_id = $5 AND id = $6 AND status = $7 \
             AND item_id IS NULL",
        )
        .bind(to.as_str())
        .bind(i32::try_from(checks).unwrap_or(i32::MAX))
        .bind(next)
        .bind(chrono::Utc::now())
        .bind(tenant.to_string())
        .bind(id.to_string())
        .bind(from.as_str())
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }

    async fn update_booking_from(
        &self,
        b: &roombook_core::domain::Booking,
        from: roombook_core::domain::BookingStatus,
    ) -> roombook_core::ports::storage::StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE bookings SET status = $1, reason = $2, item_id = $3, change_key = $4, \
             start_at = $5, end_at = $6, updated_at = $7, next_check_at = NULL \
             WHERE tenant_id = $8 AND id = $9 AND status = $10",
        )
        .bind(b.status.as_str())
        .bind(b.reason.map(|r| r.code()))
        .bind(&b.item_id)
        .bind(&b.change_key)
        .bind(b.start)
        .bind(b.end)
        .bind(chrono::Utc::now())
        .bind(b.tenant_id.to_string())
        .bind(b.id.to_string())
        .bind(from.as_str())
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected() == 1)
    }
}
