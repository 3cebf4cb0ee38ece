"""Issue 19: the 60 KB body that killed the server, against ``portal serve`` as shipped.

Starts ``portal serve`` (embedded PostgreSQL, the demo snapshots, one uvicorn worker) on loopback and
sends ``POST /v1/links/scan`` with 30,000 ``[`` and 30,000 ``]`` (no authentication), ``--rounds``
times, while a second thread asks ``/health`` every ``--interval`` seconds. Prints the median and
worst answer time of the hostile body and its status, the median and worst ``/health`` time during
the attack and outside it, and whether the server process is alive at the end.

Before issue 19 the first such request dropped the connection and the worker died with no log line;
at a depth of 10,000 one request blocked ``/health`` for 4.4 s.

    python benchmarks/hostile_body.py [--rounds 200] [--interval 0.01] [--depth 30000]

Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import portal_process


def timed(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers={"content-type": "application/json"} if body else {})
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    except OSError:
        return 0, time.perf_counter() - started
    finally:
        connection.close()


def health_during(port: int, interval: float, stop: threading.Event, out: list[tuple[int, float]]) -> None:
    while not stop.is_set():
        out.append(timed(port, "GET", "/health"))
        stop.wait(interval)


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.2f} ms, worst {max(values) * 1000:.2f} ms"


def main(rounds: int, interval: float, depth: int) -> None:
    from portal.demo import build_demo_snapshots

    with tempfile.TemporaryDirectory(prefix="portal-hostile-") as work:
        snapshots = build_demo_snapshots(Path(work) / "snapshots")
        env = {"PORTAL_RATE_LIMIT_PER_MINUTE": "0"}
        with portal_process(Path(work) / "data", snapshots, env=env) as (base, process):
            port = int(base.rsplit(":", 1)[1])
            quiet = [timed(port, "GET", "/health") for _ in range(200)]
            body = b"[" * depth + b"]" * depth
            stop, during = threading.Event(), []
            prober = threading.Thread(target=health_during, args=(port, interval, stop, during))
            prober.start()
            hostile = [timed(port, "POST", "/v1/links/scan", body) for _ in range(rounds)]
            stop.set()
            prober.join()
            alive = process.poll() is None
            after = timed(port, "GET", "/health")
    statuses = sorted({status for status, _ in hostile})
    print(f"hostile body ({len(body):,} bytes, depth {depth:,}) x {rounds}: statuses {statuses}, "
          f"{ms([t for _, t in hostile])}")
    print(f"/health during the attack: {sum(s == 200 for s, _ in during)}/{len(during)} answered 200, "
          f"{ms([t for _, t in during])}")
    print(f"/health before it: {ms([t for _, t in quiet])}")
    print(f"server alive afterwards: {alive}; /health then: {after[0]}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.01)
    parser.add_argument("--depth", type=int, default=30_000)
    options = parser.parse_args()
    main(options.rounds, options.interval, options.depth)
