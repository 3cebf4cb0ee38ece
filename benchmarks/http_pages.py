"""Issue 11: ``GET /`` and the eligibility result page at 64 connections, as a ratio of ``GET /health``
on the same server in the same run, and their p99. Targets: ratio >= 0.5, p99 <= 20 ms.

Starts a real ``portal serve --demo`` on loopback per ASGI server, then alternates wrk runs of
/health, / and /eligibility?address=<demo holder> (cycling through the demo's EVM and Solana
holders, so each rendered answer differs), repeated; prints per-round ratios, their median and
range, and median p99s. Every route is driven by the same kind of wrk Lua script (one wrk thread).

The server keeps rendered answer pages in a bounded LRU (``PORTAL_PAGE_CACHE_ENTRIES``), so after
the warm-up every answer here is a kept one. ``--uncached`` adds a second server per ASGI server
with ``PORTAL_PAGE_CACHE_ENTRIES=0``: every answer rendered on every request, the cost of an
address nobody asked about before (reported, not held to the target).

    python benchmarks/http_pages.py [--seconds 6] [--repeats 3] [--servers granian,uvicorn] [--uncached] [--workers 1]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import sys
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_eligibility import WORK, lua_script, wrk
from page_weight import demo_server

RATIO_TARGET = 0.5
P99_TARGET_MS = 20.0


def demo_holders() -> list[str]:
    holders = []
    for name in ("holders-evm.csv", "holders-solana.csv"):
        with resources.files("portal.demo").joinpath(name).open() as source:
            holders += [row["address"] for row in csv.DictReader(source)]
    return holders


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--servers", default="granian,uvicorn")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--uncached", action="store_true",
                        help="also measure with PORTAL_PAGE_CACHE_ENTRIES=0 (every answer rendered afresh)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk not found: apt-get install wrk", file=sys.stderr)
        return 2
    WORK.mkdir(exist_ok=True)
    holders = demo_holders()
    scripts = {
        "/health": lua_script("pages-health", ["/health"] * len(holders)),
        "/": lua_script("pages-home", ["/"] * len(holders)),
        "/eligibility": lua_script("pages-eligibility", [f"/eligibility?address={a}" for a in holders]),
    }
    print(f"{len(holders)} demo holders; {args.connections} connections; {args.workers} worker(s); "
          f"{args.seconds}s x {args.repeats} rounds, "
          "alternating /health, /, /eligibility")
    ok = True
    configs: list[tuple[str, dict[str, str]]] = [("", {})]
    if args.uncached:
        configs.append((" uncached", {"PORTAL_PAGE_CACHE_ENTRIES": "0"}))
    for server, (variant, extra_env) in [(name, config) for name in args.servers.split(",") for config in configs]:
        label = server + variant
        results: dict[str, list[tuple[float, float]]] = {route: [] for route in scripts}
        # The demo's own settings, rate limits included (they count POSTs only).
        with demo_server(extra_env, server=server, workers=args.workers) as base:
            for script in scripts.values():  # warm-up
                wrk(base + "/", 2, args.connections, script)
            for round_number in range(1, args.repeats + 1):
                for route, script in scripts.items():
                    results[route].append(wrk(base + "/", args.seconds, args.connections, script))
                health = results["/health"][-1][0]
                print(f"{label:17s} round {round_number}: " + " | ".join(
                    f"{route} {rps:7.0f} req/s p99 {p99:6.2f} ms" for route, [*_, (rps, p99)] in results.items())
                    + f" | ratios / {results['/'][-1][0] / health:.2f}, "
                    f"/eligibility {results['/eligibility'][-1][0] / health:.2f}")
        health_rps = [rps for rps, _ in results["/health"]]
        print(f"{label:17s} /health median {statistics.median(health_rps):7.0f} req/s "
              f"(range {min(health_rps):.0f}-{max(health_rps):.0f}), p99 median "
              f"{statistics.median(p for _, p in results['/health']):.2f} ms")
        for route in ("/", "/eligibility"):
            ratios = sorted(rps / h for (rps, _), h in zip(results[route], health_rps, strict=True))
            p99s = sorted(p for _, p in results[route])
            ratio, p99 = statistics.median(ratios), statistics.median(p99s)
            met = ratio >= RATIO_TARGET and p99 <= P99_TARGET_MS
            ok &= met or bool(variant)
            print(f"{label:17s} {route:12s} median {statistics.median(r for r, _ in results[route]):7.0f} req/s, "
                  f"ratio to /health median {ratio:.2f} (range {ratios[0]:.2f}-{ratios[-1]:.2f}, target >= "
                  f"{RATIO_TARGET}), p99 median {p99:.2f} ms (range {p99s[0]:.2f}-{p99s[-1]:.2f}, target <= "
                  f"{P99_TARGET_MS:.0f}) {'ok' if met else 'reported' if variant else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
