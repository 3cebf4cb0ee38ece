"""The use cases that move a request: decide (approve, reject, needs_info), escalate, reopen.

Invariants (the rules themselves are in ``states``):
- only the holder of a live lease decides, and every decision ends the lease;
- ``reason`` is required for ``reject`` and ``needs_info``, for an escalation and for a reopening;
- every function locks the row first (``store.lock_request``), so two staff acting at once on one
  request are serialised and exactly one wins; every change appends its audit event in the same
  transaction, with the console session (``StaffPrincipal.audit_data``) when there is one;
- an approval is a promise: it is refused (``AmountNotReleasableError``, 422) when no release on the
  request's chain could hold it (``releasable``).

Each takes a ``Connection`` inside the caller's transaction and the ``UseCaseContext`` for the
clock, the settings and the served snapshots (the transaction rule in ``portal.domain.context``).
"""

from __future__ import annotations

import uuid

import msgspec

from portal.domain import destinations, releasable
from portal.domain.audit import AuditAction, AuditEntry, record
from portal.domain.context import UseCaseContext
from portal.domain.review.states import (
    Decision,
    Status,
    escalation_refusal,
    live_lease_of,
    next_status,
    next_status_on_reopen,
    reopen_refusal,
    role_needed,
)
from portal.domain.staff import StaffPrincipal
from portal.domain.text import clean_text
from portal.errors import (
    AmountNotReleasableError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableError,
)
from portal.store import review as store
from portal.store.database import Connection

AUDIT_ACTIONS: dict[tuple[Decision, Status], AuditAction] = {
    ("approve", Status.APPROVED): AuditAction.DECISION_APPROVED,
    ("approve", Status.AWAITING_SECOND_APPROVAL): AuditAction.DECISION_FIRST_APPROVAL,
    ("reject", Status.REJECTED): AuditAction.DECISION_REJECTED,
    ("needs_info", Status.NEEDS_INFO): AuditAction.DECISION_NEEDS_INFO,
}


class DecisionCommand(msgspec.Struct, frozen=True):
    """One decision on one request; ``reason`` goes to the audit log, ``public_note`` to the holder."""

    request_id: uuid.UUID
    decision: Decision
    reason: str | None = None
    public_note: str | None = None


async def _locked(conn: Connection, request_id: uuid.UUID) -> store.LockedRequest:
    locked = await store.lock_request(conn, request_id)
    if locked is None:
        raise NotFoundError(f"no request {request_id}")
    return locked


async def _require_releasable(conn: Connection, ctx: UseCaseContext, request_id: uuid.UUID) -> None:
    """Refuse an approval no release on the request's chain could hold (``releasable``): its converted
    amount beyond the claim's type, or, on Solana, the total of the approvals beyond a u64.

    A snapshot no longer served, or a destination the configuration cannot convert to, is not this
    request's fault and is left to the export, which says so.
    """
    snapshots = ctx.snapshots
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


async def decide(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, command: DecisionCommand, *,
                 client: str | None = None) -> Status:
    """Apply one decision by the lease holder; return the new status.

    An approval is first checked against the served snapshots and destinations to be releasable on
    its chain (``AmountNotReleasableError``, 422, when not): an approval is a promise.
    """
    at, threshold = ctx.now(), ctx.settings.four_eyes_threshold
    decision, request_id = command.decision, command.request_id
    reason = clean_text(command.reason, field="reason", required=None if decision == "approve" else
                        f"a reason is required to {decision.replace('_', ' ')}")
    public_note = clean_text(command.public_note, field="public_note")
    locked = await _locked(conn, request_id)
    four_eyes = locked.amount >= threshold
    target = next_status(locked.status, decision, four_eyes=four_eyes)
    if live_lease_of(locked.lease_holder, locked.lease_expires_at, at) != principal.actor:
        raise ConflictError("only the holder of a live lease decides: claim the request first",
                            code="lease_not_held")
    needed = role_needed(decision, four_eyes=four_eyes)
    if not principal.holds(needed):
        raise PermissionDeniedError(f"approving {locked.amount} (at or above the four-eyes threshold "
                                    f"{threshold}) needs the {needed} role")
    if decision == "approve" and locked.first_approver == principal.actor:
        raise ConflictError("the second approval must come from a different approver",
                            code="second_approver_required")
    if decision == "approve":
        await _require_releasable(conn, ctx, request_id)
    first_approver = principal.actor if target is Status.AWAITING_SECOND_APPROVAL else locked.first_approver
    await store.apply_decision(conn, request_id=request_id, status=target, first_approver=first_approver,
                               public_note=public_note, actor=principal.actor, reason=reason, now=at)
    await record(conn, AuditEntry(AUDIT_ACTIONS[(decision, target)], at=at, actor=principal.actor,
                 subject=f"request:{request_id}", client=client,
                 data={"from": locked.status, "to": str(target), "reason": reason, "amount": str(locked.amount),
                       "first_approver": first_approver, "public_note": public_note, **principal.audit_data()}))
    return target


async def escalate(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, request_id: uuid.UUID,
                   reason: str | None, *, client: str | None = None) -> None:
    """Hand a pending request to the approvers; it leaves every reviewer's queue and the caller's lease ends."""
    at = ctx.now()
    reason = clean_text(reason, field="reason", required="say why you escalate: a reason is required")
    assert reason is not None
    locked = await _locked(conn, request_id)
    refusal = escalation_refusal(locked.status, escalated=locked.escalated_at is not None,
                                 live_holder=live_lease_of(locked.lease_holder, locked.lease_expires_at, at),
                                 actor=principal.actor)
    if refusal is not None:
        raise refusal
    await store.escalate(conn, request_id=request_id, actor=principal.actor, reason=reason, now=at)
    await record(conn, AuditEntry(
                 AuditAction.REVIEW_ESCALATED, at=at, actor=principal.actor, subject=f"request:{request_id}",
                 data={"reason": reason, "amount": str(locked.amount), **principal.audit_data()}, client=client))


async def reopen(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, request_id: uuid.UUID,
                 reason: str | None, *, client: str | None = None) -> Status:
    """An admin puts a rejected or parked request back into the queue (review starts over)."""
    at = ctx.now()
    refusal = reopen_refusal(principal)
    if refusal is not None:
        raise refusal
    reason = clean_text(reason, field="reason", required="say why you reopen: a reason is required")
    locked = await _locked(conn, request_id)
    target = next_status_on_reopen(locked.status)
    await store.reopen(conn, request_id=request_id, status=str(target), now=at)
    await record(conn, AuditEntry(
                 AuditAction.REVIEW_REOPENED, at=at, actor=principal.actor, subject=f"request:{request_id}",
                 data={"from": locked.status, "to": str(target), "reason": reason, **principal.audit_data()},
                 client=client))
    return target
