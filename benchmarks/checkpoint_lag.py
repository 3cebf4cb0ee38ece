"""Issue 24: how long after an audit event commits does a signed checkpoint cover it?

Starts ``portal serve`` (its own embedded PostgreSQL and data directory, the demo snapshots) and
commits audit events at ``--rate`` per second for ``--seconds`` from this process, through the
domain, under the server's audit key (staff keys created and revoked: the checkpointer does not care
which action an event records; a decision is one event like any other). A thread reads the server's
checkpoint file every 10 ms. For each event: the time from its commit to the first checkpoint whose
``seq`` covers it. Prints the median, p95 and maximum, and how many checkpoints were signed (the
debounce gathers a burst into one). The bound the README promises is 2 s.

    python benchmarks/checkpoint_lag.py [--rate 50] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import portal_process


def watch(path: Path, stop: threading.Event, seen: dict[int, float]) -> None:
    """``seen[seq]`` = when a checkpoint covering up to ``seq`` first appeared in the file."""
    offset, covered = 0, 0
    while not stop.is_set():
        if path.exists():
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            offset += len(complete)
            now = time.monotonic()
            for line in complete.splitlines():
                seq = json.loads(line)["seq"]
                for number in range(covered + 1, seq + 1):
                    seen[number] = now
                covered = max(covered, seq)
        stop.wait(0.01)


async def commit_events(owner_url: str, key_path: Path, rate: float, seconds: float) -> dict[int, float]:
    """Commit events at ``rate``/s; ``{seq: monotonic time of its commit}``."""
    from portal.domain import staff
    from portal.domain.audit_keys import ensure_key_file
    from portal.store.database import Database

    key, _ = ensure_key_file(key_path, now=dt.datetime.now(dt.UTC))
    db = await Database.open(owner_url, size=2, audit_chain_key=key.chain_key)
    committed: dict[int, float] = {}
    try:
        started, number = time.monotonic(), 0
        while time.monotonic() - started < seconds:
            async with db.transaction() as conn:
                name = f"lag-{number}"
                await staff.create_key(conn, name=name, role="reviewer", actor="benchmark",
                                       at=dt.datetime.now(dt.UTC))
                seq = (await (await conn.execute("SELECT max(seq) AS seq FROM audit_events")).fetchone())["seq"]
            committed[seq] = time.monotonic()
            number += 1
            await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
    finally:
        await db.close()
    return committed


def main(rate: float, seconds: float) -> None:
    from pgserver.utils import PostmasterInfo

    from portal.demo import build_demo_snapshots

    with tempfile.TemporaryDirectory(prefix="portal-lag-") as work:
        data = Path(work) / "data"
        snapshots = build_demo_snapshots(Path(work) / "snapshots")
        checkpoints = data / "checkpoints.jsonl"
        env = {"PORTAL_AUDIT_CHECKPOINT_FILE": str(checkpoints)}
        with portal_process(data, snapshots, env=env, ready_timeout=120):
            owner_url = PostmasterInfo.read_from_pgdata(data / "pg").get_uri()
            stop, seen = threading.Event(), {}
            watcher = threading.Thread(target=watch, args=(checkpoints, stop, seen))
            watcher.start()
            committed = asyncio.run(commit_events(owner_url, data / "audit.key", rate, seconds))
            time.sleep(5)  # the last events' checkpoint
            stop.set()
            watcher.join()
            signed = sum(1 for _ in checkpoints.open()) if checkpoints.exists() else 0
    lags = [seen[seq] - at for seq, at in committed.items() if seq in seen]
    missing = len(committed) - len(lags)
    lags.sort()
    print(f"{len(committed)} events at {rate:g}/s for {seconds:g} s; {signed} checkpoints signed; "
          f"{missing} not covered within 5 s of the end")
    if lags:
        print(f"commit -> covering checkpoint: median {statistics.median(lags) * 1000:.0f} ms, "
              f"p95 {lags[int(len(lags) * 0.95) - 1] * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms (bound 2000 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    options = parser.parse_args()
    main(options.rate, options.seconds)
