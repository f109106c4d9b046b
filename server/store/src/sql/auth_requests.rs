//! Sign-in and consent requests in flight (`auth_requests`).

use super::Adapter;
use crate::Db;
use crate::rows::AuthRequestRow;

#[async_trait::async_trait]
impl roombook_core::ports::storage::AuthRequestStore for Adapter {
    async fn create_auth_request(
        &self,
        r: &roombook_core::domain::AuthRequest,
    ) -> roombook_core::ports::storage::StoreResult<()> {
        // Expired requests are cleared as new ones come in (and by the sweep).
        insert_auth_request!(r, &self.pool);
        Ok(())
    }

    async fn take_auth_request(
        &self,
        state_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::AuthRequest>>
    {
        let row: Option<AuthRequestRow> = sqlx::query_as(
            "DELETE FROM auth_requests WHERE state_hash = $1 RETURNING state_hash, \
             purpose, nonce, pkce_verifier, session_hash, tenant_id, return_to, \
             created_at, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        let request: Option<roombook_core::domain::AuthRequest> =
            row.map(TryInto::try_into).transpose()?;
        Ok(request.filter(|r| r.expires_at > now))
    }

    async fn create_consent_request(
        &self,
        r: &roombook_core::domain::AuthRequest,
        pending: &roombook_core::domain::PendingConsent,
    ) -> roombook_core::ports::storage::StoreResult<()> {
        let mut tx = self.pool.begin().await.db()?;
        insert_auth_request!(r, &mut *tx);
        sqlx::query(
            "INSERT INTO pending_consents (state_hash, check_address, rooms_only) \
             VALUES ($1, $2, $3)",
        )
        .bind(&r.state_hash)
        .bind(&pending.check_address)
        .bind(pending.rooms_only)
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(())
    }

    async fn take_consent_request(
        &self,
        state_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> roombook_core::ports::storage::StoreResult<
        Option<(
            roombook_core::domain::AuthRequest,
            roombook_core::domain::PendingConsent,
        )>,
    > {
        let mut tx = self.pool.begin().await.db()?;
        let pending: Option<(String, bool)> = sqlx::query_as(
            "DELETE FROM pending_consents WHERE state_hash = $1 \
             RETURNING check_address, rooms_only",
        )
        .bind(state_hash)
        .fetch_optional(&mut *tx)
        .await
        .db()?;
        let row: Option<AuthRequestRow> = sqlx::query_as(
            "DELETE FROM auth_requests WHERE state_hash = $1 RETURNING state_hash, \
             purpose, nonce, pkce_verifier, session_hash, tenant_id, return_to, \
             created_at, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        let request: Option<roombook_core::domain::AuthRequest> =
            row.map(TryInto::try_into).transpose()?;
        Ok(request.filter(|r| r.expires_at > now).zip(pending.map(
            |(check_address, rooms_only)| roombook_core::domain::PendingConsent {
                check_address,
                rooms_only,
            },
        )))
    }

    async fn count_auth_requests(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> roombook_core::ports::storage::StoreResult<u64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM auth_requests WHERE expires_at > $1")
                .bind(now)
                .fetch_one(&self.pool)
                .await
                .db()?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn delete_expired_auth_requests(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> roombook_core::ports::storage::StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM auth_requests WHERE state_hash IN (SELECT state_hash \
             FROM auth_requests WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)",
        )
        .bind(now)
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await
        .db()?;
        Ok(done.rows_affected())
    }
}
