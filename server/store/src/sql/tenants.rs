//! Organisations (`tenants`).

use super::Adapter;
use crate::Db;
use crate::rows::{TenantRow, convert};

#[async_trait::async_trait]
impl roombook_core::ports::storage::TenantStore for Adapter {
    async fn create_tenant(
        &self,
        slug: &str,
        name: &str,
    ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::Tenant> {
        let row: TenantRow = sqlx::query_as(concat!(
            "INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4) \
                 RETURNING ",
            tenant_columns!()
        ))
        .bind(roombook_core::domain::TenantId::new().to_string())
        .bind(slug)
        .bind(name)
        .bind(chrono::Utc::now())
        .fetch_one(&self.pool)
        .await
        .db()?;
        row.try_into()
    }

    async fn tenant_by_slug(
        &self,
        slug: &str,
    ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::Tenant>> {
        let row: Option<TenantRow> = sqlx::query_as(concat!(
            "SELECT ",
            tenant_columns!(),
            " FROM tenants WHERE slug = $1"
        ))
        .bind(slug)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(TryInto::try_into).transpose()
    }

    async fn tenant(
        &self,
        id: roombook_core::domain::TenantId,
    ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::Tenant>> {
        let row: Option<TenantRow> = sqlx::query_as(concat!(
            "SELECT ",
            tenant_columns!(),
            " FROM tenants WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(TryInto::try_into).transpose()
    }

    async fn list_tenants(
        &self,
    ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::Tenant>> {
        let rows: Vec<TenantRow> = sqlx::query_as(concat!(
            "SELECT ",
            tenant_columns!(),
            " FROM tenants ORDER BY created_at, slug"
        ))
        .fetch_all(&self.pool)
        .await
        .db()?;
        convert(rows)
    }

    async fn tenant_by_directory(
        &self,
        directory_id: &str,
    ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::Tenant>> {
        let row: Option<TenantRow> = sqlx::query_as(concat!(
            "SELECT ",
            tenant_columns!(),
            " FROM tenants WHERE directory_id = $1"
        ))
        .bind(directory_id)
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(TryInto::try_into).transpose()
    }

    async fn set_identity_provider(
        &self,
        id: roombook_core::domain::TenantId,
        provider: Option<&roombook_core::domain::IdentityProvider>,
    ) -> roombook_core::ports::storage::StoreResult<()> {
        let secret = provider.and_then(|p| p.secret.as_ref());
        let done = sqlx::query(
            "UPDATE tenants SET oidc_issuer = $1, oidc_client_id = $2, \
             oidc_secret_name = $3, oidc_secret_version = $4 WHERE id = $5",
        )
        .bind(provider.map(|p| p.issuer.clone()))
        .bind(provider.map(|p| p.client_id.clone()))
        .bind(secret.map(|s| s.name.clone()))
        .bind(secret.and_then(|s| s.version.clone()))
        .bind(id.to_string())
        .execute(&self.pool)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(roombook_core::ports::storage::StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_tenant_directory(
        &self,
        id: roombook_core::domain::TenantId,
        directory_id: &str,
    ) -> roombook_core::ports::storage::StoreResult<()> {
        let done = sqlx::query("UPDATE tenants SET directory_id = $1 WHERE id = $2")
            .bind(directory_id)
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .db()?;
        if done.rows_affected() == 0 {
            return Err(roombook_core::ports::storage::StoreError::NotFound);
        }
        Ok(())
    }
}
