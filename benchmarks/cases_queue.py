"""Issue 23: the console's case queue and address search with 100,000 cases in the table.

A real ``portal serve`` process against the embedded PostgreSQL. The tables are filled BY SQL
(``--cases`` rows with their challenges and one holder message each; ``--open`` of them open, the
rest closed; the four kinds in turn). Prints ``EXPLAIN`` of each queue query (index scans expected)
and the median (and p90) round trip of ``/staff/cases`` (open, by kind, closed) and of a search by
address (loopback HTTP; an upper bound of the server time), target <= 50 ms at the median, and the
same queue statements' own time in process (what the database costs of that).

    python benchmarks/cases_queue.py [--cases 100000] [--open 10000] [--samples 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _server import portal_server
from _stats import percentile_ms as percentile
from console import make_key, node_types, signed_in, timed_gets

from portal.demo import build_demo_snapshots
from portal.store import cases as cases_store
from portal.store.embedded import embedded_postgres
from portal.store.migrations import migrate

TARGET_MS = 50.0
KINDS = ("not_in_snapshot", "amount_wrong", "late", "question")

SEED_SQL = """
WITH ids AS (
    SELECT i, gen_random_uuid() AS id, '0x' || lpad(to_hex(i), 40, '0') AS address,
           now() - interval '30 days' + i * interval '20 milliseconds' AS created_at,
           (ARRAY['not_in_snapshot', 'amount_wrong', 'late', 'question'])[i %% 4 + 1] AS kind,
           i > %(count)s - %(open)s AS open
    FROM generate_series(1, %(count)s) AS i
), challenges_in AS (
    INSERT INTO challenges (id, method, chain, snapshot_id, snapshot_address, destination, destination_chain, amount,
                            nonce, message, issued_at, expires_at, used_at, purpose)
    SELECT id, 'eip191', 'evm', 'bench', address, address, 'evm', 0, md5(random()::text || i), 'bench', created_at,
           created_at + interval '15 minutes', created_at, 'case'
    FROM ids
), cases_in AS (
    INSERT INTO cases (id, challenge_id, kind, status, chain, snapshot_id, address, destination, destination_chain,
                       method, message, proof, recovered_signer, evidence, status_token_hash, outcome, outcome_reason,
                       decided_by, decided_at, created_at, updated_at)
    SELECT id, id, kind, CASE WHEN open THEN 'open' ELSE 'closed' END, 'evm', 'bench', address, address, 'evm',
           'eip191', 'bench', '0x', address, '{}'::jsonb, sha256(id::text::bytea),
           CASE WHEN open THEN NULL WHEN kind = 'question' THEN 'answered' ELSE 'rejected' END,
           CASE WHEN open THEN NULL ELSE 'bench' END, CASE WHEN open THEN NULL ELSE 'key:bench' END,
           CASE WHEN open THEN NULL ELSE created_at END, created_at, created_at
    FROM ids
    RETURNING id, created_at
)
INSERT INTO case_messages (case_id, at, author, text) SELECT id, created_at, 'holder', 'bench' FROM cases_in
"""


def query_times(url: str, address: str, samples: int) -> None:
    """The queue statements alone, as the app sends them (prepared after a few runs), per variant."""
    with psycopg.connect(url) as conn:
        for label, (name, params) in variants(address).items():
            values = {"kind": None, "status": None, "address": None, "after_at": cases_store.EPOCH,
                      "after_id": cases_store.NIL, "limit": 51, **params}
            times = []
            for _ in range(samples):
                started = time.perf_counter()
                conn.execute(cases_store.QUERIES[name], values).fetchall()  # type: ignore[index]
                times.append(time.perf_counter() - started)
            print(f"  {label:14s} SQL median {percentile(times, .5):.2f} ms, p90 {percentile(times, .9):.2f} ms")


def variants(address: str) -> dict[str, tuple[str, dict]]:
    return {"open": ("queue_open", {}), "open, kind": ("queue_open_kind", {"kind": "late"}),
            "closed": ("queue_status", {"status": "closed"}),
            "closed, kind": ("queue_status_kind", {"status": "closed", "kind": "late"}),
            "address": ("queue_address", {"address": address})}


def explain(url: str, address: str) -> None:
    with psycopg.connect(url) as conn:
        for label, (name, params) in variants(address).items():
            values = {"kind": None, "status": None, "address": None, "after_at": cases_store.EPOCH,
                      "after_id": cases_store.NIL, "limit": 51, **params}
            row = conn.execute("EXPLAIN (FORMAT JSON) " + cases_store.QUERIES[name], values,  # type: ignore[operator]
                               prepare=False).fetchone()
            types = node_types(row[0][0]["Plan"])  # type: ignore[index]
            scans = [t for t in types if "Scan" in t]
            verdict = "ok" if scans and not any(t.startswith("Seq Scan") for t in scans) else "SEQ SCAN"
            print(f"  {label:14s} {verdict:8s} {' > '.join(types)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()

    results = {}
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        data_dir = Path(tmp)
        snapshots = build_demo_snapshots(data_dir / "snapshots")
        with embedded_postgres(data_dir) as url:
            migrate(url)
            started = time.perf_counter()
            with psycopg.connect(url) as conn:
                conn.execute(SEED_SQL, {"count": args.cases, "open": args.open})
                conn.execute("ANALYZE cases")
                conn.execute("ANALYZE case_messages")
            print(f"seeded {args.cases} cases ({args.open} open) in {time.perf_counter() - started:.1f} s")
            address = "0x" + "0" * 36 + "1000"  # case 4096
            print("EXPLAIN of the case queue queries (node types, outermost first):")
            explain(url, address)
            print("The queue statements alone (in process, no HTTP, no page):")
            query_times(url, address, args.samples)
            reviewer = asyncio.run(make_key(url, "bench-cases", "reviewer"))
            env = {"DATABASE_URL": url, "PORTAL_STAFF_SIGN_IN_PER_MINUTE": "0", "PORTAL_RATE_LIMIT_PER_MINUTE": "0"}
            with portal_server(data_dir, snapshots, env=env) as base:
                console, _ = signed_in(base, reviewer)
                timed_gets(console, "/staff/cases", 5)  # warm up
                pages = {"queue (open)": "/staff/cases", "queue, kind=late": "/staff/cases?kind=late",
                         "closed, kind=late": "/staff/cases?status=closed&kind=late",
                         "search by address": f"/staff/cases?q={address}"}
                for label, path in pages.items():
                    times = timed_gets(console, path, args.samples)
                    median = percentile(times, .5)
                    results[label] = median
                    print(f"{label:18s} median {median:.1f} ms, p90 {percentile(times, .9):.1f} ms over "
                          f"{len(times)} requests ({'ok' if median <= TARGET_MS else 'OVER'} vs {TARGET_MS:.0f} ms)")
    print(json.dumps({f"{label} median_ms": round(value, 2) for label, value in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
