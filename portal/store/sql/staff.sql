-- insert_key --
INSERT INTO staff_keys (name, role, token_hash, created_at)
VALUES (%(name)s, %(role)s, %(token_hash)s, %(created_at)s)
RETURNING name, role, created_at, revoked_at

-- key_by_hash --
SELECT name, role, token_hash FROM staff_keys WHERE token_hash = %(token_hash)s AND revoked_at IS NULL

-- list_keys --
SELECT name, role, created_at, revoked_at FROM staff_keys ORDER BY name

-- revoke_key --
UPDATE staff_keys SET revoked_at = %(revoked_at)s
WHERE name = %(name)s AND revoked_at IS NULL
RETURNING name, role, created_at, revoked_at

-- change_role --
UPDATE staff_keys AS k SET role = %(role)s
FROM (SELECT id, role FROM staff_keys WHERE name = %(name)s AND revoked_at IS NULL FOR UPDATE) AS old
WHERE k.id = old.id
RETURNING k.name, k.role, k.created_at, k.revoked_at, old.role AS previous_role

-- lock_active_admins --
-- The active admin keys, locked: a revocation or role change that could leave none runs one at a time.
SELECT name FROM staff_keys WHERE role = 'admin' AND revoked_at IS NULL ORDER BY name FOR UPDATE
