"""The review queue: who may claim what, and the state machine of a request's status.

States and transitions (``TRANSITIONS``; anything else is ``IllegalTransitionError``, 409)::

    pending_review ──approve (amount < four-eyes)──────────────▶ approved
    pending_review ──approve (amount ≥ four-eyes, approver)────▶ awaiting_second_approval
    awaiting_second_approval ──approve (another approver)──────▶ approved
    pending_review | awaiting_second_approval ──reject─────────▶ rejected
    pending_review | awaiting_second_approval ──needs_info─────▶ needs_info
    needs_info ──holder answers (status token)─────────────────▶ pending_review   (HOLDER_TRANSITIONS)
    rejected | needs_info ──admin reopens, with a reason────────▶ pending_review   (REOPEN_TRANSITIONS)

Leases (``portal.domain.leases``): claim the next or a chosen request, release it, escalate it to
the approvers; none of them changes the status. No state is a dead end: pending and awaiting
requests are decided, parked ones are answered by the holder or reopened by an admin, a rejected
one is reopened by an admin (or the holder files a new proof); only ``approved`` is final.

Invariants:
- only the holder of a live lease decides, and every decision ends the lease;
- a claim leases the oldest claimable request (``store.review.claim_next``): ``pending_review``
  below the four-eyes threshold and not escalated to any reviewer, every pending one to approvers,
  ``awaiting_second_approval`` only to approvers other than the first approver,
  so nobody approves one request twice; an expired lease returns the request to the queue;
- ``reviewer`` claims, rejects, asks for info and approves below the threshold; ``approver`` also
  approves at or above it; ``admin`` holds every role;
- ``reason`` is required for ``reject`` and ``needs_info``;
- every claim and decision appends its audit event in the same transaction as the change.

``needs_info`` parks a request outside the queue: it is not claimable, the holder reads the
reviewer's ``public_note`` in their status view, and staff find parked requests with
``GET /v1/review/requests?status=needs_info``. The holder answers with
``POST /v1/requests/{id}/answer`` (``portal.domain.answers``): text, and a new proof if asked; that
is the one edge not taken by staff (``HOLDER_TRANSITIONS``), it puts the request back into the
queue with no lease and no first approval (the review starts over with the new information), and
it appends ``request:answer:submitted``. A parked request (like an approved one) keeps the address
from filing a second request; the answer is how it moves on. ``approved`` and ``rejected`` are final.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any, Literal

import msgspec

from portal.domain import destinations, releasable
from portal.domain.audit import AuditAction, record
from portal.domain.eligibility import SnapshotSet
from portal.domain.proofs import registry
from portal.domain.staff import StaffPrincipal
from portal.domain.text import clean_text
from portal.errors import (
    AmountNotReleasableError,
    ConflictError,
    IllegalTransitionError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableError,
)
from portal.store import requests as requests_store
from portal.store import review as store
from portal.store.database import Connection
from snapshot.addresses import parse_address
from snapshot.errors import InvalidAddressError as BadAddressError


class Status(StrEnum):
    PENDING_REVIEW = "pending_review"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
    NEEDS_INFO = "needs_info"
    APPROVED = "approved"
    REJECTED = "rejected"


Decision = Literal["approve", "reject", "needs_info"]
OPEN_STATUSES = (Status.PENDING_REVIEW, Status.AWAITING_SECOND_APPROVAL, Status.NEEDS_INFO)

# (status, decision, amount at or above the four-eyes threshold) -> new status
TRANSITIONS: dict[tuple[Status, Decision, bool], Status] = {
    (Status.PENDING_REVIEW, "approve", False): Status.APPROVED,
    (Status.PENDING_REVIEW, "approve", True): Status.AWAITING_SECOND_APPROVAL,
    (Status.AWAITING_SECOND_APPROVAL, "approve", True): Status.APPROVED,
    **{(status, "reject", big): Status.REJECTED
       for status in (Status.PENDING_REVIEW, Status.AWAITING_SECOND_APPROVAL) for big in (False, True)},
    **{(status, "needs_info", big): Status.NEEDS_INFO
       for status in (Status.PENDING_REVIEW, Status.AWAITING_SECOND_APPROVAL) for big in (False, True)},
}

HolderAction = Literal["answer"]
# (status, holder action) -> new status: the holder's one edge, taken with the status token
HOLDER_TRANSITIONS: dict[tuple[Status, HolderAction], Status] = {
    (Status.NEEDS_INFO, "answer"): Status.PENDING_REVIEW,
}

AUDIT_ACTIONS: dict[tuple[Decision, Status], AuditAction] = {
    ("approve", Status.APPROVED): AuditAction.DECISION_APPROVED,
    ("approve", Status.AWAITING_SECOND_APPROVAL): AuditAction.DECISION_FIRST_APPROVAL,
    ("reject", Status.REJECTED): AuditAction.DECISION_REJECTED,
    ("needs_info", Status.NEEDS_INFO): AuditAction.DECISION_NEEDS_INFO,
}


def next_status(status: str, decision: Decision, *, four_eyes: bool) -> Status:
    """The status after ``decision``; ``IllegalTransitionError`` when the table has no such edge."""
    target = TRANSITIONS.get((Status(status), decision, four_eyes))
    if target is None:
        raise IllegalTransitionError(f"cannot {decision.replace('_', ' ')} a request that is {status}",
                                     extra={"request_status": status, "decision": decision})
    return target


def next_status_by_holder(status: str, action: HolderAction = "answer") -> Status:
    """The status after the holder's ``action``; ``IllegalTransitionError`` (409) from any other state."""
    target = HOLDER_TRANSITIONS.get((Status(status), action))
    if target is None:
        raise IllegalTransitionError(f"only a request that needs information can be answered; this one is {status}",
                                     extra={"status": status})
    return target


# (status, staff action) -> new status: an admin puts a rejected or parked request back into the queue
REOPEN_TRANSITIONS: dict[Status, Status] = {
    Status.REJECTED: Status.PENDING_REVIEW,
    Status.NEEDS_INFO: Status.PENDING_REVIEW,
}


def next_status_on_reopen(status: str) -> Status:
    """The status after an admin reopens; ``IllegalTransitionError`` (409) from any other state."""
    target = REOPEN_TRANSITIONS.get(Status(status))
    if target is None:
        raise IllegalTransitionError(f"only a rejected or parked request can be reopened; this one is {status}",
                                     extra={"status": status, "decision": "reopen"})
    return target


def role_needed(decision: Decision, *, four_eyes: bool) -> str:
    return "approver" if decision == "approve" and four_eyes else "reviewer"


class RiskFlag(msgspec.Struct, frozen=True):
    code: Literal["destination_reused", "destination_in_snapshot", "contract_wallet", "client_many_requests",
                  "four_eyes_amount"]
    detail: str


class RequestDetail(msgspec.Struct, frozen=True):
    """Everything a reviewer needs to decide one request (the claim answers with this too)."""

    request_id: uuid.UUID
    status: str
    snapshot_id: str
    snapshot_address: str
    chain: str
    destination: str
    destination_chain: str
    amount: str
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
    four_eyes_required: bool
    risk_flags: list[RiskFlag]
    answers: list[dict[str, Any]] = msgspec.field(default_factory=list)  # the holder's, oldest first
    escalated_by: str | None = None
    escalated_at: dt.datetime | None = None
    escalation_reason: str | None = None


class QueueItem(msgspec.Struct, frozen=True):
    request_id: uuid.UUID
    status: str
    snapshot_id: str
    snapshot_address: str
    destination: str
    amount: str
    method: str
    created_at: dt.datetime
    lease_holder: str | None
    lease_expires_at: dt.datetime | None
    first_approver: str | None
    chain: str = "evm"
    destination_chain: str = "evm"
    escalated_at: dt.datetime | None = None


class QueuePage(msgspec.Struct, frozen=True):
    items: list[QueueItem]
    next_cursor: str | None


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
        flags.append(RiskFlag("contract_wallet", "the signer is a contract wallet (EIP-1271)"))
    if row.client_requests:
        flags.append(RiskFlag("client_many_requests",
                              f"{row.client_requests} other request(s) came from client {row.client_address}"))
    if row.amount >= threshold:
        flags.append(RiskFlag("four_eyes_amount", f"amount is at or above the four-eyes threshold {threshold}"))
    return flags


async def _with_answers(conn: Connection, detail: RequestDetail) -> RequestDetail:
    """The holder's answers to ``needs_info`` (text and any new proof), for the reviewer."""
    rows = await requests_store.answers_of(conn, detail.request_id)
    if not rows:
        return detail
    return msgspec.structs.replace(detail, answers=[{"at": row["at"].isoformat(), "text": row["text"],
                                                     "proof": row["proof"]} for row in rows])


def detail_of(row: store.RequestRow, *, snapshots: SnapshotSet, threshold: int) -> RequestDetail:
    return RequestDetail(
        request_id=row.id, status=row.status, snapshot_id=row.snapshot_id, snapshot_address=row.snapshot_address,
        chain=row.chain, destination=row.destination, destination_chain=row.destination_chain,
        amount=str(row.amount), method=row.method,
        message=row.message, proof=row.proof, recovered_signer=row.recovered_signer, evidence=row.evidence,
        client_address=row.client_address, user_agent=row.user_agent, public_note=row.public_note,
        lease_holder=row.lease_holder, lease_expires_at=row.lease_expires_at, first_approver=row.first_approver,
        decided_by=row.decided_by, decided_at=row.decided_at, decision_reason=row.decision_reason,
        created_at=row.created_at, updated_at=row.updated_at, four_eyes_required=row.amount >= threshold,
        risk_flags=risk_flags(row, snapshots=snapshots, threshold=threshold),
        escalated_by=row.escalated_by, escalated_at=row.escalated_at, escalation_reason=row.escalation_reason,
    )


async def claim_next(conn: Connection, principal: StaffPrincipal, *, at: dt.datetime, lease_seconds: int,
                     snapshots: SnapshotSet, threshold: int, client: str | None = None) -> RequestDetail | None:
    """Lease the oldest claimable request to ``principal``; None when the queue has nothing for them."""
    lease_expires_at = at + dt.timedelta(seconds=lease_seconds)
    row = await store.claim_next(conn, actor=principal.actor, may_second_approve=principal.holds("approver"),
                                 threshold=threshold, now=at, lease_expires_at=lease_expires_at)
    if row is None:
        return None
    await record(conn, AuditAction.REVIEW_CLAIMED, at=at, actor=principal.actor, subject=f"request:{row.id}",
                 data={"status": row.status, "lease_expires_at": lease_expires_at.isoformat(),
                       **principal.audit_data()}, client=client)
    return await _with_answers(conn, detail_of(row, snapshots=snapshots, threshold=threshold))


async def request_detail(conn: Connection, request_id: uuid.UUID, *, snapshots: SnapshotSet,
                         threshold: int) -> RequestDetail:
    row = await store.request_detail(conn, request_id)
    if row is None:
        raise NotFoundError(f"no request {request_id}")
    return await _with_answers(conn, detail_of(row, snapshots=snapshots, threshold=threshold))


async def _require_releasable(conn: Connection, request_id: uuid.UUID, snapshots: SnapshotSet) -> None:
    """Refuse an approval no release on the request's chain could hold (``releasable``): its converted
    amount beyond the claim's type, or, on Solana, the total of the approvals beyond a u64.

    A snapshot no longer served, or a destination the configuration cannot convert to, is not this
    request's fault and is left to the export, which says so.
    """
    row = await store.request_detail(conn, request_id)
    manifest = next((m for m in snapshots.manifests if row is not None and m.id == row.snapshot_id), None)
    if row is None or manifest is None:
        return
    chain = row.destination_chain
    try:
        conversion = destinations.conversion(snapshots.destinations, chain, manifest.decimals)
    except UnprocessableError:
        return
    convert = conversion.convert if conversion else int
    converted = convert(row.amount)
    problem = (releasable.address_problem(row.snapshot_address, manifest.chain, row.destination, chain)
               or releasable.amount_problem(converted, chain))
    if problem is None and chain == "solana":
        others = [entry for entry in await store.approved_entries(conn, row.snapshot_id)
                  if entry.destination_chain == chain and entry.snapshot_address != row.snapshot_address]
        kept, _ = releasable.partition(others, convert=convert, snapshot_chain=manifest.chain, destination_chain=chain)
        problem = releasable.total_problem(sum(convert(entry.amount) for entry in kept) + converted, chain)
    if problem is not None:
        raise AmountNotReleasableError(
            f"this approval could not be released on {chain}: {problem}. Reject it, or ask the holder for "
            "another destination (needs_info)", field="decision",
            extra={"destination_chain": chain, "converted_amount": str(converted)})


async def decide(conn: Connection, principal: StaffPrincipal, request_id: uuid.UUID, decision: Decision, *,
                 reason: str | None, public_note: str | None, at: dt.datetime, threshold: int,
                 snapshots: SnapshotSet, client: str | None = None) -> Status:
    """Apply one decision by the lease holder; return the new status.

    An approval is first checked against ``snapshots`` (the served snapshots and destinations) to be
    releasable on its chain (``AmountNotReleasableError``, 422, when not): an approval is a promise.
    """
    reason = clean_text(reason, field="reason", required=None if decision == "approve" else
                        f"a reason is required to {decision.replace('_', ' ')}")
    public_note = clean_text(public_note, field="public_note")
    locked = await store.lock_request(conn, request_id)
    if locked is None:
        raise NotFoundError(f"no request {request_id}")
    four_eyes = locked.amount >= threshold
    target = next_status(locked.status, decision, four_eyes=four_eyes)
    if locked.lease_holder != principal.actor or locked.lease_expires_at is None or locked.lease_expires_at <= at:
        raise ConflictError("only the holder of a live lease decides: claim the request first",
                            code="lease_not_held")
    needed = role_needed(decision, four_eyes=four_eyes)
    if not principal.holds(needed):
        raise PermissionDeniedError(f"approving {locked.amount} (at or above the four-eyes threshold "
                                    f"{threshold}) needs the {needed} role")
    if decision == "approve" and locked.first_approver == principal.actor:
        raise ConflictError("the second approval must come from a different approver",
                            code="second_approver_required")
    if decision == "approve" and snapshots is not None:
        await _require_releasable(conn, request_id, snapshots)
    first_approver = principal.actor if target is Status.AWAITING_SECOND_APPROVAL else locked.first_approver
    await store.apply_decision(conn, request_id=request_id, status=target, first_approver=first_approver,
                               public_note=public_note, actor=principal.actor, reason=reason, now=at)
    await record(conn, AUDIT_ACTIONS[(decision, target)], at=at, actor=principal.actor,
                 subject=f"request:{request_id}", client=client,
                 data={"from": locked.status, "to": str(target), "reason": reason, "amount": str(locked.amount),
                       "first_approver": first_approver, "public_note": public_note, **principal.audit_data()})
    return target


def encode_cursor(row: store.QueueRow) -> str:
    return f"{row.created_at.isoformat()}_{row.id}"


def decode_cursor(cursor: str | None) -> tuple[dt.datetime, uuid.UUID]:
    if not cursor:
        return store.QUEUE_START
    try:
        at_text, _, id_text = cursor.rpartition("_")
        at = dt.datetime.fromisoformat(at_text)
        if at.tzinfo is None:
            raise ValueError("naive")
        return at, uuid.UUID(id_text)
    except ValueError:
        raise InvalidInputError("cursor is not one this service handed out", field="cursor") from None


async def queue_stats(conn: Connection) -> list[store.QueueStat]:
    """Depth and oldest ``created_at`` per status (the Prometheus queue gauges)."""
    return await store.queue_stats(conn)
