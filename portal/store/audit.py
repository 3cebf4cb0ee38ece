"""The append-only, hash-chained audit log.

Invariants: ``seq`` runs 1, 2, 3, … without gaps; ``hash = HMAC-SHA256(chain key, prev_hash ‖
canonical JSON of {seq, at, actor, action, subject, data, client})`` with ``prev_hash`` of event 1
being 64 zeros. The chain key (``portal.domain.audit_keys``) never reaches the database, so whoever
holds only the database cannot recompute a chain that verifies. An event is appended in the same
transaction as the change it records (callers pass their connection), so a rolled-back change leaves
no event and a committed one always has its event. Appends serialise on a transaction-scoped
advisory lock, which keeps the chain linear across workers and replicas. ``data`` holds JSON
strings, integers, booleans, null, lists and objects only (no floats), so it survives the jsonb round
trip byte-for-byte under canonical encoding.

Events written before migration 0007 were hashed with plain sha256 (no key); that migration moved
them, verbatim, to ``audit_events_legacy``, where ``first_broken(..., key=None)`` still checks them
by the old rule, and the keyed chain started again at seq 1.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec
import psycopg
from psycopg.types.json import Jsonb

from portal.errors import SchemaMissingError, UpstreamUnavailableError
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


def event_hash(prev_hash: str, *, key: bytes | None, seq: int, at: dt.datetime, actor: str, action: str,
               subject: str, data: dict[str, Any], client: str | None) -> str:
    """The event's link: HMAC under ``key``; plain sha256 only for legacy events (``key=None``)."""
    body = prev_hash.encode("ascii") + msgspec.json.encode(
        {"seq": seq, "at": canonical_at(at), "actor": actor, "action": action, "subject": subject,
         "data": data, "client": client},
        order="sorted",
    )
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def chain_key_of(conn: Connection) -> bytes:
    """The audit chain key of the handle ``conn`` came from (``Database.open(..., audit_chain_key=...)``)."""
    key = getattr(conn, "audit_chain_key", None)
    if key is None:
        raise RuntimeError("this database handle was opened without the audit key, so it cannot write audit "
                           "events: open it with Database.open(..., audit_chain_key=key_for(settings).chain_key)")
    return key


async def append(conn: Connection, *, key: bytes, at: dt.datetime, actor: str, action: str, subject: str,
                 data: dict[str, Any] | None = None, client: str | None = None) -> AuditEvent:
    """Append one event inside the caller's transaction, its hash keyed by ``key``."""
    data = data or {}
    await conn.execute(QUERIES["lock_chain"])
    last = await (await conn.execute(QUERIES["last_event"])).fetchone()
    seq, prev_hash = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS_HASH)
    digest = event_hash(prev_hash, key=key, seq=seq, at=at, actor=actor, action=action, subject=subject,
                        data=data, client=client)
    await conn.execute(QUERIES["insert_event"], {
        "seq": seq, "at": at, "actor": actor, "action": action, "subject": subject,
        "data": Jsonb(data), "client": client, "prev_hash": prev_hash, "hash": digest,
    })
    return AuditEvent(seq, at, actor, action, subject, data, client, prev_hash, digest)


async def events_after(conn: Connection, after: int, limit: int) -> list[AuditEvent]:
    rows = await (await conn.execute(QUERIES["events_after"], {"after": after, "limit": limit})).fetchall()
    return [msgspec.convert(row, AuditEvent) for row in rows]


async def head(conn: Connection) -> tuple[int, str] | None:
    """``(seq, hash)`` of the newest event, or None for an empty log."""
    row = await (await conn.execute(QUERIES["last_event"])).fetchone()
    return (row["seq"], row["hash"]) if row else None


def first_broken(events: Iterable[AuditEvent], *, key: bytes | None, after_seq: int = 0,
                 after_hash: str = GENESIS_HASH) -> tuple[int, str] | None:
    """``(seq, reason)`` of the first event that breaks the chain, or None when it verifies.

    ``after_seq``/``after_hash`` start the check part-way (from a verified checkpoint).
    """
    prev_hash, expected_seq = after_hash, after_seq + 1
    for event in events:
        if event.seq != expected_seq:
            return event.seq, f"expected seq {expected_seq}"
        if event.prev_hash != prev_hash:
            return event.seq, "prev_hash does not match the previous event's hash"
        recomputed = event_hash(prev_hash, key=key, seq=event.seq, at=event.at, actor=event.actor,
                                action=event.action, subject=event.subject, data=event.data, client=event.client)
        if not hmac.compare_digest(recomputed, event.hash):
            return event.seq, "hash does not match the event's contents under the audit key"
        prev_hash, expected_seq = event.hash, expected_seq + 1
    return None


async def iter_after(conn: Connection, after: int, batch: int = 5_000) -> list[AuditEvent]:
    """Every event with ``seq > after`` (the checkpointer's incremental check)."""
    found: list[AuditEvent] = []
    while page := await events_after(conn, after, batch):
        found.extend(page)
        after = page[-1].seq
    return found


def iter_all_sync(url: str, batch: int = 10_000, *, legacy: bool = False) -> Iterator[AuditEvent]:
    """Every event in order, over a plain connection (for ``portal audit verify``).

    ``SchemaMissingError`` when the database was never migrated; ``UpstreamUnavailableError`` when it
    cannot be reached: one line for the CLI, not a traceback.
    """
    from psycopg.rows import dict_row

    query = QUERIES["legacy_events_after" if legacy else "events_after"]
    after = 0
    try:
        with psycopg.connect(url, row_factory=dict_row) as conn:
            while True:
                rows = conn.execute(query, {"after": after, "limit": batch}).fetchall()
                if not rows:
                    return
                for row in rows:
                    yield msgspec.convert(row, AuditEvent)
                after = rows[-1]["seq"]
    except psycopg.errors.UndefinedTable:
        raise SchemaMissingError("the database has no audit log yet: run `portal db migrate` first") from None
    except psycopg.OperationalError as exc:
        raise UpstreamUnavailableError(f"the database is unavailable: {str(exc).strip().splitlines()[0]}") from None
