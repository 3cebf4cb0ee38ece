-- insert_session --
INSERT INTO staff_sessions (id_hash, ref, staff_key_id, created_at, last_seen_at, expires_at, client)
SELECT %(id_hash)s, %(ref)s, k.id, %(now)s, %(now)s, %(expires_at)s, %(client)s
FROM staff_keys AS k
WHERE k.name = %(name)s AND k.revoked_at IS NULL
RETURNING ref

-- touch_session --
-- One statement per console request: the session is live (not ended, not idle past the cutoff, not
-- past its absolute expiry) and its key is not revoked; the key's role is read here, so a role
-- change or a revocation counts from the next click.
UPDATE staff_sessions AS s
SET last_seen_at = %(now)s
FROM staff_keys AS k
WHERE s.id_hash = %(id_hash)s AND s.ended_at IS NULL AND s.last_seen_at > %(idle_cutoff)s
  AND s.expires_at > %(now)s AND k.id = s.staff_key_id AND k.revoked_at IS NULL
RETURNING k.name, k.role, s.ref

-- end_session --
UPDATE staff_sessions SET ended_at = %(now)s
WHERE id_hash = %(id_hash)s AND ended_at IS NULL
RETURNING ref

-- end_sessions_of_key --
UPDATE staff_sessions AS s SET ended_at = %(now)s
FROM staff_keys AS k
WHERE k.name = %(name)s AND s.staff_key_id = k.id AND s.ended_at IS NULL
