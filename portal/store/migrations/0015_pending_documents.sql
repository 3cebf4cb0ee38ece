-- Pending documents (issue 22): a policy version or a release uploaded in the staff console, waiting
-- for the trust root's signers. The exact bytes are stored (the entries file too, for a release);
-- each signature is checked when it is added (portal/domain/pending.py) and stored once per signer.
-- Publishing goes through the same domain function as POST /v1/policies or /v1/releases and closes
-- the row in the same transaction; a withdrawn document is closed too. Nothing is ever deleted.
CREATE TABLE pending_documents (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('policy', 'release')),
    document     bytea NOT NULL,
    entries_file bytea,
    sha256       text NOT NULL,
    label        text NOT NULL,        -- "policy official version 2", "release evm 1"
    uploaded_by  text NOT NULL,
    uploaded_at  timestamptz NOT NULL,
    outcome      text CHECK (outcome IN ('published', 'withdrawn')),
    closed_by    text,
    closed_at    timestamptz,
    CHECK ((kind = 'release') = (entries_file IS NOT NULL)),
    CHECK ((outcome IS NULL) = (closed_at IS NULL) AND (outcome IS NULL) = (closed_by IS NULL))
);
-- The same exact bytes are pending at most once.
CREATE UNIQUE INDEX pending_documents_open_sha256 ON pending_documents (sha256) WHERE outcome IS NULL;
CREATE INDEX pending_documents_uploaded ON pending_documents (uploaded_at);

CREATE TABLE pending_signatures (
    pending_id uuid NOT NULL REFERENCES pending_documents (id),
    signer     text NOT NULL,          -- the EIP-55 address the signature recovers to
    signature  text NOT NULL,
    added_by   text NOT NULL,          -- the staff actor who added it (console or upload)
    added_at   timestamptz NOT NULL,
    PRIMARY KEY (pending_id, signer)
);

GRANT UPDATE (outcome, closed_by, closed_at) ON pending_documents TO portal_app;  -- close_pending
