"""The review queue's storage: claim (one statement), lock, decide, page, count.

Invariants: a claim leases at most one row and never a row under another's live lease (row locks
with ``SKIP LOCKED`` make concurrent claims take different rows, across workers and replicas);
``lock_request`` holds the row's lock until the caller's transaction ends, so a decision and its
audit event see and change one consistent row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import msgspec
import psycopg

from portal.errors import ConflictError
from portal.store.audit import AuditEvent
from portal.store.database import Connection
from portal.store.queries import load_queries

QUERIES = load_queries("review.sql")
QUEUE_START = (dt.datetime.min.replace(tzinfo=dt.UTC), uuid.UUID(int=0))


class RequestFields(msgspec.Struct, frozen=True):
    """A request's own fields as review reads them: the one list in Python of the columns of the
    ``review_requests`` view (migration 0011). ``review.evidence.RequestDetail`` extends it, so the
    API's detail is this row plus what the domain adds, never a field-by-field copy."""

    request_id: uuid.UUID
    status: str
    snapshot_id: str
    snapshot_address: str
    chain: str
    destination: str
    destination_chain: str
    amount: int
    method: str
    message: str
    proof: str
    recovered_signer: str
    evidence: dict[str, Any]
    client_address: str | None
    user_agent: str | None
    public_note: str | None
    lease_holder: str | None
    lease_expires_at: dt.datetime | None
    first_approver: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class RequestRow(RequestFields, frozen=True):
    """A row of ``review_requests``: the request, its escalation, and the counts the risk flags come from."""

    escalated_by: str | None
    escalated_at: dt.datetime | None
    escalation_reason: str | None
    destination_uses: int
    client_requests: int


class LockedRequest(msgspec.Struct, frozen=True):
    id: uuid.UUID
    status: str
    amount: int
    lease_holder: str | None
    lease_expires_at: dt.datetime | None
    first_approver: str | None
    escalated_at: dt.datetime | None


class QueueRow(msgspec.Struct, frozen=True):
    id: uuid.UUID
    status: str
    snapshot_id: str
    snapshot_address: str
    chain: str
    destination: str
    destination_chain: str
    amount: int
    method: str
    created_at: dt.datetime
    lease_holder: str | None
    lease_expires_at: dt.datetime | None
    first_approver: str | None
    escalated_at: dt.datetime | None


class QueueFilter(msgspec.Struct, frozen=True):
    """The SQL-side filters of ``queue_page``; None / False means "not filtered by this"."""

    statuses: list[str]
    method: str | None = None
    chain: str | None = None
    created_before: dt.datetime | None = None
    min_amount: int | None = None
    escalated: bool = False
    destination_reused: bool = False
    client_many: bool = False
    search: str | None = None
    search_id: uuid.UUID | None = None


class RelatedRow(msgspec.Struct, frozen=True):
    id: uuid.UUID
    status: str
    snapshot_address: str
    destination: str
    client_address: str | None
    created_at: dt.datetime


class QueueStat(msgspec.Struct, frozen=True):
    status: str
    depth: int
    oldest_created_at: dt.datetime


class ApprovedEntry(msgspec.Struct, frozen=True):
    snapshot_address: str
    destination: str
    amount: int
    destination_chain: str
    proof_chain_id: int | None = None  # the chain a contract wallet proved on (None: a key's proof)


def _convert(row: dict[str, Any], kind: type[Any]) -> Any:
    if isinstance(row.get("amount"), Decimal):
        row["amount"] = int(row["amount"])
    return msgspec.convert(row, kind, from_attributes=False, strict=False)


async def claim_next(conn: Connection, *, actor: str, may_second_approve: bool, threshold: int, now: dt.datetime,
                     lease_expires_at: dt.datetime) -> RequestRow | None:
    """Lease the oldest claimable row (one statement), then read it back through the view."""
    cursor = await conn.execute(QUERIES["claim_next"], {"actor": actor, "may_second_approve": may_second_approve,
                                                         "threshold": threshold, "now": now,
                                                         "lease_expires_at": lease_expires_at})
    row = await cursor.fetchone()
    return None if row is None else await request_detail(conn, row["id"])


async def request_detail(conn: Connection, request_id: uuid.UUID) -> RequestRow | None:
    row = await (await conn.execute(QUERIES["request_detail"], {"id": request_id})).fetchone()
    return None if row is None else _convert(row, RequestRow)


async def lock_request(conn: Connection, request_id: uuid.UUID) -> LockedRequest | None:
    row = await (await conn.execute(QUERIES["lock_request"], {"id": request_id})).fetchone()
    return None if row is None else _convert(row, LockedRequest)


async def apply_decision(conn: Connection, *, request_id: uuid.UUID, status: str, first_approver: str | None,
                         public_note: str | None, actor: str, reason: str | None, now: dt.datetime) -> None:
    await conn.execute(QUERIES["apply_decision"], {
        "id": request_id, "status": status, "first_approver": first_approver, "public_note": public_note,
        "actor": actor, "reason": reason, "now": now,
    })


async def queue_page(conn: Connection, *, filters: QueueFilter, after: tuple[dt.datetime, uuid.UUID],
                     limit: int) -> list[QueueRow]:
    params = {**msgspec.structs.asdict(filters), "after_created_at": after[0], "after_id": after[1], "limit": limit}
    rows = await (await conn.execute(QUERIES["queue_page"], params, prepare=False)).fetchall()
    return [_convert(row, QueueRow) for row in rows]


async def lease_request(conn: Connection, *, request_id: uuid.UUID, actor: str, now: dt.datetime,
                        lease_expires_at: dt.datetime) -> None:
    await conn.execute(QUERIES["lease_request"], {"id": request_id, "actor": actor, "now": now,
                                                  "lease_expires_at": lease_expires_at})


async def release_lease(conn: Connection, *, request_id: uuid.UUID, now: dt.datetime) -> None:
    await conn.execute(QUERIES["release_lease"], {"id": request_id, "now": now})


async def escalate(conn: Connection, *, request_id: uuid.UUID, actor: str, reason: str, now: dt.datetime) -> None:
    await conn.execute(QUERIES["escalate"], {"id": request_id, "actor": actor, "reason": reason, "now": now})


async def reopen(conn: Connection, *, request_id: uuid.UUID, status: str, now: dt.datetime) -> None:
    """Back into the queue; ``ConflictError`` when the address has filed another live request since."""
    try:
        async with conn.transaction():
            await conn.execute(QUERIES["reopen"], {"id": request_id, "status": status, "now": now})
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == "requests_one_live_per_address":
            raise ConflictError("this address has another live request; decide that one instead",
                                code="address_has_live_request") from None
        raise


async def related_requests(conn: Connection, *, request_id: uuid.UUID, destination: str,
                           client_address: str | None, limit: int) -> list[RelatedRow]:
    rows = await (await conn.execute(QUERIES["related_requests"], {
        "id": request_id, "destination": destination, "client_address": client_address, "limit": limit,
    })).fetchall()
    return [msgspec.convert(row, RelatedRow) for row in rows]


async def request_audit(conn: Connection, request_id: uuid.UUID, limit: int) -> list[AuditEvent]:
    rows = await (await conn.execute(QUERIES["request_audit"], {"subject": f"request:{request_id}",
                                                                "limit": limit})).fetchall()
    return [msgspec.convert(row, AuditEvent) for row in rows]


async def queue_stats(conn: Connection) -> list[QueueStat]:
    rows = await (await conn.execute(QUERIES["queue_stats"])).fetchall()
    return [msgspec.convert(row, QueueStat) for row in rows]


async def approved_entries(conn: Connection, snapshot_id: str) -> list[ApprovedEntry]:
    rows = await (await conn.execute(QUERIES["approved_entries"], {"snapshot_id": snapshot_id})).fetchall()
    return [_convert(row, ApprovedEntry) for row in rows]
