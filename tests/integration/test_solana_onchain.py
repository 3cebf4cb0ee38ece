"""``solana_onchain`` end to end: a Memo transaction really executed on LiteSVM proves ownership.

The server reads transactions through ``PORTAL_SOLANA_RPC_URL`` pointed at ``tests/chains/solana_front.py``,
a loopback JSON-RPC front standing in for a Solana RPC node, answering ``getTransaction`` and
``getSignatureStatuses`` from what LiteSVM executed. The Squads vault case is the one exception: the
Squads v4 program cannot be loaded into LiteSVM here (no program binary is available offline), so
those tests hand the front the ``getTransaction`` answer a vault execution has (a member's signed
transaction whose inner Memo instruction names the vault PDA, which Squads signs for with
``invoke_signed``), built with the account and instruction layout of the published IDL in ``@sqds/multisig``,
and put the multisig's account into LiteSVM; the tests say so where they do it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import struct
from collections.abc import Iterator
from pathlib import Path

import base58
import msgspec
import pytest
from litestar.testing import TestClient
from solders.account import Account
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

import snapshot
from portal.app import create_app
from portal.settings import Settings
from tests.chains.solana_front import SolanaFront
from tests.chains.spl import MEMO, TOKEN, Ledger, memo, transfer
from tests.integration.staff_helpers import bearer, create_key

DESTINATION = "0x1111111111111111111111111111111111111111"
SQUADS = Pubkey.from_string("SQDS4ep65T869zMMBKyuUq6aD6EgTu8psMjkvj52pCf")
VAULT_TRANSACTION_EXECUTE = hashlib.sha256(b"global:vault_transaction_execute").digest()[:8]  # Anchor discriminators
VAULT_TRANSACTION_CREATE = hashlib.sha256(b"global:vault_transaction_create").digest()[:8]
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


class World:
    def __init__(self, client: TestClient, ledger: Ledger, front: SolanaFront, holder: Keypair,
                 multisig: Pubkey, member: Keypair, database_url: str) -> None:
        self.client, self.ledger, self.front = client, ledger, front
        self.holder, self.multisig, self.member, self.database_url = holder, multisig, member, database_url
        self.vault, _ = Pubkey.find_program_address([b"multisig", bytes(multisig), b"vault", b"\0"], SQUADS)

    def challenge(self, address: str) -> dict:
        response = self.client.post("/v1/challenges", json={"address": address, "destination": DESTINATION,
                                                            "method": "solana_onchain"})
        assert response.status_code == 201, response.text
        return response.json()

    def prove(self, challenge_id: str, signature: str):
        return self.client.post("/v1/proofs", json={"challenge_id": challenge_id, "tx_hash": signature})


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> Iterator[World]:
    ledger = Ledger(unix_time=int(NOW.timestamp()) + 30)
    holder, member = Keypair(), Keypair()
    for key in (holder, member):
        ledger.svm.airdrop(key.pubkey(), 10**9)
    multisig = Pubkey.new_unique()
    vault, _ = Pubkey.find_program_address([b"multisig", bytes(multisig), b"vault", b"\0"], SQUADS)
    holders = tmp_path / "holders.csv"
    holders.write_text(f"address,amount\n{holder.pubkey()},1000\n{vault},5000\n")
    manifest = snapshot.build_artifact(holders, tmp_path / "snap")
    with SolanaFront(ledger) as front:
        app_settings = msgspec.structs.replace(settings, snapshots=(manifest.path,), solana_rpc_url=front.url,
                                               rpc_timeout_seconds=2.0)
        with TestClient(app=create_app(app_settings, clock=lambda: NOW)) as client:
            yield World(client, ledger, front, holder, multisig, member, settings.database_url or "")


def test_a_memo_executed_by_the_snapshot_address_proves_it(world: World) -> None:
    body = world.challenge(str(world.holder.pubkey()))
    assert body["nonce_line"].endswith(body["nonce"])
    signature = world.ledger.send([memo(body["nonce_line"], world.holder.pubkey())], world.holder, payer=world.holder)
    response = world.prove(body["challenge_id"], signature)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending_review"


def test_the_same_memo_signed_by_another_key_is_refused(world: World) -> None:
    body = world.challenge(str(world.holder.pubkey()))
    stranger = Keypair()
    world.ledger.svm.airdrop(stranger.pubkey(), 10**9)
    signature = world.ledger.send([memo(body["nonce_line"], stranger.pubkey())], stranger, payer=stranger)
    response = world.prove(body["challenge_id"], signature)
    assert response.status_code == 422 and response.json()["code"] == "signature_mismatch"
    assert str(stranger.pubkey()) in response.json()["detail"] and response.json()["field"] == "tx_hash"


def test_wrong_memo_failed_unfinalized_unknown_and_malformed(world: World) -> None:
    body = world.challenge(str(world.holder.pubkey()))
    holder = world.holder
    wrong = world.ledger.send([memo("migration-portal nonce: 0000", holder.pubkey())], holder, payer=holder)
    assert world.prove(body["challenge_id"], wrong).json()["code"] == "transaction_mismatch"
    failing = [memo(body["nonce_line"], holder.pubkey()), transfer(TOKEN, MEMO, MEMO, holder.pubkey(), 1)]
    failed = world.ledger.send(failing, holder, payer=holder, expect_failure=True)
    assert world.prove(body["challenge_id"], failed).json()["code"] == "transaction_failed"
    world.front.finalized_lag = 10
    recent = world.ledger.send([memo(body["nonce_line"], holder.pubkey())], holder, payer=holder)
    assert world.prove(body["challenge_id"], recent).json()["code"] == "not_confirmed"
    assert world.prove(body["challenge_id"], str(Keypair().sign_message(b"x"))).json()["code"] \
        == "transaction_not_found"
    malformed = world.prove(body["challenge_id"], "0x" + "ab" * 32)
    assert malformed.status_code == 400 and malformed.json()["field"] == "tx_hash"
    world.front.finalized_lag = 0
    assert world.prove(body["challenge_id"], recent).status_code == 201  # finalized now


def test_a_transaction_executed_before_the_challenge_is_refused(world: World) -> None:
    body = world.challenge(str(world.holder.pubkey()))
    clock = world.ledger.svm.get_clock()
    clock.unix_timestamp = int(NOW.timestamp()) - 3600  # the node's block time says an hour before the challenge
    world.ledger.svm.set_clock(clock)
    signature = world.ledger.send([memo(body["nonce_line"], world.holder.pubkey())], world.holder,
                                  payer=world.holder)
    response = world.prove(body["challenge_id"], signature)
    assert response.json()["code"] == "transaction_mismatch" and "before the challenge" in response.json()["detail"]


def _squads_answer(world: World, outer: Instruction, signer: Keypair, inner_memo: tuple[Pubkey, str] | None) -> str:
    """The getTransaction answer of a Squads v4 instruction (NOT executed: the Squads program binary is on no
    registry and is AGPL, so LiteSVM cannot load it here). The accounts and data follow the published IDL
    (``@sqds/multisig`` 2.1.4, ``idl/squads_multisig_program.json``); on execution the Squads program invokes
    Memo v2 with the vault PDA as signer through ``invoke_signed``, which the node shows as an inner
    instruction naming the vault."""
    message = Message.new_with_blockhash([outer], signer.pubkey(), world.ledger.svm.latest_blockhash())
    tx = VersionedTransaction(message, [signer])
    keys = [str(key) for key in message.account_keys]
    signature = str(tx.signatures[0])
    inner = [] if inner_memo is None else [{"index": 0, "instructions": [{
        "programIdIndex": keys.index(str(MEMO)), "accounts": [keys.index(str(inner_memo[0]))],
        "data": base58.b58encode(inner_memo[1].encode()).decode(), "stackHeight": 2}]}]
    world.front.injected[signature] = {
        "slot": world.ledger.slot, "blockTime": int(NOW.timestamp()) + 60, "version": "legacy",
        "transaction": [base64.b64encode(bytes(tx)).decode(), "base64"],
        "meta": {"err": None, "fee": 5000, "loadedAddresses": {"writable": [], "readonly": []},
                 "innerInstructions": inner}}
    return signature


def _execute(world: World, multisig: Pubkey, memo_account: Pubkey, nonce_line: str, *,
             discriminator: bytes = VAULT_TRANSACTION_EXECUTE) -> str:
    """``vault_transaction_execute``: accounts multisig, proposal, transaction, member (signer), then the vault
    transaction's own accounts (here the vault and Memo v2)."""
    proposal, transaction = Pubkey.new_unique(), Pubkey.new_unique()
    outer = Instruction(SQUADS, discriminator, [
        AccountMeta(multisig, False, False), AccountMeta(proposal, False, True), AccountMeta(transaction, False, False),
        AccountMeta(world.member.pubkey(), True, False), AccountMeta(memo_account, False, False),
        AccountMeta(MEMO, False, False)])
    return _squads_answer(world, outer, world.member, (memo_account, nonce_line))


def _create_with_memo(world: World, multisig: Pubkey, nonce_line: str) -> str:
    """``vault_transaction_create`` with the nonce line in its ``memo`` argument (VaultTransactionCreateArgs:
    vault_index u8, ephemeral_signers u8, transaction_message bytes, memo Option<string>), Borsh-encoded."""
    message, text = b"\x00" * 8, nonce_line.encode()
    args = bytes([0, 0]) + struct.pack("<I", len(message)) + message + b"\x01" + struct.pack("<I", len(text)) + text
    outer = Instruction(SQUADS, VAULT_TRANSACTION_CREATE + args, [
        AccountMeta(multisig, False, True), AccountMeta(Pubkey.new_unique(), False, True),
        AccountMeta(world.member.pubkey(), True, False), AccountMeta(world.member.pubkey(), True, True),
        AccountMeta(Pubkey.from_string("11111111111111111111111111111111"), False, False)])
    return _squads_answer(world, outer, world.member, None)


def _multisig_account(members: list[tuple[Pubkey, int]], threshold: int) -> bytes:
    """A ``Multisig`` account as the IDL lays it out (Anchor discriminator, then Borsh, little-endian)."""
    data = hashlib.sha256(b"account:Multisig").digest()[:8] + bytes(32) + bytes(32)
    data += struct.pack("<HIQQ", threshold, 0, 3, 0) + b"\x00" + b"\xff" + struct.pack("<I", len(members))
    return data + b"".join(bytes(key) + bytes([mask]) for key, mask in members)


def test_a_squads_vault_pda_proves_through_an_executed_vault_transaction(world: World) -> None:
    body = world.challenge(str(world.vault))
    assert not world.vault.is_on_curve()  # a PDA: it could never sign a message
    other = Keypair().pubkey()
    world.ledger.svm.set_account(world.multisig, Account(
        lamports=10**7, data=_multisig_account([(world.member.pubkey(), 7), (other, 2)], 2), owner=SQUADS,
        executable=False, rent_epoch=0))
    someone_else = _execute(world, world.multisig, Pubkey.new_unique(), body["nonce_line"])
    assert world.prove(body["challenge_id"], someone_else).json()["code"] == "signature_mismatch"
    response = world.prove(body["challenge_id"], _execute(world, world.multisig, world.vault, body["nonce_line"]))
    assert response.status_code == 201, response.text
    staff = bearer(create_key(world.database_url, "rita", "reviewer"))
    evidence = world.client.get(f"/v1/review/requests/{response.json()['request_id']}", headers=staff).json()
    squads = evidence["evidence"]["verification"]["squads"]
    assert squads["address"] == str(world.multisig) and squads["vault_index"] == 0 and squads["threshold"] == 2
    assert squads["members"] == [{"key": str(world.member.pubkey()), "permissions": ["initiate", "vote", "execute"]},
                                 {"key": str(other), "permissions": ["vote"]}]
    assert squads["slot"] == world.ledger.slot


def test_a_memo_in_vault_transaction_create_proves_membership_not_control(world: World) -> None:
    body = world.challenge(str(world.vault))
    refused = world.prove(body["challenge_id"], _create_with_memo(world, world.multisig, body["nonce_line"]))
    assert refused.status_code == 422 and refused.json()["code"] == "transaction_mismatch"
    assert "membership, not control" in refused.json()["detail"]


def test_a_vault_memo_outside_an_execution_or_of_another_multisig_is_refused(world: World) -> None:
    body = world.challenge(str(world.vault))
    not_execute = _execute(world, world.multisig, world.vault, body["nonce_line"], discriminator=bytes(8))
    refused = world.prove(body["challenge_id"], not_execute)
    assert refused.json()["code"] == "signature_mismatch" and "executed vault transaction" in refused.json()["detail"]
    another_multisig = _execute(world, Pubkey.new_unique(), world.vault, body["nonce_line"])
    assert world.prove(body["challenge_id"], another_multisig).json()["code"] == "signature_mismatch"


def test_a_needs_info_answer_carries_a_new_solana_onchain_proof(world: World, settings: Settings) -> None:
    first = world.challenge(str(world.holder.pubkey()))
    filed = world.prove(first["challenge_id"], world.ledger.send([memo(first["nonce_line"], world.holder.pubkey())],
                                                                world.holder, payer=world.holder)).json()
    assert settings.database_url is not None
    staff = create_key(settings.database_url, "rita", "reviewer")
    assert world.client.post("/v1/review/claim", headers=bearer(staff)).json()["request_id"] == filed["request_id"]
    decided = world.client.post(f"/v1/review/requests/{filed['request_id']}/decision", headers=bearer(staff),
                                json={"decision": "needs_info", "reason": "stale", "public_note": "Prove it again."})
    assert decided.status_code == 200, decided.text
    again = world.challenge(str(world.holder.pubkey()))
    signature = world.ledger.send([memo(again["nonce_line"], world.holder.pubkey())], world.holder,
                                  payer=world.holder)
    response = world.client.post(f"/v1/requests/{filed['request_id']}/answer", headers=bearer(filed["status_token"]),
                                 json={"text": "Done.", "challenge_id": again["challenge_id"], "tx_hash": signature})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending_review"
    assert [a["proof_method"] for a in response.json()["answers"]] == ["solana_onchain"]


def test_staff_find_a_solana_onchain_request_by_its_method(world: World, settings: Settings) -> None:
    """Issue 20's bug: the queue's method filter was a copy of the methods without solana_onchain (400)."""
    body = world.challenge(str(world.holder.pubkey()))
    filed = world.prove(body["challenge_id"], world.ledger.send([memo(body["nonce_line"], world.holder.pubkey())],
                                                               world.holder, payer=world.holder))
    assert filed.status_code == 201, filed.text
    assert settings.database_url is not None
    staff = bearer(create_key(settings.database_url, "rita", "reviewer"))
    found = world.client.get("/v1/review/requests?method=solana_onchain", headers=staff)
    assert found.status_code == 200, found.text
    assert [(i["request_id"], i["method"]) for i in found.json()["items"]] == [
        (filed.json()["request_id"], "solana_onchain")]
    assert world.client.get("/v1/review/requests?method=solana", headers=staff).json()["items"] == []


def test_the_holder_pages_file_a_solana_onchain_proof_as_the_json_route_does(world: World) -> None:
    """Issue 20's drift: the sign page's route filed proofs without the Solana node the JSON route passed, so
    a solana_onchain proof sent through the page was refused with 503. Both routes now hand the use case
    the same context. Without JS saying which field the text is, the registry says a tx_hash."""
    holder = str(world.holder.pubkey())
    form = {"method": "solana_onchain", "address": holder, "chain": "evm", "wallet": "", "destination": DESTINATION}
    # the second proof is verified too, then finds the request the first one filed
    for proof_kind, heading in (("tx_hash", "Your request has been sent"), ("", "You already have a request")):
        body = world.challenge(holder)
        signature = world.ledger.send([memo(body["nonce_line"], world.holder.pubkey())], world.holder,
                                      payer=world.holder)
        page = world.client.post("/prove/submit", data={**form, "challenge_id": body["challenge_id"],
                                                        "proof": signature, "proof_kind": proof_kind})
        assert page.status_code == 200, page.text
        assert heading in page.text


def test_no_solana_rpc_is_503_at_challenge_time(settings: Settings, tmp_path: Path) -> None:
    holder = Keypair()
    holders = tmp_path / "holders.csv"
    holders.write_text(f"address,amount\n{holder.pubkey()},1000\n")
    manifest = snapshot.build_artifact(holders, tmp_path / "snap")
    app_settings = msgspec.structs.replace(settings, snapshots=(manifest.path,), solana_rpc_url=None)
    with TestClient(app=create_app(app_settings)) as client:
        response = client.post("/v1/challenges", json={"address": str(holder.pubkey()), "destination": DESTINATION,
                                                       "method": "solana_onchain"})
    assert response.status_code == 503 and response.json()["code"] == "rpc_unavailable"
    assert response.json()["title"] == "RPC unavailable"  # the same error serves EVM and Solana nodes
    assert "PORTAL_SOLANA_RPC_URL" in response.json()["detail"]


def test_a_node_answering_garbage_is_503_at_proof_time(world: World) -> None:
    body = world.challenge(str(world.holder.pubkey()))
    signature = world.ledger.send([memo(body["nonce_line"], world.holder.pubkey())], world.holder,
                                  payer=world.holder)
    world.front.garbage = True
    response = world.prove(body["challenge_id"], signature)
    assert response.status_code == 503 and response.json()["code"] == "rpc_unavailable"
    world.front.garbage = False
    assert world.prove(body["challenge_id"], signature).status_code == 201  # the challenge was not consumed


def test_snapshots_route_shows_the_source_of_a_from_chain_snapshot(settings: Settings, tmp_path: Path) -> None:
    from snapshot.from_chain import JsonRpcClient, from_solana
    from tests.chains.spl import mint_to

    ledger = Ledger()
    authority = Keypair()
    ledger.svm.airdrop(authority.pubkey(), 10**9)
    mint = ledger.create_mint(authority)
    account = ledger.create_account(mint, authority.pubkey())
    ledger.send([mint_to(TOKEN, mint, account, authority.pubkey(), 42)], authority)
    with SolanaFront(ledger) as front, JsonRpcClient(front.url, retries=0) as rpc:
        built = from_solana(rpc, mint=str(mint), out_dir=tmp_path / "snap", csv_path=tmp_path / "holders.csv")
    app_settings = msgspec.structs.replace(settings, snapshots=(built.manifest.path,))
    with TestClient(app=create_app(app_settings)) as client:
        [listed] = client.get("/v1/snapshots").json()
    assert listed["source"]["mint"] == str(mint) and listed["source"]["slot"] == listed["block"] == ledger.slot
    assert listed["source"]["method"] == "spl-token-accounts" and listed["source"]["chain"] == "solana"
