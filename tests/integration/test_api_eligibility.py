"""GET /v1/snapshots and /v1/eligibility against a real app, database and demo artifacts."""

from __future__ import annotations

import csv
from importlib import resources

import base58
import pytest
import sha3
from eth_utils import to_checksum_address
from litestar.testing import TestClient


def demo_rows(filename: str) -> list[tuple[str, int]]:
    text = resources.files("portal.demo").joinpath(filename).read_text()
    return [(row["address"], int(row["amount"])) for row in csv.DictReader(text.splitlines())]


def keccak(data: bytes) -> bytes:
    return sha3.keccak_256(data).digest()


def oz_leaf(raw_key: bytes, amount: int) -> bytes:
    """OpenZeppelin StandardMerkleTree leaf: keccak(keccak(abi.encode(key, amount)))."""
    return keccak(keccak(raw_key.rjust(32, b"\0") + amount.to_bytes(32, "big")))


def oz_verify(root: str, leaf: bytes, proof: list[str]) -> bool:
    """OpenZeppelin MerkleProof.processProof with sorted pairs, written here independently."""
    node = leaf
    for sibling_hex in proof:
        sibling = bytes.fromhex(sibling_hex[2:])
        node = keccak(min(node, sibling) + max(node, sibling))
    return "0x" + node.hex() == root


def test_snapshots_lists_both_chains(client: TestClient) -> None:
    response = client.get("/v1/snapshots")
    assert response.status_code == 200
    manifests = response.json()
    assert sorted(m["chain"] for m in manifests) == ["evm", "solana"]
    evm = next(m for m in manifests if m["chain"] == "evm")
    assert evm["entries"] == len(demo_rows("holders-evm.csv"))
    assert int(evm["total"]) == sum(amount for _, amount in demo_rows("holders-evm.csv"))
    assert evm["merkle_root"].startswith("0x") and len(evm["merkle_root"]) == 66


@pytest.mark.parametrize("filename", ["holders-evm.csv", "holders-solana.csv"])
def test_every_demo_holder_is_eligible_with_a_valid_proof(client: TestClient, filename: str) -> None:
    for address, amount in demo_rows(filename):
        body = client.get(f"/v1/eligibility/{address}").json()
        assert body["eligible"] is True, address
        assert body["address"] == address
        assert body["amount"] == str(amount)
        raw = bytes.fromhex(address[2:]) if address.startswith("0x") else base58.b58decode(address)
        assert oz_verify(body["merkle_root"], oz_leaf(raw, amount), body["proof"])


def test_lowercase_address_is_accepted_and_returned_checksummed(client: TestClient) -> None:
    address, _ = demo_rows("holders-evm.csv")[0]
    body = client.get(f"/v1/eligibility/{address.lower()}").json()
    assert body["eligible"] is True
    assert body["address"] == to_checksum_address(address)


def test_eligibility_is_sent_as_json_with_its_length(client: TestClient) -> None:
    # The route sends a pre-encoded body through its own small ASGI response, not Litestar's: the
    # headers clients and proxies rely on must still be there and exact.
    address, _ = demo_rows("holders-evm.csv")[0]
    response = client.get(f"/v1/eligibility/{address}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content) > 0
    assert client.post(f"/v1/eligibility/{address}").status_code == 405


def test_absent_address_is_200_not_eligible(client: TestClient) -> None:
    response = client.get("/v1/eligibility/0x000000000000000000000000000000000000dEaD")
    assert response.status_code == 200
    body = response.json()
    assert body["eligible"] is False
    assert body["amount"] is None and body["proof"] == []


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267", "invalid_checksum"),  # mixed case, one digit off
        ("0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266", "invalid_checksum"),
        ("0x1234", "invalid_address"),
        ("not-an-address", "invalid_address"),
        ("0xZZ9Fd6e51aad88F6F4ce6aB8827279cffFb92266", "invalid_address"),
        ("1111111111111111111111111111111", "invalid_address"),  # base58, but 31 bytes
        ("H6KNCLUTE61FMhuhnf591JUK9qgMsomHqEzwdNsQS3x0", "invalid_address"),  # '0' is not base58
    ],
)
def test_malformed_address_is_400_problem_json(client: TestClient, address: str, code: str) -> None:
    response = client.get(f"/v1/eligibility/{address}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == code
    assert problem["field"] == "address"
    assert problem["status"] == 400 and problem["title"] and problem["detail"] and problem["type"]


def test_overlong_path_parameter_is_a_validation_problem(client: TestClient) -> None:
    response = client.get("/v1/eligibility/" + "a" * 300)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_address"
    assert response.json()["field"] == "address"


def test_unknown_route_and_wrong_method_are_problem_json(client: TestClient) -> None:
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    wrong_method = client.delete("/v1/snapshots")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"].startswith("application/problem+json")


def test_health_ready_and_metrics(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["database"]["ok"] is True
    client.get("/v1/eligibility/0x000000000000000000000000000000000000dEaD")
    metrics = client.get("/metrics").text
    assert "portal_requests_total" in metrics
    assert 'path="/v1/eligibility/{address}"' in metrics
