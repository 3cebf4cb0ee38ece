"""Address parsing: the EIP-55 test vectors from the EIP itself, and Solana base58 public keys."""

from __future__ import annotations

import eth_utils
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey

import snapshot
from snapshot import addresses as snapshot_addresses
from snapshot.addresses import b58encode

# https://eips.ethereum.org/EIPS/eip-55#test-cases
EIP55_MIXED = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]
EIP55_SINGLE_CASE = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
]


@pytest.mark.parametrize("text", EIP55_MIXED)
def test_eip55_vectors_pass_and_come_back_unchanged(text: str) -> None:
    address = snapshot.parse_address(text)
    assert (address.chain, address.text, address.raw) == ("evm", text, bytes.fromhex(text[2:]))
    assert snapshot.parse_address(text.lower()).text == text
    assert snapshot.parse_address("0x" + text[2:].upper()).text == text


@pytest.mark.parametrize("text", EIP55_SINGLE_CASE)
def test_single_case_addresses_need_no_checksum(text: str) -> None:
    address = snapshot.parse_address(text)
    assert address.raw == bytes.fromhex(text[2:])
    assert address.text.lower() == text.lower()


@pytest.mark.parametrize("text", EIP55_MIXED)
def test_one_flipped_letter_fails_the_checksum(text: str) -> None:
    position = next(i for i in range(2, 42) if text[i].isalpha())
    flipped = text[:position] + text[position].swapcase() + text[position + 1:]
    with pytest.raises(snapshot.InvalidAddressError) as caught:
        snapshot.parse_address(flipped)
    assert caught.value.code == "invalid_checksum"


@pytest.mark.parametrize("text", [
    "", "0x", "0x123", EIP55_MIXED[0] + "0", EIP55_MIXED[0][:-1] + "g", "0X" + EIP55_MIXED[0][2:],
    "0x" + "é" * 40, "not an address", "0OIl" * 8, "1" * 45,
    "11111111111111111111111111111111" + "2",  # 33 bytes
    b58encode(bytes(range(1, 32))),  # 31 bytes
])
def test_malformed_addresses_are_invalid_address(text: str) -> None:
    with pytest.raises(snapshot.InvalidAddressError) as caught:
        snapshot.parse_address(text)
    assert caught.value.code == "invalid_address"
    assert str(caught.value)


def test_surrounding_whitespace_only_is_stripped() -> None:
    assert snapshot.parse_address(f" \t{EIP55_MIXED[0]}\r\n").text == EIP55_MIXED[0]
    with pytest.raises(snapshot.InvalidAddressError):
        snapshot.parse_address(EIP55_MIXED[0][:10] + " " + EIP55_MIXED[0][10:])


@pytest.mark.parametrize(("text", "raw_hex"), [
    ("11111111111111111111111111111111", "00" * 32),
    ("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", "06ddf6e1d765a193d9cbe146ceeb79ac1cb485ed5f5b37913a8cf5857eff00a9"),
])
def test_known_solana_keys(text: str, raw_hex: str) -> None:
    address = snapshot.parse_address(text)
    assert (address.chain, address.text, address.raw.hex()) == ("solana", text, raw_hex)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_solana_keys_round_trip_like_solders(raw: bytes) -> None:
    text = str(Pubkey.from_bytes(raw))
    address = snapshot.parse_address(text)
    assert (address.chain, address.text, address.raw) == ("solana", text, raw)
    assert b58encode(raw) == text


def _cased(raw: bytes, form: str, flip: int) -> str:
    """``raw`` as text in one of the forms a holder may paste: the checksum, the checksum with one
    letter's case flipped, all lower, all upper, or random case."""
    checksum = eth_utils.to_checksum_address(raw)[2:]
    if form == "checksum":
        digits = checksum
    elif form == "flipped":
        digits = checksum[:flip] + checksum[flip].swapcase() + checksum[flip + 1:]
    elif form == "random":
        digits = "".join(c.upper() if (flip >> (i % 16)) & 1 else c for i, c in enumerate(checksum.lower()))
    else:
        digits = getattr(checksum, form)()
    return "0x" + digits


@settings(deadline=None)  # a timing deadline only flakes on a loaded machine; the assertions are the test
@given(st.binary(min_size=20, max_size=20), st.sampled_from(["checksum", "flipped", "lower", "upper", "random"]),
       st.integers(0, 39))
def test_any_case_of_an_evm_address_is_judged_like_eth_utils(raw: bytes, form: str, flip: int) -> None:
    # The reference is eth_utils (an independent EIP-55 implementation): a text is accepted exactly
    # when it is single case or the checksum itself, and always comes back as the checksum.
    text = _cased(raw, form, flip)
    digits = text[2:]
    if digits in (digits.lower(), digits.upper()) or eth_utils.is_checksum_address(text):
        address = snapshot.parse_address(text)
        assert (address.chain, address.text, address.raw) == ("evm", eth_utils.to_checksum_address(raw), raw)
    else:
        with pytest.raises(snapshot.InvalidAddressError) as caught:
            snapshot.parse_address(text)
        assert caught.value.code == "invalid_checksum"


BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
base58_texts = st.one_of(
    st.text(alphabet=BASE58, min_size=28, max_size=48),
    st.text(alphabet=BASE58 + "0OIl +-/é", min_size=28, max_size=48),
    st.binary(min_size=25, max_size=34).map(lambda raw: b58encode_python(raw)),
    st.tuples(st.integers(0, 4), st.binary(min_size=28, max_size=32)).map(
        lambda z: "1" * z[0] + b58encode_python(z[1])),
)


def b58encode_python(raw: bytes) -> str:
    number, digits = int.from_bytes(raw), []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(BASE58[remainder])
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + "".join(reversed(digits))


@settings(max_examples=300, deadline=None)
@given(base58_texts)
def test_fast_base58_decoding_is_the_python_decoding(text: str) -> None:
    """solders decodes what it accepts; what it accepts must decode to the same key in Python, and
    what Python accepts must be accepted (so the fast path never changes an answer)."""
    try:
        expected: bytes | None = snapshot_addresses.b58decode_pubkey_python(text)
    except snapshot.InvalidAddressError:
        expected = None
    try:
        fast: bytes | None = snapshot_addresses.b58decode_pubkey(text)
    except snapshot.InvalidAddressError:
        fast = None
    assert fast == expected
    if expected is not None:
        assert b58encode(expected) == b58encode_python(expected)
