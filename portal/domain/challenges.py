"""Issuing ownership challenges.

Invariant: a stored challenge names an address that was eligible when it was issued, a valid
non-zero destination on the destination chain, a method that fits the address's chain, at least
128 bits of nonce, and the exact message (and typed data) the holder is asked to sign; proofs are
checked against these stored fields only.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

import msgspec

from portal.domain.eligibility import SnapshotSet, parse_address
from portal.domain.proofs import messages
from portal.domain.proofs.facts import EVM_METHODS, SOLANA_METHODS, Method
from portal.domain.proofs.solana_onchain import SolanaChain, require_solana_chain
from portal.errors import InvalidAddressError, InvalidInputError, NotEligibleError
from portal.settings import Settings
from portal.store import requests as store
from portal.store.database import Database

NONCE_BYTES = 16  # 128 bits


class RequestMeta(msgspec.Struct, frozen=True):
    """What the HTTP edge tells the domain about the caller (never the request object itself)."""

    client_address: str | None
    user_agent: str | None


class Challenge(msgspec.Struct, frozen=True):
    challenge_id: uuid.UUID
    method: Method
    message: str
    typed_data: dict[str, Any] | None
    nonce: str
    nonce_line: str | None
    issued_at: dt.datetime
    expires_at: dt.datetime


async def issue(db: Database, *, snapshots: SnapshotSet, settings: Settings, now: dt.datetime, address: str,
                destination: str, method: Method, meta: RequestMeta,
                solana_chain: SolanaChain | None = None) -> Challenge:
    holder = parse_address(address, field="address")
    allowed = EVM_METHODS if holder.chain == "evm" else SOLANA_METHODS
    if method not in allowed:
        raise InvalidInputError(f"method {method!r} does not fit a {holder.chain} address; use one of "
                                f"{', '.join(sorted(allowed))}", field="method")
    if method == "solana_onchain":  # the proof is read from the chain: refuse now rather than at proof time
        require_solana_chain(solana_chain)
    target = parse_address(destination, field="destination")
    if target.chain != settings.destination_chain:
        raise InvalidAddressError(f"destination: expected a {settings.destination_chain} address", field="destination")
    if not any(target.raw):
        raise InvalidAddressError("destination: the zero address would burn the allocation", field="destination")
    entry = snapshots.find(holder)
    if entry is None:
        raise NotEligibleError(f"{holder.text} is not in any loaded snapshot", field="address")
    challenge_id, nonce = uuid.uuid4(), secrets.token_hex(NONCE_BYTES)
    expires_at = now + dt.timedelta(seconds=settings.challenge_ttl_seconds)
    common = {"domain": settings.public_host, "uri": settings.public_url, "address": holder.text,
              "destination": target.text, "nonce": nonce, "issued_at": now, "expires_at": expires_at,
              "request_id": str(challenge_id), "destination_chain": settings.destination_chain}
    if holder.chain == "evm":
        message = messages.build_evm_message(chain_id=settings.evm_chain_id, **common)
    else:
        message = messages.build_solana_message(chain_id=settings.evm_chain_id, **common)
    typed_data = None
    if method == "eip712":
        typed_data = messages.build_typed_data(snapshot_address=holder.text, destination=target.text, nonce=nonce,
                                               issued_at=now, expires_at=expires_at, chain_id=settings.evm_chain_id)
    async with db.transaction() as conn:
        await store.insert_challenge(conn, {
            "id": challenge_id, "method": method, "chain": holder.chain, "snapshot_id": entry.snapshot_id,
            "snapshot_address": holder.text, "destination": target.text, "amount": entry.amount, "nonce": nonce,
            "message": message, "typed_data": typed_data, "issued_at": now, "expires_at": expires_at,
            "client_address": meta.client_address,
        })
    line = messages.nonce_line(nonce) if method in ("transaction", "solana_tx", "solana_onchain") else None
    return Challenge(challenge_id, method, message, typed_data, nonce, line, now, expires_at)
