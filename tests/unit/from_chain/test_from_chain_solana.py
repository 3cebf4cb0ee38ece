"""Snapshot from SPL Token and Token-2022 accounts, on LiteSVM with the real Token programs.

The builder talks JSON-RPC over a real socket to ``tests/chains/solana_front.py``, which stands in
for a Solana RPC node and answers from LiteSVM's accounts. LiteSVM carries both Token (Tokenkeg...)
and Token-2022 (Tokenz...), so both are exercised for real. Expected balances come from LiteSVM's
accounts parsed independently with solders' ``TokenAccount``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.token.state import TokenAccount

import snapshot
from portal.cli import main
from snapshot.from_chain import ChainError, ExcludeList, JsonRpcClient, from_solana
from tests.chains.solana_front import SolanaFront
from tests.chains.spl import TOKEN, TOKEN_2022, Ledger, approve, freeze, mint_to, transfer

SQUADS = Pubkey.from_string("SQDS4ep65T869zMMBKyuUq6aD6EgTu8psMjkvj52pCf")


class Token:
    """A mint of ``program`` with accounts for alice (two), bob, carol (frozen), dave (delegated to eve),
    a Squads-style vault PDA, an empty account, and an account of another mint."""

    def __init__(self, ledger: Ledger, program: Pubkey = TOKEN) -> None:
        self.ledger, self.program = ledger, program
        self.authority = Keypair()
        self.alice, self.bob, self.carol, self.dave, self.eve = (Keypair() for _ in range(5))
        for holder in (self.authority, self.alice, self.dave):
            ledger.svm.airdrop(holder.pubkey(), 10**9)
        self.vault, _ = Pubkey.find_program_address([b"multisig", bytes(self.bob.pubkey()), b"vault", b"\0"], SQUADS)
        self.mint = ledger.create_mint(self.authority, program)
        extended = program == TOKEN_2022
        self.accounts = {
            "alice1": ledger.create_account(self.mint, self.alice.pubkey(), program),
            "alice2": ledger.create_account(self.mint, self.alice.pubkey(), program, immutable_owner=extended),
            "bob": ledger.create_account(self.mint, self.bob.pubkey(), program),
            "carol": ledger.create_account(self.mint, self.carol.pubkey(), program, immutable_owner=extended),
            "dave": ledger.create_account(self.mint, self.dave.pubkey(), program),
            "vault": ledger.create_account(self.mint, self.vault, program),
            "empty": ledger.create_account(self.mint, self.eve.pubkey(), program),
        }
        for name, amount in (("alice1", 1_000), ("alice2", 2**63), ("bob", 10), ("carol", 77), ("dave", 500),
                             ("vault", 4_000)):
            ledger.send([mint_to(program, self.mint, self.accounts[name], self.authority.pubkey(), amount)],
                        self.authority)
        ledger.send([transfer(program, self.accounts["alice1"], self.accounts["bob"], self.alice.pubkey(), 300)],
                    self.alice)
        ledger.send([freeze(program, self.accounts["carol"], self.mint, self.authority.pubkey())], self.authority)
        ledger.send([approve(program, self.accounts["dave"], self.eve.pubkey(), self.dave.pubkey(), 123)], self.dave)
        other_mint = ledger.create_mint(self.authority, program)
        stranger = ledger.create_account(other_mint, self.alice.pubkey(), program)
        ledger.send([mint_to(program, other_mint, stranger, self.authority.pubkey(), 9)], self.authority)

    def balances(self) -> dict[str, int]:
        """What the chain holds, by owner, parsed from LiteSVM's accounts with solders."""
        found: dict[str, int] = {}
        for address in self.accounts.values():
            state = TokenAccount.from_bytes(bytes(self.ledger.svm.get_account(address).data)[:165])
            if state.amount:
                found[str(state.owner)] = found.get(str(state.owner), 0) + state.amount
        return found


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return Ledger()


@pytest.fixture(scope="module")
def token(ledger: Ledger) -> Token:
    return Token(ledger)


def _csv(path: Path) -> dict[str, int]:
    lines = path.read_text().splitlines()
    return {address: int(amount) for address, amount in (line.split(",") for line in lines[1:])}


def _client(front: SolanaFront, timeout: float = 5.0) -> JsonRpcClient:
    return JsonRpcClient(front.url, timeout_seconds=timeout, retries=1, backoff_seconds=0.01)


@pytest.mark.parametrize("program", [TOKEN, TOKEN_2022], ids=["token", "token-2022"])
def test_snapshot_equals_the_accounts_the_chain_holds(program: Pubkey, tmp_path: Path) -> None:
    ledger = Ledger()
    token = Token(ledger, program)
    with SolanaFront(ledger) as front, _client(front) as client:
        built = from_solana(client, mint=str(token.mint), out_dir=tmp_path / "out", csv_path=tmp_path / "h.csv")
    expected = token.balances()
    assert _csv(tmp_path / "h.csv") == expected
    assert expected[str(token.alice.pubkey())] == 700 + 2**63  # two accounts, summed by owner
    assert str(token.eve.pubkey()) not in expected  # an empty account is no holding
    source = built.manifest.source
    assert source["mint"] == str(token.mint) and source["token_program"] == str(program)
    assert source["slot"] == ledger.slot == built.manifest.block and source["min_context_slot"] == ledger.slot
    assert set(source["slots"]) == {"mint", "token", "token-2022", "token-2022-extensions"}
    assert source["genesis_hash"] == front.genesis_hash and source["decimals"] == 6
    report = built.report
    assert report["off_curve_owners"] == [{"owner": str(token.vault), "amount": "4000"}]
    assert [(item["account"], item["owner"]) for item in report["frozen"]] == [
        (str(token.accounts["carol"]), str(token.carol.pubkey()))]
    assert [(item["account"], item["delegate"], item["delegated_amount"]) for item in report["delegated"]] == [
        (str(token.accounts["dave"]), str(token.eve.pubkey()), "123")]
    with snapshot.Snapshot.open(built.manifest.path) as opened:
        opened.verify()
        entry = opened.lookup(snapshot.parse_address(str(token.vault)))
        assert entry is not None and entry.amount == 4000


def test_exclude_list_by_owner(ledger: Ledger, token: Token, tmp_path: Path) -> None:
    exclude = tmp_path / "exclude.txt"
    exclude.write_text(f"{token.bob.pubkey()}  # exchange hot wallet\n")
    with SolanaFront(ledger) as front, _client(front) as client:
        built = from_solana(client, mint=str(token.mint), out_dir=tmp_path / "out", csv_path=tmp_path / "h.csv",
                            exclude=ExcludeList.read(exclude, "solana"))
    holders = _csv(tmp_path / "h.csv")
    assert str(token.bob.pubkey()) not in holders and len(holders) == len(token.balances()) - 1
    assert built.manifest.source["exclude_sha256"] == hashlib.sha256(exclude.read_bytes()).hexdigest()
    assert built.report["excluded"] == [str(token.bob.pubkey())]


@pytest.mark.parametrize("trouble", ["timeout", "garbage", "other_cluster", "unknown_mint", "not_a_mint"])
def test_bad_nodes_give_a_clear_error_and_no_partial_artifact(ledger: Ledger, token: Token, tmp_path: Path,
                                                              trouble: str) -> None:
    expected = {"timeout": "timed out after 0.2 s", "garbage": "not a JSON-RPC answer",
                "other_cluster": "genesis hash is .*: another cluster",
                "unknown_mint": "no account .* a wrong mint, or a node of another cluster",
                "not_a_mint": "not an initialized mint"}[trouble]
    mint = {"unknown_mint": str(Pubkey.new_unique()), "not_a_mint": str(token.accounts["bob"])}.get(trouble,
                                                                                                     str(token.mint))
    with SolanaFront(ledger, genesis_hash="5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d"
                     if trouble == "other_cluster" else "LocaL1111111111111111111111111111111111111") as front, \
            _client(front, timeout=0.2) as client:
        front.delay_seconds = 0.5 if trouble == "timeout" else 0.0
        front.garbage = trouble == "garbage"
        with pytest.raises(ChainError, match=expected):
            from_solana(client, mint=mint, out_dir=tmp_path / "out", csv_path=tmp_path / "h.csv",
                        expected_genesis_hash="LocaL1111111111111111111111111111111111111")
    assert list(tmp_path.iterdir()) == []


def test_cli_rebuild_reports_the_slot_difference_honestly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = Ledger()
    token = Token(ledger)
    with SolanaFront(ledger) as front:
        assert main(["snapshot", "from-chain", "solana", "--rpc", front.url, "--mint", str(token.mint),
                     "--out", str(tmp_path / "out")]) == 0
        built = json.loads(capsys.readouterr().out)
        artifact, slot = built["manifest"]["path"], built["manifest"]["block"]
        clock = ledger.svm.get_clock()
        clock.slot += 40  # time passes, nothing moves
        ledger.svm.set_clock(clock)
        assert main(["snapshot", "verify", artifact, "--rebuild", "--rpc", front.url]) == 0
        unchanged = json.loads(capsys.readouterr().out)
        ledger.send([transfer(TOKEN, token.accounts["bob"], token.accounts["dave"], token.bob.pubkey(), 5)],
                    token.bob, payer=token.alice)
        assert main(["snapshot", "verify", artifact, "--rebuild", "--rpc", front.url]) == 1
        moved = json.loads(capsys.readouterr().out)
    assert unchanged["same"] and unchanged["slot_difference"] == 40 and "40 slots later" in unchanged["note"]
    assert not moved["same"] and moved["slot_difference"] == ledger.slot - slot and moved["changed"] == 2
    assert f"{token.bob.pubkey()}: 310 -> 305" in moved["examples"]
