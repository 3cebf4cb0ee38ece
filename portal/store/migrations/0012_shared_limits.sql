-- Several replicas behave as one service (issue 24).
--
-- Rate-limit counters shared by every process on this database: one row per (key, window), bumped
-- by one atomic INSERT ... ON CONFLICT DO UPDATE ... RETURNING per counted request
-- (``portal.store.limits``). UNLOGGED: no WAL for a counter that is worth a minute; after a crash
-- PostgreSQL empties the table, which at worst gives every client a fresh window. ``window_start``
-- is the window's first second (epoch, PostgreSQL's clock, so hosts with skewed clocks agree);
-- ``window`` itself is a reserved word in SQL. Expired windows are swept by each app.
CREATE UNLOGGED TABLE rate_limit_counts (
    key          text NOT NULL,
    window_start bigint NOT NULL,
    expires_at   bigint NOT NULL,
    n            integer NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limit_counts_expiry ON rate_limit_counts (expires_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limit_counts TO portal_app;

-- Every committed audit event wakes the checkpointers (``portal.http.audit``): a statement-level
-- trigger, so a transaction that writes several events sends one notification, delivered only at
-- commit (a rolled-back event wakes no one).
CREATE FUNCTION audit_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NOTIFY portal_audit;
    RETURN NULL;
END;
$$;
CREATE TRIGGER audit_events_notify AFTER INSERT ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_notify();
