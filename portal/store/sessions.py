"""Console sessions: rows of ``staff_sessions``, found by the sha256 of the session id.

Invariant: ``touch_session`` returns a row only for a live session of an active key, and moves its
idle clock in the same statement; nothing else reads a session.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from portal.store.database import Connection
from portal.store.queries import load_queries

QUERIES = load_queries("sessions.sql")


class LiveSession(msgspec.Struct, frozen=True):
    name: str
    role: str
    ref: str


async def insert_session(conn: Connection, *, id_hash: bytes, ref: str, name: str, now: dt.datetime,
                         expires_at: dt.datetime, client: str | None) -> bool:
    """False when the key named ``name`` is no longer active."""
    cursor = await conn.execute(QUERIES["insert_session"], {"id_hash": id_hash, "ref": ref, "name": name,
                                                             "now": now, "expires_at": expires_at, "client": client})
    return await cursor.fetchone() is not None


async def touch_session(conn: Connection, *, id_hash: bytes, now: dt.datetime,
                        idle_cutoff: dt.datetime) -> LiveSession | None:
    cursor = await conn.execute(QUERIES["touch_session"], {"id_hash": id_hash, "now": now,
                                                            "idle_cutoff": idle_cutoff})
    row = await cursor.fetchone()
    return None if row is None else msgspec.convert(row, LiveSession)


async def end_session(conn: Connection, *, id_hash: bytes, now: dt.datetime) -> str | None:
    row = await (await conn.execute(QUERIES["end_session"], {"id_hash": id_hash, "now": now})).fetchone()
    return None if row is None else row["ref"]


async def end_sessions_of_key(conn: Connection, *, name: str, now: dt.datetime) -> None:
    await conn.execute(QUERIES["end_sessions_of_key"], {"name": name, "now": now})
