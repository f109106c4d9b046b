-- Booking outcomes (SQLite). Keep in step with migrations/postgres.
-- A booking whose creation Exchange did not confirm is `unknown`: it keeps its room's slot while
-- a background reconciler looks its UID up again, with growing waits. `checks` counts the
-- look-ups so far, `next_check_at` says when the next one is due (NULL: none planned).
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt with the same rows.

CREATE TABLE bookings_new (
    id               TEXT PRIMARY KEY NOT NULL,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room_id          TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    idempotency_key  TEXT NOT NULL,
    uid              TEXT NOT NULL,
    subject          TEXT NOT NULL,
    note             TEXT NOT NULL DEFAULT '',
    attendees        TEXT NOT NULL DEFAULT '[]',
    start_at         TEXT NOT NULL,
    end_at           TEXT NOT NULL,
    time_zone        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('sending', 'unknown', 'waiting', 'accepted', 'declined', 'cancelled', 'failed')),
    reason           TEXT,
    calendar         TEXT NOT NULL,
    item_id          TEXT,
    change_key       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    checks           INTEGER NOT NULL DEFAULT 0,
    next_check_at    TEXT,
    UNIQUE (tenant_id, user_id, idempotency_key)
);
INSERT INTO bookings_new (id, tenant_id, user_id, room_id, idempotency_key, uid, subject, note,
    attendees, start_at, end_at, time_zone, status, reason, calendar, item_id, change_key,
    created_at, updated_at)
SELECT id, tenant_id, user_id, room_id, idempotency_key, uid, subject, note, attendees,
    start_at, end_at, time_zone, status, reason, calendar, item_id, change_key, created_at,
    updated_at
FROM bookings;
DROP TABLE bookings;
ALTER TABLE bookings_new RENAME TO bookings;
CREATE INDEX bookings_by_room ON bookings (tenant_id, room_id, start_at);
CREATE INDEX bookings_by_user ON bookings (tenant_id, user_id, end_at);
-- The reconciler's question: which outcomes are still open?
CREATE INDEX bookings_unsettled ON bookings (status, next_check_at)
    WHERE status IN ('sending', 'unknown') OR next_check_at IS NOT NULL;
