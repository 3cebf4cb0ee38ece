-- The holder's request page is kept in each process's memory (portal/store/holder_rows.py) and dropped
-- the moment anything it is made of changes. Whatever writes (this process, another replica, a worker,
-- the CLI, psql) goes through these triggers, which NOTIFY channel 'holder_pages' on commit with the
-- request's id, or with '*' when one statement changed several requests or a release or its claim
-- status (the processes then drop every kept row). Statement-level with transition tables: a release of
-- 100,000 entries is one notification, not 100,000.

CREATE FUNCTION notify_holder_pages_of_requests() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    first_id uuid;
    more boolean;
BEGIN
    SELECT id INTO first_id FROM changed LIMIT 1;
    IF first_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT count(*) > 1 INTO more FROM (SELECT 1 FROM changed LIMIT 2) AS two;
    PERFORM pg_notify('holder_pages', CASE WHEN more THEN '*' ELSE first_id::text END);
    RETURN NULL;
END $$;

CREATE FUNCTION notify_holder_pages_of_answers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    first_id uuid;
    more boolean;
BEGIN
    SELECT request_id INTO first_id FROM changed LIMIT 1;
    IF first_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT count(DISTINCT request_id) > 1 INTO more FROM changed;
    PERFORM pg_notify('holder_pages', CASE WHEN more THEN '*' ELSE first_id::text END);
    RETURN NULL;
END $$;

CREATE FUNCTION notify_holder_pages_of_releases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed) THEN
        PERFORM pg_notify('holder_pages', '*');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION notify_holder_pages_of_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('holder_pages', '*');
    RETURN NULL;
END $$;

CREATE TRIGGER requests_updated_holder_pages AFTER UPDATE ON requests
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_requests();
CREATE TRIGGER requests_deleted_holder_pages AFTER DELETE ON requests
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_requests();
CREATE TRIGGER answers_inserted_holder_pages AFTER INSERT ON request_answers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_answers();
CREATE TRIGGER answers_updated_holder_pages AFTER UPDATE ON request_answers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_answers();
CREATE TRIGGER answers_deleted_holder_pages AFTER DELETE ON request_answers
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_answers();

CREATE TRIGGER releases_inserted_holder_pages AFTER INSERT ON releases
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_releases();
CREATE TRIGGER releases_updated_holder_pages AFTER UPDATE ON releases
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_releases();
CREATE TRIGGER releases_deleted_holder_pages AFTER DELETE ON releases
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_releases();
CREATE TRIGGER release_requests_inserted_holder_pages AFTER INSERT ON release_requests
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_releases();
CREATE TRIGGER release_requests_deleted_holder_pages AFTER DELETE ON release_requests
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_releases();
CREATE TRIGGER release_claims_inserted_holder_pages AFTER INSERT ON release_claims
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_releases();
CREATE TRIGGER release_claims_updated_holder_pages AFTER UPDATE ON release_claims
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_releases();
CREATE TRIGGER release_claims_deleted_holder_pages AFTER DELETE ON release_claims
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_releases();

CREATE TRIGGER requests_truncated_holder_pages AFTER TRUNCATE ON requests
    FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_truncate();
CREATE TRIGGER answers_truncated_holder_pages AFTER TRUNCATE ON request_answers
    FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_truncate();
CREATE TRIGGER releases_truncated_holder_pages AFTER TRUNCATE ON releases
    FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_truncate();
CREATE TRIGGER release_requests_truncated_holder_pages AFTER TRUNCATE ON release_requests
    FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_truncate();
CREATE TRIGGER release_claims_truncated_holder_pages AFTER TRUNCATE ON release_claims
    FOR EACH STATEMENT EXECUTE FUNCTION notify_holder_pages_of_truncate();
