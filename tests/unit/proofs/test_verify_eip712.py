"""``eip712``: eth_signTypedData_v4 of the stored MigrationRequest, signed by real eth-account keys
(EVM destinations as ``address``, Solana ones as ``string``)."""

from __future__ import annotations

import copy

import msgspec
import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct, encode_typed_data
from proof_facts import CHAIN_ID, LATER, NOW, OTHER_DESTINATION, evm_facts

from portal.domain.proofs import eip712
from portal.domain.proofs.messages import MessageFields, build_typed_data
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
    facts = msgspec.structs.replace(evm_facts("eip712", holder.address), typed_data=None)
    with pytest.raises(InvalidInputError, match="no typed data"):
        verify_signature(facts, sign_typed(holder, evm_facts("eip712", holder.address).typed_data))


# A Solana destination: the base58 key is a ``string`` field (an ``address`` one cannot encode it).
SOLANA_DESTINATION = "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"


def solana_destination_facts(holder, destination: str = SOLANA_DESTINATION):
    facts = evm_facts("eip712", holder.address, destination=destination)
    typed = build_typed_data(MessageFields(domain="portal.example.org", address=holder.address, destination=destination,
                                           nonce=facts.nonce, issued_at=NOW, expires_at=LATER, chain_id=CHAIN_ID,
                                           destination_chain="solana"))
    return msgspec.structs.replace(facts, typed_data=typed, destination_chain="solana")


def test_a_solana_destination_is_a_string_field_a_wallet_signs(holder) -> None:
    facts = solana_destination_facts(holder)
    fields = {f["name"]: f["type"] for f in facts.typed_data["types"]["MigrationRequest"]}
    assert fields["destination"] == "string" and fields["snapshotAddress"] == "address"
    signature = Account.sign_typed_data(holder.key, full_message=facts.typed_data).signature
    proven = verify_signature(facts, "0x" + bytes(signature).hex())
    assert (proven.address, proven.method) == (holder.address, "eip712")


def test_solana_destination_digest_is_eth_accounts(holder) -> None:
    facts = solana_destination_facts(holder)
    assert eip712.digest(facts.typed_data) == _hash_eip191_message(encode_typed_data(full_message=facts.typed_data))


def test_swapped_solana_destination_is_a_mismatch(holder) -> None:
    stored = solana_destination_facts(holder)
    swapped = solana_destination_facts(holder, destination="9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin")
    with pytest.raises(SignatureMismatchError):
        verify_signature(stored, sign_typed(holder, swapped.typed_data))


def test_the_evm_destination_shape_is_unchanged(holder) -> None:
    """Typed data issued before (and wallets' saved copies) keep their exact shape and digest."""
    facts = evm_facts("eip712", holder.address)
    assert facts.typed_data["types"]["MigrationRequest"] == [
        {"name": "snapshotAddress", "type": "address"}, {"name": "destination", "type": "address"},
        {"name": "nonce", "type": "string"}, {"name": "issuedAt", "type": "uint256"},
        {"name": "expiresAt", "type": "uint256"}]
    assert facts.typed_data["primaryType"] == "MigrationRequest"
    assert set(facts.typed_data["types"]) == {"EIP712Domain", "MigrationRequest"}


def test_stored_typed_data_with_a_solana_key_in_an_address_field_is_a_400_not_a_crash(holder) -> None:
    """What challenges stored before this fix hold: no wallet can sign it, so it is refused in words."""
    facts = evm_facts("eip712", holder.address)
    typed = copy.deepcopy(facts.typed_data)
    typed["message"]["destination"] = SOLANA_DESTINATION
    broken = msgspec.structs.replace(facts, typed_data=typed)
    with pytest.raises(InvalidInputError, match="new challenge"):
        verify_signature(broken, sign_typed(holder, facts.typed_data))
