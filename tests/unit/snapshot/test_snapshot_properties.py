"""Hypothesis: every entry's proof verifies, no absent address is eligible, parsing never crashes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oz_reference import oz_leaf, oz_process_proof

import snapshot
from snapshot.addresses import b58encode, to_checksum_address
from snapshot.holders import parse_holder_list

amounts = st.integers(min_value=1, max_value=2**256 - 1)
evm_keys = st.binary(min_size=20, max_size=20)
solana_keys = st.binary(min_size=32, max_size=32)


def _text(chain: str, raw: bytes) -> str:
    return to_checksum_address(raw) if chain == "evm" else b58encode(raw)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chain=st.sampled_from(["evm", "solana"]), data=st.data())
def test_every_entry_proves_and_absent_addresses_do_not(chain: str, data: st.DataObject) -> None:
    keys = evm_keys if chain == "evm" else solana_keys
    holders = data.draw(st.dictionaries(keys, amounts, min_size=1, max_size=60))
    absent = data.draw(st.lists(keys.filter(lambda k: k not in holders), max_size=5))
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "holders.csv"
        source.write_text("address,amount\n" + "".join(f"{_text(chain, k)},{v}\n" for k, v in holders.items()))
        manifest = snapshot.build_artifact(source, Path(tmp))
        with snapshot.Snapshot.open(manifest.path) as opened:
            for raw, amount in holders.items():
                entry = opened.lookup(snapshot.parse_address(_text(chain, raw)))
                assert entry is not None and entry.amount == amount
                assert oz_process_proof(oz_leaf(raw, amount), entry.proof) == manifest.merkle_root
            for raw in absent:
                assert opened.lookup(snapshot.parse_address(_text(chain, raw))) is None
    assert manifest.entries == len(holders)
    assert int(manifest.total) == sum(holders.values())


#: Keys of zeros with a one at up to two places: all share their top bits (one crowded bucket,
#: searched by bisection past ``LINEAR_SEARCH_MAX``), and the tail of one key followed by the head of
#: the next often spells a third key, which the bucket's ``bytes.find`` must not mistake for a hit.
crowded_evm_keys = st.sets(st.integers(0, 19), max_size=2).map(lambda ones: bytes(i in ones for i in range(20)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_find_is_exact_for_crowded_and_overlapping_keys(data: st.DataObject) -> None:
    few = data.draw(st.booleans())  # a run searched with bytes.find, or one past LINEAR_SEARCH_MAX
    holders = data.draw(st.sets(crowded_evm_keys, min_size=1 if few else 70, max_size=60 if few else 150))
    absent = data.draw(st.lists(crowded_evm_keys.filter(lambda k: k not in holders), max_size=20))
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "holders.csv"
        source.write_text("address,amount\n" + "".join(f"0x{k.hex()},1\n" for k in holders))
        manifest = snapshot.build_artifact(source, Path(tmp))
        with snapshot.Snapshot.open(manifest.path) as opened:
            for number, key in enumerate(sorted(holders)):
                assert opened.find(key) == number
            for key in absent:
                assert opened.find(key) == -1
            assert opened.find(b"\0" * 32) == -1  # a key of the other chain's width
            opened.verify()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_parsing_arbitrary_input_raises_only_library_errors(data: bytes) -> None:
    try:
        parse_holder_list(data)
    except snapshot.SnapshotError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_parse_address_raises_only_its_own_error(text: str) -> None:
    try:
        address = snapshot.parse_address(text)
    except snapshot.InvalidAddressError as exc:
        assert exc.code in {"invalid_address", "invalid_checksum"}
    else:
        assert snapshot.parse_address(address.text) == address
