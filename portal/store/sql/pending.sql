-- insert_pending --
INSERT INTO pending_documents (id, kind, document, entries_file, sha256, label, uploaded_by, uploaded_at)
VALUES (%(id)s, %(kind)s, %(document)s, %(entries_file)s, %(sha256)s, %(label)s, %(uploaded_by)s, %(uploaded_at)s)

-- insert_signature --
INSERT INTO pending_signatures (pending_id, signer, signature, added_by, added_at)
VALUES (%(pending_id)s, %(signer)s, %(signature)s, %(added_by)s, %(added_at)s)
ON CONFLICT (pending_id, signer) DO NOTHING
RETURNING signer

-- get_pending --
SELECT id, kind, document, entries_file, sha256, label, uploaded_by, uploaded_at, outcome, closed_by, closed_at
FROM pending_documents WHERE id = %(id)s

-- lock_pending --
SELECT id, kind, document, entries_file, sha256, label, uploaded_by, uploaded_at, outcome, closed_by, closed_at
FROM pending_documents WHERE id = %(id)s FOR UPDATE

-- signatures --
SELECT signer, signature, added_by, added_at FROM pending_signatures
WHERE pending_id = %(id)s ORDER BY added_at, signer

-- list_pending --
SELECT p.id, p.kind, p.sha256, p.label, p.uploaded_by, p.uploaded_at, p.outcome, p.closed_by, p.closed_at,
       (SELECT count(*) FROM pending_signatures s WHERE s.pending_id = p.id) AS signatures
FROM pending_documents p
WHERE p.outcome IS NULL OR p.closed_at > %(closed_since)s
ORDER BY p.outcome IS NOT NULL, p.uploaded_at DESC
LIMIT %(limit)s

-- close_pending --
UPDATE pending_documents SET outcome = %(outcome)s, closed_by = %(closed_by)s, closed_at = %(closed_at)s
WHERE id = %(id)s AND outcome IS NULL
