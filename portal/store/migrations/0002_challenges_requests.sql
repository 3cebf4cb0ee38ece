-- Ownership challenges and the manual-allowlist requests they become (issue 3).
CREATE TABLE challenges (
    id               uuid PRIMARY KEY,
    method           text NOT NULL CHECK (method IN ('eip191', 'eip712', 'eip1271', 'solana', 'solana_tx', 'transaction')),
    chain            text NOT NULL CHECK (chain IN ('evm', 'solana')),
    snapshot_id      text NOT NULL,
    snapshot_address text NOT NULL,
    destination      text NOT NULL,
    amount           uint256 NOT NULL,
    nonce            text NOT NULL UNIQUE,
    message          text NOT NULL,
    typed_data       jsonb,
    issued_at        timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz,
    client_address   text,
    CHECK (expires_at > issued_at)
);

CREATE TABLE requests (
    id                uuid PRIMARY KEY,
    challenge_id      uuid NOT NULL UNIQUE REFERENCES challenges (id),
    snapshot_id       text NOT NULL,
    snapshot_address  text NOT NULL,
    chain             text NOT NULL CHECK (chain IN ('evm', 'solana')),
    destination       text NOT NULL,
    amount            uint256 NOT NULL,
    method            text NOT NULL,
    message           text NOT NULL,
    proof             text NOT NULL,            -- the signature, tx hash or signed transaction as submitted
    recovered_signer  text NOT NULL,
    evidence          jsonb NOT NULL DEFAULT '{}'::jsonb,  -- snapshot entry, method details
    status            text NOT NULL DEFAULT 'pending_review'
                      CHECK (status IN ('pending_review', 'awaiting_second_approval', 'needs_info', 'approved', 'rejected')),
    status_token_hash bytea NOT NULL,
    client_address    text,
    user_agent        text,
    public_note       text,
    lease_holder      text,
    lease_expires_at  timestamptz,
    first_approver    text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

-- One live request per snapshot address: a rejected one may be followed by a new proof; an
-- approved one may not (it would duplicate an allowlist entry).
CREATE UNIQUE INDEX requests_one_live_per_address ON requests (snapshot_id, snapshot_address)
    WHERE status <> 'rejected';
CREATE INDEX requests_queue ON requests (status, created_at, id);
CREATE INDEX requests_destination ON requests (destination);
CREATE INDEX requests_client_address ON requests (client_address);
