//! The audit log (`audit_log`).

use super::Adapter;
use crate::Db;
use crate::rows::{AuditRow, convert};

#[async_trait::async_trait]
impl roombook_core::ports::storage::AuditLog for Adapter {
    async fn record(
        &self,
        e: &roombook_core::domain::AuditEntry,
    ) -> roombook_core::ports::storage::StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, tenant_id, actor_id, action, target, detail, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(e.id.to_string())
        .bind(e.tenant_id.to_string())
        .bind(e.actor.map(|a| a.to_string()))
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.detail)
        .bind(e.at)
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    async fn recent(
        &self,
        tenant: roombook_core::domain::TenantId,
        limit: u32,
    ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::AuditEntry>> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, tenant_id, actor_id, action, target, detail, at FROM audit_log \
             WHERE tenant_id = $1 ORDER BY at DESC, id LIMIT $2",
        )
        .bind(tenant.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .db()?;
        convert(rows)
    }
}
