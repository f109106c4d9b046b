-- What an admin asked for when they started Exchange Online consent (the mailbox to check,
-- rooms only). It waits here, with its consent request, until consent's callback arrives:
-- the organisation's connection is not touched before then, so a working connection keeps
-- working while the admin is at Microsoft, and a refused consent leaves it as it was.
CREATE TABLE pending_consents (
    state_hash     TEXT PRIMARY KEY
                   REFERENCES auth_requests(state_hash) ON DELETE CASCADE,
    check_address  TEXT NOT NULL,
    rooms_only     BOOLEAN NOT NULL DEFAULT FALSE
);

-- The expired-request sweep and the cap on requests in flight read by expiry.
CREATE INDEX auth_requests_expiry ON auth_requests (expires_at);
