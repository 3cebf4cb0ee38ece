"""Helpers for the case tests: real keys (the public Hardhat mnemonic and the demo's Solana seeds), a case
challenge, a signed proof, a case opened through the HTTP API."""

from __future__ import annotations

import hashlib
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from litestar.testing import TestClient
from nacl.signing import SigningKey

Account.enable_unaudited_hdwallet_features()
MNEMONIC = "test test test test test test test test test test test junk"  # public Hardhat test mnemonic


def hardhat(index: int) -> Any:
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


LISTED = hardhat(0)        # in the demo snapshot
EXCLUDED = hardhat(19)     # on the demo's exclude list (category exchange)
UNLISTED = hardhat(18)     # in neither
DESTINATION = "0x1111111111111111111111111111111111111111"


def solana_demo_key(index: int) -> SigningKey:
    return SigningKey(hashlib.sha256(f"migration-portal DEMO solana key {index}".encode()).digest())


def case_challenge(client: TestClient, address: str, *, method: str = "eip191",
                   destination: str = DESTINATION) -> dict:
    response = client.post("/v1/challenges", json={"address": address, "destination": destination, "method": method,
                                                   "purpose": "case"})
    assert response.status_code == 201, response.text
    return response.json()


def sign(account: Any, message: str) -> str:
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex()


def open_case(client: TestClient, account: Any, kind: str, text: str = "My tokens were in my wallet at the snapshot.",
              **extra: Any) -> Any:
    """``POST /v1/cases`` for ``account`` (an eth-account key): the response, whatever its status."""
    challenge = case_challenge(client, account.address)
    return client.post("/v1/cases", json={"challenge_id": challenge["challenge_id"], "kind": kind, "text": text,
                                          "signature": sign(account, challenge["message"]), **extra})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
