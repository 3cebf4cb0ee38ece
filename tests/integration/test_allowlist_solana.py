"""The allowlist per destination chain: Solana destinations get the merkle-distributor's tree, EVM ones
OpenZeppelin's, both with amounts converted to the destination token; over HTTP and the CLI.

Proofs are checked with the on-chain ``verify`` written here, not with the portal's code.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path

import base58
import pytest
import sha3
from litestar.testing import TestClient

import snapshot
from portal.app import create_app
from portal.cli import allowlist as allowlist_cli
from portal.settings import Settings
from snapshot.addresses import b58encode, to_checksum_address
from tests.integration.staff_helpers import bearer, create_key, random_solana_address, seed_requests


def onchain_verify(proof: list[str], root: str, claimant: str, amount: int) -> bool:
    """The merkle-distributor's ``new_claim`` leaf and ``verify``."""
    node = hashlib.sha256(base58.b58decode(claimant) + amount.to_bytes(8, "little") + bytes(8)).digest()
    node = hashlib.sha256(b"\x00" + node).digest()
    for sibling_hex in proof:
        sibling = bytes.fromhex(sibling_hex[2:])
        node = hashlib.sha256(b"\x01" + min(node, sibling) + max(node, sibling)).digest()
    return "0x" + node.hex() == root


def oz_verify(root: str, snapshot_address: str, destination: str, amount: int, proof: list[str]) -> bool:
    def word(text: str) -> bytes:
        return bytes.fromhex(text[2:]).rjust(32, b"\0")

    node = sha3.keccak_256(sha3.keccak_256(word(snapshot_address) + word(destination)
                                           + amount.to_bytes(32)).digest()).digest()
    for sibling_hex in proof:
        sibling = bytes.fromhex(sibling_hex[2:])
        node = sha3.keccak_256(min(node, sibling) + max(node, sibling)).digest()
    return "0x" + node.hex() == root


def approve_all(client: TestClient, token: str) -> None:
    while (claimed := client.post("/v1/review/claim", headers=bearer(token))).status_code == 200:
        decided = client.post(f"/v1/review/requests/{claimed.json()['request_id']}/decision",
                              headers=bearer(token), json={"decision": "approve"})
        assert decided.status_code == 200, decided.text


@pytest.fixture(scope="module")
def evm_snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str], Path]:
    """An EVM snapshot declaring 18 decimals, and destinations converting to 9 (Solana) and 6 (EVM)."""
    tmp = tmp_path_factory.mktemp("allowlist")
    rng = random.Random(31)
    holders = [to_checksum_address(rng.randbytes(20)) for _ in range(8)]
    source = tmp / "holders.csv"
    source.write_text("address,amount\n" + "".join(f"{a},{10**18}\n" for a in holders))
    manifest = snapshot.build_artifact(source, tmp / "out", decimals=18)
    destinations = tmp / "destinations.toml"
    destinations.write_text('[solana]\ndecimals = 9\nratio = "3/2"\n\n[evm]\ndecimals = 6\nratio = "1/3"\n')
    return manifest.path, holders, destinations


@pytest.fixture
def converting_client(database_url: str, evm_snapshot) -> Iterator[tuple[TestClient, str]]:
    path, _, destinations = evm_snapshot
    settings = Settings(database_url=database_url, snapshots=(path,), destinations_file=str(destinations),
                        public_url="https://portal.example.org", rate_limit_per_minute=0)
    with TestClient(app=create_app(settings)) as client:
        yield client, client.get("/v1/snapshots").json()[0]["id"]


def test_solana_destinations_get_a_distributor_tree_of_converted_amounts(converting_client, database_url: str,
                                                                         evm_snapshot) -> None:
    client, snapshot_id = converting_client
    _, holders, _ = evm_snapshot
    shared = random_solana_address()  # two holders pay one destination: one claimant, amounts added
    amounts = [10**18 + 7, 3 * 10**17 + 1, 5 * 10**18]
    for holder, destination, amount in zip(holders[:3], [shared, random_solana_address(), shared], amounts,
                                           strict=True):
        seed_requests(database_url, 1, snapshot_id=snapshot_id, snapshot_addresses=[holder], destination=destination,
                      amount=amount)
    seed_requests(database_url, 2, snapshot_id=snapshot_id, snapshot_addresses=holders[3:5], amount=10**18)  # EVM
    token = create_key(database_url, "ada", "admin")
    approve_all(client, token)
    body = client.get("/v1/allowlist", params={"snapshot_id": snapshot_id, "destination_chain": "solana"},
                      headers=bearer(token)).json()
    assert body["tree"] == "distributor" and body["destination_chain"] == "solana" and body["decimals"] == 9
    convert = [amount * 3 // (2 * 10**9) for amount in amounts]  # 18 -> 9 decimals at 3/2
    by_destination = {entry["destination"]: entry for entry in body["entries"]}
    assert len(by_destination) == 2 and shared in by_destination
    assert int(by_destination[shared]["amount"]) == convert[0] + convert[2]
    assert sorted(by_destination[shared]["snapshot_addresses"]) == sorted([holders[0], holders[2]])
    assert body["max_num_nodes"] == 2 and int(body["max_total_claim"]) == sum(convert)
    for entry in body["entries"]:
        assert entry["locked_amount"] == 0
        assert onchain_verify(entry["proof"], body["merkle_root"], entry["destination"], int(entry["amount"]))
    assert int(body["conversion"]["converted"]) == sum(convert)
    assert int(body["conversion"]["total"]) == sum(amounts)

    tree = client.get("/v1/allowlist", params={"snapshot_id": snapshot_id, "destination_chain": "solana",
                                                "format": "distributor-json"}, headers=bearer(token))
    assert tree.status_code == 200 and tree.headers["x-merkle-root"] == body["merkle_root"]
    document = json.loads(tree.content)
    assert "0x" + bytes(document["merkle_root"]).hex() == body["merkle_root"]
    assert [b58encode(bytes(node["claimant"])) for node in document["tree_nodes"]] == [
        entry["destination"] for entry in body["entries"]]

    evm = client.get("/v1/allowlist", params={"snapshot_id": snapshot_id, "destination_chain": "evm"},
                     headers=bearer(token)).json()
    assert evm["tree"] == "oz" and evm["decimals"] == 6 and len(evm["entries"]) == 2
    for entry in evm["entries"]:
        assert int(entry["amount"]) == 10**18 // (3 * 10**12)  # 18 -> 6 decimals at 1/3
        assert oz_verify(evm["merkle_root"], entry["snapshot_address"], entry["destination"], int(entry["amount"]),
                         entry["proof"])
    refused = client.get("/v1/allowlist", params={"snapshot_id": snapshot_id, "destination_chain": "evm",
                                                   "format": "distributor-json"}, headers=bearer(token))
    assert refused.status_code == 400 and refused.json()["field"] == "format"


def test_cli_solana_export_matches_http(converting_client, database_url: str, evm_snapshot, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    client, snapshot_id = converting_client
    path, holders, destinations = evm_snapshot
    seed_requests(database_url, 3, snapshot_id=snapshot_id, snapshot_addresses=holders[:3],
                  destination=random_solana_address(), amount=10**18 + 1)
    token = create_key(database_url, "ada", "admin")
    approve_all(client, token)
    over_http = client.get("/v1/allowlist", params={"snapshot_id": snapshot_id, "destination_chain": "solana"},
                           headers=bearer(token)).json()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PORTAL_SNAPSHOTS", path)
    monkeypatch.setenv("PORTAL_DESTINATIONS_FILE", str(destinations))
    out = tmp_path / "allowlist.json"
    assert allowlist_cli.run_export(argparse.Namespace(snapshot_id=snapshot_id, format="json", out=out, snapshot=[],
                                                       destination_chain="solana", destinations=None)) == 0
    assert json.loads(out.read_text()) == over_http
    assert "rounding dropped" in capsys.readouterr().err
    tree = tmp_path / "tree.json"
    assert allowlist_cli.run_export(argparse.Namespace(snapshot_id=snapshot_id, format="distributor-json", out=tree,
                                                       snapshot=[], destination_chain="solana",
                                                       destinations=None)) == 0
    assert "0x" + bytes(json.loads(tree.read_text())["merkle_root"]).hex() == over_http["merkle_root"]


def test_a_snapshot_without_decimals_is_not_converted_silently(database_url: str, tmp_path: Path,
                                                               settings: Settings) -> None:
    destinations = tmp_path / "destinations.toml"
    destinations.write_text("[solana]\ndecimals = 9\n")
    configured = Settings(**{**{f: getattr(settings, f) for f in settings.__struct_fields__},
                             "destinations_file": str(destinations)})
    with TestClient(app=create_app(configured)) as converting:
        evm = next(m for m in converting.get("/v1/snapshots").json() if m["chain"] == "evm")
        assert evm["decimals"] is None
        token = create_key(database_url, "ada", "admin")
        response = converting.get("/v1/allowlist", params={"snapshot_id": evm["id"], "destination_chain": "solana"},
                                  headers=bearer(token))
        assert response.status_code == 422 and "declares no decimals" in response.json()["detail"]
