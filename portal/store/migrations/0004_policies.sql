-- Published policy versions: the exact signed bytes and their signatures (issue 5).
CREATE TABLE policy_versions (
    slug         text NOT NULL,
    version      integer NOT NULL CHECK (version >= 1),
    document     bytea NOT NULL,          -- the exact signed bytes
    sha256       text NOT NULL,
    prev         text NOT NULL,
    signatures   jsonb NOT NULL,
    effective    timestamptz NOT NULL,
    expires      timestamptz NOT NULL,
    published_by text NOT NULL,
    published_at timestamptz NOT NULL,
    PRIMARY KEY (slug, version)
);
