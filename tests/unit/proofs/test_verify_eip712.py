"""``eip712``: eth_signTypedData_v4 of the stored MigrationRequest, signed by real eth-account keys."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct, encode_typed_data
from proof_facts import OTHER_DESTINATION, evm_facts

from portal.domain.proofs import eip712
from portal.domain.proofs.verify import verify_signature
from portal.errors import InvalidInputError, MalformedSignatureError, SignatureMismatchError


def sign_typed(account, typed_data: dict) -> str:
    return "0x" + bytes(account.sign_message(encode_typed_data(full_message=typed_data)).signature).hex()


def test_sign_typed_data_proves_the_holder(holder) -> None:
    facts = evm_facts("eip712", holder.address)
    signature = Account.sign_typed_data(holder.key, full_message=facts.typed_data).signature
    proven = verify_signature(facts, "0x" + bytes(signature).hex())
    assert (proven.address, proven.method) == (holder.address, "eip712")


def test_sign_message_of_encoded_typed_data_proves_the_holder(holder) -> None:
    facts = evm_facts("eip712", holder.address)
    assert verify_signature(facts, sign_typed(holder, facts.typed_data)).address == holder.address


def test_digest_is_eth_accounts(holder) -> None:
    facts = evm_facts("eip712", holder.address)
    assert eip712.digest(facts.typed_data) == _hash_eip191_message(encode_typed_data(full_message=facts.typed_data))


def test_another_key_is_a_mismatch_naming_the_signer(holder, stranger) -> None:
    facts = evm_facts("eip712", holder.address)
    with pytest.raises(SignatureMismatchError, match=f"signed by {stranger.address}"):
        verify_signature(facts, sign_typed(stranger, facts.typed_data))


def test_swapped_destination_is_a_mismatch(holder) -> None:
    stored = evm_facts("eip712", holder.address)
    swapped = evm_facts("eip712", holder.address, destination=OTHER_DESTINATION)
    with pytest.raises(SignatureMismatchError):
        verify_signature(stored, sign_typed(holder, swapped.typed_data))


def test_another_challenges_typed_data_is_a_mismatch(holder) -> None:
    stored = evm_facts("eip712", holder.address, nonce="ab" * 16)
    other = evm_facts("eip712", holder.address, nonce="ef" * 16)
    with pytest.raises(SignatureMismatchError):
        verify_signature(stored, sign_typed(holder, other.typed_data))


def test_personal_sign_of_the_text_does_not_answer_a_typed_data_challenge(holder) -> None:
    facts = evm_facts("eip712", holder.address)
    personal = "0x" + bytes(holder.sign_message(encode_defunct(text=facts.message)).signature).hex()
    with pytest.raises(SignatureMismatchError):
        verify_signature(facts, personal)


def test_malformed_typed_data_signature_is_400(holder) -> None:
    facts = evm_facts("eip712", holder.address)
    with pytest.raises(MalformedSignatureError):
        verify_signature(facts, sign_typed(holder, facts.typed_data)[:-2])


def test_challenge_without_typed_data_is_refused(holder) -> None:
    import msgspec

    facts = msgspec.structs.replace(evm_facts("eip712", holder.address), typed_data=None)
    with pytest.raises(InvalidInputError, match="no typed data"):
        verify_signature(facts, sign_typed(holder, evm_facts("eip712", holder.address).typed_data))
