-- insert_version --
INSERT INTO policy_versions (slug, version, document, sha256, prev, signatures, effective, expires,
                             published_by, published_at, root_version)
VALUES (%(slug)s, %(version)s, %(document)s, %(sha256)s, %(prev)s, %(signatures)s, %(effective)s, %(expires)s,
        %(published_by)s, %(published_at)s, %(root_version)s)

-- lock_slug --
SELECT pg_advisory_xact_lock(hashtext('policy:' || %(slug)s))

-- latest_version --
SELECT slug, version, document, sha256, prev, signatures, effective, expires, published_by, published_at,
       root_version
FROM policy_versions WHERE slug = %(slug)s ORDER BY version DESC LIMIT 1

-- get_version --
SELECT slug, version, document, sha256, prev, signatures, effective, expires, published_by, published_at,
       root_version
FROM policy_versions WHERE slug = %(slug)s AND version = %(version)s

-- list_versions --
SELECT slug, version, document, sha256, prev, signatures, effective, expires, published_by, published_at,
       root_version
FROM policy_versions WHERE slug = %(slug)s ORDER BY version

-- latest_of_each --
SELECT DISTINCT ON (slug) slug, version, document, sha256, prev, signatures, effective, expires, published_by,
       published_at, root_version
FROM policy_versions ORDER BY slug, version DESC

-- all_versions --
SELECT slug, version, document, sha256, prev, signatures, effective, expires, published_by, published_at,
       root_version
FROM policy_versions ORDER BY published_at DESC, slug, version DESC

-- lock_roots --
SELECT pg_advisory_xact_lock(hashtext('policy-roots'))

-- insert_root --
INSERT INTO policy_roots (version, document, sha256, signatures, expires, published_by, published_at)
VALUES (%(version)s, %(document)s, %(sha256)s, %(signatures)s, %(expires)s, %(published_by)s, %(published_at)s)

-- list_roots --
SELECT version, document, sha256, signatures, expires, published_by, published_at
FROM policy_roots ORDER BY version

-- get_root --
SELECT version, document, sha256, signatures, expires, published_by, published_at
FROM policy_roots WHERE version = %(version)s
