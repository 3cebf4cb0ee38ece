"""``eip1271``: the compiled ERC1271Wallet deployed on a real in-process EVM (eth-tester + py-evm)."""

from __future__ import annotations

import pytest
from eth_account.messages import encode_defunct
from proof_facts import TESTER_CHAIN_ID, evm_facts

from portal.domain.proofs.chain import Web3Chain
from portal.domain.proofs.secp256k1 import eip191_digest
from portal.domain.proofs.verify import verify_signature
from portal.errors import (
    MalformedSignatureError,
    RpcUnavailableError,
    RpcWrongChainError,
    SignatureMismatchError,
    UnprocessableError,
)

STOP_ONLY_CONTRACT = "0x600060005360016000f3"  # init code whose runtime code is one STOP: no isValidSignature


def facts_on_tester(address: str, **fields: str):
    """An ``eip1271`` challenge on the tester chain's own chain id (a contract wallet proves on one chain only)."""
    return evm_facts("eip1271", address, chain_id=TESTER_CHAIN_ID, **fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def calls() -> list[tuple[str, float]]:
    return []


@pytest.fixture(scope="module")
def chain(w3, calls) -> Web3Chain:
    return Web3Chain(w3, on_call=lambda method, seconds: calls.append((method, seconds)))


@pytest.fixture(scope="module")
def wallet(w3, holder, wallet_artifact) -> str:
    factory = w3.eth.contract(abi=wallet_artifact["abi"], bytecode=wallet_artifact["bytecode"])
    tx = factory.constructor(holder.address).transact({"from": w3.eth.accounts[0]})
    return w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]


def personal_sign(account, message: str) -> str:
    return "0x" + bytes(account.sign_message(encode_defunct(text=message)).signature).hex()


def test_owner_signature_is_accepted_by_the_wallet(chain, wallet, holder, calls) -> None:
    facts = facts_on_tester(wallet)
    calls.clear()
    proven = verify_signature(facts, personal_sign(holder, facts.message), evm_node=chain)
    assert (proven.address, proven.method, proven.detail) == (wallet, "eip1271", {"contract_wallet": True,
                                                                                  "chain_id": TESTER_CHAIN_ID})
    assert [method for method, _ in calls] == ["eth_chainId", "eth_getCode", "eth_call"]
    assert all(seconds >= 0 for _, seconds in calls)


def test_the_wallet_is_asked_about_the_eip191_digest(w3, wallet, holder, wallet_artifact) -> None:
    facts = facts_on_tester(wallet)
    contract = w3.eth.contract(address=wallet, abi=wallet_artifact["abi"])
    signature = bytes.fromhex(personal_sign(holder, facts.message)[2:])
    assert contract.functions.isValidSignature(eip191_digest(facts.message), signature).call() == bytes.fromhex(
        "1626ba7e")


def test_another_key_is_a_mismatch(chain, wallet, stranger) -> None:
    facts = facts_on_tester(wallet)
    with pytest.raises(SignatureMismatchError, match="0xffffffff"):
        verify_signature(facts, personal_sign(stranger, facts.message), evm_node=chain)


def test_owner_signature_for_another_challenge_is_a_mismatch(chain, wallet, holder) -> None:
    facts = facts_on_tester(wallet, nonce="ab" * 16)
    other = facts_on_tester(wallet, nonce="ef" * 16)
    with pytest.raises(SignatureMismatchError):
        verify_signature(facts, personal_sign(holder, other.message), evm_node=chain)


def test_signature_of_another_length_is_refused_by_the_wallet(chain, wallet) -> None:
    with pytest.raises(SignatureMismatchError):
        verify_signature(facts_on_tester(wallet), "0x" + "ab" * 10, evm_node=chain)


def test_an_eoa_is_not_a_contract_wallet(chain, holder) -> None:
    facts = facts_on_tester(holder.address)
    with pytest.raises(UnprocessableError) as caught:
        verify_signature(facts, personal_sign(holder, facts.message), evm_node=chain)
    assert caught.value.code == "not_a_contract" and caught.value.status == 422


def test_a_contract_without_is_valid_signature_is_a_mismatch(w3, chain, holder) -> None:
    tx = w3.eth.send_transaction({"from": w3.eth.accounts[0], "data": STOP_ONLY_CONTRACT})
    contract = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    assert w3.eth.get_code(contract) == b"\x00"
    facts = facts_on_tester(contract)
    with pytest.raises(SignatureMismatchError, match="returned 0xnothing"):
        verify_signature(facts, personal_sign(holder, facts.message), evm_node=chain)


@pytest.mark.parametrize("text", ["", "0x", "0xzz", "0x" + "ab" * 4097, "0xabc", "0xab cd", "0x\u0661\u0662"])
def test_malformed_signatures_are_400_without_asking_the_node(wallet, text: str) -> None:
    with pytest.raises(MalformedSignatureError):
        verify_signature(facts_on_tester(wallet), text, evm_node=None)


def test_unreachable_rpc_is_503(wallet, holder) -> None:
    calls: list[str] = []
    down = Web3Chain.from_url("http://127.0.0.1:9", timeout_seconds=0.5, on_call=lambda m, s: calls.append(m))
    facts = facts_on_tester(wallet)
    with pytest.raises(RpcUnavailableError) as caught:
        verify_signature(facts, personal_sign(holder, facts.message), evm_node=down)
    assert caught.value.status == 503 and calls == ["eth_chainId"]


def test_no_configured_rpc_is_503(wallet, holder) -> None:
    facts = facts_on_tester(wallet)
    with pytest.raises(RpcUnavailableError, match="PORTAL_EVM_RPC_URL"):
        verify_signature(facts, personal_sign(holder, facts.message), evm_node=None)


def test_the_tester_chain_id_is_the_nodes(w3) -> None:
    assert w3.eth.chain_id == TESTER_CHAIN_ID


def test_a_node_of_another_chain_is_refused_before_the_wallet_is_asked(chain, wallet, holder, calls) -> None:
    """The challenge is pinned to chain 1; the node answers for the tester chain: the same address there is
    another account, so nothing is asked of it and the holder is told the node is on another chain."""
    facts = evm_facts("eip1271", wallet, chain_id=1)
    calls.clear()
    with pytest.raises(RpcWrongChainError) as caught:
        verify_signature(facts, personal_sign(holder, facts.message), evm_node=chain)
    assert (caught.value.status, caught.value.code) == (503, "rpc_wrong_chain")
    assert caught.value.extra == {"setting": "PORTAL_EVM_RPC_URL", "chain_id": 1, "node_chain_id": TESTER_CHAIN_ID}
    assert [method for method, _ in calls] == ["eth_chainId"]
