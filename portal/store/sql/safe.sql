-- insert_safe_challenge --
INSERT INTO safe_challenges (challenge_id, safe_address, chain_id, block_number, owners, threshold, version,
                             fallback_handler, message_hash, safe_message_hash)
VALUES (%(challenge_id)s, %(safe_address)s, %(chain_id)s, %(block_number)s, %(owners)s, %(threshold)s, %(version)s,
        %(fallback_handler)s, %(message_hash)s, %(safe_message_hash)s)

-- get_safe_challenge --
SELECT challenge_id, safe_address, chain_id, block_number, owners, threshold, version, fallback_handler,
       message_hash, safe_message_hash
FROM safe_challenges WHERE challenge_id = %(challenge_id)s

-- insert_safe_signature --
INSERT INTO safe_signatures (challenge_id, owner, kind, part, dynamic, checked_at_block, submitted_at, client_address)
VALUES (%(challenge_id)s, %(owner)s, %(kind)s, %(part)s, %(dynamic)s, %(checked_at_block)s, %(submitted_at)s,
        %(client_address)s)

-- safe_signatures_of --
SELECT owner, kind, part, dynamic, checked_at_block, submitted_at
FROM safe_signatures WHERE challenge_id = %(challenge_id)s ORDER BY submitted_at, owner
