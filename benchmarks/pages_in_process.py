"""Issue 11: what one request costs the app itself, with no HTTP server: µs per request for
``/health``, ``/`` and the eligibility page (kept, and rendered every time).

Builds the app as ``portal serve --demo`` would (embedded PostgreSQL in a temp dir, migrated,
demo snapshots and the signed demo policy, the app's own lifespan), then calls it as an ASGI
application in a loop, cycling through the demo holders. ``benchmarks/http_pages.py`` measures the
same routes through a real server; this one says how much of that is the app, so a change to a
middleware or a template can be weighed in isolation.

    python benchmarks/pages_in_process.py [--requests 3000] [--repeats 3] [--rate-limit 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_pages import demo_holders

from portal.app import create_app
from portal.demo.demo_policy import start_demo
from portal.settings import from_env
from portal.store.migrations import migrate

Route = tuple[str, bytes]


async def call(app: object, path: str, query: bytes) -> int:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
             "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench")],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    status = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)  # type: ignore[operator]
    return status[0]


async def lifespan(app: object, queue: asyncio.Queue, ready: asyncio.Event, done: asyncio.Event) -> None:
    async def receive() -> dict:
        return await queue.get()

    async def send(message: dict) -> None:
        (ready if message["type"].startswith("lifespan.startup") else done).set()

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)  # type: ignore[operator]


async def measure(apps: dict[str, object], routes: dict[str, tuple[str, list[Route]]], requests: int,
                  repeats: int) -> dict[str, list[float]]:
    queues, tasks, dones = {}, [], []
    for name, app in apps.items():
        queue: asyncio.Queue = asyncio.Queue()
        ready, done = asyncio.Event(), asyncio.Event()
        await queue.put({"type": "lifespan.startup"})
        tasks.append(asyncio.create_task(lifespan(app, queue, ready, done)))
        await ready.wait()
        queues[name] = queue
        dones.append(done)
    results: dict[str, list[float]] = {label: [] for label in routes}
    for label, (app_name, calls) in routes.items():
        for path, query in calls[:5]:
            assert await call(apps[app_name], path, query) == 200, (label, path, query)
    for _ in range(repeats):
        for label, (app_name, calls) in routes.items():  # alternate, so drift hits every route alike
            app = apps[app_name]
            started = time.perf_counter()
            for number in range(requests):
                await call(app, *calls[number % len(calls)])
            results[label].append((time.perf_counter() - started) / requests * 1e6)
    for queue in queues.values():
        await queue.put({"type": "lifespan.shutdown"})
    for done in dones:
        await done.wait()
    await asyncio.gather(*tasks)
    return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rate-limit", default="30", help="PORTAL_RATE_LIMIT_PER_MINUTE (the default: 30)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import pgserver

    with tempfile.TemporaryDirectory(prefix="portal-pages-") as tmp:
        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        try:
            url = server.get_uri()
            migrate(url)
            (Path(tmp) / "demo").mkdir()
            settings = from_env({"DATABASE_URL": url, "PORTAL_DATA_DIR": str(Path(tmp) / "demo"),
                                 "PORTAL_RATE_LIMIT_PER_MINUTE": args.rate_limit,
                                 "PORTAL_PUBLIC_URL": "http://127.0.0.1:8000"})
            settings = msgspec.structs.replace(settings, snapshots=tuple(start_demo(url, settings)))
            apps = {"kept": create_app(settings),
                    "uncached": create_app(msgspec.structs.replace(settings, page_cache_entries=0))}
            answers = [("/eligibility", f"address={a}".encode()) for a in demo_holders()]
            routes = {"/health": ("kept", [("/health", b"")]), "/": ("kept", [("/", b"")]),
                      "/eligibility (kept)": ("kept", answers),
                      "/eligibility (rendered every time)": ("uncached", answers)}
            results = asyncio.run(measure(apps, routes, args.requests, args.repeats))
        finally:
            server.cleanup()
    print(f"{args.requests} requests x {args.repeats} rounds per route, in process "
          f"(PORTAL_RATE_LIMIT_PER_MINUTE={args.rate_limit})")
    for label, values in results.items():
        print(f"{label:36s} median {statistics.median(values):7.1f} µs/request "
              f"(range {min(values):.1f}-{max(values):.1f})")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
