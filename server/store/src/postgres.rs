//! The PostgreSQL adapter: for when one machine is not enough.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::OpenError;

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

/// The shared SQL (`sql/`), compiled against this adapter's driver.
type Adapter = PostgresStore;
const BACKEND: &str = "postgres";
#[allow(
    clippy::duplicate_mod,
    reason = "sql/ is compiled once per adapter on purpose: see sql/mod.rs"
)]
#[path = "sql/mod.rs"]
mod sql;
