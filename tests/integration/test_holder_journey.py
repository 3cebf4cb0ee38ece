"""What the holder pages need from the API, end to end against the real app and database, with
real keys: per-request destination chains, the one-line Ledger text, the Tangem-shaped
``solana_tx`` answer, refusing chain-backed methods without an RPC, and the ``needs_info`` round trip
(staff through the API, the holder with the status token)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Iterator

import base58
import msgspec
import psycopg
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from litestar.testing import AsyncTestClient, TestClient
from nacl.signing import SigningKey
from solders.keypair import Keypair
from solders.transaction import Transaction

from portal.app import create_app
from portal.domain.proofs import solana as solana_proofs
from portal.domain.proofs.messages import application_domain
from portal.settings import Settings
from tests.integration.staff_helpers import ManualClock, bearer, create_key

Account.enable_unaudited_hdwallet_features()
MNEMONIC = "test test test test test test test test test test test junk"  # public Hardhat test mnemonic
HOLDERS = [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(3)]
EVM_DESTINATION = "0x1111111111111111111111111111111111111111"
SOLANA_DESTINATION = "8XmKW2gqxGRoNyV5itQmNfrs5h1MU3vMpgpkK4q2nJhD"


def solana_demo_key(i: int) -> Keypair:
    return Keypair.from_seed(hashlib.sha256(f"migration-portal DEMO solana key {i}".encode()).digest())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def client(settings: Settings, clock: ManualClock) -> Iterator[TestClient]:
    with TestClient(app=create_app(settings, clock=clock)) as test_client:
        yield test_client


def challenge(client: TestClient, address: str, method: str = "eip191", destination: str = EVM_DESTINATION,
              **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/v1/challenges", json={"address": address, "destination": destination, "method": method,
                                               **extra})


def personal_sign(account, message: str) -> str:  # type: ignore[no-untyped-def]
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex()


def file_request(client: TestClient, account=HOLDERS[0], destination: str = EVM_DESTINATION) -> dict:  # type: ignore[no-untyped-def]
    body = challenge(client, account.address, destination=destination).json()
    filed = client.post("/v1/proofs", json={"challenge_id": body["challenge_id"],
                                            "signature": personal_sign(account, body["message"])})
    assert filed.status_code == 201, filed.text
    return filed.json()


# -- destination per request ----------------------------------------------------------------------
def test_an_evm_holder_may_choose_a_solana_destination(client: TestClient) -> None:
    response = challenge(client, HOLDERS[0].address, destination=SOLANA_DESTINATION)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["destination_chain"] == "solana" and body["message_style"] == "standard"
    assert f"sent to {SOLANA_DESTINATION} on Solana." in body["message"]
    assert body["message"].endswith(f"- solana:mainnet:{SOLANA_DESTINATION}")
    filed = client.post("/v1/proofs", json={"challenge_id": body["challenge_id"],
                                            "signature": personal_sign(HOLDERS[0], body["message"])}).json()
    view = client.get(f"/v1/requests/{filed['request_id']}", headers=bearer(filed["status_token"])).json()
    assert (view["destination"], view["destination_chain"]) == (SOLANA_DESTINATION, "solana")


def test_the_destination_chain_defaults_to_the_address_form_and_names_the_chain(client: TestClient) -> None:
    body = challenge(client, HOLDERS[0].address, destination_chain="evm").json()
    assert body["destination_chain"] == "evm"
    assert f"sent to {EVM_DESTINATION} on EVM chain 1." in body["message"]


def test_a_destination_chain_that_contradicts_the_address_is_a_400(client: TestClient) -> None:
    for destination, chain in [(EVM_DESTINATION, "solana"), (SOLANA_DESTINATION, "evm")]:
        response = challenge(client, HOLDERS[0].address, destination=destination, destination_chain=chain)
        assert response.status_code == 400
        assert response.json()["field"] == "destination" and "not a" in response.json()["detail"]


def test_a_chain_this_migration_does_not_go_to_is_a_400(settings: Settings, clock: ManualClock) -> None:
    with TestClient(app=create_app(msgspec.structs.replace(settings, destination_chains=("evm",)),
                                   clock=clock)) as evm_only:
        response = challenge(evm_only, HOLDERS[0].address, destination=SOLANA_DESTINATION)
    assert response.status_code == 400 and response.json()["field"] == "destination"
    assert "evm only" in response.json()["detail"]


def test_an_unknown_destination_chain_is_a_400(client: TestClient) -> None:
    response = challenge(client, HOLDERS[0].address, destination_chain="bitcoin")
    assert response.status_code == 400 and response.json()["field"] == "destination_chain"


def test_staff_evidence_and_the_allowlist_carry_the_destination_chain(client: TestClient, database_url: str) -> None:
    filed = file_request(client, destination=SOLANA_DESTINATION)
    token = create_key(database_url, "rita", "reviewer")
    claimed = client.post("/v1/review/claim", headers=bearer(token)).json()
    assert claimed["request_id"] == filed["request_id"]
    assert claimed["destination_chain"] == "solana" and claimed["evidence"]["destination_chain"] == "solana"
    # No destinations file: the Solana amount would be the snapshot's 18-decimal base units, past the
    # distributor's u64, so the approval is refused with the reason (issue 19), naming the chain.
    decided = client.post(f"/v1/review/requests/{filed['request_id']}/decision", headers=bearer(token),
                          json={"decision": "approve", "reason": "ok"})
    assert decided.status_code == 422, decided.text
    assert (decided.json()["code"], decided.json()["destination_chain"]) == ("amount_not_releasable", "solana")
    params = {"snapshot_id": claimed["snapshot_id"]}
    # the EVM export (the default: first of PORTAL_DESTINATION_CHAINS) leaves the Solana-bound request
    # out; the Solana export's tree and amounts are the per-chain allowlist's own (tested there)
    evm_list = client.get("/v1/allowlist", params=params, headers=bearer(token)).json()
    assert evm_list["destination_chain"] == "evm" and evm_list["entries"] == []
    solana_list = client.get("/v1/allowlist", params={**params, "destination_chain": "solana"}, headers=bearer(token))
    assert solana_list.status_code == 200 and solana_list.json()["entries"] == []


# -- no RPC configured ----------------------------------------------------------------------------
def test_chain_backed_methods_are_refused_at_issue_time_without_an_rpc(client: TestClient, database_url: str) -> None:
    for method in ("eip1271", "transaction"):
        response = challenge(client, HOLDERS[0].address, method)
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["code"] == "rpc_unavailable" and "PORTAL_EVM_RPC_URL" in problem["detail"]
        assert "do not retry" in problem["detail"] and "Retry-After" not in response.headers
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM challenges").fetchone()[0] == 0  # type: ignore[index]


# -- solana: the one-line Ledger text -------------------------------------------------------------
ONE_LINE_LAYOUTS = ["plain", "offchain_v0", "offchain_v0:zero_domain", "offchain_v0_legacy"]


def test_one_line_solana_challenge_signed_plain_or_in_a_format_0_envelope(client: TestClient) -> None:
    for index, layout in enumerate(ONE_LINE_LAYOUTS):  # one demo key per layout: one request each
        one_line_proof(client, solana_demo_key(index), layout)


def one_line_proof(client: TestClient, keypair: Keypair, layout: str) -> None:
    response = challenge(client, str(keypair.pubkey()), "solana", message_style="one_line")
    assert response.status_code == 201, response.text
    body = response.json()
    text = body["message"]
    assert body["message_style"] == "one_line" and "\n" not in text and solana_proofs.is_restricted_ascii(text.encode())
    assert len(text.encode()) <= solana_proofs.FORMAT0_MAX_BODY_BYTES
    for fact in ("portal.example.org", str(keypair.pubkey()), EVM_DESTINATION, "(eip155:1)", body["nonce"]):
        assert fact in text
    signed = text.encode()
    if layout != "plain":
        envelopes = dict(solana_proofs.envelopes(signed, bytes(keypair.pubkey()),
                                                 application_domain("portal.example.org")))
        signed = envelopes[layout]
        format_at = 16 + 1 + (0 if layout == "offchain_v0_legacy" else 32)  # after the application domain
        assert signed[format_at] == 0  # format 0: restricted ASCII, what a Ledger clear-signs
    signature = base58.b58encode(SigningKey(bytes(keypair)[:32]).sign(signed).signature).decode()
    proof = client.post("/v1/proofs", json={"challenge_id": body["challenge_id"], "signature": signature})
    assert proof.status_code == 201, proof.text


def test_one_line_is_only_for_the_solana_method(client: TestClient) -> None:
    response = challenge(client, HOLDERS[0].address, "eip191", message_style="one_line")
    assert response.status_code == 400 and response.json()["field"] == "message_style"


# -- solana_tx: the exact transaction, and Tangem's signature-only answer ---------------------------
def test_solana_tx_challenge_carries_the_transaction_and_takes_a_tangem_answer(client: TestClient,
                                                                               database_url: str) -> None:
    keypair = solana_demo_key(3)
    body = challenge(client, str(keypair.pubkey()), "solana_tx").json()
    tx = Transaction.from_bytes(base64.b64decode(body["unsigned_transaction"]))
    assert tx.message.account_keys[0] == keypair.pubkey()
    signature = base58.b58encode(SigningKey(bytes(keypair)[:32]).sign(bytes(tx.message)).signature).decode()
    wrong = client.post("/v1/proofs", json={"challenge_id": body["challenge_id"],
                                            "signature": base58.b58encode(bytes(64)).decode()})
    assert wrong.status_code == 422 and wrong.json()["code"] == "signature_mismatch"
    proof = client.post("/v1/proofs", json={"challenge_id": body["challenge_id"], "signature": signature})
    assert proof.status_code == 201, proof.text
    with psycopg.connect(database_url) as conn:
        evidence = conn.execute("SELECT evidence FROM requests").fetchone()[0]  # type: ignore[index]
    assert evidence["verification"]["layout"] == "signature_only"


def test_other_methods_have_no_unsigned_transaction(client: TestClient) -> None:
    assert challenge(client, str(solana_demo_key(2).pubkey()), "solana").json()["unsigned_transaction"] is None


# -- needs_info is no dead end --------------------------------------------------------------------
def ask_for_info(client: TestClient, database_url: str, request_id: str, name: str = "rita") -> str:
    token = create_key(database_url, name, "reviewer")
    claimed = client.post("/v1/review/claim", headers=bearer(token))
    assert claimed.json()["request_id"] == request_id
    decided = client.post(f"/v1/review/requests/{request_id}/decision", headers=bearer(token),
                          json={"decision": "needs_info", "reason": "destination unclear",
                                "public_note": "Please confirm the destination and sign a new challenge."})
    assert decided.status_code == 200, decided.text
    return token


def answer(client: TestClient, request_id: str, token: str, **body: object):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/requests/{request_id}/answer", headers=bearer(token), json=body)


def test_needs_info_round_trip_goes_back_to_the_queue(client: TestClient, database_url: str,
                                                      clock: ManualClock) -> None:
    filed = file_request(client)
    staff = ask_for_info(client, database_url, filed["request_id"])
    view = client.get(f"/v1/requests/{filed['request_id']}", headers=bearer(filed["status_token"])).json()
    assert view["status"] == "needs_info" and view["public_note"].startswith("Please confirm")
    assert view["expected_review_hours"] == 48 and view["answers"] == []
    clock.advance(3600)
    response = answer(client, filed["request_id"], filed["status_token"], text="  Yes, 0x1111 is my new wallet.  ")
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["status"] == "pending_review"
    assert [(a["text"], a["proof_method"]) for a in view["answers"]] == [("Yes, 0x1111 is my new wallet.", None)]
    assert client.get(f"/v1/requests/{filed['request_id']}", headers=bearer(filed["status_token"])).json() == view
    reclaimed = client.post("/v1/review/claim", headers=bearer(staff)).json()  # back in the queue, no lease
    assert reclaimed["request_id"] == filed["request_id"] and reclaimed["status"] == "pending_review"
    assert reclaimed["answers"][0]["text"] == "Yes, 0x1111 is my new wallet."
    with psycopg.connect(database_url) as conn:
        data = conn.execute("SELECT data FROM audit_events WHERE action = 'request:answer:submitted'"
                            ).fetchone()[0]  # type: ignore[index]
    assert data["from"] == "needs_info" and data["to"] == "pending_review"
    assert data["text_sha256"] == hashlib.sha256(b"Yes, 0x1111 is my new wallet.").hexdigest()


def test_an_answer_with_a_new_proof_consumes_its_challenge(client: TestClient, database_url: str) -> None:
    filed = file_request(client)
    ask_for_info(client, database_url, filed["request_id"])
    fresh = challenge(client, HOLDERS[0].address).json()
    response = answer(client, filed["request_id"], filed["status_token"], text="signed again",
                      challenge_id=fresh["challenge_id"], signature=personal_sign(HOLDERS[0], fresh["message"]))
    assert response.status_code == 200, response.text
    assert response.json()["answers"][0]["proof_method"] == "eip191"
    reuse = client.post("/v1/proofs", json={"challenge_id": fresh["challenge_id"],
                                            "signature": personal_sign(HOLDERS[0], fresh["message"])})
    assert reuse.status_code == 409 and reuse.json()["code"] == "challenge_used"
    with psycopg.connect(database_url) as conn:
        proof = conn.execute("SELECT proof FROM request_answers").fetchone()[0]  # type: ignore[index]
    assert proof["recovered_signer"] == HOLDERS[0].address and proof["method"] == "eip191"


def test_a_new_proof_must_be_for_this_request(client: TestClient, database_url: str) -> None:
    filed = file_request(client)
    ask_for_info(client, database_url, filed["request_id"])
    elsewhere = challenge(client, HOLDERS[0].address, destination=SOLANA_DESTINATION).json()
    response = answer(client, filed["request_id"], filed["status_token"], text="new place",
                      challenge_id=elsewhere["challenge_id"], signature=personal_sign(HOLDERS[0], elsewhere["message"]))
    assert response.status_code == 400 and response.json()["field"] == "challenge_id"
    fresh = challenge(client, HOLDERS[0].address).json()
    bad = answer(client, filed["request_id"], filed["status_token"], text="x", challenge_id=fresh["challenge_id"],
                 signature=personal_sign(HOLDERS[1], fresh["message"]))
    assert bad.status_code == 422 and bad.json()["code"] == "signature_mismatch"
    with psycopg.connect(database_url) as conn:  # nothing was written by the refused answers
        assert conn.execute("SELECT count(*) FROM request_answers").fetchone()[0] == 0  # type: ignore[index]
        assert conn.execute("SELECT status FROM requests").fetchone()[0] == "needs_info"  # type: ignore[index]


def test_only_a_needs_info_request_can_be_answered(client: TestClient) -> None:
    filed = file_request(client)
    response = answer(client, filed["request_id"], filed["status_token"], text="hello?")
    assert response.status_code == 409 and response.json()["code"] == "illegal_transition"


BAD_ANSWERS = [({"text": ""}, "text"), ({"text": "   "}, "text"), ({"text": "x" * 4001}, "text"), ({}, "text"),
               ({"text": "ok", "signature": "0x00"}, "challenge_id"), ({"text": "ok", "surprise": 1}, None)]


def test_bad_answers_are_400s_and_write_nothing(client: TestClient, database_url: str) -> None:
    filed = file_request(client)
    ask_for_info(client, database_url, filed["request_id"])
    for body, field in BAD_ANSWERS:
        response = answer(client, filed["request_id"], filed["status_token"], **body)
        assert response.status_code == 400, (body, response.text)
        if field:
            assert response.json()["field"] == field, body
    view = client.get(f"/v1/requests/{filed['request_id']}", headers=bearer(filed["status_token"])).json()
    assert view["status"] == "needs_info" and view["answers"] == []


def test_nobody_else_answers_or_reads_a_request(client: TestClient, database_url: str, clock: ManualClock) -> None:
    mine = file_request(client, HOLDERS[0])
    clock.advance(1)  # the queue is oldest first: staff claim this one first
    theirs = file_request(client, HOLDERS[1])
    ask_for_info(client, database_url, mine["request_id"])
    for token in (theirs["status_token"], "", mine["status_token"] + "x"):
        response = answer(client, mine["request_id"], token, text="let me in")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        assert client.get(f"/v1/requests/{mine['request_id']}", headers=bearer(token)).status_code == 404
    no_header = client.post(f"/v1/requests/{mine['request_id']}/answer", json={"text": "hi"})
    assert no_header.status_code == 404
    assert answer(client, "not-a-uuid", mine["status_token"], text="hi").status_code == 404


def test_two_answers_at_once_one_wins(settings: Settings, database_url: str, clock: ManualClock) -> None:
    with TestClient(app=create_app(settings, clock=clock)) as client:
        filed = file_request(client)
        ask_for_info(client, database_url, filed["request_id"])

    async def race() -> list:
        app = create_app(msgspec.structs.replace(settings, db_pool_size=4), clock=clock)
        async with AsyncTestClient(app=app) as async_client:
            return await asyncio.gather(*(async_client.post(
                f"/v1/requests/{filed['request_id']}/answer", headers=bearer(filed["status_token"]),
                json={"text": f"answer {n}"}) for n in range(2)))

    responses = asyncio.run(race())
    assert sorted(r.status_code for r in responses) == [200, 409]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM request_answers").fetchone()[0] == 1  # type: ignore[index]
        assert conn.execute("SELECT count(*) FROM audit_events WHERE action = 'request:answer:submitted'"
                            ).fetchone()[0] == 1  # type: ignore[index]
