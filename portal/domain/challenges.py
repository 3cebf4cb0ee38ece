"""Issuing ownership challenges.

Invariant: a stored challenge names an address that was eligible when it was issued, a valid
non-zero destination on its destination chain (one this deployment migrates to), a method that
fits the address's chain and that this server can verify (``eip1271`` and ``transaction`` only with
an EVM RPC configured), at least 128 bits of nonce, and the exact message (and typed data, and for
``solana_tx`` the unsigned transaction) the holder is asked to sign; proofs are checked against
these stored fields only.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

import msgspec

import snapshot
from portal.domain.eligibility import SnapshotSet, parse_address
from portal.domain.proofs import messages, solana_tx
from portal.domain.proofs.chain import EvmChain
from portal.domain.proofs.facts import EVM_METHODS, RPC_METHODS, SOLANA_METHODS, DestinationChain, MessageStyle, Method
from portal.domain.proofs.solana_onchain import SolanaChain, require_solana_chain
from portal.errors import InvalidAddressError, InvalidInputError, NotEligibleError, RpcNotConfiguredError
from portal.settings import Settings
from portal.store import requests as store
from portal.store.database import Database

NONCE_BYTES = 16  # 128 bits


class RequestMeta(msgspec.Struct, frozen=True):
    """What the HTTP edge tells the domain about the caller (never the request object itself)."""

    client_address: str | None
    user_agent: str | None


class Challenge(msgspec.Struct, frozen=True):
    """What the holder signs. ``unsigned_transaction`` (``solana_tx`` only) is the base64 wire form of
    the legacy transaction to sign, its signature slot zeroed; ``nonce_line`` is the memo/calldata
    text of ``solana_tx`` and ``transaction``."""

    challenge_id: uuid.UUID
    method: Method
    message: str
    typed_data: dict[str, Any] | None
    nonce: str
    nonce_line: str | None
    issued_at: dt.datetime
    expires_at: dt.datetime
    destination: str
    destination_chain: DestinationChain
    message_style: MessageStyle
    unsigned_transaction: str | None


def _destination(destination: str, destination_chain: DestinationChain | None, settings: Settings) -> snapshot.Address:
    """Parse the destination; its chain defaults to its address form, and must be one we migrate to."""
    target = parse_address(destination, field="destination")
    if destination_chain is not None and destination_chain != target.chain:
        raise InvalidAddressError(f"destination: {target.text} is a {target.chain} address, not a "
                                  f"{destination_chain} one", field="destination")
    if target.chain not in settings.destination_chains:
        raise InvalidAddressError(f"destination: this migration goes to {' or '.join(settings.destination_chains)} "
                                  f"only, not {target.chain}", field="destination")
    if not any(target.raw):
        raise InvalidAddressError("destination: the zero address would burn the allocation", field="destination")
    return target


async def issue(db: Database, *, snapshots: SnapshotSet, settings: Settings, now: dt.datetime, address: str,
                destination: str, method: Method, meta: RequestMeta, destination_chain: DestinationChain | None = None,
                message_style: MessageStyle = "standard", chain: EvmChain | None = None,
                solana_chain: SolanaChain | None = None) -> Challenge:
    """Check in this order: address, method for its chain, message style, destination, RPC, eligibility."""
    holder = parse_address(address, field="address")
    allowed = EVM_METHODS if holder.chain == "evm" else SOLANA_METHODS
    if method not in allowed:
        raise InvalidInputError(f"method {method!r} does not fit a {holder.chain} address; use one of "
                                f"{', '.join(sorted(allowed))}", field="method")
    if message_style == "one_line" and method != "solana":
        raise InvalidInputError("message_style one_line is for the solana method (a Ledger clear-signs one "
                                "printable line); use standard", field="message_style")
    target = _destination(destination, destination_chain, settings)
    if method in RPC_METHODS and chain is None:
        raise RpcNotConfiguredError(f"this server has no EVM RPC configured (PORTAL_EVM_RPC_URL), so it cannot "
                                  f"check a {method} proof; this is how the server is set up, not a passing "
                                  "fault, so do not retry: choose eip191 or eip712 instead")
    if method == "solana_onchain":  # the proof is read from the chain: refuse now rather than at proof time
        require_solana_chain(solana_chain)
    entry = snapshots.find(holder)
    if entry is None:
        raise NotEligibleError(f"{holder.text} is not in any loaded snapshot", field="address")
    challenge_id, nonce = uuid.uuid4(), secrets.token_hex(NONCE_BYTES)
    expires_at = now + dt.timedelta(seconds=settings.challenge_ttl_seconds)
    common = {"domain": settings.public_host, "address": holder.text, "destination": target.text, "nonce": nonce,
              "issued_at": now, "expires_at": expires_at, "request_id": str(challenge_id),
              "destination_chain": target.chain, "chain_id": settings.evm_chain_id}
    if message_style == "one_line":
        message = messages.build_solana_one_line(**common)
    elif holder.chain == "evm":
        message = messages.build_evm_message(uri=settings.public_url, **common)
    else:
        message = messages.build_solana_message(uri=settings.public_url, **common)
    unsigned = solana_tx.build_unsigned(holder.text, nonce) if method == "solana_tx" else None
    typed_data = None
    if method == "eip712":
        typed_data = messages.build_typed_data(snapshot_address=holder.text, destination=target.text, nonce=nonce,
                                               issued_at=now, expires_at=expires_at, chain_id=settings.evm_chain_id,
                                               destination_chain=target.chain)
    async with db.transaction() as conn:
        await store.insert_challenge(conn, {
            "id": challenge_id, "method": method, "chain": holder.chain, "snapshot_id": entry.snapshot_id,
            "snapshot_address": holder.text, "destination": target.text, "amount": entry.amount, "nonce": nonce,
            "message": message, "typed_data": typed_data, "issued_at": now, "expires_at": expires_at,
            "client_address": meta.client_address, "destination_chain": target.chain, "message_style": message_style,
            "unsigned_transaction": unsigned,
        })
    line = messages.nonce_line(nonce) if method in ("transaction", "solana_tx", "solana_onchain") else None
    return Challenge(challenge_id, method, message, typed_data, nonce, line, now, expires_at, target.text,
                     target.chain, message_style, unsigned)
