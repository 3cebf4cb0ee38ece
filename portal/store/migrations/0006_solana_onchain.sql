-- Method solana_onchain: ownership proven by a transaction executed on chain from the snapshot address
-- (a Memo with the nonce line, signed by it, or by a Squads vault PDA through its multisig) (issue 15).
-- requests.method gets the same CHECK as challenges.method, which it never had.
ALTER TABLE challenges DROP CONSTRAINT challenges_method_check;
ALTER TABLE challenges ADD CONSTRAINT challenges_method_check
    CHECK (method IN ('eip191', 'eip712', 'eip1271', 'solana', 'solana_tx', 'solana_onchain', 'transaction'));
ALTER TABLE requests ADD CONSTRAINT requests_method_check
    CHECK (method IN ('eip191', 'eip712', 'eip1271', 'solana', 'solana_tx', 'solana_onchain', 'transaction'));
