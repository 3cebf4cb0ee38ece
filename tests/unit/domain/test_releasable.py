"""What a release on each chain can hold (``portal.domain.releasable``): the rows an export keeps,
and the ones it leaves out with their reason."""

from __future__ import annotations

import random

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain import releasable
from portal.store.review import ApprovedEntry
from snapshot.addresses import b58encode, to_checksum_address

U64 = 2**64
rng = random.Random(5)


def row(amount: int, destination: str | None = None, chain: str = "solana") -> ApprovedEntry:
    if destination is None:
        destination = b58encode(rng.randbytes(32)) if chain == "solana" else to_checksum_address(rng.randbytes(20))
    target = destination
    return ApprovedEntry(to_checksum_address(rng.randbytes(20)), target, amount, chain)


def test_an_amount_beyond_u64_is_left_out_with_its_reason_and_the_rest_kept() -> None:
    rows = [row(5), row(U64), row(7)]
    kept, excluded = releasable.partition(rows, convert=int, snapshot_chain="evm", destination_chain="solana")
    assert kept == [rows[0], rows[2]]
    [left_out] = excluded
    assert (left_out.snapshot_address, left_out.code, left_out.converted_amount) == (
        rows[1].snapshot_address, "amount_not_releasable", str(U64))
    assert "u64" in left_out.reason


def test_the_row_that_would_push_the_total_past_u64_is_left_out_not_the_ones_before() -> None:
    rows = [row(U64 // 2), row(U64 // 2), row(1), row(1)]
    kept, excluded = releasable.partition(rows, convert=int, snapshot_chain="evm", destination_chain="solana")
    assert kept == [rows[0], rows[2], rows[3]] and [e.snapshot_address for e in excluded] == [rows[1].snapshot_address]
    assert "total" in excluded[0].reason


def test_the_amount_is_checked_after_conversion() -> None:
    kept, excluded = releasable.partition([row(10**10)], convert=lambda a: a * 10**10, snapshot_chain="evm",
                                          destination_chain="solana")
    assert kept == [] and excluded[0].amount == str(10**10) and excluded[0].converted_amount == str(10**20)


def test_evm_holds_uint256_and_no_total() -> None:
    rows = [row(U64 * 4, chain="evm"), row(U64 * 4, chain="evm"), row(2**256, chain="evm")]
    kept, excluded = releasable.partition(rows, convert=int, snapshot_chain="evm", destination_chain="evm")
    assert kept == rows[:2] and [e.code for e in excluded] == ["amount_not_releasable"]
    assert "uint256" in excluded[0].reason


def test_a_destination_of_another_chain_is_left_out() -> None:
    rows = [row(5, destination=to_checksum_address(bytes(range(20)))), row(6)]
    kept, excluded = releasable.partition(rows, convert=int, snapshot_chain="evm", destination_chain="solana")
    assert kept == rows[1:] and excluded[0].code == "address_not_releasable" and excluded[0].converted_amount is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**66), max_size=20))
def test_what_is_kept_always_fits_and_nothing_is_lost(amounts: list[int]) -> None:
    rows = [row(amount) for amount in amounts]
    kept, excluded = releasable.partition(rows, convert=int, snapshot_chain="evm", destination_chain="solana")
    assert sum(r.amount for r in kept) < U64 and all(r.amount < U64 for r in kept)
    assert len(kept) + len(excluded) == len(rows)
    assert {r.snapshot_address for r in kept}.isdisjoint(e.snapshot_address for e in excluded)


def test_a_contract_wallet_proven_on_another_chain_id_is_held_back_from_an_evm_export() -> None:
    """A Safe or smart account on chain 8453 does not own the same address on chain 1; a key does."""
    rows = [row(5, chain="evm"), msgspec.structs.replace(row(6, chain="evm"), proof_chain_id=8453),
            msgspec.structs.replace(row(7, chain="evm"), proof_chain_id=1)]
    kept, excluded = releasable.partition(rows, convert=int, snapshot_chain="evm", destination_chain="evm",
                                          chain_id=1)
    assert kept == [rows[0], rows[2]]
    [held] = excluded
    assert (held.snapshot_address, held.code, held.proof_chain_id, held.converted_amount) == (
        rows[1].snapshot_address, "proof_on_other_chain", 8453, None)
    assert "chain id 8453, not 1" in held.reason
    assert releasable.partition(rows, convert=int, snapshot_chain="evm", destination_chain="evm",
                                chain_id=8453)[0] == [rows[0], rows[1]]


def test_the_evm_chain_id_does_not_hold_back_a_solana_claim() -> None:
    assert releasable.chain_problem(8453, "solana", 1) is None and releasable.chain_problem(None, "evm", 1) is None
