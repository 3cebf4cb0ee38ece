"""``transaction``: real 0-value self-transactions on an in-process EVM (eth-tester + py-evm)."""

from __future__ import annotations

import pytest
from proof_facts import evm_facts

from portal.domain.proofs.chain import Web3Chain
from portal.domain.proofs.messages import nonce_line
from portal.domain.proofs.verify import verify_transaction
from portal.errors import MalformedSignatureError, RpcUnavailableError, SignatureMismatchError, UnprocessableError


@pytest.fixture(scope="module")
def chain(w3) -> Web3Chain:
    return Web3Chain(w3)


@pytest.fixture(scope="module")
def sender(w3) -> str:
    return w3.eth.accounts[1]


def send(w3, sender: str, **fields) -> str:
    tx = w3.eth.send_transaction({"from": sender, "to": sender, "value": 0, **fields})
    return "0x" + bytes(tx).hex()


def test_self_transaction_with_the_nonce_line_proves_the_sender(w3, chain, sender) -> None:
    facts = evm_facts("transaction", sender)
    tx_hash = send(w3, sender, data=nonce_line(facts.nonce).encode())
    proven = verify_transaction(facts, tx_hash, evm_node=chain, min_confirmations=1)
    assert (proven.address, proven.method, proven.detail["tx_hash"]) == (sender, "transaction", tx_hash)


def test_confirmations_are_counted_until_enough(w3, chain, sender) -> None:
    facts = evm_facts("transaction", sender, nonce="c0" * 16)
    tx_hash = send(w3, sender, data=nonce_line(facts.nonce).encode())
    with pytest.raises(UnprocessableError, match="1 of 3 confirmations") as caught:
        verify_transaction(facts, tx_hash, evm_node=chain, min_confirmations=3)
    assert caught.value.code == "not_confirmed" and caught.value.extra == {"confirmations": 1, "required": 3}
    w3.testing.mine(2)
    assert verify_transaction(facts, tx_hash, evm_node=chain, min_confirmations=3).address == sender


@pytest.mark.parametrize(("case", "match"), [
    ("wrong data", "calldata must be exactly"),
    ("another challenge's nonce", "calldata must be exactly"),
    ("nonzero value", "moved 1 wei"),
    ("other recipient", "must be sent to the snapshot address"),
])
def test_each_mismatch_says_what_is_wrong(w3, chain, sender, case: str, match: str) -> None:
    facts = evm_facts("transaction", sender)
    line = nonce_line(facts.nonce).encode()
    fields = {"wrong data": {"data": b"hello"}, "another challenge's nonce": {"data": nonce_line("ef" * 16).encode()},
              "nonzero value": {"data": line, "value": 1},
              "other recipient": {"data": line, "to": w3.eth.accounts[2]}}[case]
    with pytest.raises(UnprocessableError, match=match) as caught:
        verify_transaction(facts, send(w3, sender, **fields), evm_node=chain, min_confirmations=1)
    assert caught.value.code == "transaction_mismatch" and caught.value.field == "tx_hash"


def test_sent_from_another_address_is_a_signature_mismatch(w3, chain, sender) -> None:
    other = w3.eth.accounts[3]
    facts = evm_facts("transaction", sender)
    tx_hash = send(w3, other, to=sender, data=nonce_line(facts.nonce).encode())
    with pytest.raises(SignatureMismatchError, match=f"signed by {other}"):
        verify_transaction(facts, tx_hash, evm_node=chain, min_confirmations=1)


def test_unknown_transaction(chain, sender) -> None:
    with pytest.raises(UnprocessableError) as caught:
        verify_transaction(evm_facts("transaction", sender), "0x" + "ab" * 32, evm_node=chain, min_confirmations=1)
    assert caught.value.code == "transaction_not_found"


@pytest.mark.parametrize("tx_hash", ["", "0x", "ab" * 32, "0x" + "ab" * 31, "0x" + "ab" * 33, "0x" + "zz" * 32,
                                     "0x" + "ab" * 32 + "\n"])
def test_malformed_tx_hash_is_400_before_any_rpc(sender, tx_hash: str) -> None:
    with pytest.raises(MalformedSignatureError) as caught:
        verify_transaction(evm_facts("transaction", sender), tx_hash, evm_node=None, min_confirmations=1)
    assert caught.value.field == "tx_hash" and caught.value.status == 400


def test_unreachable_rpc_is_503(sender) -> None:
    down = Web3Chain.from_url("http://127.0.0.1:9", timeout_seconds=0.5)
    with pytest.raises(RpcUnavailableError):
        verify_transaction(evm_facts("transaction", sender), "0x" + "ab" * 32, evm_node=down, min_confirmations=1)
