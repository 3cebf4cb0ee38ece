"""Pasting a signature made with another tool.

Foundry's ``cast`` installs here from npm (``tests/tools/foundry``, the Linux x64 binary
``@foundry-rs/cast-linux-amd64``; ``.ci/run`` installs it): its ``cast wallet sign`` output for the
EIP-4361 text and for the EIP-712 JSON is posted as is. The Solana CLI (``solana
sign-offchain-message``) is on no registry this machine reaches (not PyPI, npm or Debian), so the
exact bytes it signs are rebuilt here from its source, independently of
``portal.domain.proofs.solana.envelopes``: Solana CLI 1.x/2.x (solana-sdk before 3.0) signs
``"\\xffsolana offchain" + version 0 + format + u16 LE length + message``; Agave 3.x signs the
spec's v0 header with a zero application domain and the signing key as the one signer. The format
byte is what the SDK picks: 0 for printable ASCII without line feeds, 1 for other UTF-8 up to the
Ledger limit.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import base58
import pytest
from eth_account import Account
from litestar.testing import TestClient
from nacl.signing import SigningKey

from portal.app import create_app
from portal.settings import Settings
from tests.integration.staff_helpers import ManualClock

Account.enable_unaudited_hdwallet_features()
MNEMONIC = "test test test test test test test test test test test junk"  # public Hardhat test mnemonic
HOLDER = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/0")
DESTINATION = "0x1111111111111111111111111111111111111111"
CAST_IN_REPO = (Path(__file__).resolve().parents[1] / "tools" / "foundry" / "node_modules" / "@foundry-rs"
                / "cast-linux-amd64" / "bin" / "cast")


def cast_binary() -> str:
    found = str(CAST_IN_REPO) if CAST_IN_REPO.exists() else shutil.which("cast")
    if found is None:
        pytest.skip("Foundry's cast is not installed: run `npm ci --prefix tests/tools/foundry` (.ci/run does)")
    return found


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(app=create_app(settings, clock=ManualClock())) as test_client:
        yield test_client


def challenge(client: TestClient, address: str, method: str, **extra: str) -> dict:
    response = client.post("/v1/challenges", json={"address": address, "destination": DESTINATION,
                                                   "method": method, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def prove(client: TestClient, challenge_id: str, signature: str) -> None:
    response = client.post("/v1/proofs", json={"challenge_id": challenge_id, "signature": signature})
    assert response.status_code == 201, response.text


def test_cast_wallet_sign_of_the_eip4361_text_is_accepted(client: TestClient) -> None:
    body = challenge(client, HOLDER.address, "eip191")
    out = subprocess.run([cast_binary(), "wallet", "sign", "--private-key", HOLDER.key.hex(), body["message"]],
                         capture_output=True, text=True, timeout=30, check=True)
    prove(client, body["challenge_id"], out.stdout.strip())


def test_cast_wallet_sign_data_of_the_typed_data_is_accepted(client: TestClient, tmp_path: Path) -> None:
    body = challenge(client, HOLDER.address, "eip712")
    typed = tmp_path / "typed-data.json"
    typed.write_text(json.dumps(body["typed_data"]))
    out = subprocess.run([cast_binary(), "wallet", "sign", "--private-key", HOLDER.key.hex(), "--data",
                          "--from-file", str(typed)], capture_output=True, text=True, timeout=30, check=True)
    prove(client, body["challenge_id"], out.stdout.strip())


def solana_demo_seed(i: int) -> bytes:
    return hashlib.sha256(f"migration-portal DEMO solana key {i}".encode()).digest()


def cli_format(message: bytes) -> int:
    """solana-sdk's choice: RestrictedAscii (0), LimitedUtf8 (1), ExtendedUtf8 (2) by content and length."""
    if all(0x20 <= b <= 0x7E for b in message):
        return 0
    return 1 if len(message) <= 1232 - 85 else 2


def solana_cli_bytes(message: str, signer: bytes, version: str) -> bytes:
    """The bytes ``solana sign-offchain-message`` signs (see the module docstring)."""
    raw = message.encode()
    head = b"\xffsolana offchain" + b"\x00"
    length = len(raw).to_bytes(2, "little")
    if version == "cli-2.x":
        return head + bytes([cli_format(raw)]) + length + raw
    return head + bytes(32) + bytes([cli_format(raw)]) + b"\x01" + signer + length + raw


def test_solana_cli_offchain_signature_is_accepted(client: TestClient) -> None:
    cases = [(style, version) for style in ("one_line", "standard") for version in ("cli-2.x", "agave-3.x")]
    for index, (style, version) in enumerate(cases):  # one demo key per case: one request each
        key = SigningKey(solana_demo_seed(index))
        address = base58.b58encode(bytes(key.verify_key)).decode()
        body = challenge(client, address, "solana", message_style=style)
        signed = solana_cli_bytes(body["message"], bytes(key.verify_key), version)
        assert signed[17 if version == "cli-2.x" else 49] == (0 if style == "one_line" else 1)
        prove(client, body["challenge_id"], base58.b58encode(key.sign(signed).signature).decode())
