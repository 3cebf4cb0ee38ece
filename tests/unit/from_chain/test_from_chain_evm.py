"""Snapshot from ERC-20 Transfer logs on a real EVM (eth-tester + py-evm), read over HTTP JSON-RPC.

The token is ``tests/fixtures/contracts/TestToken.sol`` (compiled once with solcjs); the node is
``tests/chains/evm_front.py``, a loopback JSON-RPC front over the tester chain standing in for an
archive node's HTTP endpoint, so the builder runs its ordinary client over a real socket.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from web3 import EthereumTesterProvider, Web3

import snapshot
from portal.cli import main
from snapshot.from_chain import ChainError, ExcludeList, JsonRpcClient, from_evm
from tests.chains.evm_front import EvmFront

CONTRACT = Path(__file__).parents[2] / "fixtures" / "contracts" / "TestToken.json"


class Chain:
    """The tester chain with the token deployed and moved about; ``block`` is the snapshot block."""

    def __init__(self) -> None:
        self.w3 = Web3(EthereumTesterProvider())
        compiled = json.loads(CONTRACT.read_text())
        accounts = self.w3.eth.accounts
        self.minter, self.holders = accounts[0], accounts[1:7]
        factory = self.w3.eth.contract(abi=compiled["abi"], bytecode=compiled["bytecode"])
        receipt = self.w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": self.minter}))
        self.token = self.w3.eth.contract(address=receipt.contractAddress, abi=compiled["abi"])
        a, b, c, d, e, f = self.holders
        send = self._send
        send(self.minter, "mint", a, 1_000)
        send(self.minter, "mint", b, 2**200)          # beyond u64 and float precision
        send(self.minter, "mint", c, 500)
        send(a, "transfer", b, 300)
        send(b, "transfer", c, 7)
        send(c, "transfer", c, 100)                   # self-transfer: no change
        send(a, "burn", 200)                          # Transfer to the zero address
        send(c, "approve", d, 50)
        send(d, "transferFrom", c, e, 50)             # moved by a spender
        send(e, "transfer", f, 0)                     # zero-value transfer: f never holds anything
        send(e, "transfer", d, 50)                    # e back to zero
        self.block = self.w3.eth.block_number
        send(self.minter, "mint", f, 999)             # after the snapshot block: must not count
        send(b, "transfer", a, 1)

    def _send(self, sender: str, function: str, *args: object) -> None:
        tx = getattr(self.token.functions, function)(*args).transact({"from": sender})
        assert self.w3.eth.wait_for_transaction_receipt(tx).status == 1

    def balances_at(self, block: int) -> dict[str, int]:
        found = {holder: self.token.functions.balanceOf(holder).call(block_identifier=block)
                 for holder in self.holders}
        return {holder: amount for holder, amount in found.items() if amount}

    def front(self) -> EvmFront:
        return EvmFront(self.w3.provider.ethereum_tester, self.w3.eth.chain_id)


@pytest.fixture(scope="module")
def chain() -> Chain:
    return Chain()


def _csv(path: Path) -> dict[str, int]:
    lines = path.read_text().splitlines()
    assert lines[0] == "address,amount"
    return {address: int(amount) for address, amount in (line.split(",") for line in lines[1:])}


def _client(front: EvmFront, **kwargs: float) -> JsonRpcClient:
    return JsonRpcClient(front.url, timeout_seconds=kwargs.get("timeout", 5.0), retries=int(kwargs.get("retries", 1)),
                         backoff_seconds=0.01)


def test_snapshot_from_logs_equals_balance_of_at_the_block(chain: Chain, tmp_path: Path) -> None:
    with chain.front() as front, _client(front) as client:
        built = from_evm(client, token=chain.token.address, block=chain.block, out_dir=tmp_path / "out",
                         csv_path=tmp_path / "holders.csv")
    expected = chain.balances_at(chain.block)
    assert _csv(tmp_path / "holders.csv") == expected
    assert len(expected) == 4 and chain.holders[4] not in expected  # back to 0
    assert chain.holders[5] not in expected  # only a zero-value transfer before the block
    assert built.manifest.entries == 4 and int(built.manifest.total) == sum(expected.values())
    source = built.manifest.source
    assert source is not None
    assert {key: source[key] for key in ("chain", "method", "token", "block", "from_block", "exclude_sha256")} == {
        "chain": "evm", "method": "erc20-transfer-logs", "token": chain.token.address, "block": chain.block,
        "from_block": 0, "exclude_sha256": None}
    assert source["chain_id"] == chain.w3.eth.chain_id and source["tool"].startswith("migration-portal ")
    assert source["balance_check"].startswith(f"balanceOf at block {chain.block} equals the replay for all 6")
    with snapshot.Snapshot.open(built.manifest.path) as opened:
        opened.verify()
        assert opened.manifest.source == source  # the source survives in the artifact's header
        for holder, amount in expected.items():
            entry = opened.lookup(snapshot.parse_address(holder))
            assert entry is not None and entry.amount == amount


def test_a_refused_chunk_is_halved_until_the_node_answers(chain: Chain, tmp_path: Path) -> None:
    with chain.front() as front, _client(front) as client:
        plain = from_evm(client, token=chain.token.address, block=chain.block, out_dir=tmp_path / "a",
                         csv_path=tmp_path / "a.csv")
        front.max_logs = 2
        halved = from_evm(client, token=chain.token.address, block=chain.block, out_dir=tmp_path / "b",
                          csv_path=tmp_path / "b.csv")
    assert plain.report["halvings"] == 0 and plain.report["log_calls"] == 1
    assert halved.report["halvings"] > 0 and halved.report["log_calls"] > halved.report["halvings"]
    assert halved.report["logs"] == plain.report["logs"] == 10
    assert halved.manifest.sha256 == plain.manifest.sha256  # same bytes, however it was read


def test_exclude_list_leaves_holders_out_and_is_recorded_by_hash(chain: Chain, tmp_path: Path) -> None:
    treasury = chain.holders[1]
    exclude = tmp_path / "exclude.txt"
    exclude.write_text(f"# treasury\n{treasury.lower()}\n\n")
    with chain.front() as front, _client(front) as client:
        built = from_evm(client, token=chain.token.address, block=chain.block, out_dir=tmp_path / "out",
                         csv_path=tmp_path / "holders.csv", exclude=ExcludeList.read(exclude, "evm"))
    holders = _csv(tmp_path / "holders.csv")
    assert treasury not in holders and len(holders) == 3
    assert built.manifest.source["exclude_sha256"] == hashlib.sha256(exclude.read_bytes()).hexdigest()
    assert built.manifest.source["excluded"] == 1 and built.report["excluded"] == [treasury]


def test_exclude_categories_and_the_block_time_are_recorded_in_the_artifact(chain: Chain, tmp_path: Path) -> None:
    exclude = tmp_path / "exclude.txt"
    exclude.write_text(f"{chain.holders[1].lower()}  # exchange: Example hot wallet\n"
                       f"{chain.holders[2]} # Pool: the AMM pair\n{chain.holders[3]}\n")
    with chain.front() as front, _client(front) as client:
        built = from_evm(client, token=chain.token.address, block=chain.block, out_dir=tmp_path / "out",
                         csv_path=tmp_path / "holders.csv", exclude=ExcludeList.read(exclude, "evm"))
    expected_time = dt.datetime.fromtimestamp(chain.w3.eth.get_block(chain.block)["timestamp"], dt.UTC)
    with snapshot.Snapshot.open(built.manifest.path) as opened:
        source = opened.manifest.source
    assert source is not None and source["block_time"] == expected_time.isoformat().replace("+00:00", "Z")
    assert source["exclude_entries"] == [
        {"address": chain.holders[1], "category": "exchange", "note": "Example hot wallet"},
        {"address": chain.holders[2], "category": "pool", "note": "the AMM pair"},
        {"address": chain.holders[3], "category": "other", "note": ""}]


def test_a_balance_that_disagrees_with_the_logs_refuses_the_snapshot_naming_it(chain: Chain, tmp_path: Path) -> None:
    victim = chain.holders[2]
    with chain.front() as front, _client(front) as client:
        front.lie = (victim, 5)
        with pytest.raises(ChainError, match=f"{victim}: balanceOf at block {chain.block} is 462, the Transfer logs "
                                             "give 457"):
            from_evm(client, token=chain.token.address, block=chain.block, out_dir=tmp_path / "out",
                     csv_path=tmp_path / "holders.csv")
    assert list(tmp_path.iterdir()) == []


def test_a_node_without_history_skips_the_check_and_says_so(chain: Chain, tmp_path: Path) -> None:
    with chain.front() as front, _client(front) as client:
        front.no_history = True
        built = from_evm(client, token=chain.token.address, block=chain.block, out_dir=tmp_path / "out",
                         csv_path=tmp_path / "holders.csv")
    assert built.manifest.source["balance_check"].startswith(f"skipped: the node keeps no state at block {chain.block}")
    assert _csv(tmp_path / "holders.csv") == chain.balances_at(chain.block)


@pytest.mark.parametrize("trouble", ["timeout", "garbage", "other_chain", "chain_id", "future_block"])
def test_bad_nodes_give_a_clear_error_and_no_partial_artifact(chain: Chain, tmp_path: Path, trouble: str) -> None:
    node = chain
    if trouble == "other_chain":  # a chain with the same id and as many blocks, but without the token
        node = Chain.__new__(Chain)
        node.w3 = Web3(EthereumTesterProvider())
        node.w3.provider.ethereum_tester.mine_blocks(chain.block + 5)
    front = node.front()
    expected = {"timeout": "timed out after 0.2 s", "garbage": "not a JSON-RPC answer",
                "other_chain": "no contract at .* a wrong token address, or a node of another chain",
                "chain_id": "the node is on chain id .*, not 1: another chain",
                "future_block": "is ahead of the node's latest block"}[trouble]
    with front, _client(front, timeout=0.2, retries=1) as client:
        front.delay_seconds = 0.5 if trouble == "timeout" else 0.0
        front.garbage = trouble == "garbage"
        with pytest.raises(ChainError, match=expected):
            from_evm(client, token=chain.token.address, block=chain.block + (100 if trouble == "future_block" else 0),
                     out_dir=tmp_path / "out", csv_path=tmp_path / "holders.csv",
                     expected_chain_id=1 if trouble == "chain_id" else None)
        if trouble in ("timeout", "garbage"):
            assert front.requests == 2  # one retry, then the error
    assert list(tmp_path.iterdir()) == []


def test_cli_builds_then_verify_rebuild_matches(chain: Chain, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with chain.front() as front:
        code = main(["snapshot", "from-chain", "evm", "--rpc", front.url, "--token", chain.token.address,
                     "--block", str(chain.block), "--out", str(tmp_path / "out"), "--holders",
                     str(tmp_path / "holders.csv")])
        assert code == 0
        built = json.loads(capsys.readouterr().out)
        assert built["manifest"]["source"]["block"] == chain.block
        code = main(["snapshot", "verify", built["manifest"]["path"], "--rebuild", "--rpc", front.url])
        checked = json.loads(capsys.readouterr().out)
    assert code == 0 and checked["same"] and checked["identical_file"]
    assert checked["published_root"] == built["manifest"]["merkle_root"]


def test_cli_rebuild_needs_the_same_exclude_list(chain: Chain, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    exclude, other = tmp_path / "exclude.txt", tmp_path / "other.txt"
    exclude.write_text(f"{chain.holders[0]}\n")
    other.write_text(f"{chain.holders[1]}\n")
    with chain.front() as front:
        assert main(["snapshot", "from-chain", "evm", "--rpc", front.url, "--token", chain.token.address,
                     "--block", str(chain.block), "--exclude", str(exclude), "--out", str(tmp_path / "out")]) == 0
        artifact = json.loads(capsys.readouterr().out)["manifest"]["path"]
        verify = ["snapshot", "verify", artifact, "--rebuild", "--rpc", front.url]
        assert main(verify) == 2
        assert "pass the same file with --exclude" in capsys.readouterr().err
        assert main([*verify, "--exclude", str(other)]) == 1
        assert "is not the exclude list the snapshot was built with" in capsys.readouterr().err
        assert main([*verify, "--exclude", str(exclude)]) == 0
        assert json.loads(capsys.readouterr().out)["identical_file"]
