"""Issue 4: review claim + decide cycles per second, 8 concurrent reviewers over HTTP.

A real ``portal serve`` process on a loopback port, against the embedded PostgreSQL (pgserver,
owned by this script and handed to the server as ``DATABASE_URL``). Before each run the queue is
pre-seeded BY SQL with ``--requests`` pending requests (one INSERT ... SELECT generate_series; the
proof flow is not part of what is measured) and 8 reviewer API keys are made through the domain.
Each reviewer loops: ``POST /v1/review/claim`` then ``POST .../decision`` (approve, below the
four-eyes threshold), until the queue is empty or ``--seconds`` pass. Every call is a real
authenticated request with its audit event. Prints cycles/s per run, the median of the runs, and
p50/p99 of each call; exits 1 when the median is under the target (150 cycles/s).

    python benchmarks/review_cycles.py [--requests 3000] [--seconds 15] [--repeats 3] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _http_client import Connection
from _server import portal_server
from _stats import percentile_ms as percentile

from portal.demo import build_demo_snapshots
from portal.domain import staff
from portal.domain.context import utc_now
from portal.store.database import Database
from portal.store.embedded import embedded_postgres
from portal.store.migrations import migrate
from tests.integration.staff_helpers import audit_chain_key

REVIEWERS = 8
TARGET_CYCLES_PER_SECOND = 150

SEED_SQL = """
WITH ids AS (
    SELECT i, gen_random_uuid() AS challenge_id, gen_random_uuid() AS request_id,
           '0x' || lpad(to_hex(%(run)s::bigint * 10000000 + i), 40, '0') AS address,
           now() - interval '1 hour' + i * interval '1 millisecond' AS created_at
    FROM generate_series(1, %(count)s) AS i
), challenges_in AS (
    INSERT INTO challenges (id, method, chain, snapshot_id, snapshot_address, destination, destination_chain,
                            amount, nonce, message, issued_at, expires_at, used_at, client_address)
    SELECT challenge_id, 'eip191', 'evm', 'bench', address, address, 'evm', 1000, md5(random()::text || i),
           'bench', created_at, created_at + interval '15 minutes', created_at, '198.51.100.' || (i %% 250)
    FROM ids
)
INSERT INTO requests (id, challenge_id, snapshot_id, snapshot_address, chain, destination, destination_chain,
                      amount, method, message, proof, recovered_signer, status_token_hash, client_address,
                      created_at, updated_at)
SELECT request_id, challenge_id, 'bench', address, 'evm', address, 'evm', 1000, 'eip191', 'bench', '0x', address,
       sha256(request_id::text::bytea), '198.51.100.' || (i %% 250), created_at, created_at
FROM ids
"""


async def make_keys(url: str, run: int) -> list[str]:
    db = await Database.open(url, size=1, audit_chain_key=audit_chain_key())
    try:
        async with db.transaction() as conn:
            return [(await staff.create_key(conn, name=f"bench-{run}-{i}", role="reviewer", actor="bench",
                                            at=utc_now())).token for i in range(REVIEWERS)]
    finally:
        await db.close()


async def reviewers(base: str, tokens: list[str], seconds: float) -> tuple[int, float, list[float], list[float]]:
    claims: list[float] = []
    decisions: list[float] = []
    deadline = time.perf_counter() + seconds

    async def reviewer(token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        connection = await Connection.open(base)
        cycles = 0
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status, body = await connection.request("POST", "/v1/review/claim", headers=headers)
                claims.append(time.perf_counter() - started)
                if status == 204:
                    break
                if status != 200:
                    raise RuntimeError(f"claim answered {status}: {body[:300]!r}")
                request_id = json.loads(body)["request_id"]
                started = time.perf_counter()
                status, body = await connection.request(
                    "POST", f"/v1/review/requests/{request_id}/decision", headers=headers,
                    body={"decision": "approve", "reason": "bench"})
                decisions.append(time.perf_counter() - started)
                if status != 200:
                    raise RuntimeError(f"decision answered {status}: {body[:300]!r}")
                cycles += 1
        finally:
            await connection.close()
        return cycles

    started = time.perf_counter()
    counts = await asyncio.gather(*(reviewer(token) for token in tokens))
    elapsed = time.perf_counter() - started
    return sum(counts), elapsed, claims, decisions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        data_dir = Path(tmp)
        snapshots = build_demo_snapshots(data_dir / "snapshots")
        with embedded_postgres(data_dir) as url:
            migrate(url)
            with portal_server(data_dir, snapshots, workers=args.workers, env={"DATABASE_URL": url}) as base:
                rates, all_claims, all_decisions = [], [], []
                for run in range(1, args.repeats + 1):
                    with psycopg.connect(url) as conn:
                        conn.execute(SEED_SQL, {"run": run, "count": args.requests})
                    tokens = asyncio.run(make_keys(url, run))
                    cycles, elapsed, claims, decisions = asyncio.run(reviewers(base, tokens, args.seconds))
                    rates.append(cycles / elapsed)
                    all_claims += claims
                    all_decisions += decisions
                    print(f"run {run}: {cycles} cycles in {elapsed:.2f} s = {cycles / elapsed:.0f} cycles/s "
                          f"(claim p50 {percentile(claims, .5):.1f} ms p99 {percentile(claims, .99):.1f} ms; "
                          f"decide p50 {percentile(decisions, .5):.1f} ms p99 {percentile(decisions, .99):.1f} ms)",
                          flush=True)
    median = statistics.median(rates)
    print(f"median of {args.repeats} runs: {median:.0f} cycles/s with {REVIEWERS} reviewers, "
          f"server workers={args.workers} (target >= {TARGET_CYCLES_PER_SECOND})")
    print(f"all runs: claim p50 {percentile(all_claims, .5):.1f} ms p99 {percentile(all_claims, .99):.1f} ms; "
          f"decide p50 {percentile(all_decisions, .5):.1f} ms p99 {percentile(all_decisions, .99):.1f} ms")
    return 0 if median >= TARGET_CYCLES_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
