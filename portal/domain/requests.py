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

from portal.domain.audit import AuditAction, record
from portal.domain.challenges import RequestMeta
from portal.domain.eligibility import SnapshotSet, parse_address
from portal.domain.proofs.chain import EvmChain
from portal.domain.proofs.facts import ChallengeFacts, ProvenSigner
from portal.domain.proofs.messages import application_domain
from portal.domain.proofs.solana_onchain import SolanaChain
from portal.domain.proofs.verify import verify_signature, verify_solana_transaction, verify_transaction
from portal.errors import ChallengeExpiredError, ChallengeUsedError, NotFoundError
from portal.settings import Settings
from portal.store import requests as store
from portal.store.database import Connection, Database

STATUS_TOKEN_BYTES = 32  # 256 bits
CHAIN_METHODS = frozenset({"eip1271", "transaction"})


class ProofSubmission(msgspec.Struct, frozen=True):
    challenge_id: uuid.UUID
    signature: str | None = None
    tx_hash: str | None = None
    signed_transaction: str | None = None


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


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def facts_of(row: dict[str, Any], settings: Settings) -> ChallengeFacts:
    return ChallengeFacts(method=row["method"], chain=row["chain"], snapshot_address=row["snapshot_address"],
                          destination=row["destination"], nonce=row["nonce"], issued_at=row["issued_at"],
                          expires_at=row["expires_at"], message=row["message"], typed_data=row["typed_data"],
                          chain_id=settings.evm_chain_id, unsigned_transaction=row["unsigned_transaction"],
                          destination_chain=row["destination_chain"])


def check_usable(used_at: dt.datetime | None, expires_at: dt.datetime, now: dt.datetime) -> None:
    if used_at is not None:
        raise ChallengeUsedError("this challenge was already used; ask for a new one", field="challenge_id")
    if now >= expires_at:
        raise ChallengeExpiredError("this challenge expired; ask for a new one", field="challenge_id")


async def verify_proof(facts: ChallengeFacts, proof: ProofSubmission, *, settings: Settings,
                       chain: EvmChain | None, solana_chain: SolanaChain | None = None) -> tuple[ProvenSigner, str]:
    if proof.tx_hash is not None:
        signer = await asyncio.to_thread(verify_transaction, facts, proof.tx_hash, chain=chain,
                                         min_confirmations=settings.min_confirmations, solana_chain=solana_chain)
        return signer, proof.tx_hash
    if proof.signed_transaction is not None:
        return verify_solana_transaction(facts, proof.signed_transaction), proof.signed_transaction
    assert proof.signature is not None
    if facts.method in CHAIN_METHODS:  # web3 blocks: keep it off the event loop
        signer = await asyncio.to_thread(verify_signature, facts, proof.signature, chain=chain)
    else:
        signer = verify_signature(facts, proof.signature, app_domain=application_domain(settings.public_host))
    return signer, proof.signature


async def submit(db: Database, proof: ProofSubmission, *, snapshots: SnapshotSet, settings: Settings,
                 chain: EvmChain | None, now: dt.datetime, meta: RequestMeta,
                 solana_chain: SolanaChain | None = None) -> ProofOutcome:
    async with db.transaction() as conn:
        row = await store.get_challenge(conn, proof.challenge_id)
    if row is None:
        raise NotFoundError("no such challenge", field="challenge_id")
    check_usable(row["used_at"], row["expires_at"], now)
    facts = facts_of(row, settings)
    signer, submitted = await verify_proof(facts, proof, settings=settings, chain=chain, solana_chain=solana_chain)
    entry = snapshots.find(parse_address(facts.snapshot_address))
    async with db.transaction() as conn:
        locked = await store.lock_challenge(conn, proof.challenge_id)
        assert locked is not None  # challenges are never deleted
        check_usable(locked["used_at"], locked["expires_at"], now)
        await store.use_challenge(conn, proof.challenge_id, now)
        live = await store.live_request(conn, row["snapshot_id"], facts.snapshot_address)
        token = secrets.token_urlsafe(STATUS_TOKEN_BYTES)
        request_id = uuid.uuid4()
        created = live is None and await store.insert_request(conn, {
            "id": request_id, "challenge_id": proof.challenge_id, "snapshot_id": row["snapshot_id"],
            "snapshot_address": facts.snapshot_address, "chain": facts.chain, "destination": facts.destination,
            "destination_chain": facts.destination_chain, "amount": row["amount"], "method": facts.method,
            "message": facts.message, "proof": submitted,
            "recovered_signer": signer.address, "status_token_hash": token_hash(token),
            "client_address": meta.client_address, "user_agent": meta.user_agent, "at": now,
            "evidence": {"verification": signer.detail, "destination_chain": facts.destination_chain,
                         "message_style": row["message_style"], "snapshot_entry": {
                "amount": str(row["amount"]), "leaf_index": entry.leaf_index if entry else None,
                "proof": entry.proof if entry else [], "merkle_root": entry.merkle_root if entry else None}},
        })
        if not created:
            live = live or await store.live_request(conn, row["snapshot_id"], facts.snapshot_address)
            assert live is not None
            return ProofOutcome(live["id"], live["status"], None, settings.expected_review_hours, created=False)
        await record(conn, AuditAction.PROOF_ACCEPTED, at=now, actor=f"holder:{facts.snapshot_address}",
                     subject=f"request:{request_id}", client=meta.client_address,
                     data={"method": facts.method, "destination": facts.destination,
                           "destination_chain": facts.destination_chain, "amount": str(row["amount"]),
                           "snapshot_id": row["snapshot_id"], "challenge_id": str(proof.challenge_id)})
    return ProofOutcome(request_id, "pending_review", token, settings.expected_review_hours, created=True)


def check_token(row: dict[str, Any] | None, status_token: str | None) -> dict[str, Any]:
    """The row, when ``status_token`` is its token (compared in constant time); else the same 404 as
    for an unknown id, so nobody learns which request ids exist."""
    presented = token_hash(status_token or "")
    stored = bytes(row["status_token_hash"]) if row else b"\0" * 32
    if row is None or not hmac.compare_digest(presented, stored):
        raise NotFoundError("no such request for this status token", field="request_id")
    return row


async def view_of(conn: Connection, row: dict[str, Any], settings: Settings) -> HolderView:
    answers = [Answer(a["at"], a["text"], (a["proof"] or {}).get("method")) for a in
               await store.answers_of(conn, row["id"])]
    return HolderView(row["id"], row["status"], row["destination"], row["destination_chain"], str(row["amount"]),
                      row["created_at"], row["updated_at"], row["public_note"], settings.expected_review_hours,
                      answers)


async def holder_view(db: Database, request_id: uuid.UUID, status_token: str | None, *,
                      settings: Settings) -> HolderView:
    """The request, only for the bearer of its status token; anything else is the same 404."""
    async with db.transaction() as conn:
        row = check_token(await store.holder_view(conn, request_id), status_token)
        return await view_of(conn, row, settings)
