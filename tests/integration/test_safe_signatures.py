"""Safe signatures gathered over days, through the HTTP API, on a real EVM with Safe's own contracts.

Safe v1.4.1 (singleton, proxy factory, CompatibilityFallbackHandler, SignMessageLib) from
``@safe-global/safe-contracts`` (npm, test-only) on web3's ``EthereumTesterProvider``; a 2-of-3 Safe whose
owners are real keys; the snapshot lists the Safes; the database is a real PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from litestar.testing import TestClient

import snapshot
from portal.app import create_app
from portal.domain.proofs.chain import Web3Chain
from portal.domain.proofs.safe_signatures import safe_message_data, safe_message_hash
from portal.settings import Settings
from tests.chains.evm_front import EvmFront
from tests.chains.safe import SafeKit, owners

DESTINATION = "0x1111111111111111111111111111111111111111"
WEEK = dt.timedelta(hours=168)


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class World(msgspec.Struct):
    client: Any
    w3: Any
    kit: SafeKit
    safe: str
    onchain_safe: str
    inner_safe: str
    nested_safe: str
    clock: Clock
    calls: list[str]
    database_url: str
    settings: Any = None  # the app's, to start another app on the same database


A, B, C, D, STRANGER = owners(0x41, 0x42, 0x43, 0x44, 0x45)


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> Iterator[World]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eth-tester/py-evm deprecation noise on import; not ours to fix
        from web3 import EthereumTesterProvider, Web3

        w3 = Web3(EthereumTesterProvider())
    kit = SafeKit(w3)
    safe = kit.create([A.address, B.address, C.address], 2, salt=1)
    onchain_safe = kit.create([A.address], 1, salt=2)
    inner_safe = kit.create([D.address], 1, salt=3)
    nested_safe = kit.create([inner_safe, B.address], 2, salt=4)  # a Safe whose first owner is a Safe
    source = tmp_path / "safes.csv"
    source.write_text(f"address,amount\n{safe},5000\n{onchain_safe},7000\n{nested_safe},9000\n")
    manifest = snapshot.build_artifact(source, tmp_path / "snap")
    app_settings = msgspec.structs.replace(settings, snapshots=(*settings.snapshots, manifest.path),
                                           evm_chain_id=w3.eth.chain_id)
    clock, calls = Clock(), []
    chain = Web3Chain(w3, on_call=lambda method, seconds: calls.append(method))
    with TestClient(app=create_app(app_settings, clock=clock, evm_chain=chain)) as client:
        yield World(client, w3, kit, safe, onchain_safe, inner_safe, nested_safe, clock, calls,
                    settings.database_url or "", app_settings)


def issue(world: World, address: str) -> dict:
    response = world.client.post("/v1/challenges", json={"address": address, "destination": DESTINATION,
                                                         "method": "safe"})
    assert response.status_code == 201, response.text
    return response.json()


def typed_signature(account, typed: dict) -> str:
    """What an owner's wallet answers to eth_signTypedData_v4 of the challenge's SafeMessage."""
    return "0x" + bytes(Account.sign_typed_data(account.key, full_message=typed).signature).hex()


def eth_sign(account, safe_message_hash: str) -> str:
    """personal_sign of the 32-byte SafeMessage hash, with v + 4 as the Safe wants it for eth_sign."""
    raw = bytearray(account.sign_message(encode_defunct(primitive=bytes.fromhex(safe_message_hash[2:]))).signature)
    raw[64] += 4
    return "0x" + raw.hex()


def add(world: World, challenge_id: str, signature: str):
    return world.client.post(f"/v1/challenges/{challenge_id}/signatures", json={"signature": signature})


def evidence_of(world: World, request_id: str) -> dict:
    with psycopg.connect(world.database_url) as conn:
        return conn.execute("SELECT evidence FROM requests WHERE id = %s", (request_id,)).fetchone()[0]


def audit_data(world: World, subject: str) -> dict:
    with psycopg.connect(world.database_url) as conn:
        return conn.execute("SELECT data FROM audit_events WHERE subject = %s", (subject,)).fetchone()[0]


def test_two_of_three_owners_sign_over_a_week_and_the_request_is_filed(world: World) -> None:
    body = issue(world, world.safe)
    issued, expires = dt.datetime.fromisoformat(body["issued_at"]), dt.datetime.fromisoformat(body["expires_at"])
    assert expires - issued == WEEK
    typed = body["typed_data"]
    assert typed["primaryType"] == "SafeMessage" and typed["domain"]["verifyingContract"] == world.safe
    recorded_block = world.w3.eth.block_number

    first = add(world, body["challenge_id"], typed_signature(A, typed))
    assert first.status_code == 200, first.text
    progress = first.json()
    assert (progress["signed"], progress["threshold"], progress["block_number"]) == (1, 2, recorded_block)
    assert [(o["owner"], o["signed"]) for o in progress["owners"]] == [(A.address, True), (B.address, False),
                                                                       (C.address, False)]
    assert progress.get("request") is None

    world.clock.now += dt.timedelta(days=6, hours=23)  # the second owner signs almost a week later
    world.w3.provider.ethereum_tester.mine_blocks(3)
    world.calls.clear()
    second = add(world, body["challenge_id"], eth_sign(B, progress["safe_message_hash"]))
    assert second.status_code == 200, second.text
    done = second.json()
    assert done["signed"] == 2 and done["used"] is True
    assert done["request"]["status"] == "pending_review" and done["request"]["status_token"]
    assert world.calls == ["eth_chainId", "eth_call"]  # the node's chain, then the Safe's own isValidSignature

    record = evidence_of(world, done["request"]["request_id"])["verification"]["safe"]
    assert record["owners"] == [A.address, B.address, C.address] and record["threshold"] == 2
    assert record["block"] == recorded_block == record["checked_at_block"]
    assert record["version"] == "1.4.1" and record["fallback_handler"] == world.kit.handler.address
    assert record["accepted_magic_value"] == "0x1626ba7e"
    assert [(s["owner"], s["kind"]) for s in record["signers"]] == [(A.address, "ecdsa"), (B.address, "eth_sign")]
    audited = audit_data(world, f"request:{done['request']['request_id']}")
    assert audited["safe"]["owners"] == record["owners"] and audited["safe"]["block"] == recorded_block
    chain_id = world.w3.eth.chain_id  # the proof names the chain it holds on, for the reviewer and the audit log
    assert evidence_of(world, done["request"]["request_id"])["verification"]["chain_id"] == chain_id
    assert audited["chain_id"] == record["chain_id"] == chain_id

    late = add(world, body["challenge_id"], typed_signature(C, typed))
    assert late.status_code == 409 and late.json()["code"] == "challenge_used"


def test_strangers_duplicates_and_garbage_are_refused(world: World) -> None:
    body = issue(world, world.safe)
    typed = body["typed_data"]
    stranger = add(world, body["challenge_id"], typed_signature(STRANGER, typed))
    assert stranger.status_code == 422 and stranger.json()["code"] == "signature_mismatch"
    assert STRANGER.address in stranger.json()["detail"]
    assert add(world, body["challenge_id"], typed_signature(A, typed)).status_code == 200
    again = add(world, body["challenge_id"], eth_sign(A, world.client.get(
        f"/v1/challenges/{body['challenge_id']}/signatures").json()["safe_message_hash"]))
    assert again.status_code == 409 and again.json()["code"] == "duplicate_signature"
    for garbage in ("0x", "0xzz", "0x" + "ab" * 64, "0x" + "00" * 64 + "07"):
        answer = add(world, body["challenge_id"], garbage)
        assert answer.status_code == 400 and answer.json()["field"] == "signature", garbage
    assert world.client.get(f"/v1/challenges/{body['challenge_id']}/signatures").json()["signed"] == 1


def test_a_challenge_of_another_method_or_unknown_takes_no_owner_signatures(world: World) -> None:
    other = world.client.post("/v1/challenges", json={"address": world.safe, "destination": DESTINATION,
                                                      "method": "eip1271"}).json()
    refused = add(world, other["challenge_id"], "0x" + "ab" * 65)
    assert refused.status_code == 400 and refused.json()["field"] == "challenge_id"
    assert add(world, "6f1c2f7e-1111-4a4a-8b8b-123456789abc", "0x" + "ab" * 65).status_code == 404


def test_after_a_week_the_challenge_has_expired(world: World) -> None:
    body = issue(world, world.safe)
    world.clock.now += WEEK + dt.timedelta(minutes=1)
    expired = add(world, body["challenge_id"], typed_signature(A, body["typed_data"]))
    assert expired.status_code == 410 and expired.json()["code"] == "challenge_expired"


def test_an_owner_rotated_after_the_recorded_block(world: World) -> None:
    """C is swapped for D after the challenge recorded the owners: D does not count, C still does."""
    body = issue(world, world.safe)
    typed = body["typed_data"]
    swap = world.kit.safe(world.safe).encode_abi("swapOwner", [B.address, C.address, D.address])
    world.kit.execute(world.safe, [A, B], world.safe, bytes.fromhex(swap[2:]))
    assert world.kit.safe(world.safe).functions.getOwners().call() == [A.address, B.address, D.address]
    newcomer = add(world, body["challenge_id"], typed_signature(D, typed))
    assert newcomer.status_code == 422 and "not an owner" in newcomer.json()["detail"]
    assert add(world, body["challenge_id"], typed_signature(C, typed)).json()["signed"] == 1
    done = add(world, body["challenge_id"], typed_signature(A, typed)).json()
    assert done["request"]["status"] == "pending_review"  # the Safe accepted them at the recorded block


def test_an_owner_approves_the_hash_on_chain(world: World) -> None:
    body = issue(world, world.safe)
    progress = world.client.get(f"/v1/challenges/{body['challenge_id']}/signatures").json()
    safe_hash = bytes.fromhex(progress["safe_message_hash"][2:])
    approved_part = "0x" + (bytes(12) + bytes.fromhex(C.address[2:]) + bytes(32) + b"\x01").hex()
    early = add(world, body["challenge_id"], approved_part)
    assert early.status_code == 422 and "approveHash" in early.json()["detail"]
    world.kit.fund(C)
    world.kit.send_as(C, world.kit.safe(world.safe).functions.approveHash(safe_hash))
    assert add(world, body["challenge_id"], approved_part).json()["owners"][2]["kind"] == "approved_hash"
    done = add(world, body["challenge_id"], typed_signature(B, body["typed_data"])).json()
    record = evidence_of(world, done["request"]["request_id"])["verification"]["safe"]
    assert record["checked_at_block"] > record["block"]  # the approval came after the recorded block


def test_a_pasted_prepared_signature_files_at_once(world: World) -> None:
    body = issue(world, world.safe)
    typed = body["typed_data"]
    parts = sorted([(A.address, typed_signature(A, typed)), (C.address, typed_signature(C, typed))],
                   key=lambda pair: int(pair[0], 16))
    prepared = "0x" + "".join(signature[2:] for _, signature in parts)
    one_only = world.client.post("/v1/proofs", json={"challenge_id": body["challenge_id"],
                                                     "signature": parts[0][1]})
    assert one_only.status_code == 400  # a threshold of 2 needs two parts
    filed = world.client.post("/v1/proofs", json={"challenge_id": body["challenge_id"], "signature": prepared})
    assert filed.status_code == 201, filed.text
    record = evidence_of(world, filed.json()["request_id"])["verification"]["safe"]
    assert record["signed"] == "prepared_signature" and len(record["signers"]) == 2


def test_a_safe_that_signed_on_chain(world: World) -> None:
    body = issue(world, world.onchain_safe)
    not_yet = world.client.post("/v1/proofs", json={"challenge_id": body["challenge_id"], "signature": "0x"})
    assert not_yet.status_code == 422 and not_yet.json()["code"] == "signature_mismatch"
    digest = bytes.fromhex(body["typed_data"]["message"]["message"][2:])
    lib = world.kit.sign_message_lib
    world.kit.execute(world.onchain_safe, [A], lib.address, bytes.fromhex(lib.encode_abi("signMessage", [digest])[2:]),
                      operation=1)  # delegatecall: the Safe itself records signedMessages[hash]
    filed = world.client.post("/v1/proofs", json={"challenge_id": body["challenge_id"], "signature": "0x"})
    assert filed.status_code == 201, filed.text
    record = evidence_of(world, filed.json()["request_id"])["verification"]["safe"]
    assert record["signed"] == "on_chain" and record["owners"] == [A.address]


def test_an_eoa_is_not_a_safe(world: World) -> None:
    world_eoa = world.w3.eth.accounts[0]
    response = world.client.post("/v1/challenges", json={"address": world_eoa, "destination": DESTINATION,
                                                         "method": "safe"})
    assert response.status_code in (422,) and response.json()["code"] in ("not_eligible", "not_a_safe")


def test_owner_signatures_are_rate_limited_per_client(world: World, settings: Settings) -> None:
    """Each signature may ask the node (a contract owner, an approval): the route counts against the holder limit."""
    body = issue(world, world.safe)
    limited = msgspec.structs.replace(settings, rate_limit_per_minute=3)
    with TestClient(app=create_app(limited, clock=world.clock, evm_chain=Web3Chain(world.w3))) as client:
        answers = [client.post(f"/v1/challenges/{body['challenge_id']}/signatures", json={"signature": "0xzz"})
                   for _ in range(4)]
        assert [a.status_code for a in answers] == [400, 400, 400, 429]
        assert client.get(f"/v1/challenges/{body['challenge_id']}/signatures").status_code == 200  # reads are free


def test_a_contract_owner_signs_with_its_own_safe(world: World) -> None:
    """An owner that is itself a Safe: its part is v = 0 with the owner in r and its signature as the dynamic
    part, which the portal checks as the outer Safe will (legacy isValidSignature, 0x20c13b0b)."""
    inner = world.inner_safe
    body = issue(world, world.nested_safe)
    digest = bytes.fromhex(body["typed_data"]["message"]["message"][2:])
    chain_id = world.w3.eth.chain_id
    # Safe v1.4.1 asks its contract owner about the encoded SafeMessage of the outer Safe (0x1901 ‖ ...), which the
    # inner Safe, in turn, wraps in its own SafeMessage for its owner to sign.
    asked = safe_message_data(chain_id, world.nested_safe, digest)

    def contract_part(signer) -> str:
        inner_signature = bytes(signer.unsafe_sign_hash(safe_message_hash(chain_id, inner, asked)).signature)
        part = bytes(12) + bytes.fromhex(inner[2:]) + (65).to_bytes(32, "big") + b"\x00"
        return "0x" + (part + len(inner_signature).to_bytes(32, "big") + inner_signature).hex()

    refused = add(world, body["challenge_id"], contract_part(STRANGER))
    assert refused.status_code == 422 and "contract owner" in refused.json()["detail"]
    assert add(world, body["challenge_id"], contract_part(D)).json()["owners"][0]["kind"] == "contract"
    response = add(world, body["challenge_id"], typed_signature(B, body["typed_data"]))
    assert response.status_code == 200, response.text
    done = response.json()
    record = evidence_of(world, done["request"]["request_id"])["verification"]["safe"]
    assert sorted((s["owner"], s["kind"]) for s in record["signers"]) == sorted([(inner, "contract"),
                                                                                 (B.address, "ecdsa")])



def test_the_safe_page_works_without_js(world: World) -> None:
    """The owners paste their signatures into the page's form: the same checks, the same filing, the token once."""
    body = issue(world, world.safe)
    page = world.client.get(f"/safe/{body['challenge_id']}?owner={A.address}")
    assert page.status_code == 200 and "0 of 2 owners have signed" in page.text and A.address in page.text
    assert "does not own that address anywhere else" in page.text
    url = f"/safe/{body['challenge_id']}"
    cross = world.client.post(url, data={"signature": typed_signature(A, body["typed_data"])},
                              headers={"sec-fetch-site": "cross-site"})
    assert cross.status_code == 403 and "0 of 2" in world.client.get(f"/safe/{body['challenge_id']}").text
    stranger = world.client.post(f"/safe/{body['challenge_id']}",
                                 data={"signature": typed_signature(STRANGER, body["typed_data"])})
    assert stranger.status_code == 422 and "is not an owner" in stranger.text
    first = world.client.post(url, data={"signature": typed_signature(A, body["typed_data"])})
    assert first.status_code == 200 and "1 of 2 owners have signed" in first.text
    again = world.client.post(url, data={"signature": typed_signature(A, body["typed_data"])})
    assert again.status_code == 409 and "has already signed" in again.text
    filed = world.client.post(url, data={"signature": typed_signature(C, body["typed_data"])})
    assert filed.status_code == 200 and "Your request has been sent" in filed.text
    assert world.client.get("/safe/6f1c2f7e-1111-4a4a-8b8b-123456789abc").status_code == 404


def test_a_node_of_another_chain_neither_pins_nor_files_a_safe(world: World) -> None:
    """The challenge pins the tester chain's id. A node answering for chain 1 (the same state behind a real
    JSON-RPC server: the Safe's code and owners are there) pins no Safe and files no request: it is asked its
    chain id and nothing else. Through the pinned chain's node, an owner who signed sends theirs again and the
    request is filed (no third owner is needed)."""
    body = issue(world, world.safe)
    typed = body["typed_data"]
    first = add(world, body["challenge_id"], typed_signature(A, typed))
    assert first.status_code == 200
    safe_hash = first.json()["safe_message_hash"]
    with (EvmFront(world.w3.provider.ethereum_tester, 1) as front,
          TestClient(app=create_app(world.settings, clock=world.clock,
                                    evm_chain=Web3Chain.from_url(front.url, timeout_seconds=5))) as wrong):
        pinned = wrong.post("/v1/challenges", json={"address": world.safe, "destination": DESTINATION,
                                                    "method": "safe"})
        assert pinned.status_code == 503 and pinned.json()["code"] == "rpc_wrong_chain"
        refused = wrong.post(f"/v1/challenges/{body['challenge_id']}/signatures",
                             json={"signature": eth_sign(B, safe_hash)})
        assert refused.status_code == 503 and refused.json()["code"] == "rpc_wrong_chain"
        assert (refused.json()["chain_id"], refused.json()["node_chain_id"]) == (world.w3.eth.chain_id, 1)
        assert front.calls == {"eth_chainId": 2}
    progress = world.client.get(f"/v1/challenges/{body['challenge_id']}/signatures").json()
    assert progress["used"] is False and progress.get("request") is None  # nothing was filed on the wrong chain
    assert progress["signed"] == 2  # B's signature is kept: the threshold is met, the Safe's check was not made
    assert "could not be made yet" in world.client.get(f"/safe/{body['challenge_id']}").text  # the page says what to do
    filed = add(world, body["challenge_id"], eth_sign(B, safe_hash))  # B sends it again: the check, then the filing
    assert filed.status_code == 200 and filed.json()["request"]["status"] == "pending_review", filed.text
    request_id = filed.json()["request"]["request_id"]
    assert evidence_of(world, request_id)["verification"]["chain_id"] == world.w3.eth.chain_id
