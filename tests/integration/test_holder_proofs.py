"""Ownership proofs through the HTTP API with real keys: every method, and each error's own answer.

EVM methods that need a chain (eip1271, transaction) run against a real in-process EVM
(web3's EthereumTesterProvider: eth-tester + py-evm) with a snapshot built here that lists the
contract wallet or the eth-tester account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from litestar.testing import TestClient
from nacl.signing import SigningKey
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import Transaction

import snapshot
from portal.app import create_app
from portal.domain.proofs import solana as solana_proofs
from portal.domain.proofs.messages import application_domain
from portal.settings import Settings

Account.enable_unaudited_hdwallet_features()
MNEMONIC = "test test test test test test test test test test test junk"  # public Hardhat test mnemonic
HOLDER = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/0")
OTHER = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/1")
DESTINATION = "0x1111111111111111111111111111111111111111"
MEMO_PROGRAM = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
SYSTEM_PROGRAM = Pubkey.from_string("11111111111111111111111111111111")


def solana_demo_key(i: int) -> Keypair:
    return Keypair.from_seed(hashlib.sha256(f"migration-portal DEMO solana key {i}".encode()).digest())


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    with TestClient(app=create_app(settings, clock=clock)) as test_client:
        yield test_client


def challenge(client: TestClient, address: str, method: str = "eip191", destination: str = DESTINATION) -> dict:
    response = client.post("/v1/challenges", json={"address": address, "destination": destination, "method": method})
    assert response.status_code == 201, response.text
    return response.json()


def prove(client: TestClient, challenge_id: str, **proof: str):
    return client.post("/v1/proofs", json={"challenge_id": challenge_id, **proof})


def personal_sign(account: object, message: str) -> str:
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex()  # type: ignore[attr-defined]


def test_eip191_with_exactly_the_text_returned(client: TestClient) -> None:
    body = challenge(client, HOLDER.address)
    assert "wants you to sign in with your Ethereum account" in body["message"]
    assert "never asks for funds, seed phrases" in body["message"] and DESTINATION in body["message"]
    response = prove(client, body["challenge_id"], signature=personal_sign(HOLDER, body["message"]))
    assert response.status_code == 201, response.text
    filed = response.json()
    view = client.get(f"/v1/requests/{filed['request_id']}",
                      headers={"Authorization": f"Bearer {filed['status_token']}"})
    assert view.status_code == 200
    assert view.json()["destination"] == DESTINATION


def test_eip712_typed_data(client: TestClient) -> None:
    body = challenge(client, HOLDER.address, "eip712")
    typed = body["typed_data"]
    assert typed["primaryType"] == "MigrationRequest" and "EIP712Domain" in typed["types"]
    signed = HOLDER.sign_message(encode_typed_data(full_message=typed))
    response = prove(client, body["challenge_id"], signature="0x" + signed.signature.hex())
    assert response.status_code == 201, response.text


def test_eip712_to_a_solana_destination(client: TestClient) -> None:
    """An EVM holder moving to Solana: the key is a ``string`` field, so a real wallet signs it (issue 19)."""
    destination = str(solana_demo_key(7).pubkey())
    body = challenge(client, HOLDER.address, "eip712", destination=destination)
    typed = body["typed_data"]
    assert {"name": "destination", "type": "string"} in typed["types"]["MigrationRequest"]
    assert typed["message"]["destination"] == destination
    signed = Account.sign_typed_data(HOLDER.key, full_message=typed)
    response = prove(client, body["challenge_id"], signature="0x" + signed.signature.hex())
    assert response.status_code == 201, response.text
    filed = response.json()
    view = client.get(f"/v1/requests/{filed['request_id']}",
                      headers={"Authorization": f"Bearer {filed['status_token']}"})
    assert view.status_code == 200 and view.json()["destination"] == destination


@pytest.mark.parametrize("layout", ["plain", "offchain_v0", "offchain_v0_legacy"])
def test_solana_sign_message_and_offchain_envelopes(client: TestClient, layout: str) -> None:
    keypair = solana_demo_key(0)
    body = challenge(client, str(keypair.pubkey()), "solana")
    assert "wants you to sign in with your Solana account" in body["message"]
    signing_key = SigningKey(bytes(keypair)[:32])
    message = body["message"].encode()
    if layout != "plain":
        envelopes = dict(solana_proofs.envelopes(message, bytes(keypair.pubkey()),
                                                 application_domain("portal.example.org")))
        message = envelopes[layout]
    signature = signing_key.sign(message).signature
    response = prove(client, body["challenge_id"], signature=signature.hex())
    assert response.status_code == 201, response.text


def test_solana_signature_over_another_message_is_a_mismatch(client: TestClient) -> None:
    keypair = solana_demo_key(1)
    body = challenge(client, str(keypair.pubkey()), "solana")
    signature = SigningKey(bytes(keypair)[:32]).sign(b"something else").signature
    response = prove(client, body["challenge_id"], signature=signature.hex())
    assert response.status_code == 422 and response.json()["code"] == "signature_mismatch"


def memo_transaction(keypair: Keypair, memo: bytes, extra: Instruction | None = None, payer: Keypair | None = None,
                     ) -> str:
    import base64

    fee_payer = payer or keypair
    instructions = [Instruction(MEMO_PROGRAM, memo, [])] + ([extra] if extra else [])
    message = Message.new_with_blockhash(instructions, fee_payer.pubkey(), Hash.default())
    return base64.b64encode(bytes(Transaction([fee_payer], message, Hash.default()))).decode()


def test_solana_tx_memo(client: TestClient) -> None:
    keypair = solana_demo_key(2)
    body = challenge(client, str(keypair.pubkey()), "solana_tx")
    assert body["nonce_line"] == (f"migration-portal request: I own {keypair.pubkey()} and ask that its migrated "
                                  f"allocation be sent to {body['destination']} on EVM chain 1 (eip155:1). "
                                  f"Nonce: {body['nonce']}")
    old_memo = f"migration-portal nonce: {body['nonce']}".encode()
    nonce_only = prove(client, body["challenge_id"], signed_transaction=memo_transaction(keypair, old_memo))
    assert nonce_only.status_code == 422 and nonce_only.json()["code"] == "transaction_mismatch"
    bad = prove(client, body["challenge_id"], signed_transaction=memo_transaction(keypair, b"wrong memo"))
    assert bad.status_code == 422 and bad.json()["code"] == "transaction_mismatch"
    line = body["nonce_line"].encode()
    good = prove(client, body["challenge_id"], signed_transaction=memo_transaction(keypair, line))
    assert good.status_code == 201, good.text


def test_solana_tx_with_another_payer_or_a_transfer_is_refused(client: TestClient) -> None:
    keypair = solana_demo_key(3)
    body = challenge(client, str(keypair.pubkey()), "solana_tx")
    line = body["nonce_line"].encode()
    other = prove(client, body["challenge_id"], signed_transaction=memo_transaction(keypair, line, payer=Keypair()))
    assert other.status_code == 422 and other.json()["code"] == "signature_mismatch"
    transfer = Instruction(SYSTEM_PROGRAM, bytes(12), [])
    extra = prove(client, body["challenge_id"], signed_transaction=memo_transaction(keypair, line, extra=transfer))
    assert extra.status_code == 422 and extra.json()["code"] == "transaction_mismatch"


def test_error_table(client: TestClient, clock: Clock) -> None:
    unknown = prove(client, "00000000-0000-4000-8000-000000000000", signature="0x" + "00" * 65)
    assert unknown.status_code == 404
    body = challenge(client, HOLDER.address)
    wrong = prove(client, body["challenge_id"], signature=personal_sign(OTHER, body["message"]))
    assert wrong.status_code == 422 and wrong.json()["code"] == "signature_mismatch"
    assert OTHER.address in wrong.json()["detail"]
    for malformed in ["0x1234", "0x" + "zz" * 65, "0x" + "11" * 66, "0x" + "11" * 64 + "05",
                      "0x" + "11" * 32 + "ff" * 32 + "1b"]:
        answer = prove(client, body["challenge_id"], signature=malformed)
        assert answer.status_code == 400 and answer.json()["field"] == "signature", malformed
    good = personal_sign(HOLDER, body["message"])
    assert prove(client, body["challenge_id"], signature=good).status_code == 201
    replay = prove(client, body["challenge_id"], signature=good)
    assert replay.status_code == 409 and replay.json()["code"] == "challenge_used"
    late = challenge(client, OTHER.address)
    clock.now += dt.timedelta(hours=1)
    expired = prove(client, late["challenge_id"], signature=personal_sign(OTHER, late["message"]))
    assert expired.status_code == 410 and expired.json()["code"] == "challenge_expired"


def test_signature_for_another_challenge_and_swapped_destination(client: TestClient) -> None:
    first = challenge(client, HOLDER.address)
    second = challenge(client, HOLDER.address, destination="0x2222222222222222222222222222222222222222")
    assert prove(client, second["challenge_id"], signature=personal_sign(HOLDER, first["message"])).status_code == 422
    swapped = first["message"].replace(DESTINATION, "0x3333333333333333333333333333333333333333")
    assert prove(client, first["challenge_id"], signature=personal_sign(HOLDER, swapped)).status_code == 422


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"address": "0x000000000000000000000000000000000000dEaD", "destination": DESTINATION, "method": "eip191"},
         422, "address"),
        ({"address": HOLDER.address, "destination": "0x0000000000000000000000000000000000000000", "method": "eip191"},
         400, "destination"),
        ({"address": HOLDER.address, "destination": "0xnope", "method": "eip191"}, 400, "destination"),
        ({"address": HOLDER.address, "destination": DESTINATION, "method": "solana"}, 400, "method"),
        ({"address": HOLDER.address, "destination": DESTINATION, "method": "carrier-pigeon"}, 400, "method"),
        ({"address": HOLDER.address, "destination": DESTINATION}, 400, "method"),
    ],
)
def test_challenge_refusals_name_the_field(client: TestClient, body: dict, status: int, field: str) -> None:
    response = client.post("/v1/challenges", json=body)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert response.headers["content-type"].startswith("application/problem+json")


def test_proof_needs_exactly_one_kind(client: TestClient) -> None:
    body = challenge(client, HOLDER.address)
    both = prove(client, body["challenge_id"], signature="0x00", tx_hash="0x" + "00" * 32)
    assert both.status_code == 400 and both.json()["field"] == "tx_hash"
    assert prove(client, body["challenge_id"]).status_code == 400


def test_second_valid_proof_answers_with_the_live_request(client: TestClient) -> None:
    first = challenge(client, HOLDER.address)
    created = prove(client, first["challenge_id"], signature=personal_sign(HOLDER, first["message"])).json()
    second = challenge(client, HOLDER.address)
    again = prove(client, second["challenge_id"], signature=personal_sign(HOLDER, second["message"]))
    assert again.status_code == 200
    assert again.json()["request_id"] == created["request_id"] and again.json()["status_token"] is None


def test_holder_view_hides_existence(client: TestClient, settings: Settings) -> None:
    body = challenge(client, HOLDER.address)
    filed = prove(client, body["challenge_id"], signature=personal_sign(HOLDER, body["message"])).json()
    url = f"/v1/requests/{filed['request_id']}"
    answers = [client.get(url), client.get(url, headers={"Authorization": "Bearer wrong"}),
               client.get("/v1/requests/not-a-uuid", headers={"Authorization": f"Bearer {filed['status_token']}"}),
               client.get("/v1/requests/00000000-0000-4000-8000-000000000000",
                          headers={"Authorization": f"Bearer {filed['status_token']}"})]
    assert {a.status_code for a in answers} == {404}
    assert len({a.json()["detail"] for a in answers}) == 1


def test_rate_limit_answers_429_problem_with_retry_after(settings: Settings) -> None:
    limited = msgspec.structs.replace(settings, rate_limit_per_minute=3)
    with TestClient(app=create_app(limited)) as client:
        answers = [client.post("/v1/challenges", json={"address": "bad", "destination": DESTINATION,
                                                        "method": "eip191"}) for _ in range(4)]
        assert [a.status_code for a in answers] == [400, 400, 400, 429]
        assert answers[-1].json()["code"] == "rate_limited"
        assert answers[-1].headers["content-type"].startswith("application/problem+json")
        assert int(answers[-1].headers["retry-after"]) > 0
        assert client.get("/v1/eligibility/" + HOLDER.address).status_code == 200  # reads are not limited


@pytest.fixture
def evm(settings: Settings, tmp_path: Path):
    """A real EVM with an ERC-1271 wallet owned by HOLDER and a funded eth-tester account, both in a snapshot."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eth-tester/py-evm emit deprecation noise on import; not ours to fix
        from web3 import EthereumTesterProvider, Web3

        w3 = Web3(EthereumTesterProvider())
    artifact = json.loads((Path(__file__).resolve().parents[2] / "portal" / "domain" / "proofs" / "contracts"
                           / "ERC1271Wallet.json").read_text())
    sender = w3.eth.accounts[0]
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(HOLDER.address).transact({"from": sender}))
    wallet = receipt["contractAddress"]
    source = tmp_path / "chain.csv"
    source.write_text(f"address,amount\n{wallet},1000\n{sender},2000\n")
    manifest = snapshot.build_artifact(source, tmp_path / "snap")
    from portal.domain.proofs.chain import Web3Chain

    app_settings = msgspec.structs.replace(settings, snapshots=(*settings.snapshots, manifest.path),
                                           min_confirmations=1, evm_chain_id=w3.eth.chain_id)
    with TestClient(app=create_app(app_settings, evm_chain=Web3Chain(w3))) as client:
        yield client, w3, wallet, sender


def test_eip1271_contract_wallet_on_a_real_evm(evm) -> None:
    client, _, wallet, _ = evm
    body = challenge(client, wallet, "eip1271")
    wrong = prove(client, body["challenge_id"], signature=personal_sign(OTHER, body["message"]))
    assert wrong.status_code == 422 and wrong.json()["code"] == "signature_mismatch"
    good = prove(client, body["challenge_id"], signature=personal_sign(HOLDER, body["message"]))
    assert good.status_code == 201, good.text
    eoa = challenge(client, OTHER.address, "eip1271")
    assert prove(client, eoa["challenge_id"], signature=personal_sign(OTHER, eoa["message"])).json()["code"] \
        == "not_a_contract"


def test_transaction_proof_on_a_real_evm(evm) -> None:
    client, w3, _, sender = evm
    body = challenge(client, sender, "transaction")
    line = body["nonce_line"].encode()
    wrong_data = w3.eth.send_transaction({"from": sender, "to": sender, "value": 0, "data": b"hello"})
    assert prove(client, body["challenge_id"], tx_hash=wrong_data.hex() if wrong_data.hex().startswith("0x")
                 else "0x" + wrong_data.hex()).json()["code"] == "transaction_mismatch"
    with_value = w3.eth.send_transaction({"from": sender, "to": sender, "value": 1, "data": line})
    assert prove(client, body["challenge_id"], tx_hash="0x" + with_value.hex().removeprefix("0x")).json()["code"] \
        == "transaction_mismatch"
    missing = prove(client, body["challenge_id"], tx_hash="0x" + "ab" * 32)
    assert missing.json()["code"] == "transaction_not_found"
    good = w3.eth.send_transaction({"from": sender, "to": sender, "value": 0, "data": line})
    response = prove(client, body["challenge_id"], tx_hash="0x" + good.hex().removeprefix("0x"))
    assert response.status_code == 201, response.text
