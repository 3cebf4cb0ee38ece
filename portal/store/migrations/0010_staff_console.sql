-- The staff console (issue 12): server-side sessions, escalation to approvers, and the indexes
-- that keep every queue filter and the address search an index scan.

-- A signed-in console session. Only the sha256 of the session id is stored (the id itself lives in
-- the HttpOnly cookie); ``ref`` is a short public name for the audit log (a prefix of that hash).
-- The key is joined on every use, so revoking it (or changing its role) takes effect at the next click.
CREATE TABLE staff_sessions (
    id_hash      bytea PRIMARY KEY,
    ref          text NOT NULL UNIQUE,
    staff_key_id bigint NOT NULL REFERENCES staff_keys (id),
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,     -- the absolute timeout
    ended_at     timestamptz,
    client       text,
    CHECK (expires_at > created_at)
);
CREATE INDEX staff_sessions_key ON staff_sessions (staff_key_id) WHERE ended_at IS NULL;

-- A reviewer who cannot decide a request hands it to the approvers: from then on only approvers
-- are offered it.
ALTER TABLE requests ADD COLUMN escalated_by text;
ALTER TABLE requests ADD COLUMN escalated_at timestamptz;
ALTER TABLE requests ADD COLUMN escalation_reason text;

-- Queue filters over open requests (few rows among many decided ones), each in queue order.
CREATE INDEX requests_open ON requests (created_at, id)
    WHERE status IN ('pending_review', 'awaiting_second_approval', 'needs_info');
CREATE INDEX requests_open_method ON requests (method, created_at, id)
    WHERE status IN ('pending_review', 'awaiting_second_approval', 'needs_info');
CREATE INDEX requests_open_chain ON requests (chain, created_at, id)
    WHERE status IN ('pending_review', 'awaiting_second_approval', 'needs_info');
CREATE INDEX requests_open_amount ON requests (amount)
    WHERE status IN ('pending_review', 'awaiting_second_approval', 'needs_info');
-- Search by snapshot address (any status); destination and id have their indexes already.
CREATE INDEX requests_snapshot_address ON requests (snapshot_address);
-- A request's own audit trail on its evidence page.
CREATE INDEX audit_events_subject ON audit_events (subject, seq);

-- The app role (0008) may append and read by default; the console also ends sessions (last seen,
-- ended) and lets admins add, re-role and revoke staff keys, so it gets exactly those writes.
-- The audit log stays INSERT and SELECT only.
GRANT UPDATE ON staff_sessions TO portal_app;
GRANT INSERT, UPDATE (role, revoked_at) ON staff_keys TO portal_app;

-- A revoked key stays revoked: not the app, not a careless admin brings it back (a new key is made
-- instead), so a leaked old token can never be revived through the console.
CREATE FUNCTION staff_keys_refuse_unrevoke() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'permission denied: staff key % was revoked and stays revoked', OLD.name
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER staff_keys_no_unrevoke BEFORE UPDATE ON staff_keys
    FOR EACH ROW EXECUTE FUNCTION staff_keys_refuse_unrevoke();
