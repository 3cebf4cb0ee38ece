"""One page sent three ways by ``render_page``, in process, alternating: Litestar's ``Template``,
an ``HtmlPage`` rendered now, and one kept per banner. The app is the equivalence test's.

    python benchmarks/render_ways.py
"""

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "unit" / "http"))
from test_page_rendering import _one_page_three_ways

app = _one_page_three_ways()


async def call(path: str) -> None:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": [],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        pass

    await app(scope, receive, send)  # type: ignore[arg-type]



async def main() -> None:
    res = {p: [] for p in ("/template", "/rendered", "/kept")}
    for _ in range(7):
        for p in res:
            t = time.perf_counter()
            for _ in range(2000):
                await call(p)
            res[p].append((time.perf_counter() - t) / 2000 * 1e6)
    for p, v in res.items():
        print(f"{p:10s} median {statistics.median(v):6.1f} µs (range {min(v):.1f}-{max(v):.1f})")

if __name__ == "__main__":
    asyncio.run(main())
