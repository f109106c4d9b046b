-- Roombook initial schema (SQLite). Keep in step with migrations/postgres.
-- Identifiers are UUIDs stored as text; timestamps are RFC 3339 text (sqlx's chrono encoding).
-- No column holds a secret: connections keep only the name and version of a secret in the vault.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE exchange_connections (
    tenant_id         TEXT PRIMARY KEY NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    mode              TEXT NOT NULL CHECK (mode IN ('service_account', 'oauth_certificate')),
    ews_url           TEXT NOT NULL,
    -- Service-account user name, or the app's client id.
    identity          TEXT NOT NULL,
    -- Entra tenant id for Exchange Online; NULL on premises.
    directory_tenant  TEXT,
    secret_name       TEXT,
    secret_version    TEXT,
    rooms_only        INTEGER NOT NULL DEFAULT 0,
    last_success_at   TEXT,
    last_error        TEXT,
    last_error_class  TEXT,
    last_error_at     TEXT,
    updated_at        TEXT NOT NULL
);

CREATE TABLE rooms (
    id                     TEXT PRIMARY KEY NOT NULL,
    tenant_id              TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email                  TEXT NOT NULL,
    name                   TEXT NOT NULL,
    capacity               INTEGER CHECK (capacity IS NULL OR capacity >= 0),
    building               TEXT,
    floor                  TEXT,
    -- JSON array of strings, e.g. ["Display","Video conference"].
    equipment              TEXT NOT NULL DEFAULT '[]',
    wheelchair_accessible  INTEGER NOT NULL DEFAULT 0,
    active                 INTEGER NOT NULL DEFAULT 1,
    -- Lower-cased name, building, floor and address, computed by Roombook (Unicode-aware, the
    -- same in both databases): what the room filter searches.
    search_text            TEXT NOT NULL DEFAULT '',
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    UNIQUE (tenant_id, email)
);
CREATE INDEX rooms_by_tenant ON rooms (tenant_id, active, name);

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- The identity provider's stable subject (Entra object id).
    subject       TEXT NOT NULL,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'employee')),
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    UNIQUE (tenant_id, subject)
);

CREATE TABLE sessions (
    -- SHA-256 of the cookie's token: a leaked database does not yield usable sessions.
    token_hash  TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    actor_id   TEXT REFERENCES users(id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL
);
CREATE INDEX audit_by_tenant_time ON audit_log (tenant_id, at);
