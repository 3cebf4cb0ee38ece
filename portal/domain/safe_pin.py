"""What a ``safe`` challenge pins when it is issued: the Safe, the chain id, and the Safe as read at one block.

Invariants: the owners, threshold, version and fallback handler are read once, at the block recorded in
``safe_challenges``, before the challenge is written, and never re-read; every owner's signature
gathered later is counted against them. A ``safe`` challenge lives ``PORTAL_MULTISIG_CHALLENGE_TTL_HOURS``
(owners sign over days); every other challenge ``PORTAL_CHALLENGE_TTL_SECONDS``.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec

from portal.domain.context import UseCaseContext
from portal.domain.proofs import safe, safe_signatures
from portal.domain.proofs.chain import require_chain, require_chain_id
from portal.domain.proofs.secp256k1 import eip191_digest
from portal.settings import Settings
from portal.store import safe as store
from portal.store.database import Connection

MULTISIG_METHODS = frozenset({"safe"})


def ttl_seconds(settings: Settings, method: str) -> int:
    if method in MULTISIG_METHODS:
        return settings.multisig_challenge_ttl_hours * 3600
    return settings.challenge_ttl_seconds


class PinnedSafe(msgspec.Struct, frozen=True):
    """The Safe at the recorded block, the message's EIP-191 digest and the SafeMessage hash owners sign."""

    state: safe.SafeState
    message_hash: bytes
    safe_message_hash: bytes

    def typed_data(self) -> dict[str, Any]:
        return safe_signatures.typed_data(self.state.chain_id, self.state.address, self.message_hash)


def _read(ctx: UseCaseContext, address: str, message: str) -> PinnedSafe:
    chain = require_chain(ctx.evm_node)
    chain_id = require_chain_id(chain, ctx.settings.evm_chain_id)  # the node must be on the chain the Safe is pinned to
    state = safe.read_state(chain, address, chain_id, chain.block_number())
    digest = eip191_digest(message)
    return PinnedSafe(state, digest, safe_signatures.safe_message_hash(chain_id, address, digest))


async def pin(ctx: UseCaseContext, address: str, message: str) -> PinnedSafe:
    """Read the Safe (off the event loop: web3 blocks), outside any transaction."""
    return await asyncio.to_thread(_read, ctx, address, message)


async def record(conn: Connection, challenge_id: uuid.UUID, pinned: PinnedSafe) -> None:
    state = pinned.state
    await store.insert_challenge(conn, {
        "challenge_id": challenge_id, "safe_address": state.address, "chain_id": state.chain_id,
        "block_number": state.block, "owners": state.owners, "threshold": state.threshold, "version": state.version,
        "fallback_handler": state.fallback_handler, "message_hash": pinned.message_hash,
        "safe_message_hash": pinned.safe_message_hash})


def pinned_of(row: dict[str, Any]) -> PinnedSafe:
    state = safe.SafeState(row["safe_address"], row["chain_id"], row["block_number"], list(row["owners"]),
                           row["threshold"], row["version"], row["fallback_handler"])
    return PinnedSafe(state, bytes(row["message_hash"]), bytes(row["safe_message_hash"]))
