"""Issue 19: SIGKILL only the worker of ``portal serve`` (the parent stays); how long until it answers again?

A real ``portal serve --demo`` (uvicorn, one worker) on its embedded PostgreSQL. Each round kills
the serving worker with SIGKILL and times, from the kill, the first ``/health`` that answers 200
(asked at once on a fresh connection, then every 10 ms; the parent keeps the listening socket, so
an early ask waits in the accept queue rather than being refused). Prints each round and the
median, with the warm standby (default) and without it (``PORTAL_WORKER_STANDBY=false``: the new
worker imports and builds the app first). ``--load`` also runs proofs and decisions throughout
and checks that every acknowledged one is there afterwards (as ``sigkill.py``, which kills the
whole server).

    python benchmarks/worker_restart.py [--rounds 5] [--modes standby,cold] [--load]

Traffic goes to 127.0.0.1 only. The demo keys are PUBLIC TEST KEYS.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import portal_process

WORKER_LINE = re.compile(r"portal: worker (?:started|restarted) \(pid (\d+)\)")


def serving_worker(log: Path) -> int:
    """The pid of the worker serving now: the last one the supervisor said it started."""
    pids = WORKER_LINE.findall(log.read_text(errors="replace"))
    if not pids:
        raise RuntimeError("no 'worker started' line in the server's log")
    return int(pids[-1])


def wait_for_new_worker(log: Path, old: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = serving_worker(log)
        if pid != old:
            return pid
        time.sleep(0.02)
    raise RuntimeError(f"no new worker after {old} died: {log.read_text(errors='replace')[-2000:]}")


def health_ok(port: int, timeout: float) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def kill_worker_and_time(port: int, log: Path, *, give_up: float = 30.0) -> tuple[float, int, int]:
    """SIGKILL the serving worker; (seconds until the first 200, old pid, new pid)."""
    old = serving_worker(log)
    os.kill(old, signal.SIGKILL)
    killed = time.monotonic()
    while not health_ok(port, timeout=10):
        if time.monotonic() - killed > give_up:
            raise RuntimeError(f"no answer {give_up} s after the kill: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.01)
    took = time.monotonic() - killed
    return took, old, wait_for_new_worker(log, old)


def metric(port: int, name: str) -> float | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
    finally:
        connection.close()
    found = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


@dataclass
class Rounds:
    mode: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run_mode(work: Path, mode: str, rounds: int, *, settle: float = 6.0) -> Rounds:
    from portal.demo import build_demo_snapshots

    snapshots = build_demo_snapshots(work / "snapshots")
    env = {"PORTAL_WORKER_STANDBY": "true" if mode == "standby" else "false"}
    data = work / f"data-{mode}"
    times = []
    with portal_process(data, snapshots, env=env, ready_timeout=120) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        log = data / "serve.log"
        for number in range(1, rounds + 1):
            # the standby (if any) is ready again, and the worker lived longer than a crash loop's
            # (STABLE_SECONDS): this times a restart, not the backoff
            time.sleep(settle)
            took, old, new = kill_worker_and_time(port, log)
            times.append(took)
            print(f"  {mode} round {number}: worker {old} killed, {new} answered after {took * 1000:.0f} ms",
                  flush=True)
        restarts = metric(port, "portal_worker_restarts_total")
        print(f"  portal_worker_restarts_total {restarts}")
    return Rounds(mode, times)


def run_load(work: Path) -> None:
    """Kill the worker under proofs and decisions; report acknowledged against found."""
    import datetime as dt

    from pgserver.utils import PostmasterInfo
    from sigkill import ACCOUNTS, SERVE_ENV, found, reviewer_token, traffic

    from portal.demo import build_demo_snapshots
    from portal.domain.audit_keys import ensure_key_file

    snapshots = build_demo_snapshots(work / "snapshots")
    data = work / "data-load"
    with portal_process(data, snapshots, env=SERVE_ENV, ready_timeout=120) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        owner_url = PostmasterInfo.read_from_pgdata(data / "pg").get_uri()
        # the staff key's audit event is chained under the server's key (as in sigkill.py)
        server_key, _ = ensure_key_file(data / "audit.key", now=dt.datetime.now(dt.UTC))
        token = reviewer_token(owner_url, server_key)
        result = kill_under_load(port, data / "serve.log", owner_url, token, ACCOUNTS,
                                 traffic=traffic, found=found)
    print(f"  under load: answered {result['restart_seconds'] * 1000:.0f} ms after the kill; requests "
          f"{result['found_requests']}/{result['acked_requests']} found, decisions "
          f"{result['found_decisions']}/{result['acked_decisions']} found")


def kill_under_load(port: int, log: Path, owner_url: str, token: str, accounts: list, *, traffic: object,
                    found: object, before: float = 1.5, after: float = 1.5, holders: int = 3) -> dict[str, float]:
    """Proofs and decisions for ``before`` s, SIGKILL the worker, go on ``after`` s more, then count."""
    with traffic(port, token, accounts, holders) as acks:  # type: ignore[operator]
        time.sleep(before)
        took, _, _ = kill_worker_and_time(port, log)
        time.sleep(after)
    requests_found, decisions_found = found(port, owner_url, acks)  # type: ignore[operator]
    return {"restart_seconds": took, "acked_requests": len(acks.requests), "found_requests": requests_found,
            "acked_decisions": len(acks.decisions), "found_decisions": decisions_found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modes", default="standby,cold")
    parser.add_argument("--load", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory(prefix="portal-worker-restart-") as tmp:
        results = [run_mode(Path(tmp), mode, args.rounds) for mode in args.modes.split(",")]
        if args.load:
            run_load(Path(tmp))
    for result in results:
        print(f"{result.mode}: SIGKILL of the worker to the first 200, median of {len(result.seconds)}: "
              f"{result.median * 1000:.0f} ms (range {min(result.seconds) * 1000:.0f}-"
              f"{max(result.seconds) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
