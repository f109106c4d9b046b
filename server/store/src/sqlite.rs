//! The SQLite adapter: the embedded default. One file, WAL journal, foreign keys on.

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::OpenError;

pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, OpenError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(OpenError::Connect)?
            .create_if_missing(true)
            // WAL lets page renders read while a sync writes.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // SQLite creates the file but not its folder (`data/` on a fresh clone).
        let folder = options.get_filename().parent().map(Path::to_path_buf);
        if let Some(folder) = folder.filter(|f| !f.as_os_str().is_empty() && !f.exists()) {
            std::fs::create_dir_all(&folder).map_err(|e| OpenError::Connect(sqlx::Error::Io(e)))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(OpenError::Connect)?;
        MIGRATOR.run(&pool).await.map_err(OpenError::Migrate)?;
        Ok(Self { pool })
    }
}

/// The shared SQL (`sql/`), compiled against this adapter's driver.
type Adapter = SqliteStore;
const BACKEND: &str = "sqlite";
#[allow(
    clippy::duplicate_mod,
    reason = "sql/ is compiled once per adapter on purpose: see sql/mod.rs"
)]
#[path = "sql/mod.rs"]
mod sql;
