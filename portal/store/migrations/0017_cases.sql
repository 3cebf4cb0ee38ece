-- Cases (issue 23): every holder question on the official domain, opened with an ownership proof.
-- A challenge says what it is for: an allowlist request (the default, an address in the snapshot)
-- or a case (any well-formed address). A case challenge cannot file a request, nor the other way round.
ALTER TABLE challenges ADD COLUMN purpose text NOT NULL DEFAULT 'allowlist'
    CHECK (purpose IN ('allowlist', 'case'));

CREATE TABLE cases (
    id                uuid PRIMARY KEY,           -- the challenge's id: the "Request ID" the holder signed
    challenge_id      uuid NOT NULL UNIQUE REFERENCES challenges (id),
    kind              text NOT NULL CHECK (kind IN ('not_in_snapshot', 'amount_wrong', 'late', 'question')),
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'awaiting_second_approval', 'closed')),
    chain             text NOT NULL CHECK (chain IN ('evm', 'solana')),
    snapshot_id       text NOT NULL,
    address           text NOT NULL,              -- the proven address, canonical text
    destination       text NOT NULL,
    destination_chain text NOT NULL CHECK (destination_chain IN ('evm', 'solana')),
    snapshot_amount   uint256,                    -- NULL: not in the snapshot
    method            text NOT NULL,
    message           text NOT NULL,
    proof             text NOT NULL,
    recovered_signer  text NOT NULL,
    evidence          jsonb NOT NULL,             -- the holder's tx hashes or signatures, the snapshot entry, the exclusion
    status_token_hash bytea NOT NULL,
    client_address    text,
    user_agent        text,
    lease_holder      text,
    lease_expires_at  timestamptz,
    first_approver    text,                       -- four-eyes: the first "upheld" at or above the threshold
    first_amount      uint256,
    outcome           text CHECK (outcome IN ('upheld', 'rejected', 'answered')),
    outcome_reason    text CHECK (length(outcome_reason) <= 2000),
    corrected_amount  uint256,
    decided_by        text,
    decided_at        timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CHECK ((status = 'closed') = (outcome IS NOT NULL)),
    CHECK ((outcome = 'upheld') = (corrected_amount IS NOT NULL))
);
-- One open case per address and kind: a second proof answers with the open one.
CREATE UNIQUE INDEX cases_one_open_per_address_kind ON cases (address, kind) WHERE status <> 'closed';
CREATE INDEX cases_queue ON cases (created_at, id) WHERE status <> 'closed';
CREATE INDEX cases_queue_kind ON cases (kind, created_at, id) WHERE status <> 'closed';
CREATE INDEX cases_all ON cases (status, created_at, id);
CREATE INDEX cases_address ON cases (address);

CREATE TABLE case_messages (
    id      bigserial PRIMARY KEY,
    case_id uuid NOT NULL REFERENCES cases (id),
    at      timestamptz NOT NULL,
    author  text NOT NULL CHECK (author IN ('holder', 'staff')),
    staff   text,                                 -- who, for staff (shown to staff only)
    text    text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
    CHECK ((author = 'staff') = (staff IS NOT NULL))
);
CREATE INDEX case_messages_case ON case_messages (case_id, at, id);

-- An upheld case's correction: public (GET /v1/corrections) except the holder's words; the release
-- that carries it is set when a release of its destination chain takes it in.
CREATE TABLE corrections (
    case_id           uuid PRIMARY KEY REFERENCES cases (id),
    address           text NOT NULL,
    destination       text NOT NULL,
    destination_chain text NOT NULL CHECK (destination_chain IN ('evm', 'solana')),
    amount            uint256 NOT NULL CHECK (amount > 0),
    kind              text NOT NULL,
    category          text,                       -- the exclude list's category, when the address was on it
    reason            text NOT NULL,
    decided_at        timestamptz NOT NULL,
    release_chain     text,
    release_number    integer
);
CREATE INDEX corrections_decided ON corrections (decided_at, case_id);

GRANT UPDATE ON cases TO portal_app;                                -- leases, decisions
GRANT UPDATE (release_chain, release_number) ON corrections TO portal_app;
