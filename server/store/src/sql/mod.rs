//! The SQL both adapters run, written once, one file per table group.
//!
//! This folder is compiled twice, as a module of each adapter (`sqlite.rs`, `postgres.rs`
//! include it with `#[path]`): there `Adapter` is the adapter's store type (with a `pool` of
//! its driver) and `BACKEND` its name. So the code is plain Rust (rustfmt and rust-analyzer see
//! into it), and each copy is compiled against its own sqlx driver: a statement one database
//! cannot prepare fails that adapter's tests, not silently. Parameters are numbered `$1…` in
//! order of first use, which both drivers bind positionally.

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

mod audit;
mod auth_requests;
mod bookings;
mod connections;
mod rooms;
mod sessions;
mod tenants;
mod users;

use super::{Adapter, BACKEND};
use crate::Db;

#[async_trait::async_trait]
impl roombook_core::ports::storage::Store for Adapter {
    async fn ping(&self) -> roombook_core::ports::storage::StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.db()?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        BACKEND
    }
}
