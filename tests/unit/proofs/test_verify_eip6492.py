"""EIP-6492: a counterfactual Safe (Safe's own proxy factory on a real in-process EVM) signs before it is
deployed; the portal checks the wrapped signature in one deployless ``eth_call``, and the same signature again
after the account is deployed."""

from __future__ import annotations

import pytest
from eth_abi import encode
from proof_facts import TESTER_CHAIN_ID, evm_facts

from portal.domain.proofs import eip6492
from portal.domain.proofs.chain import Web3Chain
from portal.domain.proofs.safe_signatures import safe_message_hash
from portal.domain.proofs.secp256k1 import eip191_digest
from portal.domain.proofs.verify import verify_signature
from portal.errors import MalformedSignatureError, RpcWrongChainError, SignatureMismatchError, UnprocessableError
from tests.chains.safe import SafeKit, owners


def facts_on_tester(address: str, **fields: str):
    """An ``eip1271`` challenge on the tester chain's own chain id (a contract wallet proves on one chain only)."""
    return evm_facts("eip1271", address, chain_id=TESTER_CHAIN_ID, **fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def kit(w3) -> SafeKit:
    return SafeKit(w3)


@pytest.fixture(scope="module")
def calls() -> list[str]:
    return []


@pytest.fixture(scope="module")
def chain(w3, calls) -> Web3Chain:
    return Web3Chain(w3, on_call=lambda method, seconds: calls.append(method))


def wrapped_signature(w3, kit: SafeKit, owner, message: str, salt: int) -> tuple[str, str]:
    """The counterfactual Safe's address and the owner's EIP-6492 signature of the challenge message."""
    factory, calldata = kit.creation_call([owner.address], 1, salt)
    safe = kit.predict([owner.address], 1, salt)
    inner = bytes(owner.unsafe_sign_hash(safe_message_hash(w3.eth.chain_id, safe, eip191_digest(message))).signature)
    return safe, "0x" + (encode(["address", "bytes", "bytes"], [factory, calldata, inner]) + eip6492.SUFFIX).hex()


def test_a_counterfactual_safe_proves_ownership_before_and_after_deployment(w3, kit, chain, calls) -> None:
    [owner] = owners(0x31)
    safe, _ = wrapped_signature(w3, kit, owner, "", 1)
    facts = facts_on_tester(safe)
    safe, signature = wrapped_signature(w3, kit, owner, facts.message, 1)
    assert w3.eth.get_code(safe) == b""
    calls.clear()
    proven = verify_signature(facts, signature, evm_node=chain)
    assert proven.address == safe and proven.detail == {
        "contract_wallet": True, "chain_id": TESTER_CHAIN_ID, "eip6492": True, "deployed_when_checked": False,
        "factory": kit.factory.address}
    assert calls == ["eth_chainId", "eth_getCode", "eth_call"]  # the check itself is one deployless call
    assert w3.eth.get_code(safe) == b""  # nothing was sent: the account is still not deployed

    assert kit.create([owner.address], 1, 1) == safe
    again = verify_signature(facts, signature, evm_node=chain)
    assert again.detail["deployed_when_checked"] is True


def test_another_key_inside_the_wrapper_is_a_mismatch(w3, kit, chain) -> None:
    [owner, stranger] = owners(0x32, 0x33)
    safe, _ = wrapped_signature(w3, kit, owner, "", 2)
    facts = facts_on_tester(safe)
    factory, calldata = kit.creation_call([owner.address], 1, 2)
    inner = bytes(stranger.unsafe_sign_hash(safe_message_hash(w3.eth.chain_id, safe,
                                                              eip191_digest(facts.message))).signature)
    forged = "0x" + (encode(["address", "bytes", "bytes"], [factory, calldata, inner]) + eip6492.SUFFIX).hex()
    with pytest.raises(SignatureMismatchError, match="EIP-6492"):
        verify_signature(facts, forged, evm_node=chain)


def test_a_wrapper_deploying_another_account_is_a_mismatch(w3, kit, chain) -> None:
    """The factory call deploys the owner's Safe with salt 4, but the challenge names the Safe of salt 3."""
    [owner] = owners(0x34)
    safe_3, _ = wrapped_signature(w3, kit, owner, "", 3)
    facts = facts_on_tester(safe_3)
    _, signature_4 = wrapped_signature(w3, kit, owner, facts.message, 4)
    with pytest.raises(SignatureMismatchError):
        verify_signature(facts, signature_4, evm_node=chain)


def test_a_plain_signature_for_an_undeployed_account_is_still_not_a_contract(w3, kit, chain) -> None:
    [owner] = owners(0x35)
    safe, _ = wrapped_signature(w3, kit, owner, "", 5)
    with pytest.raises(UnprocessableError) as caught:
        verify_signature(facts_on_tester(safe), "0x" + "ab" * 65, evm_node=chain)
    assert caught.value.code == "not_a_contract"


def test_a_suffix_on_garbage_is_400_before_any_rpc(calls) -> None:
    calls.clear()
    with pytest.raises(MalformedSignatureError, match="EIP-6492"):
        verify_signature(facts_on_tester("0x" + "12" * 20), "0x" + "ff" * 40 + "6492" * 16, evm_node=None)
    assert calls == []


def test_the_committed_validator_is_the_reviewed_bytecode() -> None:
    assert len(eip6492.validator_init_code()) > 1000


def test_a_counterfactual_account_on_another_chain_is_refused_before_any_call(w3, kit, chain, calls) -> None:
    """The wrapper would deploy the same address on the tester chain, but the challenge is pinned to chain 1: an
    account that is not deployed yet is still one account on one chain."""
    [owner] = owners(0x36)
    safe, _ = wrapped_signature(w3, kit, owner, "", 6)
    facts = evm_facts("eip1271", safe, chain_id=1)
    _, signature = wrapped_signature(w3, kit, owner, facts.message, 6)
    calls.clear()
    with pytest.raises(RpcWrongChainError, match="chain id 131277322940537, but proofs here are checked on chain id 1"):
        verify_signature(facts, signature, evm_node=chain)
    assert calls == ["eth_chainId"]
