"""Forward-only schema migrations: numbered ``.sql`` files applied in order, each in a transaction.

Invariant: after ``migrate`` returns, every file in ``portal/store/migrations/`` is recorded in
``schema_migrations`` with the sha256 of its text, and a recorded file whose text has changed since
is refused (a migration, once applied anywhere, is never edited). Concurrent migrators serialise on
an advisory lock, so several replicas starting at once apply each file exactly once.
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources

import psycopg

MIGRATION_LOCK_ID = 0x706F7274616C  # "portal"
_FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(Exception):
    """A migration file is malformed, or an applied one has been edited."""


def available_migrations() -> list[tuple[int, str, str]]:
    """``(version, name, sql)`` of every shipped migration file, in version order."""
    found = []
    for entry in resources.files("portal.store").joinpath("migrations").iterdir():
        match = _FILENAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationError(f"migration numbers must be 1..n without gaps, found {versions}")
    return found


def migrate(url: str) -> list[str]:
    """Apply every pending migration to the database at ``url``; return the names applied."""
    applied_now: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))
            conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       version integer PRIMARY KEY,
                       name text NOT NULL,
                       sha256 text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            done = {row[0]: row[1] for row in conn.execute("SELECT version, sha256 FROM schema_migrations")}
            for version, name, sql in available_migrations():
                digest = hashlib.sha256(sql.encode()).hexdigest()
                if version in done:
                    if done[version] != digest:
                        raise MigrationError(f"migration {version:04d}_{name} was edited after it was applied")
                    continue
                with conn.transaction():
                    conn.execute(sql)  # type: ignore[arg-type]  # trusted file shipped with the package
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, sha256) VALUES (%s, %s, %s)",
                        (version, name, digest),
                    )
                applied_now.append(f"{version:04d}_{name}")
    return applied_now
