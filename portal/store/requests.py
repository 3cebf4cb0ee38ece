"""Challenges and the requests they become.

The one-live-request rule is the database's (``requests_one_live_per_address``); a race on it is
translated here into "there is already a request" and never reaches the caller as a psycopg error.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from portal.store.database import Connection, Database
from portal.store.queries import load_queries

QUERIES = load_queries("requests.sql")
ONE_LIVE_REQUEST = "requests_one_live_per_address"


async def insert_challenge(conn: Connection, values: dict[str, Any]) -> None:
    typed = values.get("typed_data")
    await conn.execute(QUERIES["insert_challenge"], {"purpose": "allowlist", **values,
                                                     "typed_data": Jsonb(typed) if typed else None})


async def get_challenge(conn: Connection, challenge_id: uuid.UUID) -> dict[str, Any] | None:
    return await (await conn.execute(QUERIES["get_challenge"], {"id": challenge_id})).fetchone()


async def lock_challenge(conn: Connection, challenge_id: uuid.UUID) -> dict[str, Any] | None:
    return await (await conn.execute(QUERIES["lock_challenge"], {"id": challenge_id})).fetchone()


async def use_challenge(conn: Connection, challenge_id: uuid.UUID, at: dt.datetime) -> None:
    await conn.execute(QUERIES["use_challenge"], {"id": challenge_id, "at": at})


async def live_request(conn: Connection, snapshot_id: str, snapshot_address: str) -> dict[str, Any] | None:
    params = {"snapshot_id": snapshot_id, "snapshot_address": snapshot_address}
    return await (await conn.execute(QUERIES["live_request"], params)).fetchone()


async def insert_request(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert; False (and nothing written) when another live request for the address won the race."""
    try:
        async with conn.transaction():  # a savepoint: the outer transaction survives the violation
            await conn.execute(QUERIES["insert_request"], {**values, "evidence": Jsonb(values["evidence"])})
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == ONE_LIVE_REQUEST:
            return False
        raise
    return True


async def holder_page_row(db: Database, request_id: uuid.UUID) -> tuple | None:
    """``holder_page``: the status token's hash, then the request, its answers (JSON text) and the
    release entry holding it with its claim status (NULLs when none), in one round trip, or none while
    the process keeps it (``holder_rows``: kept until a change is notified)."""
    kept = db.holder_rows
    row = kept.get(request_id)
    if row is None:
        generation = kept.generation
        row = await db.read_row(QUERIES["holder_page"], {"id": request_id})
        if row is not None:
            kept.put(generation, request_id, row)
    return row


async def holder_view(conn: Connection, request_id: uuid.UUID) -> dict[str, Any] | None:
    return await (await conn.execute(QUERIES["holder_view"], {"id": request_id})).fetchone()


async def lock_holder_request(conn: Connection, request_id: uuid.UUID) -> dict[str, Any] | None:
    """The holder's row under a row lock until the caller's transaction ends (answers serialize here)."""
    return await (await conn.execute(QUERIES["lock_holder_request"], {"id": request_id})).fetchone()


async def reopen_request(conn: Connection, request_id: uuid.UUID, *, status: str, at: dt.datetime) -> dict[str, Any]:
    params = {"id": request_id, "status": status, "at": at}
    row = await (await conn.execute(QUERIES["reopen_request"], params)).fetchone()
    assert row is not None  # the caller holds the row's lock
    return row


async def insert_answer(conn: Connection, *, request_id: uuid.UUID, at: dt.datetime, text: str,
                        proof: dict[str, Any] | None) -> int:
    row = await (await conn.execute(QUERIES["insert_answer"], {
        "request_id": request_id, "at": at, "text": text, "proof": Jsonb(proof) if proof is not None else None,
    })).fetchone()
    assert row is not None
    return int(row["id"])


async def answers_of(conn: Connection, request_id: uuid.UUID) -> list[dict[str, Any]]:
    return await (await conn.execute(QUERIES["answers_of"], {"request_id": request_id})).fetchall()
