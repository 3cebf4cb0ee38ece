"""Migrations: applied once, in order, recorded; re-running is a no-op; the audit log is append-only."""

from __future__ import annotations

import asyncio
import datetime as dt

import psycopg
import pytest

from portal.store import audit
from portal.store.database import Database
from portal.store.migrations import available_migrations, migrate

TEST_CHAIN_KEY = b"test chain key, not a secret...."


def test_template_has_every_migration_recorded(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        recorded = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert recorded == [version for version, _, _ in available_migrations()]
    assert migrate(database_url) == []


def test_declared_tables_exist(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        tables = {row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert {"schema_migrations", "challenges", "requests", "staff_keys", "audit_events",
            "policy_versions"} <= tables


def test_edited_migration_is_refused(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_migrations SET sha256 = 'x' WHERE version = 1")
    with pytest.raises(Exception, match="edited after it was applied"):
        migrate(database_url)


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events",
                                       "TRUNCATE audit_events"])
def test_audit_log_refuses_changes(database_url: str, statement: str) -> None:
    async def write_two() -> None:
        db = await Database.open(database_url, size=2)
        try:
            async with db.transaction() as conn:
                for n in range(2):
                    await audit.append(conn, key=TEST_CHAIN_KEY, at=dt.datetime.now(dt.UTC), actor="test",
                                       action="test:event:made",
                                       subject=f"thing:{n}", data={"n": n})
        finally:
            await db.close()

    asyncio.run(write_two())
    with psycopg.connect(database_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(statement)  # type: ignore[arg-type]
        events = list(audit.iter_all_sync(database_url))
    assert [e.seq for e in events] == [1, 2]
    assert audit.first_broken(events, key=TEST_CHAIN_KEY) is None


def test_concurrent_appends_keep_one_linear_chain(database_url: str) -> None:
    async def run() -> None:
        db = await Database.open(database_url, size=8)
        try:
            async def one(n: int) -> None:
                async with db.transaction() as conn:
                    await audit.append(conn, key=TEST_CHAIN_KEY, at=dt.datetime.now(dt.UTC), actor=f"a{n}",
                                       action="test:event:made",
                                       subject=f"thing:{n}", data={"n": n, "nested": {"b": [1, "x", None]}})
            await asyncio.gather(*(one(n) for n in range(40)))
        finally:
            await db.close()

    asyncio.run(run())
    events = list(audit.iter_all_sync(database_url))
    assert [e.seq for e in events] == list(range(1, 41))
    assert audit.first_broken(events, key=TEST_CHAIN_KEY) is None
