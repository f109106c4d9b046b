//! The SQL both adapters run, written once.
//!
//! `impl_store!` expands to the storage trait implementations for an adapter type with a
//! `pool` field; each expansion is compiled against that adapter's own sqlx driver, so a
//! statement one database cannot prepare fails that adapter's tests, not silently.
//! Parameters are numbered `$1…` in order of first use, which both drivers bind positionally.

/// Clears expired auth requests and inserts `r`, on `exec` (the pool or a transaction).
macro_rules! insert_auth_request {
    ($r:expr, $exec:expr) => {{
        let r = $r;
        sqlx::query("DELETE FROM auth_requests WHERE expires_at <= $1")
            .bind(r.created_at)
            .execute($exec)
            .await
            .db()?;
        sqlx::query(
            "INSERT INTO auth_requests (state_hash, purpose, nonce, pkce_verifier, \
             session_hash, tenant_id, return_to, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&r.state_hash)
        .bind(r.purpose.as_str())
        .bind(&r.nonce)
        .bind(&r.pkce_verifier)
        .bind(&r.session_hash)
        .bind(r.tenant_id.map(|t| t.to_string()))
        .bind(&r.return_to)
        .bind(r.created_at)
        .bind(r.expires_at)
        .execute($exec)
        .await
        .db()?;
    }};
}

macro_rules! tenant_columns {
    () => {
        "id, slug, name, directory_id, oidc_issuer, oidc_client_id, oidc_secret_name, \
         oidc_secret_version, created_at"
    };
}

macro_rules! connection_columns {
    () => {
        "tenant_id, mode, ews_url, identity, directory_tenant, secret_name, secret_version, \
         rooms_only, status, check_address, consent_at, next_check_at, password_failures, \
         certificate_expires_at, last_success_at, last_error, last_error_class, last_error_at, \
         updated_at"
    };
}

macro_rules! room_columns {
    () => {
        "id, tenant_id, email, name, capacity, building, floor, equipment, \
         wheelchair_accessible, room_list, booking_window_days, max_duration_minutes, \
         display_subjects, time_zone, active, edited, created_at, updated_at"
    };
}

macro_rules! booking_columns {
    () => {
        "id, tenant_id, user_id, room_id, idempotency_key, uid, subject, note, attendees, \
         start_at, end_at, time_zone, status, reason, calendar, item_id, change_key, created_at, \
         updated_at"
    };
}

/// Takes the tenant's row lock for the rest of the transaction: PostgreSQL serialises on the
/// row lock, SQLite takes its write lock at the first write. Rules that count and then write
/// (the first admin, the last admin) run with no other such change of the tenant in between.
macro_rules! lock_tenant {
    ($tenant:expr, $exec:expr) => {{
        let locked = sqlx::query("UPDATE tenants SET slug = slug WHERE id = $1")
            .bind($tenant.to_string())
            .execute($exec)
            .await
            .db()?;
        if locked.rows_affected() == 0 {
            return Err(roombook_core::ports::storage::StoreError::NotFound);
        }
    }};
}

macro_rules! count_admins {
    ($tenant:expr, $exec:expr) => {{
        let admins: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role = 'admin'",
        )
        .bind($tenant.to_string())
        .fetch_one($exec)
        .await
        .db()?;
        admins
    }};
}

macro_rules! user_columns {
    () => {
        "id, tenant_id, subject, email, display_name, role, created_at, last_seen_at"
    };
}

/// Bookings of the room (`$2`) other than `$3` holding a slot that overlaps `$5..$4`. A booking
/// still `sending` or `unknown` holds it until Exchange says whether the meeting exists.
macro_rules! overlap_check {
    () => {
        "SELECT COUNT(*) FROM bookings WHERE tenant_id = $1 AND room_id = $2 AND id <> $3 \
         AND start_at < $4 AND end_at > $5 \
         AND status IN ('sending', 'unknown', 'waiting', 'accepted')"
    };
}

macro_rules! impl_store {
    ($store:ty, $backend:literal) => {
        #[async_trait::async_trait]
        impl roombook_core::ports::storage::TenantStore for $store {
            async fn create_tenant(
                &self,
                slug: &str,
                name: &str,
            ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::Tenant> {
                let row: TenantRow = sqlx::query_as(
                    concat!(
                        "INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4) \
                         RETURNING ",
                        tenant_columns!()
                    ),
                )
                .bind(roombook_core::domain::TenantId::new().to_string())
                .bind(slug)
                .bind(name)
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await.db()?;
                row.try_into()
            }

            async fn tenant_by_slug(
                &self,
                slug: &str,
            ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::Tenant>> {
                let row: Option<TenantRow> =
                    sqlx::query_as(concat!("SELECT ", tenant_columns!(), " FROM tenants WHERE slug = $1"))
                        .bind(slug)
                        .fetch_optional(&self.pool)
                        .await.db()?;
                row.map(TryInto::try_into).transpose()
            }

            async fn tenant(
                &self,
                id: roombook_core::domain::TenantId,
            ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::Tenant>> {
                let row: Option<TenantRow> =
                    sqlx::query_as(concat!("SELECT ", tenant_columns!(), " FROM tenants WHERE id = $1"))
                        .bind(id.to_string())
                        .fetch_optional(&self.pool)
                        .await.db()?;
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
                .await.db()?;
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
                .await.db()?;
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
                .await.db()?;
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
                    .await.db()?;
                if done.rows_affected() == 0 {
                    return Err(roombook_core::ports::storage::StoreError::NotFound);
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl roombook_core::ports::storage::ConnectionStore for $store {
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
                .await.db()?;
                Ok(())
            }

            async fn connection(
                &self,
                tenant: roombook_core::domain::TenantId,
            ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::ExchangeConnection>> {
                let row: Option<ConnectionRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    connection_columns!(),
                    " FROM exchange_connections WHERE tenant_id = $1"
                ))
                .bind(tenant.to_string())
                .fetch_optional(&self.pool)
                .await.db()?;
                row.map(TryInto::try_into).transpose()
            }

            async fn connections_due(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::ExchangeConnection>> {
                let rows: Vec<ConnectionRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    connection_columns!(),
                    " FROM exchange_connections WHERE next_check_at IS NOT NULL \
                      AND next_check_at <= $1 ORDER BY next_check_at"
                ))
                .bind(now)
                .fetch_all(&self.pool)
                .await.db()?;
                convert(rows)
            }
        }

        #[async_trait::async_trait]
        impl roombook_core::ports::storage::RoomStore for $store {
            async fn upsert_room(
                &self,
                tenant: roombook_core::domain::TenantId,
                details: &roombook_core::domain::RoomDetails,
            ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::Room> {
                let d = details.clone().normalised();
                let equipment = serde_json::to_string(&d.equipment)
                    .map_err(|e| roombook_core::ports::storage::StoreError::Internal(Box::new(e)))?;
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
                     wheelchair_accessible, room_list, booking_window_days, \
                     max_duration_minutes, display_subjects, time_zone, active, edited, \
                     created_at, updated_at",
                )
                .bind(roombook_core::domain::RoomId::new().to_string())
                .bind(tenant.to_string())
                .bind(&d.email)
                .bind(&d.name)
                .bind(d.capacity.map(i64::from))
                .bind(&d.building)
                .bind(&d.floor)
                .bind(equipment)
                .bind(d.wheelchair_accessible)
                .bind($crate::search_text(&d))
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await.db()?;
                row.try_into()
            }

            async fn rooms_matching(
                &self,
                tenant: roombook_core::domain::TenantId,
                text: &str,
            ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::Room>> {
                let rows: Vec<RoomRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    room_columns!(),
                    " FROM rooms WHERE tenant_id = $1 AND active = TRUE \
                      AND search_text LIKE $2 ESCAPE '\\' ORDER BY name, email"
                ))
                .bind(tenant.to_string())
                .bind($crate::like_pattern(text))
                .fetch_all(&self.pool)
                .await.db()?;
                convert(rows)
            }

            async fn set_room_active(
                &self,
                tenant: roombook_core::domain::TenantId,
                email: &str,
                active: bool,
            ) -> roombook_core::ports::storage::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE rooms SET active = $1, updated_at = $2 WHERE tenant_id = $3 AND email = $4",
                )
                .bind(active)
                .bind(chrono::Utc::now())
                .bind(tenant.to_string())
                .bind(email.trim().to_lowercase())
                .execute(&self.pool)
                .await.db()?;
                if done.rows_affected() == 0 {
                    return Err(roombook_core::ports::storage::StoreError::NotFound);
                }
                Ok(())
            }

            async fn count_rooms(
                &self,
                tenant: roombook_core::domain::TenantId,
            ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::RoomCounts> {
                let row: RoomCountsRow = sqlx::query_as(
                    "SELECT COALESCE(SUM(CASE WHEN active THEN 1 ELSE 0 END), 0) AS active, \
                     COALESCE(SUM(CASE WHEN active THEN 0 ELSE 1 END), 0) AS inactive \
                     FROM rooms WHERE tenant_id = $1",
                )
                .bind(tenant.to_string())
                .fetch_one(&self.pool)
                .await.db()?;
                let count = |n: i64| {
                    u32::try_from(n).map_err(|_| {
                        roombook_core::ports::storage::StoreError::Corrupt("room count out of range".into())
                    })
                };
                Ok(roombook_core::domain::RoomCounts {
                    active: count(row.active)?,
                    inactive: count(row.inactive)?,
                })
            }

            async fn room(
                &self,
                tenant: roombook_core::domain::TenantId,
                id: roombook_core::domain::RoomId,
            ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::Room>> {
                let row: Option<RoomRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    room_columns!(),
                    " FROM rooms WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await.db()?;
                row.map(TryInto::try_into).transpose()
            }

            async fn all_rooms(
                &self,
                tenant: roombook_core::domain::TenantId,
            ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::Room>> {
                let rows: Vec<RoomRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    room_columns!(),
                    " FROM rooms WHERE tenant_id = $1 ORDER BY active DESC, name, email"
                ))
                .bind(tenant.to_string())
                .fetch_all(&self.pool)
                .await.db()?;
                convert(rows)
            }

            async fn update_room_settings(
                &self,
                tenant: roombook_core::domain::TenantId,
                id: roombook_core::domain::RoomId,
                settings: &roombook_core::domain::RoomSettings,
            ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::Room> {
                let Some(current) = roombook_core::ports::storage::RoomStore::room(self, tenant, id).await?
                else {
                    return Err(roombook_core::ports::storage::StoreError::NotFound);
                };
                let details = roombook_core::domain::RoomDetails {
                    email: current.email.clone(),
                    name: current.name.clone(),
                    capacity: settings.capacity,
                    building: settings.building.clone(),
                    floor: settings.floor.clone(),
                    equipment: settings.equipment.clone(),
                    wheelchair_accessible: settings.wheelchair_accessible,
                };
                let equipment = serde_json::to_string(&settings.equipment)
                    .map_err(|e| roombook_core::ports::storage::StoreError::Internal(Box::new(e)))?;
                let row: RoomRow = sqlx::query_as(concat!(
                    "UPDATE rooms SET capacity = $1, building = $2, floor = $3, equipment = $4, \
                     wheelchair_accessible = $5, booking_window_days = $6, \
                     max_duration_minutes = $7, display_subjects = $8, search_text = $9, \
                     edited = TRUE, updated_at = $10, time_zone = $13 \
                     WHERE tenant_id = $11 AND id = $12 RETURNING ",
                    room_columns!()
                ))
                .bind(settings.capacity.map(i64::from))
                .bind(&settings.building)
                .bind(&settings.floor)
                .bind(equipment)
                .bind(settings.wheelchair_accessible)
                .bind(settings.booking_window_days.map(i64::from))
                .bind(settings.max_duration_minutes.map(i64::from))
                .bind(settings.display_subjects)
                .bind($crate::search_text(&details))
                .bind(chrono::Utc::now())
                .bind(tenant.to_string())
                .bind(id.to_string())
                .bind(&settings.time_zone)
                .fetch_one(&self.pool)
                .await.db()?;
                row.try_into()
            }

            async fn import_rooms(
                &self,
                tenant: roombook_core::domain::TenantId,
                rooms: &[roombook_core::domain::ImportedRoom],
            ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::ImportSummary> {
                let now = chrono::Utc::now();
                let mut summary = roombook_core::domain::ImportSummary::default();
                let mut tx = self.pool.begin().await.db()?;
                let existing: Vec<RoomRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    room_columns!(),
                    " FROM rooms WHERE tenant_id = $1"
                ))
                .bind(tenant.to_string())
                .fetch_all(&mut *tx)
                .await.db()?;
                let existing: Vec<roombook_core::domain::Room> = convert(existing)?;
                let mut listed = std::collections::HashSet::new();
                for imported in rooms {
                    let email = imported.email.trim().to_lowercase();
                    if email.is_empty() || !listed.insert(email.clone()) {
                        continue;
                    }
                    let name = if imported.name.trim().is_empty() {
                        email.clone()
                    } else {
                        imported.name.trim().to_owned()
                    };
                    match existing.iter().find(|r| r.email == email) {
                        None => {
                            // A new room: the room list (usually a building) is its building
                            // until an admin says otherwise.
                            let details = roombook_core::domain::RoomDetails {
                                email: email.clone(),
                                name: name.clone(),
                                building: imported.room_list.clone(),
                                ..Default::default()
                            };
                            sqlx::query(
                                "INSERT INTO rooms (id, tenant_id, email, name, building, \
                                 room_list, search_text, active, created_at, updated_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8, $8)",
                            )
                            .bind(roombook_core::domain::RoomId::new().to_string())
                            .bind(tenant.to_string())
                            .bind(&email)
                            .bind(&name)
                            .bind(&imported.room_list)
                            .bind(&imported.room_list)
                            .bind($crate::search_text(&details))
                            .bind(now)
                            .execute(&mut *tx)
                            .await.db()?;
                            summary.added += 1;
                        }
                        Some(room) => {
                            if room.active && room.name == name && room.room_list == imported.room_list {
                                summary.unchanged += 1;
                                continue;
                            }
                            if room.active {
                                summary.unchanged += 1;
                            } else {
                                summary.reactivated += 1;
                            }
                            let details = roombook_core::domain::RoomDetails {
                                email: email.clone(),
                                name: name.clone(),
                                capacity: room.capacity,
                                building: room.building.clone(),
                                floor: room.floor.clone(),
                                equipment: room.equipment.clone(),
                                wheelchair_accessible: room.wheelchair_accessible,
                            };
                            sqlx::query(
                                "UPDATE rooms SET name = $1, room_list = $2, active = TRUE, \
                                 search_text = $3, updated_at = $4 WHERE tenant_id = $5 AND id = $6",
                            )
                            .bind(&name)
                            .bind(&imported.room_list)
                            .bind($crate::search_text(&details))
                            .bind(now)
                            .bind(tenant.to_string())
                            .bind(room.id.to_string())
                            .execute(&mut *tx)
                            .await.db()?;
                        }
                    }
                }
                for room in existing.iter().filter(|r| r.active && !listed.contains(&r.email)) {
                    sqlx::query(
                        "UPDATE rooms SET active = FALSE, updated_at = $1 \
                         WHERE tenant_id = $2 AND id = $3",
                    )
                    .bind(now)
                    .bind(tenant.to_string())
                    .bind(room.id.to_string())
                    .execute(&mut *tx)
                    .await.db()?;
                    summary.deactivated += 1;
                }
                tx.commit().await.db()?;
                Ok(summary)
            }
        }

        #[async_trait::async_trait]
        impl roombook_core::ports::storage::UserStore for $store {
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
                .await.db()?;
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
                .await.db()?;
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
                .await.db()?;
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
                        .await.db()?;
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
                    .await.db()?;
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
                .await.db()?;
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
                .await.db()?;
                tx.commit().await.db()?;
                Ok(roombook_core::domain::Admit::In(roombook_core::domain::Admission {
                    user: row.try_into()?,
                    first_admin,
                }))
            }
        }

        #[async_trait::async_trait]
        impl roombook_core::ports::storage::AuthRequestStore for $store {
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
            ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::AuthRequest>> {
                let row: Option<AuthRequestRow> = sqlx::query_as(
                    "DELETE FROM auth_requests WHERE state_hash = $1 RETURNING state_hash, \
                     purpose, nonce, pkce_verifier, session_hash, tenant_id, return_to, \
                     created_at, expires_at",
                )
                .bind(state_hash)
                .fetch_optional(&self.pool)
                .await.db()?;
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
                .await.db()?;
                tx.commit().await.db()?;
                Ok(())
            }

            async fn take_consent_request(
                &self,
                state_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> roombook_core::ports::storage::StoreResult<
                Option<(roombook_core::domain::AuthRequest, roombook_core::domain::PendingConsent)>,
            > {
                let mut tx = self.pool.begin().await.db()?;
                let pending: Option<(String, bool)> = sqlx::query_as(
                    "DELETE FROM pending_consents WHERE state_hash = $1 \
                     RETURNING check_address, rooms_only",
                )
                .bind(state_hash)
                .fetch_optional(&mut *tx)
                .await.db()?;
                let row: Option<AuthRequestRow> = sqlx::query_as(
                    "DELETE FROM auth_requests WHERE state_hash = $1 RETURNING state_hash, \
                     purpose, nonce, pkce_verifier, session_hash, tenant_id, return_to, \
                     created_at, expires_at",
                )
                .bind(state_hash)
                .fetch_optional(&mut *tx)
                .await.db()?;
                tx.commit().await.db()?;
                let request: Option<roombook_core::domain::AuthRequest> =
                    row.map(TryInto::try_into).transpose()?;
                Ok(request
                    .filter(|r| r.expires_at > now)
                    .zip(pending.map(|(check_address, rooms_only)| {
                        roombook_core::domain::PendingConsent {
                            check_address,
                            rooms_only,
                        }
                    })))
            }

            async fn count_auth_requests(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> roombook_core::ports::storage::StoreResult<u64> {
                let (n,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM auth_requests WHERE expires_at > $1")
                        .bind(now)
                        .fetch_one(&self.pool)
                        .await.db()?;
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
                .await.db()?;
                Ok(done.rows_affected())
            }
        }

        #[async_trait::async_trait]
        impl roombook_core::ports::storage::SessionStore for $store {
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
                .await.db()?;
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
                .await.db()?;
                row.map(TryInto::try_into).transpose()
            }

            async fn delete_session(&self, token_hash: &str) -> roombook_core::ports::storage::StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await.db()?;
                Ok(())
            }

            async fn delete_expired_sessions(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> roombook_core::ports::storage::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&self.pool)
                    .await.db()?;
                Ok(done.rows_affected())
            }
        }

        #[async_trait::async_trait]
        impl roombook_core::ports::storage::AuditLog for $store {
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
                .await.db()?;
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
                .await.db()?;
                convert(rows)
            }
        }

        #[async_trait::async_trait]
        impl roombook_core::ports::storage::BookingStore for $store {
            async fn claim_booking(
                &self,
                b: &roombook_core::domain::Booking,
                now: chrono::DateTime<chrono::Utc>,
            ) -> roombook_core::ports::storage::StoreResult<roombook_core::domain::Claim> {
                let mut tx = self.pool.begin().await.db()?;
                // Lock the room first: PostgreSQL serialises on the row lock, SQLite takes its
                // write lock at the first write. Either way the check below and the insert
                // happen with no other claim on this room in between.
                let locked = sqlx::query(
                    "UPDATE rooms SET updated_at = updated_at WHERE tenant_id = $1 AND id = $2",
                )
                .bind(b.tenant_id.to_string())
                .bind(b.room_id.to_string())
                .execute(&mut *tx)
                .await.db()?;
                if locked.rows_affected() == 0 {
                    return Err(roombook_core::ports::storage::StoreError::NotFound);
                }
                let earlier: Option<BookingRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    booking_columns!(),
                    " FROM bookings WHERE tenant_id = $1 AND user_id = $2 AND idempotency_key = $3"
                ))
                .bind(b.tenant_id.to_string())
                .bind(b.user_id.to_string())
                .bind(&b.idempotency_key)
                .fetch_optional(&mut *tx)
                .await.db()?;
                if let Some(earlier) = earlier {
                    return Ok(roombook_core::domain::Claim::Duplicate(Box::new(earlier.try_into()?)));
                }
                let overlapping: i64 = sqlx::query_scalar(overlap_check!())
                    .bind(b.tenant_id.to_string())
                    .bind(b.room_id.to_string())
                    .bind(b.id.to_string())
                    .bind(b.end)
                    .bind(b.start)
                    .fetch_one(&mut *tx)
                    .await.db()?;
                if overlapping > 0 {
                    return Ok(roombook_core::domain::Claim::Taken);
                }
                let attendees = serde_json::to_string(&b.attendees)
                    .map_err(|e| roombook_core::ports::storage::StoreError::Internal(Box::new(e)))?;
                sqlx::query(concat!(
                    "INSERT INTO bookings (",
                    booking_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16, $17, $18, $19)"
                ))
                .bind(b.id.to_string())
                .bind(b.tenant_id.to_string())
                .bind(b.user_id.to_string())
                .bind(b.room_id.to_string())
                .bind(&b.idempotency_key)
                .bind(&b.uid)
                .bind(&b.subject)
                .bind(&b.note)
                .bind(attendees)
                .bind(b.start)
                .bind(b.end)
                .bind(&b.time_zone)
                .bind(roombook_core::domain::BookingStatus::Sending.as_str())
                .bind(&b.reason)
                .bind(&b.calendar)
                .bind(&b.item_id)
                .bind(&b.change_key)
                .bind(b.created_at)
                .bind(now)
                .execute(&mut *tx)
                .await.db()?;
                tx.commit().await.db()?;
                Ok(roombook_core::domain::Claim::Claimed)
            }

            async fn move_booking(
                &self,
                tenant: roombook_core::domain::TenantId,
                id: roombook_core::domain::BookingId,
                start: chrono::DateTime<chrono::Utc>,
                end: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> roombook_core::ports::storage::StoreResult<bool> {
                let mut tx = self.pool.begin().await.db()?;
                let locked = sqlx::query(
                    "UPDATE rooms SET updated_at = updated_at WHERE tenant_id = $1 AND id = \
                     (SELECT room_id FROM bookings WHERE tenant_id = $1 AND id = $2)",
                )
                .bind(tenant.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await.db()?;
                if locked.rows_affected() == 0 {
                    return Err(roombook_core::ports::storage::StoreError::NotFound);
                }
                let room: String = sqlx::query_scalar(
                    "SELECT room_id FROM bookings WHERE tenant_id = $1 AND id = $2",
                )
                .bind(tenant.to_string())
                .bind(id.to_string())
                .fetch_one(&mut *tx)
                .await.db()?;
                let overlapping: i64 = sqlx::query_scalar(overlap_check!())
                    .bind(tenant.to_string())
                    .bind(room)
                    .bind(id.to_string())
                    .bind(end)
                    .bind(start)
                    .fetch_one(&mut *tx)
                    .await.db()?;
                if overlapping > 0 {
                    return Ok(false);
                }
                sqlx::query(
                    "UPDATE bookings SET start_at = $1, end_at = $2, updated_at = $3 \
                     WHERE tenant_id = $4 AND id = $5",
                )
                .bind(start)
                .bind(end)
                .bind(now)
                .bind(tenant.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await.db()?;
                tx.commit().await.db()?;
                Ok(true)
            }

            async fn update_booking(
                &self,
                b: &roombook_core::domain::Booking,
            ) -> roombook_core::ports::storage::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE bookings SET status = $1, reason = $2, item_id = $3, change_key = $4, \
                     start_at = $5, end_at = $6, updated_at = $7 WHERE tenant_id = $8 AND id = $9",
                )
                .bind(b.status.as_str())
                .bind(&b.reason)
                .bind(&b.item_id)
                .bind(&b.change_key)
                .bind(b.start)
                .bind(b.end)
                .bind(chrono::Utc::now())
                .bind(b.tenant_id.to_string())
                .bind(b.id.to_string())
                .execute(&self.pool)
                .await.db()?;
                if done.rows_affected() == 0 {
                    return Err(roombook_core::ports::storage::StoreError::NotFound);
                }
                Ok(())
            }

            async fn booking(
                &self,
                tenant: roombook_core::domain::TenantId,
                id: roombook_core::domain::BookingId,
            ) -> roombook_core::ports::storage::StoreResult<Option<roombook_core::domain::Booking>> {
                let row: Option<BookingRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    booking_columns!(),
                    " FROM bookings WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await.db()?;
                row.map(TryInto::try_into).transpose()
            }

            async fn bookings_of(
                &self,
                tenant: roombook_core::domain::TenantId,
                user: roombook_core::domain::UserId,
                after: chrono::DateTime<chrono::Utc>,
            ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::Booking>> {
                let rows: Vec<BookingRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    booking_columns!(),
                    " FROM bookings WHERE tenant_id = $1 AND user_id = $2 AND end_at > $3 \
                      ORDER BY start_at, created_at LIMIT 500"
                ))
                .bind(tenant.to_string())
                .bind(user.to_string())
                .bind(after)
                .fetch_all(&self.pool)
                .await.db()?;
                convert(rows)
            }

            async fn held_slots(
                &self,
                tenant: roombook_core::domain::TenantId,
                start: chrono::DateTime<chrono::Utc>,
                end: chrono::DateTime<chrono::Utc>,
                _now: chrono::DateTime<chrono::Utc>,
            ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::ports::storage::HeldSlot>> {
                let rows: Vec<(String, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> =
                    sqlx::query_as(
                        "SELECT room_id, start_at, end_at FROM bookings WHERE tenant_id = $1 \
                         AND start_at < $2 AND end_at > $3 \
                         AND status IN ('sending', 'unknown', 'waiting', 'accepted')",
                    )
                    .bind(tenant.to_string())
                    .bind(end)
                    .bind(start)
                    .fetch_all(&self.pool)
                    .await.db()?;
                rows.into_iter()
                    .map(|(room, start, end)| {
                        Ok(roombook_core::ports::storage::HeldSlot {
                            room_id: roombook_core::domain::RoomId(uuid::Uuid::parse_str(&room).map_err(
                                |_| roombook_core::ports::storage::StoreError::Corrupt("bookings.room_id".into()),
                            )?),
                            start,
                            end,
                        })
                    })
                    .collect()
            }

            async fn open_outcomes(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                sending_before: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::ports::storage::OpenOutcome>> {
                let rows: Vec<OpenOutcomeRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    booking_columns!(),
                    ", checks FROM bookings WHERE item_id IS NULL AND \
                     ((status IN ('unknown', 'cancelled') AND next_check_at <= $1) \
                      OR (status = 'sending' AND updated_at <= $2)) \
                     ORDER BY updated_at LIMIT $3"
                ))
                .bind(now)
                .bind(sending_before)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await.db()?;
                convert(rows)
            }

            async fn waiting_for_answer(
                &self,
                asked_before: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> roombook_core::ports::storage::StoreResult<Vec<roombook_core::domain::Booking>> {
                let rows: Vec<BookingRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    booking_columns!(),
                    " FROM bookings WHERE status = 'waiting' AND item_id IS NOT NULL \
                      AND end_at > $1 AND updated_at <= $2 ORDER BY updated_at LIMIT $3"
                ))
                .bind(now)
                .bind(asked_before)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await.db()?;
                convert(rows)
            }

            async fn plan_outcome_check(
                &self,
                tenant: roombook_core::domain::TenantId,
                id: roombook_core::domain::BookingId,
                from: roombook_core::domain::BookingStatus,
                to: roombook_core::domain::BookingStatus,
                checks: u32,
                next: Option<chrono::DateTime<chrono::Utc>>,
            ) -> roombook_core::ports::storage::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE bookings SET status = $1, checks = $2, next_check_at = $3, \
                     updated_at = $4 WHERE tenant_id = $5 AND id = $6 AND status = $7 \
                     AND item_id IS NULL",
                )
                .bind(to.as_str())
                .bind(i32::try_from(checks).unwrap_or(i32::MAX))
                .bind(next)
                .bind(chrono::Utc::now())
                .bind(tenant.to_string())
                .bind(id.to_string())
                .bind(from.as_str())
                .execute(&self.pool)
                .await.db()?;
                Ok(done.rows_affected() == 1)
            }

            async fn update_booking_from(
                &self,
                b: &roombook_core::domain::Booking,
                from: roombook_core::domain::BookingStatus,
            ) -> roombook_core::ports::storage::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE bookings SET status = $1, reason = $2, item_id = $3, change_key = $4, \
                     start_at = $5, end_at = $6, updated_at = $7, next_check_at = NULL \
                     WHERE tenant_id = $8 AND id = $9 AND status = $10",
                )
                .bind(b.status.as_str())
                .bind(&b.reason)
                .bind(&b.item_id)
                .bind(&b.change_key)
                .bind(b.start)
                .bind(b.end)
                .bind(chrono::Utc::now())
                .bind(b.tenant_id.to_string())
                .bind(b.id.to_string())
                .bind(from.as_str())
                .execute(&self.pool)
                .await.db()?;
                Ok(done.rows_affected() == 1)
            }
        }

        #[async_trait::async_trait]
        impl roombook_core::ports::storage::Store for $store {
            async fn ping(&self) -> roombook_core::ports::storage::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await.db()?;
                Ok(())
            }

            fn backend(&self) -> &'static str {
                $backend
            }
        }
    };
}

pub(super) use {
    booking_columns, connection_columns, count_admins, impl_store, insert_auth_request,
    lock_tenant, overlap_check, room_columns, tenant_columns, user_columns,
};
