"""Issue 3: POST /v1/challenges + POST /v1/proofs pairs per second, 16 concurrent clients, real server.

    python benchmarks/proof_pairs.py [--holders 20000] [--seconds 10] [--repeats 3] [--workers 1]

A snapshot of freshly generated EVM keys (each pair needs its own eligible address: an address
with a live request answers 200 with it instead of creating one) is served by ``portal serve``
with embedded PostgreSQL on loopback; clients sign each challenge's exact message with coincurve
(what a wallet does) over keep-alive connections. Rate limits are off. Prints the median pairs/s
and p50/p99 of each call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import coincurve

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _http_client import Connection
from _server import portal_server
from _stats import percentile_ms as pct

import snapshot
from portal.domain.proofs.secp256k1 import eip191_digest, keccak
from snapshot.addresses import to_checksum_address

WORK = Path(__file__).resolve().parent / ".work"
CLIENTS = 16
DESTINATION = "0x1111111111111111111111111111111111111111"


def make_holders(count: int) -> tuple[Path, list[tuple[str, coincurve.PrivateKey]]]:
    rng = random.Random(7)
    holders = []
    for _ in range(count):
        key = coincurve.PrivateKey(rng.randbytes(32))
        address = to_checksum_address(keccak(key.public_key.format(compressed=False)[1:])[12:])
        holders.append((address, key))
    WORK.mkdir(exist_ok=True)
    source = WORK / f"proof-holders-{count}.csv"
    source.write_text("address,amount\n" + "".join(f"{a},{i + 1}000\n" for i, (a, _) in enumerate(holders)))
    return Path(snapshot.build_artifact(source, WORK / "proof-snapshots").path), holders


def sign(key: coincurve.PrivateKey, message: str) -> str:
    signature = key.sign_recoverable(eip191_digest(message), hasher=None)
    return "0x" + signature[:64].hex() + format(signature[64] + 27, "02x")


async def run(base: str, holders: list, seconds: float) -> tuple[int, float, list[float], list[float]]:
    queue = list(holders)
    challenges: list[float] = []
    proofs: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client() -> int:
        connection = await Connection.open(base)
        done = 0
        try:
            while queue and time.perf_counter() < deadline:
                address, key = queue.pop()
                started = time.perf_counter()
                status, body = await connection.request("POST", "/v1/challenges", body={
                    "address": address, "destination": DESTINATION, "method": "eip191"})
                challenges.append(time.perf_counter() - started)
                if status != 201:
                    raise RuntimeError(f"challenge answered {status}: {body[:200]!r}")
                issued = json.loads(body)
                started = time.perf_counter()
                status, body = await connection.request("POST", "/v1/proofs", body={
                    "challenge_id": issued["challenge_id"], "signature": sign(key, issued["message"])})
                proofs.append(time.perf_counter() - started)
                if status != 201:
                    raise RuntimeError(f"proof answered {status}: {body[:200]!r}")
                done += 1
        finally:
            await connection.close()
        return done

    started = time.perf_counter()
    counts = await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return sum(counts), time.perf_counter() - started, challenges, proofs


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--holders", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    artifact, holders = make_holders(args.holders)
    rates, all_challenges, all_proofs = [], [], []
    per_run = len(holders) // args.repeats
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as data_dir, \
            portal_server(Path(data_dir), [artifact], workers=args.workers,
                          env={"PORTAL_RATE_LIMIT_PER_MINUTE": "0"}) as base:
        for run_index in range(args.repeats):
            batch = holders[run_index * per_run:(run_index + 1) * per_run]
            pairs, elapsed, challenges, proofs = asyncio.run(run(base, batch, args.seconds))
            rates.append(pairs / elapsed)
            all_challenges += challenges
            all_proofs += proofs
            print(f"run {run_index + 1}: {pairs} pairs in {elapsed:.2f} s = {pairs / elapsed:.0f} pairs/s "
                  f"(challenge p99 {pct(challenges, 0.99):.1f} ms, proof p99 {pct(proofs, 0.99):.1f} ms)", flush=True)
    print(f"median {statistics.median(rates):.0f} pairs/s with {CLIENTS} clients, server workers={args.workers} "
          f"(target >= 200); challenge p50 {pct(all_challenges, 0.5):.1f} / p99 {pct(all_challenges, 0.99):.1f} ms; "
          f"proof p50 {pct(all_proofs, 0.5):.1f} / p99 {pct(all_proofs, 0.99):.1f} ms (target p99 <= 100)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
