-- Trust roots as a served history (issue 13): every root a verifier may walk, with the signatures
-- that rotated it in; each policy version names the root it was verified against when published.
CREATE TABLE policy_roots (
    version      integer PRIMARY KEY CHECK (version >= 1),
    document     bytea NOT NULL,          -- the exact root.toml bytes
    sha256       text NOT NULL UNIQUE,
    signatures   jsonb NOT NULL,
    expires      timestamptz NOT NULL,
    published_by text NOT NULL,
    published_at timestamptz NOT NULL
);

ALTER TABLE policy_versions ADD COLUMN root_version integer NOT NULL DEFAULT 1;
ALTER TABLE policy_versions ALTER COLUMN root_version DROP DEFAULT;
