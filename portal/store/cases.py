"""Cases, their messages and the corrections upheld ones become (issue 23).

The one-open-case rule is the database's (``cases_one_open_per_address_kind``); a race on it is
translated here into "there is already an open case" and never reaches the caller as a psycopg error.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
import psycopg
from psycopg.types.json import Jsonb

from portal.store.audit import AuditEvent
from portal.store.database import Connection
from portal.store.queries import load_queries

QUERIES = load_queries("cases.sql")
ONE_OPEN_CASE = "cases_one_open_per_address_kind"
#: Keyset start: before every row.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NIL = uuid.UUID(int=0)


async def _one(conn: Connection, name: str, params: dict[str, Any]) -> dict[str, Any] | None:
    return await (await conn.execute(QUERIES[name], params)).fetchone()


async def insert_case(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert; False (and nothing written) when another open case of the address and kind won the race."""
    try:
        async with conn.transaction():  # a savepoint: the outer transaction survives the violation
            await conn.execute(QUERIES["insert_case"], {**values, "evidence": Jsonb(values["evidence"])})
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == ONE_OPEN_CASE:
            return False
        raise
    return True


async def open_case(conn: Connection, address: str, kind: str) -> dict[str, Any] | None:
    return await _one(conn, "open_case", {"address": address, "kind": kind})


async def get_case(conn: Connection, case_id: uuid.UUID) -> dict[str, Any] | None:
    return await _one(conn, "get_case", {"id": case_id})


async def lock_case(conn: Connection, case_id: uuid.UUID) -> dict[str, Any] | None:
    """The case under a row lock until the caller's transaction ends (messages and decisions serialize here)."""
    return await _one(conn, "lock_case", {"id": case_id})


async def insert_message(conn: Connection, *, case_id: uuid.UUID, at: dt.datetime, author: str,
                         staff: str | None, text: str) -> int:
    row = await _one(conn, "insert_message", {"case_id": case_id, "at": at, "author": author, "staff": staff,
                                              "text": text})
    assert row is not None
    await conn.execute(QUERIES["touch_case"], {"id": case_id, "at": at})
    return int(row["id"])


async def messages_of(conn: Connection, case_id: uuid.UUID) -> list[dict[str, Any]]:
    return await (await conn.execute(QUERIES["messages_of"], {"case_id": case_id})).fetchall()


async def count_messages(conn: Connection, case_id: uuid.UUID, author: str) -> int:
    row = await _one(conn, "count_messages", {"case_id": case_id, "author": author})
    return int(row["n"]) if row else 0


async def lease_case(conn: Connection, *, case_id: uuid.UUID, actor: str, now: dt.datetime,
                     lease_expires_at: dt.datetime) -> None:
    await conn.execute(QUERIES["lease_case"], {"id": case_id, "actor": actor, "now": now,
                                               "lease_expires_at": lease_expires_at})


async def first_uphold(conn: Connection, *, case_id: uuid.UUID, actor: str, amount: int, at: dt.datetime) -> None:
    await conn.execute(QUERIES["first_uphold"], {"id": case_id, "actor": actor, "amount": amount, "at": at})


async def close_case(conn: Connection, *, case_id: uuid.UUID, outcome: str, reason: str, amount: int | None,
                     actor: str, at: dt.datetime) -> None:
    await conn.execute(QUERIES["close_case"], {"id": case_id, "outcome": outcome, "reason": reason, "amount": amount,
                                               "actor": actor, "at": at})


async def late_request(conn: Connection, *, case_id: uuid.UUID, amount: int, actor: str, at: dt.datetime,
                       reason: str) -> bool:
    """The approved request an upheld late case becomes; False when the address already has a live request."""
    try:
        async with conn.transaction():
            await conn.execute(QUERIES["late_request"], {"id": case_id, "amount": amount, "actor": actor, "at": at,
                                                         "reason": reason})
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == "requests_one_live_per_address":
            return False
        raise
    return True


async def insert_correction(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(QUERIES["insert_correction"], values)


async def corrections(conn: Connection, *, after: tuple[dt.datetime, uuid.UUID] | None,
                      limit: int) -> list[dict[str, Any]]:
    after_at, after_id = after or (EPOCH, NIL)
    return await (await conn.execute(QUERIES["corrections"], {"after_at": after_at, "after_id": after_id,
                                                              "limit": limit})).fetchall()


async def queue(conn: Connection, *, kind: str | None, status: str | None, address: str | None,
                after: tuple[dt.datetime, uuid.UUID] | None, limit: int) -> list[dict[str, Any]]:
    """One page of the queue: open cases (or ``status``), of ``kind`` when given; ``address`` searches every status."""
    after_at, after_id = after or (EPOCH, NIL)
    if address is not None:
        name = "queue_address"
    else:
        name = ("queue_open" if status is None else "queue_status") + ("_kind" if kind is not None else "")
    return await (await conn.execute(QUERIES[name], {  # type: ignore[literal-required]
        "kind": kind, "status": status, "address": address, "after_at": after_at, "after_id": after_id,
        "limit": limit})).fetchall()


async def case_audit(conn: Connection, case_id: uuid.UUID, limit: int) -> list[AuditEvent]:
    rows = await (await conn.execute(QUERIES["case_audit"], {"subject": f"case:{case_id}", "limit": limit})).fetchall()
    return [msgspec.convert(row, AuditEvent) for row in rows]
