"""The allowlist export: approved requests as an OpenZeppelin StandardMerkleTree, over HTTP and CLI.

Roots and proofs are checked with OpenZeppelin's algorithm written here from its specification
(``leaf = keccak(keccak(abi.encode(values)))``, sorted-pair hashing), not with the portal's code.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json

import base58
import pytest
import sha3
from litestar.testing import TestClient

from portal.cli import allowlist as allowlist_cli
from tests.integration.staff_helpers import EPOCH, bearer, create_key, seed_requests


def keccak(data: bytes) -> bytes:
    return sha3.keccak_256(data).digest()


def word(raw: bytes) -> bytes:
    return raw.rjust(32, b"\0")


def raw_address(text: str) -> bytes:
    return bytes.fromhex(text[2:]) if text.startswith("0x") else base58.b58decode(text)


def oz_leaf(snapshot_address: str, destination: str, amount: int) -> bytes:
    encoded = word(raw_address(snapshot_address)) + word(raw_address(destination)) + amount.to_bytes(32, "big")
    return keccak(keccak(encoded))


def oz_verify(root: str, leaf: bytes, proof: list[str]) -> bool:
    node = leaf
    for sibling_hex in proof:
        sibling = bytes.fromhex(sibling_hex[2:])
        node = keccak(min(node, sibling) + max(node, sibling))
    return "0x" + node.hex() == root


def approve_all(client: TestClient, token: str) -> int:
    decided = 0
    while (claimed := client.post("/v1/review/claim", headers=bearer(token))).status_code == 200:
        request_id = claimed.json()["request_id"]
        response = client.post(f"/v1/review/requests/{request_id}/decision", headers=bearer(token),
                               json={"decision": "approve"})
        assert response.status_code == 200, response.text
        decided += 1
    return decided


@pytest.mark.parametrize(("snapshot_id", "chain", "first_type"), [("demo-evm", "evm", "address"),
                                                                   ("demo-solana", "solana", "bytes32")])
def test_export_verifies_with_openzeppelins_algorithm(client: TestClient, database_url: str, snapshot_id: str,
                                                      chain: str, first_type: str) -> None:
    snapshot = next(m for m in client.get("/v1/snapshots").json() if m["chain"] == chain)
    seeded = seed_requests(database_url, 5, snapshot_id=snapshot["id"], chain=chain)
    seed_requests(database_url, 1, snapshot_id=snapshot["id"], chain=chain,  # newest: stays pending
                  start=EPOCH + dt.timedelta(days=1))
    token = create_key(database_url, "ada", "admin")
    for _ in range(5):
        claimed = client.post("/v1/review/claim", headers=bearer(token)).json()
        decided = client.post(f"/v1/review/requests/{claimed['request_id']}/decision", headers=bearer(token),
                              json={"decision": "approve"})
        assert decided.json()["status"] == "approved"
    body = client.get("/v1/allowlist", params={"snapshot_id": snapshot["id"]}, headers=bearer(token)).json()
    assert body["leaf_encoding"] == [first_type, "address", "uint256"]
    assert {e["snapshot_address"] for e in body["entries"]} == {s.snapshot_address for s in seeded}
    for entry in body["entries"]:
        leaf = oz_leaf(entry["snapshot_address"], entry["destination"], int(entry["amount"]))
        assert oz_verify(body["merkle_root"], leaf, entry["proof"])

    as_csv = client.get("/v1/allowlist", params={"snapshot_id": snapshot["id"], "format": "csv"},
                        headers=bearer(token))
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["x-merkle-root"] == body["merkle_root"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["snapshot_address"] for r in rows] == [e["snapshot_address"] for e in body["entries"]]
    assert rows[0]["proof"].split(":") == body["entries"][0]["proof"]


def test_empty_and_unknown(client: TestClient, database_url: str) -> None:
    token = create_key(database_url, "rita", "reviewer")
    snapshot_id = client.get("/v1/snapshots").json()[0]["id"]
    empty = client.get("/v1/allowlist", params={"snapshot_id": snapshot_id}, headers=bearer(token)).json()
    assert empty["merkle_root"] is None and empty["entries"] == []
    unknown = client.get("/v1/allowlist", params={"snapshot_id": "nope"}, headers=bearer(token))
    assert unknown.status_code == 404


def test_cli_export_matches_http(client: TestClient, database_url: str, settings, tmp_path,  # type: ignore[no-untyped-def]
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    evm = next(m for m in client.get("/v1/snapshots").json() if m["chain"] == "evm")
    seed_requests(database_url, 3, snapshot_id=evm["id"])
    token = create_key(database_url, "ada", "admin")
    assert approve_all(client, token) == 3
    over_http = client.get("/v1/allowlist", params={"snapshot_id": evm["id"]}, headers=bearer(token)).json()
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PORTAL_SNAPSHOTS", ",".join(settings.snapshots))
    out = tmp_path / "allowlist.json"
    code = allowlist_cli.run_export(argparse.Namespace(snapshot_id=evm["id"], format="json", out=out, snapshot=[],
                                                       destination_chain=None))
    assert code == 0
    assert json.loads(out.read_text()) == over_http


def test_cli_export_as_the_readme_shows_finds_the_data_dirs_snapshots(
        client: TestClient, database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
        capsys: pytest.CaptureFixture[str]) -> None:
    """``portal allowlist export --snapshot-id <id> --format json --out allowlist.json``, nothing else:
    the snapshots are the ones ``serve --demo`` built under the data dir (it said "no snapshot is loaded")."""
    from portal.cli import main as portal_main
    from portal.demo import build_demo_snapshots

    build_demo_snapshots(tmp_path / "data" / "snapshots", declare_decimals=False)  # the client's snapshots
    evm = next(m for m in client.get("/v1/snapshots").json() if m["chain"] == "evm")
    seed_requests(database_url, 2, snapshot_id=evm["id"])
    token = create_key(database_url, "ada", "admin")
    assert approve_all(client, token) == 2
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PORTAL_SNAPSHOTS", raising=False)
    monkeypatch.chdir(tmp_path)
    code = portal_main(["allowlist", "export", "--snapshot-id", evm["id"], "--format", "json",
                        "--out", "allowlist.json"])
    assert code == 0, capsys.readouterr().err
    exported = json.loads((tmp_path / "allowlist.json").read_text())
    assert exported == client.get("/v1/allowlist", params={"snapshot_id": evm["id"]}, headers=bearer(token)).json()
    assert len(exported["entries"]) == 2

    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "empty"))
    capsys.readouterr()
    assert portal_main(["allowlist", "export", "--snapshot-id", evm["id"]]) == 2
    assert capsys.readouterr().err.startswith("portal: no snapshot artifacts found")
