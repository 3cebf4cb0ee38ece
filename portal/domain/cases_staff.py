"""Staff work cases: the queue, a lease, replies, decisions, and the public corrections they make.

Invariants:
- every write locks the case row first (``store.lock_case``), so two staff acting on one case at once
  are serialised: of two claims exactly one wins (the other is 409 ``lease_held``); replies and
  decisions need the caller's own live lease;
- a decision closes the case with a reason the holder sees: ``answered`` only for a question,
  ``upheld`` never for a question, ``rejected`` for any; ``upheld`` carries the corrected amount in
  snapshot base units, and at or above the four-eyes threshold needs two different approvers who
  name the same amount (the first one's "upheld" waits in ``awaiting_second_approval``);
- an upheld case becomes one correction row (address, destination, amount it adds, kind, the exclude
  list's category) in the same transaction, which the next release of its destination chain carries;
  an upheld ``late`` case becomes an approved request instead (the claim it missed, with the case's
  proof and status token), which the next release carries like any approval;
- every claim, reply and decision appends its audit event in the same transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any, Literal

import msgspec

from portal.domain.audit import AuditAction, AuditEntry, AuditEvent, record
from portal.domain.cases import Kind, Outcome, clean_message
from portal.domain.context import UseCaseContext
from portal.domain.eligibility import parse_address
from portal.domain.review.states import live_lease_of
from portal.domain.staff import StaffPrincipal
from portal.domain.text import clean_text
from portal.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from portal.store import cases as store
from portal.store.database import Connection

Status = Literal["open", "awaiting_second_approval", "closed"]
MAX_PAGE = 500
AUDIT_TRAIL_LIMIT = 200


class CaseRow(msgspec.Struct, frozen=True):
    case_id: uuid.UUID
    kind: Kind
    status: str
    chain: str
    address: str
    snapshot_amount: str | None
    lease_holder: str | None
    messages: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CasePage(msgspec.Struct, frozen=True):
    cases: list[CaseRow]
    next_cursor: str | None


class StaffMessage(msgspec.Struct, frozen=True):
    at: dt.datetime
    author: str
    staff: str | None
    text: str


class TransferSeen(msgspec.Struct, frozen=True):
    tx_hash: str
    block: int
    sender: str
    recipient: str
    amount: str
    before_snapshot: bool


class TokenAccountAtSlot(msgspec.Struct, frozen=True):
    """A Solana token account of the address, its balance at the snapshot slot rebuilt from ``signature`` (the
    last transaction at or before the slot, in ``slot``); both None when it had none (it held 0)."""

    account: str
    amount: str
    slot: int | None
    signature: str | None


class ChainEvidence(msgspec.Struct, frozen=True):
    """What the chain says; ``differences`` and ``not_checked`` are sentences for staff. For Solana,
    ``snapshot_block`` is the slot, ``transfers`` are token balance changes (``block`` their slot),
    ``token_accounts`` the address's accounts at the slot, and ``program_derived`` says the address is off the
    ed25519 curve (a PDA: no key signs for it)."""

    snapshot_block: int | None
    balance_at_snapshot: str | None
    transfers: list[TransferSeen]
    differences: list[str]
    not_checked: list[str]
    token_accounts: list[TokenAccountAtSlot] = msgspec.field(default_factory=list)
    program_derived: bool | None = None


class CaseDetail(msgspec.Struct, frozen=True):
    """Everything staff see of a case: the proof, the holder's evidence, the thread, the lease, the outcome."""

    case_id: uuid.UUID
    kind: Kind
    status: str
    chain: str
    address: str
    destination: str
    destination_chain: str
    snapshot_id: str
    snapshot_amount: str | None
    method: str
    recovered_signer: str
    evidence: dict[str, Any]
    client_address: str | None
    lease_holder: str | None
    lease_expires_at: dt.datetime | None
    first_approver: str | None
    first_amount: str | None
    outcome: Outcome | None
    outcome_reason: str | None
    corrected_amount: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    created_at: dt.datetime
    messages: list[StaffMessage]
    chain_evidence: ChainEvidence | None = None  # read from the chain on GET (portal.domain.case_evidence)


class CaseDecision(msgspec.Struct, frozen=True):
    case_id: uuid.UUID
    outcome: Outcome
    reason: str | None
    amount: str | None = None


class PublicCorrection(msgspec.Struct, frozen=True):
    """One upheld correction as anyone sees it (the holder's words stay private)."""

    address: str
    amount: str
    category: str | None
    kind: str
    case_id: uuid.UUID
    decided_at: dt.datetime
    release: str | None


def _cursor(row: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(f"{row['created_at'].isoformat()}|{row['id']}".encode()).decode()


def _after(cursor: str | None) -> tuple[dt.datetime, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        at, _, case_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return dt.datetime.fromisoformat(at), uuid.UUID(case_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError("cursor is not one this queue gave out", field="cursor") from None


async def queue_page(conn: Connection, *, kind: str | None, status: str | None, address: str | None,
                     limit: int, cursor: str | None) -> CasePage:
    rows = await store.queue(conn, kind=kind, status=status, address=address, after=_after(cursor),
                             limit=min(limit, MAX_PAGE) + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return CasePage([CaseRow(r["id"], r["kind"], r["status"], r["chain"], r["address"],
                             None if r["snapshot_amount"] is None else str(r["snapshot_amount"]), r["lease_holder"],
                             int(r["messages"]), r["created_at"], r["updated_at"]) for r in rows],
                    _cursor(rows[-1]) if more and rows else None)


def search_address(text: str | None) -> str | None:
    """The canonical form of a searched address (any case for EVM), so the search is one index lookup."""
    if text is None or not text.strip():
        return None
    return parse_address(text.strip(), field="address").text


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


async def case_detail(conn: Connection, case_id: uuid.UUID) -> CaseDetail:
    row = await store.get_case(conn, case_id)
    if row is None:
        raise NotFoundError(f"no case {case_id}")
    messages = [StaffMessage(m["at"], m["author"], m["staff"], m["text"])
                for m in await store.messages_of(conn, case_id)]
    return CaseDetail(row["id"], row["kind"], row["status"], row["chain"], row["address"], row["destination"],
                      row["destination_chain"], row["snapshot_id"], _text(row["snapshot_amount"]), row["method"],
                      row["recovered_signer"], row["evidence"], row["client_address"], row["lease_holder"],
                      row["lease_expires_at"], row["first_approver"], _text(row["first_amount"]), row["outcome"],
                      row["outcome_reason"], _text(row["corrected_amount"]), row["decided_by"], row["decided_at"],
                      row["created_at"], messages)


async def audit_trail(conn: Connection, case_id: uuid.UUID) -> list[AuditEvent]:
    return await store.case_audit(conn, case_id, AUDIT_TRAIL_LIMIT)


async def _locked(conn: Connection, case_id: uuid.UUID) -> dict[str, Any]:
    locked = await store.lock_case(conn, case_id)
    if locked is None:
        raise NotFoundError(f"no case {case_id}")
    if locked["status"] == "closed":
        raise ConflictError("this case is closed", code="case_closed")
    return locked


def _require_lease(locked: dict[str, Any], principal: StaffPrincipal, at: dt.datetime) -> None:
    if live_lease_of(locked["lease_holder"], locked["lease_expires_at"], at) != principal.actor:
        raise ConflictError("claim this case first: you hold no live lease on it", code="lease_not_held")


async def claim(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, case_id: uuid.UUID, *,
                client: str | None = None) -> CaseDetail:
    """Lease the case to ``principal`` (renewing their own lease is allowed)."""
    at = ctx.now()
    locked = await _locked(conn, case_id)
    holder = live_lease_of(locked["lease_holder"], locked["lease_expires_at"], at)
    if holder is not None and holder != principal.actor:
        raise ConflictError(f"{holder} holds this case's lease", code="lease_held")
    if locked["status"] == "awaiting_second_approval":
        if not principal.holds("approver"):
            raise PermissionDeniedError("this case waits for a second approver")
        if locked["first_approver"] == principal.actor:
            raise PermissionDeniedError("you gave the first approval: the second must come from another approver")
    lease_expires_at = at + dt.timedelta(seconds=ctx.settings.review_lease_seconds)
    await store.lease_case(conn, case_id=case_id, actor=principal.actor, now=at, lease_expires_at=lease_expires_at)
    await record(conn, AuditEntry(AuditAction.CASE_CLAIMED, at=at, actor=principal.actor, subject=f"case:{case_id}",
                                  data={"lease_expires_at": lease_expires_at.isoformat(), **principal.audit_data()},
                                  client=client))
    return await case_detail(conn, case_id)


async def reply(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, case_id: uuid.UUID, text: str, *,
                client: str | None = None) -> CaseDetail:
    """Staff's message in the case's thread (the lease holder's)."""
    at, words = ctx.now(), clean_message(text)
    locked = await _locked(conn, case_id)
    _require_lease(locked, principal, at)
    message_id = await store.insert_message(conn, case_id=case_id, at=at, author="staff", staff=principal.actor,
                                            text=words)
    await record(conn, AuditEntry(AuditAction.CASE_STAFF_MESSAGE, at=at, actor=principal.actor,
                                  subject=f"case:{case_id}", data={"message_id": message_id, **principal.audit_data()},
                                  client=client))
    return await case_detail(conn, case_id)


def _checked_amount(decision: CaseDecision, locked: dict[str, Any]) -> int | None:
    if decision.outcome == "answered" and locked["kind"] != "question":
        raise InvalidInputError("answered is for questions; uphold or reject this case", field="outcome")
    if decision.outcome == "upheld" and locked["kind"] == "question":
        raise InvalidInputError("a question is answered, not upheld", field="outcome")
    if decision.outcome != "upheld":
        if decision.amount is not None:
            raise InvalidInputError("an amount goes only with upheld", field="amount")
        return None
    text = (decision.amount or "").strip()
    if not text.isdigit() or len(text) > 78 or int(text) == 0:
        raise InvalidInputError("upheld needs the corrected amount: a whole number of snapshot base units above 0",
                                field="amount")
    amount = int(text)
    listed = int(locked["snapshot_amount"] or 0)
    if locked["kind"] == "amount_wrong" and amount <= listed:
        raise InvalidInputError(f"the snapshot lists {listed}: a correction can only add to it (a published claim "
                                "tree cannot be taken back); give the correct total above it", field="amount")
    return amount


async def decide(conn: Connection, ctx: UseCaseContext, principal: StaffPrincipal, decision: CaseDecision, *,
                 client: str | None = None) -> CaseDetail:
    """Close the case with its outcome (or, for a large upheld amount, record the first of two approvals)."""
    at = ctx.now()
    reason = clean_text(decision.reason, field="reason", required="give the reason the holder will read")
    locked = await _locked(conn, decision.case_id)
    _require_lease(locked, principal, at)
    amount = _checked_amount(decision, locked)
    subject = f"case:{decision.case_id}"
    if locked["status"] == "awaiting_second_approval" and amount is not None:
        if int(locked["first_amount"]) != amount:  # the second approver (claim checked who) names the same amount
            raise ConflictError(f"the first approver upheld {locked['first_amount']}, not {amount}: the two must agree",
                                code="amount_differs")
    elif amount is not None and amount >= ctx.settings.four_eyes_threshold:
        if not principal.holds("approver"):
            raise PermissionDeniedError("this amount is at or above the four-eyes threshold: an approver upholds it")
        await store.first_uphold(conn, case_id=decision.case_id, actor=principal.actor, amount=amount, at=at)
        await record(conn, AuditEntry(AuditAction.CASE_FIRST_UPHELD, at=at, actor=principal.actor,
                                      subject=subject, client=client,
                                      data={"amount": str(amount), "reason": reason, **principal.audit_data()}))
        return await case_detail(conn, decision.case_id)
    await store.close_case(conn, case_id=decision.case_id, outcome=decision.outcome, reason=reason,  # type: ignore[arg-type]
                           amount=amount, actor=principal.actor, at=at)
    if amount is not None and locked["kind"] == "late":  # the claim it missed: an approved request, as if in time
        if not await store.late_request(conn, case_id=decision.case_id, amount=amount, actor=principal.actor, at=at,
                                        reason=reason):
            raise ConflictError("this address already has a live request; decide that one instead",
                                code="request_exists")
    elif amount is not None:
        excluded = (locked["evidence"] or {}).get("excluded") or {}
        await store.insert_correction(conn, {
            "case_id": decision.case_id, "address": locked["address"], "destination": locked["destination"],
            "destination_chain": locked["destination_chain"], "kind": locked["kind"],
            "amount": amount - int(locked["snapshot_amount"] or 0) if locked["kind"] == "amount_wrong" else amount,
            "category": excluded.get("category"), "reason": reason, "decided_at": at})
    await record(conn, AuditEntry(AuditAction.CASE_DECIDED, at=at, actor=principal.actor, subject=subject,
                                  client=client, data={"outcome": decision.outcome, "reason": reason,
                                                       "amount": None if amount is None else str(amount),
                                                       "first_approver": locked["first_approver"],
                                                       **principal.audit_data()}))
    return await case_detail(conn, decision.case_id)


async def corrections(conn: Connection, *, limit: int, cursor: str | None) -> list[PublicCorrection]:
    rows = await store.corrections(conn, after=_after(cursor), limit=limit)
    return [PublicCorrection(r["address"], str(r["amount"]), r["category"], r["kind"], r["case_id"], r["decided_at"],
                             f"{r['release_chain']}/{r['release_number']}" if r["release_number"] else None)
            for r in rows]
