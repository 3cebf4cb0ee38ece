-- Releases (issue 21): numbered, signed claim trees per destination chain, and the requests each holds.
-- The document and the entries file are stored as the exact bytes that were signed and hashed, so
-- what is served is what was verified. A request is held by at most one release (the primary key of
-- release_requests), which is how `prepare` knows what is new.
CREATE TABLE releases (
    destination_chain text NOT NULL CHECK (destination_chain IN ('evm', 'solana')),
    number            integer NOT NULL CHECK (number >= 1),
    document          bytea NOT NULL,
    sha256            text NOT NULL UNIQUE,
    prev              text NOT NULL,
    entries_file      bytea NOT NULL,
    entries_sha256    text NOT NULL,
    tree              text NOT NULL,
    merkle_root       text NOT NULL,
    entry_count       integer NOT NULL CHECK (entry_count >= 1),
    total             numeric(78, 0) NOT NULL,
    decimals          integer NOT NULL,
    distributor       text NOT NULL,
    program           text NOT NULL DEFAULT '',  -- Solana: the distributor program
    claim_deadline    timestamptz,
    signatures        jsonb NOT NULL,
    root_version      integer NOT NULL,
    published_by      text NOT NULL,
    published_at      timestamptz NOT NULL,
    synced_block      bigint,               -- claim status: the last block whose Claimed events were read
    synced_at         timestamptz,          -- and when (staleness is shown when a node is down)
    PRIMARY KEY (destination_chain, number)
);

CREATE TABLE release_requests (
    request_id        uuid PRIMARY KEY REFERENCES requests (id),
    destination_chain text NOT NULL,
    number            integer NOT NULL,
    entry_index       integer NOT NULL,
    FOREIGN KEY (destination_chain, number) REFERENCES releases (destination_chain, number)
);
CREATE INDEX release_requests_release ON release_requests (destination_chain, number, entry_index);

-- Claims read from the chain (the distributor's Claimed events): one row per claimed entry.
CREATE TABLE release_claims (
    destination_chain text NOT NULL,
    number            integer NOT NULL,
    entry_index       integer NOT NULL,
    claimed_at        timestamptz NOT NULL,
    claim_tx          text,                 -- EVM: the claim's transaction; Solana: unknown (a ClaimStatus account)
    block_number      bigint NOT NULL,
    PRIMARY KEY (destination_chain, number, entry_index),
    FOREIGN KEY (destination_chain, number) REFERENCES releases (destination_chain, number)
);
-- The sync moves its cursor; nothing else of a published release ever changes.
GRANT UPDATE (synced_block, synced_at) ON releases TO portal_app;

-- The claim window: a challenge issued after the signed policy's claim_deadline, when the policy
-- says late requests go to review, is marked so staff see the request it proves came late.
ALTER TABLE challenges ADD COLUMN late boolean NOT NULL DEFAULT false;
