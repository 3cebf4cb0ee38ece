-- The app's own role (issue 10): `portal serve` and `create_app` connect as portal_app, which owns
-- nothing and may only do what the service does. Above all it may not rewrite history: on the
-- audit log it has INSERT and SELECT, and no superuser powers (so no `SET session_replication_role`
-- past the append-only trigger, no ALTER TABLE ... DISABLE TRIGGER). Migrations and operator
-- commands keep using the owner's connection (DATABASE_URL).
--
-- Roles are cluster-wide: another database on this server (a test clone, a second deployment) may
-- have created it already, even concurrently (the migration lock is per database).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'portal_app') THEN
        BEGIN
            CREATE ROLE portal_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO portal_app;

-- Append-and-read is the default, for the tables that exist now (whatever migrations ran before
-- this one) and for every table and sequence later migrations create (default privileges of the
-- migrating role). A later table the app must update or delete from says so with its own GRANT.
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO portal_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO portal_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT ON TABLES TO portal_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO portal_app;

-- The exceptions, from the queries in portal/store/sql/*.sql:
REVOKE ALL ON schema_migrations FROM portal_app;        -- migrations are the owner's
REVOKE INSERT ON staff_keys FROM portal_app;            -- keys are issued and revoked by `portal staff` only
GRANT UPDATE ON challenges TO portal_app;               -- use_challenge, lock_challenge (FOR UPDATE)
GRANT UPDATE ON requests TO portal_app;                 -- claims, decisions, lock_request (FOR UPDATE)
