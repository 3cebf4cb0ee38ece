-- Safe signatures gathered over days (issue 26): the method `safe`, the Safe a challenge pins with its owners and
-- threshold read at a recorded block, and each owner's signature as it arrives.
ALTER TABLE challenges DROP CONSTRAINT challenges_method_check;
ALTER TABLE challenges ADD CONSTRAINT challenges_method_check
    CHECK (method IN ('eip191', 'eip712', 'eip1271', 'safe', 'solana', 'solana_tx', 'solana_onchain', 'transaction'));
ALTER TABLE requests DROP CONSTRAINT requests_method_check;
ALTER TABLE requests ADD CONSTRAINT requests_method_check
    CHECK (method IN ('eip191', 'eip712', 'eip1271', 'safe', 'solana', 'solana_tx', 'solana_onchain', 'transaction'));

CREATE TABLE safe_challenges (
    challenge_id      uuid PRIMARY KEY REFERENCES challenges (id),
    safe_address      text NOT NULL,
    chain_id          bigint NOT NULL,
    block_number      bigint NOT NULL CHECK (block_number >= 0),
    owners            jsonb NOT NULL,
    threshold         integer NOT NULL CHECK (threshold >= 1),
    version           text NOT NULL,
    fallback_handler  text NOT NULL,
    message_hash      bytea NOT NULL CHECK (length(message_hash) = 32),
    safe_message_hash bytea NOT NULL CHECK (length(safe_message_hash) = 32)
);

CREATE TABLE safe_signatures (
    challenge_id     uuid NOT NULL REFERENCES safe_challenges (challenge_id),
    owner            text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('ecdsa', 'eth_sign', 'contract', 'approved_hash')),
    part             bytea NOT NULL CHECK (length(part) = 65),
    dynamic          bytea NOT NULL DEFAULT '\x',
    checked_at_block bigint NOT NULL,
    submitted_at     timestamptz NOT NULL,
    client_address   text,
    PRIMARY KEY (challenge_id, owner)
);
