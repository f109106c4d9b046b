//! Each organisation's Exchange connection (`connections`).

use super::Adapter;
use crate::Db;
use crate::rows::{ConnectionRow, convert};

#[async_trait::async_trait]
impl roombook_core::ports::storage::ConnectionStore for Adapter {
    async fn save_connection(
        &self,
        c: &roombook_core::domain::ExchangeConnection,
    ) -> roombook_core::ports::storage::StoreResult<()> {
        let error = c.last_error.as_ref();
        sqlx::query(
            "INSERT INTO exchange_connections (tenant_id, mode, ews_url, identity, \
             directory_tenant, secret_name, secret_version, rooms_only, status, \
             check_address, consent_at, next_check_at, password_failures, \
             certificate_expires_at, last_success_at, last_error, last_error_class, \
             last_error_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19) \
             ON CONFLICT (tenant_id) DO UPDATE SET mode = excluded.mode, \
             ews_url = excluded.ews_url, identity = excluded.identity, \
             directory_tenant = excluded.directory_tenant, \
             secret_name = excluded.secret_name, secret_version = excluded.secret_version, \
             rooms_only = excluded.rooms_only, status = excluded.status, \
             check_address = excluded.check_address, consent_at = excluded.consent_at, \
             next_check_at = excluded.next_check_at, \
             password_failures = excluded.password_failures, \
             certificate_expires_at = excluded.certificate_expires_at, \
             last_success_at = excluded.last_success_at, \
             last_error = excluded.last_error, last_error_class = excluded.last_error_class, \
             last_error_at = excluded.last_error_at, updated_at = excluded.updated_at",
        )
        .bind(c.tenant_id.to_string())
        .bind(c.backend.mode().as_str())
        .bind(c.backend.endpoint())
        .bind(c.backend.identity())
        .bind(c.backend.directory())
        .bind(c.backend.password().map(|s| s.name.clone()))
        .bind(c.backend.password().and_then(|s| s.version.clone()))
        .bind(c.rooms_only)
        .bind(c.status.as_str())
        .bind(&c.check_address)
        .bind(c.consent_at)
        .bind(c.next_check_at)
        .bind(i64::from(c.password_failures))
        .bind(c.certificate_expires_at)
        .bind(c.last_success_at)
        .bind(error.map(|e| e.message.clone()))
        .bind(error.map(|e| e.class.clone()))
        .bind(error.map(|e| e.at))
        .bind(c.updated_at)
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn connection(
        &self,
        tenant: roombook_core::domain::TenantId,
    ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::ExchangeConnection>>
    {
        let row: Option<ConnectionRow> = sqlx::query_as(concat!(
            "SELECT ",
            connection_columns!(),
            " FROM exchange_connections WHERE tenant_id = $1"
        ))
        .bind(tenant.to_string())
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(TryInto::try_into).transpose()
    }

    async fn connections_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::ExchangeConnection>>
    {
        let rows: Vec<ConnectionRow> = sqlx::query_as(concat!(
            "SELECT ",
            connection_columns!(),
            " FROM exchange_connections WHERE next_check_at IS NOT NULL \
              AND next_check_at <= $1 ORDER BY next_check_at"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .db()?;
        convert(rows)
    }
}
