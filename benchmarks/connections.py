"""Issue 10 item 1: does a newcomer still get answers while thousands of hostile connections are open?

For each ASGI server, start a real ``portal serve --demo`` (one worker) with its open-file soft
limit lowered to 1024 (a stock Linux login; ``portal serve`` must lift it), open ``--idle`` silent
TCP connections and ``--slow`` slow-header ones (a request head trickled one byte a second, never
finished), reopening any the server closes, and while they are open probe ``/health`` and
``/v1/eligibility/<addr>`` on fresh connections from a separate client thread. Prints per server:
success rate and p50/p99 of the probes, the worker's open-file limit, RSS per idle connection,
and how many hostile connections the server closed (its timeouts at work).

    python benchmarks/connections.py [--servers uvicorn,granian] [--idle 5000] [--slow 1000] [--seconds 30]

Traffic goes to 127.0.0.1 only; each phase is bounded by --seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _flood import Flood, probe_during, raise_nofile
from _server import portal_process
from _stats import percentile_ms

ELIGIBLE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # first Hardhat account, in the demo snapshot


def server_processes(pid: int) -> list[psutil.Process]:
    """``portal serve`` and its workers; not the embedded PostgreSQL (it is measured apart)."""
    root = psutil.Process(pid)
    return [p for p in [root, *root.children(recursive=True)] if not p.name().startswith(("postgres", "pg_ctl"))]


def rss(pid: int) -> int:
    return sum(p.memory_info().rss for p in server_processes(pid))


def nofile_limits(pid: int) -> list[int]:
    return sorted({p.rlimit(psutil.RLIMIT_NOFILE)[0] for p in server_processes(pid)})


def server_label(pid: int) -> str:
    return f"pid {pid}"


def start_with_low_limit() -> None:
    """Child side: soft limit 1024 as on a stock login, hard limit left as it is."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))


async def measure(base: str, pid: int, *, idle: int, slow: int, seconds: float) -> dict[str, object]:
    host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])
    paths = ["/health", f"/v1/eligibility/{ELIGIBLE}"]
    before = await probe_during(host, port, paths, seconds=2)
    rss_before = rss(pid)
    flood = Flood(host, port, idle=idle, slow=0)
    flood.start()
    all_idle_open = await flood.wait_open(20)
    print(f"  {server_label(pid)}: silent connections open: {flood.stats}", flush=True)
    await asyncio.sleep(1)
    rss_idle = rss(pid)
    held_idle = flood.stats.open_idle
    slow_flood = Flood(host, port, idle=0, slow=slow)
    slow_flood.start()
    await slow_flood.wait_open(15)
    print(f"  slow-header connections open: {slow_flood.stats}", flush=True)
    started = time.monotonic()
    during = await probe_during(host, port, paths, seconds=seconds)
    held_for = time.monotonic() - started
    stats, slow_stats = dataclasses.replace(flood.stats), dataclasses.replace(slow_flood.stats)
    await flood.stop()
    await slow_flood.stop()
    return {
        "limits": nofile_limits(pid), "all_idle_open": all_idle_open, "held_idle": held_idle,
        "rss_per_idle_kib": (rss_idle - rss_before) / max(held_idle, 1) / 1024,
        "before": before, "during": during, "held_for": held_for,
        "closed_idle": stats.closed_idle, "closed_slow": slow_stats.closed_slow,
        "open_idle_end": stats.open_idle, "open_slow_end": slow_stats.open_slow,
        "connect_errors": stats.connect_errors + slow_stats.connect_errors,
    }


def report(server: str, figures: dict[str, object], idle: int, slow: int) -> None:
    print(f"\n== {server}: {idle} silent + {slow} slow-header connections ==")
    print(f"  worker open-file soft limit: {figures['limits']} (started at 1024)")
    print(f"  silent connections open at once: {figures['held_idle']}/{idle}"
          f"  RSS per silent connection: {figures['rss_per_idle_kib']:.1f} KiB")
    print(f"  during {figures['held_for']:.0f} s: server closed {figures['closed_idle']} silent and "
          f"{figures['closed_slow']} slow connections (reopened at once); open at the end: "
          f"{figures['open_idle_end']} silent, {figures['open_slow_end']} slow; "
          f"connect errors {figures['connect_errors']}")
    for phase in ("before", "during"):
        for path, result in figures[phase].items():  # type: ignore[attr-defined]
            rate = 100 * result.ok / max(result.total, 1)
            errors = f"  errors: {sorted(set(result.errors))}" if result.errors else ""
            print(f"  {phase:>6} {path[:16]:<16} {result.ok}/{result.total} ok ({rate:.1f}%)  "
                  f"p50 {statistics.median(result.latencies) * 1000:.1f} ms  "
                  f"p99 {percentile_ms(result.latencies, 0.99):.1f} ms{errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="uvicorn,granian")
    parser.add_argument("--idle", type=int, default=5000)
    parser.add_argument("--slow", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    hard = raise_nofile()
    print(f"client open-file limit: {hard}")
    from portal.demo import build_demo_snapshots

    for server in args.servers.split(","):
        with tempfile.TemporaryDirectory(prefix=f"portal-conn-{server}-") as tmp:
            data = Path(tmp)
            snapshots = build_demo_snapshots(data / "snapshots")
            with portal_process(data / "data", snapshots, server=server,
                                preexec_fn=start_with_low_limit) as (base, process):
                figures = asyncio.run(measure(base, process.pid, idle=args.idle, slow=args.slow,
                                              seconds=args.seconds))
            report(server, figures, args.idle, args.slow)
            for line in (data / "data" / "serve.log").read_text(errors="replace").splitlines():
                if "open-file limit" in line:
                    print(f"  log: {line.strip()}")


if __name__ == "__main__":
    main()
