"""``solana``: ed25519 over the stored text with real PyNaCl keys, plain and in both off-chain
message layouts (the envelopes are built here from the spec, not by the code under test)."""

from __future__ import annotations

import hashlib

import base58
import pytest
from nacl.signing import SigningKey
from proof_facts import HOST, OTHER_DESTINATION, solana_facts

from portal.domain.proofs.verify import verify_signature
from portal.errors import MalformedSignatureError, SignatureMismatchError

SIGNING_DOMAIN = b"\xffsolana offchain"
APP_DOMAIN = hashlib.sha256(HOST.encode()).digest()


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey(b"\x33" * 32)


def address_of(key: SigningKey) -> str:
    return base58.b58encode(bytes(key.verify_key)).decode()


def current_layout(message: bytes, signer: bytes, *, fmt: int = 1, domain: bytes = APP_DOMAIN,
                   signers: tuple[bytes, ...] | None = None) -> bytes:
    listed = signers or (signer,)
    return (SIGNING_DOMAIN + bytes([0]) + domain + bytes([fmt, len(listed)]) + b"".join(listed)
            + len(message).to_bytes(2, "little") + message)


def legacy_layout(message: bytes, *, fmt: int = 1) -> bytes:
    return SIGNING_DOMAIN + bytes([0, fmt]) + len(message).to_bytes(2, "little") + message


def check(facts, signature: bytes, encoding: str = "base58"):
    text = base58.b58encode(signature).decode() if encoding == "base58" else signature.hex()
    return verify_signature(facts, text, app_domain=APP_DOMAIN)


@pytest.mark.parametrize("encoding", ["base58", "hex"])
def test_sign_message_of_the_plain_text(key: SigningKey, encoding: str) -> None:
    facts = solana_facts("solana", address_of(key))
    proven = check(facts, key.sign(facts.message.encode()).signature, encoding)
    assert (proven.address, proven.method, proven.detail["layout"]) == (address_of(key), "solana", "plain")


def test_0x_hex_is_accepted(key: SigningKey) -> None:
    facts = solana_facts("solana", address_of(key))
    signature = key.sign(facts.message.encode()).signature
    assert verify_signature(facts, "0x" + signature.hex(), app_domain=APP_DOMAIN).address == facts.snapshot_address


@pytest.mark.parametrize(("name", "build"), [
    ("current, format 1 (Solana SDK, @solana/kit)", lambda m, s: current_layout(m, s, fmt=1)),
    ("current, format 0 (Ledger reads LF as ASCII)", lambda m, s: current_layout(m, s, fmt=0)),
    ("current, zero application domain", lambda m, s: current_layout(m, s, domain=bytes(32))),
    ("legacy, format 1 (solana sign-offchain-message)", lambda m, s: legacy_layout(m, fmt=1)),
    ("legacy, format 0", lambda m, s: legacy_layout(m, fmt=0)),
])
def test_offchain_envelopes(key: SigningKey, name: str, build) -> None:
    facts = solana_facts("solana", address_of(key))
    envelope = build(facts.message.encode(), bytes(key.verify_key))
    proven = check(facts, key.sign(envelope).signature)
    assert proven.detail["layout"].startswith("offchain_v0"), name


@pytest.mark.parametrize(("name", "build"), [
    ("another application domain", lambda m, s: current_layout(m, s, domain=b"\x01" * 32)),
    ("a format byte that is no format", lambda m, s: current_layout(m, s, fmt=3)),
    ("a wrong length", lambda m, s: legacy_layout(m)[:-len(m) - 2] + (len(m) + 1).to_bytes(2, "little") + m),
    ("another signer listed", lambda m, s: current_layout(m, b"\x07" * 32, signers=(b"\x07" * 32,))),
    ("a second signer listed", lambda m, s: current_layout(m, s, signers=(s, b"\x07" * 32))),
    ("header version 1", lambda m, s: SIGNING_DOMAIN + b"\x01" + legacy_layout(m)[17:]),
])
def test_envelopes_that_are_not_ours_are_mismatches(key: SigningKey, name: str, build) -> None:
    facts = solana_facts("solana", address_of(key))
    with pytest.raises(SignatureMismatchError):
        check(facts, key.sign(build(facts.message.encode(), bytes(key.verify_key))).signature)


def test_a_signature_over_a_different_message_is_a_mismatch(key: SigningKey) -> None:
    stored = solana_facts("solana", address_of(key))
    swapped = solana_facts("solana", address_of(key), destination=OTHER_DESTINATION)
    with pytest.raises(SignatureMismatchError, match=stored.snapshot_address):
        check(stored, key.sign(swapped.message.encode()).signature)


def test_another_challenges_message_is_a_mismatch(key: SigningKey) -> None:
    stored = solana_facts("solana", address_of(key), nonce="cd" * 16)
    other = solana_facts("solana", address_of(key), nonce="ef" * 16)
    with pytest.raises(SignatureMismatchError):
        check(stored, key.sign(other.message.encode()).signature)


def test_another_key_is_a_mismatch(key: SigningKey) -> None:
    facts = solana_facts("solana", address_of(key))
    with pytest.raises(SignatureMismatchError):
        check(facts, SigningKey(b"\x44" * 32).sign(facts.message.encode()).signature)


@pytest.mark.parametrize("text", ["", "0x", "ab" * 63, "ab" * 65, "zz" * 64, "0OIl" * 20, "1" * 300,
                                  base58.b58encode(b"\x01" * 63).decode(), base58.b58encode(b"\x01" * 65).decode()])
def test_malformed_signatures_are_400(key: SigningKey, text: str) -> None:
    facts = solana_facts("solana", address_of(key))
    with pytest.raises(MalformedSignatureError) as caught:
        verify_signature(facts, text, app_domain=APP_DOMAIN)
    assert caught.value.status == 400 and caught.value.field == "signature"
