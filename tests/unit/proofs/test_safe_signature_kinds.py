"""A Safe's signature encoding, pure: each kind parses to its owner, the blob is sorted with dynamic parts last,
and anything else is a 400 naming the signature."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from portal.domain.proofs.safe_signatures import encode, parse_all, parse_one, safe_message_hash, typed_data
from portal.errors import MalformedSignatureError

SAFE = "0x" + "5a" * 20
DIGEST = bytes(range(32))
CHAIN_ID = 1
OWNERS = sorted((Account.from_key(bytes([k]) * 32) for k in (0x61, 0x62)), key=lambda a: int(a.address, 16))


def test_the_safe_message_hash_is_what_a_wallet_signs_for_the_typed_data() -> None:
    """eth-account's own EIP-712 hashing of the typed data the page hands the wallet gives the same hash."""
    from eth_account.messages import _hash_eip191_message, encode_typed_data

    signable = encode_typed_data(full_message=typed_data(CHAIN_ID, SAFE, DIGEST))
    assert _hash_eip191_message(signable) == safe_message_hash(CHAIN_ID, SAFE, DIGEST)


def test_each_kind_parses_to_its_owner() -> None:
    safe_hash = safe_message_hash(CHAIN_ID, SAFE, DIGEST)
    owner = OWNERS[0]
    ecdsa = bytes(owner.unsafe_sign_hash(safe_hash).signature)
    assert (parse_one("0x" + ecdsa.hex(), safe_hash).owner, parse_one("0x" + ecdsa.hex(), safe_hash).kind) == (
        owner.address, "ecdsa")
    eth_sign = bytearray(owner.sign_message(encode_defunct(primitive=safe_hash)).signature)
    eth_sign[64] += 4
    assert parse_one("0x" + eth_sign.hex(), safe_hash).kind == "eth_sign"
    raw_v = ecdsa[:64] + bytes([ecdsa[64] - 27])  # a wallet that answers v 0/1
    assert parse_one("0x" + raw_v.hex(), safe_hash).owner == owner.address
    approved = bytes(12) + bytes.fromhex(owner.address[2:]) + bytes(32) + b"\x01"
    assert (parse_one("0x" + approved.hex(), safe_hash).kind, parse_one("0x" + approved.hex(), safe_hash).owner) == (
        "approved_hash", owner.address)
    contract = bytes(12) + bytes.fromhex(owner.address[2:]) + (65).to_bytes(32, "big") + b"\x00"
    parsed = parse_one("0x" + (contract + (3).to_bytes(32, "big") + b"abc").hex(), safe_hash)
    assert (parsed.kind, parsed.dynamic) == ("contract", b"abc")


def test_encode_sorts_by_owner_and_puts_dynamic_parts_after_the_fixed_ones() -> None:
    safe_hash = safe_message_hash(CHAIN_ID, SAFE, DIGEST)
    low, high = OWNERS
    contract = bytes(12) + bytes.fromhex(high.address[2:]) + (65).to_bytes(32, "big") + b"\x00"
    contract_sig = parse_one("0x" + (contract + (2).to_bytes(32, "big") + b"hi").hex(), safe_hash)
    ecdsa = parse_one("0x" + bytes(low.unsafe_sign_hash(safe_hash).signature).hex(), safe_hash)
    blob = encode([contract_sig, ecdsa])
    assert blob[:65] == ecdsa.part and int.from_bytes(blob[65 + 32:65 + 64]) == 130
    assert blob[130:] == (2).to_bytes(32, "big") + b"hi"
    assert [(s.owner, s.kind) for s in parse_all(blob, safe_hash, 2)] == [(low.address, "ecdsa"),
                                                                         (high.address, "contract")]


@pytest.mark.parametrize("text", [
    "", "0x", "zz", "0x" + "ab" * 64, "0x" + "ab" * 66, "0x" + "11" * 64 + "07",  # length, hex, v
    "0x" + "00" * 12 + "11" * 20 + "00" * 31 + "ff" + "00",  # contract part pointing past the end
    "0x" + "ff" * 12 + "11" * 20 + "00" * 32 + "01",  # approved hash with garbage above the address
    "0x" + "11" * 32 + "ff" * 32 + "1b",  # high s
    "0x" + "ab" * 5000,  # too long
])
def test_malformed_owner_signatures_are_400_on_signature(text: str) -> None:
    with pytest.raises(MalformedSignatureError) as caught:
        parse_one(text, safe_message_hash(CHAIN_ID, SAFE, DIGEST))
    assert caught.value.field == "signature"
