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
