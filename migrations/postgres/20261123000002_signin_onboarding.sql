-- Sign-in and onboarding (PostgreSQL). Keep in step with migrations/sqlite.

-- The identity provider's organisation id (Entra `tid`): who may sign in to this tenant.
ALTER TABLE tenants ADD COLUMN directory_id TEXT;
CREATE UNIQUE INDEX tenants_by_directory ON tenants (directory_id);
-- An organisation's own OpenID Connect provider (ADFS, …), instead of the server's default.
ALTER TABLE tenants ADD COLUMN oidc_issuer TEXT;
ALTER TABLE tenants ADD COLUMN oidc_client_id TEXT;
-- Its client secret, if any: the name and version in the secret store.
ALTER TABLE tenants ADD COLUMN oidc_secret_name TEXT;
ALTER TABLE tenants ADD COLUMN oidc_secret_version TEXT;

-- The outcome of the last connection check, as a code the pages turn into words.
ALTER TABLE exchange_connections ADD COLUMN status TEXT NOT NULL DEFAULT 'unchecked';
-- The mailbox the check opens (the admin's, or a room's under least privilege).
ALTER TABLE exchange_connections ADD COLUMN check_address TEXT NOT NULL DEFAULT '';
ALTER TABLE exchange_connections ADD COLUMN consent_at TIMESTAMPTZ;
ALTER TABLE exchange_connections ADD COLUMN next_check_at TIMESTAMPTZ;
ALTER TABLE exchange_connections ADD COLUMN password_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE exchange_connections ADD COLUMN certificate_expires_at TIMESTAMPTZ;
ALTER TABLE exchange_connections ADD COLUMN token_expires_at TIMESTAMPTZ;

ALTER TABLE rooms ADD COLUMN room_list TEXT;
ALTER TABLE rooms ADD COLUMN booking_window_days BIGINT;
ALTER TABLE rooms ADD COLUMN max_duration_minutes BIGINT;
ALTER TABLE rooms ADD COLUMN display_subjects BOOLEAN NOT NULL DEFAULT FALSE;
-- Set when an admin edits the room: re-imports keep what admins wrote.
ALTER TABLE rooms ADD COLUMN edited BOOLEAN NOT NULL DEFAULT FALSE;

-- A sign-in or admin-consent round trip in flight. Single use, short-lived.
CREATE TABLE auth_requests (
    -- SHA-256 of the `state` sent to the identity provider.
    state_hash     TEXT PRIMARY KEY,
    purpose        TEXT NOT NULL CHECK (purpose IN ('signin', 'consent')),
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    -- Consent: the admin session that started it.
    session_hash   TEXT,
    tenant_id      TEXT REFERENCES tenants(id) ON DELETE CASCADE,
    return_to      TEXT NOT NULL DEFAULT '/',
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL
);
