"""A contract wallet proves its address on one chain only (issue 26, item 3), through the HTTP API and the CLI.

A real EVM (web3's ``EthereumTesterProvider``: eth-tester + py-evm) with the compiled ERC-1271 wallet owned by a
real key, a snapshot listing the wallet and a plain key's address, a real PostgreSQL. A second node is the same
chain's state behind a real JSON-RPC server (``tests.chains.evm_front``) that answers another ``eth_chainId``:
what a portal pointed at the wrong network's node sees. The release and allowlist of a deployment on chain 1
hold back the wallet's approval, proven on the tester chain; a key's approval holds on every chain.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
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
from policy.release import decode_entries, parse_release
from portal.app import create_app
from portal.cli import main
from portal.domain.proofs.chain import Web3Chain
from portal.http.copy.safe import SAME_ADDRESS_ELSEWHERE
from portal.settings import Settings
from tests.chains.evm_front import EvmFront
from tests.integration.staff_helpers import bearer, create_key
from tests.integration.test_console_api import console_client, sign_in
from tests.integration.test_sign_page import text_of

OWNER = Account.from_key(b"\x51" * 32)   # owns the contract wallet
KEY_HOLDER = Account.from_key(b"\x52" * 32)  # holds in the snapshot with a plain key
DESTINATION = "0x1111111111111111111111111111111111111111"
KEY_DESTINATION = "0x2222222222222222222222222222222222222222"
FORM = {"content-type": "application/x-www-form-urlencoded"}
WALLET_JSON = Path(__file__).resolve().parents[2] / "portal" / "domain" / "proofs" / "contracts" / "ERC1271Wallet.json"


class World(msgspec.Struct):
    w3: Any
    wallet: str
    settings: Settings
    snapshot_id: str
    snapshot_path: str


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eth-tester/py-evm deprecation noise on import; not ours to fix
        from web3 import EthereumTesterProvider, Web3

        w3 = Web3(EthereumTesterProvider())
    artifact = json.loads(WALLET_JSON.read_text())
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(OWNER.address).transact(
        {"from": w3.eth.accounts[0]}))
    wallet = receipt["contractAddress"]
    source = tmp_path / "holders.csv"
    source.write_text(f"address,amount\n{wallet},1000\n{KEY_HOLDER.address},2000\n")
    manifest = snapshot.build_artifact(source, tmp_path / "snap")
    app_settings = msgspec.structs.replace(settings, snapshots=(manifest.path,), evm_chain_id=w3.eth.chain_id)
    return World(w3, wallet, app_settings, manifest.id, manifest.path)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(app=create_app(world.settings, evm_chain=Web3Chain(world.w3))) as test_client:
        yield test_client


def personal_sign(account: Any, message: str) -> str:
    return "0x" + bytes(account.sign_message(encode_defunct(text=message)).signature).hex()


def challenge(client: TestClient, address: str, method: str, destination: str = DESTINATION) -> dict:
    response = client.post("/v1/challenges", json={"address": address, "destination": destination, "method": method})
    assert response.status_code == 201, response.text
    return response.json()


def request_row(settings: Settings, request_id: str) -> tuple[dict, int | None]:
    with psycopg.connect(settings.database_url or "") as conn:
        row = conn.execute("SELECT evidence, proof_chain_id FROM requests WHERE id = %s", (request_id,)).fetchone()
    assert row is not None
    return row[0], row[1]


def audit_data(settings: Settings, request_id: str) -> dict:
    with psycopg.connect(settings.database_url or "") as conn:
        return conn.execute("SELECT data FROM audit_events WHERE subject = %s AND action = 'request:proof:accepted'",
                            (f"request:{request_id}",)).fetchone()[0]


def file_both(client: TestClient, world: World) -> tuple[str, str]:
    """The wallet proves with eip1271 on the tester chain, the key holder with eip191; both approved."""
    body = challenge(client, world.wallet, "eip1271")
    wallet_request = client.post("/v1/proofs", json={"challenge_id": body["challenge_id"],
                                                     "signature": personal_sign(OWNER, body["message"])})
    assert wallet_request.status_code == 201, wallet_request.text
    body = challenge(client, KEY_HOLDER.address, "eip191", KEY_DESTINATION)
    key_request = client.post("/v1/proofs", json={"challenge_id": body["challenge_id"],
                                                  "signature": personal_sign(KEY_HOLDER, body["message"])})
    assert key_request.status_code == 201, key_request.text
    token = create_key(world.settings.database_url or "", "approver-one-chain", "admin")
    while (claimed := client.post("/v1/review/claim", headers=bearer(token))).status_code == 200:
        decided = client.post(f"/v1/review/requests/{claimed.json()['request_id']}/decision", headers=bearer(token),
                              json={"decision": "approve"})
        assert decided.status_code == 200 and decided.json()["status"] == "approved", decided.text
    return wallet_request.json()["request_id"], key_request.json()["request_id"]


def test_the_proof_names_its_chain_for_the_reviewer_and_the_audit_log(client: TestClient, world: World) -> None:
    chain_id = world.w3.eth.chain_id
    wallet_request, key_request = file_both(client, world)
    evidence, proof_chain_id = request_row(world.settings, wallet_request)
    assert evidence["verification"] == {"contract_wallet": True, "chain_id": chain_id}
    assert proof_chain_id == chain_id and audit_data(world.settings, wallet_request)["chain_id"] == chain_id
    token = create_key(world.settings.database_url or "", "reader-one-chain", "reviewer")
    shown = client.get(f"/v1/review/requests/{wallet_request}", headers=bearer(token)).json()
    assert shown["evidence"]["verification"]["chain_id"] == chain_id
    [flag] = [f for f in shown["risk_flags"] if f["code"] == "contract_wallet"]
    assert f"proven on chain id {chain_id} only" in flag["detail"]
    assert request_row(world.settings, key_request)[1] is None  # a key owns its address on every chain
    assert "chain_id" not in audit_data(world.settings, key_request)


def test_a_node_of_another_chain_is_refused_and_the_challenge_is_kept(client: TestClient, world: World) -> None:
    """The portal checks on the tester chain; a node that answers for chain 1 (the same state: the wallet's code
    and owner are there) is asked nothing but its chain id, and the holder may try again once it is fixed."""
    body = challenge(client, world.wallet, "eip1271")
    proof = {"challenge_id": body["challenge_id"], "signature": personal_sign(OWNER, body["message"])}
    with (EvmFront(world.w3.provider.ethereum_tester, 1) as front,
          TestClient(app=create_app(world.settings, evm_chain=Web3Chain.from_url(front.url, timeout_seconds=5)))
          as wrong):
        refused = wrong.post("/v1/proofs", json=proof)
        assert refused.status_code == 503 and refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert (problem["code"], problem["chain_id"], problem["node_chain_id"]) == (
            "rpc_wrong_chain", world.w3.eth.chain_id, 1)
        assert "retry-after" not in refused.headers  # a fact of the set-up, not an outage
        assert front.calls == {"eth_chainId": 1}
        page = wrong.post("/prove/submit", data={"address": world.wallet, "chain": "evm", "wallet": "contract",
                                                 "destination": DESTINATION, "challenge_id": body["challenge_id"],
                                                 "method": "eip1271", "proof": proof["signature"]}, headers=FORM)
        assert page.status_code == 503 and "on another network" in text_of(page.text)
    accepted = client.post("/v1/proofs", json=proof)
    assert accepted.status_code == 201, accepted.text


def test_allowlist_rows_carry_the_chain_id_and_another_chains_deployment_leaves_the_wallet_out(
        client: TestClient, world: World) -> None:
    chain_id = world.w3.eth.chain_id
    file_both(client, world)
    token = create_key(world.settings.database_url or "", "export-one-chain", "reviewer")
    query = {"snapshot_id": world.snapshot_id, "destination_chain": "evm"}
    here = client.get("/v1/allowlist", params=query, headers=bearer(token)).json()
    assert here["chain_id"] == chain_id and here["excluded"] == []
    assert sorted((e["snapshot_address"], e["chain_id"]) for e in here["entries"]) == sorted(
        [(world.wallet, chain_id), (KEY_HOLDER.address, chain_id)])
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/allowlist", params={**query, "format": "csv"},
                                                      headers=bearer(token)).text)))
    assert {row["chain_id"] for row in rows} == {str(chain_id)} and len(rows) == 2

    on_chain_1 = msgspec.structs.replace(world.settings, evm_chain_id=1)  # a deployment whose EVM chain is 1
    with TestClient(app=create_app(on_chain_1)) as other:
        answer = other.get("/v1/allowlist", params=query, headers=bearer(token))
    there = answer.json()
    assert there["chain_id"] == 1
    assert [(e["snapshot_address"], e["chain_id"]) for e in there["entries"]] == [(KEY_HOLDER.address, 1)]
    [left_out] = there["excluded"]
    assert (left_out["snapshot_address"], left_out["code"], left_out["proof_chain_id"]) == (
        world.wallet, "proof_on_other_chain", chain_id)
    assert f"chain id {chain_id}, not 1" in left_out["reason"]
    assert answer.headers["x-allowlist-excluded-entries"] == f"{world.wallet}=proof_on_other_chain"

    with console_client(create_app(on_chain_1)) as console:
        assert sign_in(console, token).status_code in (302, 303)
        page = text_of(console.get("/staff/releases").text)
    assert "Held back: proven on another chain" in page and f"{world.wallet} {DESTINATION} {chain_id}" in page
    assert KEY_HOLDER.address not in page
    with console_client(create_app(world.settings)) as console:  # on the chain it was proven on: nothing held back
        assert sign_in(console, token).status_code in (302, 303)
        assert "Held back" not in console.get("/staff/releases").text


def prepare(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, world: World, chain_id: int,
            out: Path) -> tuple[dict, str]:
    monkeypatch.setenv("DATABASE_URL", world.settings.database_url or "")
    monkeypatch.setenv("PORTAL_SNAPSHOTS", world.snapshot_path)
    monkeypatch.setenv("PORTAL_EVM_CHAIN_ID", str(chain_id))
    monkeypatch.delenv("PORTAL_DESTINATIONS_FILE", raising=False)
    code = main(["release", "prepare", "--destination-chain", "evm", "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    return json.loads(printed.out), printed.err


def test_a_release_names_its_chain_and_holds_back_a_wallet_proven_on_another(
        client: TestClient, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    chain_id = world.w3.eth.chain_id
    file_both(client, world)

    printed, err = prepare(capsys, monkeypatch, world, 1, tmp_path / "release-evm-1.md")
    assert (printed["chain_id"], printed["entries"]) == (1, 1)
    assert [(h["snapshot_address"], h["proof_chain_id"]) for h in printed["held_back"]] == [(world.wallet, chain_id)]
    assert f"held back {world.wallet} -> {DESTINATION}: its contract-wallet proof was made on chain id {chain_id}" \
        in err
    doc = parse_release((tmp_path / "release-evm-1.md").read_bytes())
    entries = decode_entries((tmp_path / "release-evm-1.entries.json").read_bytes())
    assert doc.chain_id == 1 and "chain id 1, and only there" in doc.body
    assert [(e.destination, e.chain_id, [s.snapshot_address for s in e.sources]) for e in entries] == [
        (KEY_DESTINATION, 1, [KEY_HOLDER.address])]

    printed, err = prepare(capsys, monkeypatch, world, chain_id, tmp_path / "release-evm-1-here.md")
    assert (printed["chain_id"], printed["entries"], printed["held_back"]) == (chain_id, 2, [])
    entries = decode_entries((tmp_path / "release-evm-1-here.entries.json").read_bytes())
    assert {e.chain_id for e in entries} == {chain_id} and {e.destination for e in entries} == {
        DESTINATION, KEY_DESTINATION}


def test_the_sign_and_check_pages_warn_that_the_wallet_holds_on_this_chain_only(client: TestClient,
                                                                                world: World) -> None:
    chain_id = world.w3.eth.chain_id
    answers = {"address": world.wallet, "chain": "evm", "wallet": "contract", "destination": DESTINATION}
    check = client.post("/prove", data=answers, headers=FORM)
    assert check.status_code == 200 and "Check your answers" in check.text
    sign = client.post("/prove/challenge", data=answers, headers=FORM)
    assert sign.status_code == 200, sign.text
    for page in (check.text, sign.text):
        warning = text_of(page.split('data-role="chain-warning">', 1)[1].split("</p>", 1)[0])
        assert f"This proves the contract wallet or smart account {world.wallet} on chain {chain_id} only" in warning
        assert SAME_ADDRESS_ELSEWHERE in warning
    plain = client.post("/prove/challenge", data={**answers, "address": KEY_HOLDER.address, "wallet": "hardware"},
                        headers=FORM)
    assert plain.status_code == 200 and 'data-role="chain-warning"' not in plain.text  # a key holds everywhere
