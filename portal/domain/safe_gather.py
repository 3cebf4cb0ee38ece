"""A Safe's owners sign one at a time, over days, until the threshold is met; then the request is filed.

``add_signature`` (``POST /v1/challenges/{id}/signatures``) takes one owner's signature of the challenge's
SafeMessage hash and checks it for its kind: ECDSA and ``eth_sign`` by recovering the owner; a contract
owner by asking it (legacy ``isValidSignature``, as the Safe does) at the recorded block; a pre-approved
hash by reading ``approvedHashes`` at the latest block. The owner must be one of the owners recorded when
the challenge was issued, and may sign once. When the threshold is met, the signatures, sorted by owner,
are checked by the Safe itself (``isValidSignature``, either magic value) with the original message hash
at the recorded block (at the latest block when an approval on chain is among them, since it came
later), and the request is filed with the Safe's state as evidence and in the audit log.

Invariants: every node read happens outside a transaction; a signature is stored only after it was
checked; an expired or used challenge takes no more signatures; nothing is filed unless the Safe accepted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import msgspec

from portal.domain import filing, safe_pin
from portal.domain.challenges import RequestMeta
from portal.domain.context import UseCaseContext
from portal.domain.proofs import safe
from portal.domain.proofs.chain import EvmChain, require_chain, require_chain_id
from portal.domain.proofs.facts import ProvenSigner
from portal.domain.proofs.safe_signatures import OwnerSignature, encode, parse_one
from portal.errors import (
    ChallengeUsedError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    SignatureMismatchError,
)
from portal.store import requests as request_store
from portal.store import safe as store


class OwnerProgress(msgspec.Struct, frozen=True):
    owner: str
    signed: bool
    kind: str | None = None
    signed_at: dt.datetime | None = None


class SafeProgress(msgspec.Struct, frozen=True):
    """Where a ``safe`` challenge stands: ``signed`` of ``threshold``, per owner, as recorded at ``block_number``.
    ``request`` is set once the threshold was met and the request filed (its status token only in the answer
    to the signature that filed it)."""

    challenge_id: uuid.UUID
    safe_address: str
    chain_id: int
    block_number: int
    version: str
    fallback_handler: str
    threshold: int
    signed: int
    owners: list[OwnerProgress]
    safe_message_hash: str
    typed_data: dict[str, Any]
    message: str
    expires_at: dt.datetime
    used: bool
    request: filing.ProofOutcome | None = None


async def _load(ctx: UseCaseContext, challenge_id: uuid.UUID) -> tuple[dict[str, Any], dict[str, Any],
                                                                         list[dict[str, Any]]]:
    async with ctx.db.transaction() as conn:
        row = await request_store.get_challenge(conn, challenge_id)
        pinned = await store.get_challenge(conn, challenge_id) if row else None
        signatures = await store.signatures_of(conn, challenge_id) if pinned else []
    if row is None:
        raise NotFoundError("no such challenge", field="challenge_id")
    if pinned is None:
        raise InvalidInputError(f"challenge {challenge_id} is a {row['method']} challenge; only a safe challenge "
                                "gathers owners' signatures", field="challenge_id")
    return row, pinned, signatures


def _progress(row: dict[str, Any], pinned_row: dict[str, Any], signatures: list[dict[str, Any]],
              request: filing.ProofOutcome | None = None) -> SafeProgress:
    pinned = safe_pin.pinned_of(pinned_row)
    by_owner = {s["owner"]: s for s in signatures}
    owners = [OwnerProgress(owner, owner in by_owner, by_owner[owner]["kind"] if owner in by_owner else None,
                            by_owner[owner]["submitted_at"] if owner in by_owner else None)
              for owner in pinned.state.owners]
    return SafeProgress(row["id"], pinned.state.address, pinned.state.chain_id, pinned.state.block,
                        pinned.state.version, pinned.state.fallback_handler, pinned.state.threshold, len(by_owner),
                        owners, "0x" + pinned.safe_message_hash.hex(), pinned.typed_data(), row["message"],
                        row["expires_at"], row["used_at"] is not None, request)


async def progress(ctx: UseCaseContext, challenge_id: uuid.UUID) -> SafeProgress:
    return _progress(*await _load(ctx, challenge_id))


def _check_owner(chain: EvmChain, pinned: safe_pin.PinnedSafe, signature: OwnerSignature) -> int:
    """The block the signature was checked at; refuses a non-owner and a signature its owner does not stand by."""
    state = pinned.state
    if signature.owner not in state.owners:
        raise SignatureMismatchError(f"{signature.owner} is not an owner of the Safe {state.address} at block "
                                     f"{state.block}; the owners then were {', '.join(state.owners)}",
                                     field="signature")
    if signature.kind in ("contract", "approved_hash"):  # the node is asked: it must be on the pinned chain
        require_chain_id(chain, state.chain_id)
    if signature.kind == "contract":
        if not safe.contract_owner_accepts(chain, state, signature.owner, pinned.message_hash, signature.dynamic):
            raise SignatureMismatchError(f"the contract owner {signature.owner} did not accept its signature at block "
                                         f"{state.block}", field="signature")
        return state.block
    if signature.kind == "approved_hash":
        latest = chain.block_number()
        if not safe.hash_approved(chain, state.address, signature.owner, pinned.safe_message_hash, latest):
            raise SignatureMismatchError(f"{signature.owner} has not approved the hash "
                                         f"0x{pinned.safe_message_hash.hex()} on the Safe (approveHash) by block "
                                         f"{latest}", field="signature")
        return latest
    return state.block  # ECDSA and eth_sign: the owner was recovered from the signature itself


def _final_check(chain: EvmChain, pinned: safe_pin.PinnedSafe, signatures: list[OwnerSignature]) -> ProvenSigner:
    state = pinned.state
    require_chain_id(chain, state.chain_id)  # the chain id pinned when the challenge was issued, not today's setting
    block = chain.block_number() if any(s.kind == "approved_hash" for s in signatures) else state.block
    magic = safe.safe_accepts(chain, state.address, pinned.message_hash, encode(signatures), block)
    if magic is None:
        raise SignatureMismatchError(f"the Safe {state.address} did not accept its owners' signatures at block "
                                     f"{block}", field="signature")
    return ProvenSigner(state.address, "safe", safe.evidence(state, pinned.message_hash, signatures, "owners",
                                                             magic, block))


def _stored(row: dict[str, Any]) -> OwnerSignature:
    return OwnerSignature(row["owner"], row["kind"], bytes(row["part"]), bytes(row["dynamic"]))


async def add_signature(ctx: UseCaseContext, challenge_id: uuid.UUID, text: str, meta: RequestMeta) -> SafeProgress:
    """Check and keep one owner's signature; file the request when it meets the threshold."""
    row, pinned_row, signatures = await _load(ctx, challenge_id)
    filing.check_usable(row["used_at"], row["expires_at"], ctx.now())
    pinned = safe_pin.pinned_of(pinned_row)
    signature = parse_one(text, pinned.safe_message_hash)
    chain = require_chain(ctx.evm_node)
    if any(s["owner"] == signature.owner for s in signatures):
        if len(signatures) >= pinned.state.threshold:  # met, not filed: the Safe's check failed (a node down), again
            return await _file(ctx, (row, pinned_row, pinned), signatures, chain, meta)
        raise ConflictError(f"{signature.owner} has already signed for this challenge", field="signature",
                            code="duplicate_signature")
    checked_at = await asyncio.to_thread(_check_owner, chain, pinned, signature)
    async with ctx.db.transaction() as conn:
        locked = await request_store.lock_challenge(conn, challenge_id)
        assert locked is not None
        filing.check_usable(locked["used_at"], locked["expires_at"], ctx.now())
        if not await store.insert_signature(conn, {
                "challenge_id": challenge_id, "owner": signature.owner, "kind": signature.kind,
                "part": signature.part, "dynamic": signature.dynamic, "checked_at_block": checked_at,
                "submitted_at": ctx.now(), "client_address": meta.client_address}):
            raise ConflictError(f"{signature.owner} has already signed for this challenge", field="signature",
                                code="duplicate_signature")
        signatures = await store.signatures_of(conn, challenge_id)
    if len(signatures) < pinned.state.threshold:
        return _progress(row, pinned_row, signatures)
    return await _file(ctx, (row, pinned_row, pinned), signatures, chain, meta)


async def _file(ctx: UseCaseContext, loaded: tuple[dict[str, Any], dict[str, Any], safe_pin.PinnedSafe],
                signatures: list[dict[str, Any]], chain: EvmChain, meta: RequestMeta) -> SafeProgress:
    """The threshold is met: the Safe checks its owners' signatures, and the request is filed. When the
    check cannot be made (the node is down), every signature stays kept, and any owner who signed sends
    theirs again to try again."""
    row, pinned_row, pinned = loaded
    gathered = [_stored(s) for s in signatures]
    signer = await asyncio.to_thread(_final_check, chain, pinned, gathered)
    facts = filing.facts_of(row, pinned.state.chain_id)
    try:
        outcome = await filing.file_verified(ctx, row, facts, signer, "0x" + encode(gathered).hex(), meta)
    except ChallengeUsedError:  # another owner's signature, checked at the same moment, filed it first
        return _progress({**row, "used_at": ctx.now()}, pinned_row, signatures)
    return _progress({**row, "used_at": ctx.now()}, pinned_row, signatures, outcome)
