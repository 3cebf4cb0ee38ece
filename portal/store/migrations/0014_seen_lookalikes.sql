-- Lookalike hosts the link checker saw (issue 25): every `lookalike` verdict of /v1/links/check and
-- /v1/links/scan counts here, by host only (no URL, path, text or client), until staff confirm or
-- dismiss it. Confirmed hosts go into the blocklist exports.
CREATE TABLE seen_lookalikes (
    host        text PRIMARY KEY CHECK (length(host) BETWEEN 1 AND 253),
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    seen_count  bigint NOT NULL DEFAULT 1 CHECK (seen_count >= 1),
    reasons     text[] NOT NULL DEFAULT '{}',   -- the checker's reasons for the bare host, at most 8
    matched     text,                           -- the official host or domain it imitates
    status      text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'confirmed', 'dismissed')),
    decided_by  text,
    decided_at  timestamptz
);
CREATE INDEX seen_lookalikes_by_count ON seen_lookalikes (status, seen_count DESC, host);
GRANT UPDATE ON seen_lookalikes TO portal_app;   -- the count on every sighting, and staff decisions
