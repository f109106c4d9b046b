//! The PostgreSQL adapter: for when one machine is not enough.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::queries::{
    booking_columns, connection_columns, count_admins, impl_store, insert_auth_request,
    lock_tenant, overlap_check, room_columns, tenant_columns, user_columns,
};
use super::rows::{
    AuditRow, AuthRequestRow, BookingRow, ConnectionRow, OpenOutcomeRow, RoomCountsRow, RoomRow,
    SessionRow, TenantRow, UserRow, convert,
};
use super::{Db, OpenError};

pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, OpenError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(OpenError::Connect)?;
        MIGRATOR.run(&pool).await.map_err(OpenError::Migrate)?;
        Ok(Self { pool })
    }
}

impl_store!(PostgresStore, "postgres");
