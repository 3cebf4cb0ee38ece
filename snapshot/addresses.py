"""Addresses: EVM (20 bytes, EIP-55 text) and Solana (32-byte public key, base58 text).

The chain is read from the form of the text: ``0x`` followed by 40 hex digits is EVM, anything else
must be base58 of exactly 32 bytes. An EVM address is accepted in any single case; mixed case is a
claim of an EIP-55 checksum and must pass it (``invalid_checksum`` otherwise), because a mistyped
character is then caught before anyone sends tokens to it.

Invariant: ``parse_address(a.text) == a`` for every ``Address`` this module returns, and two texts
naming the same account give equal ``raw`` bytes (duplicates are found by ``raw``).
"""

from __future__ import annotations

from typing import Literal

import msgspec
import sha3
from solders.pubkey import Pubkey

from snapshot.errors import InvalidAddressError

Chain = Literal["evm", "solana"]

EVM_ADDRESS_BYTES = 20
SOLANA_ADDRESS_BYTES = 32

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {char: index for index, char in enumerate(BASE58_ALPHABET)}
# 32 bytes need at most 44 base58 digits; a longer text cannot be a public key.
_BASE58_MAX_CHARS = 44

# Translation tables for EIP-55 on ASCII bytes (see ``_eip55_digits``).
_LETTER_BIT = bytes(0x20 if chr(b) in "abcdefABCDEF" else 0 for b in range(256))
_HIGH_NIBBLE_BIT = bytes(0x20 if chr(b) in "89abcdef" else 0 for b in range(256))
# keccak-256 has 64 hex digits; EIP-55 reads the first 40, so the last 24 (one byte each) are shifted off.
_HASH_DIGITS_PAST_ADDRESS_BITS = 8 * (64 - 40)


class Address(msgspec.Struct, frozen=True):
    """A parsed address: ``text`` is canonical (EIP-55 or base58), ``raw`` is 20 or 32 bytes."""

    chain: Chain
    text: str
    raw: bytes


def evm_checksum_ok(hex40: bytes) -> bool:
    """Whether 40 ASCII hex digits are single case or carry a valid EIP-55 checksum."""
    lowercase = hex40.lower()
    return hex40 == lowercase or hex40 == hex40.upper() or hex40 == _eip55_digits(lowercase).encode()


def to_checksum_address(raw: bytes) -> str:
    """EIP-55 text of a 20-byte address."""
    return "0x" + _eip55_digits(raw.hex().encode())


def _eip55_digits(lowercase_hex: bytes) -> str:
    """EIP-55 form of 40 lowercase ASCII hex digits.

    Whole-integer bit operations instead of a per-character loop (this runs on every eligibility
    answer): XOR-ing 0x20 into a lowercase ASCII letter makes it uppercase, and the mask has that
    bit exactly where a letter meets a hash nibble >= 8 (the hash's first 40 hex digits, the top
    40 of its 64).
    """
    nibbles = sha3.keccak_256(lowercase_hex).hexdigest().encode()
    mask = int.from_bytes(lowercase_hex.translate(_LETTER_BIT)) & (
        int.from_bytes(nibbles.translate(_HIGH_NIBBLE_BIT)) >> _HASH_DIGITS_PAST_ADDRESS_BITS)
    return (int.from_bytes(lowercase_hex) ^ mask).to_bytes(40).decode()


def b58encode(raw: bytes) -> str:
    """Base58 (Bitcoin alphabet) text of ``raw``; leading zero bytes become leading ``1``s.

    A 32-byte key is encoded by solders (Rust, ~7x faster: a static export encodes a million)."""
    if len(raw) == SOLANA_ADDRESS_BYTES:
        return str(Pubkey(raw))
    number = int.from_bytes(raw)
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(BASE58_ALPHABET[remainder])
    zeros = len(raw) - len(raw.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def b58decode_pubkey(text: str) -> bytes:
    """The 32 bytes a base58 text encodes; ``InvalidAddressError`` unless it is exactly 32 bytes.

    The decoding is canonical: leading ``1``s are zero bytes and the rest is the minimal big-endian
    number, so one text names one key and one key has one text. solders (Rust) decodes what it
    accepts, ~10x faster (a Solana holder list spent 70% of its parse here); anything it refuses
    goes through ``b58decode_pubkey_python``, which words the reason. A property test holds the two
    to the same bytes.
    """
    if len(text) >= SOLANA_ADDRESS_BYTES:
        try:
            return bytes(Pubkey.from_string(text))
        except ValueError:
            pass
    return b58decode_pubkey_python(text)


def b58decode_pubkey_python(text: str) -> bytes:
    """``b58decode_pubkey`` in Python, with a reason for every refusal."""
    if not text or len(text) > _BASE58_MAX_CHARS:
        raise InvalidAddressError("not an address: expected 0x + 40 hex digits (EVM) or a base58 Solana key")
    number = 0
    index = _BASE58_INDEX
    for char in text:
        digit = index.get(char)
        if digit is None:
            raise InvalidAddressError(
                f"not an address: {char!r} is not a base58 digit (expected 0x + 40 hex digits or a Solana key)")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    length = zeros + (number.bit_length() + 7) // 8
    if length != SOLANA_ADDRESS_BYTES:
        raise InvalidAddressError(f"Solana address must decode to 32 bytes, this one decodes to {length}")
    return number.to_bytes(SOLANA_ADDRESS_BYTES)


def parse_address(text: str) -> Address:
    """Parse an EVM or Solana address (surrounding whitespace stripped); raises ``InvalidAddressError``."""
    if not isinstance(text, str):
        raise InvalidAddressError("address must be text")
    text = text.strip()
    if text[:2] in ("0x", "0X"):
        return _parse_evm(text)
    return Address("solana", text, b58decode_pubkey(text))


def _parse_evm(text: str) -> Address:
    digits = text[2:]
    if text[1] == "X" or len(digits) != 40 or not digits.isascii():
        raise InvalidAddressError("EVM address must be 0x followed by 40 hex digits")
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        raise InvalidAddressError("EVM address must be 0x followed by 40 hex digits") from None
    if len(raw) != EVM_ADDRESS_BYTES:  # fromhex skips whitespace between digit pairs
        raise InvalidAddressError("EVM address must be 0x followed by 40 hex digits")
    # One keccak gives both the answer's canonical text and the check: mixed case must be exactly it.
    lowercase = digits.lower()
    canonical = _eip55_digits(lowercase.encode())
    if digits != canonical and digits != lowercase and digits != digits.upper():
        raise InvalidAddressError("EVM address has mixed case but fails its EIP-55 checksum (a typo?)",
                                  code="invalid_checksum")
    return Address("evm", "0x" + canonical, raw)
