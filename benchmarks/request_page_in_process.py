"""Issue 21: what the holder's request page with a release costs the app itself, against ``/health``.

``request_page_release.py`` measures requests/s over loopback, which on a shared 2-core VM moves with
everything else running; this drives the ASGI app directly (no HTTP server, no sockets but the
database's), one request at a time, and prints the process's CPU µs per request for ``GET /health``
and ``POST /requests/{id}`` (a random one of ``--approvals`` released requests, form-encoded status
token), medians of ``--rounds``. With ``--profile`` it prints cProfile's CPU-time view of the page.

The release is made as in ``request_page_release.py``: approvals seeded by SQL, then ``portal release
prepare|distributor|publish`` against a real ``portal serve`` with a 2-of-2 root.

    python benchmarks/request_page_in_process.py [--approvals 2000] [--requests 2000] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import psycopg
from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _server import portal_process
from release_prepare import SEED_SQL, publisher_key, timed

from policy.release import parse_release, release_statement
from policy.signatures import Signature, dump_signatures, sig_path
from policy.statement import sign_statement
from portal.app import create_app
from portal.demo import build_demo_snapshots, write_demo_destinations
from portal.domain.eligibility import SnapshotSet
from portal.settings import from_env
from portal.store.embedded import embedded_postgres
from portal.store.migrations import migrate

FORM = [(b"content-type", b"application/x-www-form-urlencoded")]


def publish_release(data_dir: Path, url: str, snapshots: list[Path], root: Path, keys: list) -> None:
    token = asyncio.run(publisher_key(url))
    pythonpath = os.pathsep.join([str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "DATABASE_URL": url, "PORTAL_DATA_DIR": str(data_dir), "PORTAL_TOKEN": token,
           "PORTAL_SNAPSHOTS": ",".join(str(p) for p in snapshots),
           "PORTAL_DESTINATIONS_FILE": str(write_demo_destinations(data_dir)), "PYTHONPATH": pythonpath}
    server_env = {"PORTAL_DESTINATIONS_FILE": env["PORTAL_DESTINATIONS_FILE"],
                  "DATABASE_URL": url, "PORTAL_POLICY_ROOT": str(root), "PYTHONPATH": pythonpath}
    with portal_process(data_dir, snapshots, env=server_env) as (base, _):
        doc = data_dir / "release-evm-1.md"
        timed(["release", "prepare", "--destination-chain", "evm", "--out", str(doc)], env)
        timed(["release", "distributor", str(doc), "0x5FbDB2315678afecb367f032d93F642f64180aa3"], env)
        line = release_statement(parse_release(doc.read_bytes()))
        dump_signatures(sig_path(doc), [Signature(k.address, sign_statement(line, k.key)) for k in keys])
        timed(["release", "publish", str(doc), "--url", base], env)


def asgi_caller(app) -> Callable[..., Awaitable[int]]:  # type: ignore[no-untyped-def]
    async def call(method: str, path: str, body: bytes = b"", headers: list | None = None) -> int:
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"127.0.0.1"), *(headers or [])], "client": ("127.0.0.1", 40000),
                 "server": ("127.0.0.1", 80)}
        await app(scope, receive, send)
        return sent[0]["status"]
    return call


async def measure(app, ids: list[str], args: argparse.Namespace) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    lifespan_in: asyncio.Queue = asyncio.Queue()
    lifespan_out: asyncio.Queue = asyncio.Queue()
    await lifespan_in.put({"type": "lifespan.startup"})
    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, lifespan_in.get, lifespan_out.put))
    assert (await lifespan_out.get())["type"] == "lifespan.startup.complete"
    call = asgi_caller(app)
    pages = [(f"/requests/{i}", f"status_token={i}".encode()) for i in ids]
    for path, body in pages:  # each page visited once: the holders coming back (rows and pages kept)
        assert await call("POST", path, body, FORM) == 200

    async def cpu_per_request(one: Callable[[], Awaitable[int]]) -> float:
        started = time.process_time()
        for _ in range(args.requests):
            assert await one() == 200
        return (time.process_time() - started) / args.requests * 1e6

    health, page = [], []
    for _ in range(args.rounds):
        health.append(await cpu_per_request(lambda: call("GET", "/health")))
        page.append(await cpu_per_request(lambda: call("POST", *random.choice(pages), FORM)))
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(args.requests):
            await call("POST", *random.choice(pages), FORM)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    await lifespan_in.put({"type": "lifespan.shutdown"})
    await task
    return health, page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--approvals", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    keys = [Account.create(), Account.create()]
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        data_dir = Path(tmp)
        snapshots = build_demo_snapshots(data_dir / "snapshots")
        snapshot_set = SnapshotSet.open([str(p) for p in snapshots], {})
        evm_id = next(m.id for m in snapshot_set.manifests if m.chain == "evm")
        snapshot_set.close()
        root = data_dir / "root.toml"
        root.write_text("version = 1\nthreshold = 2\nexpires = 2099-01-01T00:00:00Z\nsigners = [" +
                        ", ".join(f'"{k.address}"' for k in keys) + "]\n")
        with embedded_postgres(data_dir) as url:
            migrate(url)
            with psycopg.connect(url) as conn:
                conn.execute(SEED_SQL, {"count": args.approvals, "snapshot_id": evm_id})
                ids = [str(row[0]) for row in conn.execute("SELECT id FROM requests").fetchall()]
            publish_release(data_dir, url, snapshots, root, keys)
            settings = from_env({"DATABASE_URL": url, "PORTAL_POLICY_ROOT": str(root), "PORTAL_DATA_DIR": str(data_dir),
                                 "PORTAL_SNAPSHOTS": ",".join(str(p) for p in snapshots),
                                 "PORTAL_RATE_LIMIT_PER_MINUTE": "0", "PORTAL_LOG_LEVEL": "WARNING",
                                 "PORTAL_DESTINATIONS_FILE": str(write_demo_destinations(data_dir))})
            health, page = asyncio.run(measure(create_app(settings), ids, args))
    for n, (h, p) in enumerate(zip(health, page, strict=True), 1):
        print(f"round {n}: /health {h:.0f} µs CPU per request, request page with a release {p:.0f} µs "
              f"(ratio {h / p:.2f})")
    print(f"median: /health {statistics.median(health):.0f} µs, request page {statistics.median(page):.0f} µs, "
          f"{args.requests} requests per round, release of {args.approvals} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
