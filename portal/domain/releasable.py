"""Whether an approved request can be released on its destination chain.

An approval is a promise a release keeps, so it must fit what the claim contract or program can
hold: the merkle-distributor (Solana) holds amounts, and the total of its tree, in a u64; an
OpenZeppelin leaf (EVM) holds a uint256; both need the addresses to be keys of their chains. A
decision refuses an approval that breaks one of these (``AmountNotReleasableError``, 422
``amount_not_releasable``) instead of approving it without a word; an export leaves out, and
reports, a row stored before that check (or made unreleasable by a later change of the destinations
file), so that one row never turns every export into a 422.

Amounts here are in the destination token's base units (after ``Conversion.convert``).
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
ExclusionCode = Literal["amount_not_releasable", "address_not_releasable"]


class ExcludedEntry(msgspec.Struct, frozen=True):
    """An approved request an export left out: ``amount`` in snapshot units, ``converted_amount`` in
    the destination's (None when the address is the fault), and why in ``code`` and ``reason``."""

    snapshot_address: str
    destination: str
    amount: str
    converted_amount: str | None
    code: ExclusionCode
    reason: str


class Row(Protocol):
    """What the check needs of an approved request: its addresses and its (snapshot-unit) amount."""

    @property
    def snapshot_address(self) -> str: ...
    @property
    def destination(self) -> str: ...
    @property
    def amount(self) -> int: ...


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
                      destination_chain: str) -> tuple[list[R], list[ExcludedEntry]]:
    """``rows`` split into those a release can hold and the excluded ones, in the rows' order.

    A row is excluded for its own addresses or amount, or when it would push the running total past
    the chain's limit (the rows before it keep their place: the order is the export's, so the split
    is deterministic).
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
        converted = convert(row.amount)
        problem = amount_problem(converted, destination_chain) or total_problem(total + converted, destination_chain)
        if problem is not None:
            excluded.append(ExcludedEntry(row.snapshot_address, row.destination, str(row.amount), str(converted),
                                          "amount_not_releasable", problem))
            continue
        total += converted
        kept.append(row)
    return kept, excluded
