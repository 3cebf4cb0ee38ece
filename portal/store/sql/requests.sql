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

-- holder_page --
-- Everything the holder's own view is made of, in one statement (one round trip, one snapshot): the
-- request, its answers (JSON text), and the release entry holding it with its claim status.
SELECT r.status_token_hash, r.id, r.status, r.destination, r.destination_chain, r.amount, r.created_at, r.updated_at,
       r.public_note,
       (SELECT json_agg(json_build_array(a.at, a.text, a.proof ->> 'method') ORDER BY a.at, a.id)::text
        FROM request_answers a WHERE a.request_id = r.id) AS answers,
       rr.destination_chain AS release_chain, rr.number, rr.entry_index, rel.sha256, rel.tree, rel.merkle_root,
       rel.distributor, rel.program, rel.decimals, rel.claim_deadline, rel.synced_at, c.claimed_at, c.claim_tx,
       r.snapshot_id
FROM requests r
LEFT JOIN release_requests rr ON rr.request_id = r.id
LEFT JOIN releases rel ON rel.destination_chain = rr.destination_chain AND rel.number = rr.number
LEFT JOIN release_claims c
  ON c.destination_chain = rr.destination_chain AND c.number = rr.number AND c.entry_index = rr.entry_index
WHERE r.id = %(id)s
