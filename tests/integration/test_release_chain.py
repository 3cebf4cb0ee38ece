"""Releases claimed on a real EVM: Uniswap's own compiled ``MerkleDistributor`` on ``EthereumTesterProvider``.

The contracts are the ``build/*.json`` of the npm package ``@uniswap/merkle-distributor`` 1.0.1,
installed test-only under ``tests/tools/uniswap`` (``.ci/run`` runs ``npm ci`` there); they are
never a runtime dependency of the portal. The operator's flow is the README's: prepare, deploy the
distributor with the prepared root, write its address into the release, sign, publish; then every
holder claims with the published proof and receives exactly its amount.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from eth_tester.exceptions import TransactionFailed
from web3 import EthereumTesterProvider, Web3
from web3.exceptions import ContractLogicError

from tests.integration.policy_live import OLD, Portal, portal
from tests.integration.staff_helpers import EPOCH, seed_requests
from tests.integration.test_releases import approve_all, evm_snapshot, operator_env, run, sign

__all__ = ["operator_env", "portal"]  # the fixtures
REVERTED = (ContractLogicError, TransactionFailed)  # web3 or the tester's own, by how the call went
BUILD = Path(__file__).resolve().parents[1] / "tools" / "uniswap" / "node_modules" / "@uniswap" / "merkle-distributor" \
    / "build"


def _artifact(name: str) -> dict:
    path = BUILD / f"{name}.json"
    if not path.exists():
        pytest.skip("Uniswap's MerkleDistributor is not installed: run `npm ci --prefix tests/tools/uniswap` "
                    "(.ci/run does)")
    return json.loads(path.read_text())


class Chain:
    """An in-process chain with Uniswap's TestERC20 and a MerkleDistributor per release."""

    def __init__(self) -> None:
        self.w3 = Web3(EthereumTesterProvider())
        self.deployer = self.w3.eth.accounts[0]
        erc20 = _artifact("TestERC20")
        self.token = self._deploy(erc20, "Token", "TKN", 0)

    def _deploy(self, artifact: dict, *args: object):
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        receipt = self.w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": self.deployer}))
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])

    def distributor(self, merkle_root: str, total: int):
        contract = self._deploy(_artifact("MerkleDistributor"), self.token.address, bytes.fromhex(merkle_root[2:]))
        self.token.functions.setBalance(contract.address, total).transact({"from": self.deployer})
        return contract

    def claim(self, distributor, claim: dict) -> None:
        proof = [bytes.fromhex(node[2:]) for node in claim["proof"]]
        distributor.functions.claim(claim["index"], claim["destination"], int(claim["amount"]), proof).transact(
            {"from": self.deployer})

    def balance(self, address: str) -> int:
        return self.token.functions.balanceOf(address).call()


def _release(portal: Portal, chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str], number: int):
    doc = tmp_path / f"release-evm-{number}.md"
    code, out, err = run(capsys, "release", "prepare", "--destination-chain", "evm", "--out", str(doc))
    assert code == 0, err
    prepared = json.loads(out)
    contract = chain.distributor(prepared["merkle_root"], int(prepared["total"]))
    assert run(capsys, "release", "distributor", str(doc), contract.address)[0] == 0
    sign(doc, *OLD)
    code, _, err = run(capsys, "release", "publish", str(doc), "--url", portal.base)
    assert code == 0, err
    return contract, httpx.get(f"{portal.base}/v1/releases/evm/{number}").json()


def test_every_entry_claims_exactly_its_amount_and_nothing_else_does(
        portal: Portal, operator_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chain = Chain()
    snapshot_id = evm_snapshot(portal)
    shared = "0x" + "5e" * 20
    seed_requests(portal.database_url, 3, snapshot_id=snapshot_id, chain="evm", amount=7 * 10**17)
    seed_requests(portal.database_url, 2, snapshot_id=snapshot_id, chain="evm", destination=Web3.to_checksum_address(
        shared), amount=3 * 10**18, start=EPOCH.replace(month=2))
    assert approve_all(portal) == 5
    first, release1 = _release(portal, chain, tmp_path, capsys, 1)
    assert first.functions.merkleRoot().call() == bytes.fromhex(release1["merkle_root"][2:])
    assert len(release1["claims"]) == 4  # the shared destination is one leaf of both its approvals

    changed = dict(release1["claims"][0], amount=str(int(release1["claims"][0]["amount"]) + 1))
    with pytest.raises(REVERTED, match="Invalid proof"):
        chain.claim(first, changed)
    for claim in release1["claims"][1:]:  # index 0 waits: release 2's proof for index 0 is tried on it first
        before = chain.balance(claim["destination"])
        chain.claim(first, claim)
        assert chain.balance(claim["destination"]) - before == int(claim["amount"])
        assert first.functions.isClaimed(claim["index"]).call()

    seed_requests(portal.database_url, 1, snapshot_id=snapshot_id, chain="evm", start=EPOCH.replace(month=3))
    assert approve_all(portal) == 1
    second, release2 = _release(portal, chain, tmp_path, capsys, 2)
    [claim2] = release2["claims"]
    assert claim2["index"] == 0 and not first.functions.isClaimed(0).call()
    with pytest.raises(REVERTED, match="Invalid proof"):
        chain.claim(first, claim2)  # a proof from another release is no proof here

    chain.claim(first, release1["claims"][0])
    assert chain.balance(release1["claims"][0]["destination"]) == int(release1["claims"][0]["amount"])
    assert chain.balance(Web3.to_checksum_address(shared)) == 6 * 10**18
    assert chain.balance(first.address) == 0  # funded with exactly the release's total
    with pytest.raises(REVERTED, match="Drop already claimed"):
        chain.claim(first, release1["claims"][0])
    chain.claim(second, claim2)
    assert chain.balance(claim2["destination"]) == int(claim2["amount"])
