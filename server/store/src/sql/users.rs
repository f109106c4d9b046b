//! People and their roles (`users`), with the first-admin and last-admin rules' counts.

use super::Adapter;
use crate::Db;
use crate::rows::{UserRow, convert};

#[async_trait::async_trait]
impl roombook_core::ports::storage::UserStore for Adapter {
    async fn upsert_user(
        &self,
        u: &roombook_core::domain::User,
    ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::User> {
        let row: UserRow = sqlx::query_as(
            "INSERT INTO users (id, tenant_id, subject, email, display_name, role, \
             created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id, subject) DO UPDATE SET email = excluded.email, \
             display_name = excluded.display_name, last_seen_at = excluded.last_seen_at \
             RETURNING id, tenant_id, subject, email, display_name, role, created_at, \
             last_seen_at",
        )
        .bind(u.id.to_string())
        .bind(u.tenant_id.to_string())
        .bind(&u.subject)
        .bind(&u.email)
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(u.created_at)
        .bind(u.last_seen_at)
        .fetch_one(&self.pool)
        .await
        .db()?;
        row.try_into()
    }

    async fn user(
        &self,
        tenant: roombook_core::domain::TenantId,
        id: roombook_core::domain::UserId,
    ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::User>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, tenant_id, subject, email, display_name, role, created_at, \
             last_seen_at FROM users WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .db()?;
        row.map(TryInto::try_into).transpose()
    }

    async fn users(
        &self,
        tenant: roombook_core::domain::TenantId,
    ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::User>> {
        let rows: Vec<UserRow> = sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE tenant_id = $1 ORDER BY role, display_name, email"
        ))
        .bind(tenant.to_string())
        .fetch_all(&self.pool)
        .await
        .db()?;
        convert(rows)
    }

    async fn set_role(
        &self,
        tenant: roombook_core::domain::TenantId,
        id: roombook_core::domain::UserId,
        role: roombook_core::domain::Role,
    ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::RoleChange> {
        let mut tx = self.pool.begin().await.db()?;
        lock_tenant!(tenant, &mut *tx);
        let current: Option<String> =
            sqlx::query_scalar("SELECT role FROM users WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.to_string())
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .db()?;
        let Some(current) = current else {
            return Err(roombook_core::ports::storage::StoreError::NotFound);
        };
        if role == roombook_core::domain::Role::Employee
            && current == roombook_core::domain::Role::Admin.as_str()
            && count_admins!(tenant, &mut *tx) <= 1
        {
            return Ok(roombook_core::domain::RoleChange::LastAdmin);
        }
        sqlx::query("UPDATE users SET role = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(role.as_str())
            .bind(tenant.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(roombook_core::domain::RoleChange::Changed)
    }

    async fn admit_user(
        &self,
        u: &roombook_core::domain::User,
        proven_admin: bool,
    ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::Admit> {
        let mut tx = self.pool.begin().await.db()?;
        lock_tenant!(u.tenant_id, &mut *tx);
        let first_admin = count_admins!(u.tenant_id, &mut *tx) == 0;
        if first_admin && !proven_admin {
            return Ok(roombook_core::domain::Admit::AwaitingAdmin);
        }
        let others: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND email = $2 \
             AND subject <> $3",
        )
        .bind(u.tenant_id.to_string())
        .bind(&u.email)
        .bind(&u.subject)
        .fetch_one(&mut *tx)
        .await
        .db()?;
        if others > 0 {
            return Ok(roombook_core::domain::Admit::MailboxOfAnother);
        }
        let role = if first_admin {
            roombook_core::domain::Role::Admin
        } else {
            roombook_core::domain::Role::Employee
        };
        // A returning person keeps their role, except that the first admin's proof
        // promotes them.
        let row: UserRow = sqlx::query_as(concat!(
            "INSERT INTO users (id, tenant_id, subject, email, display_name, role, \
             created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id, subject) DO UPDATE SET email = excluded.email, \
             display_name = excluded.display_name, last_seen_at = excluded.last_seen_at, \
             role = CASE WHEN $9 THEN excluded.role ELSE users.role END RETURNING ",
            user_columns!()
        ))
        .bind(u.id.to_string())
        .bind(u.tenant_id.to_string())
        .bind(&u.subject)
        .bind(&u.email)
        .bind(&u.display_name)
        .bind(role.as_str())
        .bind(u.created_at)
        .bind(u.last_seen_at)
        .bind(first_admin)
        .fetch_one(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(roombook_core::domain::Admit::In(
            roombook_core::domain::Admission {
                user: row.try_into()?,
                first_admin,
            },
        ))
    }
}
