"""Seen lookalike hosts: counted on every sighting, confirmed or dismissed by staff.

``record_seen`` is one statement that upserts many hosts in host order, so concurrent scans that
saw the same hosts lock the rows in the same order and never deadlock; the count is added in the
row (``seen_count + n``), never read and written back, so no sighting is lost.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from portal.store.database import Connection
from portal.store.queries import load_queries

QUERIES = load_queries("lookalikes.sql")


class Sighting(msgspec.Struct, frozen=True):
    host: str
    times: int
    reasons: list[str]
    matched: str | None


class SeenLookalike(msgspec.Struct, frozen=True):
    host: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    seen_count: int
    reasons: list[str]
    matched: str | None
    status: str
    decided_by: str | None
    decided_at: dt.datetime | None


async def record_seen(conn: Connection, sightings: list[Sighting], at: dt.datetime, cap: int) -> None:
    """Count each sighting; a host not seen before is added only while fewer than ``cap`` hosts wait
    for staff (``new``), so anonymous lookups cannot grow the log without bound."""
    if sightings:
        await conn.execute(QUERIES["record_seen"], {"seen": msgspec.json.encode(sightings).decode(), "at": at,
                                                    "cap": cap})


async def list_seen(conn: Connection, status: str | None, limit: int) -> list[SeenLookalike]:
    rows = await (await conn.execute(QUERIES["list_seen"], {"status": status, "limit": limit})).fetchall()
    return [SeenLookalike(**row) for row in rows]


async def decide(conn: Connection, host: str, status: str, actor: str, at: dt.datetime) -> SeenLookalike | None:
    cursor = await conn.execute(QUERIES["decide"], {"host": host, "status": status, "actor": actor, "at": at})
    row = await cursor.fetchone()
    return SeenLookalike(**row) if row else None


async def confirmed_hosts(conn: Connection, since: dt.datetime | None = None) -> list[str]:
    rows = await (await conn.execute(QUERIES["confirmed_since"], {"since": since})).fetchall()
    return [row["host"] for row in rows]
