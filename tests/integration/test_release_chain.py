"""Releases claimed on a real EVM: Uniswap's own compiled ``MerkleDistributor`` on ``EthereumTesterProvider``.

The contracts are the ``build/*.json`` of the npm package ``@uniswap/merkle-distributor`` 1.0.1,
installed test-only under ``tests/tools/uniswap`` (``.ci/run`` runs ``npm ci`` there); they are
never a runtime dependency of the portal. The operator's flow is the README's: prepare, deploy the
distributor with the prepared root, write its address into the release, sign, publish; then every
holder claims with the published proof and receives exactly its amount.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import functools
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from eth_tester.exceptions import TransactionFailed
from web3 import EthereumTesterProvider, Web3
from web3.exceptions import ContractLogicError

from portal.domain import claim_sync
from portal.domain.amounts import token_units
from portal.domain.claim_reader import Web3ClaimReader
from portal.domain.context import UseCaseContext
from portal.domain.eligibility import SnapshotSet
from portal.settings import Settings
from portal.store.database import Database
from tests.integration.policy_live import OLD, Portal, portal
from tests.integration.staff_helpers import EPOCH, create_key, seed_requests
from tests.integration.test_releases import (
    approve_all,
    evm_snapshot,
    holder_page,
    holder_view,
    operator_env,
    run,
    sign,
)

__all__ = ["operator_env", "portal"]  # the fixtures
REVERTED = (ContractLogicError, TransactionFailed)  # web3 or the tester's own, by how the call went
BUILD = Path(__file__).resolve().parents[1] / "tools" / "uniswap" / "node_modules" / "@uniswap" / "merkle-distributor" \
    / "build"


def _artifact(name: str) -> dict:
    path = BUILD / f"{name}.json"
    if not path.exists():
        pytest.skip("Uniswap's MerkleDistributor is not installed: run `npm ci --prefix tests/tools/uniswap` "
                    "(.ci/run does)")
    return json.loads(path.read_text())


class Chain:
    """An in-process chain with Uniswap's TestERC20 and a MerkleDistributor per release."""

    def __init__(self) -> None:
        self.w3 = Web3(EthereumTesterProvider())
        self.deployer = self.w3.eth.accounts[0]
        erc20 = _artifact("TestERC20")
        self.token = self._deploy(erc20, "Token", "TKN", 0)

    def _deploy(self, artifact: dict, *args: object):
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        receipt = self.w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": self.deployer}))
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])

    def distributor(self, merkle_root: str, total: int):
        contract = self._deploy(_artifact("MerkleDistributor"), self.token.address, bytes.fromhex(merkle_root[2:]))
        self.token.functions.setBalance(contract.address, total).transact({"from": self.deployer})
        return contract

    def claim(self, distributor, claim: dict) -> str:
        proof = [bytes.fromhex(node[2:]) for node in claim["proof"]]
        tx = distributor.functions.claim(claim["index"], claim["destination"], int(claim["amount"]), proof).transact(
            {"from": self.deployer})
        return "0x" + bytes(tx).hex()

    def balance(self, address: str) -> int:
        return self.token.functions.balanceOf(address).call()


def _release(portal: Portal, chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str], number: int):
    doc = tmp_path / f"release-evm-{number}.md"
    code, out, err = run(capsys, "release", "prepare", "--destination-chain", "evm", "--out", str(doc))
    assert code == 0, err
    prepared = json.loads(out)
    contract = chain.distributor(prepared["merkle_root"], int(prepared["total"]))
    assert run(capsys, "release", "distributor", str(doc), contract.address)[0] == 0
    sign(doc, *OLD)
    code, _, err = run(capsys, "release", "publish", str(doc), "--url", portal.base)
    assert code == 0, err
    return contract, httpx.get(f"{portal.base}/v1/releases/evm/{number}").json()


def test_every_entry_claims_exactly_its_amount_and_nothing_else_does(
        portal: Portal, operator_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chain = Chain()
    snapshot_id = evm_snapshot(portal)
    shared = "0x" + "5e" * 20
    holders = seed_requests(portal.database_url, 3, snapshot_id=snapshot_id, chain="evm", amount=7 * 10**17)
    holders += seed_requests(portal.database_url, 2, snapshot_id=snapshot_id, chain="evm",
                             destination=Web3.to_checksum_address(shared), amount=3 * 10**18,
                             start=EPOCH.replace(month=2))
    assert approve_all(portal) == 5
    first, release1 = _release(portal, chain, tmp_path, capsys, 1)
    assert first.functions.merkleRoot().call() == bytes.fromhex(release1["merkle_root"][2:])
    assert len(release1["claims"]) == 4  # the shared destination is one leaf of both its approvals

    changed = dict(release1["claims"][0], amount=str(int(release1["claims"][0]["amount"]) + 1))
    with pytest.raises(REVERTED, match="Invalid proof"):
        chain.claim(first, changed)
    txs = {}
    for claim in release1["claims"][1:]:  # index 0 waits: release 2's proof for index 0 is tried on it first
        before = chain.balance(claim["destination"])
        txs[claim["index"]] = chain.claim(first, claim)
        assert chain.balance(claim["destination"]) - before == int(claim["amount"])
        assert first.functions.isClaimed(claim["index"]).call()

    # The portal reads the claims from the chain: the holder's page says claimed, with the transaction.
    report = sync(portal, chain)
    assert (report.releases, report.claims, report.stale) == (1, 3, False)
    for holder in holders:
        held = holder_view(portal, holder)["release"]
        assert held["claim_status_as_of"] is not None
        if held["index"] == 0:
            assert held["claimed_at"] is None and "Claim your tokens" in holder_page(portal, holder)
        else:
            assert held["claim_tx"] == txs[held["index"]]
            assert "Claimed on " in holder_page(portal, holder) and txs[held["index"]] in holder_page(portal, holder)
    assert sync(portal, chain).claims == 0  # a second pass finds nothing new
    staff = {"Authorization": f"Bearer {create_key(portal.database_url, 'rita', 'reviewer')}"}
    totals = httpx.get(portal.base + "/v1/releases/evm/1/claims", headers=staff).json()
    unclaimed_amount = int(release1["claims"][0]["amount"])
    assert (totals["released_entries"], totals["claimed_entries"], totals["unclaimed_entries"]) == (4, 3, 1)
    assert int(totals["unclaimed_amount"]) == unclaimed_amount and totals["synced_at"] is not None
    assert int(totals["claimed_amount"]) + unclaimed_amount == int(release1["total"])
    rows = list(csv.reader(io.StringIO(httpx.get(portal.base + "/v1/releases/evm/1/claims",
                                                 params={"format": "csv"}, headers=staff).text)))
    assert rows[0][:3] == ["index", "destination", "amount"] and [r[0] for r in rows[1:]] == ["0"]
    assert httpx.get(portal.base + "/v1/releases/evm/1/claims").status_code == 401

    # The console shows the same figures, when the chain was last read, and the same unclaimed CSV.
    with console_session(portal, create_key(portal.database_url, "rosa", "reviewer")) as console:
        page = html.unescape(console.get("/staff/releases").text)
        assert '<a href="/staff/releases">Releases</a>' in page  # in the console's navigation
        row = page.split("Ethereum release 1", 1)[1].split("</tr>", 1)[0]
        claimed_amount = int(release1["total"]) - unclaimed_amount
        in_tokens = functools.partial(token_units, decimals=totals["decimals"])  # the holder page's own rule
        assert f"4 entries<br>{in_tokens(int(release1['total']))} ({release1['total']} base units)" in row
        assert f"3 entries<br>{in_tokens(claimed_amount)} ({claimed_amount} base units)" in row
        assert f"1 entry<br>{in_tokens(unclaimed_amount)} ({unclaimed_amount} base units)" in row
        assert "read from the chain at " in row and f"<code>{first.address}</code>" in row
        download = console.get("/staff/releases/evm/1/unclaimed.csv")
        assert download.headers["content-type"].startswith("text/csv")
        assert download.text == httpx.get(portal.base + "/v1/releases/evm/1/claims", params={"format": "csv"},
                                          headers=staff).text
        assert console.get("/staff/releases/evm/9/unclaimed.csv").status_code == 404
    assert httpx.get(portal.base + "/staff/releases", follow_redirects=False).status_code in (401, 403)

    seed_requests(portal.database_url, 1, snapshot_id=snapshot_id, chain="evm", start=EPOCH.replace(month=3))
    assert approve_all(portal) == 1
    second, release2 = _release(portal, chain, tmp_path, capsys, 2)
    [claim2] = release2["claims"]
    assert claim2["index"] == 0 and not first.functions.isClaimed(0).call()
    with pytest.raises(REVERTED, match="Invalid proof"):
        chain.claim(first, claim2)  # a proof from another release is no proof here

    chain.claim(first, release1["claims"][0])
    assert chain.balance(release1["claims"][0]["destination"]) == int(release1["claims"][0]["amount"])
    assert chain.balance(Web3.to_checksum_address(shared)) == 6 * 10**18
    assert chain.balance(first.address) == 0  # funded with exactly the release's total
    with pytest.raises(REVERTED, match="Drop already claimed"):
        chain.claim(first, release1["claims"][0])
    chain.claim(second, claim2)
    assert chain.balance(claim2["destination"]) == int(claim2["amount"])
    report = sync(portal, chain)
    assert (report.releases, report.claims) == (2, 2)  # index 0 of release 1, and release 2's one


@contextlib.contextmanager
def console_session(portal: Portal, key: str) -> Iterator[httpx.Client]:
    """A browser signed in to the live portal's console (its public URL is its own loopback origin)."""
    with httpx.Client(base_url=portal.base, headers={"Origin": portal.base}) as client:
        token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/staff").text).group(1)  # type: ignore[union-attr]
        assert client.post("/staff/sign-in", data={"api_key": key, "_csrf_token": token}).status_code in (200, 303)
        yield client


def sync(portal: Portal, chain: Chain, reader=None) -> claim_sync.SyncReport:
    """One pass of the portal's claim-status sync against the in-process chain."""
    async def run_pass() -> claim_sync.SyncReport:
        db = await Database.open(portal.database_url, size=1)
        try:
            settings = Settings(database_url=portal.database_url,
                                evm_chain_id=chain.w3.eth.chain_id if chain else 1)  # a server for this chain
            ctx = UseCaseContext(db, SnapshotSet.open([], {}), settings)
            return await claim_sync.sync_evm(ctx, reader or Web3ClaimReader(chain.w3))
        finally:
            await db.close()

    return asyncio.run(run_pass())


def test_a_node_that_is_down_leaves_the_status_stale_not_wrong(portal: Portal) -> None:
    with psycopg.connect(portal.database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO releases (destination_chain, number, document, sha256, prev, entries_file, "
                     "entries_sha256, tree, merkle_root, entry_count, total, decimals, distributor, signatures, "
                     "root_version, published_by, published_at) VALUES ('evm', 1, '', 'x', '', '', '', 'uniswap', "
                     "'0x', 1, 1, 0, '0x5FbDB2315678afecb367f032d93F642f64180aa3', '[]', 1, 'test', now())")
    down = Web3ClaimReader.from_url("http://127.0.0.1:9", timeout_seconds=0.5)
    down.retry_delay = 0.01
    report = sync(portal, None, down)  # type: ignore[arg-type]
    assert report.stale and report.rpc_calls == 2 and "eth_blockNumber" in (report.error or "")
    with psycopg.connect(portal.database_url) as conn:
        assert conn.execute("SELECT synced_at FROM releases").fetchone() == (None,)


def test_ranges_are_at_most_ten_thousand_blocks() -> None:
    assert claim_sync.ranges(0, 25_000) == [(0, 9_999), (10_000, 19_999), (20_000, 25_000)]
    assert claim_sync.ranges(7, 7) == [(7, 7)] and claim_sync.ranges(8, 7) == []



def test_a_node_of_another_chain_is_not_read_as_nothing_claimed(portal: Portal) -> None:
    with psycopg.connect(portal.database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO releases (destination_chain, number, document, sha256, prev, entries_file, "
                     "entries_sha256, tree, merkle_root, entry_count, total, decimals, distributor, signatures, "
                     "root_version, published_by, published_at) VALUES ('evm', 1, '', 'x', '', '', '', 'uniswap', "
                     "'0x', 1, 1, 0, '0x5FbDB2315678afecb367f032d93F642f64180aa3', '[]', 1, 'test', now())")
    other = Web3ClaimReader(Web3(EthereumTesterProvider()))  # the tester's chain id, not chain 1
    report = sync(portal, None, other)  # type: ignore[arg-type]  (a server for chain 1)
    assert report.stale and report.ranges == 0 and report.rpc_calls == 2
    assert f"chain id {other.w3.eth.chain_id}" in (report.error or "") and "chain id 1:" in (report.error or "")
    with psycopg.connect(portal.database_url) as conn:
        assert conn.execute("SELECT synced_at FROM releases").fetchone() == (None,)
