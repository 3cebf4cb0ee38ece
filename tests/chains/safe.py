"""Safe's own compiled contracts (``@safe-global/safe-contracts`` 1.4.1, npm, test-only under
``tests/tools/safe``) deployed on web3's ``EthereumTesterProvider``: the Safe singleton, its proxy factory,
the CompatibilityFallbackHandler (which answers ``isValidSignature``) and SignMessageLib (a Safe signs a
message on chain by delegatecall). Owners are real keys; Safe transactions are signed by them and executed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

ARTIFACTS = (Path(__file__).resolve().parents[1] / "tools" / "safe" / "node_modules" / "@safe-global"
             / "safe-contracts" / "build" / "artifacts" / "contracts")
ZERO = "0x" + "00" * 20


def artifact(relative: str) -> dict[str, Any]:
    path = ARTIFACTS / relative
    if not path.exists():
        pytest.skip("Safe's contracts are not installed: run `npm ci --prefix tests/tools/safe --ignore-scripts`")
    return json.loads(path.read_text())


class SafeKit:
    """The Safe contracts deployed once on ``w3``; ``create`` makes a proxy, ``execute`` runs a Safe transaction."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.deployer = w3.eth.accounts[0]
        self.safe_abi = artifact("Safe.sol/Safe.json")["abi"]
        self.singleton = self._deploy("Safe.sol/Safe.json")
        self.factory = self._deploy("proxies/SafeProxyFactory.sol/SafeProxyFactory.json")
        self.handler = self._deploy("handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json")
        self.sign_message_lib = self._deploy("libraries/SignMessageLib.sol/SignMessageLib.json")

    def _deploy(self, relative: str) -> Any:
        built = artifact(relative)
        factory = self.w3.eth.contract(abi=built["abi"], bytecode=built["bytecode"])
        receipt = self.w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": self.deployer}))
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=built["abi"])

    def safe(self, address: str) -> Any:
        return self.w3.eth.contract(address=address, abi=self.safe_abi)

    def initializer(self, owners: list[str], threshold: int) -> bytes:
        return bytes.fromhex(self.singleton.encode_abi("setup", [owners, threshold, ZERO, b"", self.handler.address,
                                                                 ZERO, 0, ZERO])[2:])

    def creation_call(self, owners: list[str], threshold: int, salt: int) -> tuple[str, bytes]:
        """The factory and the calldata that deploy this Safe (what an EIP-6492 wrapper carries)."""
        calldata = self.factory.encode_abi("createProxyWithNonce",
                                           [self.singleton.address, self.initializer(owners, threshold), salt])
        return self.factory.address, bytes.fromhex(calldata[2:])

    def predict(self, owners: list[str], threshold: int, salt: int) -> str:
        """The counterfactual address (CREATE2), asked of the factory without sending anything."""
        return self.factory.functions.createProxyWithNonce(
            self.singleton.address, self.initializer(owners, threshold), salt).call({"from": self.deployer})

    def create(self, owners: list[str], threshold: int, salt: int = 0) -> str:
        address = self.predict(owners, threshold, salt)
        tx = self.factory.functions.createProxyWithNonce(self.singleton.address, self.initializer(owners, threshold),
                                                         salt).transact({"from": self.deployer})
        self.w3.eth.wait_for_transaction_receipt(tx)
        return address

    def execute(self, address: str, signers: list[LocalAccount], to: str, data: bytes, operation: int = 0) -> None:
        """A Safe transaction signed by ``signers`` (ECDSA over its hash), executed by the deployer."""
        safe = self.safe(address)
        nonce = safe.functions.nonce().call()
        tx_hash = safe.functions.getTransactionHash(to, 0, data, operation, 0, 0, 0, ZERO, ZERO, nonce).call()
        parts = b"".join(bytes(account.unsafe_sign_hash(tx_hash).signature)
                         for account in sorted(signers, key=lambda account: int(account.address, 16)))
        receipt = self.w3.eth.wait_for_transaction_receipt(safe.functions.execTransaction(
            to, 0, data, operation, 0, 0, 0, ZERO, ZERO, parts).transact({"from": self.deployer}))
        assert receipt["status"] == 1

    def fund(self, account: LocalAccount) -> None:
        self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_transaction(
            {"from": self.deployer, "to": account.address, "value": 10**18}))

    def send_as(self, account: LocalAccount, call: Any) -> None:
        """A transaction from an owner's own key (``approveHash``)."""
        tx = call.build_transaction({"from": account.address, "nonce": self.w3.eth.get_transaction_count(
            account.address), "gas": 200_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1})
        signed = account.sign_transaction(tx)
        receipt = self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_raw_transaction(signed.raw_transaction))
        assert receipt["status"] == 1


def owners(*seeds: int) -> list[LocalAccount]:
    return [Account.from_key(bytes([seed]) * 32) for seed in seeds]
