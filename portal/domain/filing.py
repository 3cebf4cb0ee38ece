"""Turning a verified proof into a manual-allowlist request, and the holder's view of it.

Invariants: the proof is verified against the challenge's stored fields before anything is
written; then one transaction locks the challenge, re-checks it is unused and unexpired, consumes
it, creates the request (or finds the address's live one), and appends the audit event. The
status token is shown once and stored only as its sha256.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from typing import Any

import msgspec

from portal.domain import release_reads
from portal.domain.audit import AuditAction, AuditEntry, record
from portal.domain.challenges import RequestMeta
from portal.domain.context import UseCaseContext
from portal.domain.eligibility import SnapshotEntry, parse_address
from portal.domain.proofs import registry
from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.messages import application_domain
from portal.domain.proofs.registry import ProofField, VerifyEnv
from portal.domain.proofs.verify import verify
from portal.errors import ChallengeExpiredError, ChallengeUsedError, InvalidInputError, NotFoundError
from portal.store import requests as store
from portal.store.database import Connection
from portal.store.releases import HeldRequest

STATUS_TOKEN_BYTES = 32  # 256 bits


class ProofSubmission(msgspec.Struct, frozen=True):
    """A proof for a challenge: the edge has checked that exactly one of the proof fields is set."""

    challenge_id: uuid.UUID
    signature: str | None = None
    tx_hash: str | None = None
    signed_transaction: str | None = None

    def given(self) -> tuple[ProofField, str]:
        """The proof field that is set, and its text."""
        for name in ("tx_hash", "signed_transaction", "signature"):
            text = getattr(self, name)
            if text is not None:
                return name, text  # type: ignore[return-value]
        raise AssertionError("a ProofSubmission carries one proof")


class RequestAccess(msgspec.Struct, frozen=True):
    """A request id and the status token presented for it (``None`` when none was)."""

    request_id: uuid.UUID
    status_token: str | None


class ProofOutcome(msgspec.Struct, frozen=True):
    request_id: uuid.UUID
    status: str
    status_token: str | None
    expected_review_hours: int
    created: bool


class Answer(msgspec.Struct, frozen=True):
    """One answer the holder gave to a ``needs_info`` request; ``proof_method`` when a new proof came with it."""

    at: dt.datetime
    text: str
    proof_method: str | None


class HolderView(msgspec.Struct, frozen=True):
    """The holder's own request: status, what staff asked (``public_note``), what they answered.

    ``expected_review_hours`` is the deployment's review-time promise (``PORTAL_EXPECTED_REVIEW_HOURS``),
    counted from ``updated_at`` (an answer puts the request back into the queue)."""

    request_id: uuid.UUID
    status: str
    destination: str
    destination_chain: str
    amount: str
    created_at: dt.datetime
    updated_at: dt.datetime
    public_note: str | None
    expected_review_hours: int
    answers: list[Answer]
    release: release_reads.HolderRelease | None = None  # the published release to claim from, once one holds it
    snapshot_id: str = ""  # the snapshot ``amount`` counts in (its manifest's decimals make it tokens)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def facts_of(row: dict[str, Any], chain_id: int) -> ChallengeFacts:
    return ChallengeFacts(method=row["method"], chain=row["chain"], snapshot_address=row["snapshot_address"],
                          destination=row["destination"], nonce=row["nonce"], issued_at=row["issued_at"],
                          expires_at=row["expires_at"], message=row["message"], typed_data=row["typed_data"],
                          chain_id=chain_id, unsigned_transaction=row["unsigned_transaction"],
                          destination_chain=row["destination_chain"])


def check_usable(used_at: dt.datetime | None, expires_at: dt.datetime, now: dt.datetime) -> None:
    if used_at is not None:
        raise ChallengeUsedError("this challenge was already used; ask for a new one", field="challenge_id")
    if now >= expires_at:
        raise ChallengeExpiredError("this challenge expired; ask for a new one", field="challenge_id")


async def verify_proof(ctx: UseCaseContext, facts: ChallengeFacts, proof: ProofSubmission) -> tuple[ProvenSigner, str]:
    """The signer the proof proves, and the submitted text; a method that asks a node runs off the event loop
    (web3 and the Solana RPC client block)."""
    proof_field, text = proof.given()
    env = VerifyEnv(evm_node=ctx.evm_node, solana_node=ctx.solana_node,
                    min_confirmations=ctx.settings.min_confirmations,
                    app_domain=application_domain(ctx.settings.public_host))
    if registry.method(facts.method).node != "none":
        return await asyncio.to_thread(verify, facts, proof_field, text, env), text
    return verify(facts, proof_field, text, env), text


def _evidence(row: dict[str, Any], facts: ChallengeFacts, signer: ProvenSigner,
              entry: SnapshotEntry | None) -> dict[str, Any]:
    """What reviewers see beside the request: the verifier's detail and the snapshot entry it was checked against."""
    return {"verification": signer.detail, "destination_chain": facts.destination_chain,
            "message_style": row["message_style"], "snapshot_entry": {
                "amount": str(row["amount"]), "leaf_index": entry.leaf_index if entry else None,
                "proof": entry.proof if entry else [], "merkle_root": entry.merkle_root if entry else None}}


async def submit(ctx: UseCaseContext, proof: ProofSubmission, meta: RequestMeta) -> ProofOutcome:
    """File the request a verified proof asks for (or answer the address's live one). Verifies outside any
    transaction (it may ask a node), then consumes the challenge and writes in one."""
    now = ctx.now()
    async with ctx.db.transaction() as conn:
        row = await store.get_challenge(conn, proof.challenge_id)
    if row is None:
        raise NotFoundError("no such challenge", field="challenge_id")
    if row["purpose"] != "allowlist":
        raise InvalidInputError("this challenge was issued for a case: open the case with POST /v1/cases, or ask "
                                "for a challenge without purpose \"case\" to file a request", field="challenge_id")
    check_usable(row["used_at"], row["expires_at"], now)
    facts = facts_of(row, ctx.settings.evm_chain_id)
    signer, submitted = await verify_proof(ctx, facts, proof)
    return await file_verified(ctx, row, facts, signer, submitted, meta)


async def file_verified(ctx: UseCaseContext, row: dict[str, Any], facts: ChallengeFacts, signer: ProvenSigner,
                        submitted: str, meta: RequestMeta) -> ProofOutcome:
    """The write half of ``submit``, for a proof already verified against the challenge ``row`` (``safe_gather``
    files with it once the owners' signatures meet the threshold): one transaction."""
    now, hours = ctx.now(), ctx.settings.expected_review_hours
    challenge_id: uuid.UUID = row["id"]
    entry = ctx.snapshots.find(parse_address(facts.snapshot_address))
    async with ctx.db.transaction() as conn:
        locked = await store.lock_challenge(conn, challenge_id)
        assert locked is not None  # challenges are never deleted
        check_usable(locked["used_at"], locked["expires_at"], now)
        await store.use_challenge(conn, challenge_id, now)
        live = await store.live_request(conn, row["snapshot_id"], facts.snapshot_address)
        token = secrets.token_urlsafe(STATUS_TOKEN_BYTES)
        # The request is known by the id the holder signed ("Request ID" in the text): one id everywhere.
        request_id = challenge_id
        created = live is None and await store.insert_request(conn, {
            "id": request_id, "challenge_id": challenge_id, "snapshot_id": row["snapshot_id"],
            "snapshot_address": facts.snapshot_address, "chain": facts.chain, "destination": facts.destination,
            "destination_chain": facts.destination_chain, "amount": row["amount"], "method": facts.method,
            "message": facts.message, "proof": submitted, "recovered_signer": signer.address,
            "status_token_hash": token_hash(token), "client_address": meta.client_address,
            "user_agent": meta.user_agent, "at": now, "evidence": _evidence(row, facts, signer, entry)})
        if not created:
            live = live or await store.live_request(conn, row["snapshot_id"], facts.snapshot_address)
            assert live is not None
            return ProofOutcome(live["id"], live["status"], None, hours, created=False)
        await record(conn, AuditEntry(AuditAction.PROOF_ACCEPTED, at=now, actor=f"holder:{facts.snapshot_address}",
                     subject=f"request:{request_id}", client=meta.client_address,
                     data={"method": facts.method, "destination": facts.destination,
                           "destination_chain": facts.destination_chain, "amount": str(row["amount"]),
                           "snapshot_id": row["snapshot_id"], "challenge_id": str(challenge_id),
                           **({"chain_id": signer.detail["chain_id"]} if "chain_id" in signer.detail else {}),
                           **({"safe": signer.detail["safe"]} if "safe" in signer.detail else {})}))
    return ProofOutcome(request_id, "pending_review", token, hours, created=True)


def check_token(row: dict[str, Any] | None, status_token: str | None) -> dict[str, Any]:
    """The row, when ``status_token`` is its token (compared in constant time); else the same 404 as
    for an unknown id, so nobody learns which request ids exist."""
    _check(bytes(row["status_token_hash"]) if row else None, status_token)
    assert row is not None
    return row


def _check(stored: bytes | None, status_token: str | None) -> None:
    presented = token_hash(status_token or "")
    if not hmac.compare_digest(presented, stored or b"\0" * 32) or stored is None:
        raise NotFoundError("no such request for this status token", field="request_id")


async def view_of(conn: Connection, row: dict[str, Any], expected_review_hours: int) -> HolderView:
    answers = [Answer(a["at"], a["text"], (a["proof"] or {}).get("method")) for a in
               await store.answers_of(conn, row["id"])]
    return HolderView(row["id"], row["status"], row["destination"], row["destination_chain"], str(row["amount"]),
                      row["created_at"], row["updated_at"], row["public_note"], expected_review_hours, answers,
                      snapshot_id=row["snapshot_id"])


async def holder_version(ctx: UseCaseContext, access: RequestAccess) -> tuple:
    """The request's version, only for the bearer of its status token (anything else is the same 404),
    in one round trip: everything the holder's view is made of (``store.holder_page_row`` without the
    token's hash). Equal versions make equal views, so what is rendered from one may be kept under it;
    the version holds no secret."""
    row = await store.holder_page_row(ctx.db, access.request_id)
    _check(bytes(row[0]) if row else None, access.status_token)
    assert row is not None
    return row[1:]


async def view_of_version(ctx: UseCaseContext, version: tuple) -> HolderView:
    """The holder's view from ``holder_version``: no query, unless the release's tree must be read."""
    (request_id, status, destination, destination_chain, amount, created_at, updated_at, public_note, answers_json,
     release_chain, number, entry_index, sha256, tree, merkle_root, distributor, program, decimals, claim_deadline,
     synced_at, claimed_at, claim_tx, snapshot_id) = version
    answers = [Answer(dt.datetime.fromisoformat(at), text, method) for at, text, method in
               msgspec.json.decode(answers_json or "[]")]
    held = None
    if release_chain is not None:
        held = await release_reads.for_held(ctx.db, HeldRequest(
            release_chain, number, entry_index, sha256, tree, merkle_root, distributor, program, decimals,
            claim_deadline, synced_at, claimed_at, claim_tx))
    return HolderView(request_id, status, destination, destination_chain, str(amount), created_at, updated_at,
                      public_note, ctx.settings.expected_review_hours, answers, held, snapshot_id)


async def holder_view(ctx: UseCaseContext, access: RequestAccess) -> HolderView:
    """The request, only for the bearer of its status token; anything else is the same 404."""
    return await view_of_version(ctx, await holder_version(ctx, access))
