-- The audit chain becomes keyed (issue 10): every hash is an HMAC under a key the database never
-- sees. Events hashed the old way (plain sha256) cannot be told apart from a recomputed forgery, so
-- they do not stay in the keyed chain: they move, verbatim and still append-only, to
-- audit_events_legacy (checked by the old rule, reported apart), and the keyed chain starts at seq 1.
-- Nothing was deployed before this migration; on a fresh database both tables start empty.
CREATE TABLE audit_events_legacy (LIKE audit_events INCLUDING ALL);
INSERT INTO audit_events_legacy SELECT * FROM audit_events ORDER BY seq;
CREATE TRIGGER audit_events_legacy_no_update_delete BEFORE UPDATE OR DELETE ON audit_events_legacy
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_legacy_no_truncate BEFORE TRUNCATE ON audit_events_legacy
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete;
DELETE FROM audit_events;
ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete;
