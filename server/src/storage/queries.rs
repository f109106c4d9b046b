//! The SQL both adapters run, written once.
//!
//! `impl_store!` expands to the storage trait implementations for an adapter type with a
//! `pool` field; each expansion is compiled against that adapter's own sqlx driver, so a
//! statement one database cannot prepare fails that adapter's tests, not silently.
//! Parameters are numbered `$1…` in order of first use, which both drivers bind positionally.

macro_rules! impl_store {
    ($store:ty, $backend:literal) => {
        #[async_trait::async_trait]
        impl $crate::storage::TenantStore for $store {
            async fn create_tenant(
                &self,
                slug: &str,
                name: &str,
            ) -> $crate::storage::StoreResult<$crate::domain::Tenant> {
                let row: TenantRow = sqlx::query_as(
                    "INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4) \
                     RETURNING id, slug, name, created_at",
                )
                .bind($crate::domain::TenantId::new().to_string())
                .bind(slug)
                .bind(name)
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?;
                row.try_into()
            }

            async fn tenant_by_slug(
                &self,
                slug: &str,
            ) -> $crate::storage::StoreResult<Option<$crate::domain::Tenant>> {
                let row: Option<TenantRow> =
                    sqlx::query_as("SELECT id, slug, name, created_at FROM tenants WHERE slug = $1")
                        .bind(slug)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn tenant(
                &self,
                id: $crate::domain::TenantId,
            ) -> $crate::storage::StoreResult<Option<$crate::domain::Tenant>> {
                let row: Option<TenantRow> =
                    sqlx::query_as("SELECT id, slug, name, created_at FROM tenants WHERE id = $1")
                        .bind(id.to_string())
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn list_tenants(
                &self,
            ) -> $crate::storage::StoreResult<Vec<$crate::domain::Tenant>> {
                let rows: Vec<TenantRow> = sqlx::query_as(
                    "SELECT id, slug, name, created_at FROM tenants ORDER BY created_at, slug",
                )
                .fetch_all(&self.pool)
                .await?;
                convert(rows)
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::ConnectionStore for $store {
            async fn save_connection(
                &self,
                c: &$crate::domain::ExchangeConnection,
            ) -> $crate::storage::StoreResult<()> {
                let error = c.last_error.as_ref();
                sqlx::query(
                    "INSERT INTO exchange_connections (tenant_id, mode, ews_url, identity, \
                     directory_tenant, secret_name, secret_version, rooms_only, last_success_at, \
                     last_error, last_error_class, last_error_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT (tenant_id) DO UPDATE SET mode = excluded.mode, \
                     ews_url = excluded.ews_url, identity = excluded.identity, \
                     directory_tenant = excluded.directory_tenant, \
                     secret_name = excluded.secret_name, secret_version = excluded.secret_version, \
                     rooms_only = excluded.rooms_only, last_success_at = excluded.last_success_at, \
                     last_error = excluded.last_error, last_error_class = excluded.last_error_class, \
                     last_error_at = excluded.last_error_at, updated_at = excluded.updated_at",
                )
                .bind(c.tenant_id.to_string())
                .bind(c.mode.as_str())
                .bind(&c.ews_url)
                .bind(&c.identity)
                .bind(&c.directory_tenant)
                .bind(c.secret.as_ref().map(|s| s.name.clone()))
                .bind(c.secret.as_ref().and_then(|s| s.version.clone()))
                .bind(c.rooms_only)
                .bind(c.last_success_at)
                .bind(error.map(|e| e.message.clone()))
                .bind(error.map(|e| e.class.clone()))
                .bind(error.map(|e| e.at))
                .bind(c.updated_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn connection(
                &self,
                tenant: $crate::domain::TenantId,
            ) -> $crate::storage::StoreResult<Option<$crate::domain::ExchangeConnection>> {
                let row: Option<ConnectionRow> = sqlx::query_as(
                    "SELECT tenant_id, mode, ews_url, identity, directory_tenant, secret_name, \
                     secret_version, rooms_only, last_success_at, last_error, last_error_class, \
                     last_error_at, updated_at FROM exchange_connections WHERE tenant_id = $1",
                )
                .bind(tenant.to_string())
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::RoomStore for $store {
            async fn upsert_room(
                &self,
                tenant: $crate::domain::TenantId,
                details: &$crate::domain::RoomDetails,
            ) -> $crate::storage::StoreResult<$crate::domain::Room> {
                let d = details.clone().normalised();
                let equipment = serde_json::to_string(&d.equipment)
                    .map_err(|e| $crate::storage::StoreError::Internal(Box::new(e)))?;
                let row: RoomRow = sqlx::query_as(
                    "INSERT INTO rooms (id, tenant_id, email, name, capacity, building, floor, \
                     equipment, wheelchair_accessible, search_text, active, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, TRUE, $11, $11) \
                     ON CONFLICT (tenant_id, email) DO UPDATE SET name = excluded.name, \
                     capacity = excluded.capacity, building = excluded.building, \
                     floor = excluded.floor, equipment = excluded.equipment, \
                     wheelchair_accessible = excluded.wheelchair_accessible, \
                     search_text = excluded.search_text, active = TRUE, \
                     updated_at = excluded.updated_at \
                     RETURNING id, tenant_id, email, name, capacity, building, floor, equipment, \
                     wheelchair_accessible, active, created_at, updated_at",
                )
                .bind($crate::domain::RoomId::new().to_string())
                .bind(tenant.to_string())
                .bind(&d.email)
                .bind(&d.name)
                .bind(d.capacity.map(i64::from))
                .bind(&d.building)
                .bind(&d.floor)
                .bind(equipment)
                .bind(d.wheelchair_accessible)
                .bind($crate::storage::search_text(&d))
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?;
                row.try_into()
            }

            async fn find_rooms(
                &self,
                tenant: $crate::domain::TenantId,
                query: &roombook_shared::RoomQuery,
            ) -> $crate::storage::StoreResult<Vec<$crate::domain::Room>> {
                let rows: Vec<RoomRow> = sqlx::query_as(
                    "SELECT id, tenant_id, email, name, capacity, building, floor, equipment, \
                     wheelchair_accessible, active, created_at, updated_at FROM rooms \
                     WHERE tenant_id = $1 AND active = TRUE \
                     AND search_text LIKE $2 ESCAPE '\\' \
                     AND capacity >= $3 \
                     ORDER BY name, email",
                )
                .bind(tenant.to_string())
                .bind($crate::storage::like_pattern(&query.text))
                .bind(i64::from(query.min_capacity.unwrap_or(0)))
                .fetch_all(&self.pool)
                .await?;
                // Rooms without a capacity are listed only when no head count was asked for.
                let rows = if query.min_capacity.is_none() {
                    let mut all = rows;
                    all.extend(
                        sqlx::query_as::<_, RoomRow>(
                            "SELECT id, tenant_id, email, name, capacity, building, floor, \
                             equipment, wheelchair_accessible, active, created_at, updated_at \
                             FROM rooms WHERE tenant_id = $1 AND active = TRUE \
                             AND search_text LIKE $2 ESCAPE '\\' AND capacity IS NULL",
                        )
                        .bind(tenant.to_string())
                        .bind($crate::storage::like_pattern(&query.text))
                        .fetch_all(&self.pool)
                        .await?,
                    );
                    all
                } else {
                    rows
                };
                let mut rooms: Vec<$crate::domain::Room> = convert(rows)?;
                $crate::storage::order_rooms(&mut rooms, query);
                Ok(rooms)
            }

            async fn set_room_active(
                &self,
                tenant: $crate::domain::TenantId,
                email: &str,
                active: bool,
            ) -> $crate::storage::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE rooms SET active = $1, updated_at = $2 WHERE tenant_id = $3 AND email = $4",
                )
                .bind(active)
                .bind(chrono::Utc::now())
                .bind(tenant.to_string())
                .bind(email.trim().to_lowercase())
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::storage::StoreError::NotFound);
                }
                Ok(())
            }

            async fn count_rooms(
                &self,
                tenant: $crate::domain::TenantId,
            ) -> $crate::storage::StoreResult<$crate::domain::RoomCounts> {
                let row: RoomCountsRow = sqlx::query_as(
                    "SELECT COALESCE(SUM(CASE WHEN active THEN 1 ELSE 0 END), 0) AS active, \
                     COALESCE(SUM(CASE WHEN active THEN 0 ELSE 1 END), 0) AS inactive \
                     FROM rooms WHERE tenant_id = $1",
                )
                .bind(tenant.to_string())
                .fetch_one(&self.pool)
                .await?;
                let count = |n: i64| {
                    u32::try_from(n).map_err(|_| {
                        $crate::storage::StoreError::Corrupt("room count out of range".into())
                    })
                };
                Ok($crate::domain::RoomCounts {
                    active: count(row.active)?,
                    inactive: count(row.inactive)?,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::UserStore for $store {
            async fn upsert_user(
                &self,
                u: &$crate::domain::User,
            ) -> $crate::storage::StoreResult<$crate::domain::User> {
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
                .await?;
                row.try_into()
            }

            async fn user(
                &self,
                tenant: $crate::domain::TenantId,
                id: $crate::domain::UserId,
            ) -> $crate::storage::StoreResult<Option<$crate::domain::User>> {
                let row: Option<UserRow> = sqlx::query_as(
                    "SELECT id, tenant_id, subject, email, display_name, role, created_at, \
                     last_seen_at FROM users WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::SessionStore for $store {
            async fn create_session(
                &self,
                s: &$crate::domain::Session,
            ) -> $crate::storage::StoreResult<()> {
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
                .await?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StoreResult<Option<$crate::domain::Session>> {
                let row: Option<SessionRow> = sqlx::query_as(
                    "SELECT token_hash, user_id, tenant_id, csrf_token, created_at, expires_at \
                     FROM sessions WHERE token_hash = $1 AND expires_at > $2",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn delete_session(&self, token_hash: &str) -> $crate::storage::StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_expired_sessions(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::storage::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::AuditLog for $store {
            async fn record(
                &self,
                e: &$crate::domain::AuditEntry,
            ) -> $crate::storage::StoreResult<()> {
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
                .await?;
                Ok(())
            }

            async fn recent(
                &self,
                tenant: $crate::domain::TenantId,
                limit: u32,
            ) -> $crate::storage::StoreResult<Vec<$crate::domain::AuditEntry>> {
                let rows: Vec<AuditRow> = sqlx::query_as(
                    "SELECT id, tenant_id, actor_id, action, target, detail, at FROM audit_log \
                     WHERE tenant_id = $1 ORDER BY at DESC, id LIMIT $2",
                )
                .bind(tenant.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                convert(rows)
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::Store for $store {
            async fn ping(&self) -> $crate::storage::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            fn backend(&self) -> &'static str {
                $backend
            }
        }
    };
}

pub(super) use impl_store;
