-- claim_next --
-- One statement: pick the oldest claimable row nobody else has locked, and lease it. A row is
-- claimable when pending review, or awaiting its second approval and the caller may give it (an
-- approver who did not give the first); a live lease hides it, an expired one does not. A request
-- at or above the four-eyes threshold, or escalated, is offered only to approvers
-- (``review.leases.may_claim`` states the same rule for a claim by id).
WITH next AS (
    SELECT id FROM requests
    WHERE status IN ('pending_review', 'awaiting_second_approval')
      AND (status = 'pending_review'
           OR (%(may_second_approve)s AND first_approver IS DISTINCT FROM %(actor)s))
      AND (%(may_second_approve)s OR (amount < %(threshold)s AND escalated_at IS NULL))
      AND (lease_expires_at IS NULL OR lease_expires_at <= %(now)s)
    ORDER BY created_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE requests AS r
SET lease_holder = %(actor)s, lease_expires_at = %(lease_expires_at)s, updated_at = %(now)s
FROM next
WHERE r.id = next.id
RETURNING r.id

-- request_detail --
-- A request as review reads it (the ``review_requests`` view, migration 0011); the claim reads the
-- row it leased through this too, after the UPDATE, in the same transaction.
SELECT * FROM review_requests WHERE request_id = %(id)s

-- lock_request --
SELECT id, status, amount, lease_holder, lease_expires_at, first_approver, escalated_at
FROM requests WHERE id = %(id)s FOR UPDATE

-- apply_decision --
UPDATE requests
SET status = %(status)s, lease_holder = NULL, lease_expires_at = NULL, first_approver = %(first_approver)s,
    public_note = COALESCE(%(public_note)s, public_note), decided_by = %(actor)s, decided_at = %(now)s,
    decision_reason = %(reason)s, updated_at = %(now)s
WHERE id = %(id)s

-- queue_page --
-- The queue with its filters and the search, keyset-paginated in queue order. Run unprepared
-- (``prepare=False``), so each call is planned with its values: an absent filter's ``IS NULL`` arm
-- folds away and the planner picks the index of the filters present (benchmarks/console.py
-- prints the plans).
SELECT id, status, snapshot_id, snapshot_address, chain, destination, destination_chain, amount, method,
       created_at, lease_holder, lease_expires_at, first_approver, escalated_at
FROM requests AS r
WHERE status = ANY(%(statuses)s) AND (created_at, id) > (%(after_created_at)s, %(after_id)s)
  AND (%(method)s::text IS NULL OR method = %(method)s::text)
  AND (%(chain)s::text IS NULL OR chain = %(chain)s::text)
  AND (%(created_before)s::timestamptz IS NULL OR created_at < %(created_before)s::timestamptz)
  AND (%(min_amount)s::numeric IS NULL OR amount >= %(min_amount)s::numeric)
  AND (NOT %(escalated)s OR escalated_at IS NOT NULL)
  AND (NOT %(destination_reused)s
       OR EXISTS (SELECT 1 FROM requests o WHERE o.destination = r.destination AND o.id <> r.id))
  AND (NOT %(client_many)s
       OR EXISTS (SELECT 1 FROM requests o WHERE o.client_address = r.client_address AND o.id <> r.id))
  AND (%(search)s::text IS NULL OR snapshot_address = %(search)s::text OR destination = %(search)s::text
       OR id = %(search_id)s::uuid)
ORDER BY created_at, id
LIMIT %(limit)s

-- lease_request --
UPDATE requests SET lease_holder = %(actor)s, lease_expires_at = %(lease_expires_at)s, updated_at = %(now)s
WHERE id = %(id)s

-- release_lease --
UPDATE requests SET lease_holder = NULL, lease_expires_at = NULL, updated_at = %(now)s
WHERE id = %(id)s

-- escalate --
UPDATE requests
SET escalated_by = %(actor)s, escalated_at = %(now)s, escalation_reason = %(reason)s,
    lease_holder = NULL, lease_expires_at = NULL, updated_at = %(now)s
WHERE id = %(id)s

-- reopen --
-- The note staff left for the holder belonged to the decision being undone ("send a new one"): it goes,
-- so the holder never reads it beside "Waiting for review". The audit log keeps it.
UPDATE requests
SET status = %(status)s, lease_holder = NULL, lease_expires_at = NULL, first_approver = NULL, public_note = NULL,
    updated_at = %(now)s
WHERE id = %(id)s

-- related_requests --
-- Other requests naming the same destination or sent from the same client address.
SELECT id, status, snapshot_address, destination, client_address, created_at
FROM requests
WHERE id <> %(id)s AND (destination = %(destination)s OR client_address = %(client_address)s)
ORDER BY created_at DESC, id
LIMIT %(limit)s

-- request_audit --
SELECT seq, at, actor, action, subject, data, client, prev_hash, hash
FROM audit_events WHERE subject = %(subject)s ORDER BY seq LIMIT %(limit)s

-- queue_stats --
SELECT status, count(*) AS depth, min(created_at) AS oldest_created_at FROM requests GROUP BY status

-- approved_entries --
SELECT snapshot_address, destination, amount, destination_chain, proof_chain_id FROM requests
WHERE snapshot_id = %(snapshot_id)s AND status = 'approved'
ORDER BY snapshot_address
