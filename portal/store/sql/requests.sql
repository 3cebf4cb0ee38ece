-- insert_challenge --
INSERT INTO challenges (id, method, chain, snapshot_id, snapshot_address, destination, destination_chain, amount,
                        nonce, message, typed_data, issued_at, expires_at, client_address, message_style,
                        unsigned_transaction, purpose)
VALUES (%(id)s, %(method)s, %(chain)s, %(snapshot_id)s, %(snapshot_address)s, %(destination)s,
        %(destination_chain)s, %(amount)s, %(nonce)s, %(message)s, %(typed_data)s, %(issued_at)s, %(expires_at)s,
        %(client_address)s, %(message_style)s, %(unsigned_transaction)s, %(purpose)s)

-- get_challenge --
SELECT id, method, chain, snapshot_id, snapshot_address, destination, destination_chain, amount, nonce, message,
       typed_data, issued_at, expires_at, used_at, message_style, unsigned_transaction, purpose
FROM challenges WHERE id = %(id)s

-- lock_challenge --
SELECT used_at, expires_at FROM challenges WHERE id = %(id)s FOR UPDATE

-- use_challenge --
UPDATE challenges SET used_at = %(at)s WHERE id = %(id)s

-- live_request --
SELECT id, status FROM requests
WHERE snapshot_id = %(snapshot_id)s AND snapshot_address = %(snapshot_address)s AND status <> 'rejected'

-- insert_request --
INSERT INTO requests (id, challenge_id, snapshot_id, snapshot_address, chain, destination, destination_chain, amount,
                      method, message, proof, recovered_signer, evidence, status, status_token_hash, client_address,
                      user_agent, created_at, updated_at)
VALUES (%(id)s, %(challenge_id)s, %(snapshot_id)s, %(snapshot_address)s, %(chain)s, %(destination)s,
        %(destination_chain)s, %(amount)s, %(method)s, %(message)s, %(proof)s, %(recovered_signer)s, %(evidence)s, 'pending_review',
        %(status_token_hash)s, %(client_address)s, %(user_agent)s, %(at)s, %(at)s)

-- holder_view --
SELECT id, status, snapshot_id, snapshot_address, destination, destination_chain, amount, created_at, updated_at,
       public_note, status_token_hash
FROM requests WHERE id = %(id)s

-- lock_holder_request --
SELECT id, status, snapshot_id, snapshot_address, destination, destination_chain, amount, created_at, updated_at,
       public_note, status_token_hash
FROM requests WHERE id = %(id)s FOR UPDATE

-- reopen_request --
-- The holder answered: back into the queue from the start (no lease, no first approval).
UPDATE requests
SET status = %(status)s, lease_holder = NULL, lease_expires_at = NULL, first_approver = NULL, updated_at = %(at)s
WHERE id = %(id)s
RETURNING id, status, snapshot_id, snapshot_address, destination, destination_chain, amount, created_at, updated_at,
          public_note, status_token_hash

-- insert_answer --
INSERT INTO request_answers (request_id, at, text, proof)
VALUES (%(request_id)s, %(at)s, %(text)s, %(proof)s)
RETURNING id

-- answers_of --
SELECT id, at, text, proof FROM request_answers WHERE request_id = %(request_id)s ORDER BY at, id
