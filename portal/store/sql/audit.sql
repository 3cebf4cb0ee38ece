-- lock_chain --
SELECT pg_advisory_xact_lock(7061756469740000)

-- last_event --
SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1

-- insert_event --
INSERT INTO audit_events (seq, at, actor, action, subject, data, client, prev_hash, hash)
VALUES (%(seq)s, %(at)s, %(actor)s, %(action)s, %(subject)s, %(data)s, %(client)s, %(prev_hash)s, %(hash)s)

-- events_after --
SELECT seq, at, actor, action, subject, data, client, prev_hash, hash
FROM audit_events WHERE seq > %(after)s ORDER BY seq LIMIT %(limit)s

-- legacy_events_after --
SELECT seq, at, actor, action, subject, data, client, prev_hash, hash
FROM audit_events_legacy WHERE seq > %(after)s ORDER BY seq LIMIT %(limit)s
