"""The holder's answer to a ``needs_info`` request: text, and a new proof when staff asked for one.

Invariants:
- only the bearer of the request's status token answers; anyone else gets the same 404 as for an
  unknown id (``filing.check_token``);
- only a ``needs_info`` request can be answered (``review.next_status_by_holder``; 409 otherwise),
  checked before any proof is verified and again under the request's row lock, so of two answers
  sent at once exactly one succeeds and the other is a 409;
- a new proof is verified exactly like ``POST /v1/proofs`` (against a fresh challenge's stored
  facts, never client text), and its challenge must be for the request's snapshot address and
  name the request's destination and destination chain: the answer cannot redirect the allocation;
- one transaction consumes the challenge, stores the answer (``request_answers``), puts the request
  back to ``pending_review`` with no lease and no first approval, and appends
  ``request:answer:submitted`` (with the sha256 of the text, so the hash-chained log pins it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import msgspec

from portal.domain import review
from portal.domain.audit import AuditAction, AuditEntry, record
from portal.domain.challenges import RequestMeta
from portal.domain.context import UseCaseContext
from portal.domain.filing import (
    HolderView,
    ProofSubmission,
    RequestAccess,
    check_token,
    check_usable,
    facts_of,
    verify_proof,
    view_of,
)
from portal.errors import InvalidInputError, NotFoundError
from portal.store import requests as store

MAX_ANSWER_CHARS = 4000


class AnswerSubmission(msgspec.Struct, frozen=True):
    text: str
    proof: ProofSubmission | None = None


async def _checked_proof(ctx: UseCaseContext, request: dict[str, Any], proof: ProofSubmission,
                         now: dt.datetime) -> dict[str, Any]:
    """Verify the new proof outside any transaction (it may ask a node); return what is stored."""
    async with ctx.db.transaction() as conn:
        row = await store.get_challenge(conn, proof.challenge_id)
    if row is None:
        raise NotFoundError("no such challenge", field="challenge_id")
    same = (row["snapshot_id"], row["snapshot_address"], row["destination"], row["destination_chain"]) == (
        request["snapshot_id"], request["snapshot_address"], request["destination"], request["destination_chain"])
    if not same:
        raise InvalidInputError("this challenge is not for this request: ask for a new one with the request's "
                                "snapshot address, destination and destination chain", field="challenge_id")
    check_usable(row["used_at"], row["expires_at"], now)
    facts = facts_of(row, ctx.settings.evm_chain_id)
    signer, submitted = await verify_proof(ctx, facts, proof)
    return {"challenge_id": str(proof.challenge_id), "method": facts.method, "submitted": submitted,
            "recovered_signer": signer.address, "verification": signer.detail}


def _text(submission: AnswerSubmission) -> str:
    text = submission.text.strip()
    if not text:
        raise InvalidInputError("say what staff asked for: the answer text is empty", field="text")
    if len(text) > MAX_ANSWER_CHARS:
        raise InvalidInputError(f"the answer is at most {MAX_ANSWER_CHARS} characters", field="text")
    return text


async def answer(ctx: UseCaseContext, access: RequestAccess, submission: AnswerSubmission,
                 meta: RequestMeta) -> HolderView:
    """Store the holder's answer (and new proof) and put the request back into the queue."""
    now = ctx.now()
    text = _text(submission)
    async with ctx.db.transaction() as conn:
        request = check_token(await store.holder_view(conn, access.request_id), access.status_token)
    review.next_status_by_holder(request["status"])
    proof = None
    if submission.proof is not None:
        proof = await _checked_proof(ctx, request, submission.proof, now)
    request_id = access.request_id
    async with ctx.db.transaction() as conn:
        locked = await store.lock_holder_request(conn, request_id)
        assert locked is not None  # requests are never deleted
        target = review.next_status_by_holder(locked["status"])
        if submission.proof is not None:
            challenge = await store.lock_challenge(conn, submission.proof.challenge_id)
            assert challenge is not None
            check_usable(challenge["used_at"], challenge["expires_at"], now)
            await store.use_challenge(conn, submission.proof.challenge_id, now)
        answer_id = await store.insert_answer(conn, request_id=request_id, at=now, text=text, proof=proof)
        row = await store.reopen_request(conn, request_id, status=str(target), at=now)
        await record(conn, AuditEntry(
                     AuditAction.ANSWER_SUBMITTED, at=now, actor=f"holder:{locked['snapshot_address']}",
                     subject=f"request:{request_id}", client=meta.client_address,
                     data={"from": locked["status"], "to": str(target), "answer_id": answer_id,
                           "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                           "proof_method": proof["method"] if proof else None,
                           "challenge_id": proof["challenge_id"] if proof else None,
                           **({"chain_id": proof["verification"]["chain_id"]}
                              if proof and "chain_id" in proof["verification"] else {})}))
        return await view_of(conn, row, ctx.settings.expected_review_hours)
