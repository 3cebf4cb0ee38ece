"""Cases: a holder's question about an address, opened with an ownership proof, answered on this site only.

Invariants:
- a case is opened only with a verified proof for a ``case`` challenge (any well-formed address, in
  the snapshot or not); the proof is checked against the challenge's stored fields, outside any
  transaction (it may ask a node), as ``filing.submit`` does;
- then one transaction locks the challenge, re-checks it is unused and unexpired, consumes it,
  creates the case with the holder's first message (or finds the open case of that address and
  kind: one open case per address and kind, the database's unique index decides a race), and
  appends ``case:proof:accepted``;
- the kind fits the address: ``not_in_snapshot`` only for an address no snapshot lists,
  ``amount_wrong`` only for a listed one, ``late`` only after the signed policy's claim deadline
  when the policy sends late requests to review;
- the status token is shown once and stored only as its sha256; without it a case is the same 404
  as an unknown id; the holder adds messages only while the case is not closed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid
from typing import Any, Literal

import msgspec

from portal.domain import claim_window
from portal.domain.audit import AuditAction, AuditEntry, record
from portal.domain.challenges import RequestMeta
from portal.domain.context import UseCaseContext
from portal.domain.eligibility import parse_address
from portal.domain.filing import (
    STATUS_TOKEN_BYTES,
    ProofSubmission,
    RequestAccess,
    check_usable,
    facts_of,
    token_hash,
    verify_proof,
)
from portal.domain.text import clean_text
from portal.errors import ConflictError, InvalidInputError, NotFoundError, UnprocessableError
from portal.store import cases as store
from portal.store import requests as challenge_store
from portal.store.database import Connection

Kind = Literal["not_in_snapshot", "amount_wrong", "late", "question"]
KINDS: tuple[Kind, ...] = ("not_in_snapshot", "amount_wrong", "late", "question")
Outcome = Literal["upheld", "rejected", "answered"]
MAX_TEXT_CHARS = 4000
MAX_EVIDENCE_ITEMS = 10
MAX_HOLDER_MESSAGES = 50  # per case: the rate limit counts openings, this bounds a thread
#: Staff's sentence on every case page and in the signed policy.
STAFF_ONLY_HERE = "Staff reply only here. Anyone who contacts you elsewhere about this case is not us."
EVM_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
SOLANA_SIGNATURE = re.compile(r"[1-9A-HJ-NP-Za-km-z]{64,88}")


class CaseOpen(msgspec.Struct, frozen=True):
    """A verified-to-be proof and what the holder asks: the edge checked exactly one proof field is set."""

    proof: ProofSubmission
    kind: Kind
    text: str
    evidence: tuple[str, ...] = ()


class CaseOpened(msgspec.Struct, frozen=True):
    """``status_token`` only when this call created the case (shown once); else the open case's id."""

    case_id: uuid.UUID
    kind: Kind
    status: str
    status_token: str | None
    created: bool


class CaseMessage(msgspec.Struct, frozen=True):
    at: dt.datetime
    author: Literal["holder", "staff"]
    text: str


class Correction(msgspec.Struct, frozen=True):
    """What an upheld case changed: the amount (snapshot base units) that the next release carries."""

    amount: str
    destination: str
    destination_chain: str
    release: str | None  # "evm/3" once a release holds it


class CaseView(msgspec.Struct, frozen=True):
    """The holder's own case: the thread, and once closed, the outcome and staff's reason."""

    case_id: uuid.UUID
    kind: Kind
    status: str
    address: str
    destination: str
    created_at: dt.datetime
    messages: list[CaseMessage]
    outcome: Outcome | None
    reason: str | None
    correction: Correction | None
    notice: str = STAFF_ONLY_HERE
    request_id: uuid.UUID | None = None  # an upheld late case's approved request (see it at /requests/{id})


def clean_message(text: str) -> str:
    """The holder's or staff's words: no control characters, 1..``MAX_TEXT_CHARS`` characters."""
    return clean_text(text, field="text", max_chars=MAX_TEXT_CHARS,  # type: ignore[return-value]
                      required="say what happened or what you want to know: the text is empty")


def clean_evidence(items: tuple[str, ...]) -> list[str]:
    """Transaction hashes (EVM) or signatures (Solana): well-formed, at most ``MAX_EVIDENCE_ITEMS``, no repeats."""
    if len(items) > MAX_EVIDENCE_ITEMS:
        raise InvalidInputError(f"give at most {MAX_EVIDENCE_ITEMS} transactions", field="evidence")
    kept: list[str] = []
    for index, item in enumerate(items):
        text = item.strip()
        if not (EVM_TX_HASH.fullmatch(text) or SOLANA_SIGNATURE.fullmatch(text)):
            raise InvalidInputError(f"evidence[{index}] is not a transaction hash (0x and 64 hex digits) or a Solana "
                                    "transaction signature (base58)", field="evidence")
        text = text.lower() if text.startswith("0x") else text
        if text not in kept:
            kept.append(text)
    return kept


async def check_kind(ctx: UseCaseContext, kind: str, address: str) -> None:
    """Whether a case of ``kind`` may be opened about ``address`` now (the page asks before anyone signs)."""
    await _check_kind(ctx, kind, ctx.snapshots.find(parse_address(address)) is not None, ctx.now())


async def _check_kind(ctx: UseCaseContext, kind: str, listed: bool, now: dt.datetime) -> None:
    if kind == "not_in_snapshot" and listed:
        raise UnprocessableError("this address is in the snapshot: choose amount_wrong if its amount is wrong",
                                 field="kind", code="kind_not_applicable")
    if kind == "amount_wrong" and not listed:
        raise UnprocessableError("this address is not in the snapshot: choose not_in_snapshot",
                                 field="kind", code="kind_not_applicable")
    if kind == "late":
        async with ctx.db.transaction() as conn:
            window = await claim_window.current(conn, now)
        if window is None or not window.closed or window.late_requests != "review":
            why = ("the claim window is still open: claim, or file a request if your wallet cannot connect"
                   if window is not None and not window.closed else
                   "the signed policy takes no late requests" if window is not None else
                   "the signed policy sets no claim deadline")
            raise UnprocessableError(f"a late case is not possible: {why}", field="kind", code="kind_not_applicable")


async def open_case(ctx: UseCaseContext, ask: CaseOpen, meta: RequestMeta) -> CaseOpened:
    """Open the case a verified proof asks for (or answer the open one of that address and kind)."""
    now = ctx.now()
    text, evidence = clean_message(ask.text), clean_evidence(ask.evidence)
    async with ctx.db.transaction() as conn:
        row = await challenge_store.get_challenge(conn, ask.proof.challenge_id)
    if row is None:
        raise NotFoundError("no such challenge", field="challenge_id")
    if row["purpose"] != "case":
        raise InvalidInputError('this challenge was not issued for a case: ask for one with "purpose": "case"',
                                field="challenge_id")
    check_usable(row["used_at"], row["expires_at"], now)
    entry = ctx.snapshots.find(parse_address(row["snapshot_address"]))
    await _check_kind(ctx, ask.kind, entry is not None, now)
    facts = facts_of(row, ctx.settings.evm_chain_id)
    signer, submitted = await verify_proof(ctx, facts, ask.proof)
    exclusion = ctx.snapshots.exclusion(parse_address(facts.snapshot_address))
    async with ctx.db.transaction() as conn:
        locked = await challenge_store.lock_challenge(conn, ask.proof.challenge_id)
        assert locked is not None  # challenges are never deleted
        check_usable(locked["used_at"], locked["expires_at"], now)
        await challenge_store.use_challenge(conn, ask.proof.challenge_id, now)
        token, case_id = secrets.token_urlsafe(STATUS_TOKEN_BYTES), ask.proof.challenge_id
        created = await store.insert_case(conn, {
            "id": case_id, "challenge_id": case_id, "kind": ask.kind, "chain": facts.chain,
            "snapshot_id": row["snapshot_id"], "address": facts.snapshot_address, "destination": facts.destination,
            "destination_chain": facts.destination_chain, "snapshot_amount": entry.amount if entry else None,
            "method": facts.method, "message": facts.message, "proof": submitted,
            "recovered_signer": signer.address, "status_token_hash": token_hash(token),
            "client_address": meta.client_address, "user_agent": meta.user_agent, "at": now,
            "evidence": {"transactions": evidence, "verification": signer.detail,
                         "snapshot_entry": {"snapshot_id": entry.snapshot_id, "amount": str(entry.amount),
                                            "leaf_index": entry.leaf_index} if entry else None,
                         "excluded": msgspec.to_builtins(exclusion) if exclusion else None}})
        if not created:
            live = await store.open_case(conn, facts.snapshot_address, ask.kind)
            assert live is not None  # the insert lost to it, in a transaction that committed
            return CaseOpened(live["id"], live["kind"], live["status"], None, created=False)
        await store.insert_message(conn, case_id=case_id, at=now, author="holder", staff=None, text=text)
        await record(conn, AuditEntry(AuditAction.CASE_OPENED, at=now, actor=f"holder:{facts.snapshot_address}",
                     subject=f"case:{case_id}", client=meta.client_address,
                     data={"kind": ask.kind, "method": facts.method, "destination": facts.destination,
                           "evidence": evidence, "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                           "excluded": exclusion.category if exclusion else None}))
    return CaseOpened(case_id, ask.kind, "open", token, created=True)


async def challenge_text(ctx: UseCaseContext, challenge_id: uuid.UUID) -> tuple[str, str]:
    """A case challenge's message and address, to show again beside a refused signature ("", "" when none)."""
    async with ctx.db.transaction() as conn:
        row = await challenge_store.get_challenge(conn, challenge_id)
    if row is None or row["purpose"] != "case":
        return "", ""
    return row["message"], row["snapshot_address"]


def check_case_token(row: dict[str, Any] | None, status_token: str | None) -> dict[str, Any]:
    """The row when ``status_token`` is its token (constant time); else the same 404 as an unknown id."""
    presented = token_hash(status_token or "")
    stored = bytes(row["status_token_hash"]) if row else b"\0" * 32
    if row is None or not hmac.compare_digest(presented, stored):
        raise NotFoundError("no such case for this status token", field="case_id")
    return row


async def view_of(conn: Connection, row: dict[str, Any]) -> CaseView:
    messages = [CaseMessage(m["at"], m["author"], m["text"]) for m in await store.messages_of(conn, row["id"])]
    correction, request_id = None, None
    if row["outcome"] == "upheld" and row["kind"] == "late":
        request_id = row["id"]
    elif row["outcome"] == "upheld":
        release = f"{row['release_chain']}/{row['release_number']}" if row.get("release_number") else None
        correction = Correction(str(row["corrected_amount"]), row["destination"], row["destination_chain"], release)
    return CaseView(row["id"], row["kind"], "closed" if row["status"] == "closed" else "open", row["address"],
                    row["destination"], row["created_at"], messages, row["outcome"], row["outcome_reason"],
                    correction, request_id=request_id)


async def holder_view(ctx: UseCaseContext, access: RequestAccess) -> CaseView:
    async with ctx.db.transaction() as conn:
        row = check_case_token(await store.get_case(conn, access.request_id), access.status_token)
        return await view_of(conn, row)


async def holder_message(ctx: UseCaseContext, access: RequestAccess, text: str, meta: RequestMeta) -> CaseView:
    """Add the holder's message to their open case (409 ``case_closed`` once it is closed)."""
    now, words = ctx.now(), clean_message(text)
    async with ctx.db.transaction() as conn:
        check_case_token(await store.get_case(conn, access.request_id), access.status_token)
        locked = await store.lock_case(conn, access.request_id)
        assert locked is not None  # cases are never deleted
        if locked["status"] == "closed":
            raise ConflictError("this case is closed; open a new one if you have a new question", code="case_closed")
        if await store.count_messages(conn, locked["id"], "holder") >= MAX_HOLDER_MESSAGES:
            raise ConflictError(f"a case holds at most {MAX_HOLDER_MESSAGES} of your messages; wait for staff",
                                code="case_full")
        message_id = await store.insert_message(conn, case_id=locked["id"], at=now, author="holder", staff=None,
                                                text=words)
        await record(conn, AuditEntry(AuditAction.CASE_HOLDER_MESSAGE, at=now, actor=f"holder:{locked['address']}",
                     subject=f"case:{locked['id']}", client=meta.client_address,
                     data={"message_id": message_id, "text_sha256": hashlib.sha256(words.encode()).hexdigest()}))
        row = await store.get_case(conn, locked["id"])
        return await view_of(conn, row)  # type: ignore[arg-type]
