"""Issue 15: snapshots from the chain. EVM log replay speed and calls; Solana 100k token accounts.

    python benchmarks/from_chain.py [--logs 5000] [--cap 1000] [--accounts 100000] [--rounds 3] [--only evm|solana]

EVM: the ERC-20 of ``tests/fixtures/contracts`` on web3's EthereumTesterProvider, filled with
``--logs`` Transfer logs (``spray``: 250 transfers per transaction, one transaction per block), served by
the tests' loopback JSON-RPC front. Figures: replay logs/s through ``snapshot.from_chain.evm.replay_logs``
(chunked ``eth_getLogs``) against a baseline measured in the same run, web3's ``w3.eth.get_logs`` of the
whole range in one call over ``HTTPProvider`` to the same front (what the node and the JSON decoding cost
anyway); and the number of ``eth_getLogs`` calls per 100k logs when the node caps an answer at ``--cap`` results
(Infura and Alchemy cap at 10,000; the default 1,000 makes 5,000 logs exercise the halving), from the
default chunk of 5,000 blocks. Rounds alternate subject and baseline. Both are bound by eth-tester's
``get_logs`` (pure Python) behind the front: making 50,000 logs took 21 min on the shared 2-core VM and
their replays did not finish in 30 min, hence the default of 5,000.

Solana: a mint with ``--accounts`` Token-program accounts (owners drawn so that ~1/4 own two) written into
LiteSVM's state directly (``set_account`` with the real 165-byte layout; sending 100k transactions
would only time LiteSVM), served by the tests' Solana front in a child process. Figures: wall time of
``from_solana`` (three ``getProgramAccounts``, parse, sum by owner, CSV, artifact) and its peak memory
(tracemalloc peak of Python allocations and the growth of the process's max RSS).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import statistics
import struct
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from snapshot.from_chain import JsonRpcClient, from_solana  # noqa: E402
from snapshot.from_chain.evm import TRANSFER_TOPIC, replay_logs  # noqa: E402

TRANSFERS_PER_TX = 250


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):,.0f} (min {min(values):,.0f}, max {max(values):,.0f})"


def evm(logs_wanted: int, rounds: int, cap: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from web3 import EthereumTesterProvider, Web3
    from tests.chains.evm_front import EvmFront

    w3 = Web3(EthereumTesterProvider())
    compiled = json.loads((ROOT / "tests" / "fixtures" / "contracts" / "TestToken.json").read_text())
    sender = w3.eth.accounts[0]
    factory = w3.eth.contract(abi=compiled["abi"], bytecode=compiled["bytecode"])
    token = w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(
        factory.constructor().transact({"from": sender})).contractAddress, abi=compiled["abi"])
    token.functions.mint(sender, 10**30).transact({"from": sender})
    recipients = [Web3.to_checksum_address(random.Random(i).randbytes(20)) for i in range(2_000)]
    started = time.perf_counter()
    made = 0
    while made < logs_wanted:
        batch = [recipients[(made + i) % len(recipients)] for i in range(TRANSFERS_PER_TX)]
        token.functions.spray(batch, 1).transact({"from": sender, "gas": 29_000_000})
        made += TRANSFERS_PER_TX
    block = w3.eth.block_number
    print(f"EVM: {made:,} Transfer logs (+1 mint) in {block} blocks, made in {time.perf_counter() - started:.0f} s")
    tester = w3.provider.ethereum_tester
    with EvmFront(tester, w3.eth.chain_id) as front:
        client = JsonRpcClient(front.url, timeout_seconds=600, retries=0)
        baseline = Web3(Web3.HTTPProvider(front.url, request_kwargs={"timeout": 600}))
        ours, theirs = [], []
        for _ in range(rounds):
            t = time.perf_counter()
            _, logs, calls, _ = replay_logs(client, token.address.lower(), 0, block, chunk_blocks=5_000,
                                            progress=lambda *a: None)
            ours.append(logs / (time.perf_counter() - t))
            t = time.perf_counter()
            found = baseline.eth.get_logs({"address": token.address, "fromBlock": 0, "toBlock": block,
                                           "topics": [TRANSFER_TOPIC]})
            theirs.append(len(found) / (time.perf_counter() - t))
        ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
        print(f"  replay_logs (chunks of 5000 blocks, {calls} call(s)): {_spread(ours)} logs/s")
        print(f"  baseline web3 get_logs, one call:             {_spread(theirs)} logs/s")
        print(f"  ratio replay/baseline: median {statistics.median(ratios):.2f} "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f})")
        front.max_logs = cap
        _, logs, calls, halvings = replay_logs(client, token.address.lower(), 0, block, chunk_blocks=5_000,
                                               progress=lambda *a: None)
        print(f"  node capped at {cap:,} results (at best {100_000 / cap:.0f} calls per 100k logs): "
              f"{calls} eth_getLogs calls ({halvings} refused) for "
              f"{logs:,} logs = {calls * 100_000 / logs:.1f} calls per 100k logs "
              f"(at {TRANSFERS_PER_TX} logs per block)")
        client.close()


def _solana_node(accounts: int, ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from solders.account import Account
    from solders.keypair import Keypair
    from solders.pubkey import Pubkey

    from tests.chains.solana_front import SolanaFront
    from tests.chains.spl import TOKEN, Ledger

    ledger = Ledger()
    authority = Keypair()
    ledger.svm.airdrop(authority.pubkey(), 10**9)
    mint = ledger.create_mint(authority)
    rng = random.Random(15)
    owners = [bytes(Pubkey.new_unique()) for _ in range(accounts * 3 // 4)]
    rent = ledger.svm.minimum_balance_for_rent_exemption(165)
    for _ in range(accounts):
        data = (bytes(mint) + rng.choice(owners) + struct.pack("<Q", rng.randrange(1, 10**12)) + bytes(36)
                + b"\x01" + bytes(56))
        ledger.svm.set_account(Pubkey.new_unique(), Account(rent, data, TOKEN, False, 0))
    with SolanaFront(ledger) as front:
        ready.put((front.url, str(mint)))
        time.sleep(3600)


def solana(accounts: int, rounds: int) -> None:
    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    node = multiprocessing.get_context("fork").Process(target=_solana_node, args=(accounts, ready), daemon=True)
    started = time.perf_counter()
    node.start()
    url, mint = ready.get(timeout=1200)
    print(f"Solana: {accounts:,} token accounts of one mint in LiteSVM, ready in {time.perf_counter() - started:.0f} s")
    seconds: list[float] = []
    try:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for round_number in range(rounds + 1):
            traced = round_number == rounds  # the last round measures memory only: tracemalloc slows allocation
            with tempfile.TemporaryDirectory() as scratch, JsonRpcClient(url, timeout_seconds=600) as client:
                if traced:
                    tracemalloc.start()
                t = time.perf_counter()
                built = from_solana(client, mint=mint, out_dir=Path(scratch), csv_path=Path(scratch) / "h.csv")
                if traced:
                    peak = tracemalloc.get_traced_memory()[1] / 2**20
                    tracemalloc.stop()
                else:
                    seconds.append(time.perf_counter() - t)
                if round_number == 0:
                    rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    finally:
        node.terminate()
    print(f"  from_solana: {built.manifest.entries:,} owners, {built.report['rpc_calls']} RPC calls; time median "
          f"{statistics.median(seconds):.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f}) = "
          f"{accounts / statistics.median(seconds):,.0f} accounts/s")
    print(f"  peak memory: Python allocations (tracemalloc) {peak:.0f} MiB; process max-RSS growth in the first "
          f"round {rss:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logs", type=int, default=5_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cap", type=int, default=1_000, help="results per eth_getLogs answer the node allows")
    parser.add_argument("--only", choices=["evm", "solana"])
    args = parser.parse_args()
    if args.only != "solana":
        evm(args.logs, args.rounds, args.cap)
    if args.only != "evm":
        solana(args.accounts, args.rounds)


if __name__ == "__main__":
    main()
