"""The claim window's one fact in the database: whether a challenge (and so its request) came late."""

from __future__ import annotations

import uuid

from portal.store.database import Connection
from portal.store.queries import load_queries

QUERIES = load_queries("claim_window.sql")


async def mark_late(conn: Connection, challenge_id: uuid.UUID) -> None:
    await conn.execute(QUERIES["mark_late"], {"id": challenge_id})


async def is_late(conn: Connection, request_id: uuid.UUID) -> bool:
    row = await (await conn.execute(QUERIES["is_late"], {"request_id": request_id})).fetchone()
    return bool(row and row["late"])


async def late_among(conn: Connection, request_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``request_ids`` came late (one query for a page of the queue)."""
    rows = await (await conn.execute(QUERIES["late_among"], {"ids": request_ids})).fetchall()
    return {row["id"] for row in rows}
