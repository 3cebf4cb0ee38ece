"""Review states, pure: the statuses, the transitions between them, and who may do what.

No I/O here: the use cases (``decisions``, ``leases``) and the console's view model ask these
functions, so a rule is stated once and the template only reads booleans.

States and transitions (``TRANSITIONS``; anything else is ``IllegalTransitionError``, 409)::

    pending_review ──approve (amount < four-eyes)──────────────▶ approved
    pending_review ──approve (amount ≥ four-eyes, approver)────▶ awaiting_second_approval
    awaiting_second_approval ──approve (another approver)──────▶ approved
    pending_review | awaiting_second_approval ──reject─────────▶ rejected
    pending_review | awaiting_second_approval ──needs_info─────▶ needs_info
    needs_info ──holder answers (status token)─────────────────▶ pending_review   (HOLDER_TRANSITIONS)
    rejected | needs_info ──admin reopens, with a reason────────▶ pending_review   (REOPEN_TRANSITIONS)

Leases (``portal.domain.review.leases``): claim the next or a chosen request, release it, escalate it to
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
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

import msgspec

from portal.domain.staff import StaffPrincipal, name_of
from portal.errors import ConflictError, IllegalTransitionError, PermissionDeniedError

if TYPE_CHECKING:
    from portal.store.review import LockedRequest


class Status(StrEnum):
    PENDING_REVIEW = "pending_review"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
    NEEDS_INFO = "needs_info"
    APPROVED = "approved"
    REJECTED = "rejected"


#: A status in the words of a sentence ("a request that is waiting for the holder's answer"): the
#: refusals below are read by staff in the console and in the API's ``detail``; ``code`` stays the machine's.
STATUS_PHRASES = {
    Status.PENDING_REVIEW: "waiting for review",
    Status.AWAITING_SECOND_APPROVAL: "waiting for its second approval",
    Status.NEEDS_INFO: "waiting for the holder's answer",
    Status.APPROVED: "approved",
    Status.REJECTED: "rejected",
}


def phrase(status: str) -> str:
    return STATUS_PHRASES.get(status, status.replace("_", " "))  # type: ignore[call-overload]


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

_DECISION_VERBS = {"approve": "approve", "reject": "reject", "needs_info": "ask for more information on"}

HolderAction = Literal["answer"]
# (status, holder action) -> new status: the holder's one edge, taken with the status token
HOLDER_TRANSITIONS: dict[tuple[Status, HolderAction], Status] = {
    (Status.NEEDS_INFO, "answer"): Status.PENDING_REVIEW,
}

# (status, staff action) -> new status: an admin puts a rejected or parked request back into the queue
REOPEN_TRANSITIONS: dict[Status, Status] = {
    Status.REJECTED: Status.PENDING_REVIEW,
    Status.NEEDS_INFO: Status.PENDING_REVIEW,
}


def next_status(status: str, decision: Decision, *, four_eyes: bool) -> Status:
    """The status after ``decision``; ``IllegalTransitionError`` when the table has no such edge."""
    target = TRANSITIONS.get((Status(status), decision, four_eyes))
    if target is None:
        raise IllegalTransitionError(f"cannot {_DECISION_VERBS[decision]} a request that is {phrase(status)}",
                                     extra={"request_status": status, "decision": decision})
    return target


def next_status_by_holder(status: str, action: HolderAction = "answer") -> Status:
    """The status after the holder's ``action``; ``IllegalTransitionError`` (409) from any other state."""
    target = HOLDER_TRANSITIONS.get((Status(status), action))
    if target is None:
        raise IllegalTransitionError("only a request that needs information can be answered; this one is "
                                     f"{phrase(status)}",
                                     extra={"status": status})
    return target


def next_status_on_reopen(status: str) -> Status:
    """The status after an admin reopens; ``IllegalTransitionError`` (409) from any other state."""
    target = REOPEN_TRANSITIONS.get(Status(status))
    if target is None:
        raise IllegalTransitionError("only a rejected request, or one waiting for the holder's answer, can be "
                                     f"reopened; this one is {phrase(status)}",
                                     extra={"status": status, "decision": "reopen"})
    return target


def role_needed(decision: Decision, *, four_eyes: bool) -> str:
    return "approver" if decision == "approve" and four_eyes else "reviewer"


def live_lease_of(lease_holder: str | None, lease_expires_at: dt.datetime | None, at: dt.datetime) -> str | None:
    """Who holds a live lease, or None (no lease, or an expired one)."""
    if lease_holder is None or lease_expires_at is None or lease_expires_at <= at:
        return None
    return lease_holder


def may_claim(locked: LockedRequest, principal: StaffPrincipal, *, threshold: int, at: dt.datetime) -> None:
    """Raise why ``principal`` may not claim the row now; return when they may.

    The same rule as the ``claim_next`` statement (``store/sql/review.sql``): a pending request below
    the four-eyes threshold and not escalated is offered to any reviewer; every pending request, and
    an awaiting one whose first approval is not theirs, to approvers; never one under another's live lease.
    """
    holder = live_lease_of(locked.lease_holder, locked.lease_expires_at, at)
    if holder is not None and holder != principal.actor:
        raise ConflictError(f"{name_of(holder)} holds this request's lease", code="lease_held")
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
    raise ConflictError(f"a request that is {phrase(locked.status)} is not in the queue", code="not_claimable",
                        extra={"status": locked.status})


def escalation_refusal(status: str, *, escalated: bool, live_holder: str | None, actor: str) -> ConflictError | None:
    """Why ``actor`` may not escalate now, or None: anyone reviewing may escalate a pending request
    that is not escalated yet and that nobody else holds."""
    if live_holder is not None and live_holder != actor:
        return ConflictError(f"{name_of(live_holder)} holds this request's lease", code="lease_held")
    if status != Status.PENDING_REVIEW:
        return ConflictError(f"only a request waiting for review can be escalated; this one is {phrase(status)}",
                             code="not_escalatable", extra={"status": status})
    if escalated:
        return ConflictError("this request is already escalated to the approvers", code="already_escalated")
    return None


def reopen_refusal(principal: StaffPrincipal) -> PermissionDeniedError | None:
    """Why ``principal`` may not reopen any request, or None: reopening is for admins."""
    if principal.holds("admin"):
        return None
    return PermissionDeniedError(f"reopening a request needs the admin role; {principal.name} holds the "
                                 f"{principal.role} role")


class StaffActions(msgspec.Struct, frozen=True):
    """What one member of staff may do to one request now: the console shows exactly these forms."""

    may_decide: bool    # they hold its live lease
    may_escalate: bool
    may_reopen: bool


def actions_for(principal: StaffPrincipal, *, status: str, escalated: bool, live_holder: str | None) -> StaffActions:
    """The rules the use cases enforce, as booleans for a page (``decisions``, ``leases``)."""
    return StaffActions(
        may_decide=live_holder == principal.actor,
        may_escalate=escalation_refusal(status, escalated=escalated, live_holder=live_holder,
                                        actor=principal.actor) is None,
        may_reopen=reopen_refusal(principal) is None and Status(status) in REOPEN_TRANSITIONS)
