"""Issue 21: the holder's request page with a release (proof, contract, claim call), against ``/health``.

A real ``portal serve`` on loopback and the embedded PostgreSQL; ``--approvals`` approved requests
seeded BY SQL (their status token is their id, see ``release_prepare.SEED_SQL``), frozen into release
1 with ``portal release prepare|distributor|publish`` as in ``release_prepare.py``. Then
``--clients`` keep-alive clients, for ``--seconds`` each: ``GET /health``, then ``POST
/requests/{id}`` (the page, form-encoded token, a random released request each time), back to back,
``--rounds`` times, after each page has been visited once (the holders coming back: their rows and
pages are kept, ``PORTAL_HOLDER_CACHE_ENTRIES``; the first visits' rate is printed too). Prints
requests/s of each and the ratio per round; exits 1 when the median ratio is under 0.5 (the issue's
target).

    python benchmarks/request_page_release.py [--approvals 10000] [--clients 16] [--seconds 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _server import portal_process
from release_prepare import SEED_SQL, publisher_key, timed

from policy.release import parse_release, release_statement
from policy.signatures import Signature, dump_signatures, sig_path
from policy.statement import sign_statement
from portal.demo import build_demo_snapshots, write_demo_destinations
from portal.domain.eligibility import SnapshotSet
from portal.store.embedded import embedded_postgres
from portal.store.migrations import migrate

TARGET_RATIO = 0.5


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    status = int((await reader.readline()).split(b" ", 2)[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def load(base: str, requests: list[bytes], clients: int, seconds: float) -> float:
    """Requests per second over ``clients`` keep-alive connections, each sending random ``requests``."""
    parts = urlsplit(base)
    done = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while time.perf_counter() < deadline:
                status = await _one(reader, writer, random.choice(requests))
                if status != 200:
                    raise RuntimeError(f"answered {status}")
                done += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return done / (time.perf_counter() - started)


async def visit_each(base: str, requests: list[bytes], clients: int) -> float:
    """Requests per second sending each of ``requests`` once over ``clients`` connections: the first visits."""
    parts = urlsplit(base)
    waiting = iter(requests)

    async def client() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            for request in waiting:
                if (status := await _one(reader, writer, request)) != 200:
                    raise RuntimeError(f"answered {status}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return len(requests) / (time.perf_counter() - started)


def page_request(host: str, request_id: str) -> bytes:
    body = f"status_token={request_id}".encode()
    return (f"POST /requests/{request_id} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded"
            f"\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--approvals", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-release", action="store_true",
                        help="the same pages before any release (approved, waiting): the baseline of the page itself")
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
            token = asyncio.run(publisher_key(url))
            pythonpath = os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                          os.environ.get("PYTHONPATH", "")])
            env = {**os.environ, "DATABASE_URL": url, "PORTAL_DATA_DIR": str(data_dir), "PORTAL_TOKEN": token,
                   "PORTAL_SNAPSHOTS": ",".join(str(p) for p in snapshots),
                   "PORTAL_DESTINATIONS_FILE": str(write_demo_destinations(data_dir)), "PYTHONPATH": pythonpath}
            server_env = {"PORTAL_DESTINATIONS_FILE": env["PORTAL_DESTINATIONS_FILE"],
                          "DATABASE_URL": url, "PORTAL_POLICY_ROOT": str(root), "PYTHONPATH": pythonpath,
                          "PORTAL_RATE_LIMIT_PER_MINUTE": "0"}
            with portal_process(data_dir, snapshots, env=server_env) as (base, _):
                if not args.no_release:
                    doc = data_dir / "release-evm-1.md"
                    timed(["release", "prepare", "--destination-chain", "evm", "--out", str(doc)], env)
                    timed(["release", "distributor", str(doc), "0x5FbDB2315678afecb367f032d93F642f64180aa3"], env)
                    line = release_statement(parse_release(doc.read_bytes()))
                    dump_signatures(sig_path(doc), [Signature(k.address, sign_statement(line, k.key)) for k in keys])
                    timed(["release", "publish", str(doc), "--url", base], env)
                host = urlsplit(base).netloc
                health = [f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()]
                pages = [page_request(host, request_id) for request_id in ids]
                # Every page visited once first: the holders coming back are the page's steady state (the
                # release's tree is read, each page rendered and its row kept); the first visits' rate is shown.
                first = asyncio.run(visit_each(base, pages, args.clients))
                print(f"first visit of each of the {len(pages)} pages: {first:.0f} req/s", flush=True)
                ratios = []
                for round_number in range(1, args.rounds + 1):
                    health_rate = asyncio.run(load(base, health, args.clients, args.seconds))
                    page_rate = asyncio.run(load(base, pages, args.clients, args.seconds))
                    ratios.append(page_rate / health_rate)
                    print(f"round {round_number}: /health {health_rate:.0f} req/s, request page with a release "
                          f"{page_rate:.0f} req/s, ratio {ratios[-1]:.2f}", flush=True)
    median = statistics.median(ratios)
    print(f"median ratio {median:.2f} over {args.rounds} rounds, {args.clients} clients, release of "
          f"{args.approvals} entries (target >= {TARGET_RATIO})")
    return 0 if median >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
