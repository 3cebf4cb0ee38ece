"""The golden path, end to end through the HTTP API against a real database and real keys:

eligibility -> challenge -> sign (eth-account, on exactly the text the API returned) -> proof ->
holder status -> claim -> approve (one ordinary request, one above the four-eyes threshold that
needs a second, different approver) -> allowlist export whose root and proofs verify with
OpenZeppelin's algorithm written here -> the audit chain verifies.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from importlib import resources

import msgspec
import pytest
import sha3
from eth_account import Account
from eth_account.messages import encode_defunct
from litestar.testing import TestClient

from portal.app import create_app
from portal.domain.audit import key_for
from portal.settings import Settings, from_env
from portal.store import audit
from tests.integration.staff_helpers import create_key

Account.enable_unaudited_hdwallet_features()
MNEMONIC = "test test test test test test test test test test test junk"  # public Hardhat test mnemonic
DESTINATIONS = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"]


def keccak(data: bytes) -> bytes:
    return sha3.keccak_256(data).digest()


def oz_leaf(snapshot_address: str, destination: str, amount: int) -> bytes:
    encoded = (bytes.fromhex(snapshot_address[2:]).rjust(32, b"\0") + bytes.fromhex(destination[2:]).rjust(32, b"\0")
               + amount.to_bytes(32, "big"))
    return keccak(keccak(encoded))


def oz_root_from_proof(leaf: bytes, proof: list[str]) -> str:
    node = leaf
    for sibling_hex in proof:
        sibling = bytes.fromhex(sibling_hex[2:])
        node = keccak(min(node, sibling) + max(node, sibling))
    return "0x" + node.hex()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    rows = list(csv.DictReader(resources.files("portal.demo").joinpath("holders-evm.csv").read_text().splitlines()))
    # Hardhat account 9 holds the largest demo amount: put the four-eyes threshold just below it.
    threshold = int(rows[9]["amount"])
    with TestClient(app=create_app(msgspec.structs.replace(settings, four_eyes_amount=str(threshold)))) as test_client:
        yield test_client


def prove(client: TestClient, account_index: int, destination: str) -> dict:
    holder = Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{account_index}")
    eligibility = client.get(f"/v1/eligibility/{holder.address}").json()
    assert eligibility["eligible"] is True
    challenge = client.post("/v1/challenges",
                            json={"address": holder.address, "destination": destination, "method": "eip191"})
    assert challenge.status_code == 201, challenge.text
    body = challenge.json()
    assert destination in body["message"] and holder.address in body["message"]
    signature = holder.sign_message(encode_defunct(text=body["message"])).signature.hex()
    proof = client.post("/v1/proofs", json={"challenge_id": body["challenge_id"], "signature": "0x" + signature})
    assert proof.status_code == 201, proof.text
    filed = proof.json()
    assert filed["status"] == "pending_review" and len(filed["status_token"]) >= 43
    view = client.get(f"/v1/requests/{filed['request_id']}",
                      headers={"Authorization": f"Bearer {filed['status_token']}"})
    assert view.status_code == 200 and view.json()["status"] == "pending_review"
    return {"address": holder.address, "amount": int(eligibility["amount"]), "destination": destination,
            "snapshot_id": eligibility["snapshot_id"], **filed}


def claim_and_decide(client: TestClient, token: str, expected_request: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    claimed = client.post("/v1/review/claim", headers=headers)
    assert claimed.status_code == 200, claimed.text
    assert str(claimed.json()["request_id"]) == expected_request
    decided = client.post(f"/v1/review/requests/{expected_request}/decision", headers=headers,
                          json={"decision": "approve", "reason": "signature checked against the snapshot"})
    assert decided.status_code == 200, decided.text
    return decided.json()


def test_golden_path(client: TestClient, settings: Settings) -> None:
    url = settings.database_url
    assert url is not None
    reviewer = create_key(url, "rita", "reviewer")
    approver_a = create_key(url, "alan", "approver")
    approver_b = create_key(url, "bea", "approver")

    small = prove(client, 1, DESTINATIONS[0])
    large = prove(client, 9, DESTINATIONS[1])

    claim_and_decide(client, reviewer, small["request_id"])
    first = claim_and_decide(client, approver_a, large["request_id"])
    assert first["status"] == "awaiting_second_approval"
    # The first approver cannot take the second approval; the queue has nothing for them.
    assert client.post("/v1/review/claim", headers={"Authorization": f"Bearer {approver_a}"}).status_code == 204
    second = claim_and_decide(client, approver_b, large["request_id"])
    assert second["status"] == "approved"

    for filed in (small, large):
        view = client.get(f"/v1/requests/{filed['request_id']}",
                          headers={"Authorization": f"Bearer {filed['status_token']}"})
        assert view.json()["status"] == "approved"

    export = client.get("/v1/allowlist", params={"snapshot_id": small["snapshot_id"], "format": "json"},
                        headers={"Authorization": f"Bearer {reviewer}"})
    assert export.status_code == 200, export.text
    allowlist = export.json()
    assert allowlist["leaf_encoding"] == ["address", "address", "uint256"]
    entries = {e["snapshot_address"]: e for e in allowlist["entries"]}
    assert set(entries) == {small["address"], large["address"]}
    for filed in (small, large):
        entry = entries[filed["address"]]
        assert entry["destination"] == filed["destination"] and int(entry["amount"]) == filed["amount"]
        leaf = oz_leaf(filed["address"], filed["destination"], filed["amount"])
        assert oz_root_from_proof(leaf, entry["proof"]) == allowlist["merkle_root"]

    events = list(audit.iter_all_sync(url))
    assert audit.first_broken(events, key=key_for(from_env()).chain_key) is None
    actions = [e.action for e in events]
    assert actions.count("request:proof:accepted") == 2
    assert "review:decision:first_approval" in actions and actions.count("review:decision:approved") == 2
