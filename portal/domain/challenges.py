"""Issuing ownership challenges.

Invariant: a stored challenge names an address that was eligible when it was issued (for an
allowlist request; a ``case`` challenge may name any well-formed address, amount 0 when unlisted), a valid
non-zero destination on its destination chain (one this deployment migrates to), a method that
fits the address's chain and that this server can verify (a method whose registry entry names a
node only with that node configured), at least 128 bits of nonce, and the exact message (and typed data, and for
``solana_tx`` the unsigned transaction) the holder is asked to sign; proofs are checked against
these stored fields only.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any, Literal

import msgspec

import snapshot
from portal.domain import claim_window, policies, safe_pin
from portal.domain.context import UseCaseContext
from portal.domain.eligibility import parse_address
from portal.domain.proofs import messages, registry, solana_tx
from portal.domain.proofs.facts import DestinationChain, MessageStyle
from portal.domain.proofs.registry import Method, ProofMethod
from portal.domain.proofs.solana_onchain import require_solana_chain
from portal.errors import (
    InvalidAddressError,
    InvalidInputError,
    NotEligibleError,
    PortalError,
    RpcNotConfiguredError,
    UnusableDestinationError,
)
from portal.settings import Settings
from portal.store import requests as store

NONCE_BYTES = 16  # 128 bits
#: What a challenge proves ownership for: an allowlist request, or a case (issue 23: any address).
Purpose = Literal["allowlist", "case"]
#: Addresses nobody holds a key for: tokens sent there are gone. (The all-zero address of either chain,
#: which is also Solana's system program, is refused by its bytes.)
BURN_ADDRESSES = frozenset({"0x000000000000000000000000000000000000dead",
                            "1nc1nerator11111111111111111111111111111111"})


class RequestMeta(msgspec.Struct, frozen=True):
    """What the HTTP edge tells the domain about the caller (never the request object itself)."""

    client_address: str | None
    user_agent: str | None


class NewChallenge(msgspec.Struct, frozen=True):
    """What a holder asks a challenge for; ``destination_chain`` defaults to the destination's address form."""

    address: str
    destination: str
    method: str
    destination_chain: DestinationChain | None = None
    message_style: MessageStyle = "standard"
    purpose: Purpose = "allowlist"


class Challenge(msgspec.Struct, frozen=True):
    """What the holder signs. ``unsigned_transaction`` (``solana_tx`` only) is the base64 wire form of
    the legacy transaction to sign, its signature slot zeroed; ``nonce_line`` is the memo/calldata
    text of the methods that carry one: for ``solana_tx`` the memo naming the addresses and the chain
    (``solana_tx.memo_text``), else ``migration-portal nonce: <nonce>``."""

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
        raise UnusableDestinationError("destination: the zero address would burn the allocation", field="destination")
    if target.text.lower() in BURN_ADDRESSES or target.text in BURN_ADDRESSES:  # EVM by lowercase, Solana exact
        raise UnusableDestinationError(f"destination: {target.text} is a burn address; nobody can use tokens "
                                       "sent there", field="destination")
    return target


async def _refuse_contracts(ctx: UseCaseContext, target: snapshot.Address) -> None:
    """A contract the signed policy lists (the token, a distributor) holds no one's allocation: a holder
    who was told to send there is being scammed, or made a slip that would lose the tokens."""
    async with ctx.db.transaction() as conn:
        document = await policies.main_document(conn)
    for contract in document.contracts if document else ():
        try:
            listed = parse_address(contract.address)
        except PortalError:
            continue
        if listed.chain == target.chain and listed.raw == target.raw:
            raise UnusableDestinationError(f"destination: {target.text} is the {contract.label} contract named in "
                                           "the official policy, not a wallet of yours; tokens sent there are lost",
                                           field="destination")


async def check_destination(ctx: UseCaseContext, destination: str, destination_chain: DestinationChain | None
                            ) -> snapshot.Address:
    """Every destination rule ``issue`` applies, for a page that asks the destination before issuing."""
    target = _destination(destination, destination_chain, ctx.settings)
    await _refuse_contracts(ctx, target)
    return target


def _method(name: str, holder: snapshot.Address, message_style: str) -> ProofMethod:
    """The method, when it fits the holder's chain and allows the message style."""
    method = registry.method(name)
    if method.chain != holder.chain:
        raise InvalidInputError(f"method {name!r} does not fit a {holder.chain} address; use one of "
                                f"{', '.join(sorted(registry.names_for(holder.chain)))}", field="method")
    if message_style not in method.message_styles:
        allowing = " or ".join(registry.styles_allowing(message_style))
        purpose = registry.STYLE_PURPOSE.get(message_style, "another layout")
        raise InvalidInputError(f"message_style {message_style} is for the {allowing} method ({purpose}); "
                                "use standard", field="message_style")
    return method


def _require_node(ctx: UseCaseContext, method: ProofMethod) -> None:
    """Refuse a method whose proof is read from a node this server lacks now, before the holder signs anything."""
    if method.node == "evm" and ctx.evm_node is None:
        offline = " or ".join(sorted(registry.names_for(method.chain, node="none")))
        raise RpcNotConfiguredError(f"this server has no EVM RPC configured (PORTAL_EVM_RPC_URL), so it cannot "
                                    f"check a {method.name} proof; this is how the server is set up, not a passing "
                                    f"fault, so do not retry: choose {offline} instead",
                                    extra={"setting": "PORTAL_EVM_RPC_URL"})
    if method.node == "solana":
        require_solana_chain(ctx.solana_node)


def _case_subject(ctx: UseCaseContext, holder: snapshot.Address, purpose: str) -> tuple[str, int]:
    """A case may be about an address no snapshot lists: it is filed against its chain's snapshot, amount 0."""
    listing = ctx.snapshots.snapshot_for(holder.chain) if purpose == "case" else None
    if listing is None:
        raise NotEligibleError(f"{holder.text} is not in any loaded snapshot", field="address")
    return listing.id, 0


def _message(settings: Settings, holder: snapshot.Address, style: str, fields: messages.MessageFields) -> str:
    if style == "one_line":
        return messages.build_solana_one_line(fields)
    if holder.chain == "evm":
        return messages.build_evm_message(fields, uri=settings.public_url)
    return messages.build_solana_message(fields, uri=settings.public_url)


async def issue(ctx: UseCaseContext, ask: NewChallenge, meta: RequestMeta) -> Challenge:
    """Check in this order: address, method for its chain, message style, destination, node, eligibility."""
    settings, now = ctx.settings, ctx.now()
    holder = parse_address(ask.address, field="address")
    method = _method(ask.method, holder, ask.message_style)
    target = await check_destination(ctx, ask.destination, ask.destination_chain)
    _require_node(ctx, method)
    entry = ctx.snapshots.find(holder)
    snapshot_id, amount = (entry.snapshot_id, entry.amount) if entry else _case_subject(ctx, holder, ask.purpose)
    challenge_id, nonce = uuid.uuid4(), secrets.token_hex(NONCE_BYTES)
    expires_at = now + dt.timedelta(seconds=safe_pin.ttl_seconds(settings, method.name))
    fields = messages.MessageFields(settings.public_host, holder.text, target.text, nonce, now, expires_at,
                                    str(challenge_id), target.chain, settings.evm_chain_id)
    message = _message(settings, holder, ask.message_style, fields)
    line, unsigned = messages.nonce_line(nonce) if method.nonce_line else None, None
    if method.unsigned_transaction:  # solana_tx: the memo names the addresses and the chain, for the card's screen
        line = solana_tx.memo_text(holder.text, target.text, target.chain, settings.evm_chain_id, nonce)
        unsigned = solana_tx.build_unsigned(holder.text, line, nonce)
    typed_data = messages.build_typed_data(fields) if method.typed_data else None
    # issue 26: a Safe is read at a recorded block before anything is written; its owners sign SafeMessage typed data
    pinned = await safe_pin.pin(ctx, holder.text, message) if method.name == "safe" else None
    typed_data = pinned.typed_data() if pinned else typed_data
    async with ctx.db.transaction() as conn:
        await store.insert_challenge(conn, {
            "id": challenge_id, "method": method.name, "chain": holder.chain, "snapshot_id": snapshot_id,
            "snapshot_address": holder.text, "destination": target.text, "amount": amount, "nonce": nonce,
            "message": message, "typed_data": typed_data, "issued_at": now, "expires_at": expires_at,
            "client_address": meta.client_address, "destination_chain": target.chain,
            "message_style": ask.message_style, "unsigned_transaction": unsigned, "purpose": ask.purpose,
        })
        if pinned:
            await safe_pin.record(conn, challenge_id, pinned)
        if ask.purpose == "allowlist":  # a case after the deadline is a ``late`` case (portal.domain.cases)
            await claim_window.admit(conn, challenge_id, now)  # refused (rolled back) or marked late
    return Challenge(challenge_id, method.name, message, typed_data, nonce, line, now, expires_at, target.text,
                     target.chain, ask.message_style, unsigned)
