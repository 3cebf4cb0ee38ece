-- The review queue reads a request through one view (issue 20): the claim and the evidence page
-- select the same columns, and the risk-flag counts beside them, from here, so the list of a
-- request's fields is written once in SQL (and once in Python, ``store.review.RequestFields``).
-- ``id`` is named ``request_id`` as the API names it.
CREATE VIEW review_requests AS
SELECT r.id AS request_id, r.status, r.snapshot_id, r.snapshot_address, r.chain, r.destination,
       r.destination_chain, r.amount, r.method, r.message, r.proof, r.recovered_signer, r.evidence,
       r.client_address, r.user_agent, r.public_note, r.lease_holder, r.lease_expires_at, r.first_approver,
       r.decided_by, r.decided_at, r.decision_reason, r.created_at, r.updated_at,
       r.escalated_by, r.escalated_at, r.escalation_reason,
       (SELECT count(*) FROM requests o WHERE o.destination = r.destination AND o.id <> r.id) AS destination_uses,
       (SELECT count(*) FROM requests o WHERE o.client_address = r.client_address AND o.id <> r.id)
           AS client_requests
FROM requests AS r;

-- The app reads it; the default privileges (0008) would also let it insert through it, which no
-- query does.
REVOKE ALL ON review_requests FROM portal_app;
GRANT SELECT ON review_requests TO portal_app;
