"""The Solana allowlist: approved requests as a merkle-distributor tree of (destination, converted amount)."""

from __future__ import annotations

import hashlib
import json
import random

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain import allowlist
from portal.errors import UnprocessableError
from portal.store.review import ApprovedEntry
from snapshot.addresses import b58encode, to_checksum_address
from snapshot.conversion import Conversion, Ratio


def approved(snapshot_address: str, destination: str, amount: int) -> ApprovedEntry:
    """An approved row as the store returns it (whatever columns the store adds beside these)."""
    row = {"snapshot_address": snapshot_address, "destination": destination, "amount": amount,
           "destination_chain": "solana"}
    names = {field.name for field in msgspec.structs.fields(ApprovedEntry)}
    return msgspec.convert({k: v for k, v in row.items() if k in names}, ApprovedEntry)


def onchain_verify(proof: list[bytes], root: bytes, claimant: bytes, amount: int) -> bool:
    """``new_claim``'s leaf and ``jito_merkle_verify::verify``, written here independently."""
    node = hashlib.sha256(claimant + amount.to_bytes(8, "little") + bytes(8)).digest()
    node = hashlib.sha256(b"\x00" + node).digest()
    for element in proof:
        node = hashlib.sha256(b"\x01" + min(node, element) + max(node, element)).digest()
    return node == root


keys = st.binary(min_size=32, max_size=32)


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(st.tuples(st.binary(min_size=20, max_size=20), st.integers(0, 3), st.integers(1, 10**15)),
                     min_size=1, max_size=25, unique_by=lambda row: row[0]),
       destinations=st.lists(keys, min_size=4, max_size=4, unique=True))
def test_every_claimant_verifies_with_the_sum_of_its_approvals(rows, destinations) -> None:
    entries = [approved(to_checksum_address(holder), b58encode(destinations[pick]), amount)
               for holder, pick, amount in rows]
    conversion = Conversion(18, 9, Ratio(3, 1))
    result = allowlist.build_distributor("s1", entries, conversion=conversion, decimals=9)
    root = bytes.fromhex(result.merkle_root[2:])
    expected: dict[str, int] = {}
    for entry in entries:
        expected[entry.destination] = expected.get(entry.destination, 0) + conversion.convert(entry.amount)
    assert [entry.destination for entry in result.entries] == list(expected)  # order of first appearance
    assert result.max_num_nodes == len(expected)
    assert int(result.max_total_claim) == sum(expected.values())
    for index, entry in enumerate(result.entries):
        assert entry.leaf_index == index and int(entry.amount) == expected[entry.destination]
        proof = [bytes.fromhex(node[2:]) for node in entry.proof]
        claimant = bytes(destinations[[b58encode(d) for d in destinations].index(entry.destination)])
        assert onchain_verify(proof, root, claimant, int(entry.amount))
        assert not onchain_verify(proof, root, claimant, int(entry.amount) + 1)
    assert result.conversion is not None
    assert int(result.conversion.converted) == sum(expected.values())
    document = json.loads(allowlist.to_distributor_json(result))
    assert bytes(document["merkle_root"]) == root and document["max_num_nodes"] == len(expected)
    assert [b58encode(bytes(node["claimant"])) for node in document["tree_nodes"]] == list(expected)


def test_a_destination_that_is_not_a_solana_key_is_refused() -> None:
    with pytest.raises(UnprocessableError, match="not a solana address"):
        allowlist.build_distributor("s1", [approved(to_checksum_address(bytes(20)), "0x" + "11" * 20, 5)])


def test_a_total_beyond_u64_is_refused_not_wrapped() -> None:
    rng = random.Random(1)
    entries = [approved(to_checksum_address(rng.randbytes(20)), b58encode(rng.randbytes(32)), 2**63)
               for _ in range(2)]
    with pytest.raises(UnprocessableError, match="u64"):
        allowlist.build_distributor("s1", entries)


def test_no_approvals_is_an_empty_allowlist_without_a_tree() -> None:
    empty = allowlist.build_distributor("s1", [])
    assert empty.merkle_root is None and empty.entries == [] and empty.max_num_nodes == 0
    with pytest.raises(UnprocessableError):
        allowlist.to_distributor_json(empty)
