-- Booking outcomes (PostgreSQL). Keep in step with migrations/sqlite.
-- A booking whose creation Exchange did not confirm is `unknown`: it keeps its room's slot while
-- a background reconciler looks its UID up again, with growing waits. `checks` counts the
-- look-ups so far, `next_check_at` says when the next one is due (NULL: none planned).

ALTER TABLE bookings DROP CONSTRAINT bookings_status_check;
ALTER TABLE bookings ADD CONSTRAINT bookings_status_check
    CHECK (status IN ('sending', 'unknown', 'waiting', 'accepted', 'declined', 'cancelled', 'failed'));
ALTER TABLE bookings ADD COLUMN checks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bookings ADD COLUMN next_check_at TIMESTAMPTZ;
-- The reconciler's question: which outcomes are still open?
CREATE INDEX bookings_unsettled ON bookings (status, next_check_at)
    WHERE status IN ('sending', 'unknown') OR next_check_at IS NOT NULL;
