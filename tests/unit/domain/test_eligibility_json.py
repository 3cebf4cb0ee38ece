"""The eligibility hot path's hand-built JSON is byte for byte the encoded ``Eligibility``.

``eligibility_json`` exists only to be fast; if it ever drifted from the documented model (a field
order, an escape, an empty proof), holders would get answers the OpenAPI schema does not describe.
"""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import snapshot
import snapshot.artifact
from portal.domain.destinations import Destination
from portal.domain.eligibility import SnapshotSet
from portal.errors import InvalidAddressError
from snapshot.addresses import b58encode, to_checksum_address


def _build(tmp: Path, name: str, rows: dict[str, int], **options) -> Path:
    source = tmp / f"{name}.csv"
    source.write_text("address,amount\n" + "".join(f"{address},{amount}\n" for address, amount in rows.items()))
    return Path(snapshot.build_artifact(source, tmp / "out", name=name, **options).path)


DESTINATIONS = {"solana": Destination(decimals=6, ratio="3/2"), "evm": Destination(decimals=18, ratio="1/7")}


def _evm(raw: bytes) -> str:
    return to_checksum_address(raw)


@pytest.fixture(scope="module")
def snapshot_set(tmp_path_factory: pytest.TempPathFactory):
    """Two EVM snapshots (one of a single holder: an empty proof; one declaring no decimals, so it
    converts to nothing), a Solana OZ snapshot and a Solana distributor snapshot (odd levels), with
    destinations that convert."""
    tmp = tmp_path_factory.mktemp("eligibility")
    rng = random.Random(11)
    evm = {_evm(rng.randbytes(20)): rng.randrange(1, 2**256) for _ in range(300)}
    solana = {b58encode(rng.randbytes(32)): rng.randrange(1, 10**20) for _ in range(50)}
    single = {_evm(rng.randbytes(20)): 7}
    claims = {b58encode(rng.randbytes(32)): rng.randrange(1, 2**58) for _ in range(45)}
    paths = [_build(tmp, "evm", evm, decimals=18), _build(tmp, "single", single), _build(tmp, "solana", solana),
             _build(tmp, "claims", claims, tree="distributor", decimals=9)]
    opened = SnapshotSet.open(paths, DESTINATIONS)
    yield opened, [*evm, *single, *solana, *claims]
    opened.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hot_path_json_equals_encoded_model(snapshot_set, data: st.DataObject) -> None:
    opened, listed = snapshot_set
    address = data.draw(st.one_of(
        st.sampled_from(listed),
        st.sampled_from(listed).map(lambda text: text.lower() if text.startswith("0x") else text),
        st.binary(min_size=20, max_size=20).map(_evm),
        st.binary(min_size=32, max_size=32).map(b58encode),
    ))
    expected = msgspec.json.encode(opened.eligibility(address))
    assert opened.eligibility_json(address) == expected
    assert msgspec.json.decode(expected)["eligible"] == (snapshot.parse_address(address).text in listed)


def test_single_holder_snapshot_answers_an_empty_proof(snapshot_set) -> None:
    opened, listed = snapshot_set
    answer = msgspec.json.decode(opened.eligibility_json(listed[300]))
    assert answer["eligible"] is True and answer["proof"] == [] and answer["leaf_index"] == 0
    assert answer["decimals"] is None and answer["claim_amounts"] == [] and answer["tree"] == "oz"


def test_answers_name_the_tree_and_give_both_amounts_with_their_decimals(snapshot_set) -> None:
    opened, listed = snapshot_set
    evm = msgspec.json.decode(opened.eligibility_json(listed[0]))
    assert evm["tree"] == "oz" and evm["decimals"] == 18
    amount = int(evm["amount"])  # 18 decimals -> solana: 6 decimals at 3/2; -> evm: 18 decimals at 1/7
    assert evm["claim_amounts"] == [
        {"destination_chain": "solana", "amount": str(amount * 3 // (2 * 10**12)), "decimals": 6},
        {"destination_chain": "evm", "amount": str(amount // 7), "decimals": 18}]
    distributor_answer = msgspec.json.decode(opened.eligibility_json(listed[-1]))
    assert distributor_answer["tree"] == "distributor" and distributor_answer["leaf_index"] == 44
    amount = int(distributor_answer["amount"])
    assert distributor_answer["claim_amounts"][0] == {"destination_chain": "solana",
                                                      "amount": str(amount * 3 // 2000), "decimals": 6}


def test_hot_path_refuses_junk_like_the_model() -> None:
    empty = SnapshotSet([])
    with pytest.raises(InvalidAddressError):
        empty.eligibility_json("0xnot-an-address")
    assert msgspec.json.decode(empty.eligibility_json("0x" + "00" * 20))["eligible"] is False


def test_proofs_below_the_cached_depth_equal_the_stored_proofs(tmp_path: Path) -> None:
    """A tree deeper than ``PROOF_CACHE_DEPTH``: cached upper parts joined to read lower parts give
    exactly ``getProof``, including when two leaves share (and so reuse) one cached upper part."""
    rng = random.Random(12)
    leaves = 2 ** (snapshot.artifact.PROOF_CACHE_DEPTH + 1) + 333
    rows = {_evm(rng.randbytes(20)): rng.randrange(1, 10**18) for _ in range(leaves)}
    with snapshot.Snapshot.open(_build(tmp_path, "deep", rows)) as opened:
        for address in rng.sample(sorted(rows), 400) * 2:  # the second round answers from the cache
            entry = opened.lookup(snapshot.parse_address(address))
            assert entry is not None
            assert msgspec.json.decode(b"[" + opened.proof_json(entry.leaf_index) + b"]") == entry.proof
