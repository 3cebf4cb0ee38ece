"""Canned replies admins keep for staff to answer cases with (issue 23): rows, one statement per call.

A second reply with a title another already has is a ``ConflictError`` on ``title`` (the unique
constraint, translated here; nothing above ``store/`` sees psycopg's exception).
"""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
import psycopg

from portal.errors import ConflictError
from portal.store.database import Connection
from portal.store.queries import load_queries

QUERIES = load_queries("canned_replies.sql")
TITLE_TAKEN = "canned_replies_title_key"


class CannedReply(msgspec.Struct, frozen=True):
    id: uuid.UUID
    title: str
    text: str
    created_by: str
    created_at: dt.datetime
    updated_by: str
    updated_at: dt.datetime


async def _one(conn: Connection, name: str, params: dict[str, object]) -> CannedReply | None:
    try:
        async with conn.transaction():  # a savepoint: a taken title leaves the caller's transaction usable
            row = await (await conn.execute(QUERIES[name], params)).fetchone()
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == TITLE_TAKEN:
            raise ConflictError(f"another canned reply is already titled {params.get('title')!r}; choose another "
                                "title", field="title", code="title_taken") from None
        raise
    return CannedReply(**row) if row else None


async def list_replies(conn: Connection) -> list[CannedReply]:
    return [CannedReply(**row) for row in await (await conn.execute(QUERIES["list_replies"])).fetchall()]


async def get_reply(conn: Connection, reply_id: uuid.UUID) -> CannedReply | None:
    return await _one(conn, "get_reply", {"id": reply_id})


async def insert_reply(conn: Connection, *, title: str, text: str, actor: str, at: dt.datetime) -> CannedReply:
    row = await _one(conn, "insert_reply", {"id": uuid.uuid4(), "title": title, "text": text, "actor": actor,
                                            "at": at})
    assert row is not None  # INSERT ... RETURNING always returns the row
    return row


async def update_reply(conn: Connection, reply_id: uuid.UUID, *, title: str, text: str, actor: str,
                       at: dt.datetime) -> CannedReply | None:
    return await _one(conn, "update_reply", {"id": reply_id, "title": title, "text": text, "actor": actor, "at": at})


async def delete_reply(conn: Connection, reply_id: uuid.UUID) -> CannedReply | None:
    return await _one(conn, "delete_reply", {"id": reply_id})
