"""Shared fixtures: a real PostgreSQL, a fresh database per test, demo snapshots, app clients.

The server is ``$TEST_DATABASE_URL``/``$DATABASE_URL`` when given (any database on it works as the
maintenance connection), else an embedded one under ``.pytest-pg/`` shared by all xdist workers.
Each session migrates one template database; each test that asks for ``database_url`` gets its
own clone (``CREATE DATABASE ... TEMPLATE``), dropped afterwards: isolated, real, and fast.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from portal.settings import Settings
from portal.store.migrations import migrate

REPO_ROOT = Path(__file__).resolve().parent.parent


def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    given = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        pgdata = REPO_ROOT / ".pytest-pg"
        with embedded_server_lock(pgdata):
            pgdata.mkdir(exist_ok=True)
            server = pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        with embedded_server_lock(pgdata):
            server.cleanup()


@contextmanager
def embedded_server_lock(pgdata: Path) -> Iterator[None]:
    """Hold an exclusive lock on a file beside ``pgdata`` while the embedded server starts or stops.

    Why: pgserver makes the directory, chowns it and runs initdb partly outside its own lock (which lives
    in a per-user runtime directory), so two xdist workers on a fresh clone could both run initdb on one
    directory ("initdb: could not change permissions of directory .pytest-pg"). With this lock, the first
    worker initialises and starts the server; the others wait, then find it running. A stop holds it too,
    so the last worker stopping cannot race a late worker starting.
    """
    lock_path = pgdata.with_name(pgdata.name + ".lock")
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


@pytest.fixture(scope="session")
def template_database(pg_server_url: str) -> Iterator[str]:
    """A migrated database used only as a template; its name is unique to this session."""
    name = f"portal_tmpl_{secrets.token_hex(4)}"
    with _admin(pg_server_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate(with_database(pg_server_url, name))
    yield name
    with _admin(pg_server_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(pg_server_url: str, template_database: str) -> Iterator[str]:
    """A fresh, migrated database for this test alone."""
    name = f"portal_test_{secrets.token_hex(6)}"
    with _admin(pg_server_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    yield with_database(pg_server_url, name)
    with _admin(pg_server_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def demo_snapshot_paths(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    from portal.demo import build_demo_snapshots

    # The demo's lists without their decimals: these tests count base units (tests/e2e/test_serve_demo.py
    # checks the demo as served, decimals and destinations declared).
    return [str(p) for p in build_demo_snapshots(tmp_path_factory.mktemp("snapshots"), declare_decimals=False)]


@pytest.fixture
def settings(database_url: str, demo_snapshot_paths: list[str]) -> Settings:
    return Settings(database_url=database_url, snapshots=tuple(demo_snapshot_paths),
                    public_url="https://portal.example.org", rate_limit_per_minute=0)
