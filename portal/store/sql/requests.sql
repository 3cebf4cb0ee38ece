-- insert_challenge --
INSERT INTO challenges (id, method, chain, snapshot_id, snapshot_address, destination, amount, nonce, message,
                        typed_data, issued_at, expires_at, client_address)
VALUES (%(id)s, %(method)s, %(chain)s, %(snapshot_id)s, %(snapshot_address)s, %(destination)s, %(amount)s,
        %(nonce)s, %(message)s, %(typed_data)s, %(issued_at)s, %(expires_at)s, %(client_address)s)

-- get_challenge --
SELECT id, method, chain, snapshot_id, snapshot_address, destination, amount, nonce, message, typed_data,
       issued_at, expires_at, used_at
FROM challenges WHERE id = %(id)s

-- lock_challenge --
SELECT used_at, expires_at FROM challenges WHERE id = %(id)s FOR UPDATE

-- use_challenge --
UPDATE challenges SET used_at = %(at)s WHERE id = %(id)s

-- live_request --
SELECT id, status FROM requests
WHERE snapshot_id = %(snapshot_id)s AND snapshot_address = %(snapshot_address)s AND status <> 'rejected'

-- insert_request --
INSERT INTO requests (id, challenge_id, snapshot_id, snapshot_address, chain, destination, amount, method, message,
                      proof, recovered_signer, evidence, status, status_token_hash, client_address, user_agent,
                      created_at, updated_at)
VALUES (%(id)s, %(challenge_id)s, %(snapshot_id)s, %(snapshot_address)s, %(chain)s, %(destination)s, %(amount)s,
        %(method)s, %(message)s, %(proof)s, %(recovered_signer)s, %(evidence)s, 'pending_review',
        %(status_token_hash)s, %(client_address)s, %(user_agent)s, %(at)s, %(at)s)

-- holder_view --
SELECT id, status, destination, amount, created_at, updated_at, public_note, status_token_hash
FROM requests WHERE id = %(id)s
