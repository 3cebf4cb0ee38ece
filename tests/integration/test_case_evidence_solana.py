"""Evidence read from a Solana node for staff, against LiteSVM with the real Token program behind the JSON-RPC
front (``tests/chains/solana_front.py``, over a real socket): SPL transfers before and after the snapshot
slot, a snapshot rebuilt from the chain with the holder on its exclude list, a holder's case with both
transactions' signatures, and each token account's balance at the slot rebuilt from its history."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from portal.app import create_app
from portal.domain import case_evidence_solana
from portal.domain.case_evidence_solana import read_solana
from portal.domain.cases_staff import CaseDetail
from portal.domain.proofs.solana_onchain import RpcSolanaChain
from portal.settings import Settings
from snapshot.from_chain import ChainError, ExcludeList, JsonRpcClient, from_solana
from tests.chains.solana_front import SolanaFront
from tests.chains.spl import TOKEN, Ledger, mint_to, transfer
from tests.integration.case_helpers import DESTINATION, bearer, case_challenge
from tests.integration.staff_helpers import create_key
from tests.integration.test_console_api import console_client, sign_in


class Spl:
    """A mint; the holder's account (500 minted, 200 sent to bob before the slot; 50 back and 3 x 1 out after);
    bob's; a vault PDA's (4,000 before the slot) and a second vault account opened after it with 9."""

    def __init__(self, tmp: Path) -> None:
        self.ledger = ledger = Ledger()
        self.authority, self.holder, self.bob = Keypair(), Keypair(), Keypair()
        self.vault, _ = Pubkey.find_program_address([b"vault", bytes(self.bob.pubkey())], TOKEN)
        self.mint = ledger.create_mint(self.authority)
        self.account = ledger.create_account(self.mint, self.holder.pubkey())
        self.bob_account = ledger.create_account(self.mint, self.bob.pubkey())
        self.vault_account = ledger.create_account(self.mint, self.vault)
        self.minted = {account: ledger.send([mint_to(TOKEN, self.mint, account, self.authority.pubkey(), amount)],
                                            self.authority)
                       for account, amount in ((self.account, 500), (self.bob_account, 1_000),
                                               (self.vault_account, 4_000))}
        self.sent = ledger.send([transfer(TOKEN, self.account, self.bob_account, self.holder.pubkey(), 200)],
                                self.holder)
        exclude = tmp / "exclude.txt"
        exclude.write_text(f"{self.holder.pubkey()} # exchange: a hot wallet, wrongly\n")
        self.front = SolanaFront(ledger).__enter__()
        with JsonRpcClient(self.front.url, retries=0) as client:
            self.built = from_solana(client, mint=str(self.mint), out_dir=tmp / "out", csv_path=tmp / "holders.csv",
                                     exclude=ExcludeList.read(exclude, "solana"))
        self.slot = self.built.manifest.block
        assert self.slot == ledger.slot == self.slot_of(self.sent)  # the last transaction before the snapshot
        self.received = ledger.send([transfer(TOKEN, self.bob_account, self.account, self.bob.pubkey(), 50)],
                                    self.bob)
        for _ in range(3):
            ledger.send([transfer(TOKEN, self.account, self.bob_account, self.holder.pubkey(), 1)], self.holder)
        self.vault_late = ledger.create_account(self.mint, self.vault)
        ledger.send([transfer(TOKEN, self.bob_account, self.vault_late, self.bob.pubkey(), 9)], self.bob)

    def slot_of(self, signature: str) -> int:
        return self.ledger.executed[signature].slot


@pytest.fixture(scope="module")
def spl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Spl]:
    world = Spl(tmp_path_factory.mktemp("spl"))
    yield world
    world.front.__exit__()


def _open_case(api: TestClient, spl: Spl, database_url: str) -> dict[str, Any]:
    """The holder (left out by the exclude list) opens ``not_in_snapshot`` with both signatures; staff's JSON."""
    address = str(spl.holder.pubkey())
    challenge = case_challenge(api, address, method="solana")
    opened = api.post("/v1/cases", json={
        "challenge_id": challenge["challenge_id"], "kind": "not_in_snapshot", "text": "I held 300 at the snapshot.",
        "signature": str(spl.holder.sign_message(challenge["message"].encode())), "evidence": [spl.sent, spl.received]})
    assert opened.status_code == 201, opened.text
    staff = bearer(create_key(database_url, "rita", "reviewer"))
    detail = api.get(f"/v1/review/cases/{opened.json()['case_id']}", headers=staff)
    assert detail.status_code == 200, detail.text
    return detail.json()


def _app(settings: Settings, spl: Spl, **overrides: Any) -> TestClient:
    configured = msgspec.structs.replace(settings, snapshots=(spl.built.manifest.path,), **overrides)
    return console_client(create_app(configured))


def test_the_balance_at_the_slot_comes_from_the_last_transaction_before_it(settings: Settings, database_url: str,
                                                                           spl: Spl) -> None:
    calls_before = dict(spl.front.calls)
    with _app(settings, spl, solana_rpc_url=spl.front.url, rpc_timeout_seconds=2.0) as api:
        detail = _open_case(api, spl, database_url)
        calls = {method: spl.front.calls.get(method, 0) - calls_before.get(method, 0) for method in spl.front.calls}
        metrics = api.get("/metrics").text
        assert sign_in(api, create_key(database_url, "sam", "reviewer")).status_code == 303
        page = api.get(f"/staff/cases/{detail['case_id']}").text
    evidence = detail["chain_evidence"]
    account, bob = str(spl.account), str(spl.bob_account)
    assert detail["snapshot_amount"] is None and evidence["snapshot_block"] == spl.slot
    assert evidence["token_accounts"] == [{"account": account, "amount": "300", "slot": spl.slot_of(spl.sent),
                                           "signature": spl.sent}]
    assert evidence["balance_at_snapshot"] == "300" and evidence["program_derived"] is False
    assert evidence["not_checked"] == []
    assert evidence["differences"] == [
        f"At the snapshot slot {spl.slot} the token account {account} held 300 base units (from transaction "
        f"{spl.sent} in slot {spl.slot_of(spl.sent)}); the snapshot lists nothing for the address.",
        f"Transaction {spl.sent} moved 200 base units from the address's token account {account} in slot "
        f"{spl.slot_of(spl.sent)}, at or before the snapshot slot {spl.slot}.",
        f"Transaction {spl.received} moved 50 base units to the address's token account {account} in slot "
        f"{spl.slot_of(spl.received)}, after the snapshot slot {spl.slot}."]
    assert {(t["tx_hash"], t["block"], t["sender"], t["recipient"], t["amount"], t["before_snapshot"])
            for t in evidence["transfers"]} == {
        (spl.sent, spl.slot_of(spl.sent), account, bob, "200", True),
        (spl.received, spl.slot_of(spl.received), bob, account, "50", False)}
    assert calls["getTokenAccountsByOwner"] == 1 and calls["getSignaturesForAddress"] == 1
    assert calls["getTransaction"] == 3  # the two given, and the one the balance at the slot came from
    assert 'portal_rpc_latency_seconds_count{method="getSignaturesForAddress"}' in metrics
    assert account in page and f"At slot {spl.slot}" in page and "held 300 base units" in page
    assert "the snapshot lists nothing for the address" in page and "program-derived address" not in page


def test_a_pda_owner_is_flagged_and_an_account_opened_after_the_slot_held_nothing(spl: Spl) -> None:
    node = RpcSolanaChain(spl.front.url, timeout_seconds=2.0)
    unknown = str(Keypair().sign_message(b"never sent"))
    evidence = read_solana(node, _detail(str(spl.vault), "4000", (spl.minted[spl.bob_account], unknown)),
                           str(spl.mint), spl.slot)
    minted = spl.minted[spl.vault_account]
    assert evidence.program_derived is True and spl.vault.is_on_curve() is False
    assert {(a.account, a.amount, a.slot, a.signature) for a in evidence.token_accounts} == {
        (str(spl.vault_account), "4000", spl.slot_of(minted), minted), (str(spl.vault_late), "0", None, None)}
    assert evidence.balance_at_snapshot == "4000" and evidence.not_checked == [] and evidence.transfers == []
    assert evidence.differences == [  # the snapshot agrees; the given transactions are not the vault's
        f"Transaction {spl.minted[spl.bob_account]} moved none of the snapshot's token to or from the address's "
        "token accounts.", f"Transaction {unknown} is not a finalized transaction on the cluster the node serves."]
    wrong = read_solana(node, _detail(str(spl.vault), "4100"), str(spl.mint), spl.slot)
    assert wrong.differences[0].startswith(f"At the snapshot slot {spl.slot} the address's 2 token accounts held "
                                           "4000 base units (")
    assert wrong.differences[0].endswith("; the snapshot lists 4100, so a token account closed since the snapshot "
                                         "(the node no longer lists it) may hold the rest.")
    assert f"{spl.vault_late}: 0, it was opened after the slot" in wrong.differences[0]


def test_history_is_paged_newest_first_down_to_the_slot(spl: Spl, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_evidence_solana, "PAGE", 2)  # four transactions after the slot: two full pages
    before = spl.front.calls.get("getSignaturesForAddress", 0)
    evidence = read_solana(RpcSolanaChain(spl.front.url, timeout_seconds=2.0), _detail(str(spl.holder.pubkey()),
                           "300"), str(spl.mint), spl.slot)
    assert spl.front.calls["getSignaturesForAddress"] - before == 3
    assert [(a.amount, a.signature) for a in evidence.token_accounts] == [("300", spl.sent)]
    assert evidence.differences == [] and evidence.not_checked == []
    monkeypatch.setattr(case_evidence_solana, "MAX_PAGES", 1)
    capped = read_solana(RpcSolanaChain(spl.front.url, timeout_seconds=2.0), _detail(str(spl.holder.pubkey()), "300"),
                         str(spl.mint), spl.slot)
    assert capped.balance_at_snapshot is None and capped.not_checked == [
        f"Token account {spl.account} has more than 2 transactions after the snapshot slot {spl.slot}: its balance "
        "at that slot was not rebuilt."]


def test_a_node_whose_history_does_not_reach_the_slot_is_said(spl: Spl) -> None:
    with SolanaFront(spl.ledger) as pruned:
        pruned.first_slot = spl.slot_of(spl.received)  # it keeps nothing older than the first transfer after the slot
        evidence = read_solana(RpcSolanaChain(pruned.url, timeout_seconds=2.0),
                               _detail(str(spl.holder.pubkey()), None, (spl.sent,)), str(spl.mint), spl.slot)
    assert evidence.balance_at_snapshot is None and evidence.token_accounts == []
    assert evidence.not_checked == [
        f"The node's history of token account {spl.account} begins in slot {spl.slot_of(spl.received)}, after the "
        f"snapshot slot {spl.slot}, when it already held 300 base units: its balance at the snapshot slot cannot be "
        "rebuilt from this node."]
    assert evidence.differences == [f"Transaction {spl.sent} is not a finalized transaction on the cluster the node "
                                    "serves."]


def test_the_front_pages_an_account_history_newest_first(spl: Spl) -> None:
    with JsonRpcClient(spl.front.url, retries=0) as client:
        history = client.call("getSignaturesForAddress", [str(spl.account)])
        assert [e["signature"] for e in history] == spl.ledger.history[str(spl.account)][::-1]
        assert [e["slot"] for e in history] == sorted((e["slot"] for e in history), reverse=True)
        middle = client.call("getSignaturesForAddress", [str(spl.account), {"before": spl.received,
                                                                            "until": spl.minted[spl.account]}])
        assert [e["signature"] for e in middle] == [spl.sent]
        assert len(client.call("getSignaturesForAddress", [str(spl.account), {"limit": 2}])) == 2
        with pytest.raises(ChainError, match="Invalid limit"):
            client.call("getSignaturesForAddress", [str(spl.account), {"limit": 1001}])
        answer = client.call("getTransaction", [spl.sent, {"encoding": "base64"}])
    tx = VersionedTransaction.from_bytes(base64.b64decode(answer["transaction"][0]))
    keys = [str(key) for key in tx.message.account_keys]
    balances = {side: {(keys[b["accountIndex"]], b["owner"], b["uiTokenAmount"]["amount"])
                       for b in answer["meta"][f"{side}TokenBalances"]} for side in ("pre", "post")}
    holder, bob = str(spl.holder.pubkey()), str(spl.bob.pubkey())
    assert balances == {"pre": {(str(spl.account), holder, "500"), (str(spl.bob_account), bob, "1000")},
                        "post": {(str(spl.account), holder, "300"), (str(spl.bob_account), bob, "1200")}}


def test_without_a_solana_node_the_evidence_says_what_was_not_checked(settings: Settings, database_url: str,
                                                                    spl: Spl) -> None:
    with _app(settings, spl, solana_rpc_url=None) as api:
        evidence = _open_case(api, spl, database_url)["chain_evidence"]
    assert evidence["snapshot_block"] == spl.slot and evidence["balance_at_snapshot"] is None
    assert evidence["not_checked"] == ["No Solana node is configured (PORTAL_SOLANA_RPC_URL): neither the token "
                                       "accounts at the snapshot slot nor the transactions were read."]
    assert evidence["token_accounts"] == [] and evidence["transfers"] == [] and evidence["program_derived"] is False


@pytest.mark.parametrize("trouble", ["refused", "timeout"])
def test_a_node_that_is_down_is_said_and_asked_once(settings: Settings, database_url: str, spl: Spl,
                                                    trouble: str) -> None:
    down = SolanaFront(spl.ledger)
    down.delay_seconds = 1.0
    if trouble == "refused":
        down.__enter__()
        down.__exit__()
    else:
        down.__enter__()
    try:
        with _app(settings, spl, solana_rpc_url=down.url, rpc_timeout_seconds=0.3) as api:
            evidence = _open_case(api, spl, database_url)["chain_evidence"]
    finally:
        if trouble == "timeout":
            down.__exit__()
    assert evidence["balance_at_snapshot"] is None and evidence["token_accounts"] == []
    first, rest = evidence["not_checked"]
    assert first.startswith("The address's token accounts (getTokenAccountsByOwner): the Solana node did not answer "
                            "getTokenAccountsByOwner")
    assert ("timed out after 0.3 s" in first) == (trouble == "timeout")
    assert rest == f"Not asked after the node failed: transaction {spl.sent}; transaction {spl.received}."
    assert down.requests == (1 if trouble == "timeout" else 0)


def _detail(address: str, amount: str | None, transactions: tuple[str, ...] = ()) -> CaseDetail:
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    return CaseDetail(uuid.uuid4(), "amount_wrong", "open", "solana", address, DESTINATION, "evm", "snapshot", amount,
                      "solana_onchain", address, {"transactions": list(transactions)}, None, None, None, None, None,
                      None, None, None, None, None, at, [])
