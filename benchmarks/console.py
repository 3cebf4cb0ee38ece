"""Issue 12: the staff console with 100,000 requests in the table (most decided).

A real ``portal serve`` process against the embedded PostgreSQL. The table is filled BY SQL (one
INSERT ... SELECT generate_series: ``--requests`` rows, ``--open`` of them pending, the rest approved
or rejected). Prints:
- the median (and p90) round trip of the console's queue page and of a search by snapshot address
  (loopback HTTP; an upper bound of the server time), target <= 50 ms at the median;
- ``EXPLAIN`` of the queue query for each filter, as the plan's node types (index scans expected);
- claim-plus-decide cycles/s through the console's routes (``POST /staff/claim-next`` +
  ``POST /staff/requests/{id}/decision`` with the session cookie and CSRF token) against the JSON
  API's (``POST /v1/review/claim`` + ``.../decision``), alternating, one client each, same run.

    python benchmarks/console.py [--requests 100000] [--open 10000] [--samples 60] [--seconds 5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _server import portal_server
from _stats import percentile_ms as percentile

from portal.demo import build_demo_snapshots
from portal.domain import staff
from portal.domain.context import utc_now
from portal.domain.review import queue
from portal.store import review as review_store
from portal.store.database import Database
from portal.store.embedded import embedded_postgres
from portal.store.migrations import migrate
from tests.integration.staff_helpers import audit_chain_key

TARGET_MS = 50.0
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')

SEED_SQL = """
WITH ids AS (
    SELECT i, gen_random_uuid() AS challenge_id, gen_random_uuid() AS request_id,
           '0x' || lpad(to_hex(i), 40, '0') AS address,
           '0x' || lpad(to_hex(i %% 90000 + 1000000), 40, '0') AS destination,
           now() - interval '30 days' + i * interval '20 milliseconds' AS created_at,
           CASE WHEN i > %(count)s - %(open)s THEN 'pending_review' WHEN i %% 5 = 0 THEN 'rejected' ELSE 'approved' END
               AS status,
           CASE WHEN i %% 10 = 0 THEN 'eip1271' ELSE 'eip191' END AS method
    FROM generate_series(1, %(count)s) AS i
), challenges_in AS (
    INSERT INTO challenges (id, method, chain, snapshot_id, snapshot_address, destination, destination_chain,
                            amount, nonce, message, issued_at, expires_at, used_at, client_address)
    SELECT challenge_id, method, 'evm', 'bench', address, destination, 'evm', 1000, md5(random()::text || i),
           'bench', created_at, created_at + interval '15 minutes', created_at, '198.51.100.' || (i %% 250)
    FROM ids
)
INSERT INTO requests (id, challenge_id, snapshot_id, snapshot_address, chain, destination, destination_chain,
                      amount, method, message, proof, recovered_signer, status_token_hash, client_address,
                      status, created_at, updated_at)
SELECT request_id, challenge_id, 'bench', address, 'evm', destination, 'evm', 1000 + (i %% 7) * 10, method, 'bench',
       '0x', address, sha256(request_id::text::bytea), '198.51.100.' || (i %% 250), status, created_at, created_at
FROM ids
"""

FILTERS: dict[str, queue.QueueQuery] = {
    "default (open)": queue.QueueQuery(),
    "status=pending_review": queue.QueueQuery(status="pending_review"),  # type: ignore[arg-type]
    "method=eip1271": queue.QueueQuery(method="eip1271"),
    "chain=evm": queue.QueueQuery(chain="evm"),
    "risk=four_eyes_amount": queue.QueueQuery(risk="four_eyes_amount"),
    "risk=destination_reused": queue.QueueQuery(risk="destination_reused"),
    "risk=client_many_requests": queue.QueueQuery(risk="client_many_requests"),
    "risk=escalated": queue.QueueQuery(risk="escalated"),
    "older_than_hours=24": queue.QueueQuery(older_than_hours=24),
    "search address": queue.QueueQuery(search="0x" + "0" * 36 + "1000"),
}


async def make_key(url: str, name: str, role: str) -> str:
    db = await Database.open(url, size=1, audit_chain_key=audit_chain_key())
    try:
        async with db.transaction() as conn:
            return (await staff.create_key(conn, name=name, role=role, actor="bench", at=utc_now())).token
    finally:
        await db.close()


def node_types(plan: dict) -> list[str]:
    found = [plan["Node Type"] + (f" ({plan['Index Name']})" if "Index Name" in plan else "")]
    for child in plan.get("Plans", []):
        found += node_types(child)
    return found


def explain(url: str) -> None:
    with psycopg.connect(url) as conn:
        for label, query in FILTERS.items():
            filters = queue.sql_filter(query, threshold=1050, now=dt.datetime.now(dt.UTC))
            params = {**review_store.msgspec.structs.asdict(filters), "after_created_at": review_store.QUEUE_START[0],
                      "after_id": review_store.QUEUE_START[1], "limit": 51}
            row = conn.execute("EXPLAIN (FORMAT JSON) " + review_store.QUERIES["queue_page"], params,  # type: ignore[operator]
                               prepare=False).fetchone()
            plan = row[0][0]["Plan"]
            types = node_types(plan)
            scans = [t for t in types if "Scan" in t]
            verdict = "ok" if scans and not any(t.startswith("Seq Scan") for t in scans) else "SEQ SCAN"
            print(f"  {label:28s} {verdict:8s} {' > '.join(types)}")


def signed_in(base: str, token: str) -> tuple[httpx.Client, str]:
    # a browser's Origin on every post; the console refuses form posts without same-origin evidence
    client = httpx.Client(base_url=base, timeout=30, headers={"Origin": base.rstrip("/")})
    csrf = CSRF_FIELD.search(client.get("/staff").text).group(1)  # type: ignore[union-attr]
    answer = client.post("/staff/sign-in", data={"api_key": token, "_csrf_token": csrf}, follow_redirects=True)
    if answer.status_code != 200 or "Review queue" not in answer.text:
        raise RuntimeError(f"sign-in failed: {answer.status_code}")
    # the sign-in token was bound to the pre-session cookie; the session's own token is on the queue page
    return client, CSRF_FIELD.search(answer.text).group(1)  # type: ignore[union-attr]


def timed_gets(client: httpx.Client, path: str, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    return times


def console_cycles(client: httpx.Client, csrf: str, seconds: float) -> float:
    cycles, deadline, started = 0, time.perf_counter() + seconds, time.perf_counter()
    while time.perf_counter() < deadline:
        claimed = client.post("/staff/claim-next", data={"_csrf_token": csrf}, follow_redirects=False)
        location = claimed.headers["location"]
        if "notice=empty" in location:
            break
        decided = client.post(location + "/decision", follow_redirects=False,
                              data={"_csrf_token": csrf, "decision": "approve", "reason": "bench"})
        if decided.status_code != 303:
            raise RuntimeError(f"console decision answered {decided.status_code}")
        cycles += 1
    return cycles / (time.perf_counter() - started)


def api_cycles(client: httpx.Client, token: str, seconds: float) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    cycles, deadline, started = 0, time.perf_counter() + seconds, time.perf_counter()
    while time.perf_counter() < deadline:
        claimed = client.post("/v1/review/claim", headers=headers)
        if claimed.status_code == 204:
            break
        request_id = claimed.json()["request_id"]
        decided = client.post(f"/v1/review/requests/{request_id}/decision", headers=headers,
                              json={"decision": "approve", "reason": "bench"})
        if decided.status_code != 200:
            raise RuntimeError(f"api decision answered {decided.status_code}")
        cycles += 1
    return cycles / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        data_dir = Path(tmp)
        snapshots = build_demo_snapshots(data_dir / "snapshots")
        with embedded_postgres(data_dir) as url:
            migrate(url)
            started = time.perf_counter()
            with psycopg.connect(url) as conn:
                conn.execute(SEED_SQL, {"count": args.requests, "open": args.open})
                conn.execute("ANALYZE requests")
            print(f"seeded {args.requests} requests ({args.open} open) in {time.perf_counter() - started:.1f} s")
            print("EXPLAIN of the queue query, per filter (node types, outermost first):")
            explain(url)
            reviewer = asyncio.run(make_key(url, "bench-console", "reviewer"))
            api_key = asyncio.run(make_key(url, "bench-api", "reviewer"))
            env = {"DATABASE_URL": url, "PORTAL_STAFF_SIGN_IN_PER_MINUTE": "0", "PORTAL_RATE_LIMIT_PER_MINUTE": "0"}
            with portal_server(data_dir, snapshots, env=env) as base:
                console, csrf = signed_in(base, reviewer)
                address = "0x" + "0" * 36 + "1000"
                timed_gets(console, "/staff/queue", 5)  # warm up
                queue_times = timed_gets(console, "/staff/queue", args.samples)
                search_times = timed_gets(console, f"/staff/queue?q={address}", args.samples)
                for label, times in (("queue page", queue_times), ("search by address", search_times)):
                    median = percentile(times, .5)
                    print(f"{label:18s} median {median:.1f} ms, p90 {percentile(times, .9):.1f} ms over "
                          f"{len(times)} requests ({'ok' if median <= TARGET_MS else 'OVER'} vs {TARGET_MS:.0f} ms)")
                api = httpx.Client(base_url=base, timeout=30)
                console_rates, api_rates = [], []
                for run in range(1, args.repeats + 1):
                    api_rates.append(api_cycles(api, api_key, args.seconds))
                    console_rates.append(console_cycles(console, csrf, args.seconds))
                    print(f"run {run}: api {api_rates[-1]:.0f} cycles/s, console {console_rates[-1]:.0f} cycles/s")
                api_median, console_median = statistics.median(api_rates), statistics.median(console_rates)
                print(f"claim+decide, one client each: api median {api_median:.0f} cycles/s "
                      f"(range {min(api_rates):.0f}-{max(api_rates):.0f}), console median {console_median:.0f} "
                      f"cycles/s (range {min(console_rates):.0f}-{max(console_rates):.0f}); "
                      f"console/api {console_median / api_median:.2f}")
    print(json.dumps({"queue_median_ms": percentile(queue_times, .5), "search_median_ms": percentile(search_times, .5),
                      "api_cycles": api_median, "console_cycles": console_median}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
