"""Fixtures for the verifier tests: real keys, the compiled ERC-1271 wallet, one in-process EVM
(eth-tester + py-evm) per module that needs it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from proof_facts import CONTRACTS


@pytest.fixture(scope="session")
def holder() -> LocalAccount:
    return Account.from_key(b"\x11" * 32)


@pytest.fixture(scope="session")
def stranger() -> LocalAccount:
    return Account.from_key(b"\x22" * 32)


@pytest.fixture(scope="session")
def wallet_artifact() -> dict[str, Any]:
    return json.loads((CONTRACTS / "ERC1271Wallet.json").read_text())


@pytest.fixture(scope="module")
def w3():
    from web3 import EthereumTesterProvider, Web3

    return Web3(EthereumTesterProvider())
