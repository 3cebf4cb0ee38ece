"""The app connects as ``portal_app``, which can append to the audit log but not rewrite it (issue 10).

Every other integration test runs the app through this role too (``create_app`` derives its URL
from the owner's), so the suite as a whole proves the grants are enough for normal operation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets

import psycopg
import pytest
from litestar.testing import TestClient

from portal.app import create_app
from portal.settings import Settings
from portal.store import audit
from portal.store.database import Database, app_role_problem, app_role_url
from portal.store.migrations import migrate
from tests.conftest import with_database


def _append_one(owner_url: str) -> None:
    async def run() -> None:
        db = await Database.open(app_role_url(owner_url), size=1)
        try:
            async with db.transaction() as conn:
                await audit.append(conn, key=b"test chain key, not a secret....", at=dt.datetime.now(dt.UTC),
                                   actor="t", action="test:event:made", subject="x")
        finally:
            await db.close()

    asyncio.run(run())


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET actor = 'mallory'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete",
    "SET session_replication_role = replica",
    # The console's admins add, re-role and revoke keys (issue 12), so the app may INSERT and UPDATE
    # (role, revoked_at); it may still not delete a key, rename one, swap its token or un-revoke it.
    "DELETE FROM staff_keys",
    "UPDATE staff_keys SET token_hash = '\\x00'",
    "SELECT * FROM schema_migrations",
    "CREATE TABLE audit_events_shadow (seq bigint)",
])
def test_app_role_cannot_rewrite_history(database_url: str, statement: str) -> None:
    _append_one(database_url)
    with psycopg.connect(app_role_url(database_url), autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("portal_app",)
        # "permission denied"/"must be owner": refused by the grants themselves, not by the trigger
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=r"permission denied|must be owner"):
            conn.execute(statement)  # type: ignore[arg-type]
    events = list(audit.iter_all_sync(database_url))
    assert [e.actor for e in events] == ["t"]
    assert audit.first_broken(events, key=b"test chain key, not a secret....") is None


def test_app_role_cannot_unrevoke_a_staff_key(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as owner:
        owner.execute("INSERT INTO staff_keys (name, role, token_hash, revoked_at) "
                      "VALUES ('old', 'admin', '\\x01', now())")
    with psycopg.connect(app_role_url(database_url), autocommit=True) as conn:
        conn.execute("UPDATE staff_keys SET role = 'reviewer' WHERE name = 'nobody'")  # the grant itself works
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="stays revoked"):
            conn.execute("UPDATE staff_keys SET revoked_at = NULL WHERE name = 'old'")


def test_app_role_is_reported_safe_and_the_owner_is_not(database_url: str) -> None:
    assert app_role_problem(app_role_url(database_url)) is None
    assert "superuser or owns the tables" in (app_role_problem(database_url) or "")
    assert (app_role_problem(app_role_url(database_url).replace("@/", "@/no_such_db_")) or "").startswith(
        "cannot connect")


def test_create_app_connects_as_the_app_role(settings: Settings) -> None:
    app = create_app(settings)

    async def whoami() -> str:
        async with app.state.runtime.db.transaction() as conn:
            row = await (await conn.execute("SELECT current_user AS name")).fetchone()
        return row["name"]

    with TestClient(app=app) as client:
        assert client.get("/ready").status_code == 200
        with client.portal() as portal:
            assert portal.call(whoami) == "portal_app"


def test_the_role_migration_runs_again_where_the_role_exists(pg_server_url: str) -> None:
    name = f"portal_role_{secrets.token_hex(4)}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        assert "0008_app_role" in migrate(with_database(pg_server_url, name))  # portal_app already exists
        with psycopg.connect(app_role_url(with_database(pg_server_url, name))) as conn:
            assert conn.execute("SELECT count(*) FROM audit_events").fetchone() == (0,)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_app_role_url_swaps_the_user_and_drops_the_password() -> None:
    assert app_role_url("postgresql://postgres:@/postgres?host=/tmp/pg") == "postgresql://portal_app@/postgres?host=/tmp/pg"
    assert app_role_url("postgresql://owner:s3cret@db.example:5432/portal?sslmode=require&user=owner") == (
        "postgresql://portal_app@db.example:5432/portal?sslmode=require")
