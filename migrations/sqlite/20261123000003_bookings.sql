-- Employee bookings (SQLite). Keep in step with migrations/postgres.
-- Exchange holds the meeting; this table holds Roombook's side of it: who asked, the
-- idempotency key of the form that asked (a double submit finds the same row), the claim on the
-- room's slot while the meeting is being sent, and the room's last known answer.

-- The room's own time zone (IANA name), shown beside the person's when it differs.
ALTER TABLE rooms ADD COLUMN time_zone TEXT;

CREATE TABLE bookings (
    id               TEXT PRIMARY KEY NOT NULL,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room_id          TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    -- From the booking form: the same form submitted twice is one booking.
    idempotency_key  TEXT NOT NULL,
    -- The iCalendar UID sent to Exchange: how a meeting whose creation answer was lost is found.
    uid              TEXT NOT NULL,
    subject          TEXT NOT NULL,
    note             TEXT NOT NULL DEFAULT '',
    -- JSON array of SMTP addresses.
    attendees        TEXT NOT NULL DEFAULT '[]',
    start_at         TEXT NOT NULL,
    end_at           TEXT NOT NULL,
    -- The zone the person booked in (IANA name), for showing the times back.
    time_zone        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('sending', 'waiting', 'accepted', 'declined', 'cancelled', 'failed')),
    reason           TEXT,
    -- The mailbox whose calendar holds the organiser's item (the person's, or the room's in
    -- rooms-only tenants) and that item's id.
    calendar         TEXT NOT NULL,
    item_id          TEXT,
    change_key       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (tenant_id, user_id, idempotency_key)
);
CREATE INDEX bookings_by_room ON bookings (tenant_id, room_id, start_at);
CREATE INDEX bookings_by_user ON bookings (tenant_id, user_id, end_at);
