"""Issue 24: what a counted POST pays for limits that hold across processes (PostgreSQL) against
per-process counters (memory), in process and over HTTP.

In process: ``PostgresLimiter.hit`` (one atomic upsert on an embedded PostgreSQL) against
``MemoryLimiter.hit``, alternated in rounds over many client keys; prints µs per counted request
(median and range of the rounds) and the difference (target: ≤ 500 µs added).

Over HTTP (``--http``): ``portal serve --demo --workers 2`` once with each backend, wrk POSTing
``/v1/challenges`` (a real challenge for a demo holder, so every request is a database write) at 64
connections, each request from a different client (``X-Forwarded-For`` from 127.0.0.1, a trusted
proxy), with a limit high enough that nothing is refused; alternated ``--repeats`` times; prints
challenges/s per backend and the ratio (target: PostgreSQL at least 0.9 of memory in the same run).

    python benchmarks/limits.py [--rounds 7] [--hits 2000] [--http] [--seconds 6] [--repeats 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_eligibility import WORK, wrk
from page_weight import demo_server

DEMO_HOLDER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # Hardhat account 0: a PUBLIC TEST KEY


async def per_hit_us(limiter: object, hits: int, offset: int) -> float:
    started = time.perf_counter()
    for number in range(hits):
        await limiter.hit(f"bench:10.0.{(offset + number) // 250 % 250}.{(offset + number) % 250}", 60)  # type: ignore[attr-defined]
    return (time.perf_counter() - started) / hits * 1e6


async def in_process(url: str, rounds: int, hits: int) -> None:
    from portal.store.database import Database
    from portal.store.limits import MemoryLimiter, PostgresLimiter

    db = await Database.open(url, size=2)
    try:
        postgres, memory = PostgresLimiter(db), MemoryLimiter()
        await per_hit_us(postgres, 200, 0)  # warm the pool and the prepared statement
        runs: dict[str, list[float]] = {"postgres": [], "memory": []}
        for number in range(rounds):
            runs["postgres"].append(await per_hit_us(postgres, hits, number * hits))
            runs["memory"].append(await per_hit_us(memory, hits, number * hits))
    finally:
        await db.close()
    added = [p - m for p, m in zip(runs["postgres"], runs["memory"], strict=True)]
    for name, values in runs.items():
        print(f"in process, {name:8s}: median {statistics.median(values):7.1f} µs per counted request "
              f"(range {min(values):.1f}-{max(values):.1f}) over {rounds} rounds of {hits}")
    print(f"in process, added by PostgreSQL: median {statistics.median(added):.1f} µs "
          f"(range {min(added):.1f}-{max(added):.1f}); target <= 500 µs")


def challenge_script() -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    script = WORK / "limits-challenges.lua"
    body = json.dumps({"address": DEMO_HOLDER, "destination": "0x" + "11" * 20, "method": "eip191"})
    script.write_text(
        f"local body = '{body}'\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        "  local client = '10.' .. (math.floor(i / 65536) % 256) .. '.' .. (math.floor(i / 256) % 256)"
        " .. '.' .. (i % 256)\n"
        "  return wrk.format('POST', '/v1/challenges', {['Content-Type'] = 'application/json', "
        "['X-Forwarded-For'] = client}, body)\nend\n")
    return script


def over_http(seconds: int, repeats: int) -> None:
    script = challenge_script()
    results: dict[str, list[float]] = {"postgres": [], "memory": []}
    for repeat in range(repeats):
        for backend in ("postgres", "memory"):
            env = {"PORTAL_RATE_LIMIT_BACKEND": backend, "PORTAL_RATE_LIMIT_PER_MINUTE": "1000000000",
                   "PORTAL_TRUSTED_PROXIES": "127.0.0.1/32"}
            with demo_server(env, workers=2) as base:
                wrk(base + "/v1/challenges", 2, 64, script)  # warm both workers
                rps, p99 = wrk(base + "/v1/challenges", seconds, 64, script)
            results[backend].append(rps)
            print(f"  {backend:8s} repeat {repeat + 1}: {rps:7.0f} challenges/s, p99 {p99:.1f} ms", flush=True)
    ratios = [p / m for p, m in zip(results["postgres"], results["memory"], strict=True)]
    print(f"over HTTP, 2 workers, 64 connections: postgres {statistics.median(results['postgres']):.0f}/s, "
          f"memory {statistics.median(results['memory']):.0f}/s; ratio median {statistics.median(ratios):.2f} "
          f"(range {min(ratios):.2f}-{max(ratios):.2f}); target >= 0.9")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--hits", type=int, default=2000)
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import pgserver

    from portal.store.migrations import migrate

    with tempfile.TemporaryDirectory(prefix="portal-limits-pg-") as tmp:
        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        try:
            url = server.get_uri()
            migrate(url)
            asyncio.run(in_process(url, args.rounds, args.hits))
        finally:
            server.cleanup()
    if args.http:
        over_http(args.seconds, args.repeats)


if __name__ == "__main__":
    main()
