"""Leases on review requests beyond "claim the oldest": claim a chosen one, release, escalate, reopen.

Invariants (with ``portal.domain.review``, whose state machine this does not change except for
``REOPEN_TRANSITIONS``):
- ``may_claim`` is the same rule as the ``claim_next`` statement (``store/sql/review.sql``): a
  pending request below the four-eyes threshold and not escalated is offered to any reviewer; every
  pending request, and an awaiting one whose first approval is not theirs, to approvers; never a
  request under another's live lease. An expired lease counts as no lease;
- every function locks the row first (``store.lock_request``), so two staff acting at once on one
  request are serialised and exactly one wins; every change appends its audit event in the same
  transaction, with the console session (``StaffPrincipal.audit_data``) when there is one;
- only the lease holder releases; anyone reviewing may escalate a pending request nobody else
  holds (which also ends their own lease); only an admin reopens, with a reason.
"""

from __future__ import annotations

import datetime as dt
import uuid

from portal.domain.audit import AuditAction, record
from portal.domain.eligibility import SnapshotSet
from portal.domain.review import RequestDetail, Status, next_status_on_reopen, request_detail
from portal.domain.staff import StaffPrincipal
from portal.domain.text import clean_text
from portal.errors import ConflictError, NotFoundError, PermissionDeniedError
from portal.store import review as store
from portal.store.database import Connection


def live_lease_of(locked: store.LockedRequest, at: dt.datetime) -> str | None:
    """Who holds a live lease on the row, or None (no lease, or an expired one)."""
    if locked.lease_holder is None or locked.lease_expires_at is None or locked.lease_expires_at <= at:
        return None
    return locked.lease_holder


def may_claim(locked: store.LockedRequest, principal: StaffPrincipal, *, threshold: int,
              at: dt.datetime) -> None:
    """Raise why ``principal`` may not claim the row now; return when they may."""
    holder = live_lease_of(locked, at)
    if holder is not None and holder != principal.actor:
        raise ConflictError(f"{holder} holds this request's lease", code="lease_held")
    approver = principal.holds("approver")
    if locked.status == Status.PENDING_REVIEW:
        if not approver and locked.amount >= threshold:
            raise PermissionDeniedError("this request is at or above the four-eyes threshold: it is offered "
                                        "to approvers only")
        if not approver and locked.escalated_at is not None:
            raise PermissionDeniedError("this request was escalated: it is offered to approvers only")
        return
    if locked.status == Status.AWAITING_SECOND_APPROVAL:
        if not approver:
            raise PermissionDeniedError("this request awaits its second approval: approvers only")
        if locked.first_approver == principal.actor:
            raise ConflictError("you gave the first approval; the second must come from another approver",
                                code="second_approver_required")
        return
    raise ConflictError(f"a request that is {locked.status} is not in the queue", code="not_claimable",
                        extra={"status": locked.status})


async def _locked(conn: Connection, request_id: uuid.UUID) -> store.LockedRequest:
    locked = await store.lock_request(conn, request_id)
    if locked is None:
        raise NotFoundError(f"no request {request_id}")
    return locked


async def claim(conn: Connection, principal: StaffPrincipal, request_id: uuid.UUID, *, at: dt.datetime,
                lease_seconds: int, snapshots: SnapshotSet, threshold: int,
                client: str | None = None) -> RequestDetail:
    """Lease the chosen request to ``principal`` (renewing their own lease is allowed)."""
    locked = await _locked(conn, request_id)
    may_claim(locked, principal, threshold=threshold, at=at)
    lease_expires_at = at + dt.timedelta(seconds=lease_seconds)
    await store.lease_request(conn, request_id=request_id, actor=principal.actor, now=at,
                              lease_expires_at=lease_expires_at)
    await record(conn, AuditAction.REVIEW_CLAIMED, at=at, actor=principal.actor, subject=f"request:{request_id}",
                 data={"status": locked.status, "lease_expires_at": lease_expires_at.isoformat(), "chosen": True,
                       **principal.audit_data()}, client=client)
    return await request_detail(conn, request_id, snapshots=snapshots, threshold=threshold)


async def release(conn: Connection, principal: StaffPrincipal, request_id: uuid.UUID, *, at: dt.datetime,
                  client: str | None = None) -> None:
    """Give the lease back: the request returns to the queue at once."""
    locked = await _locked(conn, request_id)
    if live_lease_of(locked, at) != principal.actor:
        raise ConflictError("you hold no live lease on this request", code="lease_not_held")
    await store.release_lease(conn, request_id=request_id, now=at)
    await record(conn, AuditAction.REVIEW_RELEASED, at=at, actor=principal.actor, subject=f"request:{request_id}",
                 data={"status": locked.status, **principal.audit_data()}, client=client)


async def escalate(conn: Connection, principal: StaffPrincipal, request_id: uuid.UUID, reason: str | None, *,
                   at: dt.datetime, client: str | None = None) -> None:
    """Hand a pending request to the approvers; it leaves every reviewer's queue and the caller's lease ends."""
    reason = clean_text(reason, field="reason", required="say why you escalate: a reason is required")
    assert reason is not None
    locked = await _locked(conn, request_id)
    holder = live_lease_of(locked, at)
    if holder is not None and holder != principal.actor:
        raise ConflictError(f"{holder} holds this request's lease", code="lease_held")
    if locked.status != Status.PENDING_REVIEW:
        raise ConflictError(f"only a pending request can be escalated; this one is {locked.status}",
                            code="not_escalatable", extra={"status": locked.status})
    if locked.escalated_at is not None:
        raise ConflictError("this request is already escalated to the approvers", code="already_escalated")
    await store.escalate(conn, request_id=request_id, actor=principal.actor, reason=reason, now=at)
    await record(conn, AuditAction.REVIEW_ESCALATED, at=at, actor=principal.actor, subject=f"request:{request_id}",
                 data={"reason": reason, "amount": str(locked.amount), **principal.audit_data()}, client=client)


async def reopen(conn: Connection, principal: StaffPrincipal, request_id: uuid.UUID, reason: str | None, *,
                 at: dt.datetime, client: str | None = None) -> Status:
    """An admin puts a rejected or parked request back into the queue (review starts over)."""
    if not principal.holds("admin"):
        raise PermissionDeniedError(f"reopening a request needs the admin role; {principal.name} holds "
                                    f"{principal.role}")
    reason = clean_text(reason, field="reason", required="say why you reopen: a reason is required")
    locked = await _locked(conn, request_id)
    target = next_status_on_reopen(locked.status)
    await store.reopen(conn, request_id=request_id, status=str(target), now=at)
    await record(conn, AuditAction.REVIEW_REOPENED, at=at, actor=principal.actor, subject=f"request:{request_id}",
                 data={"from": locked.status, "to": str(target), "reason": reason, **principal.audit_data()},
                 client=client)
    return target


async def claim_refusal(conn: Connection, principal: StaffPrincipal, request_id: uuid.UUID, *, threshold: int,
                        at: dt.datetime) -> str | None:
    """Why ``principal`` may not claim the request now (the console shows it instead of the button), or None."""
    try:
        may_claim(await _locked(conn, request_id), principal, threshold=threshold, at=at)
    except (ConflictError, PermissionDeniedError) as exc:
        return exc.detail
    return None
