-- insert_case --
INSERT INTO cases (id, challenge_id, kind, chain, snapshot_id, address, destination, destination_chain, snapshot_amount,
                   method, message, proof, recovered_signer, evidence, status_token_hash, client_address, user_agent,
                   created_at, updated_at)
VALUES (%(id)s, %(challenge_id)s, %(kind)s, %(chain)s, %(snapshot_id)s, %(address)s, %(destination)s,
        %(destination_chain)s, %(snapshot_amount)s, %(method)s, %(message)s, %(proof)s, %(recovered_signer)s,
        %(evidence)s, %(status_token_hash)s, %(client_address)s, %(user_agent)s, %(at)s, %(at)s)

-- open_case --
SELECT id, kind, status FROM cases WHERE address = %(address)s AND kind = %(kind)s AND status <> 'closed'

-- get_case --
SELECT c.*, r.category AS correction_category, r.release_chain, r.release_number
FROM cases AS c LEFT JOIN corrections AS r ON r.case_id = c.id
WHERE c.id = %(id)s

-- lock_case --
SELECT * FROM cases WHERE id = %(id)s FOR UPDATE

-- touch_case --
UPDATE cases SET updated_at = %(at)s WHERE id = %(id)s

-- insert_message --
INSERT INTO case_messages (case_id, at, author, staff, text)
VALUES (%(case_id)s, %(at)s, %(author)s, %(staff)s, %(text)s)
RETURNING id

-- messages_of --
SELECT id, at, author, staff, text FROM case_messages WHERE case_id = %(case_id)s ORDER BY at, id

-- count_messages --
SELECT count(*) AS n FROM case_messages WHERE case_id = %(case_id)s AND author = %(author)s

-- lease_case --
UPDATE cases SET lease_holder = %(actor)s, lease_expires_at = %(lease_expires_at)s, updated_at = %(now)s
WHERE id = %(id)s

-- first_uphold --
UPDATE cases SET status = 'awaiting_second_approval', first_approver = %(actor)s, first_amount = %(amount)s,
                 lease_holder = NULL, lease_expires_at = NULL, updated_at = %(at)s
WHERE id = %(id)s

-- close_case --
UPDATE cases SET status = 'closed', outcome = %(outcome)s, outcome_reason = %(reason)s,
                 corrected_amount = %(amount)s, decided_by = %(actor)s, decided_at = %(at)s,
                 lease_holder = NULL, lease_expires_at = NULL, updated_at = %(at)s
WHERE id = %(id)s

-- insert_correction --
INSERT INTO corrections (case_id, address, destination, destination_chain, amount, kind, category, reason, decided_at)
VALUES (%(case_id)s, %(address)s, %(destination)s, %(destination_chain)s, %(amount)s, %(kind)s, %(category)s,
        %(reason)s, %(decided_at)s)

-- corrections --
SELECT case_id, address, destination, destination_chain, amount, kind, category, decided_at, release_chain,
       release_number
FROM corrections
WHERE (decided_at, case_id) > (%(after_at)s, %(after_id)s)
ORDER BY decided_at, case_id
LIMIT %(limit)s

-- queue_open --
-- Open cases, oldest first, keyset-paged on (created_at, id): an index scan of cases_queue.
SELECT id, kind, status, chain, address, snapshot_amount, lease_holder, lease_expires_at, created_at, updated_at,
       (SELECT count(*) FROM case_messages m WHERE m.case_id = c.id) AS messages
FROM cases AS c
WHERE status <> 'closed'
  AND (created_at, id) > (%(after_at)s, %(after_id)s)
ORDER BY created_at, id
LIMIT %(limit)s

-- queue_open_kind --
-- The same for one kind: cases_queue_kind.
SELECT id, kind, status, chain, address, snapshot_amount, lease_holder, lease_expires_at, created_at, updated_at,
       (SELECT count(*) FROM case_messages m WHERE m.case_id = c.id) AS messages
FROM cases AS c
WHERE status <> 'closed' AND kind = %(kind)s
  AND (created_at, id) > (%(after_at)s, %(after_id)s)
ORDER BY created_at, id
LIMIT %(limit)s

-- queue_status --
-- One status (closed cases too): cases_all.
SELECT id, kind, status, chain, address, snapshot_amount, lease_holder, lease_expires_at, created_at, updated_at,
       (SELECT count(*) FROM case_messages m WHERE m.case_id = c.id) AS messages
FROM cases AS c
WHERE status = %(status)s
  AND (created_at, id) > (%(after_at)s, %(after_id)s)
ORDER BY created_at, id
LIMIT %(limit)s

-- queue_status_kind --
SELECT id, kind, status, chain, address, snapshot_amount, lease_holder, lease_expires_at, created_at, updated_at,
       (SELECT count(*) FROM case_messages m WHERE m.case_id = c.id) AS messages
FROM cases AS c
WHERE status = %(status)s AND kind = %(kind)s
  AND (created_at, id) > (%(after_at)s, %(after_id)s)
ORDER BY created_at, id
LIMIT %(limit)s

-- queue_address --
-- Search: every case of one address, any status (cases_address).
SELECT id, kind, status, chain, address, snapshot_amount, lease_holder, lease_expires_at, created_at, updated_at,
       (SELECT count(*) FROM case_messages m WHERE m.case_id = c.id) AS messages
FROM cases AS c
WHERE address = %(address)s
  AND (created_at, id) > (%(after_at)s, %(after_id)s)
ORDER BY created_at, id
LIMIT %(limit)s

-- case_audit --
SELECT seq, at, actor, action, subject, data, client, prev_hash, hash
FROM audit_events WHERE subject = %(subject)s ORDER BY seq LIMIT %(limit)s

-- late_request --
-- An upheld late case becomes an approved request (issue 23): the proof the case was opened with, its
-- amount as staff upheld it, the case's status token (the holder follows it with the token they have).
INSERT INTO requests (id, challenge_id, snapshot_id, snapshot_address, chain, destination, destination_chain, amount,
                      method, message, proof, recovered_signer, evidence, status, status_token_hash, client_address,
                      user_agent, decided_by, decided_at, decision_reason, created_at, updated_at)
SELECT id, challenge_id, snapshot_id, address, chain, destination, destination_chain, %(amount)s, method, message,
       proof, recovered_signer, evidence || jsonb_build_object('case_id', id::text), 'approved', status_token_hash,
       client_address, user_agent, %(actor)s, %(at)s, %(reason)s, %(at)s, %(at)s
FROM cases WHERE id = %(id)s
