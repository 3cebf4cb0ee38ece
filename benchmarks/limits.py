"""Issue 24: what a counted POST pays for limits that hold across processes (PostgreSQL) against
per-process counters (memory), in process and over HTTP.

In process: ``PostgresLimiter.hit`` (an atomic upsert on an embedded PostgreSQL) against
``MemoryLimiter.hit``, alternated in rounds over many client keys, by one caller at a time and by 32
at once (then the limiter sends the hits that queue meanwhile in one statement); prints µs per
counted request (median and range of the rounds), the CPU it took in this process and PostgreSQL,
and the difference (target: ≤ 500 µs added).

Over HTTP (``--http``): ``portal serve --demo --workers 2`` with each backend, both started first,
then wrk POSTing ``/v1/challenges`` (a real challenge for a demo holder, so every request is a
database write) at 64 connections to one and then the other, in alternating order, ``--repeats``
pairs; each request is from a different client (``X-Forwarded-For`` from 127.0.0.1, a trusted
proxy), with a limit high enough that nothing is refused. Prints challenges/s per backend and the
ratio of each pair (target: PostgreSQL at least 0.9 of memory). The host is shared: pairs taken
close together see the same other load, runs apart do not. Also prints the CPU each challenge took
in the server's workers and its PostgreSQL, which other load on the host disturbs much less than
the rate: memory's over PostgreSQL's is the ratio a host busy with the portal alone would show.

    python benchmarks/limits.py [--rounds 7] [--hits 2000] [--http] [--seconds 6] [--repeats 6]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
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


CALLERS = (1, 32)  # one request at a time; 32 at once (what a worker sees at 64 connections on two)


def postgres_cpu_seconds(pg_dir: Path) -> float:
    """CPU used so far by the PostgreSQL server in ``pg_dir`` (the postmaster and its backends)."""
    postmaster = int((pg_dir / "postmaster.pid").read_text().split()[0])
    processes = _processes()
    return sum(cpu for pid, (parent, _, cpu) in processes.items() if postmaster in (pid, parent))


async def per_hit(limiter: object, hits: int, offset: int, callers: int, pg_dir: Path) -> tuple[float, float]:
    """µs per hit over ``hits`` hits made by ``callers`` at once: ``(wall, CPU of this process and PostgreSQL)``."""
    async def caller(first: int) -> None:
        for number in range(first, first + hits // callers):
            n = offset + number
            await limiter.hit(f"bench:10.{n // 62500 % 250}.{n // 250 % 250}.{n % 250}", 60)  # type: ignore[attr-defined]

    cpu, started = time.process_time() + postgres_cpu_seconds(pg_dir), time.perf_counter()
    await asyncio.gather(*(caller(c * (hits // callers)) for c in range(callers)))
    wall = time.perf_counter() - started
    cpu = time.process_time() + postgres_cpu_seconds(pg_dir) - cpu
    return wall / hits * 1e6, cpu / hits * 1e6


async def in_process(url: str, pg_dir: Path, rounds: int, hits: int) -> None:
    from portal.store.database import Database
    from portal.store.limits import MemoryLimiter, PostgresLimiter

    db = await Database.open(url, size=2)
    postgres, memory = PostgresLimiter(db), MemoryLimiter()
    runs: dict[tuple[str, int], list[tuple[float, float]]] = {}
    try:
        await per_hit(postgres, 200, 10**7, 1, pg_dir)  # warm the connection and the prepared statements
        await per_hit(postgres, 640, 10**7, 32, pg_dir)
        for number in range(rounds):
            for callers in CALLERS:
                for name, limiter in (("postgres", postgres), ("memory", memory)):
                    offset = (number * len(CALLERS) + CALLERS.index(callers)) * hits
                    runs.setdefault((name, callers), []).append(await per_hit(limiter, hits, offset, callers, pg_dir))
    finally:
        await postgres.close()
        await db.close()
    for callers in CALLERS:
        for name in ("postgres", "memory"):
            wall, cpu = ([run[i] for run in runs[(name, callers)]] for i in (0, 1))
            print(f"in process, {callers:2d} at once, {name:8s}: median {statistics.median(wall):7.1f} µs per counted "
                  f"request (range {min(wall):.1f}-{max(wall):.1f}), CPU {statistics.median(cpu):6.1f} µs "
                  f"(this process and PostgreSQL) over {rounds} rounds of {hits}")
        added = [p[0] - m[0] for p, m in zip(runs[("postgres", callers)], runs[("memory", callers)], strict=True)]
        print(f"in process, {callers:2d} at once, added by PostgreSQL: median {statistics.median(added):.1f} µs "
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


def _processes() -> dict[int, tuple[int, str, float]]:
    """Every process: pid -> (parent pid, command line, CPU seconds it and its reaped children used)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        found[int(entry.name)] = (int(fields[1]), cmdline, sum(int(f) for f in fields[11:15]) / tick)
    return found


def server_cpu_seconds(base: str) -> float:
    """CPU used so far by ``portal serve`` at ``base``: its workers and its embedded PostgreSQL."""
    processes = _processes()
    port = base.rsplit(":", 1)[1]
    serve = next(pid for pid, (_, cmd, _) in processes.items() if f"portal serve --port {port} " in cmd)
    environ = Path(f"/proc/{serve}/environ").read_bytes().split(b"\0")
    data_dir = next(v.split(b"=", 1)[1].decode() for v in environ if v.startswith(b"PORTAL_DATA_DIR="))
    roots = {serve} | {pid for pid, (_, cmd, _) in processes.items() if f"-D {data_dir}/" in cmd}
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, list(roots)
    while todo:
        pid = todo.pop()
        total += processes[pid][2]
        todo += children.get(pid, [])
    return total


def over_http(seconds: int, repeats: int) -> None:
    script = challenge_script()
    results: dict[str, list[float]] = {"postgres": [], "memory": []}
    cpu_ms: dict[str, list[float]] = {"postgres": [], "memory": []}
    with contextlib.ExitStack() as servers:
        bases = {}
        for backend in results:  # both up at once, idle in turn: runs alternate closely, so the
            env = {"PORTAL_RATE_LIMIT_BACKEND": backend, "PORTAL_RATE_LIMIT_PER_MINUTE": "1000000000",
                   "PORTAL_TRUSTED_PROXIES": "127.0.0.1/32"}  # host's other load hits both alike
            bases[backend] = servers.enter_context(demo_server(env, workers=2))
            wrk(bases[backend] + "/v1/challenges", 2, 64, script)  # warm both workers
        for repeat in range(repeats):
            order = ("postgres", "memory") if repeat % 2 == 0 else ("memory", "postgres")
            pair = {}
            for backend in order:
                used = server_cpu_seconds(bases[backend])
                try:
                    rps, p99 = wrk(bases[backend] + "/v1/challenges", seconds, 64, script)
                except RuntimeError as exc:  # 503s: a host so busy that requests waited out the pool's timeout
                    print(f"  {backend:8s} repeat {repeat + 1}: {exc}; pair left out", flush=True)
                    break
                used = server_cpu_seconds(bases[backend]) - used
                pair[backend] = (rps, used / (rps * seconds) * 1e3)
                print(f"  {backend:8s} repeat {repeat + 1}: {rps:7.0f} challenges/s, p99 {p99:6.1f} ms, "
                      f"CPU {pair[backend][1]:.2f} ms per challenge", flush=True)
            else:
                for backend, (rps, cpu) in pair.items():
                    results[backend].append(rps)
                    cpu_ms[backend].append(cpu)
    ratios = [p / m for p, m in zip(results["postgres"], results["memory"], strict=True)]
    print(f"over HTTP, 2 workers, 64 connections: postgres {statistics.median(results['postgres']):.0f}/s, "
          f"memory {statistics.median(results['memory']):.0f}/s; ratio median {statistics.median(ratios):.2f} "
          f"(range {min(ratios):.2f}-{max(ratios):.2f}) over {len(ratios)} pairs; target >= 0.9")
    cpu_ratios = [m / p for p, m in zip(cpu_ms["postgres"], cpu_ms["memory"], strict=True)]
    print(f"CPU per challenge (workers and their PostgreSQL): postgres {statistics.median(cpu_ms['postgres']):.2f} ms, "
          f"memory {statistics.median(cpu_ms['memory']):.2f} ms; memory/postgres median "
          f"{statistics.median(cpu_ratios):.2f} (range {min(cpu_ratios):.2f}-{max(cpu_ratios):.2f}): the ratio "
          "a CPU-bound host would show")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--hits", type=int, default=2000)
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import pgserver

    from portal.store.migrations import migrate

    with tempfile.TemporaryDirectory(prefix="portal-limits-pg-") as tmp:
        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        try:
            url = server.get_uri()
            migrate(url)
            asyncio.run(in_process(url, Path(tmp) / "pg", args.rounds, args.hits))
        finally:
            server.cleanup()
    if args.http:
        over_http(args.seconds, args.repeats)


if __name__ == "__main__":
    main()
