//! A database per test: a SQLite file in a temporary folder, or a PostgreSQL database created
//! for the test and dropped afterwards.

use sqlx::{Connection, Executor, PgConnection};

/// The variable that opts PostgreSQL tests in.
pub const POSTGRES_URL_VAR: &str = "ROOMBOOK_TEST_POSTGRES_URL";

/// The admin URL PostgreSQL tests create their databases through, if configured.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|u| !u.is_empty())
}

pub enum TestDatabase {
    Sqlite {
        url: String,
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
        admin_url: String,
        name: String,
    },
}

impl TestDatabase {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("roombook.db").display());
        Self::Sqlite { url, _dir: dir }
    }

    pub async fn postgres() -> anyhow::Result<Self> {
        let admin_url =
            postgres_admin_url().ok_or_else(|| anyhow::anyhow!("{POSTGRES_URL_VAR} is not set"))?;
        let name = format!("roombook_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url).await?;
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await?;
        let url = match admin_url.rsplit_once('/') {
            Some((base, _db))
                if base.contains("://") && base.len() > base.find("://").unwrap() + 3 =>
            {
                format!("{base}/{name}")
            }
            _ => anyhow::bail!(
                "{POSTGRES_URL_VAR} must name a database: postgres://USER@HOST:PORT/DB"
            ),
        };
        Ok(Self::Postgres {
            url,
            admin_url,
            name,
        })
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } | Self::Postgres { url, .. } => url,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres {
            admin_url, name, ..
        } = self
        {
            let (admin_url, database) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime, where we may not block: use a thread with
            // a runtime of its own.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    let mut admin = PgConnection::connect(&admin_url).await?;
                    admin
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
                        )))
                        .await?;
                    anyhow::Ok(())
                })
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("warning: could not drop test database {name}");
            }
        }
    }
}
