"""Published policy versions and trust roots: exact signed bytes, their signatures, who published them.

Invariants: (slug, version) is unique and versions of a slug are written under a per-slug advisory
lock, so two publishers racing for "the next version" cannot both succeed; roots are written under
one advisory lock and their versions are unique, so the served root history never forks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import psycopg
from psycopg.types.json import Jsonb

from portal.errors import ConflictError
from portal.store.database import Connection
from portal.store.queries import load_queries

QUERIES = load_queries("policies.sql")


class StoredSignature(msgspec.Struct, frozen=True):
    signer: str
    signature: str


class StoredPolicy(msgspec.Struct, frozen=True):
    slug: str
    version: int
    document: bytes
    sha256: str
    prev: str
    signatures: list[StoredSignature]
    effective: dt.datetime
    expires: dt.datetime
    published_by: str
    published_at: dt.datetime
    root_version: int


class StoredRoot(msgspec.Struct, frozen=True):
    version: int
    document: bytes
    sha256: str
    signatures: list[StoredSignature]
    expires: dt.datetime
    published_by: str
    published_at: dt.datetime


def _row(row: dict[str, Any]) -> StoredPolicy:
    return msgspec.convert({**row, "document": bytes(row["document"])}, StoredPolicy)


async def lock_slug(conn: Connection, slug: str) -> None:
    await conn.execute(QUERIES["lock_slug"], {"slug": slug})


async def insert(conn: Connection, policy: StoredPolicy) -> None:
    values = msgspec.structs.asdict(policy)
    values["signatures"] = Jsonb(msgspec.to_builtins(policy.signatures))
    try:
        await conn.execute(QUERIES["insert_version"], values)
    except psycopg.errors.UniqueViolation:
        raise ConflictError(f"policy {policy.slug} version {policy.version} is already published",
                            field="document", code="version_exists") from None


async def latest(conn: Connection, slug: str) -> StoredPolicy | None:
    row = await (await conn.execute(QUERIES["latest_version"], {"slug": slug})).fetchone()
    return _row(row) if row else None


async def version(conn: Connection, slug: str, number: int) -> StoredPolicy | None:
    row = await (await conn.execute(QUERIES["get_version"], {"slug": slug, "version": number})).fetchone()
    return _row(row) if row else None


async def versions(conn: Connection, slug: str) -> list[StoredPolicy]:
    return [_row(r) for r in await (await conn.execute(QUERIES["list_versions"], {"slug": slug})).fetchall()]


async def latest_of_each(conn: Connection) -> list[StoredPolicy]:
    return [_row(r) for r in await (await conn.execute(QUERIES["latest_of_each"])).fetchall()]


async def all_versions(conn: Connection) -> list[StoredPolicy]:
    return [_row(r) for r in await (await conn.execute(QUERIES["all_versions"])).fetchall()]


def _root_row(row: dict[str, Any]) -> StoredRoot:
    return msgspec.convert({**row, "document": bytes(row["document"])}, StoredRoot)


async def lock_roots(conn: Connection) -> None:
    await conn.execute(QUERIES["lock_roots"])


async def insert_root(conn: Connection, root: StoredRoot) -> None:
    values = msgspec.structs.asdict(root)
    values["signatures"] = Jsonb(msgspec.to_builtins(root.signatures))
    try:
        await conn.execute(QUERIES["insert_root"], values)
    except psycopg.errors.UniqueViolation:
        raise ConflictError(f"trust root version {root.version} (or one with the same bytes) is already published",
                            field="root", code="root_exists") from None


async def roots(conn: Connection) -> list[StoredRoot]:
    return [_root_row(r) for r in await (await conn.execute(QUERIES["list_roots"])).fetchall()]


async def root(conn: Connection, number: int) -> StoredRoot | None:
    row = await (await conn.execute(QUERIES["get_root"], {"version": number})).fetchone()
    return _root_row(row) if row else None
