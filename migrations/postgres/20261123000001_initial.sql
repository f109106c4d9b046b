-- Roombook initial schema (PostgreSQL). Keep in step with migrations/sqlite.
-- Identifiers are UUIDs stored as text (the same code path as SQLite).
-- No column holds a secret: connections keep only the name and version of a secret in the vault.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE exchange_connections (
    tenant_id         TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    mode              TEXT NOT NULL CHECK (mode IN ('service_account', 'oauth_certificate')),
    ews_url           TEXT NOT NULL,
    identity          TEXT NOT NULL,
    directory_tenant  TEXT,
    secret_name       TEXT,
    secret_version    TEXT,
    rooms_only        BOOLEAN NOT NULL DEFAULT FALSE,
    last_success_at   TIMESTAMPTZ,
    last_error        TEXT,
    last_error_class  TEXT,
    last_error_at     TIMESTAMPTZ,
    updated_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE rooms (
    id                     TEXT PRIMARY KEY,
    tenant_id              TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email                  TEXT NOT NULL,
    name                   TEXT NOT NULL,
    capacity               BIGINT CHECK (capacity IS NULL OR capacity >= 0),
    building               TEXT,
    floor                  TEXT,
    equipment              TEXT NOT NULL DEFAULT '[]',
    wheelchair_accessible  BOOLEAN NOT NULL DEFAULT FALSE,
    active                 BOOLEAN NOT NULL DEFAULT TRUE,
    search_text            TEXT NOT NULL DEFAULT '',
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, email)
);
CREATE INDEX rooms_by_tenant ON rooms (tenant_id, active, name);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    subject       TEXT NOT NULL,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'employee')),
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, subject)
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    actor_id   TEXT REFERENCES users(id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_by_tenant_time ON audit_log (tenant_id, at);
