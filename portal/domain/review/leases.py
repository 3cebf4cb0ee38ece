"""Leases on review requests: claim the oldest, claim a chosen one, release; none changes the status.

Invariants:
- ``states.may_claim`` is the same rule as the ``claim_next`` statement (``store/sql/review.sql``);
  an expired lease counts as no lease, so it returns the request to the queue;
- a claim by id locks the row first (``store.lock_request``), so two staff claiming one request at
  once are serialised and exactly one wins; a claim of the oldest uses ``SKIP LOCKED``, so
  concurrent claims take different rows;
- only the lease holder releases; every claim and release appends its audit event in the same
  transaction, with the console session (``StaffPrincipal.audit_data``) when there is one.
"""

from __future__ import annotations

import datetime as dt
import uuid

from portal.domain.audit import AuditAction, AuditEntry, record
from portal.domain.context import UseCaseContext
from portal.domain.review.evidence import RequestDetail, detail_from_row, request_detail
from portal.domain.review.states import live_lease_of, may_claim
from portal.domain.staff import StaffPrincipal
from portal.errors import ConflictError, NotFoundError, PermissionDeniedError
from portal.store import review as store
from portal.store.database import Connection


async def _locked(conn: Connection, request_id: uuid.UUID) -> store.LockedRequest:
    locked = await store.lock_request(conn, request_id)
    if locked is None:
        raise NotFoundError(f"no request {request_id}")
    return locked


async def claim_next(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, *,
                     client: str | None = None) -> RequestDetail | None:
    """Lease the oldest claimable request to ``principal``; None when the queue has nothing for them."""
    at = ctx.now()
    lease_expires_at = at + dt.timedelta(seconds=ctx.settings.review_lease_seconds)
    row = await store.claim_next(conn, actor=principal.actor, may_second_approve=principal.holds("approver"),
                                 threshold=ctx.settings.four_eyes_threshold, now=at, lease_expires_at=lease_expires_at)
    if row is None:
        return None
    await record(conn, AuditEntry(
                 AuditAction.REVIEW_CLAIMED, at=at, actor=principal.actor, subject=f"request:{row.request_id}",
                 data={"status": row.status, "lease_expires_at": lease_expires_at.isoformat(),
                       **principal.audit_data()}, client=client))
    return await detail_from_row(conn, ctx, row)


async def claim(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, request_id: uuid.UUID, *,
                client: str | None = None) -> RequestDetail:
    """Lease the chosen request to ``principal`` (renewing their own lease is allowed)."""
    at = ctx.now()
    locked = await _locked(conn, request_id)
    may_claim(locked, principal, threshold=ctx.settings.four_eyes_threshold, at=at)
    lease_expires_at = at + dt.timedelta(seconds=ctx.settings.review_lease_seconds)
    await store.lease_request(conn, request_id=request_id, actor=principal.actor, now=at,
                              lease_expires_at=lease_expires_at)
    await record(conn, AuditEntry(
                 AuditAction.REVIEW_CLAIMED, at=at, actor=principal.actor, subject=f"request:{request_id}",
                 data={"status": locked.status, "lease_expires_at": lease_expires_at.isoformat(), "chosen": True,
                       **principal.audit_data()}, client=client))
    return await request_detail(conn, ctx, request_id)


async def release(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, request_id: uuid.UUID, *,
                  client: str | None = None) -> None:
    """Give the lease back: the request returns to the queue at once."""
    at = ctx.now()
    locked = await _locked(conn, request_id)
    if live_lease_of(locked.lease_holder, locked.lease_expires_at, at) != principal.actor:
        raise ConflictError("you hold no live lease on this request", code="lease_not_held")
    await store.release_lease(conn, request_id=request_id, now=at)
    await record(conn, AuditEntry(
                 AuditAction.REVIEW_RELEASED, at=at, actor=principal.actor, subject=f"request:{request_id}",
                 data={"status": locked.status, **principal.audit_data()}, client=client))


async def claim_refusal(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal,
                        request_id: uuid.UUID) -> str | None:
    """Why ``principal`` may not claim the request now (the console shows it instead of the button), or None."""
    try:
        may_claim(await _locked(conn, request_id), principal, threshold=ctx.settings.four_eyes_threshold,
                  at=ctx.now())
    except (ConflictError, PermissionDeniedError) as exc:
        return exc.detail
    return None


def lease_seconds_left(lease_expires_at: dt.datetime | None, now: dt.datetime) -> int:
    if lease_expires_at is None:
        return 0
    return max(0, int((lease_expires_at - now).total_seconds()))
