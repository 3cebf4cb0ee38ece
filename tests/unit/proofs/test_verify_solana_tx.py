"""``solana_tx``: real memo transactions built and signed with solders (legacy and v0), never sent."""

from __future__ import annotations

import base64

import base58
import pytest
from proof_facts import solana_facts
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.transaction import Transaction, VersionedTransaction

from portal.domain.proofs.messages import nonce_line
from portal.domain.proofs.solana_tx import memo_of
from portal.domain.proofs.verify import verify_solana_transaction
from portal.errors import MalformedSignatureError, SignatureMismatchError, UnprocessableError

MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
MEMO_V1 = Pubkey.from_string("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo")
COMPUTE_BUDGET = Pubkey.from_string("ComputeBudget111111111111111111111111111111")
SYSTEM = Pubkey.from_string("11111111111111111111111111111111")
BLOCKHASH = Hash.new_unique()


@pytest.fixture(scope="module")
def payer() -> Keypair:
    return Keypair.from_seed(b"\x55" * 32)


def facts_for(payer: Keypair):
    return solana_facts("solana_tx", str(payer.pubkey()))


def memo(facts, program: Pubkey = MEMO, data: bytes | None = None, signer: Pubkey | None = None) -> Instruction:
    accounts = [AccountMeta(signer, is_signer=True, is_writable=False)] if signer else []
    return Instruction(program, memo_of(facts).encode() if data is None else data, accounts)


def legacy(payer: Keypair, *instructions: Instruction, signers: list[Keypair] | None = None) -> str:
    message = Message.new_with_blockhash(list(instructions), payer.pubkey(), BLOCKHASH)
    return base64.b64encode(bytes(Transaction(signers or [payer], message, BLOCKHASH))).decode()


def v0(payer: Keypair, *instructions: Instruction) -> bytes:
    message = MessageV0.try_compile(payer.pubkey(), list(instructions), [], BLOCKHASH)
    return bytes(VersionedTransaction(message, [payer]))


@pytest.mark.parametrize("program", [MEMO, MEMO_V1], ids=["memo-v2", "memo-v1"])
def test_legacy_memo_transaction_base64(payer: Keypair, program: Pubkey) -> None:
    facts = facts_for(payer)
    proven = verify_solana_transaction(facts, legacy(payer, memo(facts, program)))
    assert (proven.address, proven.method) == (str(payer.pubkey()), "solana_tx")
    assert proven.detail == {"layout": "rebuilt", "memo": memo_of(facts), "version": "legacy"}


def test_v0_memo_transaction_base58(payer: Keypair) -> None:
    facts = facts_for(payer)
    proven = verify_solana_transaction(facts, base58.b58encode(v0(payer, memo(facts))).decode())
    assert proven.detail["version"] == "v0"


def test_memo_naming_the_payer_as_signer_and_compute_budget_are_allowed(payer: Keypair) -> None:
    facts = facts_for(payer)
    limit = Instruction(COMPUTE_BUDGET, bytes([2]) + (200_000).to_bytes(4, "little"), [])
    price = Instruction(COMPUTE_BUDGET, bytes([3]) + (1).to_bytes(8, "little"), [])
    text = legacy(payer, limit, price, memo(facts, signer=payer.pubkey()))
    assert verify_solana_transaction(facts, text).address == str(payer.pubkey())


def test_base58_text_that_is_also_valid_base64(payer: Keypair) -> None:
    facts = facts_for(payer)
    for extra in range(64):  # vary the compute-unit limit until the base58 text has a length divisible by 4
        raw = v0(payer, Instruction(COMPUTE_BUDGET, bytes([2]) + extra.to_bytes(4, "little"), []), memo(facts))
        text = base58.b58encode(raw).decode()
        if len(text) % 4 == 0:
            break
    base64.b64decode(text, validate=True)  # decodes, to garbage
    assert verify_solana_transaction(facts, text).address == str(payer.pubkey())


def test_wrong_fee_payer_is_a_mismatch_naming_it(payer: Keypair) -> None:
    facts, other = facts_for(payer), Keypair.from_seed(b"\x66" * 32)
    with pytest.raises(SignatureMismatchError, match=f"fee payer is {other.pubkey()}"):
        verify_solana_transaction(facts, legacy(other, memo(facts)))


def test_fee_payer_signature_by_another_key_is_a_mismatch(payer: Keypair) -> None:
    facts, other = facts_for(payer), Keypair.from_seed(b"\x66" * 32)
    message = Message.new_with_blockhash([memo(facts)], payer.pubkey(), BLOCKHASH)
    forged = Transaction.populate(message, [other.sign_message(bytes(message))])
    with pytest.raises(SignatureMismatchError, match="does not verify"):
        verify_solana_transaction(facts, base64.b64encode(bytes(forged)).decode())


def test_signature_over_another_blockhash_is_a_mismatch(payer: Keypair) -> None:
    facts = facts_for(payer)
    message = Message.new_with_blockhash([memo(facts)], payer.pubkey(), BLOCKHASH)
    other_message = Message.new_with_blockhash([memo(facts)], payer.pubkey(), Hash.new_unique())
    tampered = Transaction.populate(message, [payer.sign_message(bytes(other_message))])
    with pytest.raises(SignatureMismatchError):
        verify_solana_transaction(facts, base64.b64encode(bytes(tampered)).decode())


def test_extra_instruction_is_refused(payer: Keypair) -> None:
    facts = facts_for(payer)
    transfer = Instruction(SYSTEM, bytes([2, 0, 0, 0]) + (1).to_bytes(8, "little"),
                           [AccountMeta(payer.pubkey(), True, True), AccountMeta(Pubkey.new_unique(), False, True)])
    with pytest.raises(UnprocessableError, match="only a memo") as caught:
        verify_solana_transaction(facts, legacy(payer, memo(facts), transfer))
    assert caught.value.code == "transaction_mismatch" and caught.value.field == "signed_transaction"


@pytest.mark.parametrize("case", ["wrong memo", "no memo", "two memos", "other challenge", "nonce only",
                                  "other destination", "other chain", "memo with a space added"])
def test_memo_must_be_exactly_this_challenges_memo(payer: Keypair, case: str) -> None:
    facts = facts_for(payer)
    exact = memo_of(facts)
    instructions = {
        "wrong memo": [memo(facts, data=b"hello")],
        "no memo": [Instruction(COMPUTE_BUDGET, bytes([3]) + bytes(8), [])],
        "two memos": [memo(facts), memo(facts, MEMO_V1)],
        "other challenge": [memo(facts, data=exact.replace(facts.nonce, "ef" * 16).encode())],
        "nonce only": [memo(facts, data=nonce_line(facts.nonce).encode())],
        "other destination": [memo(facts, data=exact.replace(facts.destination, "0x" + "22" * 20).encode())],
        "other chain": [memo(facts, data=exact.replace("eip155:1)", "eip155:10)").encode())],
        "memo with a space added": [memo(facts, data=(exact + " ").encode())],
    }[case]
    with pytest.raises(UnprocessableError) as caught:
        verify_solana_transaction(facts, legacy(payer, *instructions))
    assert caught.value.code == "transaction_mismatch"


@pytest.mark.parametrize("text", ["", "!!!", "AAAA", base64.b64encode(b"\x01" + bytes(10)).decode(), "1" * 5000,
                                  base64.b64encode(bytes(300)).decode()])
def test_malformed_transactions_are_400(payer: Keypair, text: str) -> None:
    with pytest.raises(MalformedSignatureError) as caught:
        verify_solana_transaction(facts_for(payer), text)
    assert caught.value.status == 400 and caught.value.field == "signed_transaction"
