"""Whether an approved request can be released on its destination chain.

An approval is a promise a release keeps, so it must fit what the claim contract or program can
hold: the merkle-distributor (Solana) holds amounts, and the total of its tree, in a u64; an
OpenZeppelin leaf (EVM) holds a uint256; both need the addresses to be keys of their chains. A
decision refuses an approval that breaks one of these (``AmountNotReleasableError``, 422
``amount_not_releasable``) instead of approving it without a word; an export leaves out, and
reports, a row stored before that check (or made unreleasable by a later change of the destinations
file), so that one row never turns every export into a 422.

Amounts here are in the destination token's base units (after ``Conversion.convert``).

A contract wallet's proof holds on one chain only (a Safe or smart account on chain A does not own the
same address on chain B): an approved request whose proof names another chain id than the EVM chain a
release or allowlist is for (``PORTAL_EVM_CHAIN_ID``) is held back from it (``proof_on_other_chain``).
A proof made by a key (no chain id) holds on every chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal, Protocol, TypeVar

import msgspec

from snapshot import distributor
from snapshot.addresses import parse_address
from snapshot.errors import InvalidAddressError as BadAddressError

UINT256_LIMIT = 2**256
#: The largest amount one claim, and the whole tree, may hold on each destination chain.
LIMITS = {"solana": (distributor.U64_LIMIT, "u64 (the Solana distributor's amount type)"),
          "evm": (UINT256_LIMIT, "uint256 (the EVM claim leaf's amount type)")}
ExclusionCode = Literal["amount_not_releasable", "address_not_releasable", "proof_on_other_chain"]


class ExcludedEntry(msgspec.Struct, frozen=True):
    """An approved request an export left out: ``amount`` in snapshot units, ``converted_amount`` in
    the destination's (None when the address is the fault), and why in ``code`` and ``reason``."""

    snapshot_address: str
    destination: str
    amount: str
    converted_amount: str | None
    code: ExclusionCode
    reason: str
    proof_chain_id: int | None = None  # ``proof_on_other_chain``: the chain id the contract wallet proved on


class Row(Protocol):
    """What the check needs of an approved request: its addresses and its (snapshot-unit) amount."""

    @property
    def snapshot_address(self) -> str: ...
    @property
    def destination(self) -> str: ...
    @property
    def amount(self) -> int: ...
    @property
    def proof_chain_id(self) -> int | None: ...


R = TypeVar("R", bound=Row)


def address_problem(snapshot_address: str, snapshot_chain: str, destination: str, destination_chain: str) -> str | None:
    """Why the leaf cannot encode these addresses, or None."""
    for what, text, chain in (("snapshot address", snapshot_address, snapshot_chain),
                              ("destination", destination, destination_chain)):
        try:
            parsed = parse_address(text)
        except BadAddressError as exc:
            return f"the {what} {text!r} does not parse ({exc})"
        if parsed.chain != chain:
            return f"the {what} {text} is not a {chain} address"
    return None


def chain_problem(proof_chain_id: int | None, destination_chain: str, chain_id: int | None) -> str | None:
    """Why a request proven by a contract wallet on ``proof_chain_id`` cannot be released on ``chain_id``
    (the EVM chain of the release or allowlist), or None (a key's proof, a Solana destination, the same chain)."""
    if destination_chain != "evm" or proof_chain_id is None or chain_id is None or proof_chain_id == chain_id:
        return None
    return (f"its contract-wallet proof was made on chain id {proof_chain_id}, not {chain_id}: a Safe or smart "
            f"account on chain {proof_chain_id} does not own the same address on chain {chain_id}")


def amount_problem(converted: int, destination_chain: str) -> str | None:
    """Why one claim of ``converted`` base units cannot be released on ``destination_chain``, or None."""
    limit, kind = LIMITS[destination_chain]
    if not 0 <= converted < limit:
        return f"the converted amount {converted} does not fit in a {kind}"
    return None


def total_problem(total: int, destination_chain: str) -> str | None:
    """Why a tree whose claims add up to ``total`` cannot be created, or None (only Solana's totals
    are bounded: ``max_total_claim`` is a u64; an EVM distributor holds no total)."""
    if destination_chain == "solana" and total >= distributor.U64_LIMIT:
        return (f"with the approvals already made the total to release would be {total}, beyond a u64 "
                "(the Solana distributor's max_total_claim)")
    return None


def partition(rows: Iterable[R], *, convert: Callable[[int], int], snapshot_chain: str,
              destination_chain: str, chain_id: int | None = None) -> tuple[list[R], list[ExcludedEntry]]:
    """``rows`` split into those a release can hold and the excluded ones, in the rows' order.

    A row is excluded for its own addresses or amount, for a contract-wallet proof made on another chain
    id than ``chain_id`` (EVM), or when it would push the running total past the chain's limit (the rows
    before it keep their place: the order is the export's, so the split is deterministic).
    """
    kept: list[R] = []
    excluded: list[ExcludedEntry] = []
    total = 0
    for row in rows:
        problem = address_problem(row.snapshot_address, snapshot_chain, row.destination, destination_chain)
        if problem is not None:
            excluded.append(ExcludedEntry(row.snapshot_address, row.destination, str(row.amount), None,
                                          "address_not_releasable", problem))
            continue
        problem = chain_problem(row.proof_chain_id, destination_chain, chain_id)
        if problem is not None:
            excluded.append(ExcludedEntry(row.snapshot_address, row.destination, str(row.amount), None,
                                          "proof_on_other_chain", problem, row.proof_chain_id))
            continue
        converted = convert(row.amount)
        problem = amount_problem(converted, destination_chain) or total_problem(total + converted, destination_chain)
        if problem is not None:
            excluded.append(ExcludedEntry(row.snapshot_address, row.destination, str(row.amount), str(converted),
                                          "amount_not_releasable", problem))
            continue
        total += converted
        kept.append(row)
    return kept, excluded
