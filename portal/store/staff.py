"""Staff API keys: rows of ``staff_keys``; the token itself is never stored, only its sha256.

Invariant: a key name is unique for ever (a revoked name is not reused, so the audit log's actor
names stay unambiguous); a revoked key is never returned by ``key_by_hash``.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import psycopg

from portal.errors import ConflictError
from portal.store.database import Connection
from portal.store.queries import load_queries

QUERIES = load_queries("staff.sql")


class StaffKeyRow(msgspec.Struct, frozen=True):
    name: str
    role: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class StoredKey(msgspec.Struct, frozen=True):
    name: str
    role: str
    token_hash: bytes


async def insert_key(conn: Connection, *, name: str, role: str, token_hash: bytes,
                     created_at: dt.datetime) -> StaffKeyRow:
    try:
        cursor = await conn.execute(QUERIES["insert_key"], {"name": name, "role": role, "token_hash": token_hash,
                                                             "created_at": created_at})
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == "staff_keys_name_key":
            raise ConflictError(f"a staff key named {name!r} exists (names are never reused)",
                                field="name", code="staff_name_taken") from None
        raise
    return msgspec.convert(await cursor.fetchone(), StaffKeyRow)


async def key_by_hash(conn: Connection, token_hash: bytes) -> StoredKey | None:
    row = await (await conn.execute(QUERIES["key_by_hash"], {"token_hash": token_hash})).fetchone()
    return None if row is None else msgspec.convert(row, StoredKey)


async def list_keys(conn: Connection) -> list[StaffKeyRow]:
    rows = await (await conn.execute(QUERIES["list_keys"])).fetchall()
    return [msgspec.convert(row, StaffKeyRow) for row in rows]


async def revoke_key(conn: Connection, *, name: str, revoked_at: dt.datetime) -> StaffKeyRow | None:
    row = await (await conn.execute(QUERIES["revoke_key"], {"name": name, "revoked_at": revoked_at})).fetchone()
    return None if row is None else msgspec.convert(row, StaffKeyRow)


class RoleChange(msgspec.Struct, frozen=True):
    row: StaffKeyRow
    previous_role: str


async def change_role(conn: Connection, *, name: str, role: str) -> RoleChange | None:
    row = await (await conn.execute(QUERIES["change_role"], {"name": name, "role": role})).fetchone()
    if row is None:
        return None
    previous = row.pop("previous_role")
    return RoleChange(msgspec.convert(row, StaffKeyRow), previous)


async def lock_active_admins(conn: Connection) -> list[str]:
    """The names of the active admin keys, their rows locked until the transaction ends."""
    rows = await (await conn.execute(QUERIES["lock_active_admins"])).fetchall()
    return [row["name"] for row in rows]
