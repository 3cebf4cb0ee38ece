"""The append-only, hash-chained audit log.

Invariants: ``seq`` runs 1, 2, 3, … without gaps; ``hash = sha256(prev_hash ‖ canonical JSON of
{seq, at, actor, action, subject, data, client})`` with ``prev_hash`` of event 1 being 64 zeros; an
event is appended in the same transaction as the change it records (callers pass their
connection), so a rolled-back change leaves no event and a committed one always has its event.
Appends serialise on a transaction-scoped advisory lock, which keeps the chain linear across
workers and replicas. ``data`` holds JSON strings, integers, booleans, null, lists and objects only
(no floats), so it survives the jsonb round trip byte-for-byte under canonical encoding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from portal.store.database import Connection
from portal.store.queries import load_queries

GENESIS_HASH = "0" * 64
QUERIES = load_queries("audit.sql")


class AuditEvent(msgspec.Struct, frozen=True):
    seq: int
    at: dt.datetime
    actor: str
    action: str
    subject: str
    data: dict[str, Any]
    client: str | None
    prev_hash: str
    hash: str


def canonical_at(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_hash(prev_hash: str, *, seq: int, at: dt.datetime, actor: str, action: str, subject: str,
               data: dict[str, Any], client: str | None) -> str:
    body = msgspec.json.encode(
        {"seq": seq, "at": canonical_at(at), "actor": actor, "action": action, "subject": subject,
         "data": data, "client": client},
        order="sorted",
    )
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


async def append(conn: Connection, *, at: dt.datetime, actor: str, action: str, subject: str,
                 data: dict[str, Any] | None = None, client: str | None = None) -> AuditEvent:
    """Append one event inside the caller's transaction."""
    data = data or {}
    await conn.execute(QUERIES["lock_chain"])
    last = await (await conn.execute(QUERIES["last_event"])).fetchone()
    seq, prev_hash = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS_HASH)
    digest = event_hash(prev_hash, seq=seq, at=at, actor=actor, action=action, subject=subject,
                        data=data, client=client)
    await conn.execute(QUERIES["insert_event"], {
        "seq": seq, "at": at, "actor": actor, "action": action, "subject": subject,
        "data": Jsonb(data), "client": client, "prev_hash": prev_hash, "hash": digest,
    })
    return AuditEvent(seq, at, actor, action, subject, data, client, prev_hash, digest)


async def events_after(conn: Connection, after: int, limit: int) -> list[AuditEvent]:
    rows = await (await conn.execute(QUERIES["events_after"], {"after": after, "limit": limit})).fetchall()
    return [msgspec.convert(row, AuditEvent) for row in rows]


def first_broken(events: Iterable[AuditEvent]) -> tuple[int, str] | None:
    """``(seq, reason)`` of the first event that breaks the chain, or None when it verifies."""
    prev_hash, expected_seq = GENESIS_HASH, 1
    for event in events:
        if event.seq != expected_seq:
            return event.seq, f"expected seq {expected_seq}"
        if event.prev_hash != prev_hash:
            return event.seq, "prev_hash does not match the previous event's hash"
        recomputed = event_hash(prev_hash, seq=event.seq, at=event.at, actor=event.actor, action=event.action,
                                subject=event.subject, data=event.data, client=event.client)
        if recomputed != event.hash:
            return event.seq, "hash does not match the event's contents"
        prev_hash, expected_seq = event.hash, expected_seq + 1
    return None


def iter_all_sync(url: str, batch: int = 10_000) -> Iterator[AuditEvent]:
    """Every event in order, over a plain connection (for ``portal audit verify``)."""
    import psycopg
    from psycopg.rows import dict_row

    after = 0
    with psycopg.connect(url, row_factory=dict_row) as conn:
        while True:
            rows = conn.execute(QUERIES["events_after"], {"after": after, "limit": batch}).fetchall()
            if not rows:
                return
            for row in rows:
                yield msgspec.convert(row, AuditEvent)
            after = rows[-1]["seq"]
