"""``eip191``: personal_sign of exactly the stored EIP-4361 text, with real eth-account keys."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from proof_facts import OTHER_DESTINATION, evm_facts

from portal.domain.proofs import eip191
from portal.domain.proofs.verify import verify_signature
from portal.errors import MalformedSignatureError, SignatureMismatchError

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def personal_sign(account, message: str) -> bytes:
    return bytes(account.sign_message(encode_defunct(text=message)).signature)


def test_eth_account_signature_on_the_built_text_proves_the_holder(holder) -> None:
    facts = evm_facts("eip191", holder.address)
    signature = personal_sign(holder, facts.message)
    proven = verify_signature(facts, "0x" + signature.hex())
    assert (proven.address, proven.method) == (holder.address, "eip191")
    assert Account.recover_message(encode_defunct(text=facts.message), signature=signature) == holder.address


@pytest.mark.parametrize("form", ["no_prefix", "upper_prefix", "v_0_1", "uppercase_hex"])
def test_accepted_encodings(holder, form: str) -> None:
    facts = evm_facts("eip191", holder.address)
    signature = personal_sign(holder, facts.message)
    text = {"no_prefix": signature.hex(), "upper_prefix": "0X" + signature.hex(),
            "v_0_1": "0x" + (signature[:64] + bytes([signature[64] - 27])).hex(),
            "uppercase_hex": "0x" + signature.hex().upper()}[form]
    assert eip191.verify(facts, text).address == holder.address


def test_another_key_is_a_mismatch_naming_the_signer(holder, stranger) -> None:
    facts = evm_facts("eip191", holder.address)
    with pytest.raises(SignatureMismatchError) as caught:
        verify_signature(facts, "0x" + personal_sign(stranger, facts.message).hex())
    assert f"signed by {stranger.address}" in caught.value.detail
    assert holder.address in caught.value.detail and caught.value.field == "signature"
    assert caught.value.status == 422 and caught.value.code == "signature_mismatch"


def test_a_signature_for_another_challenge_is_a_mismatch(holder) -> None:
    mine = evm_facts("eip191", holder.address, nonce="ab" * 16, request_id="req-1")
    other = evm_facts("eip191", holder.address, nonce="ef" * 16, request_id="req-9")
    with pytest.raises(SignatureMismatchError):
        verify_signature(mine, "0x" + personal_sign(holder, other.message).hex())


def test_swapped_destination_is_a_mismatch(holder) -> None:
    stored = evm_facts("eip191", holder.address)
    swapped = evm_facts("eip191", holder.address, destination=OTHER_DESTINATION)
    assert stored.message != swapped.message
    with pytest.raises(SignatureMismatchError):
        verify_signature(stored, "0x" + personal_sign(holder, swapped.message).hex())


@pytest.mark.parametrize("text", [
    "", "0x", "0x" + "ab" * 64, "0x" + "ab" * 66, "0x" + "ab" * 65 + "a", "0x" + "zz" * 65, "0x" + "ab" * 1000,
    "ab" * 64 + "1b", "0x0x" + "ab" * 65, " 0x" + "ab" * 65, "0x" + "éé" * 65, "0x" + "ab " * 43 + "a",
], ids=["empty", "prefix-only", "64-bytes", "66-bytes", "odd-digits", "non-hex", "huge", "truncated-no-prefix",
        "double-prefix", "leading-space", "unicode", "spaced-hex"])
def test_malformed_signatures_are_400(holder, text: str) -> None:
    facts = evm_facts("eip191", holder.address)
    with pytest.raises(MalformedSignatureError) as caught:
        verify_signature(facts, text)
    assert caught.value.status == 400 and caught.value.field == "signature"


def test_truncated_real_signature_is_malformed(holder) -> None:
    facts = evm_facts("eip191", holder.address)
    with pytest.raises(MalformedSignatureError, match="65 bytes"):
        verify_signature(facts, "0x" + personal_sign(holder, facts.message)[:-1].hex())


def test_high_s_twin_is_refused_as_malleable(holder) -> None:
    facts = evm_facts("eip191", holder.address)
    signature = personal_sign(holder, facts.message)
    r, s, v = signature[:32], int.from_bytes(signature[32:64]), signature[64]
    twin = r + (SECP256K1_N - s).to_bytes(32) + bytes([55 - v])  # same key recovers, s > n/2
    with pytest.raises(MalformedSignatureError, match="high s"):
        verify_signature(facts, "0x" + twin.hex())


@pytest.mark.parametrize("v", [2, 26, 29, 35, 255])
def test_v_out_of_range_is_malformed(holder, v: int) -> None:
    facts = evm_facts("eip191", holder.address)
    signature = personal_sign(holder, facts.message)
    with pytest.raises(MalformedSignatureError, match="v must be"):
        verify_signature(facts, "0x" + (signature[:64] + bytes([v])).hex())


def test_r_of_zero_recovers_no_key(holder) -> None:
    facts = evm_facts("eip191", holder.address)
    with pytest.raises((MalformedSignatureError, SignatureMismatchError)):
        verify_signature(facts, "0x" + (bytes(32) + (1).to_bytes(32) + b"\x1b").hex())
