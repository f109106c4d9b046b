//! Sessions (`sessions`).

use super::Adapter;
use crate::Db;
use crate::rows::SessionRow;

#[async_trait::async_trait]
impl roombook_core::ports::storage::SessionStore for Adapter {
    async fn create_session(
        &self,
        s: &roombook_core::domain::Session,
    ) -> roombook_core::ports::storage::StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, tenant_id, csrf_token, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.token_hash)
        .bind(s.user_id.to_string())
        .bind(s.tenant_id.to_string())
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::Session>> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT token_hash, user_id, tenant_id, csrf_token, created_at, expires_at \
             FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(TryInto::try_into).transpose()
    }

    async fn delete_session(
        &self,
        token_hash: &str,
    ) -> roombook_core::ports::storage::StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }

    async fn delete_expired_sessions(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> roombook_core::ports::storage::StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .db()?;
        Ok(done.rows_affected())
    }
}
