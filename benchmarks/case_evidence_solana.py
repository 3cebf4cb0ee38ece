"""Issue 23: evidence for staff of a Solana address with 1,000 transactions after the snapshot slot.

    python benchmarks/case_evidence_solana.py [--after 1000] [--rounds 5]

The chain is real: LiteSVM with the real SPL Token program (``tests/chains/spl.py``), where the holder's
token account gets 500,000 base units minted and sends 1,000 to another holder before the snapshot
slot, then ``--after`` real SPL transfers of 1 base unit (alternately out and back in) after it. The node
is the tests' JSON-RPC front over that ledger (``tests/chains/solana_front.py``), served from a child
process on loopback, so the figures include HTTP, JSON and the front's history lookups, as against a
real RPC node on the same host. The reader is the portal's own: ``case_evidence_solana.read_solana``
over ``RpcSolanaChain`` (one attempt per call, the RPC timeout), with the holder's two signatures as
evidence (one before the slot, the last one after it). Calls are counted and timed by method through the
client's ``on_call`` hook (the one the portal feeds its latency metric). Figures: calls by method, RPC
time by method, and wall time; medians of ``--rounds`` repeats after one warm-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.domain.case_evidence_solana import read_solana  # noqa: E402
from portal.domain.cases_staff import CaseDetail  # noqa: E402
from portal.domain.proofs.solana_onchain import RpcSolanaChain  # noqa: E402


def _node(after: int, ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from solders.keypair import Keypair

    from tests.chains.solana_front import SolanaFront
    from tests.chains.spl import TOKEN, Ledger, mint_to, transfer

    started = time.perf_counter()
    ledger = Ledger()
    authority, holder, other = Keypair(), Keypair(), Keypair()
    mint = ledger.create_mint(authority)
    account = ledger.create_account(mint, holder.pubkey())
    other_account = ledger.create_account(mint, other.pubkey())
    ledger.send([mint_to(TOKEN, mint, account, authority.pubkey(), 500_000)], authority)
    before = ledger.send([transfer(TOKEN, account, other_account, holder.pubkey(), 1_000)], holder)
    slot = ledger.slot
    built = time.perf_counter()
    last = before
    for index in range(after):
        if index % 2 == 0:
            last = ledger.send([transfer(TOKEN, account, other_account, holder.pubkey(), 1)], holder)
        else:
            last = ledger.send([transfer(TOKEN, other_account, account, other.pubkey(), 1)], other)
    ran = time.perf_counter() - built
    with SolanaFront(ledger) as front:
        ready.put((front.url, str(mint), str(holder.pubkey()), str(account), slot, before, last,
                   len(ledger.history[str(account)]), built - started, ran))
        time.sleep(3600)


def _detail(address: str, transactions: list[str]) -> CaseDetail:
    at = dt.datetime.now(dt.UTC)
    return CaseDetail(uuid.uuid4(), "amount_wrong", "open", "solana", address, "0x" + "11" * 20, "evm", "bench",
                      "499000", "solana", address, {"transactions": transactions}, None, None, None, None, None,
                      None, None, None, None, None, at, [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--after", type=int, default=1000, help="SPL transfers of the account after the snapshot slot")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    node = multiprocessing.get_context("fork").Process(target=_node, args=(args.after, ready), daemon=True)
    node.start()
    try:
        url, mint, holder, account, slot, before, last, history, setup, ran = ready.get(timeout=1800)
        print(f"LiteSVM: {args.after:,} real SPL transfers after the snapshot slot {slot} ran in {ran:.1f} s "
              f"({ran / max(args.after, 1) * 1000:.2f} ms each; setup {setup:.1f} s); the token account's history "
              f"holds {history:,} transactions")
        walls: list[float] = []
        rpc_seconds: dict[str, list[float]] = defaultdict(list)
        calls: dict[str, int] = {}
        for round_number in range(args.rounds + 1):
            counted: dict[str, int] = defaultdict(int)
            timed: dict[str, float] = defaultdict(float)

            def on_call(method: str, seconds: float, counted=counted, timed=timed) -> None:
                counted[method] += 1
                timed[method] += seconds

            chain = RpcSolanaChain(url, timeout_seconds=30.0, on_call=on_call)
            t = time.perf_counter()
            evidence = read_solana(chain, _detail(holder, [before, last]), mint, slot)
            wall = time.perf_counter() - t
            chain.client.close()
            if evidence.balance_at_snapshot != "499000" or evidence.not_checked:
                raise SystemExit(f"wrong evidence: {evidence}")
            if round_number == 0:
                continue  # warm-up
            walls.append(wall)
            calls = dict(counted)
            for method, seconds in timed.items():
                rpc_seconds[method].append(seconds)
        print(f"evidence for {holder} (token account {account}), balance at the slot {evidence.balance_at_snapshot} "
              f"from {evidence.token_accounts[0].signature[:12]}... in slot {evidence.token_accounts[0].slot}")
        print(f"RPC calls by method ({sum(calls.values())} in all, the same every round):")
        for method in sorted(calls):
            median = statistics.median(rpc_seconds[method]) * 1000
            print(f"  {method:26} {calls[method]:3}  RPC time median {median:8.1f} ms")
        print(f"wall time median {statistics.median(walls) * 1000:.1f} ms (min {min(walls) * 1000:.1f}, max "
              f"{max(walls) * 1000:.1f}) over {args.rounds} rounds")
    finally:
        node.terminate()


if __name__ == "__main__":
    main()
