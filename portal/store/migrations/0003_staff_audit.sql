-- Staff API keys and the append-only, hash-chained audit log (issue 4).
CREATE TABLE staff_keys (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    role       text NOT NULL CHECK (role IN ('reviewer', 'approver', 'publisher', 'admin')),
    token_hash bytea NOT NULL UNIQUE,   -- sha256 of the token; the token itself is shown once
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TABLE audit_events (
    seq       bigint PRIMARY KEY,
    at        timestamptz NOT NULL,
    actor     text NOT NULL,
    action    text NOT NULL,
    subject   text NOT NULL,
    data      jsonb NOT NULL,
    client    text,
    prev_hash text NOT NULL,
    hash      text NOT NULL UNIQUE
);

-- Nobody edits history: not the app, not a careless admin. (A superuser can still disable the
-- trigger; `portal audit verify` then finds the edit through the hash chain.)
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

-- Review bookkeeping on requests (issue 4): who decided last and when. The history of every claim
-- and decision is in audit_events; these columns only make the allowlist and the queue cheap.
ALTER TABLE requests ADD COLUMN decided_by text;
ALTER TABLE requests ADD COLUMN decided_at timestamptz;
ALTER TABLE requests ADD COLUMN decision_reason text;

-- The claim's scan: only claimable rows, in queue order.
CREATE INDEX requests_claimable ON requests (created_at, id)
    WHERE status IN ('pending_review', 'awaiting_second_approval');
-- The allowlist export: approved rows of one snapshot.
CREATE INDEX requests_approved ON requests (snapshot_id, snapshot_address) WHERE status = 'approved';
