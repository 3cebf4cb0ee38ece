"""Issue 21: claim-status sync of a release of 100,000 entries: RPC requests and wall time.

The node is a loopback JSON-RPC server in its own process (``tests/chains/jsonrpc_server.py``, a real HTTP socket and
web3's ordinary client) serving a synthetic chain: ``--blocks`` blocks, the distributor's
``Claimed`` events for ``--claimed`` of the entries, one per block from ``--first-claim-block`` on.
What is measured is the portal's side: ``portal.domain.claim_sync.sync_evm`` against the embedded
PostgreSQL, with the release row seeded BY SQL (the sync reads no entries file). Checks the issue's
rule, one ``eth_getLogs`` per range of at most 10,000 blocks, and prints requests per method (block
times go in batches of 100 per request), wall time, and a second pass (nothing new: one range).

    python benchmarks/claim_sync.py [--entries 100000] [--claimed 100000] [--blocks 1000000]
    python benchmarks/claim_sync.py --chain solana [--entries 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import math
import multiprocessing
import secrets
import sys
import tempfile
import time
import urllib.request
from multiprocessing.connection import Connection
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from policy.release import ReleaseSource, encode_entries
from policy.release_writing import combine
from portal.domain import claim_sync
from portal.domain.claim_reader import CLAIMED_TOPIC, Web3ClaimReader
from portal.domain.context import UseCaseContext
from portal.domain.eligibility import SnapshotSet
from portal.domain.solana_claims import SolanaClaimReader
from portal.settings import Settings
from portal.store.database import Database
from portal.store.embedded import embedded_postgres
from portal.store.migrations import migrate
from snapshot.addresses import b58encode
from tests.chains.jsonrpc_server import JsonRpcServer

DISTRIBUTOR = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
GENESIS_TIME = 1_800_000_000


class SyntheticNode:
    """``eth_blockNumber``, ``eth_getLogs`` (the distributor's Claimed events) and ``eth_getBlockByNumber``."""

    def __init__(self, head: int, claims: list[tuple[int, int]]) -> None:
        self.head = head
        self.claims = claims  # (block, index), sorted by block
        self.blocks = [block for block, _ in claims]
        self.calls: dict[str, int] = {}

    def __call__(self, method: str, params: list) -> object:
        if method == "getMultipleAccounts":  # Solana: every tenth address holds a ClaimStatus account
            self.calls[method] = self.calls.get(method, 0) + 1
            assert len(params[0]) <= 100, "more than 100 accounts in one getMultipleAccounts"
            return {"context": {"slot": self.head}, "value": [
                {"owner": SOLANA_PROGRAM, "lamports": 1, "data": ["", "base64"], "executable": False}
                if sum(address.encode()) % 10 == 0 else None for address in params[0]]}
        if method == "bench_calls":  # the benchmark's own question, not counted
            return self.calls
        if method == "bench_reset":
            self.calls = {}
            return True
        self.calls[method] = self.calls.get(method, 0) + 1
        if method == "eth_chainId":  # the default PORTAL_EVM_CHAIN_ID
            return "0x1"
        if method == "eth_blockNumber":
            return hex(self.head)
        if method == "eth_getBlockByNumber":
            number = int(params[0], 16)
            return {"number": hex(number), "timestamp": hex(GENESIS_TIME + 12 * number),
                    "hash": "0x" + f"{number:064x}", "transactions": []}
        if method == "eth_getLogs":
            query = params[0]
            low, high = int(query["fromBlock"], 16), int(query["toBlock"], 16)
            assert high - low < claim_sync.MAX_BLOCK_RANGE, "a range over 10,000 blocks was asked"
            start, end = bisect.bisect_left(self.blocks, low), bisect.bisect_right(self.blocks, high)
            return [{"address": DISTRIBUTOR, "topics": [CLAIMED_TOPIC],
                     "data": "0x" + f"{index:064x}" + "00" * 12 + "ab" * 20 + f"{1000:064x}",
                     "blockNumber": hex(block), "transactionHash": "0x" + f"{block:032x}{index:032x}",
                     "blockHash": "0x" + f"{block:064x}", "logIndex": "0x0", "transactionIndex": "0x0",
                     "removed": False} for block, index in self.claims[start:end]]
        raise ValueError(method)


SOLANA_PROGRAM = "mERKcfxMC5SqJn4Ld4BUris3WKZZ1ojjWJ3A3J5CKxv"
SOLANA_DISTRIBUTOR = "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"
SEED_SOLANA_RELEASE = """
INSERT INTO releases (destination_chain, number, document, sha256, prev, entries_file, entries_sha256, tree,
                      merkle_root, entry_count, total, decimals, distributor, program, signatures, root_version,
                      published_by, published_at)
VALUES ('solana', 1, '', 'bench-solana', '', %(entries_file)s, '', 'distributor', '0x', %(entries)s, %(entries)s, 0,
        %(distributor)s, %(program)s, '[]', 1, 'bench', now())
"""
SEED_RELEASE = """
INSERT INTO releases (destination_chain, number, document, sha256, prev, entries_file, entries_sha256, tree,
                      merkle_root, entry_count, total, decimals, distributor, signatures, root_version,
                      published_by, published_at)
VALUES ('evm', 1, '', 'bench', '', '', '', 'uniswap', '0x', %(entries)s, %(entries)s, 0, %(distributor)s, '[]', 1,
        'bench', now())
"""


def serve_node(head: int, claims: list[tuple[int, int]], pipe: Connection) -> None:
    """The node in its own process, so that its JSON work does not share the portal's GIL."""
    with JsonRpcServer(SyntheticNode(head, claims)) as server:
        pipe.send(server.url)
        pipe.recv()  # until the benchmark is done


def ask(url: str, method: str) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())["result"]


async def one_pass(url: str, reader: Web3ClaimReader | SolanaClaimReader) -> tuple[claim_sync.SyncReport, float]:
    db = await Database.open(url, size=2)
    try:
        ctx = UseCaseContext(db, SnapshotSet.open([], {}), Settings(database_url=url))
        started = time.perf_counter()
        if isinstance(reader, SolanaClaimReader):
            report = await claim_sync.sync_solana(ctx, reader)
        else:
            report = await claim_sync.sync_evm(ctx, reader)
        return report, time.perf_counter() - started
    finally:
        await db.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--claimed", type=int, default=100_000)
    parser.add_argument("--blocks", type=int, default=1_000_000)
    parser.add_argument("--first-claim-block", type=int, default=500_000)
    parser.add_argument("--chain", choices=("evm", "solana"), default="evm",
                        help="solana: the ClaimStatus accounts of a release of --entries (every tenth claimed)")
    args = parser.parse_args()
    if args.chain == "solana":
        return solana(args.entries)
    claims = [(args.first_claim_block + i, i) for i in range(args.claimed)]
    ranges = math.ceil(args.blocks / claim_sync.MAX_BLOCK_RANGE)
    ours, theirs = multiprocessing.Pipe()
    node = multiprocessing.Process(target=serve_node, args=(args.blocks - 1, claims, theirs), daemon=True)
    node.start()
    try:
        node_url = ours.recv()
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp, embedded_postgres(tmp) as url:
            migrate(url)
            with psycopg.connect(url) as conn:
                conn.execute(SEED_RELEASE, {"entries": args.entries, "distributor": DISTRIBUTOR})
            reader = Web3ClaimReader.from_url(node_url, timeout_seconds=30)
            report, seconds = asyncio.run(one_pass(url, reader))
            first_calls = ask(node_url, "bench_calls")
            requests_first = report.rpc_calls
            ask(node_url, "bench_reset")
            again, again_seconds = asyncio.run(one_pass(url, reader))
            with psycopg.connect(url) as conn:
                stored = conn.execute("SELECT count(*) FROM release_claims").fetchone()[0]  # type: ignore[index]
    finally:
        ours.send("done")
        node.join(timeout=10)
    assert isinstance(first_calls, dict)
    print(f"first pass: {report.claims} claims of {args.entries} entries over {args.blocks} blocks in {seconds:.2f} s; "
          f"{requests_first} HTTP requests; node-side calls by method: {first_calls}")
    print(f"  eth_getLogs ranges: {first_calls.get('eth_getLogs', 0)} (rule: one per <= 10,000 blocks = {ranges}); "
          f"block times: {first_calls.get('eth_getBlockByNumber', 0)} blocks read in "
          f"{math.ceil(args.claimed / 100)} batched requests")
    print(f"second pass (nothing new): {again.claims} claims, {again.rpc_calls} requests, {again_seconds:.3f} s; "
          f"{stored} claims stored")
    ok = (first_calls.get("eth_getLogs") == ranges and report.claims == args.claimed == stored
          and not report.stale and again.claims == 0)
    return 0 if ok else 1


def solana(entries: int) -> int:
    """A Solana release of ``entries`` destinations: one pass reads ⌈n/100⌉ batches of ClaimStatus PDAs."""
    paid = [(b58encode(secrets.token_bytes(32)), ReleaseSource("bench", f"0x{i:040x}", "1")) for i in range(entries)]
    entries_file = encode_entries(combine(paid))
    ours, theirs = multiprocessing.Pipe()
    node = multiprocessing.Process(target=serve_node, args=(1000, [], theirs), daemon=True)
    node.start()
    try:
        node_url = ours.recv()
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp, embedded_postgres(tmp) as url:
            migrate(url)
            with psycopg.connect(url) as conn:
                conn.execute(SEED_SOLANA_RELEASE, {"entries": entries, "entries_file": entries_file,
                                                   "distributor": SOLANA_DISTRIBUTOR, "program": SOLANA_PROGRAM})
            reader = SolanaClaimReader(node_url, timeout_seconds=30)
            report, seconds = asyncio.run(one_pass(url, reader))
            calls = ask(node_url, "bench_calls")
            ask(node_url, "bench_reset")
            again, again_seconds = asyncio.run(one_pass(url, reader))
            reader.close()
    finally:
        ours.send("done")
        node.join(timeout=10)
    assert isinstance(calls, dict)
    batches = math.ceil(entries / 100)
    print(f"first pass: {report.claims} of {entries} entries seen claimed in {seconds:.2f} s; {report.rpc_calls} "
          f"requests (rule: ceil(n/100) = {batches} getMultipleAccounts): {calls}")
    print(f"second pass: only the {entries - report.claims} not yet claimed asked again: {again.rpc_calls} requests, "
          f"{again_seconds:.2f} s, {again.claims} new")
    return 0 if calls.get("getMultipleAccounts") == batches and not report.stale else 1


if __name__ == "__main__":
    sys.exit(main())
