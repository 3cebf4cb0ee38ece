-- The chain a contract-wallet proof was made on (issue 26): a Safe or smart account on chain A does not own the
-- same address on chain B, so the allowlist and releases keep a request to the chain id its proof names. Read
-- from the evidence the verifier wrote (`verification.chain_id`; a Safe proof filed before it was written there
-- has it in `verification.safe.chain_id`), so every way a request is written carries it. NULL: a proof made by
-- a key, which owns its address on every chain.
ALTER TABLE requests ADD COLUMN proof_chain_id bigint GENERATED ALWAYS AS (
    COALESCE(evidence #>> '{verification,chain_id}', evidence #>> '{verification,safe,chain_id}')::bigint
) STORED;
