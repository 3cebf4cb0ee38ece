"""What a reviewer sees of one request: its row, the risk flags, the holder's answers, the history.

The detail is the ``review_requests`` row (``store.review.RequestFields``) plus what the domain
adds (the four-eyes flag, risk flags, answers), built from the row by field name: a field added to
the view and to ``RequestFields`` reaches the API without another copy.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import msgspec

from portal.domain.context import UseCaseContext
from portal.domain.eligibility import SnapshotSet
from portal.domain.proofs import registry
from portal.errors import NotFoundError
from portal.store import requests as requests_store
from portal.store import review as store
from portal.store.audit import AuditEvent
from portal.store.database import Connection
from snapshot.addresses import parse_address
from snapshot.errors import InvalidAddressError as BadAddressError

RELATED_LIMIT = 20
AUDIT_TRAIL_LIMIT = 200


class RiskFlag(msgspec.Struct, frozen=True):
    code: Literal["destination_reused", "destination_in_snapshot", "contract_wallet", "client_many_requests",
                  "four_eyes_amount"]
    detail: str


class RequestDetail(store.RequestFields, frozen=True):
    """Everything a reviewer needs to decide one request (the claim answers with this too)."""

    amount: str  # base units, as a decimal string (replaces the row's int in place: same position)
    four_eyes_required: bool
    risk_flags: list[RiskFlag]
    answers: list[dict[str, Any]] = msgspec.field(default_factory=list)  # the holder's, oldest first
    escalated_by: str | None = None
    escalated_at: dt.datetime | None = None
    escalation_reason: str | None = None


_FROM_ROW = tuple(name for name in RequestDetail.__struct_fields__ if name in store.RequestRow.__struct_fields__)


def _destination_in_snapshot(snapshots: SnapshotSet, destination: str) -> bool:
    try:
        return snapshots.find(parse_address(destination)) is not None
    except BadAddressError:
        return False


def risk_flags(row: store.RequestRow, *, snapshots: SnapshotSet, threshold: int) -> list[RiskFlag]:
    flags = []
    if row.destination_uses:
        flags.append(RiskFlag("destination_reused", f"{row.destination_uses} other request(s) name this destination"))
    if _destination_in_snapshot(snapshots, row.destination):
        flags.append(RiskFlag("destination_in_snapshot", "the destination is itself a snapshot address"))
    if row.method in registry.contract_wallet_methods():
        chain_id = (row.evidence.get("verification") or {}).get("chain_id")
        on_chain = (f", proven on chain id {chain_id} only: the same address on another chain is another account"
                    if chain_id is not None else "")
        flags.append(RiskFlag("contract_wallet", f"the signer is a contract wallet (EIP-1271){on_chain}"))
    if row.client_requests:
        flags.append(RiskFlag("client_many_requests",
                              f"{row.client_requests} other request(s) came from client {row.client_address}"))
    if row.amount >= threshold:
        flags.append(RiskFlag("four_eyes_amount", f"amount is at or above the four-eyes threshold {threshold}"))
    return flags


def detail_of(row: store.RequestRow, *, snapshots: SnapshotSet, threshold: int) -> RequestDetail:
    fields = {name: getattr(row, name) for name in _FROM_ROW}
    return RequestDetail(**{**fields, "amount": str(row.amount), "four_eyes_required": row.amount >= threshold,
                            "risk_flags": risk_flags(row, snapshots=snapshots, threshold=threshold)})


async def with_answers(conn: Connection, detail: RequestDetail) -> RequestDetail:
    """The holder's answers to ``needs_info`` (text and any new proof), for the reviewer."""
    rows = await requests_store.answers_of(conn, detail.request_id)
    if not rows:
        return detail
    return msgspec.structs.replace(detail, answers=[{"at": row["at"].isoformat(), "text": row["text"],
                                                     "proof": row["proof"]} for row in rows])


async def detail_from_row(conn: Connection, ctx: UseCaseContext, row: store.RequestRow) -> RequestDetail:
    """The detail of a row just read (by a claim or by id), with the holder's answers."""
    return await with_answers(conn, detail_of(row, snapshots=ctx.snapshots,
                                              threshold=ctx.settings.four_eyes_threshold))


async def request_detail(conn: Connection, ctx: UseCaseContext, request_id: uuid.UUID) -> RequestDetail:
    row = await store.request_detail(conn, request_id)
    if row is None:
        raise NotFoundError(f"no request {request_id}")
    return await detail_from_row(conn, ctx, row)


async def related_requests(conn: Connection, detail: RequestDetail) -> list[store.RelatedRow]:
    """Other requests sharing the destination or the client address (newest first, at most 20)."""
    return await store.related_requests(conn, request_id=detail.request_id, destination=detail.destination,
                                        client_address=detail.client_address, limit=RELATED_LIMIT)


async def audit_trail(conn: Connection, request_id: uuid.UUID) -> list[AuditEvent]:
    return await store.request_audit(conn, request_id, AUDIT_TRAIL_LIMIT)
