"""The ``solana_tx`` transaction a challenge hands out, and the two answers to it: a bare signature
(Tangem's ``solana_signTransaction`` answer) and the whole signed transaction. Real ed25519 keys
(solders / PyNaCl); LiteSVM (a real Solana runtime, in process) shows the transaction is harmless."""

from __future__ import annotations

import base64

import base58
import msgspec
import pytest
from nacl.signing import SigningKey
from proof_facts import solana_facts
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message
from solders.transaction import Transaction

from portal.domain.proofs import solana_tx
from portal.domain.proofs.messages import nonce_line
from portal.domain.proofs.verify import verify_signature, verify_solana_transaction
from portal.errors import MalformedSignatureError, SignatureMismatchError, UnprocessableError
from portal.settings import MAX_EVM_CHAIN_ID

HOLDER = Keypair.from_seed(b"\x61" * 32)
STRANGER = Keypair.from_seed(b"\x62" * 32)


def challenge_facts(keypair: Keypair = HOLDER, nonce: str = "cd" * 16, **changes):
    """What ``challenges.issue`` stores for a ``solana_tx`` challenge (the memo built from the same facts)."""
    facts = msgspec.structs.replace(solana_facts("solana_tx", str(keypair.pubkey()), nonce=nonce), **changes)
    unsigned = solana_tx.build_unsigned(facts.snapshot_address, solana_tx.memo_of(facts), nonce)
    return msgspec.structs.replace(facts, unsigned_transaction=unsigned)


def unsigned(facts) -> Transaction:
    return Transaction.from_bytes(base64.b64decode(facts.unsigned_transaction))


def tangem_answer(keypair: Keypair, facts) -> str:
    """What the Tangem app's solana_signTransaction returns: {signature}, base58, over the message."""
    message = bytes(unsigned(facts).message)
    return base58.b58encode(SigningKey(bytes(keypair)[:32]).sign(message).signature).decode()


def test_the_unsigned_transaction_is_one_memo_signed_by_the_snapshot_key() -> None:
    facts = challenge_facts()
    tx = unsigned(facts)
    message = tx.message
    assert isinstance(message, Message)  # legacy wire format
    assert message.account_keys[0] == HOLDER.pubkey()  # fee payer
    assert message.header.num_required_signatures == 1 and message.is_signer(0)
    [instruction] = message.instructions
    assert str(message.account_keys[instruction.program_id_index]) == str(solana_tx.MEMO_V2)
    assert bytes(instruction.data) == solana_tx.memo_of(facts).encode()
    assert list(instruction.accounts) == [0]  # the memo names the snapshot key as its signer
    assert bytes(tx.signatures[0]) == bytes(64)  # signature slot zeroed


def test_the_memo_names_the_snapshot_address_the_destination_and_its_chain() -> None:
    evm = challenge_facts()
    assert solana_tx.memo_of(evm) == (
        f"migration-portal request: I own {HOLDER.pubkey()} and ask that its migrated allocation be sent to "
        f"{evm.destination} on EVM chain 1 (eip155:1). Nonce: {evm.nonce}")
    to_solana = challenge_facts(destination=str(STRANGER.pubkey()), destination_chain="solana")
    assert solana_tx.memo_of(to_solana).endswith(
        f"be sent to {STRANGER.pubkey()} on Solana (solana:mainnet). Nonce: {to_solana.nonce}")
    assert solana_tx.memo_of(to_solana).isascii() and solana_tx.memo_of(to_solana).isprintable()


# The longest each field can be: a Solana key of 44 base58 characters (all 0xff bytes; the key of seed 0
# below is 44 characters too, and signs), an EVM address of 42, the largest EVM chain id the settings allow.
LONGEST_SOLANA = "JEKNVnkbo3jma5nREBBJCDoXFVeKkD56V3xKrvRmWxFG"
LONG_KEY = Keypair.from_seed(bytes(32))


@pytest.mark.parametrize(("destination", "chain", "chain_id", "size"), [
    (LONGEST_SOLANA, "solana", 1, 408),
    ("0x" + "f" * 40, "evm", MAX_EVM_CHAIN_ID, 435),
], ids=["to-solana", "to-evm"])
def test_the_unsigned_transaction_is_small_enough_for_a_card(destination: str, chain: str, chain_id: int,
                                                             size: int) -> None:
    """Solana's packet limit is 1232 bytes; the Tangem app treats 930 bytes or more as a "long" transaction."""
    assert len(LONGEST_SOLANA) == len(str(LONG_KEY.pubkey())) == 44
    memo = solana_tx.memo_text(LONGEST_SOLANA, destination, chain, chain_id, "ab" * 16)
    wire = base64.b64decode(solana_tx.build_unsigned(LONGEST_SOLANA, memo, "ab" * 16))
    assert len(wire) == size
    assert len(wire) <= solana_tx.MAX_UNSIGNED_TRANSACTION_BYTES < solana_tx.TANGEM_TRANSACTION_BYTES \
        < solana_tx.MAX_TRANSACTION_BYTES


def test_the_longest_transaction_signs_and_verifies() -> None:
    facts = challenge_facts(LONG_KEY, destination=LONGEST_SOLANA, destination_chain="solana",
                            chain_id=MAX_EVM_CHAIN_ID)
    assert len(base64.b64decode(facts.unsigned_transaction)) == 408
    assert verify_signature(facts, tangem_answer(LONG_KEY, facts)).detail["memo"] == solana_tx.memo_of(facts)
    message = unsigned(facts).message
    wire = bytes(Transaction([LONG_KEY], message, message.recent_blockhash))
    assert len(wire) <= solana_tx.MAX_UNSIGNED_TRANSACTION_BYTES
    assert verify_solana_transaction(facts, base64.b64encode(wire).decode()).detail["layout"] == "exact"


def test_the_blockhash_is_derived_from_the_nonce() -> None:
    first, again, other = (unsigned(challenge_facts(nonce=n)).message.recent_blockhash
                           for n in ("cd" * 16, "cd" * 16, "ef" * 16))
    assert first == again != other
    assert first == solana_tx.placeholder_blockhash("cd" * 16)


def test_a_cluster_would_refuse_it_if_anyone_broadcast_it() -> None:
    svm = LiteSVM()
    svm.airdrop(HOLDER.pubkey(), 10**9)
    message = unsigned(challenge_facts()).message
    signed = Transaction([HOLDER], message, message.recent_blockhash)
    result = svm.send_transaction(signed)
    assert "BlockhashNotFound" in str(result.err())  # type: ignore[union-attr]
    assert svm.get_balance(HOLDER.pubkey()) == 10**9  # not even the fee was taken


def test_tangem_signature_only_answer_is_accepted() -> None:
    facts = challenge_facts()
    proven = verify_signature(facts, tangem_answer(HOLDER, facts))
    assert proven.address == str(HOLDER.pubkey())
    assert proven.detail["layout"] == "signature_only"


def test_signature_only_answer_in_hex_is_accepted() -> None:
    facts = challenge_facts()
    raw = base58.b58decode(tangem_answer(HOLDER, facts))
    assert verify_signature(facts, raw.hex()).method == "solana_tx"


def test_signature_over_a_different_message_is_a_mismatch() -> None:
    facts = challenge_facts()
    other = challenge_facts(nonce="ef" * 16)  # the same key, another challenge's transaction
    with pytest.raises(SignatureMismatchError, match="unsigned_transaction"):
        verify_signature(facts, tangem_answer(HOLDER, other))


def test_signature_by_another_key_is_a_mismatch() -> None:
    facts = challenge_facts()
    with pytest.raises(SignatureMismatchError):
        verify_signature(facts, tangem_answer(STRANGER, facts))


def test_malformed_signature_is_a_400() -> None:
    with pytest.raises(MalformedSignatureError):
        verify_signature(challenge_facts(), "not-a-signature!")


@pytest.mark.parametrize("encoding", ["base64", "base58"])
def test_the_whole_signed_transaction_is_accepted_exactly(encoding: str) -> None:
    facts = challenge_facts()
    message = unsigned(facts).message
    wire = bytes(Transaction([HOLDER], message, message.recent_blockhash))
    text = base64.b64encode(wire).decode() if encoding == "base64" else base58.b58encode(wire).decode()
    proven = verify_solana_transaction(facts, text)
    assert proven.detail == {"layout": "exact", "memo": solana_tx.memo_of(facts), "version": "legacy"}


def test_the_exact_transaction_signed_by_another_key_is_a_mismatch() -> None:
    facts = challenge_facts()
    tx = unsigned(facts)
    forged = Transaction.populate(tx.message, [STRANGER.sign_message(bytes(tx.message))])
    with pytest.raises(SignatureMismatchError, match="does not verify"):
        verify_solana_transaction(facts, base64.b64encode(bytes(forged)).decode())


def test_a_wallet_that_refreshes_the_blockhash_is_still_accepted_as_rebuilt() -> None:
    facts = challenge_facts()
    fresh = Hash.new_unique()
    rebuilt = Message.new_with_blockhash([_memo(facts)], HOLDER.pubkey(), fresh)
    assert bytes(rebuilt) != bytes(unsigned(facts).message)
    text = base64.b64encode(bytes(Transaction([HOLDER], rebuilt, fresh))).decode()
    assert verify_solana_transaction(facts, text).detail["layout"] == "rebuilt"


def test_a_challenge_stored_with_the_old_nonce_only_memo_is_refused() -> None:
    """Stored before the memo named the addresses: its transaction no longer says what this challenge asks."""
    facts = challenge_facts()
    old = msgspec.structs.replace(facts, unsigned_transaction=solana_tx.build_unsigned(
        facts.snapshot_address, nonce_line(facts.nonce), facts.nonce))
    with pytest.raises(UnprocessableError, match="memo must be exactly") as caught:
        verify_signature(old, tangem_answer(HOLDER, old))
    assert caught.value.field == "challenge_id"


def test_a_stored_transaction_for_another_destination_is_refused() -> None:
    """The memo is checked against the stored facts, not only against the stored bytes."""
    facts = challenge_facts()
    elsewhere = challenge_facts(destination="0x2222222222222222222222222222222222222222")
    swapped = msgspec.structs.replace(facts, unsigned_transaction=elsewhere.unsigned_transaction)
    with pytest.raises(UnprocessableError, match="memo must be exactly"):
        verify_signature(swapped, tangem_answer(HOLDER, swapped))


def _memo(facts) -> Instruction:
    return Instruction(solana_tx.MEMO_V2, solana_tx.memo_of(facts).encode(),
                       [AccountMeta(HOLDER.pubkey(), is_signer=True, is_writable=True)])
