"""Pending documents: the exact bytes of a policy version or release waiting for its signers.

Invariants: the same bytes (``sha256``) are open at most once (a partial unique index); a signer
signs a document at most once (the signatures' primary key); a row is closed (published or
withdrawn) once and never reopened, and its signatures stay beside it; rows are never deleted.
Writers that check before they write take the row lock first (``lock``), so a signature and the
publication of the same document never interleave.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import msgspec
import psycopg

from portal.errors import ConflictError
from portal.store.database import Connection
from portal.store.queries import load_queries

QUERIES = load_queries("pending.sql")
OPEN_SHA256 = "pending_documents_open_sha256"

Kind = Literal["policy", "release"]
Outcome = Literal["published", "withdrawn"]


class NewPending(msgspec.Struct, frozen=True):
    id: uuid.UUID
    kind: Kind
    document: bytes
    entries_file: bytes | None
    sha256: str
    label: str
    uploaded_by: str
    uploaded_at: dt.datetime


class PendingRow(NewPending, frozen=True):
    """A stored document: what was uploaded, and how it was closed (all None while it waits)."""

    outcome: Outcome | None
    closed_by: str | None
    closed_at: dt.datetime | None


class PendingSignature(msgspec.Struct, frozen=True):
    signer: str
    signature: str
    added_by: str
    added_at: dt.datetime


class PendingListed(msgspec.Struct, frozen=True):
    """One line of the console's list: the document without its bytes, and how many have signed."""

    id: uuid.UUID
    kind: Kind
    sha256: str
    label: str
    uploaded_by: str
    uploaded_at: dt.datetime
    outcome: Outcome | None
    closed_by: str | None
    closed_at: dt.datetime | None
    signatures: int


def _row(row: dict[str, Any]) -> PendingRow:
    return msgspec.convert({**row, "document": bytes(row["document"]),
                            "entries_file": None if row["entries_file"] is None else bytes(row["entries_file"])},
                           PendingRow)


async def insert(conn: Connection, pending: NewPending) -> None:
    try:
        await conn.execute(QUERIES["insert_pending"], msgspec.structs.asdict(pending))
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == OPEN_SHA256:
            raise ConflictError(f"{pending.label} (sha256 {pending.sha256[:12]}…) is already waiting for signatures",
                                field="document", code="already_pending") from None
        raise


async def add_signature(conn: Connection, pending_id: uuid.UUID, signature: PendingSignature) -> bool:
    """Store one signer's signature; False when that signer has already signed this document."""
    cursor = await conn.execute(QUERIES["insert_signature"], {"pending_id": pending_id,
                                                              **msgspec.structs.asdict(signature)})
    return await cursor.fetchone() is not None


async def get(conn: Connection, pending_id: uuid.UUID) -> PendingRow | None:
    row = await (await conn.execute(QUERIES["get_pending"], {"id": pending_id})).fetchone()
    return _row(row) if row else None


async def lock(conn: Connection, pending_id: uuid.UUID) -> PendingRow | None:
    """The row, locked until the transaction ends (``FOR UPDATE``)."""
    row = await (await conn.execute(QUERIES["lock_pending"], {"id": pending_id})).fetchone()
    return _row(row) if row else None


async def signatures(conn: Connection, pending_id: uuid.UUID) -> list[PendingSignature]:
    rows = await (await conn.execute(QUERIES["signatures"], {"id": pending_id})).fetchall()
    return [msgspec.convert(row, PendingSignature) for row in rows]


async def listed(conn: Connection, *, closed_since: dt.datetime, limit: int) -> list[PendingListed]:
    """Open documents (newest first), then those closed after ``closed_since``."""
    rows = await (await conn.execute(QUERIES["list_pending"], {"closed_since": closed_since, "limit": limit})
                  ).fetchall()
    return [msgspec.convert(row, PendingListed) for row in rows]


async def close(conn: Connection, pending_id: uuid.UUID, outcome: Outcome, *, by: str, at: dt.datetime) -> None:
    await conn.execute(QUERIES["close_pending"], {"id": pending_id, "outcome": outcome, "closed_by": by,
                                                  "closed_at": at})
