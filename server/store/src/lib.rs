//! The storage adapters: SQLite (the embedded default) and PostgreSQL, behind the storage port
//! of `roombook-core` (`roombook_core::ports::storage`).
//!
//! One adapter per database (`sqlite`, `postgres`), chosen at start-up by the URL scheme. Both
//! adapters run the same SQL (written once, in `sql/`, one file per table group): the schema keeps the two dialects
//! compatible, and the storage test suite runs against both. Driver errors become
//! [`StoreError`] here, at the adapter boundary ([`db_error`]).

use std::sync::Arc;

use roombook_core::domain::RoomDetails;
use roombook_core::ports::storage::{Store, StoreError};

mod postgres;
mod rows;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// A driver error as the port says it: missing, a key taken, the database away, or internal.
pub(crate) fn db_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Database(ref db) if db.is_unique_violation() => StoreError::Conflict,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(Box::new(e))
        }
        other => StoreError::Internal(Box::new(other)),
    }
}

/// `.db()?` on a driver result: its error becomes a [`StoreError`] (the orphan rule keeps a
/// `From` impl out of reach: both types are foreign here).
pub(crate) trait Db<T> {
    fn db(self) -> Result<T, StoreError>;
}

impl<T> Db<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(db_error)
    }
}

/// Which adapter a database URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "unsupported database URL scheme “{0}”: use sqlite://PATH (the default) or postgres://…"
    )]
    UnsupportedScheme(String),
    #[error("cannot open the database")]
    Connect(#[source] sqlx::Error),
    #[error("cannot bring the database schema up to date")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, OpenError> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or(url);
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            other => Err(OpenError::UnsupportedScheme(other.to_owned())),
        }
    }
}

/// Opens the database the URL names, migrating it to the current schema.
pub async fn open(url: &str, max_connections: u32) -> Result<Arc<dyn Store>, OpenError> {
    Ok(match Backend::from_url(url)? {
        Backend::Sqlite => Arc::new(SqliteStore::open(url, max_connections).await?),
        Backend::Postgres => Arc::new(PostgresStore::open(url, max_connections).await?),
    })
}

/// What the room filter's text is matched against (see the `search_text` column).
fn search_text(d: &RoomDetails) -> String {
    [
        Some(d.name.as_str()),
        d.building.as_deref(),
        d.floor.as_deref(),
        Some(d.email.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
    .to_lowercase()
}

/// A LIKE pattern that matches `text` anywhere, with LIKE's wildcards taken literally.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_url_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://data/x.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("sqlite::memory:").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://h/db").unwrap(),
            Backend::Postgres
        );
        let err = Backend::from_url("mysql://h/db").unwrap_err();
        assert!(err.to_string().contains("“mysql”"), "{err}");
    }

    #[test]
    fn both_backends_have_the_same_migration_versions() {
        let versions = |m: &sqlx::migrate::Migrator| {
            m.iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect::<Vec<_>>()
        };
        let sqlite = versions(&sqlite::MIGRATOR);
        let postgres = versions(&postgres::MIGRATOR);
        assert!(!sqlite.is_empty());
        assert_eq!(
            sqlite, postgres,
            "migrations/sqlite and migrations/postgres differ"
        );
    }
}
