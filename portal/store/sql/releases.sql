-- lock_chain --
SELECT pg_advisory_xact_lock(hashtext('release:' || %(chain)s))

-- unreleased_approved --
SELECT r.id, r.snapshot_id, r.snapshot_address, r.destination, r.amount, r.proof_chain_id
FROM requests r
WHERE r.status = 'approved' AND r.destination_chain = %(chain)s
  AND NOT EXISTS (SELECT 1 FROM release_requests rr WHERE rr.request_id = r.id)
ORDER BY r.snapshot_id, r.snapshot_address

-- unreleased_corrections --
-- Upheld cases' corrections to this chain that no release carries (issue 23).
SELECT c.case_id, k.snapshot_id, c.address, c.destination, c.amount, c.kind, c.category, c.reason,
       (k.evidence #>> '{verification,chain_id}')::bigint AS proof_chain_id
FROM corrections c JOIN cases k ON k.id = c.case_id
WHERE c.destination_chain = %(chain)s AND c.release_number IS NULL
ORDER BY c.decided_at, c.case_id

-- carry_corrections --
UPDATE corrections SET release_chain = %(chain)s, release_number = %(number)s
WHERE case_id = ANY(%(case_ids)s::uuid[]) AND release_number IS NULL

-- insert_release --
INSERT INTO releases (destination_chain, number, document, sha256, prev, entries_file, entries_sha256, tree,
                      merkle_root, entry_count, total, decimals, distributor, program, claim_deadline, signatures,
                      root_version, published_by, published_at)
VALUES (%(destination_chain)s, %(number)s, %(document)s, %(sha256)s, %(prev)s, %(entries_file)s,
        %(entries_sha256)s, %(tree)s, %(merkle_root)s, %(entry_count)s, %(total)s, %(decimals)s, %(distributor)s,
        %(program)s, %(claim_deadline)s, %(signatures)s, %(root_version)s, %(published_by)s, %(published_at)s)

-- copy_release_requests --
COPY release_requests (request_id, destination_chain, number, entry_index) FROM STDIN

-- latest --
SELECT destination_chain, number, document, sha256, prev, tree, merkle_root, entry_count, total, decimals,
       distributor, claim_deadline, entries_sha256, signatures, root_version, published_at, program
FROM releases WHERE destination_chain = %(chain)s ORDER BY number DESC LIMIT 1

-- list --
SELECT destination_chain, number, document, sha256, prev, tree, merkle_root, entry_count, total, decimals,
       distributor, claim_deadline, entries_sha256, signatures, root_version, published_at, program
FROM releases ORDER BY destination_chain, number

-- get --
SELECT destination_chain, number, document, sha256, prev, tree, merkle_root, entry_count, total, decimals,
       distributor, claim_deadline, entries_sha256, signatures, root_version, published_at, program
FROM releases WHERE destination_chain = %(chain)s AND number = %(number)s

-- entries_file --
SELECT entries_file FROM releases WHERE destination_chain = %(chain)s AND number = %(number)s

-- to_sync --
SELECT destination_chain, number, distributor, program, synced_block, entry_count, sha256, tree FROM releases
WHERE destination_chain = %(chain)s AND distributor <> '' ORDER BY number

-- insert_claim --
INSERT INTO release_claims (destination_chain, number, entry_index, claimed_at, claim_tx, block_number)
VALUES (%(chain)s, %(number)s, %(index)s, %(claimed_at)s, %(tx)s, %(block)s)
ON CONFLICT DO NOTHING

-- mark_synced --
UPDATE releases SET synced_block = %(block)s, synced_at = %(at)s
WHERE destination_chain = %(chain)s AND number = %(number)s

-- claimed_indices --
SELECT entry_index FROM release_claims WHERE destination_chain = %(chain)s AND number = %(number)s

-- synced_at --
SELECT synced_at FROM releases WHERE destination_chain = %(chain)s AND number = %(number)s


-- held_back --
-- Approved requests to EVM destinations no release holds whose contract-wallet proof names another chain id
-- than this server's EVM releases are for (issue 26): they wait for a release of their own chain.
SELECT r.id, r.snapshot_address, r.destination, r.proof_chain_id
FROM requests r
WHERE r.status = 'approved' AND r.destination_chain = 'evm'
  AND r.proof_chain_id IS NOT NULL AND r.proof_chain_id <> %(chain_id)s
  AND NOT EXISTS (SELECT 1 FROM release_requests rr WHERE rr.request_id = r.id)
ORDER BY r.created_at, r.id
LIMIT %(limit)s
